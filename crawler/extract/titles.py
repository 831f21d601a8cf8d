"""The article's own title: CMS title blocks, ``ArticleTitle`` meta, the heading nearest the body,
else ``<title>`` without the site name.
"""
from __future__ import annotations

import re
from typing import Any

from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract import dates as D
from crawler.extract.dom import WS_RE, clean_title, css_select, meta_content, text_of
from crawler.extract.page import Page, rule_matches
from crawler.extract.regions import class_tokens

_TITLE_SPLIT_RE = re.compile(r"\s+[-–—|_·]+\s+|\s*(?:——|--|－－|｜|\||_|－|—)\s*|(?<=[^\d\s])-(?=[^\d\s])|\s*::\s*")
_SITE_WORDS_RE = re.compile(r"(大学|学院|学校|网|网站|首页|门户|政府|主页|平台|中心|官网|频道|信息公开|university|college)$",
                            re.I)


_INSTITUTION_RE = re.compile(r"大学|学院|学校|政府|[省市县区局厅委办处]")


def _site_name(part: str) -> bool:
    """"示例大学信息公开网" names a site; "收费信息公开" (a column that publishes something) does not."""
    m = _SITE_WORDS_RE.search(part)
    if not m:
        return False
    return m.group(1) != "信息公开" or bool(_INSTITUTION_RE.search(part[:m.start()]))


def strip_site_name(title: str | None) -> str | None:
    """"关于…的通知 - 示例大学信息公开网" -> "关于…的通知" (also "示例大学_关于…的通知")."""
    if not title:
        return None
    title = WS_RE.sub(" ", title).strip()
    parts = [p.strip() for p in _TITLE_SPLIT_RE.split(title) if p and p.strip()]
    if len(parts) <= 1:
        return title or None
    first = parts[0]
    if _site_name(first) and not _SITE_WORDS_RE.search(parts[-1]) and len(parts[-1]) >= 2:
        return parts[-1]
    if len(first) < 2 and len(parts) > 1:
        return max(parts, key=len)
    return first


# The CMS families' title elements (``cms``), then common names.
_TITLE_RULES: list[cms.Rule] = [
    *cms.TITLE_RULES,
    ("class", ("article-title", "article_title", "articleTitle", "news_title", "news-title", "newstitle",
               "detail-title", "detail_title", "content-title", "content_title", "pages-title", "art_title",
               "main-title", "post_title", "art-tit", "show-title", "wzbt", "article-tit")),
    ("id", ("ArticleTitle", "articleTitle", "title", "ti", "news_title", "artibodyTitle")),
]


def _heading_ok(page: Page, el: HtmlElement, text: str) -> bool:
    if not (2 <= len(text) <= 160):
        return False
    if D.year_heading(D.normalize(text), page.today):
        return False  # "2017" / "2017年" over a year group of a list names the year, not an article
    if page.regions.of(el) in ("nav", "footer"):
        return False
    # a heading that is only a link (logo, "通知公告" box title) is not the article title
    links = el.findall(".//a")
    if links:
        link_text = sum(len(text_of(a)) for a in links)
        if link_text >= 0.8 * len(text):
            return False
    return True


_HEADING_RANK = {"h1": 0, "h2": 1, "title-class": 1, "h3": 2, "h4": 3}
_TITLE_BOX_TAGS = frozenset("div td p span strong b font li th".split())
_TITLE_TOKENS = {"title", "tit", "bt", "biaoti", "newstitle", "news_title", "arttitle", "atitle", "wzbt", "show_title",
                 "headline", "xwbt", "nrbt", "heading", "title_main", "main_title", "tt"}


def _title_box_text(el: HtmlElement) -> tuple[HtmlElement, str | None]:
    """The title inside a title box: its heading if it has one, else its text before any date line."""
    for h in el.iter("h1", "h2", "h3", "h4"):
        text = clean_title(text_of(h))
        if text:
            return h, text
    text = clean_title(text_of(el) or el.get("title"))
    if text and (D.FULL_DATE_RE.search(D.normalize(text)) or D.label_dates(D.normalize(text))):
        # "标题 发布时间：2023-05-10 作者：…" in one box: keep the first child that is not the meta line
        for part in [el.text or ""] + [text_of(c) for c in el if isinstance(c.tag, str)]:
            cleaned = clean_title(part)
            if cleaned and len(cleaned) >= 4 and not D.FULL_DATE_RE.search(D.normalize(cleaned)) and not _META_WORDS_RE.search(
                    cleaned):
                return el, cleaned
    return el, text


