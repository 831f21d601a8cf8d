"""Downloader middleware that enforces what must never be fetched, whatever produced the request (a link,
a redirect, a meta refresh, an attachment, robots.txt, the link checker): every request is tested by the
spider's ``scope`` (``crawler.scope``) on its parsed URL, here, in one place."""
from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import redirect
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

from crawler.resolver import SETTING as INTERNAL_HOSTS_SETTING
from crawler.scope import COUNTER_RE, CheckScope, Refusal


class OutOfScope(IgnoreRequest):
    """A request the scope refused; ``refusal`` says why (its ``code`` is stable, its message Chinese)."""

    def __init__(self, refusal: Refusal, url: str) -> None:
        self.refusal = refusal
        self.url = url
        super().__init__(f"{refusal.message}: {url}")


class SafetyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._default_scope: CheckScope | None = None

    def default_scope(self) -> CheckScope:
        """For a spider without a scope of its own (Scrapy's DefaultSpider in `scrapy shell URL`, `scrapy fetch`):
        the link checker's rules — public web addresses on the usual ports, never a counter; internal addresses
        only for the hosts in XXGK_INTERNAL_HOSTS_ALLOWED (`-s XXGK_INTERNAL_HOSTS_ALLOWED=host,…`)."""
        if self._default_scope is None:
            allowed = frozenset(h.lower() for h in self.crawler.settings.getlist(INTERNAL_HOSTS_SETTING))
            self._default_scope = CheckScope(allowed, COUNTER_RE)
        return self._default_scope

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SafetyMiddleware":
        return cls(crawler)

    # Scrapy passes `spider` only to methods that require it: take the crawler's, never trust the argument.
    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        scope = getattr(self.crawler.spider, "scope", None) or self.default_scope()
        refusal = scope.refusal(request.url)
        if refusal is not None:
            raise OutOfScope(refusal, request.url)
        return None


class _KeepReferer:
    """Redirects keep the Referer the spider set (the page that linked), as a browser does. Scrapy's
    redirect middlewares hand that header to its RefererMiddleware, which the crawl does not use (the spider
    sets Referer itself), and without it they drop the header and warn on every scan."""

    def handle_referer(self, request: Request, response: Response) -> None:
        pass

    def _engine_started(self) -> None:
        # Scrapy 2.19 looks for its RefererMiddleware here and warns when it is missing, even with
        # handle_referer overridden; this hook does nothing else.
        pass


class RedirectMiddleware(_KeepReferer, redirect.RedirectMiddleware):
    pass


# Scrapy looks for <meta http-equiv="refresh"> in the first 4,096 characters only, but decodes the whole body
# to get them; the crawl never needs the rest decoded here (the page workers read the bytes).
_REFRESH_HEAD_BYTES = 16 * 1024  # >= 4,096 characters in any encoding a page uses


class MetaRefreshMiddleware(_KeepReferer, redirect.MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        if not isinstance(response, HtmlResponse) or len(response.body) <= _REFRESH_HEAD_BYTES:
            return super().process_response(request, response)
        # the head alone, decoded as the whole page would be (the encoding is found from all of it)
        head = response.replace(body=response.body[:_REFRESH_HEAD_BYTES], encoding=response.encoding)
        result = super().process_response(request, head)
        return response if result is head else result
