"""Sites that need a browser (crawl.render): a 瑞数-style challenge in front of a unit site and a column
whose rows come from a JSON endpoint, on the testbed's browser-only site (`browser_sites=True`).

With `crawl.render: auto` and the system's Chromium the items on that site are found with their dates,
one rendered page unlocks plain fetches (its cookie is kept) and every stored page says whether it was
rendered and why. Without a browser they are reported as needing one — never as missing or blank."""
from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from crawler.render import BrowserGuard, Budget, RenderPlan, plan_from_config
from monitor.config import Crawl
from tests.conftest import run_xxgk

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DAY = "2019-10-15"
pytestmark = pytest.mark.xdist_group("render")


class _Req:
    def __init__(self, url: str, resource_type: str = "document"):
        self.url, self.resource_type = url, resource_type


def test_the_browser_may_load_only_the_configured_hosts_and_nothing_heavy() -> None:
    guard = BrowserGuard(frozenset({"kyc.example.edu.cn", "127.0.0.1:8009"}))
    assert not guard(_Req("http://kyc.example.edu.cn/"))
    assert not guard(_Req("http://127.0.0.1:8009/api/list?col=xsbd", "fetch"))
    assert guard(_Req("http://127.0.0.1:8010/"))                       # another port is another site
    assert guard(_Req("https://cdn.example.com/jquery.js", "script"))  # nothing from outside the config
    assert guard(_Req("http://kyc.example.edu.cn/logo.png", "image"))
    assert guard(_Req("http://kyc.example.edu.cn/f.woff2", "font"))
    assert guard(_Req("ftp://kyc.example.edu.cn/x"))


def test_render_budget_per_scan_and_per_host() -> None:
    plan = RenderPlan("auto", browser="/usr/bin/chromium", installed=True, max_pages=3, max_pages_per_host=2)
    b = Budget(plan)
    assert b.take("http://a.edu.cn/1") and b.take("http://a.edu.cn/2")
    assert not b.take("http://a.edu.cn/3") and b.limit_hit("http://a.edu.cn/3") == "render_max_pages_per_host"
    assert b.take("http://b.edu.cn/1")
    assert not b.take("http://c.edu.cn/1") and b.limit_hit("http://c.edu.cn/1") == "render_max_pages"
    none = Budget(RenderPlan("auto", browser=None, installed=True))
    assert not none.take("http://a.edu.cn/") and none.used == 0
    assert none.limit_hit("http://a.edu.cn/") is None          # no browser is not a limit: needs_browser
    assert none.plan.why_not() == "本机未找到 Chromium 浏览器"


def test_render_setting_values(tmp_path: Path) -> None:
    assert Crawl(render="auto").render == "auto" and Crawl().render == "off"
    assert Crawl(render=["KYC.example.edu.cn"]).render == ["kyc.example.edu.cn"]
    assert plan_from_config(Crawl(render=["kyc.example.edu.cn"])).always("http://kyc.example.edu.cn/a")
    cfg = tmp_path / "x.yaml"
    cfg.write_text("school: 示例大学\ndisclosure_site: http://gk.example.edu.cn/\ncrawl:\n  render: sometimes\n",
                   encoding="utf-8")
    proc = run_xxgk("check", "--config", str(cfg), check=False)
    assert proc.returncode != 0 and "crawl.render" in proc.stderr and ":4" in proc.stderr


def test_check_says_when_rendering_is_configured_but_no_browser_is_found(tmp_path: Path) -> None:
    cfg = tmp_path / "x.yaml"
    cfg.write_text("school: 示例大学\ndisclosure_site: http://gk.example.edu.cn/\ncrawl:\n  render: auto\n"
                   "  browser: /nonexistent/chromium\n", encoding="utf-8")
    proc = run_xxgk("check", "--config", str(cfg))
    assert "已配置浏览器渲染" in proc.stderr and "未找到 Chromium" in proc.stderr