_META_WORDS_RE = re.compile(r"(发布|来源|作者|点击|浏览|编辑|日期|时间|阅读)\s*[:：]")


def _heads_a_box(el: HtmlElement, box_parents: set[HtmlElement]) -> bool:
    """True when the element right after the heading (or after its wrapper) holds a list of links."""
    for node in (el, el.getparent()):
        if node is None:
            return False
        nxt = node.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        if nxt is not None:
            if nxt in box_parents:
                return True
            for child in nxt:
                if child in box_parents:
                    return True
                if any(g in box_parents for g in child):
                    return True
        parent = el.getparent()
        if node is el and parent is not None:  # (a heading always has a parent; this narrows it)
            siblings = [c for c in parent if isinstance(c.tag, str) and c is not el]
            if any(c.tag not in ("a", "span", "em", "i", "img") for c in siblings):
                break  # the heading is not alone in a title bar: its wrapper's neighbours are not its box
    return False


def find_title(page: Page, main: HtmlElement | None, box_parents: set[HtmlElement] | None = None) -> tuple[str | None, HtmlElement | None]:
    sel = page.selectors
    if sel and sel.title:
        for el in css_select(page.root, sel.title):
            text = clean_title(text_of(el))
            if text:
                return text, el
    for rule in _TITLE_RULES:
        for el in rule_matches(page, rule):
            el, text = _title_box_text(el)
            if text and _heading_ok(page, el, text) and not D.FULL_DATE_RE.fullmatch(D.normalize(text)):
                return text, el
    meta = meta_content(page.root, "ArticleTitle", "articletitle")
    if meta:
        return meta, None
    # the heading nearest to (before or at the top of) the body
    main_span = page.span(main) if main is not None else None
    main_start = main_span[0] if main_span else None
    doc_title = D.normalize(page.doc_title)
    best: tuple[tuple, str, Any] | None = None
    for el in page.body.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag not in _HEADING_RANK:
            if tag not in _TITLE_BOX_TAGS or not (class_tokens(el) & _TITLE_TOKENS):
                continue
            tag = "title-class"
        text = clean_title(text_of(el))
        if not text or not _heading_ok(page, el, text):
            continue
        if page.regions.of(el) in ("side", "header"):
            continue
        if box_parents and _heads_a_box(el, box_parents):
            continue  # "热点新闻" over a list of links is a box title, not the article's
        idx = page.first_block.get(el)
        if idx is None:
            sp = page.span(el)
            idx = sp[0] if sp else None
        if idx is None:
            continue
        in_title = bool(doc_title) and D.normalize(text) in doc_title and len(text) >= 4
        if main_start is not None:
            dist = main_start - idx
            if dist < -3:
                dist = 1000 + abs(dist)  # far below the body start: sidebar or footer heading
            elif dist < 0:
                dist = 0
        else:
            dist = idx
        rank = _HEADING_RANK[tag]
        key = (0 if in_title else 1, dist, rank)
        if best is None or key < best[0]:
            best = (key, text, el)
    if best is not None and best[0][0] == 0:
        return best[1], best[2]
    # no heading repeats <title>: the <title> text itself, when the page shows it in a block of its own
    stripped = strip_site_name(page.doc_title)
    if stripped and len(stripped) >= 4 and not _SITE_WORDS_RE.search(stripped):
        norm = D.normalize(stripped)
        for b in page.blocks:
            if (norm in b.search and len(b.search) <= len(norm) * 1.3 + 4 and b.link_chars < 0.5 * len(b.text)
                    and page.regions.of(b.el) not in ("nav", "footer", "header", "side")):
                return stripped, b.el
    if best is not None and best[0][1] < 1000:
        return best[1], best[2]
    og = meta_content(page.root, "og:title", "twitter:title")
    if og:
        return strip_site_name(og), None
    return strip_site_name(page.doc_title), None
