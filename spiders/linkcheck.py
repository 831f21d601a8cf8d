"""The link-check spider: one status per URL, politely (files: HEAD, then GET when HEAD is not enough;
pages: one GET, whose body tells challenge pages, login walls and soft 404s apart).

Run as a subprocess by ``monitor.compliance.links.run_checker``::

    python -m spiders.linkcheck --input job.json --output results.jsonl

``job.json`` is ``{"urls": [...], "configured_hosts": [...], "settings": {Scrapy settings}}``; each output line is
``{url, method, status, final_url, redirects, content_type, body, error, elapsed_ms}`` (``body`` is
the first few kilobytes of small HTML answers, enough to recognise anti-bot challenge pages and
login walls). Classification happens in ``monitor.compliance.links.classify``, not here.
"""
from __future__ import annotations

import sys
import time
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.extract.encoding import decode_html
from crawler.middlewares import OutOfScope
from crawler.resolver import InternalAddress
from crawler.scope import COUNTER_RE, CheckScope
from spiders.jobfile import run_job

BODY_CHARS = 6000
# GET after a good HEAD only for HTML small enough to be a challenge page or a login wall.
SMALL_HTML_BYTES = 20000
# Error answers reach the callback; redirects are still followed (a redirect to CAS is a login wall).
_ERROR_CODES = list(range(400, 600))


class LinkCheckSpider(scrapy.Spider):
    name = "linkcheck"

    def __init__(self, urls: list[str], configured_hosts: list[str] | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.urls = list(dict.fromkeys(urls))  # each URL at most once per run
        # every request, redirects included, passes this in crawler.middlewares.SafetyMiddleware
        self.scope = CheckScope(frozenset(h.lower() for h in configured_hosts or ()), COUNTER_RE)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield self._request(url, "HEAD" if is_file_url(url) else "GET")

    def _request(self, url: str, method: str) -> scrapy.Request:
        return scrapy.Request(url, method=method, callback=self.parse, errback=self.failed, dont_filter=True,
                              meta={"handle_httpstatus_list": _ERROR_CODES, "check_url": url, "method": method,
                                    "t0": time.monotonic()})

    def parse(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        method = meta["method"]
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if method == "HEAD" and self._needs_get(response, ctype):
            yield self._request(meta["check_url"], "GET")
            return
        body = ""
        if method == "GET" and ("html" in ctype or not ctype or response.status >= 400):
            # the crawler's decoder, on the whole body (DOWNLOAD_MAXSIZE bounds it): a cut in the middle of a
            # character would make a UTF-8 page that declares gb2312 look like GB18030
            body = decode_html(response.body, ctype)[0][:BODY_CHARS]
        latency = meta.get("download_latency")
        yield {
            "url": meta["check_url"], "method": method, "status": response.status, "final_url": response.url,
            "redirects": meta.get("redirect_urls") or [], "content_type": ctype, "body": body, "error": None,
            "elapsed_ms": int((latency if latency is not None else time.monotonic() - meta["t0"]) * 1000),
        }

    @staticmethod
    def _needs_get(response: Response, ctype: str) -> bool:
        if response.status >= 400:  # many servers answer HEAD wrongly (405, 403, 404, 500)
            return True
        if "html" in ctype or not ctype:
            length = response.headers.get("Content-Length")
            try:
                return length is None or int(length) <= SMALL_HTML_BYTES
            except ValueError:
                return True
        return False

    def failed(self, failure: Failure) -> Iterator[Any]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # Scrapy attaches it
        meta = request.meta
        error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]
        name = failure.type.__name__
        refused = None  # the scope's reason code when the URL (or a redirect's target) was not fetched
        if failure.check(OutOfScope):
            refused = failure.value.refusal.code
        elif failure.check(InternalAddress):
            refused = "address"
        network = ("DNSLookupError" in name or "Timeout" in name or "TimedOut" in name)
        if meta["method"] == "HEAD" and not network and not refused and "IgnoreRequest" not in name:
            yield self._request(meta["check_url"], "GET")
            return
        yield {
            "url": meta["check_url"], "method": meta["method"], "status": None, "final_url": request.url,
            "redirects": meta.get("redirect_urls") or [], "content_type": "", "body": "", "error": error,
            "refused": refused, "elapsed_ms": int((time.monotonic() - meta["t0"]) * 1000),
        }


_FILE_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".zip", ".rar",
                    ".7z", ".txt", ".csv", ".jpg", ".jpeg", ".png", ".gif", ".mp4", ".mp3", ".avi", ".flv", ".swf",
                    ".exe", ".apk", ".iso", ".tar", ".gz", ".ofd", ".caj")


def is_file_url(url: str) -> bool:
    """Files get a HEAD (their body is not needed); pages get a GET straight away, because recognising an
    anti-bot challenge, a login form or a soft 404 needs the body anyway (HEAD + GET would be two requests)."""
    path = urlsplit(url).path.lower()
    return path.endswith(_FILE_EXTENSIONS) or "download" in path


def main(argv: list[str] | None = None) -> int:
    return run_job("spiders.linkcheck", LinkCheckSpider, lambda job: {
        "urls": job["urls"], "configured_hosts": job.get("configured_hosts") or []}, argv)


if __name__ == "__main__":
    sys.exit(main())
