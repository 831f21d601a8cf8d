"""Scrapy's own tools on this project (issue 15): ``scrapy crawl school -a config=…`` runs a whole scan,
``scrapy shell URL`` fetches with the product's settings and guards, ``scrapy list`` lists the spiders; a
scan's time limit ends the crawl cleanly (``CLOSESPIDER_TIMEOUT``); every setting we set is one Scrapy or
our code reads. Real subprocesses against the simulated university on 127.0.0.1."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import date

import pytest

from tests.conftest import ROOT, run_xxgk


def scrapy(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The `scrapy` command as a user types it in the checkout (scrapy.cfg at the root)."""
    full_env = dict(os.environ, XXGK_PROGRESS="0", **(env or {}))
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=str(ROOT), env=full_env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def testbed():
    from monitor.testbed import Testbed

    with Testbed(as_of=date(2019, 10, 15)) as tb:
        tb.start()
        yield tb


def _db(path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def test_scrapy_crawl_school_runs_a_whole_scan(testbed, tmp_path) -> None:
    cfg = testbed.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"))
    out = scrapy("crawl", "school", "-a", f"config={cfg}", "-L", "INFO", env={"XXGK_NOW": "2019-10-15T03:00"})
    assert out.returncode == 0, out.stderr[-3000:]
    conn = _db(tmp_path / "xxgk.db")
    scan = conn.execute("SELECT * FROM scans").fetchone()
    assert scan["status"] == "done" and scan["trigger"] == "scrapy" and scan["started_at"].startswith("2019-10-15")
    # the same store writes as `xxgk scan`: every page of the estate, with per-site figures on the scan row
    urls = {r["url"] for r in conn.execute("SELECT url FROM pages WHERE fingerprint IS NOT NULL")}
    truth = testbed.ground_truth()
    missing = [p["url"] for p in truth["pages"] if p["kind"] in ("article", "list") and p["url"] not in urls]
    assert not missing, missing[:5]
    sites = json.loads(scan["sites"])
    assert len(sites) >= 8 and sum(s.get("pages", 0) for s in sites.values()) == scan["pages_fetched"]
    # ... and the same post-scan: matching, assessment, compliance checks, the summary `xxgk scan` prints
    assert conn.execute("SELECT COUNT(*) FROM assessments WHERE scan_id = ?", (scan["id"],)).fetchone()[0] > 50
    assert conn.execute("SELECT COUNT(*) FROM pii_checks WHERE scan_id = ?", (scan["id"],)).fetchone()[0] > 0
    assert f"扫描 #{scan['id']}" in out.stdout and "事项状态" in out.stdout
    # the per-site counters are in Scrapy's stats dump too
    site = next(iter(sites))
    assert "'xxgk/pages':" in out.stderr and f"'xxgk/pages/{site}': {sites[site]['pages']}" in out.stderr
    # the scan lock is free again: the next `xxgk scan` runs
    assert run_xxgk("scan", "--config", str(cfg), "--no-post", now="2019-10-16T03:00").returncode == 0


def test_scrapy_crawl_is_refused_while_another_scan_runs(testbed, tmp_path) -> None:
    from monitor.config import load_config
    from monitor.core.locks import ScanLock

    cfg = testbed.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"))
    with ScanLock(load_config(cfg).database_path, purpose="test"):
        out = scrapy("crawl", "school", "-a", f"config={cfg}")
    assert out.returncode != 0 and "扫描正在进行" in out.stderr
    assert _db(tmp_path / "xxgk.db").execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 0


def test_scrapy_shell_fetches_with_the_products_settings_and_guards(testbed, tmp_path) -> None:
    url = testbed.ground_truth()["sites"]["xxgk"]["url"]
    show = "(response.status, response.request.headers['User-Agent'].decode())"
    # a configured intranet host is named, as in a scan
    out = scrapy("shell", url, "-s", "XXGK_INTERNAL_HOSTS_ALLOWED=127.0.0.1", "--nolog", "-c", show)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().startswith("(200, 'xxgk-monitor/")
    # otherwise an internal address is refused, as the link checker refuses it: nothing reaches the server
    before = len(testbed.requests)
    out = scrapy("shell", url, "--nolog", "-c", "response")
    assert out.stdout.strip() == "None" and len(testbed.requests) == before
    # with the school spider: the config's scope (XXGK_CONFIG, as every xxgk command reads it), no scan opened
    cfg = testbed.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"))
    out = scrapy("shell", "--spider", "school", url, "--nolog", "-c", "(response.status, spider.scan_id)",
                 env={"XXGK_CONFIG": str(cfg)})
    assert out.stdout.strip() == "(200, None)", out.stderr[-2000:]
    assert not (tmp_path / "xxgk.db").exists()


def test_scrapy_list_lists_the_spiders() -> None:
    out = scrapy("list")
    # discover: the bounded crawl of `xxgk init` (spiders/discover.py)
    assert out.returncode == 0 and out.stdout.split() == ["discover", "linkcheck", "school"]


def test_a_time_limit_ends_the_crawl_cleanly(testbed, tmp_path) -> None:
    """`xxgk scan --timeout` stops the crawl at the limit through CLOSESPIDER_TIMEOUT: the last batch is committed
    and the scan's per-site figures and limits are written; the kill stays a backstop it never needs."""
    cfg = testbed.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"), concurrency_per_host=1,
                               download_delay=0.05)
    started = time.monotonic()
    out = run_xxgk("scan", "--config", str(cfg), "--timeout", "3", now="2019-10-15T03:00", check=False)
    elapsed = time.monotonic() - started
    assert out.returncode == 3 and "超时" in out.stdout, out.stdout + out.stderr[-2000:]
    conn = _db(tmp_path / "xxgk.db")
    scan = conn.execute("SELECT * FROM scans").fetchone()
    assert scan["status"] == "timeout" and scan["message"].startswith("达到时间上限"), dict(scan)
    assert elapsed < 30                                   # stopped itself, not after the backstop's wait
    # the crawl's own count of pages (per site, written at the end) is the store's (written batch by batch)
    sites = json.loads(scan["sites"] or "{}")
    counted = sum(s.get("pages", 0) for s in sites.values())
    assert 0 < counted == scan["pages_fetched"], (counted, dict(scan))
    # what was stored stays: the next scan completes the estate
    assert run_xxgk("scan", "--config", str(cfg), "--no-post", now="2019-10-15T04:00").returncode == 0


