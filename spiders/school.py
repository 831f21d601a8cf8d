"""The scan spider: the disclosure site, every unit site, and the unit-site columns the disclosure
site links to. It fetches pages and attachments, hands each HTML response to ``crawler.extract`` (in worker
processes, ``crawler.extract.page_pool``) and yields one item per URL for the store pipeline. Re-scans send conditional requests with the
validators kept in our database, and follow a 304 page's stored links so nothing is lost.

Two ways to run it, one scan either way: ``xxgk scan`` starts ``crawler.worker``, which gives the spider
the scan row it created; ``scrapy crawl school -a config=xxgk.yaml`` (the project's ``scrapy.cfg``) makes
the spider build itself from the config in :meth:`SchoolSpider.from_crawler` — the config's settings, the
scan lock and the scan row (trigger ``scrapy``) — and, when the crawl closes, run the same matching,
assessment and compliance checks as ``xxgk scan`` (``python -m monitor.scan``, in a child process: the
crawl process loads none of them). The per-site counters go to the scan row and to Scrapy's stats
(``xxgk/<counter>`` and ``xxgk/<counter>/<site>``).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import zlib
from collections import defaultdict, deque
from concurrent.futures import Future
from datetime import datetime
from typing import Any, AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.extract.page_pool import ExtractFailed, PagePool
from crawler.extract.records import PAGINATION_LINK_TEXT, PageRecord
from crawler.middlewares import OutOfScope
from crawler.pipelines import await_thread
from crawler.render import Budget, cookies_of, looks_like_challenge, plan_from_config, rendered_meta
from crawler.resolver import allow_hosts
from crawler.scope import COUNTER_RE, Scope, Site, canonical_url, netloc_of
from crawler.settings import scan_settings
from crawler.traps import TrapGuard
from monitor.core import clock
from monitor.core.locks import ScanLock
from monitor.core.vocab import CRAWL_END
from monitor.store import history, open_db
from monitor.store.pages import finish_scan, mark_interrupted, start_scan

ATTACHMENT_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".zip", ".rar", ".7z", ".txt", ".csv",
)
# Files we never download (but still record as links).
SKIP_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".svg", ".ico", ".css", ".js", ".mp4", ".mp3", ".avi", ".flv",
    ".wmv", ".mov", ".swf", ".exe", ".apk", ".iso", ".woff", ".woff2", ".ttf",
)
_ATTACHMENT_TYPES = ("pdf", "msword", "officedocument", "ms-excel", "ms-powerpoint", "zip", "rar", "octet-stream",
                     "wps", "vnd.ms-")


_HANDLED_STATUSES = [304, *range(400, 600)]
PAGE_WORKERS = 2         # extraction processes of a crawl (crawler.extract.page_pool)


def is_attachment_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(ATTACHMENT_EXTENSIONS)


def _skip_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(SKIP_EXTENSIONS)


def known_pages(db: Any) -> dict[str, history.KnownPage]:
    """Stored pages, and files skipped at a limit (their validators and hash: the same file is not
    read again, crawler.pipelines.DocumentPipeline)."""
    from crawler.extract.documents import TOO_COMPLEX, is_too_complex

    known: dict[str, history.KnownPage] = {}
    for page in history.known_pages(db, TOO_COMPLEX):
        page.too_complex = is_too_complex(page.last_error)
        known[page.url] = page
    return known


class LinkLookup(dict):
    """url -> stored outlinks as (url, text), queried lazily (only 304 and recently checked pages need
    them). The text tells pagination apart (``PAGINATION_LINK_TEXT``), also for a further page that an
    interrupted scan never stored."""

    def __init__(self, db: Any) -> None:
        super().__init__()
        self.db = db

    def get(self, url: str, default: Any = None) -> Any:
        return history.outlinks(self.db, url) or default


class OwnScan:
    """The scan a ``scrapy crawl school`` process runs itself: the lock, the row, the config's path."""

    def __init__(self, config_path: str, cfg: Any) -> None:
        self.config_path = config_path
        self.cfg = cfg
        self.db = open_db(cfg.database_target)
        # Raises LockHeld (「另一个扫描正在进行」) when another scan of this database runs.
        self.lock = ScanLock(cfg.database_path, purpose="scan:scrapy").acquire()
        mark_interrupted(self.db)  # under the lock, as `xxgk scan` does
        self.scan_id = start_scan(self.db, "scrapy", pid=os.getpid())
        self.lock.update(scan_id=self.scan_id)

    def after_crawl(self) -> None:
        """Matching, assessment and compliance checks (when the crawl finished) and the metrics file, in a
        child process that prints the scan's summary like ``xxgk scan``; then the lock goes."""
        try:
            subprocess.run([sys.executable, "-m", "monitor.scan", "--config", self.config_path,
                            "--scan-id", str(self.scan_id)], env=clock.env_for_child(), check=False)
        finally:
            self.lock.release()


