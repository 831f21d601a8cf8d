"""The stored crawl as matching reads it: current pages, list entries, links and attachments, indexed
by URL, plus the URL shapes (canonical form, list-like, home page, file) the passes test for."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler.scope import canonical_url
from monitor.store import history, rows
from monitor.store.engine import Database

_ATTACHMENT_RE = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|txt|csv|ofd)(?:$|[?#])", re.I)
_LIST_WORD_RE = re.compile(r"list|index|column|channel|lanmu|TreeTempUrl", re.I)
_LIST_URL_RE = re.compile(r"(/|/list\d*\.s?html?|/index(_\d+)?\.s?html?|/main\.s?html?)$", re.I)


@lru_cache(maxsize=200_000)
def canon(url: str) -> str:
    """The crawler's canonical form of a URL (the key pages are stored by)."""
    try:
        return canonical_url(url)
    except Exception:  # an address the crawler's canonicaliser trips on: keep a light normalisation
        parts = urlsplit(url.strip())
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def eval_key(url: str) -> str:
    """A URL key for comparing with a ground truth: canonical, query parameters in any order."""
    parts = urlsplit(canon(url))
    query = "&".join(sorted(q for q in parts.query.split("&") if q))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and port != {"http": 80, "https": 443}.get(parts.scheme):
        return f"{host}:{port}"
    return host


@dataclass
class Page:
    id: int
    url: str
    site: str | None
    unit: str
    kind: str | None
    title: str | None
    column_name: str | None
    list_root_id: int | None
    fingerprint: str | None
    last_seen_scan: int | None
    last_status: int | None

    @property
    def ok(self) -> bool:
        return self.last_status is None or 200 <= self.last_status < 400

    @property
    def label(self) -> str:
        return self.column_name or self.title or ""


class Crawl:
    """The stored crawl, indexed for matching (current rows only). Read-only for the passes, except
    :meth:`add_member` (the breadcrumb pass places articles no list showed)."""

    def __init__(self, db: Database, disclosure_site: str | None):
        self.pages: dict[str, Page] = {}
        self.by_id: dict[int, Page] = {}
        for r in history.match_pages(db):
            p = Page(id=r["id"], url=r["url"], site=r["site"], unit=r["unit"] or "", kind=r["kind"], title=r["title"],
                     column_name=r["column_name"], list_root_id=r["list_root_id"], fingerprint=r["fingerprint"],
                     last_seen_scan=r["last_seen_scan"], last_status=r["last_status"])
            self.pages[p.url] = p
            self.by_id[p.id] = p
        seen = [p.last_seen_scan for p in self.pages.values() if p.last_seen_scan is not None]
        self.latest_scan = max(seen) if seen else None
        # Links and list rows may spell a page's URL with its query in another order.
        self._alias = {eval_key(u): u for u in self.pages}
        self.disclosure = netloc(disclosure_site) if disclosure_site else None
        self.disclosure_path = urlsplit(disclosure_site).path if disclosure_site else "/"

        # Entries: a row the list no longer shows (older than its list page's last visit) is gone.
        self.entries_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.parents_of: dict[str, list[int]] = defaultdict(list)
        self.entry_title: dict[str, str] = {}
        for e in rows(db, "SELECT list_page_id, url, title, date, last_seen_scan FROM entries ORDER BY id"):
            root = self.by_id.get(e["list_page_id"])
            if root is None or _stale(e["last_seen_scan"], root.last_seen_scan):
                continue
            url = self.resolve(e["url"])
            self.entries_of[root.id].append({**e, "url": url})
            if root.id not in self.parents_of[url]:
                self.parents_of[url].append(root.id)
            if e["title"] and url not in self.entry_title:
                self.entry_title[url] = e["title"]

        self.links_of: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for link in rows(db, "SELECT page_id, url, text, last_seen_scan FROM links ORDER BY page_id, id"):
            page = self.by_id.get(link["page_id"])
            if page is None or _stale(link["last_seen_scan"], page.last_seen_scan):
                continue
            self.links_of[page.id].append((self.resolve(link["url"]), (link["text"] or "").strip()))

        self.attachments: list[dict[str, Any]] = []
        self.attachment_urls: set[str] = set()
        for a in rows(db, "SELECT page_id, file_page_id, url, name, last_seen_scan FROM attachments ORDER BY id"):
            page = self.by_id.get(a["page_id"])
            if page is None or _stale(a["last_seen_scan"], page.last_seen_scan):
                continue
            url = self.resolve(a["url"])
            self.attachments.append({**a, "url": url})
            self.attachment_urls.add(url)

    def resolve(self, url: str) -> str:
        """The stored page's URL for a link, else the link's canonical form."""
        c = canon(url)
        if c in self.pages:
            return c
        return self._alias.get(eval_key(c), c)

    def is_disclosure(self, page_or_url: Page | str) -> bool:
        url = page_or_url if isinstance(page_or_url, str) else page_or_url.url
        if self.disclosure is None:
            page = self.pages.get(url) if isinstance(page_or_url, str) else page_or_url
            return page is not None and page.unit == "" and page.site is not None
        return netloc(url) == self.disclosure and (urlsplit(url).path or "/").startswith(self.disclosure_path)

    def root_of(self, page: Page) -> Page:
        if page.kind == "list" and page.list_root_id and page.list_root_id != page.id:
            return self.by_id.get(page.list_root_id, page)
        return page

    def is_current(self, url: str) -> bool:
        page = self.pages.get(url)
        if page is None:
            return False
        if not page.ok:
            return False
        return self.latest_scan is None or page.last_seen_scan is None or page.last_seen_scan >= self.latest_scan

    def add_member(self, root_id: int, page: Page) -> None:
        """``page`` belongs to the column ``root_id`` although its list did not show it."""
        if root_id not in self.parents_of[page.url]:
            self.parents_of[page.url].append(root_id)
            self.entries_of[root_id].append({"url": page.url, "title": page.title, "date": None,
                                             "list_page_id": root_id, "last_seen_scan": None})


def list_like(url: str) -> bool:
    """Column-shaped URLs: /col/list.htm, list2.htm, index_1.html, main.htm, news_list.asp?cid=2,
    list.jsp?urltype=tree.TreeTempUrl…, /list/xsss, /column/…, and paths ending in a slash."""
    parts = urlsplit(url)
    if _LIST_URL_RE.search(parts.path):
        return True
    return bool(_LIST_WORD_RE.search(parts.path + "?" + parts.query))


def is_home(page: Page) -> bool:
    path = urlsplit(page.url).path or "/"
    return page.site is not None and page.url.rstrip("/") == page.site.rstrip("/") or \
        re.fullmatch(r"/(index|default|main)?(\.s?html?|\.jsp|\.asp|\.php)?", path) is not None


def _stale(row_scan: int | None, page_scan: int | None) -> bool:
    return row_scan is not None and page_scan is not None and row_scan < page_scan


def is_attachment_url(url: str) -> bool:
    return bool(_ATTACHMENT_RE.search(urlsplit(url).path))
