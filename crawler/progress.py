"""Progress on a terminal (pages, sites done, errors, rate); silent when stderr is not a TTY or in CI."""
from __future__ import annotations

import os
import sys
import time
from typing import Any

from scrapy import signals
from twisted.internet import task


def progress_wanted() -> bool:
    flag = os.environ.get("XXGK_PROGRESS")
    if flag is not None:
        return flag not in ("0", "", "no")
    return sys.stderr.isatty() and not os.environ.get("CI")


class Progress:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "Progress":
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        if not progress_wanted():
            return
        self.spider = spider
        self.loop = task.LoopingCall(self.show)
        self.loop.start(1.0, now=False)

    def line(self) -> str:
        stats = getattr(self.spider, "site_stats", {})
        pages = sum(s.get("pages", 0) for s in stats.values())
        not_mod = sum(s.get("not_modified", 0) for s in stats.values())
        errors = sum(s.get("errors", 0) for s in stats.values())
        elapsed = max(time.monotonic() - self.started, 0.001)
        slots = self.crawler.engine.downloader.slots if self.crawler.engine else {}
        active = sum(1 for s in slots.values() if s.active or s.queue)
        sites = len(stats)
        return (f"\r扫描中：{pages + not_mod} 页（未变 {not_mod}），站点 {sites - active}/{sites} 完成，"
                f"错误 {errors}，{(pages + not_mod) / elapsed:.1f} 页/秒   ")

    def show(self) -> None:
        sys.stderr.write(self.line())
        sys.stderr.flush()

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
            self.show()
            sys.stderr.write("\n")
