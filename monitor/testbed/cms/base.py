"""What every simulated site shares: routing contract, ground-truth page records, HTML helpers."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlencode

from monitor.testbed.model import Attachment, Column, Doc

if TYPE_CHECKING:
    from monitor.testbed.estate import Estate
    from monitor.testbed.variants import ListLook, Row, SiteLook

WEEKDAYS = "一二三四五六日"
SITE_LAUNCH = date(2016, 9, 1)


def h(text: object) -> str:
    return escape(str(text), quote=True)


def hexid(*parts: object, n: int = 32) -> str:
    return hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()[:n]


def iso(d: date) -> str:
    return d.isoformat()


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def today_widget(d: date) -> str:
    return f"今天是{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}"


@dataclass
class Resp:
    status: int
    body: bytes | str
    ctype: str = "text/html"
    changed: date | None = None          # → Last-Modified (None: the header is omitted)
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None          # how a str body is encoded (None: the site's encoding)
    charset_header: str | None = "site"  # charset parameter of Content-Type ('site' = site default)


@dataclass
class PageInfo:
    """One page a good crawler reaches, with what a good extractor should read from it."""
    path: str
    kind: str                             # article | list | attachment | other
    title: str
    published: date | None = None
    published_source: str | None = None   # label | meta | list | url | heading
    updated: date | None = None
    item: str | None = None
    items: list[str] = field(default_factory=list)
    # list pages: the rows as a person reads them, (href path, date shown or None); not in the truth dict
    rows: list[tuple[str, date | None]] = field(default_factory=list)
    column: str | None = None             # list pages: the key of their column


class SiteBase:
    cms = ""
    encoding = "utf-8"
    header_charset: str | None = "utf-8"   # charset in Content-Type (may lie, or be absent)
    home_path = "/"

    def __init__(self, key: str, name: str, unit: str | None, columns: list[Column]):
        self.key, self.name, self.unit = key, name, unit
        self.columns = columns
        for c in columns:
            c.site = key
            for d in c.docs:
                d.column = c
        self.estate: "Estate | None" = None
        # generated layouts (variants.py); None: the family's one fixed template
        self.look: "SiteLook | None" = None

    # -- wiring ---------------------------------------------------------------------------
    def bind(self, estate: "Estate") -> None:
        self.estate = estate

    def url(self, path: str = "/") -> str:
        assert self.estate is not None
        return self.estate.base_url(self.key).rstrip("/") + path

    def other_url(self, site: str, path: str) -> str:
        assert self.estate is not None
        return self.estate.base_url(site).rstrip("/") + path

    def column_by_key(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def docs(self) -> list[Doc]:
        return [d for c in self.columns for d in c.docs]

    def attachments(self) -> list[Attachment]:
        return [a for d in self.docs() for a in d.attachments]

    def column_href(self, col: Column) -> str:
        """Where the navigation of the disclosure site points for this column."""
        if col.mode == "offsite" and col.target:
            site, key = col.target
            other = self.estate.sites[site]  # type: ignore[union-attr]
            return other.url(other.column_path(other.column_by_key(key)))
        return self.url(self.column_path(col))

    # -- to implement per CMS -------------------------------------------------------------
    def assign_paths(self, next_id: Callable[[], int]) -> None:
        raise NotImplementedError

    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        raise NotImplementedError

    def route(self, path: str, query: dict[str, str], raw_query: str, as_of: date) -> Resp | None:
        raise NotImplementedError

    def pages(self, as_of: date) -> list[PageInfo]:
        raise NotImplementedError

    # -- optional features ----------------------------------------------------------------
    def robots(self) -> str | None:
        return None

    def never_fetch(self, as_of: date) -> list[str]:
        return []

    def robots_disallowed(self, as_of: date) -> list[str]:
        return []

    def traps(self) -> list[str]:
        return []

    def broken_links(self, as_of: date) -> list[str]:
        return []

    def intranet_links(self, as_of: date) -> list[str]:
        return []

    def link_categories(self, as_of: date) -> dict[str, str]:
        """Every link on this site's pages that a link check must not call ok, with its category
        (dead, server_error, blocked, intranet, timeout). Services-host links come from the estate."""
        out = {u: "dead" for u in self.broken_links(as_of)}
        out.update({u: "intranet" for u in self.intranet_links(as_of)})
        out.update({self.url(p): "blocked" for p in self.challenged_paths(as_of)})
        return out

    def challenged_paths(self, as_of: date | None = None) -> list[str]:
        """Paths of this site behind a 瑞数 challenge that articles link (visible on `as_of`, or ever)."""
        return sorted({path for d in self.docs() if as_of is None or d.visible(as_of)
                       for host, path, _ in d.links if host == "self"})

    def gate(self, target: str, cookie: str, as_of: date) -> Resp | None:
        """What the site answers instead of `target` to a client whose Cookie header is `cookie`
        (an anti-bot wall, cms/guarded.py); None: the page itself."""
        return None

    def delay_for(self, target: str) -> float:
        """Seconds to wait before answering this request (a slow system)."""
        return 0.0

    # -- shared helpers -------------------------------------------------------------------
    def body_html(self, d: Doc, as_of: date, para: str = "<p>{}</p>") -> str:
        """The article's paragraphs (HTML-escaped, each in `para`), with its table and its links to
        the school's other systems inserted after the first `d.table_at` paragraphs."""
        paras = [para.format(h(p)) for p in d.text(as_of)]
        extra = ""
        if d.table:
            head, *rows = [r.split("|") for r in d.table]
            extra += ('<table class="gs-table" border="1" cellspacing="0"><thead><tr>'
                      + "".join(f"<th>{h(c)}</th>" for c in head) + "</tr></thead><tbody>"
                      + "".join("<tr>" + "".join(f"<td>{h(c)}</td>" for c in r) + "</tr>" for r in rows)
                      + "</tbody></table>")
        if d.links:
            assert self.estate is not None
            extra += "".join(
                f'<p><a href="{h(self.other_url("svc", path) if host == "svc" else path)}" target="_blank">'
                f'{h(text)}</a></p>' for host, path, text in d.links)
        return "".join(paras[:d.table_at]) + extra + "".join(paras[d.table_at:])

    def visible_docs(self, as_of: date) -> list[Doc]:
        docs = [d for d in self.docs() if d.visible(as_of)]
        docs.sort(key=lambda d: (d.published, d.id), reverse=True)
        return docs

    def newest_change(self, as_of: date) -> date:
        docs = self.visible_docs(as_of)
        return max([SITE_LAUNCH] + [d.published for d in docs[:1]])

    def attachment_route(self, path: str, as_of: date) -> Resp | None:
        for a in self.attachments():
            if a.path == path:
                if not a.visible(as_of) or a.doc is None or not a.doc.visible(as_of):
                    return None
                from monitor.testbed.files import CONTENT_TYPES, render_file
                return Resp(200, render_file(a), CONTENT_TYPES[a.fmt], changed=a.added,
                            headers=self.attachment_headers(a), charset_header=None)
        return None

    def doc_url_path(self, d: Doc, as_of: date) -> str:
        """Where a crawler finds this article on `as_of` (a CMS may show it under another URL)."""
        return d.path

    def attachment_headers(self, a: Attachment) -> dict[str, str]:
        return {}

    def attachment_pages(self, docs: list[Doc], as_of: date) -> list[PageInfo]:
        out = []
        for d in docs:
            for a in d.attachments_at(as_of):
                out.append(PageInfo(a.path, "attachment", a.name, a.added, "meta", None,
                                    d.item, [d.item] if d.item else []))
        return out

    # -- generated layouts -----------------------------------------------------------------
    def list_look(self, col: Column) -> "ListLook":
        assert self.look is not None
        return self.look.list_for(col.key)

    @staticmethod
    def row_dates_shown(col: Column) -> bool:
        """Whether the column's list shows a date in its rows (就业数据与报告 shows none)."""
        return col.style != "undated"

    def gen_rows(self, col: Column, docs: list[Doc], href: Callable[[Doc], str]) -> "list[Row]":
        from monitor.testbed.variants import Row
        shown = self.row_dates_shown(col)
        # a summary is the article's first paragraph as published (edits do not touch the list)
        return [Row(href(d), d.title, d.published if shown else None, d.paragraphs[0][:56] + "……" if d.paragraphs else "")
                for d in docs]

    def list_rows_info(self, col: Column, page: int, as_of: date) -> list[tuple[str, date | None]]:
        shown = self.row_dates_shown(col)
        return [(d.path, d.published if shown else None) for d in col.chunk(as_of, page)]

    @staticmethod
    def qs(**params: object) -> str:
        return urlencode({k: str(v) for k, v in params.items()})

    def col_items(self, col: Column) -> tuple[str | None, list[str]]:
        return (col.items[0] if len(col.items) == 1 else None), list(col.items)


def paginate_pages(col: Column, as_of: date) -> range:
    return range(1, col.page_count(as_of) + 1)
