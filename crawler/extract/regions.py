"""Which part of a page an element sits in: navigation, footer, sidebar or site header.

Decided from the tag (``nav``, ``footer``, ``aside``, ``marquee``) and the class/id words
(``wp-menu``, ``copyright``, ``xgxw``, ``sxp`` …). Dates and lists are never taken from nav or
footer regions, nor from sidebars.
"""
from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract import dates as D
from crawler.extract.dom import WS_RE, caches

_TOKEN_SPLIT_RE = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
NAV_TOKENS = {"nav", "navbar", "navi", "menu", "menus", "mainnav", "topnav", "subnav", "dh", "daohang", "breadcrumb",
              "crumb", "crumbs", "logo", "banner", "search", "login", "toolbar", "skip", "lanmu", "submenu", "dropdown",
              *cms.MENU_CLASSES, "listcolumn", "sub_columns", "subcolumn", "col_menu", "column-list", "leftnav",
              "left_nav", "sidenav", "subnav_list"}
# "column" words name either a menu of columns or the column's own list of items (dated rows, full titles)
_COLUMN_NAV_TOKENS = {"listcolumn", "sub_columns", "subcolumn", "column-list"}
FOOTER_TOKENS = {"footer", "foot", "copyright", "copy", "banquan", "bq", "bottom", "links", "yqlj", "friendlink",
                 "flink", "link", "friend", "contact"}
SIDE_TOKENS = {"sidebar", "side", "aside", "related", "relate", "xgxw", "xgwz", "xglj", "hot", "hots", "rank",
               "ranking", "paihang", "phb", "recommend", "tuijian", "latest", "marquee", "gundong", "scroll",
               "ticker", "prev", "next", "prevnext", "sxp", "sxy", "pre", "share", "bdshare", "comment",
               "comments", "pinglun", "tags", "weather", "date", "riqi", "today", "time", "others", "othernews",
               "qtxw", "more_news", "tjyd"}
HEADER_TOKENS = {"header", "top", "topbar", "head", "masthead"}
_HEADER_WHOLE = {"header", "top", "topbar", "masthead", "site-header", "site_header", "head", "top_bar", "top-bar",
                 "headbox", "head_box", "top_box", "topbox"}
PAGER_TOKENS = {"page", "pages", "paging", "pagination", "pager", "pagebar", "fenye", "page_nav", *cms.PAGER_CLASSES,
                "pagenav", "p_pages", "pagelist", "pageinfo", "splitpage", "turnpage", "pagebox"}
_SIDE_SAFE_TOKENS = {"time", "date", "pre"}  # side tokens that only matter on a whole container


def class_tokens(el: HtmlElement) -> set[str]:
    cached = caches.tokens.get(el)
    if cached is None:
        cached = caches.tokens[el] = _tokens_uncached(el)
    return cached


def _tokens_uncached(el: HtmlElement) -> set[str]:
    cls = el.get("class") or ""
    ident = el.get("id") or ""
    if not cls and not ident:
        return set()
    whole = f"{cls} {ident}".split()
    raw = _TOKEN_SPLIT_RE.split(f"{cls} {ident}")
    return {re.sub(r"\d+$", "", t.lower()) for t in raw + whole if t}


def _date_like(text: str) -> bool:
    """A text node that shows a date: full, year-month of a split block ("2019/08"), or month-day."""
    if not text or len(text) > 40:
        return False
    return bool(next(D.iter_dates(text), None) or (len(text) <= 9 and (D.year_month(text) or D.month_day(text))))


def _holds_item_rows(el: HtmlElement) -> bool:
    """Rows of items, not a menu of columns: a menu's links show no dates and are short column names
    ("招生信息"), a column's list shows dates (maybe on one row) or documents' full titles."""
    links = [a for a in el.iter("a") if a.get("href")]
    if not links:
        return False
    for t in el.itertext():
        text = D.normalize(t.strip())
        if _date_like(text) and not D.looks_like_today_widget(text):
            return True
    lengths = [len(WS_RE.sub("", a.text_content() or "")) for a in links]
    return sum(lengths) / len(lengths) >= 14


_REGION_RANK = {"footer": 4, "nav": 3, "side": 2, "header": 1}


class Regions:
    """Which part of the page an element sits in: 'nav', 'footer', 'side', 'header' or None."""

    def __init__(self) -> None:
        self.cache: dict[Any, str | None] = {}

    def own(self, el: HtmlElement) -> str | None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "nav":
            return None if class_tokens(el) & PAGER_TOKENS else "nav"
        if tag == "footer":
            return "footer"
        if tag == "aside":
            return "side"
        if tag == "marquee":
            return "side"
        toks = class_tokens(el)
        if not toks:
            return None
        if toks & PAGER_TOKENS:
            return None  # "page_nav" / "wp_paging" are list paging, not site navigation
        if toks & FOOTER_TOKENS and not toks & {"content", "article", "main"}:
            return "footer"
        if toks & NAV_TOKENS:
            if not (toks & NAV_TOKENS) - _COLUMN_NAV_TOKENS and tag != "nav" and _holds_item_rows(el):
                return None
            return "nav"
        side = toks & SIDE_TOKENS
        if side and (side - _SIDE_SAFE_TOKENS) and not toks & {"content", "article", "main", "arti", "detail"}:
            return "side"
        whole = {w.lower() for w in f"{el.get('class') or ''} {el.get('id') or ''}".split()}
        if (tag == "header" or whole & _HEADER_WHOLE) and self._near_top(el):
            return "header"
        return None

    @staticmethod
    def _near_top(el: HtmlElement) -> bool:
        """A site header sits right under <body> (maybe in one wrapper), an article's header deeper."""
        depth = 0
        for a in el.iterancestors():
            if a.tag in ("article", "main"):
                return False
            if a.tag == "body":
                return depth <= 2
            depth += 1
        return True

    def of(self, el: HtmlElement | None) -> str | None:
        chain = []
        node = el
        result: str | None = None
        while node is not None:
            if node in self.cache:
                result = self.cache[node]
                break
            chain.append(node)
            own = self.own(node)
            if own is not None:
                # nested regions: footer > nav > side > header ("nav" inside the site header is nav)
                parent_region = self.of(node.getparent()) if node.getparent() is not None else None
                result = max((own, parent_region), key=lambda r: _REGION_RANK.get(r or "", 0))
                break
            node = node.getparent()
        for n in chain:
            self.cache[n] = result
        return result
