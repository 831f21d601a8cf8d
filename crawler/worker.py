"""The crawl process: ``python -m crawler.worker --config PATH --scan-id N [--deadline EPOCH_SECONDS]``.

``xxgk scan`` starts it as a subprocess so a hung or crashing spider never takes down a long-lived
service. It reads the same clock (``XXGK_NOW``) and writes into the scan row it was given.
"""
from __future__ import annotations

import signal

if __name__ == "__main__":
    # SIGTERM is held back (blocked, left pending) from the first moment of the crawl process until Scrapy's own
    # handler is installed (main), so a stop during start-up takes Scrapy's clean path. Only when run as the
    # crawl: `xxgk scan` imports this module too.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

import argparse  # noqa: E402 - after the mask, on purpose
import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any, cast  # noqa: E402

from crawler.settings import build_settings  # noqa: E402
from monitor.core import clock  # noqa: E402
from monitor.core.vocab import CRAWL_END  # noqa: E402
from monitor.store import open_db, rows  # noqa: E402
from monitor.store.pages import finish_scan  # noqa: E402


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
    from twisted.internet import reactor as installed

    # Scrapy installs its SIGTERM handler "after startup"; a SIGTERM held back until then (main) reaches it.
    reactor = cast(Any, installed)
    reactor.addSystemEventTrigger("after", "startup", lambda: reactor.callLater(0, _accept_sigterm))
    process.start()
    spider = cast("SchoolSpider | None", crawler.spider)
    if spider is None or spider.finished_status is None:
        if _stopped:
            # stopped while the crawl was still opening: Scrapy stops cleanly but never closes the spider
            finish_scan(db, scan_id, finished_at=clock.now_iso(), status="interrupted", limits=[], sites={},
                        message=CRAWL_END.label["shutdown"])
        else:
            # The crawl never opened (the store could not open, the spider failed to start): nothing was recorded.
            opened = spider is not None and spider.pipeline is not None
            finish_scan(db, scan_id, finished_at=clock.now_iso(), status="failed", limits=[], sites={},
                        message="抓取未能正常结束" if opened else "存储未能打开，本次扫描没有保存任何页面")
    status = rows(db, "SELECT status FROM scans WHERE id=?", (scan_id,))[0]["status"]
    return 0 if status == "done" else 3


PARENT_PID_ENV = "XXGK_SCAN_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    """Ask the kernel for SIGTERM when the `xxgk scan` that started us dies (even by SIGKILL): Scrapy then
    stops cleanly and the scan lock we share is released only when we are gone. False: it is already gone."""
    expected = os.environ.get(PARENT_PID_ENV)
    if not expected or not sys.platform.startswith("linux"):
        return True
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return True
    return str(os.getppid()) == expected  # else the parent died before the request took effect


_stopped = False      # a SIGTERM reached the crawl (Scrapy's handler, wrapped by _accept_sigterm)


def _accept_sigterm() -> None:
    """Note every SIGTERM before Scrapy's handler takes it, then let the held-back one through."""
    scrapy_handler = signal.getsignal(signal.SIGTERM)

    def noted(signum: int, frame: Any) -> None:
        global _stopped
        _stopped = True
        if callable(scrapy_handler):
            scrapy_handler(signum, frame)

    signal.signal(signal.SIGTERM, noted)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def main(argv: list[str] | None = None) -> int:
    # SIGTERM is held back (blocked, left pending) until Scrapy's own handler is installed, so a stop during
    # start-up takes Scrapy's clean path: close reason "shutdown", the scan row says interrupted. (A handler that
    # raised instead would raise inside a reactor callback before that, where Twisted swallows the exception and
    # the crawl runs on to the end.) Threads and processes started meanwhile inherit the mask: the page and
    # document workers unblock it themselves.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    parser = argparse.ArgumentParser(prog="crawler.worker")
    parser.add_argument("--config", required=True)
    parser.add_argument("--scan-id", type=int, required=True)
    parser.add_argument("--deadline", type=float, default=None,
                        help="wall-clock time (epoch seconds) at which the crawl stops cleanly (CLOSESPIDER_TIMEOUT)")
    args = parser.parse_args(argv)
    if not die_with_parent():  # the scan that started us is gone already: say so in its row, crawl nothing
        from monitor.config import load_config

        finish_scan(open_db(load_config(args.config).database_target), args.scan_id, finished_at=clock.now_iso(),
                    status="interrupted", limits=[], sites={}, message=CRAWL_END.label["shutdown"])
        return 3
    return run(args.config, args.scan_id, args.deadline)


if __name__ == "__main__":
    sys.exit(main())
