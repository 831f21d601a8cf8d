"""One parsed HTML page as the extraction modules see it: blocks, regions, class/id indexes."""
from __future__ import annotations

from datetime import date
from typing import Any

from lxml.html import HtmlElement

from crawler.extract.dom import WS_RE, abs_url, flatten_blocks
from crawler.extract.records import SiteSelectors
from crawler.extract.regions import Regions


def rule_matches(page: Page, rule: tuple[str, tuple[str, ...]]) -> list:
    kind, names = rule
    found: list = []
    if kind == "class":
        for n in names:
            found.extend(page.class_index.get(n, ()))
    elif kind == "class^":
        for key, els in page.class_index.items():
            if key.startswith(names):
                found.extend(els)
    elif kind == "id":
        for n in names:
            found.extend(page.id_index.get(n, ()))
    elif kind == "id^":
        for key, els in page.id_index.items():
            if key.startswith(names):
                found.extend(els)
    elif kind == "itemprop":
        found.extend(el for el in page.body.iter() if el.get("itemprop") in names)
    found.sort(key=lambda el: page.order.get(el, 0))
    return found


class Page:
    """Everything extract() needs about one parsed HTML page."""

    def __init__(self, root: HtmlElement, url: str, today: date, selectors: SiteSelectors | None) -> None:
        self.root = root
        self.url = url
        self.today = today
        self.selectors = selectors
        base = root.find(".//base")
        # a <base href> that resolves to no URL ("#", "javascript:…") is ignored, as browsers do
        self.base: str = (abs_url(url, base.get("href")) if base is not None else None) or url
        body = root.find("body")
        self.body = body if body is not None else root
        self.blocks = flatten_blocks(self.body)
        self.regions = Regions()
        self.order: dict[Any, int] = {}
        self.class_index: dict[str, list] = {}
        self.id_index: dict[str, list] = {}
        for i, el in enumerate(self.body.iter()):
            self.order[el] = i
            cls = el.get("class")
            if cls:
                for name in cls.split():
                    self.class_index.setdefault(name, []).append(el)
            ident = el.get("id")
            if ident:
                self.id_index.setdefault(ident.strip(), []).append(el)
        self.first_block: dict[Any, int] = {}
        for b in self.blocks:
            self.first_block.setdefault(b.el, b.index)
        title_el = root.find(".//title")
        self.doc_title = WS_RE.sub(" ", title_el.text_content()).strip() if title_el is not None else ""
        self.crumb_plain_last = False  # set by find_breadcrumb: the last item is plain text (the current page)
        self._spans: dict[HtmlElement, list[int]] | None = None
        self.year_headings: list[tuple[int, int, Any]] | None = None  # see year_headings

    # --- element <-> blocks ---------------------------------------------------------------
    def span(self, el: HtmlElement) -> tuple[int, int] | None:
        """First and last block index owned by ``el`` or its descendants."""
        if self._spans is None:
            # one pass: every block widens the span of its owner and of all the owner's ancestors
            spans: dict[HtmlElement, list[int]] = {}
            for b in self.blocks:
                node: HtmlElement | None = b.el
                while node is not None:
                    sp = spans.get(node)
                    if sp is None:
                        spans[node] = [b.index, b.index]
                    else:
                        sp[1] = b.index
                    node = node.getparent()
            self._spans = spans
        sp = self._spans.get(el)
        return (sp[0], sp[1]) if sp else None

    def inside(self, el: HtmlElement | None, container: HtmlElement | None) -> bool:
        node: HtmlElement | None = el
        while node is not None:
            if node is container:
                return True
            node = node.getparent()
        return False


def in_rows(el: HtmlElement, row_els: set[HtmlElement]) -> bool:
    node: HtmlElement | None = el
    for _ in range(8):
        if node is None:
            return False
        if node in row_els:
            return True
        node = node.getparent()
    return False
