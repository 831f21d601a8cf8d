"""The crawl process: ``python -m crawler.worker --config PATH --scan-id N [--deadline EPOCH_SECONDS]``.

``xxgk scan`` starts it as a subprocess so a hung or crashing spider never takes down a long-lived
service. It reads the same clock (``XXGK_NOW``) and writes into the scan row it was given.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from typing import cast

from crawler.settings import build_settings
from monitor.core import clock
from monitor.core.vocab import CRAWL_END
from monitor.store import open_db, rows
from monitor.store.pages import finish_scan


def run(config_path: str, scan_id: int, deadline: float | None = None) -> int:
    """Crawl into the scan row ``scan_id``; 0 when the crawl finished, 3 when it did not (stopped at the
    ``deadline``, a wall-clock time, interrupted, failed). The spider records how it ended (``SchoolSpider.finish``)."""
    from scrapy.crawler import CrawlerProcess

    from monitor.config import load_config
    from spiders.school import LinkLookup, SchoolSpider, known_pages

    cfg = load_config(config_path)
    db = open_db(cfg.database_target)
    level = os.environ.get("XXGK_SCRAPY_LOG", "WARNING")
    # The scan's time limit counts from when `xxgk scan` started us, start-up included; CLOSESPIDER_TIMEOUT
    # counts from the spider's opening. (0 would mean no limit: a deadline already past stops at once.)
    time_limit = max(deadline - time.time(), 0.01) if deadline is not None else None
    process = CrawlerProcess(build_settings(cfg, log_level=level, time_limit=time_limit))
    logging.getLogger("scrapy").setLevel(level)
    crawler = process.create_crawler(SchoolSpider)
    process.crawl(crawler, cfg=cfg, scan_id=scan_id, known=known_pages(db), known_links=LinkLookup(open_db(cfg.database_target)))
    process.start()
    spider = cast("SchoolSpider | None", crawler.spider)
    if spider is None or spider.finished_status is None:
        # The crawl never opened (the store could not open, the spider failed to start): nothing was recorded.
        opened = spider is not None and spider.pipeline is not None
        finish_scan(db, scan_id, finished_at=clock.now_iso(), status="failed", limits=[], sites={},
                    message="抓取未能正常结束" if opened else "存储未能打开，本次扫描没有保存任何页面")
    status = rows(db, "SELECT status FROM scans WHERE id=?", (scan_id,))[0]["status"]
    return 0 if status == "done" else 3


PARENT_PID_ENV = "XXGK_SCAN_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the `xxgk scan` that started us dies (even by SIGKILL): Scrapy then
    stops cleanly and the scan lock we share is released only when we are gone."""
    expected = os.environ.get(PARENT_PID_ENV)
    if not expected or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if str(os.getppid()) != expected:  # the parent died before the request took effect
        sys.exit(3)


class _StoppedEarly(Exception):
    """SIGTERM before Scrapy took over the signals: the scan was stopped while its crawl was starting."""


def _stop_early(signum: int, frame: object) -> None:
    raise _StoppedEarly


def main(argv: list[str] | None = None) -> int:
    # Until Scrapy installs its own handlers (a clean shutdown), a SIGTERM still leaves a true scan row.
    signal.signal(signal.SIGTERM, _stop_early)
    die_with_parent()
    parser = argparse.ArgumentParser(prog="crawler.worker")
    parser.add_argument("--config", required=True)
    parser.add_argument("--scan-id", type=int, required=True)
    parser.add_argument("--deadline", type=float, default=None,
                        help="wall-clock time (epoch seconds) at which the crawl stops cleanly (CLOSESPIDER_TIMEOUT)")
    args = parser.parse_args(argv)
    try:
        return run(args.config, args.scan_id, args.deadline)
    except _StoppedEarly:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from monitor.config import load_config

        finish_scan(open_db(load_config(args.config).database_target), args.scan_id, finished_at=clock.now_iso(),
                    status="interrupted", limits=[], sites={}, message=CRAWL_END.label["shutdown"])
        return 3


if __name__ == "__main__":
    sys.exit(main())
