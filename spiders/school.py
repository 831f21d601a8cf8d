"""The scan spider: the disclosure site, every unit site, and the unit-site columns the disclosure
site links to. It fetches pages and attachments, hands each response to ``crawler.extract`` and
yields one item per URL for the store pipeline. Re-scans send conditional requests with the
validators kept in our database, and follow a 304 page's stored links so nothing is lost."""
from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import datetime
from typing import Any, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.extract import extract
from crawler.extract.records import PAGINATION_LINK_TEXT
from crawler.middlewares import OutOfScope
from crawler.scope import COUNTER_RE, Scope, canonical_url, netloc_of
from crawler.settings import ATTACHMENT_EXTENSIONS, SKIP_EXTENSIONS
from crawler.traps import TrapGuard
from monitor.core import clock

_ATTACHMENT_TYPES = ("pdf", "msword", "officedocument", "ms-excel", "ms-powerpoint", "zip", "rar", "octet-stream",
                     "wps", "vnd.ms-")


_HANDLED_STATUSES = [304, *range(400, 600)]


def is_attachment_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(ATTACHMENT_EXTENSIONS)


def _skip_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(SKIP_EXTENSIONS)


class SchoolSpider(scrapy.Spider):
    name = "school"
    custom_settings = {
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
    }

    def __init__(self, cfg: Any, scan_id: int, known: dict[str, dict], known_links: dict[str, list[tuple[str, str]]],
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = cfg
        self.scan_id = scan_id
        self.scope = Scope.from_config(cfg, counter_re=COUNTER_RE)
        self.known = known                  # canonical url -> {etag, last_modified, list_root}
        self.known_links = known_links      # canonical url -> stored (outlink, text) pairs (for 304 pages)
        crawl = cfg.crawl
        self.max_pages = crawl.max_pages_per_site
        self.max_depth = crawl.max_depth
        self.traps = TrapGuard(crawl.max_query_variants, crawl.max_calendar_variants)
        self.fetch_attachments = crawl.fetch_attachments
        self.revisit_days = crawl.revisit_days
        self.now = clock.now()
        self.selectors = {host.lower(): sel for host, sel in (crawl.selectors or {}).items()}
        self.pages_per_site: dict[str, int] = defaultdict(int)
        self.limits_hit: dict[tuple[str, str], dict] = {}
        self.skipped_counter = 0
        self.site_stats: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.seen: set[str] = set()

    # ----- requests -------------------------------------------------------------------------
    async def start(self):
        starts: list[tuple[str, Any]] = [(s.url, s) for s in self.scope.sites if s.role != "extra"]
        for item in self.cfg.catalog_obj.items:
            for col in getattr(item, "columns", None) or []:
                starts.append((col, self.scope.site_for(col)))
        for url, site in starts:
            for out in self._emit(url, depth=0, referrer=None, site=site):
                yield out

    def _limit(self, limit: str, site: str, value: Any, detail: str = "") -> None:
        key = (limit, site)
        if key not in self.limits_hit:
            self.limits_hit[key] = {"limit": limit, "site": site, "value": value, "detail": detail, "count": 0}
        self.limits_hit[key]["count"] += 1

    def _request(self, url: str, *, depth: int, referrer: str | None, site=None, list_root: str | None = None,
                 attachment: bool = False) -> scrapy.Request | dict | None:
        url = canonical_url(url)
        if url in self.seen:
            return None
        if _skip_url(url):
            return None
        refusal = self.scope.refusal(url)
        if refusal is not None:
            if refusal.code == "counter":
                self.skipped_counter += 1
            elif refusal.code in ("address", "port"):
                self._limit("internal_address", "", netloc_of(url), url)
            return None
        site = site or self.scope.site_for(url)
        if site is None:
            return None
        if depth > self.max_depth:
            self._limit("max_depth", site.url, self.max_depth, url)
            return None
        trap = self.traps.check(url)
        if trap is not None:
            self._limit("trap", site.url, trap, url)
            return None
        known = self.known.get(url)
        if known and self._fresh(url, known):
            # Checked recently and unchanged since: new content arrives through the column lists,
            # which are always fetched, so this page waits for its next revisit.
            self.seen.add(url)
            self.site_stats[site.url]["skipped"] += 1
            return {"type": "fresh", "scan_id": self.scan_id, "url": url, "site": site.url, "unit": site.unit,
                    "depth": depth, "referrer": referrer, "list_root": list_root, "status": None}
        if self.pages_per_site[site.url] >= self.max_pages:
            self._limit("max_pages_per_site", site.url, self.max_pages)
            return None
        self.pages_per_site[site.url] += 1
        self.seen.add(url)
        headers = {}
        if known:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        if referrer:
            headers["Referer"] = referrer
        meta = {
            # Every answer but a redirect comes to parse (errors are recorded against their URL);
            # redirects are left to RedirectMiddleware, which `handle_httpstatus_all` would switch off.
            "handle_httpstatus_list": _HANDLED_STATUSES,
            "download_slot": netloc_of(url),  # politeness per host:port
            "depth": depth,
            "site": site.url,
            "unit": site.unit,
            "referrer": referrer,
            "list_root": list_root,
            "attachment": attachment,
        }
        return scrapy.Request(url, callback=self.parse, errback=self.on_error, headers=headers, meta=meta,
                              priority=-depth, dont_filter=True)

    def _fresh(self, url: str, known: dict) -> bool:
        if not self.revisit_days or known.get("kind") not in ("article", "attachment"):
            return False
        if known.get("last_status") not in (200, 304) or not known.get("last_seen_at"):
            return False
        # Spread re-checks over 0.5x-1.5x the period per URL so they do not all fall on one night.
        period = self.revisit_days * 86400 * (0.5 + (zlib.crc32(url.encode()) % 1000) / 1000)
        age = (self.now - datetime.fromisoformat(known["last_seen_at"])).total_seconds()
        return 0 <= age < period

    def _emit(self, url: str, **kw: Any) -> Iterator:
        """The request for a URL, or, for a page checked recently, its `fresh` item plus what the
        page links (from the store): pages reached only through it must stay reached."""
        out = self._request(url, **kw)
        if out is None:
            return
        yield out
        if isinstance(out, dict):
            meta = {"depth": kw["depth"], "list_root": kw.get("list_root")}
            yield from self._follow(out["url"], meta, None, self.known_links.get(out["url"]))

    def _follow(self, response_url: str, meta: dict, record: Any | None,
                stored: list[tuple[str, str]] | None) -> Iterator:
        depth = meta["depth"]
        root = meta.get("list_root") or response_url
        from_disclosure = self.scope.site_for(response_url)
        from_disclosure = from_disclosure is not None and from_disclosure.role == "disclosure"
        if record is not None:
            pagination = record.pagination
            attachments = [a.url for a in record.attachments]
            links = [l.url for l in record.links]
        else:  # 304: the page is unchanged, follow what we stored for it
            pairs = stored or []
            pagination = [u for u, text in pairs
                          if text == PAGINATION_LINK_TEXT or self.known.get(u, {}).get("list_root") == root]
            links = [u for u, _ in pairs]
            attachments = [u for u in links if is_attachment_url(u)]
        for url in pagination:
            yield from self._emit(url, depth=depth, referrer=response_url, list_root=root)
        if self.fetch_attachments:
            for url in attachments:
                yield from self._emit(url, depth=depth + 1, referrer=response_url, attachment=True)
        for url in links:
            if is_attachment_url(url):
                if self.fetch_attachments:
                    yield from self._emit(url, depth=depth + 1, referrer=response_url, attachment=True)
                continue
            if not self.scope.allows(url):
                # A disclosure-site column that only links off-site: the item lives on that site.
                if from_disclosure and url.startswith(("http://", "https://")) and self.scope.may_link(url):
                    self.scope.add(_site_root(url), None, "linked")
                else:
                    continue
            yield from self._emit(url, depth=depth + 1, referrer=response_url)

    # ----- responses ------------------------------------------------------------------------
    # Extraction stays on the reactor thread: run in a worker thread it made the crawl faster
    # against slow servers, but lxml work in a long-lived thread grew the crawl's memory 3-4x on
    # the large estate (docs/benchmarks.md); bounded memory matters more on a small campus server.
    def parse(self, response: Response, **kwargs: Any) -> Iterator:
        meta = response.meta
        url = canonical_url(response.request.url)
        final_url = canonical_url(response.url)
        status = response.status
        base = {"scan_id": self.scan_id, "url": url, "final_url": final_url, "site": meta["site"],
                "unit": meta["unit"], "depth": meta["depth"], "referrer": meta["referrer"],
                "list_root": meta.get("list_root"), "status": status}
        stats = self.site_stats[meta["site"]]
        if status == 304:
            stats["not_modified"] += 1
            yield {**base, "type": "not_modified"}
            yield from self._follow(url, meta, None, self.known_links.get(url))
            return
        if status >= 400 or status < 200:
            stats["errors"] += 1
            yield {**base, "type": "failed", "error": f"HTTP {status}"}
            return
        stats["pages"] += 1
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        ctype = headers.get("Content-Type", "").lower()
        body = response.body
        # Scrapy title-cases header names ("Etag"): look validators up without regard to case
        validators = {"etag": _header(headers, "ETag"), "last_modified": _header(headers, "Last-Modified")}
        if meta.get("attachment") or is_attachment_url(url) or any(t in ctype for t in _ATTACHMENT_TYPES):
            # Files are read by crawler.pipelines.DocumentPipeline in a worker process, off the reactor
            # thread: a hostile file may cost that worker its time or memory limit, never the crawl.
            yield {**base, "type": "document", "body": body, "headers": headers, "content_type": ctype, **validators}
            return
        if "html" not in ctype and not body.lstrip()[:200].lower().startswith((b"<!doctype", b"<html", b"<")):
            yield {**base, "type": "other", "headers": headers, "size": len(body), **validators}
            return
        host = netloc_of(url)
        selectors = self.selectors.get(host) or self.selectors.get(host.split(":")[0])
        try:
            record = extract(body, final_url, headers, selectors=selectors, today=clock.today())
        except Exception as exc:  # a malformed page is recorded against its URL; the scan goes on
            stats["errors"] += 1
            yield {**base, "type": "failed", "error": f"解析失败: {type(exc).__name__}: {exc}"[:500]}
            return
        if (getattr(record, "metadata", None) or {}).get("challenge"):
            # An anti-bot challenge (瑞数 $_ts …) is not the page: report it as blocked, keep the
            # stored version as it was, and do not follow its links.
            stats["errors"] += 1
            yield {**base, "type": "failed", "error": "blocked: 反爬虫验证页面（未计为页面内容）"}
            return
        yield {**base, "type": "page", "record": record, "body": body, "headers": headers, **validators}
        yield from self._follow(url, meta, record, None)

    def on_error(self, failure: Failure) -> Iterator:
        request = failure.request
        meta = request.meta
        # A redirected request carries the URL it started from: the failure belongs to that URL.
        url = canonical_url((meta.get("redirect_urls") or [request.url])[0])
        error = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]
        site = meta.get("site", "")
        if failure.check(OutOfScope):
            refusal = failure.value.refusal
            if not meta.get("redirect_urls"):
                return  # a link the scope refuses was never ours to fetch: policy, not a failure of a page
            # A page that redirects (3xx, meta refresh) out of scope: recorded against that page, never fetched.
            self._limit("redirect_out_of_scope", site, refusal.code, url)
            error = f"重定向到配置范围以外的网站：{request.url[:300]}（{refusal.message}）"[:500]
        elif failure.check(HttpError):
            response = failure.value.response
            location = response.headers.get("Location", b"").decode("latin-1", "replace")
            if 300 <= response.status < 400:  # Scrapy follows only http(s): file://, ftp:// … stop here
                error = f"重定向到不支持的地址（HTTP {response.status}）：{location[:300]}"[:500]
            else:
                error = f"HTTP {response.status}"
        elif failure.check(IgnoreRequest):
            reason = str(failure.value)
            if "robots.txt" in reason:
                self._limit("robots", site, "disallowed", url)
                return
            if "max redirections" in reason:
                error = f"重定向次数过多（可能是重定向循环）：{request.url}"[:500]
            elif "DOWNLOAD_MAXSIZE" in reason and "decompress" in reason:  # a gzip/deflate/br bomb
                self._limit("max_download_mb", site, self.cfg.crawl.max_download_mb, url)
                error = f"解压后超过下载大小上限（{self.cfg.crawl.max_download_mb:g} MB），文件过大或过于复杂，已跳过"
        if "maxsize" in error.lower() or "Cancelled" in error:
            self._limit("max_download_mb", site, self.cfg.crawl.max_download_mb, url)
        self.site_stats[site]["errors"] += 1
        yield {"type": "failed", "scan_id": self.scan_id, "url": url, "final_url": url, "site": meta.get("site"),
               "unit": meta.get("unit"), "depth": meta.get("depth"), "referrer": meta.get("referrer"),
               "list_root": meta.get("list_root"), "status": 0, "error": error}


def _header(headers: dict[str, str], name: str) -> str | None:
    name = name.lower()
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _site_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