def _health_page(tmp_path: Path) -> str:
    """The dashboard's 站点健康 page, as the office sees it."""
    import re

    from fastapi.testclient import TestClient

    from monitor import auth, store
    from monitor.config import load_config
    from monitor.dashboard.app import create_app

    cfg = load_config(tmp_path / "xxgk.yaml")
    auth.add_user(store.open_db(cfg.database_path), "office", "office-password", "office")
    client = TestClient(create_app(cfg), base_url="https://testserver")
    nonce = re.search(r'name="nonce" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": "office", "password": "office-password", "nonce": nonce, "next": "/"})
    return client.get("/health").text


def _scan(tmp_path: Path, **crawl) -> tuple[dict, sqlite3.Connection, dict, str]:
    from monitor.testbed import Testbed

    with Testbed(as_of=date.fromisoformat(DAY), browser_sites=True) as tb:
        cfg = tb.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"), **crawl)
        out = run_xxgk("scan", "--config", str(cfg), now=f"{DAY}T03:00").stdout
        status = json.loads(run_xxgk("status", "--config", str(cfg), "--json", now=f"{DAY}T09:00").stdout)
        truth = tb.ground_truth()
    items = {s["id"]: s for s in (status["items"] if isinstance(status, dict) else status)}
    return items, sqlite3.connect(tmp_path / "xxgk.db"), truth, out


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs the system's Chromium (Debian: apt-get install chromium)")
def test_with_a_browser_the_items_behind_the_challenge_are_found_with_their_dates(tmp_path: Path) -> None:
    items, db, truth, _ = _scan(tmp_path, render="auto")
    for iid in ("41", "42"):
        assert items[iid]["status"] == truth["items"][iid]["status"], items[iid]
        assert items[iid]["last_changed"] == truth["items"][iid]["last_changed"], items[iid]
    kyc = truth["sites"]["kyc"]["url"]
    rendered = dict(db.execute("SELECT url, rendered FROM pages WHERE rendered IS NOT NULL").fetchall())
    assert rendered and all(u.startswith(kyc) for u in rendered)              # only where it was needed
    assert "challenge" in rendered.values() and "scripted_list" in rendered.values()
    # the challenge's cookie is kept: most of the site's pages came by plain fetches
    kyc_pages = db.execute("SELECT count(*) FROM pages WHERE url LIKE ? AND last_status = 200",
                           (kyc + "%",)).fetchone()[0]
    assert kyc_pages > len(rendered) + 3
    assert db.execute("SELECT count(*) FROM pages WHERE needs_browser IS NOT NULL").fetchone()[0] == 0
    page = _health_page(tmp_path)
    assert "需要浏览器的网站" in page and "反爬虫验证页" in page and "栏目列表由脚本加载" in page


@pytest.mark.slow
def test_without_a_browser_those_items_need_one_never_missing_or_blank(tmp_path: Path) -> None:
    items, db, truth, out = _scan(tmp_path, render="auto", browser="/nonexistent/chromium")
    for iid in ("41", "42"):
        assert items[iid]["status"] not in ("missing", "blank"), items[iid]
        assert items[iid]["status"] == "unreachable" and "需要浏览器" in items[iid]["reason"], items[iid]
    needs = db.execute("SELECT count(*) FROM pages WHERE needs_browser IS NOT NULL").fetchone()[0]
    assert needs >= 1 and "需要浏览器" in out
    page = _health_page(tmp_path)
    assert "需要浏览器的网站" in page and "需要浏览器但未渲染" in page
    # every other item is judged as before
    assert items["7"]["status"] == truth["items"]["7"]["status"]


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().decode("latin-1", "replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs the system's Chromium (Debian: apt-get install chromium)")
def test_a_killed_scan_leaves_no_browser_behind(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from urllib.parse import urlsplit

    from monitor.testbed import Testbed

    with Testbed(as_of=date.fromisoformat(DAY), browser_sites=True, latency=0.05) as tb:
        kyc = urlsplit(tb.sites["kyc"]).netloc
        cfg = tb.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"), render=[kyc],
                              concurrency_per_host=1)
        env = dict(os.environ, XXGK_NOW=DAY, XXGK_PROGRESS="0")
        scan = subprocess.Popen([sys.executable, "-m", "monitor.cli", "scan", "--config", str(cfg)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        browsers: set[int] = set()
        deadline = time.monotonic() + 60
        while not browsers and time.monotonic() < deadline:
            time.sleep(0.3)
            browsers = {p for p in _descendants(scan.pid) if "chrom" in _cmdline(p)}
        assert browsers, "the scan never started a browser"
        workers = [p for p in _descendants(scan.pid) if "crawler.worker" in _cmdline(p)]
        for w in workers:
            os.kill(w, signal.SIGKILL)
        scan.wait(timeout=60)
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in browsers) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not [p for p in browsers if _alive(p)]
