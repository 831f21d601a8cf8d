"""Downloader middleware that enforces what must never be fetched, whatever produced the request (a link,
a redirect, a meta refresh, an attachment, robots.txt, the link checker): every request is tested by the
spider's ``scope`` (``crawler.scope``) on its parsed URL, here, in one place."""
from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from crawler.scope import Refusal


class OutOfScope(IgnoreRequest):
    """A request the scope refused; ``refusal`` says why (its ``code`` is stable, its message Chinese)."""

    def __init__(self, refusal: Refusal, url: str) -> None:
        self.refusal = refusal
        self.url = url
        super().__init__(f"{refusal.message}: {url}")


class SafetyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SafetyMiddleware":
        return cls(crawler)

    # Scrapy passes `spider` only to methods that require it: take the crawler's, never trust the argument.
    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        scope = getattr(self.crawler.spider, "scope", None)
        if scope is None:  # a spider without a scope fetches nothing
            raise OutOfScope(Refusal("outside", "没有配置抓取范围"), request.url)
        refusal = scope.refusal(request.url)
        if refusal is not None:
            raise OutOfScope(refusal, request.url)
        return None
