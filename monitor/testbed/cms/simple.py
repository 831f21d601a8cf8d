"""Common machinery of the unit sites: path index, list-page map per day, ground-truth pages."""
from __future__ import annotations

import posixpath
import threading
from datetime import date
from typing import Callable
from urllib.parse import parse_qsl, urlencode

from monitor.testbed.cms.base import SITE_LAUNCH, PageInfo, Resp, SiteBase
from monitor.testbed.model import Attachment, Column, Doc


def norm(path: str, raw_query: str = "") -> str:
    """Route key: path plus the query parameters in a canonical order (crawlers may reorder them)."""
    if "?" in path:
        path, raw_query = path.split("?", 1)
    if not raw_query:
        return path
    return path + "?" + urlencode(sorted(parse_qsl(raw_query, keep_blank_values=True)))


def rel(from_path: str, to_path: str) -> str:
    """Relative link as older CMSs write them (info/1011/1.htm, ../info/…)."""
    base = posixpath.dirname(from_path.split("?")[0]) or "/"
    target, _, query = to_path.partition("?")
    r = posixpath.relpath(target, base)
    return r + ("?" + query if query else "")


class ListSite(SiteBase):
    article_source = "label"

    def __init__(self, key, name, unit, columns):
        super().__init__(key, name, unit, columns)
        self.by_path: dict[str, Doc | Attachment] = {}
        self._maps: dict[date, dict[str, tuple[Column, int]]] = {}
        self._maps_lock = threading.Lock()
        self._challenged: frozenset[str] | None = None

    # -- to implement ---------------------------------------------------------------------
    def doc_path(self, col: Column, d: Doc) -> str:
        raise NotImplementedError

    def att_path(self, d: Doc, a: Attachment, i: int) -> str:
        raise NotImplementedError

    def render_home(self, as_of: date) -> Resp:
        raise NotImplementedError

    def render_list(self, col: Column, page: int, as_of: date) -> Resp:
        raise NotImplementedError

    def render_article(self, d: Doc, as_of: date) -> Resp:
        raise NotImplementedError

    def route_special(self, path: str, query: dict[str, str], raw_query: str, as_of: date) -> Resp | None:
        return None

    def extra_pages(self, as_of: date) -> list[PageInfo]:
        return []

    # -- shared ---------------------------------------------------------------------------
    def assign_paths(self, next_id) -> None:
        for col in self.columns:
            for d in col.docs:
                d.path = self.doc_path(col, d)
                self.by_path[norm(d.path)] = d
                for i, a in enumerate(d.attachments):
                    a.doc = d
                    a.path = self.att_path(d, a, i)
                    self.by_path[norm(a.path)] = a

    def list_map(self, as_of: date) -> dict[str, tuple[Column, int]]:
        with self._maps_lock:
            m = self._maps.get(as_of)
            if m is None:
                m = {}
                for col in self.columns:
                    for n in range(1, col.page_count(as_of) + 1):
                        m[norm(self.column_path(col, n, as_of))] = (col, n)
                if len(self._maps) > 64:
                    self._maps.clear()
                self._maps[as_of] = m
            return m

    def route(self, path: str, query: dict[str, str], raw_query: str, as_of: date) -> Resp | None:
        special = self.route_special(path, query, raw_query, as_of)
        if special is not None:
            return special
        if self._challenged is None:
            self._challenged = frozenset(self.challenged_paths())
        if path in self._challenged:
            from monitor.testbed.cms.services import ts_challenge
            return Resp(200, ts_challenge(len(path) * 7919, path.strip("/").split("/")[0]),
                        headers={"Cache-Control": "no-cache, no-store"})
        key = norm(path, raw_query)
        if key == norm(self.home_path):
            return self.render_home(as_of)
        obj = self.by_path.get(key)
        if isinstance(obj, Doc):
            if obj.visible(as_of) and not obj.login_wall:
                return self.render_article(obj, as_of)
            return None
        if isinstance(obj, Attachment):
            if not obj.visible(as_of) or obj.doc is None or not obj.doc.visible(as_of):
                return None
            from monitor.testbed.files import CONTENT_TYPES, render_file
            return Resp(200, render_file(obj), CONTENT_TYPES[obj.fmt], changed=obj.added,
                        headers=self.attachment_headers(obj), charset_header=None)
        hit = self.list_map(as_of).get(key)
        if hit is not None:
            return self.render_list(hit[0], hit[1], as_of)
        return None

    def pages(self, as_of: date) -> list[PageInfo]:
        out = [PageInfo(self.home_path, "other", self.name)]
        for col in self.columns:
            item, items = self.col_items(col)
            for n in range(1, col.page_count(as_of) + 1):
                out.append(PageInfo(self.column_path(col, n, as_of), "list", col.title, None, None, None, item, items,
                                    rows=self.list_rows_info(col, n, as_of), column=col.key))
            docs = col.visible_docs(as_of)
            for d in docs:
                if d.login_wall:
                    continue
                out.append(PageInfo(d.path, "article", d.title, d.published, self.article_source,
                                    d.updated(as_of), d.item, [d.item] if d.item else []))
            out.extend(self.attachment_pages([d for d in docs if not d.login_wall], as_of))
        out.extend(self.extra_pages(as_of))
        # a 200 answer a crawler reaches, though its body is only the challenge script
        out.extend(PageInfo(p, "other", "") for p in self.challenged_paths(as_of))
        return out

    def gen_list(self, col: Column, page: int, as_of: date, link: Callable[[str], str]) -> tuple[str, str | None]:
        """A generated list page's rows and pager (None: the family's own pager); `link` turns a path
        into the href this CMS writes (relative for VSB/TRS)."""
        look = self.list_look(col)
        total, count = col.page_count(as_of), len(col.visible_docs(as_of))
        rows = look.rows_html(self.gen_rows(col, col.chunk(as_of, page), lambda d: link(d.path)))
        if look.pager == "cms":
            return rows, None
        return rows, look.pager_html(page, total, count, lambda n: link(self.column_path(col, n, as_of)))

    def list_changed(self, col: Column, as_of: date) -> date:
        return col.newest(as_of) or SITE_LAUNCH
