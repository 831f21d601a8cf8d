"""Downloader middleware that enforces what must never be fetched, whatever produced the request
(a link, a redirect, a sitemap): counter URLs, ignored patterns, hosts outside the scan's scope."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest

from crawler.settings import COUNTER_PATTERNS

_COUNTER_RE = re.compile("|".join(COUNTER_PATTERNS), re.I)


def is_counter_url(url: str) -> bool:
    return bool(_COUNTER_RE.search(url))


class SafetyMiddleware:
    def process_request(self, request: Request, spider: Spider | None = None):
        url = request.url
        if is_counter_url(url):
            raise IgnoreRequest(f"counter URL never fetched: {url}")
        if url.endswith("/robots.txt"):
            return None
        scope = getattr(spider, "scope", None)
        if scope is not None and not scope.allows(url):
            raise IgnoreRequest(f"outside the configured hosts: {urlsplit(url).netloc}")
        ignore = getattr(spider, "ignore_re", None)
        if ignore is not None and ignore.search(url):
            raise IgnoreRequest(f"ignored by crawl.ignore_urls: {url}")
        return None