def test_every_setting_we_set_is_read_by_scrapy_or_by_us() -> None:
    """No dead settings: each one is a setting of the installed Scrapy, or one our code reads."""
    from scrapy.settings import default_settings

    from crawler.settings import build_settings
    from monitor.config import Config

    cfg = Config.model_validate({"school": "测试大学", "disclosure_site": "http://xxgk.example.edu.cn/"})
    ours = {"XXGK_INTERNAL_HOSTS_ALLOWED"}   # crawler/resolver.py, crawler/middlewares.py
    settings = build_settings(cfg, time_limit=60)
    unknown = [k for k in settings if not hasattr(default_settings, k) and k not in ours]
    assert not unknown
    # and none repeats the default of every Scrapy we support (the floor is 2.13)
    assert "REQUEST_FINGERPRINTER_IMPLEMENTATION" not in settings and "DEPTH_LIMIT" not in settings
    assert settings["CLOSESPIDER_TIMEOUT"] == 60


def test_a_scheduled_scan_stops_its_crawl_before_the_services_kill() -> None:
    """`xxgk run` kills a scan at schedule.scan_timeout_minutes; the scan it starts is told to stop crawling
    earlier, so matching and assessment still fit and the kill is only a backstop."""
    from monitor.config import Config
    from monitor.service import Service

    cfg = Config.model_validate({"school": "测试大学", "disclosure_site": "http://xxgk.example.edu.cn/"})

    def argv(seconds: float) -> list[str]:
        return Service(config_path="x.yaml", cfg=cfg, db_path="x.db", scan_timeout=seconds).scan_argv()

    assert argv(7200)[-2:] == ["--timeout", "6600"]      # two hours: ten minutes for the post-scan
    assert argv(300)[-2:] == ["--timeout", "240"]
    assert "--timeout" not in argv(90)                   # too short to split: the kill alone
