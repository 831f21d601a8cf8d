"""The crawl process: ``python -m crawler.worker --config PATH --scan-id N``.

``xxgk scan`` starts it as a subprocess so a hung or crashing spider never takes down a long-lived
service. It reads the same clock (``XXGK_NOW``) and writes into the scan row it was given.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from scrapy.crawler import CrawlerProcess

from crawler.settings import build_settings
from monitor.core import clock
from monitor.core.vocab import CRAWL_END
from monitor.store import history, open_db
from monitor.store.pages import finish_scan


def _known(db) -> dict[str, dict]:
    """Stored pages, and files skipped at a limit (their validators and hash: the same file is not
    read again, crawler.pipelines.DocumentPipeline)."""
    from crawler.extract.documents import TOO_COMPLEX, is_too_complex

    known: dict[str, dict] = {}
    for r in history.known_pages(db, TOO_COMPLEX):
        known[r["url"]] = {**r, "too_complex": is_too_complex(r["last_error"])}
    return known


class _LinkLookup(dict):
    """url -> stored outlinks as (url, text), queried lazily (only 304 and recently checked pages need
    them). The text tells pagination apart (``PAGINATION_LINK_TEXT``), also for a further page that an
    interrupted scan never stored."""

    def __init__(self, db) -> None:
        super().__init__()
        self.db = db

    def get(self, url, default=None):
        return history.outlinks(self.db, url) or default


def run(config_path: str, scan_id: int) -> int:
    from monitor.config import load_config
    from spiders.school import SchoolSpider

    cfg = load_config(config_path)
    db = open_db(cfg.database_path)
    level = os.environ.get("XXGK_SCRAPY_LOG", "WARNING")
    process = CrawlerProcess(build_settings(cfg, log_level=level))
    logging.getLogger("scrapy").setLevel(level)
    crawler = process.create_crawler(SchoolSpider)
    process.crawl(crawler, cfg=cfg, scan_id=scan_id, known=_known(db), known_links=_LinkLookup(open_db(cfg.database_path)))
    process.start()
    spider = crawler.spider
    reason = (crawler.stats.get_value("finish_reason") or "finished") if crawler.stats else "finished"
    status = "done" if reason == "finished" else "interrupted"
    message = CRAWL_END.label.get(reason, f"抓取结束（{reason}）")
    pipeline = getattr(spider, "pipeline", None)
    if pipeline is None:  # the store never opened: nothing was recorded
        status, message = "failed", "存储未能打开，本次扫描没有保存任何页面"
    elif pipeline.store_errors:
        message += f"；{pipeline.store_errors} 个页面保存失败（见抓取错误）"
    limits = list(spider.limits_hit.values()) if spider else []
    sites = {k: dict(v) for k, v in (spider.site_stats.items() if spider else [])}
    if spider and spider.skipped_counter:
        limits.append({"limit": "counter_urls", "site": "", "value": spider.skipped_counter,
                       "detail": "计数器地址从不抓取", "count": spider.skipped_counter})
    finish_scan(db, scan_id, finished_at=clock.now_iso(), status=status, limits=limits, sites=sites,
                message=message)
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


def main(argv: list[str] | None = None) -> int:
    die_with_parent()
    parser = argparse.ArgumentParser(prog="crawler.worker")
    parser.add_argument("--config", required=True)
    parser.add_argument("--scan-id", type=int, required=True)
    args = parser.parse_args(argv)
    return run(args.config, args.scan_id)


if __name__ == "__main__":
    sys.exit(main())
