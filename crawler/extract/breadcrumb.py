"""The breadcrumb (当前位置 …) and the column name it gives."""
from __future__ import annotations

import re
from typing import Iterable

from lxml.html import HtmlElement

from crawler.extract import dates as D
from crawler.extract.dom import SKIP_TAGS, WS_RE, clean_title, text_of
from crawler.extract.page import Page
from crawler.extract.regions import class_tokens
from crawler.extract.titles import strip_site_name

CRUMB_LABEL_RE = re.compile(r"(当前位置|您的位置|你的位置|您现在的位置|你现在的位置|现在位置|所在位置|当前页面|位置)\s*[:：]?")
_CRUMB_TOKENS = {"breadcrumb", "breadcrumbs", "crumb", "crumbs", "position", "location", "weizhi", "dqwz", "curpos",
                 "col_path", "mianbao", "wz", "place", "positions", "nowposition"}
_CRUMB_SEP_RE = re.compile(r"\s*(?:>>|>|＞|»|›|→|/|\\|-)\s*")
_NOT_COLUMN = {"正文", "详情", "正文内容", "内容", "文章", "查看内容", "阅读全文", "详细内容", "浏览文章", "内容页", "详细信息", "正文页"}


def find_breadcrumb(page: Page) -> list[str]:
    candidates = []
    for el in page.body.iter():
        if not isinstance(el.tag, str) or el.tag in ("body", "main", "html", "form", "table"):
            continue
        toks = class_tokens(el)
        if toks & _CRUMB_TOKENS:
            candidates.append(el)
            if len(candidates) > 5:
                break
    for b in page.blocks:
        if CRUMB_LABEL_RE.match(b.search) and len(b.text) < 200:
            candidates.insert(0, b.el)
            break
    for el in candidates:
        text = text_of(el)
        if not text or len(text) > 200:
            continue
        items: list[str] = []
        anchors = [a for a in el.iter("a")]
        if anchors:
            for a in anchors:
                t = clean_title(text_of(a))
                if t:
                    items.append(t)
            last = anchors[-1]
            tail = WS_RE.sub(" ", "".join(_tail_texts(last, el))).strip()
            tail = _CRUMB_SEP_RE.sub(" ", tail).strip()
            if tail and len(tail) <= 40:
                items.append(tail.split(" ")[-1] if " " in tail else tail)
                page.crumb_plain_last = True
        else:
            body = CRUMB_LABEL_RE.sub("", text, count=1)
            items = [p.strip() for p in _CRUMB_SEP_RE.split(body) if p.strip()]
            page.crumb_plain_last = True
        items = [CRUMB_LABEL_RE.sub("", i).strip() for i in items]
        items = [i for i in items if i and i not in (">", "»")]
        if items and len(items) <= 12:
            return items
        page.crumb_plain_last = False
    return []


def _tail_texts(node: HtmlElement | None, stop: HtmlElement) -> Iterable[str]:
    """Text after ``node`` inside ``stop`` (for the plain last breadcrumb item)."""
    while node is not None and node is not stop:
        if node.tail:
            yield node.tail
        sib = node.getnext()
        while sib is not None:
            if isinstance(sib.tag, str) and sib.tag.lower() not in SKIP_TAGS:
                yield sib.text_content()
            if sib.tail:
                yield sib.tail
            sib = sib.getnext()
        node = node.getparent()
        break


def column_from_crumb(crumb: list[str], title: str | None) -> str | None:
    for item in reversed(crumb):
        if item in _NOT_COLUMN or (title and (item == title or (len(item) > 12 and title.startswith(item[:12])))):
            continue
        if item in ("首页", "网站首页", "主页", "Home", "home"):
            return None
        return item
    return None


def page_column(page: Page, crumb: list[str]) -> str:
    return D.normalize(column_from_crumb(crumb, None) or strip_site_name(page.doc_title) or "")
