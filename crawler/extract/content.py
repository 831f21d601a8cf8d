"""Main-content detection: a known CMS body container, else the densest text block; its text."""
from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract.dom import css_select
from crawler.extract.page import Page, in_rows, rule_matches
from crawler.extract.regions import FOOTER_TOKENS, HEADER_TOKENS, NAV_TOKENS, PAGER_TOKENS, SIDE_TOKENS, class_tokens

# Known containers, strongest first: the CMS families' (``cms``), then common names.
_ARTICLE_BODY_RULES: list[cms.Rule] = [
    *cms.BODY_RULES,
    ("class", ("article-content", "article_content", "articleContent", "news_content", "news-content",
               "entry-content", "post-content", "detail-content", "detail_content", "arti_content",
               "art_content", "content_text", "newscontent", "zw", "post_body", "article-body", "article_body",
               "text_con", "news_txt", "nr_content", "wznr", "show-content", "show_content", "news-body")),
    ("id", ("article_content", "articleContent", "article-content", "news_content", "newsContent", "zw",
            "fontzoom", "textContent", "ArticleContent", "artibody", "endText", "js_content", "rwb_zw", "detail")),
]
_POSITIVE_TOKENS = {"article", "arti", "body", "content", "contents", "entry", "main", "post", "text", "story",
                    "zoom", "detail", "details", "news", "read", "wenzhang", "zhengwen", "zw", "nr", "neirong",
                    "con", "cont", "info", "xl", "show", "view"}
_NEGATIVE_TOKENS = (NAV_TOKENS | FOOTER_TOKENS | SIDE_TOKENS | HEADER_TOKENS) - {"date", "time", "pre"}
_PUNCT_RE = re.compile(r"[，。；、！？,;]")
_CONTAINER_TAGS = frozenset("div td article section main form body blockquote center table tbody".split())


def main_content(page: Page) -> tuple[HtmlElement | None, bool]:
    """The article body element and whether it came from a known CMS container/selector."""
    sel = page.selectors
    if sel and sel.content:
        found = css_select(page.root, sel.content)
        if found:
            return found[0], True
    for rule in _ARTICLE_BODY_RULES:
        found = [el for el in rule_matches(page, rule) if page.regions.of(el) not in ("nav", "footer")]
        if found:
            best = max(found, key=lambda el: len(el.text_content() or ""))
            if (best.text_content() or "").strip() or best.find(".//a") is not None or best.find(".//img") is not None:
                return best, True
    return _densest(page), False


def _densest(page: Page) -> HtmlElement | None:
    """Readability-style scoring over the flattened blocks."""
    scores: dict[Any, float] = {}
    text_len: dict[Any, int] = {}
    link_len: dict[Any, int] = {}
    for b in page.blocks:
        n = len(b.text)
        node: HtmlElement | None = b.el
        depth = 0
        while node is not None and depth < 40:
            text_len[node] = text_len.get(node, 0) + n
            link_len[node] = link_len.get(node, 0) + b.link_chars
            node = node.getparent()
            depth += 1
        plain = n - b.text.count(" ") - b.link_chars  # spaces between pager links are not text
        if plain < 20:
            continue
        s = 1 + len(_PUNCT_RE.findall(b.text)) + min(plain / 100, 3)
        el = b.el
        container = el if el.tag in _CONTAINER_TAGS else el.getparent()
        if container is None:
            continue
        scores[container] = scores.get(container, 0) + s
        parent = container.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + s / 2
            grand = parent.getparent()
            if grand is not None:
                scores[grand] = scores.get(grand, 0) + s / 4
    best, best_score = None, 0.0
    for el, s in scores.items():
        if el.tag in ("html",):
            continue
        toks = class_tokens(el)
        weight = 0.0
        if toks & _POSITIVE_TOKENS:
            weight += 25
        if toks & _NEGATIVE_TOKENS:
            weight -= 25
        if toks & PAGER_TOKENS:
            weight -= 50  # a paging bar ("第58页/共58页 上一页 1 2 …") is never the article
        region = page.regions.of(el)
        if region in ("nav", "footer", "side"):
            weight -= 50
        density = link_len.get(el, 0) / max(text_len.get(el, 1), 1)
        final = (s + weight) * (1 - density)
        if final > best_score:
            best, best_score = el, final
    return best


def block_text(page: Page, span: tuple[int, int] | None, *, exclude_regions: bool = False) -> str:
    if span is None:
        return ""
    lines = []
    for b in page.blocks[span[0]:span[1] + 1]:
        if exclude_regions and page.regions.of(b.el) in ("nav", "footer", "side", "header"):
            continue
        lines.append(b.text)
    return "\n".join(lines)


def fingerprint_text(page: Page, span: tuple[int, int] | None, row_els: set | None = None) -> str:
    """Main text without prev/next links, related lists and other navigation inside the body."""
    if span is None:
        return ""
    lines = []
    skip_next = False
    for b in page.blocks[span[0]:span[1] + 1]:
        text = b.text
        linky = b.link_chars >= 0.8 * len(text)
        if skip_next and linky:
            skip_next = False
            continue
        skip_next = False
        if page.regions.of(b.el) in ("nav", "footer", "side", "header"):
            continue
        if row_els and in_rows(b.el, row_els):
            continue  # a dated list of other pages inside the body ("相关文章") changes with them
        if re.match(r"^\s*(上一篇|下一篇|上一条|下一条|上篇|下篇|上一页|下一页)\s*[:：]?\s*$", text):
            skip_next = True
            continue
        lines.append(text)
    return "\n".join(lines)
