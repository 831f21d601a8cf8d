"""The store pipeline never blocks the reactor (issue 15): with a deliberately slow writer, timers on the
reactor still fire on time while items wait for the writer, and Scrapy's own back-pressure
(``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) holds the crawl back instead. Each case runs in its own process (a Twisted
reactor starts once per process)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

from tests.conftest import ROOT

# The writer takes SLOW seconds per item: far behind a reactor that can queue thousands of items a second.
SLOW_WRITER = textwrap.dedent("""
    import time
    from monitor.store import pages

    _write = pages.PageWriter.write

    def slow_write(self, items):
        time.sleep(SLOW * len(items))
        return _write(self, items)

    pages.PageWriter.write = slow_write
""")

PIPELINE_ONLY = textwrap.dedent("""
    import json, sys, time, types
    SLOW = 0.004
    from scrapy.utils.reactor import install_reactor
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import defer, reactor
    from scrapy.utils.defer import deferred_from_coro
    from crawler.pipelines import StorePipeline
    from monitor.config import load_config
    from monitor.store import open_db
    %s
    cfg = load_config(sys.argv[1])
    db = open_db(cfg.database_path)
    scan_id = db.execute("INSERT INTO scans (started_at, status) VALUES ('2019-10-15T03:00:00+08:00', 'running')").lastrowid
    spider = types.SimpleNamespace(cfg=cfg, scan_id=scan_id)
    pipe = StorePipeline()
    pipe.crawler = types.SimpleNamespace(spider=spider)
    pipe.open_spider(spider)
    N, CHUNK, TICK = 1500, 20, 0.05
    late, done, pending_at_1s = [], [], []
    start = time.monotonic()

    def tick(expected):
        late.append(time.monotonic() - expected)

    def as_deferred(result):
        d = deferred_from_coro(result)
        return d if isinstance(d, defer.Deferred) else defer.succeed(d)

    def feed(i):
        # a crawl's worth of items, CHUNK per turn of the reactor
        for n in range(i, min(i + CHUNK, N)):
            item = {"type": "failed", "scan_id": scan_id, "url": f"http://127.0.0.1:1/p{n}.htm",
                    "site": "http://127.0.0.1:1/", "status": 404, "error": "HTTP 404", "depth": 1}
            as_deferred(pipe.process_item(item, spider)).addCallback(lambda _: done.append(time.monotonic()))
        if i + CHUNK < N:
            reactor.callLater(0, feed, i + CHUNK)

    def finish():
        d = as_deferred(pipe.close_spider(spider))
        d.addCallback(lambda _: reactor.stop())

    def begin():
        for k in range(1, 61):   # timers every 50 ms for 3 s, while the writer is far behind
            reactor.callLater(k * TICK, tick, time.monotonic() + k * TICK)
        reactor.callLater(1.0, lambda: pending_at_1s.append(N - len(done)))
        reactor.callLater(0, feed, 0)
        reactor.callLater(3.2, finish)

    reactor.callWhenRunning(begin)
    reactor.run()
    stored = db.execute("SELECT COUNT(*) FROM fetch_errors WHERE scan_id = ?", (scan_id,)).fetchone()[0]
    print(json.dumps({"max_late": max(late), "ticks": len(late), "pending_at_1s": pending_at_1s[0],
                      "done": len(done), "stored": stored}))
""") % SLOW_WRITER

# The real crawl process (crawler.worker) with a slow writer and a small scraper slot: a timer on the
# reactor measures how late it gets; the engine is asked how often it held new requests back.
SLOW_CRAWL = textwrap.dedent("""
    import json, sys, time
    SLOW = 0.006
    from scrapy.utils.reactor import install_reactor
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor, task
    import crawler.settings
    from crawler import pipelines
    %s
    _scan_settings = crawler.settings.scan_settings

    def small_slot(cfg, **kw):
        return {**_scan_settings(cfg, **kw), "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 64 * 1024}

    crawler.settings.scan_settings = small_slot
    import spiders.school
    spiders.school.scan_settings = small_slot
    seen = {}
    _open = pipelines.StorePipeline.open_spider

    def open_spider(self, spider=None):
        seen["crawler"] = self.crawler
        return _open(self, spider)

    pipelines.StorePipeline.open_spider = open_spider
    gaps, backouts, last = [], [0, 0], [None]

    def probe():
        now = time.monotonic()
        if last[0] is not None:
            gaps.append(now - last[0])
        last[0] = now
        engine = getattr(seen.get("crawler"), "engine", None)
        if engine is not None and engine.scraper.slot is not None:
            backouts[0] += 1
            backouts[1] += engine.scraper.slot.needs_backout()

    reactor.callWhenRunning(lambda: task.LoopingCall(probe).start(0.05))
    from crawler.worker import run
    from monitor.config import load_config
    from monitor.store import open_db
    from monitor.store.pages import start_scan
    cfg = load_config(sys.argv[1])
    scan_id = start_scan(open_db(cfg.database_path), "cli")
    code = run(sys.argv[1], scan_id)
    print(json.dumps({"code": code, "max_gap": max(gaps), "probes": backouts[0], "held_back": backouts[1]}))
""") % SLOW_WRITER


def _run(script: str, config: Path, timeout: float = 240) -> dict:
    env = dict(os.environ, XXGK_NOW="2019-10-15T03:00", XXGK_PROGRESS="0")
    proc = subprocess.run([sys.executable, "-c", script, str(config)], cwd=str(ROOT), env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "xxgk.yaml"
    path.write_text(f"school: 测试大学\ndisclosure_site: http://127.0.0.1:1/\ndatabase: {tmp_path / 'xxgk.db'}\n",
                    encoding="utf-8")
    return path


def test_reactor_timers_fire_on_time_while_a_slow_writer_holds_the_items(tmp_path) -> None:
    out = _run(PIPELINE_ONLY, _config(tmp_path))
    # 1500 items at 4 ms each is 6 s of writing; the reactor meanwhile stays free: every 50 ms timer on time
    assert out["ticks"] == 60 and out["max_late"] < 0.25, out
    # an item counts as processed only once the writer has taken it: most still wait after a second ...
    assert out["pending_at_1s"] > 500, out
    # ... and none is lost: closing writes the last batch, every item is stored
    assert out["done"] == 1500 and out["stored"] == 1500, out


def test_a_slow_writer_slows_the_crawl_through_scrapys_back_pressure_not_by_blocking(tmp_path) -> None:
    from monitor.testbed import Testbed

    with Testbed(as_of=date(2019, 10, 15)) as tb:
        tb.start()
        cfg = tb.write_config(tmp_path / "xxgk.yaml", database=str(tmp_path / "xxgk.db"))
        out = _run(SLOW_CRAWL, cfg)
        truth = tb.ground_truth()
    assert out["code"] == 0, out
    assert out["max_gap"] < 0.75, out                      # the reactor was never stalled by the store
    assert out["held_back"] > 0, out                       # Scrapy held new requests back while the writer lagged
    conn = sqlite3.connect(tmp_path / "xxgk.db")
    status, fetched = conn.execute("SELECT status, pages_fetched FROM scans").fetchone()
    urls = {r[0] for r in conn.execute("SELECT url FROM pages WHERE fingerprint IS NOT NULL")}
    assert status == "done" and fetched >= 500
    missing = [p["url"] for p in truth["pages"] if p["kind"] in ("article", "list") and p["url"] not in urls]
    assert not missing, missing[:5]