def _config_path(config: str | None) -> str:
    """``-a config=PATH``, else what every ``xxgk`` command reads: ``XXGK_CONFIG``, then ``./xxgk.yaml``."""
    return config or os.environ.get("XXGK_CONFIG") or "xxgk.yaml"


class SchoolSpider(scrapy.Spider):
    name = "school"
    # Breadth first: columns and their lists before the depths of any one site.
    custom_settings = {"SCHEDULER_MEMORY_QUEUE": "crawler.frontier.CompactFifoQueue"}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "SchoolSpider":
        """``crawler.worker`` passes ``cfg`` and ``scan_id``; ``scrapy crawl school [-a config=PATH]`` passes at
        most a path, and the spider reads the config, takes the scan lock and opens the scan row itself."""
        own: OwnScan | None = None
        if "cfg" not in kwargs:
            from monitor.config import load_config

            path = _config_path(kwargs.pop("config", None))
            cfg = load_config(path)
            if crawler.settings.frozen:
                # `scrapy shell --spider school`: the config's scope for fetching, but no scan and no store
                # (the settings were fixed before the spider existed).
                kwargs.update(cfg=cfg, scan_id=None, known={}, known_links={})
            else:
                own = OwnScan(path, cfg)
                kwargs.update(cfg=cfg, scan_id=own.scan_id, known=known_pages(own.db),
                              known_links=LinkLookup(open_db(cfg.database_target)))
        if not crawler.settings.frozen:
            # the config's settings (politeness, limits, the store), below `-s` on the command line
            crawler.settings.setdict(scan_settings(kwargs["cfg"]), priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.own_scan = own
        # `scrapy shell --spider school` fetches without start(): tell the DNS guard when the spider opens
        crawler.signals.connect(spider._allow_configured_hosts, signal=signals.spider_opened)
        return spider

    def __init__(self, cfg: Any, scan_id: int | None, known: dict[str, history.KnownPage],
                 known_links: dict[str, list[tuple[str, str]]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cfg = cfg
        self.scan_id = scan_id
        self.own_scan: OwnScan | None = None
        self.pipeline: Any = None             # the StorePipeline, once it opened
        self.finished_status: str | None = None
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
        # Browser rendering (crawl.render): what may be rendered, and the cookies a rendered challenge set
        # per host:port (they unlock plain fetches for the rest of the crawl).
        self.render_plan = plan_from_config(crawl)
        self.render_budget = Budget(self.render_plan)
        self.cookies: dict[str, str] = {}
        # HTML extraction runs in worker processes (crawler.extract.page_pool), started on first use
        self.pages_pool: PagePool | None = None

    # ----- counters -------------------------------------------------------------------------
    def count(self, site: str | None, counter: str, n: int = 1) -> None:
        """One more of ``counter`` (pages, errors, not_modified …) for a site: in the scan row's per-site
        figures and in Scrapy's stats (its dump at the end of a crawl shows them)."""
        site = site or ""
        self.site_stats[site][counter] += n
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value(f"xxgk/{counter}", n)
            stats.inc_value(f"xxgk/{counter}/{site}", n)

    # ----- requests -------------------------------------------------------------------------
    def _allow_configured_hosts(self) -> None:
        # Under `scrapy crawl` the process's DNS guard was built from the project settings, before this config
        # was read: the configured sites' hosts may resolve to campus addresses, as in `xxgk scan`.
        allow_hosts(self.scope.configured_hosts)

    async def start(self) -> AsyncIterator[Any]:
        self._allow_configured_hosts()
        self._pages()  # the page workers import while the first requests go out
        starts: list[tuple[str, Site | None]] = [(s.url, s) for s in self.scope.sites if s.role != "extra"]
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

    def _request(self, url: str, *, depth: int, referrer: str | None, site: Site | None = None,
                 list_root: str | None = None, attachment: bool = False) -> scrapy.Request | dict | None:
        if url in self.seen:  # most links are canonical already and were met before (menus on every page)
            return None
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
            self.count(site.url, "skipped")
            return {"type": "fresh", "scan_id": self.scan_id, "url": url, "site": site.url, "unit": site.unit,
                    "depth": depth, "referrer": referrer, "list_root": list_root, "status": None}
        if self.pages_per_site[site.url] >= self.max_pages:
            self._limit("max_pages_per_site", site.url, self.max_pages)
            return None
        self.pages_per_site[site.url] += 1
        self.seen.add(url)
        headers: dict[str, str] = {}
        if known:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        if referrer:
            headers["Referer"] = referrer
        if netloc_of(url) in self.cookies:
            headers["Cookie"] = self.cookies[netloc_of(url)]
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
        if not attachment and self.render_plan.always(url) and self.render_budget.take(url):
            meta = rendered_meta(meta, "configured", self.render_plan.timeout, self._render_context())
        return scrapy.Request(url, callback=self.parse, errback=self.on_error, headers=headers, meta=meta,
                              priority=-depth, dont_filter=True)

    def _render_context(self) -> dict:
        crawler = getattr(self, "crawler", None)
        return crawler.settings.getdict("XXGK_RENDER_CONTEXT") if crawler is not None else {}

    def _needs_browser(self, response: Response, base: dict, reason: str, record: Any | None = None,
                       stored: dict | None = None) -> Iterator:
        """A page only a browser can read (a challenge, a list filled in by script): fetched again with the
        challenge's cookie once another page of its host passed it, else rendered while the budget lasts,
        else stored as fetched and reported (limits ``needs_browser`` / ``render_max_pages…``)."""
        request, meta = response.request, response.meta
        host = netloc_of(base["url"])
        if (reason == "challenge" and host in self.cookies and request is not None
                and (request.headers.get("Cookie") or b"").decode("latin-1") != self.cookies[host]):
            headers = {**{k.decode(): v[0].decode("latin-1") for k, v in request.headers.items()},
                       "Cookie": self.cookies[host]}
            yield request.replace(headers=headers, dont_filter=True)
            return
        if request is not None and self.render_budget.take(base["url"]):
            yield request.replace(meta=rendered_meta(meta, reason, self.render_plan.timeout, self._render_context()), dont_filter=True)
            return
        limit = self.render_budget.limit_hit(base["url"])
        why = {"render_max_pages": f"已达每次扫描渲染上限（{self.render_plan.max_pages} 页）",
               "render_max_pages_per_host": f"已达单站渲染上限（{self.render_plan.max_pages_per_host} 页）"}.get(
            limit or "", self.render_plan.why_not() or "")
        self._limit(limit or "needs_browser", base["site"], reason, base["url"])
        self.count(base["site"], "needs_browser")
        if record is None:
            self.count(base["site"], "errors")
            yield {**base, "type": "failed", "needs_browser": reason,
                   "error": f"blocked: 反爬虫验证页面，需要浏览器才能读取（{why}）"[:500]}
            return
        yield {**base, "type": "page", "record": record, "body": response.body, "needs_browser": reason,
               **(stored or {})}
        yield from self._follow(base["url"], meta, record, None)

    def _fresh(self, url: str, known: history.KnownPage) -> bool:
        if not self.revisit_days or known.kind not in ("article", "attachment"):
            return False
        if known.last_status not in (200, 304) or not known.last_seen_at:
            return False
        # Spread re-checks over 0.5x-1.5x the period per URL so they do not all fall on one night.
        period = self.revisit_days * 86400 * (0.5 + (zlib.crc32(url.encode()) % 1000) / 1000)
        age = (self.now - datetime.fromisoformat(known.last_seen_at)).total_seconds()
        return 0 <= age < period

    def _emit(self, url: str, pending: deque | None = None, **kw: Any) -> Iterator:
        """The request for a URL; a page checked recently goes to ``pending`` instead (see :meth:`_fresh_pages`),
        and is dealt with here when there is no work list yet (a start URL)."""
        out = self._request(url, **kw)
        if out is None:
            return
        if not isinstance(out, dict):
            yield out
            return
        meta = {"depth": kw["depth"], "list_root": kw.get("list_root")}
        if pending is not None:
            pending.append((out, meta))
            return
        yield from self._fresh_pages(deque([(out, meta)]))

    def _fresh_pages(self, pending: deque) -> Iterator:
        """Pages checked recently (not fetched) met while following links, and what each links, from the store:
        pages reached only through one must stay reached. A work list, not recursion: a request found through a
        chain of such pages is not handed up through a generator per page of the chain. Each goes straight to the
        store's writer, not through Scrapy's item machinery (a re-scan meets thousands; as items they cost the
        reactor thread ~0.2 ms each)."""
        while pending:
            item, meta = pending.popleft()
            if self.pipeline is not None:
                self.pipeline.take(item)
            else:
                yield item
            yield from self._follow(item["url"], meta, None, self.known_links.get(item["url"]), pending)

    def _follow(self, response_url: str, meta: dict, record: Any | None,
                stored: list[tuple[str, str]] | None, pending: deque | None = None) -> Iterator:
        """Requests for what a page links; pages checked recently among them, and what those link, are dealt
        with at the end (``pending`` given: by the caller's :meth:`_fresh_pages`)."""
        top = pending is None
        pending = deque() if pending is None else pending
        depth = meta["depth"]
        root = meta.get("list_root") or response_url
        here = self.scope.site_for(response_url)
        from_disclosure = here is not None and here.role == "disclosure"
        if record is not None:
            pagination = record.pagination
            attachments = [a.url for a in record.attachments]
            links = [l.url for l in record.links]
        else:  # 304: the page is unchanged, follow what we stored for it
            pairs = stored or []
            pagination = [u for u, text in pairs
                          if text == PAGINATION_LINK_TEXT or getattr(self.known.get(u), "list_root", None) == root]
            links = [u for u, _ in pairs]
            attachments = [u for u in links if is_attachment_url(u)]
        for url in pagination:
            yield from self._emit(url, pending, depth=depth, referrer=response_url, list_root=root)
        if self.fetch_attachments:
            for url in attachments:
                yield from self._emit(url, pending, depth=depth + 1, referrer=response_url, attachment=True)
        seen = self.seen
        for url in links:
            if url in seen:  # requested (or found fresh) in this scan already: no scope test needed
                continue
            if is_attachment_url(url):
                if self.fetch_attachments:
                    yield from self._emit(url, pending, depth=depth + 1, referrer=response_url, attachment=True)
                continue
            if not self.scope.allows(url):
                # A disclosure-site column that only links off-site: the item lives on that site.
                if from_disclosure and url.startswith(("http://", "https://")) and self.scope.may_link(url):
                    self.scope.add(_site_root(url), None, "linked")
                else:
                    continue
            yield from self._emit(url, pending, depth=depth + 1, referrer=response_url)
        if top:
            yield from self._fresh_pages(pending)

    # ----- responses ------------------------------------------------------------------------
    # Extraction runs in PAGE_WORKERS worker processes, off the reactor thread (docs/benchmarks.md: it is
    # most of a page's CPU). Not in threads of this process: lxml work in a long-lived thread grew the
    # crawl's memory 3-4x on the large estate, and the GIL would keep it on one core anyway.
    def _pages(self) -> PagePool:
        """The page workers, started on the reactor thread (their parent-death signal follows the thread that
        spawned them)."""
        if self.pages_pool is None:
            self.pages_pool = PagePool(PAGE_WORKERS)
            self.pages_pool.start()
        return self.pages_pool

    def _close_pages(self) -> None:
        if self.pages_pool is not None:
            self.pages_pool.close()
        self.pages_pool = None

    async def _extract(self, body: bytes, url: str, headers: dict[str, str], selectors: Any) -> PageRecord:
        future = self._pages().submit(body, url, headers, selectors=selectors, today=clock.today())
        record: PageRecord = await await_thread(future)
        return record

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator:
        meta = response.meta
        url = canonical_url(response.request.url if response.request is not None else response.url)
        final_url = canonical_url(response.url)
        status = response.status
        base = {"scan_id": self.scan_id, "url": url, "final_url": final_url, "site": meta["site"],
                "unit": meta["unit"], "depth": meta["depth"], "referrer": meta["referrer"],
                "list_root": meta.get("list_root"), "status": status}
        site = meta["site"]
        rendered = meta.get("render_reason")
        if rendered:
            cookie = cookies_of(meta)
            if cookie:
                self.cookies[netloc_of(url)] = cookie
            if status >= 400 and not looks_like_challenge(response.body):
                status = base["status"] = 200   # the first answer was the challenge; the browser got past it
        elif status in (403, 412, 202, 521) and looks_like_challenge(response.body):
            for out in self._needs_browser(response, base, "challenge"):
                yield out
            return
        if status == 304:
            self.count(site, "not_modified")
            yield {**base, "type": "not_modified"}
            for out in self._follow(url, meta, None, self.known_links.get(url)):
                yield out
            return
        if status >= 400 or status < 200:
            self.count(site, "errors")
            yield {**base, "type": "failed", "error": f"HTTP {status}"}
            return
        self.count(site, "pages")
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        if rendered:  # the browser's DOM, serialised as UTF-8 whatever the server declared
            headers["Content-Type"] = "text/html; charset=utf-8"
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
            record = await self._extract(body, final_url, headers, selectors)
        except Exception as exc:  # a malformed page is recorded against its URL; the scan goes on
            self.count(site, "errors")
            why = str(exc) if isinstance(exc, ExtractFailed) else f"{type(exc).__name__}: {exc}"
            yield {**base, "type": "failed", "error": f"解析失败: {why}"[:500]}
            return
        flags = getattr(record, "metadata", None) or {}
        if flags.get("challenge") and not rendered:
            self.count(site, "pages", -1)
            for out in self._needs_browser(response, base, "challenge"):
                yield out
            return
        if flags.get("challenge"):
            # An anti-bot challenge (瑞数 $_ts …) the browser did not pass either: report it as blocked, keep
            # the stored version as it was, and do not follow its links.
            self.count(site, "errors")
            yield {**base, "type": "failed", "error": "blocked: 反爬虫验证页面（未计为页面内容）"}
            return
        if flags.get("scripted_list") and not rendered:
            for out in self._needs_browser(response, base, "scripted_list", record,
                                           {"headers": headers, **validators}):
                yield out
            return
        yield {**base, "type": "page", "record": record, "body": body, "headers": headers, "rendered": rendered,
               **validators}
        for out in self._follow(url, meta, record, None):
            yield out

    def on_error(self, failure: Failure) -> Iterator:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # Scrapy attaches it
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
        self.count(site, "errors")
        yield {"type": "failed", "scan_id": self.scan_id, "url": url, "final_url": url, "site": meta.get("site"),
               "unit": meta.get("unit"), "depth": meta.get("depth"), "referrer": meta.get("referrer"),
               "list_root": meta.get("list_root"), "status": 0, "error": error}


    # ----- the end of the crawl -------------------------------------------------------------------
    async def closed(self, reason: str) -> None:
        """Scrapy's close (after the pipelines closed: the last batch is written). Records how the crawl ended
        in the scan row; a ``scrapy crawl`` scan then runs its post-scan checks and releases its lock."""
        self._close_pages()
        if self.scan_id is not None:
            self.finish(reason)
        if self.own_scan is not None:
            done: Future = Future()

            def run() -> None:
                try:
                    assert self.own_scan is not None
                    self.own_scan.after_crawl()
                    done.set_result(None)
                except BaseException as exc:
                    done.set_exception(exc)

            threading.Thread(target=run, name="xxgk-post-scan", daemon=True).start()
            await await_thread(done)  # off the reactor thread: the stats dump waits, nothing blocks

    def finish(self, reason: str) -> str:
        """Close the scan row: the status from Scrapy's close reason, the per-site counters, the limits hit."""
        assert self.scan_id is not None  # only a spider with a scan row is finished
        if reason == "finished":
            status = "done"
        elif reason == "closespider_timeout":  # CLOSESPIDER_TIMEOUT: a clean stop at the scan's time limit
            status = "timeout"
        else:
            status = "interrupted"
        message = CRAWL_END.label.get(reason, f"抓取结束（{reason}）")
        pipeline = self.pipeline
        if pipeline is None:  # the store never opened: nothing was recorded
            status, message = "failed", "存储未能打开，本次扫描没有保存任何页面"
        elif pipeline.writer_error is not None:
            status, message = "failed", f"存储写入失败，此后的页面没有保存：{pipeline.writer_error}"[:500]
        elif pipeline.store_errors:
            message += f"；{pipeline.store_errors} 个页面保存失败（见抓取错误）"
        limits = list(self.limits_hit.values())
        if self.skipped_counter:
            limits.append({"limit": "counter_urls", "site": "", "value": self.skipped_counter,
                           "detail": "计数器地址从不抓取", "count": self.skipped_counter})
        finish_scan(open_db(self.cfg.database_target), self.scan_id, finished_at=clock.now_iso(), status=status,
                    limits=limits, sites={k: dict(v) for k, v in self.site_stats.items()}, message=message)
        self.finished_status = status
        return status


def _header(headers: dict[str, str], name: str) -> str | None:
    name = name.lower()
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _site_root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"
