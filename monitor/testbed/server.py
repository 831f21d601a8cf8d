"""Serve every site of the estate on its own 127.0.0.1 port (stdlib ThreadingHTTPServer).

Responses are rendered once per (site, request target, as-of day) and cached, carry an ETag
(hash of the body) and, where the CMS would send one, a Last-Modified date; conditional requests
get 304. Every request is logged for tests ("no counter URL fetched", "answered 304")."""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Iterator, NamedTuple
from urllib.parse import parse_qsl

from monitor.testbed.cms.base import Resp, SiteBase

if TYPE_CHECKING:
    from monitor.testbed import Testbed

SERVER_NAMES = {"webplus": "nginx", "vsb": "VWebServer", "trs": "Apache", "jsp": "Apache-Coyote/1.1",
                "asp": "Microsoft-IIS/6.0", "portal": "nginx/1.14.2"}
HEADERS_OF_INTEREST = ("If-None-Match", "If-Modified-Since", "User-Agent", "Range")


class RequestRecord(NamedTuple):
    """One served request; unpacks as (site, method, path, status, headers)."""
    site: str
    method: str
    path: str                 # path + query as requested
    status: int
    headers: dict             # the request headers of interest (conditional GET, User-Agent, Range)


class RequestLog:
    """Thread-safe, append-only log of served requests."""

    def __init__(self) -> None:
        self._items: list[RequestRecord] = []
        self._lock = threading.Lock()

    def append(self, rec: RequestRecord) -> None:
        with self._lock:
            self._items.append(rec)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, i):
        return self.snapshot()[i]

    def filter(self, site: str | None = None, status: int | None = None, contains: str | None = None) -> list[RequestRecord]:
        return [r for r in self.snapshot() if (site is None or r.site == site)
                and (status is None or r.status == status) and (contains is None or contains in r.path)]


@dataclass
class Rendered:
    status: int
    body: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: datetime | None


def _http_date(d: date) -> datetime:
    # Static pages are regenerated on publication; 08:00 CST = 00:00 GMT that day.
    return datetime(d.year, d.month, d.day, 0, 0, 0, tzinfo=timezone.utc)


def _not_found(site: SiteBase) -> Resp:
    return Resp(404, "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>"
                     "<p>您访问的页面不存在。</p></body></html>")


def render(site: SiteBase, target: str, as_of: date) -> Rendered:
    path, _, raw_query = target.partition("?")
    query = dict(parse_qsl(raw_query, keep_blank_values=True))
    return finish(site, site.route(path, query, raw_query, as_of) or _not_found(site), as_of)


def finish(site: SiteBase, resp: Resp, as_of: date) -> Rendered:
    """Encode a site's answer and give it its HTTP headers (Content-Type, ETag, Last-Modified)."""
    if isinstance(resp.body, str):
        body = resp.body.encode(resp.encoding or site.encoding, errors="xmlcharrefreplace")
    else:
        body = resp.body
    headers = dict(resp.headers)
    ctype = resp.ctype
    charset = site.header_charset if resp.charset_header == "site" else resp.charset_header
    if ctype.startswith("text/html") and charset:
        ctype = f"{ctype}; charset={charset}"
    elif ctype.startswith(("text/plain", "text/css", "application/javascript")) and resp.charset_header == "site":
        ctype = f"{ctype}; charset={site.encoding}"
    headers["Content-Type"] = ctype
    etag = lm = None
    if resp.status == 200 and "Cache-Control" not in headers:
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers["ETag"] = etag
        if resp.changed is not None:
            lm = _http_date(min(resp.changed, as_of))
            headers["Last-Modified"] = format_datetime(lm, usegmt=True)
    return Rendered(resp.status, body, headers, etag, lm)


class RenderCache:
    def __init__(self, limit: int = 30000):
        self._data: dict[tuple[str, str, date], Rendered] = {}
        self._lock = threading.Lock()
        self.limit = limit

    def get(self, site: SiteBase, target: str, as_of: date) -> Rendered:
        key = (site.key, target, as_of)
        with self._lock:
            hit = self._data.get(key)
        if hit is not None:
            return hit
        out = render(site, target, as_of)
        if out.status == 200 and "Cache-Control" in out.headers:
            return out   # counters are never cached
        with self._lock:
            if len(self._data) >= self.limit:
                self._data.clear()
            self._data[key] = out
        return out


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: "SiteHTTPServer"

    def version_string(self) -> str:
        return SERVER_NAMES.get(self.server.site.cms, "nginx")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        if self.server.testbed.latency:
            time.sleep(self.server.testbed.latency)
        tb = self.server.testbed
        site = self.server.site
        target = self.path
        if target.startswith("http://") or target.startswith("https://"):
            target = "/" + target.split("/", 3)[-1] if target.count("/") >= 3 else "/"
        pause = site.delay_for(target)
        if pause:
            time.sleep(pause)     # a slow system: the client may give up first (then the write fails quietly)
        # a site behind an anti-bot wall answers requests without its cookie with the challenge (never cached)
        wall = site.gate(target, self.headers.get("Cookie", ""), tb.as_of)
        rendered = finish(site, wall, tb.as_of) if wall is not None else tb._cache.get(site, target, tb.as_of)
        status, headers, body = rendered.status, dict(rendered.headers), rendered.body
        if status == 200 and rendered.etag:
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            fresh = False
            if inm is not None:
                fresh = _etag_matches(inm, rendered.etag)
            elif ims and rendered.last_modified is not None:
                try:
                    fresh = rendered.last_modified <= parsedate_to_datetime(ims)
                except (TypeError, ValueError):
                    fresh = False
            if fresh:
                status, body = 304, b""
                headers = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}
        interest = {k: self.headers[k] for k in HEADERS_OF_INTEREST if self.headers.get(k)}
        tb._log.append(RequestRecord(site.key, self.command, self.path, status, interest))
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not head and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], site: SiteBase, testbed: "Testbed"):
        self.site = site
        self.testbed = testbed
        super().__init__(addr, _Handler)


def serve_site(site: SiteBase, testbed: "Testbed", port: int = 0) -> tuple[SiteHTTPServer, threading.Thread]:
    httpd = SiteHTTPServer(("127.0.0.1", port), site, testbed)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                              name=f"testbed-{site.key}", daemon=True)
    thread.start()
    return httpd, thread
