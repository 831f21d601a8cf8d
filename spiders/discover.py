"""The discovery spider of ``xxgk init``: a small, bounded crawl of one disclosure site that keeps each page's
decoded HTML (capped) so ``monitor.onboard`` can read its navigation and its 信息公开目录 tables.

Run as a subprocess by ``monitor.onboard.crawl``::

    python -m spiders.discover --input job.json --output pages.jsonl

``job.json`` is ``{"start_url", "max_pages", "max_depth", "settings": {Scrapy settings}}``. It follows links on the
start host only; links to the school's other sites (subdomains of the same domain, or other ports of the same
address) get one visit to their home page (its title names the unit), nothing deeper. Each output line is
``{url, depth, status, html, unit_site}``.
"""
from __future__ import annotations

import sys
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urldefrag, urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawler.extract.encoding import decode_html
from crawler.resolver import allow_hosts
from crawler.scope import COUNTER_RE, CheckScope
from spiders.jobfile import run_job
from spiders.linkcheck import is_file_url

HTML_CHARS = 400_000          # a directory page is a few dozen KB; anything bigger is cut
_NOT_PAGES = (".css", ".js", ".ico")   # besides files (spiders.linkcheck.is_file_url): nothing to read


def site_root(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}/"


def is_school_site(start: str, other: str) -> bool:
    """Whether ``other`` is one of the school's sites beside ``start``: a subdomain of the same domain
    (xxgk.example.edu.cn → cwc.example.edu.cn), or another port of the same address (a local test estate)."""
    a, b = urlsplit(start), urlsplit(other)
    if b.scheme not in ("http", "https") or not b.hostname or a.netloc.lower() == b.netloc.lower():
        return False
    ha, hb = (a.hostname or "").lower(), b.hostname.lower()
    if ha == hb:
        return True
    labels = ha.split(".")
    base = ".".join(labels[1:]) if len(labels) > 2 else ha
    return hb.endswith("." + base) and base.count(".") >= 1


class DiscoverSpider(scrapy.Spider):
    name = "discover"

    def __init__(self, start_url: str, max_pages: int = 150, max_depth: int = 3, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_url = start_url
        self.host = urlsplit(start_url).netloc.lower()
        self.max_pages, self.max_depth = int(max_pages), int(max_depth)
        self.seen: set[str] = set()
        self.unit_roots: set[str] = set()
        hostname = (urlsplit(start_url).hostname or "").lower()
        # the start host may be an internal address (a campus intranet, a local test estate): it was asked for
        self.scope = CheckScope(frozenset({hostname, self.host}), COUNTER_RE)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.seen.add(self.start_url)
        yield scrapy.Request(self.start_url, callback=self.parse, meta={"depth_": 0})

    def parse(self, response: Response) -> Iterator[Any]:
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if "html" not in ctype.lower() and not response.body.lstrip()[:1] == b"<":
            return
        header = ctype or None
        text, _ = decode_html(response.body, header)
        depth = response.meta.get("depth_", 0)
        unit = bool(response.meta.get("unit_site"))
        if depth == 0 and urlsplit(response.url).netloc.lower() != self.host:
            # the start address redirected (http → https, xxgk.… → www.…/xxgk/): the site is where it landed
            self.host = urlsplit(response.url).netloc.lower()
        yield {"url": response.url, "depth": depth, "status": response.status, "html": text[:HTML_CHARS],
               "unit_site": unit}
        if unit:
            return
        for href in response.css("a::attr(href)").getall()[:2000]:
            url = urldefrag(urljoin(response.url, href.strip()))[0]
            if not url.startswith(("http://", "https://")) or COUNTER_RE.search(url):
                continue
            if urlsplit(url).netloc.lower() != self.host:
                root = site_root(url)
                if is_school_site(self.start_url, url) and root not in self.unit_roots and len(self.unit_roots) < 40:
                    self.unit_roots.add(root)
                    # the unit site's host is the school's: allow it even on an internal address (a campus
                    # intranet), in the scope check and in the DNS guard
                    hostname = (urlsplit(root).hostname or "").lower()
                    self.scope = CheckScope(self.scope.configured_hosts | {hostname, urlsplit(root).netloc.lower()},
                                            COUNTER_RE)
                    allow_hosts([hostname])
                    yield scrapy.Request(root, callback=self.parse, meta={"depth_": depth + 1, "unit_site": True})
                continue
            if depth >= self.max_depth or url in self.seen or len(self.seen) >= self.max_pages:
                continue
            if is_file_url(url) or urlsplit(url).path.lower().endswith(_NOT_PAGES) or "download" in url.lower():
                continue
            self.seen.add(url)
            yield scrapy.Request(url, callback=self.parse, meta={"depth_": depth + 1})


def main(argv: list[str] | None = None) -> int:
    return run_job("spiders.discover", DiscoverSpider, lambda job: {
        "start_url": job["start_url"], "max_pages": job.get("max_pages", 150), "max_depth": job.get("max_depth", 3)},
        argv)


if __name__ == "__main__":
    sys.exit(main())
