"""Issue 3 (scan) against the testbed's ground truth: a real `xxgk scan` (Scrapy subprocess) of
the simulated university on four dates, checked page by page."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, run_xxgk

pytestmark = pytest.mark.xdist_group("estate")


def _db(estate) -> sqlite3.Connection:
    conn = sqlite3.connect(estate.db_path)
    conn.row_factory = sqlite3.Row
    return conn


def _pages(estate) -> dict[str, sqlite3.Row]:
    return {r["url"]: r for r in _db(estate).execute("SELECT * FROM pages")}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_every_page_of_the_estate_is_reached(scanned_estate):
    truth = scanned_estate.truth(scanned_estate.scan_dates[-1])
    pages = _pages(scanned_estate)
    expected = [p for p in truth["pages"] if p["kind"] in ("article", "list", "attachment")]
    missing = [p["url"] for p in expected if p["url"] not in pages]
    assert not missing, f"{len(missing)} of {len(expected)} pages never reached, e.g. {missing[:5]}"
    failed = [p["url"] for p in expected if pages[p["url"]]["last_status"] not in (200, 304)]
    assert not failed, failed[:5]
    # every pagination style: each column's further pages are among them (lists with 2+ pages)
    kinds = {p["url"]: p["kind"] for p in expected}
    assert sum(1 for u, k in kinds.items() if k == "list" and ("list2" in u or "index_1" in u or "page=2" in u
                                                               or u.rstrip("/").split("/")[-1][:-4].isdigit())) >= 3


def test_counter_urls_robots_and_trap(scanned_estate):
    truth = scanned_estate.truth(scanned_estate.scan_dates[-1])
    served = [(r.site, r.path) for scan in scanned_estate.requests_by_scan for r in scan]  # what the scans sent
    assert served, "the testbed saw no requests"
    never = {_path(u) for u in truth["never_fetch"]}
    fetched_counters = [p for _, p in served if p in never or "_visitcount" in p or "dynclicks" in p]
    assert not fetched_counters, fetched_counters[:3]
    disallowed = {_path(u) for u in truth["robots_disallowed"]}
    assert not [p for _, p in served if p in disallowed]
    assert any(p == "/robots.txt" for _, p in served)
    cfg = scanned_estate.config()
    for trap in truth["traps"]:
        trap_path = urlsplit(trap).path
        for requests in scanned_estate.requests_by_scan:
            hits = {r.path for r in requests if r.path.startswith(trap_path)}
            # the crawl stops at the cap (+ the calendar's own start page); the link checker then checks the
            # prev/next links of the last calendar pages once each (they are links on fetched pages)
            assert 0 < len(hits) <= cfg.crawl.max_calendar_variants + 1 + 2, f"trap {trap}: {len(hits)} URLs in one scan"
    limits = [json.loads(r["limits_hit"]) for r in _db(scanned_estate).execute("SELECT limits_hit FROM scans")]
    assert all(any(l["limit"] == "trap" for l in lim) for lim in limits), "the trap limit is reported"


def test_user_agent_names_the_product(scanned_estate):
    # only what the scans sent (other tests fetch from the same testbed with their own clients)
    agents = {r.headers.get("User-Agent", "") for scan in scanned_estate.requests_by_scan for r in scan if r.headers}
    assert agents and all(a.startswith("xxgk-monitor/") and "+http" in a for a in agents if a), agents


def test_gbk_sites_decoded(scanned_estate):
    truth = scanned_estate.truth(scanned_estate.scan_dates[-1])
    pages = _pages(scanned_estate)
    gbk_sites = {k for k, s in truth["sites"].items() if s["encoding"].lower() in ("gbk", "gb2312", "gb18030")}
    assert len(gbk_sites) >= 2
    checked = 0
    for p in truth["pages"]:
        if p["site"] in gbk_sites and p["kind"] == "article" and p["title"]:
            assert pages[p["url"]]["title"] == p["title"], (p["url"], pages[p["url"]]["title"], p["title"])
            checked += 1
    assert checked >= 20


def test_dates_and_their_sources(scanned_estate):
    truth = scanned_estate.truth(scanned_estate.scan_dates[-1])
    pages = _pages(scanned_estate)
    wrong = []
    total = 0
    for p in truth["pages"]:
        if p["kind"] != "article":
            continue
        total += 1
        ours = pages[p["url"]]
        if (ours["published"], ours["published_source"]) != (p["published"], p["published_source"]):
            wrong.append((p["url"], p["published"], p["published_source"], ours["published"],
                          ours["published_source"]))
    print(f"article dates right: {total - len(wrong)}/{total}")
    assert not wrong, wrong[:10]


def test_versions_only_for_real_changes(scanned_estate):
    """Daily counters/"今天是" widgets make no version; edits and new attachments do."""
    dates = scanned_estate.scan_dates
    truth = scanned_estate.truth(dates[-1])
    conn = _db(scanned_estate)
    versions = {r["url"]: r["n"] for r in conn.execute(
        "SELECT p.url, COUNT(v.id) AS n FROM pages p JOIN versions v ON v.page_id = p.id GROUP BY p.id")}
    changed_later = set()
    for item in truth["items"].values():
        for ev in item["evidence"]:
            if ev.get("date") and ev["date"] > dates[0]:
                changed_later.add(ev["url"])
                if ev.get("article"):
                    changed_later.add(ev["article"])
    steady = [p["url"] for p in truth["pages"]
              if p["kind"] == "article" and p["url"] not in changed_later and (p["published"] or "") <= dates[0]
              and (p.get("updated") or "") <= dates[0]]
    assert len(steady) > 100
    churn = [u for u in steady if versions.get(u, 0) != 1]
    assert not churn, f"{len(churn)} unchanged articles got extra versions, e.g. {churn[:5]}"
    edits = [(ev["url"], ev["date"]) for item in truth["items"].values() for ev in item["evidence"]
             if ev.get("event") == "updated" and ev["date"] and dates[0] < ev["date"] <= dates[-1]]
    for url, day in edits:
        assert versions.get(url, 0) >= 2, f"edit of {url} on {day} not recorded as a version"
    added = [ev for item in truth["items"].values() for ev in item["evidence"]
             if ev.get("event") == "added" and ev["date"] and dates[0] < ev["date"] <= dates[-1]]
    pages = _pages(scanned_estate)
    for ev in added:
        assert ev["url"] in pages, f"new attachment {ev['url']} not recorded"
        assert pages[ev["url"]]["kind"] == "attachment"
        assert pages[ev["url"]]["sha256"] and pages[ev["url"]]["size"] > 0


def test_rescans_are_mostly_304(scanned_estate):
    scans = list(_db(scanned_estate).execute("SELECT * FROM scans ORDER BY id"))
    assert len(scans) == len(scanned_estate.scan_dates)
    assert all(s["status"] == "done" for s in scans)
    assert [s["started_at"][:10] for s in scans] == list(scanned_estate.scan_dates), "scans record the clock's time"
    for s in scans[1:]:
        answered = s["pages_fetched"] + s["not_modified"]
        assert s["not_modified"] / answered > 0.5, dict(s)
    sites = json.loads(scans[-1]["sites"])
    assert len(sites) >= 8 and all("pages" in v or "not_modified" in v for v in sites.values())


def test_killed_scan_leaves_a_consistent_database_and_the_next_completes(tmp_path):
    from monitor.testbed import Testbed

    with Testbed(as_of=date(2019, 10, 15)) as tb:
        tb.start()
        cfg = tb.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"), concurrency_per_host=1)
        env = dict(os.environ, XXGK_NOW="2019-10-15T03:00", XXGK_PROGRESS="0")
        proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "scan", "--config", str(cfg)], env=env,
                                cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        db_path = tmp_path / "xxgk.db"
        deadline = time.monotonic() + 60
        worker_pid = None
        while time.monotonic() < deadline:
            time.sleep(0.3)
            if not db_path.exists():
                continue
            try:
                conn = sqlite3.connect(db_path)
                row = conn.execute("SELECT pid, pages_fetched FROM scans ORDER BY id DESC LIMIT 1").fetchone()
                conn.close()
            except sqlite3.OperationalError:
                continue
            if row and row[0] and row[1] >= 50:
                worker_pid = row[0]
                break
        assert worker_pid, "the crawl never got going"
        os.kill(worker_pid, signal.SIGKILL)   # the crawl process dies mid-way, no clean-up at all
        proc.wait(60)
        assert proc.returncode != 0
        conn = sqlite3.connect(db_path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        status, fetched = conn.execute("SELECT status, pages_fetched FROM scans").fetchone()
        assert status in ("killed", "failed") and fetched >= 50
        kept = conn.execute("SELECT COUNT(*) FROM pages WHERE fingerprint IS NOT NULL").fetchone()[0]
        conn.close()
        assert kept >= 50
        out = run_xxgk("scan", "--config", str(cfg), now="2019-10-15T04:00")
        assert "完成" in out.stdout
        conn = sqlite3.connect(db_path)
        statuses = [r[0] for r in conn.execute("SELECT status FROM scans ORDER BY id")]
        assert statuses[-1] == "done"
        urls = {r[0] for r in conn.execute("SELECT url FROM pages WHERE fingerprint IS NOT NULL")}
        truth = tb.ground_truth()
        missing = [p["url"] for p in truth["pages"] if p["kind"] in ("article", "list") and p["url"] not in urls]
        assert not missing, missing[:5]
        # what the killed scan stored was kept: nothing stored twice
        dup = conn.execute("SELECT COUNT(*) FROM versions v JOIN versions w ON v.page_id = w.page_id AND v.id < w.id "
                           "AND v.fingerprint = w.fingerprint").fetchone()[0]
        assert dup == 0


def test_second_scan_while_one_runs_is_refused(scanned_estate, tmp_path):
    from monitor.core.locks import ScanLock

    cfg = scanned_estate.config()
    with ScanLock(cfg.database_path, purpose="test"):
        out = run_xxgk("scan", "--config", str(scanned_estate.config_path), check=False)
    assert out.returncode == 4 and "扫描正在进行" in out.stderr


def test_next_day_rescan_skips_recently_checked_articles_and_loses_nothing(estate_copy):
    """Nightly scans do not re-fetch every article: lists are fetched (new content arrives there),
    articles and files checked within `revisit_days` wait; every item keeps its evidence."""
    from monitor.assess import assess_all
    from monitor.store import open_db

    cfg = estate_copy.config()
    day = date(2020, 1, 11)
    before = {s.id: (s.status, s.last_changed, len(s.evidence)) for s in assess_all(open_db(cfg.database_path), cfg, day)}
    tb = estate_copy.testbed
    n0 = len(tb.requests)
    run_xxgk("scan", "--config", str(estate_copy.config_path), now="2020-01-11T03:00")
    served = {r.path for r in tb.requests.snapshot()[n0:]}
    conn = _db(estate_copy)
    scan = conn.execute("SELECT * FROM scans ORDER BY id DESC LIMIT 1").fetchone()
    articles = conn.execute("SELECT COUNT(*) FROM pages WHERE kind='article'").fetchone()[0]
    assert scan["status"] == "done" and scan["pages_skipped"] > articles / 2, dict(scan)
    lists = [r["url"] for r in conn.execute("SELECT url FROM pages WHERE kind='list' AND last_status=200")]
    assert all(_path(u) in served for u in lists), "every column list is fetched on every scan"
    after = {s.id: (s.status, s.last_changed, len(s.evidence)) for s in assess_all(open_db(cfg.database_path), cfg, day)}
    assert after == before
    # pages reached only through a page that was not re-fetched are still part of the site
    previous = conn.execute("SELECT id FROM scans ORDER BY id DESC LIMIT 1 OFFSET 1").fetchone()[0]
    dropped = [r[0] for r in conn.execute(
        "SELECT url FROM pages WHERE last_seen_scan = ? AND kind IN ('article', 'list', 'attachment')", (previous,))]
    assert not dropped, dropped[:5]
