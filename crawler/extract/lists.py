"""List rows: candidate link lists on a page, one row per item, the date each row shows."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract import dates as D
from crawler.extract.breadcrumb import CRUMB_LABEL_RE
from crawler.extract.dom import SKIP_TAGS, WS_RE, abs_url, css_select, text_of
from crawler.extract.page import Page, in_rows
from crawler.extract.regions import class_tokens

_ITEM_TAGS = frozenset(("li", "tr", "dd", "div", "p", "dl", "article", "section", "dt", "h3", "h4", "table"))
LIST_CLASS_TOKENS = {"list", "lists", "infolist", "newslist", "news_list", "news-list", "list_con", "lb", "liebiao",
                     "articlelist", "article-list", "article_list", "list-box", "listbox", "view-content", *cms.LIST_CLASSES}
_NON_ENTRY_TEXT_RE = re.compile(r"^(更多|more|更多>>|更多>|more>>|more\+|\+more|查看更多|首页|上一页|下一页|尾页|末页|"
                                r"下页|上页|前一页|后一页|返回|返回首页|详细|详情|阅读全文|登录|注册|打印|关闭|收藏|English|"
                                r"\d+|>+|<+|»|«|\.\.\.)$", re.I)
EMPTY_LIST_RE = re.compile(r"暂无(内容|信息|数据|记录|文章|相关|公开|新闻|公告)|没有(找到)?(相关|符合)|无相关(信息|内容)|"
                           r"该栏目(下)?(暂)?无")
_BULLET_RE = re.compile(r"^[\s·•●■◆▪►>»\-–]+")
_DAY_RE = re.compile(r"^\s*(0?[1-9]|[12]\d|3[01])\s*(?:日)?\s*$")
_MONTH_ONLY_RE = re.compile(r"^\s*(0?[1-9]|1[0-2])\s*月\s*$")


@dataclass
class Row:
    title: str
    url: str
    date: date | None
    source: str | None
    md: tuple[int, int] | None  # month-day without a year
    el: Any


@dataclass
class Group:
    parent: Any
    rows: list[Row]
    known: bool = False
    head: Any = None  # where the list's heading is looked for, when not before ``parent`` (merged year groups)

    @property
    def dated(self) -> int:
        return sum(1 for r in self.rows if r.date or r.md)

    @property
    def score(self) -> float:
        s = self.dated * 3 + len(self.rows)
        if self.known:
            s += 20
        return s


def _texts_outside(el: HtmlElement, skip: HtmlElement) -> list[str]:
    """Text nodes of ``el`` except those inside ``skip`` (the row's title link)."""
    out: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if not isinstance(node.tag, str):
            if event == "end" and node.tail:
                out.append(node.tail)
            continue
        if event == "start":
            if node is skip or node.tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if node.text:
                out.append(node.text)
        elif node is not el and node.tail:
            out.append(node.tail)
    return [t for t in (x.strip() for x in out) if t]


def _row_date(el: HtmlElement, link: HtmlElement, link_text: str, today: date) -> tuple[date | None, tuple[int, int] | None, str]:
    """Date shown in a row: full date, 2-digit year, split day/year-month, or month-day."""
    texts = [D.normalize(t) for t in _texts_outside(el, link)]
    joined = " ".join(texts)
    if D.looks_like_today_widget(joined):
        return None, None, link_text
    # a node that is only a date ("2019-10-31", "[2019-10-31]") beats a date inside a summary text
    for t in texts:
        if len(t) <= 30:
            hit = next(D.iter_dates(t, today, short_year=True), None)
            if hit and len(t) - (hit.end - hit.start) <= 14:
                return hit.value, None, link_text
    for hit in D.iter_dates(joined, today, short_year=True):
        return hit.value, None, link_text
    # split blocks: "31" in one node, "2019.10" / "2019-10" / "10月" in another
    ym = next((D.year_month(t) for t in texts if D.year_month(t)), None)
    day = next((int(m.group(1)) for t in texts if (m := _DAY_RE.match(t))), None)
    if ym and day:
        value = D.make_date(ym[0], ym[1], day, today)
        if value:
            return value, None, link_text
    month = next((int(m.group(1)) for t in texts if (m := _MONTH_ONLY_RE.match(t))), None)
    if month and day:
        return None, (month, day), link_text
    for t in texts:
        md = D.month_day(t)
        if md and len(t) <= 14:
            return None, md, link_text
    # a date in its own element inside the link (<a><span>title</span><span>08-06</span></a>)
    for child in link.iter():
        if child is link or not isinstance(child.tag, str) or len(child):
            continue
        own = D.normalize(text_of(child))
        if not own or len(own) > 16 or len(D.normalize(link_text)) <= len(own) + 1:
            continue
        hit = next(D.iter_dates(own, today, short_year=True), None)
        md = None if hit or len(own) > 7 else D.month_day(own)
        if (hit and len(own) - (hit.end - hit.start) <= 4) or md:
            cut = link_text.replace(text_of(child), "").strip() or link_text
            return (hit.value if hit else None), md, cut
    # a date at the end of the link text ("关于…的通知 2019-10-31"), not in the middle of a title
    norm = D.normalize(link_text)
    hits = list(D.iter_dates(norm, today, short_year=False))
    if hits and len(norm[hits[-1].end:].strip(" )]）】")) == 0 and hits[-1].start > 0:
        cut = link_text[:hits[-1].start].rstrip(" ([（【-·")
        return hits[-1].value, None, cut or link_text
    return None, None, link_text


def _row_link(el: HtmlElement) -> HtmlElement | None:
    best, best_len = None, 0
    count = 0
    for a in el.iter("a"):
        href = a.get("href")
        if not href:
            continue
        count += 1
        if count > 4:
            return None  # a layout cell holding a whole block of links, not one row
        text = text_of(a)
        tlen = max(len(text), len(a.get("title") or "") if text else 0)
        if tlen > best_len:
            best, best_len = a, tlen
    return best


def _row_title(a: HtmlElement) -> str:
    text = text_of(a)
    title_attr = WS_RE.sub(" ", a.get("title") or "").strip()
    if title_attr and (text.endswith(("...", "…", "..")) or (len(title_attr) > len(text)
                                                                and title_attr[:4] == text[:4])):
        text = title_attr
    return _BULLET_RE.sub("", text).strip()


def _make_rows(page: Page, items: Iterable[HtmlElement], date_sel: str | None = None) -> list[Row]:
    rows: list[Row] = []
    for el in items:
        a = _row_link(el)
        if a is None:
            continue
        url = abs_url(page.base, a.get("href"))
        if not url:
            continue
        title = _row_title(a)
        if len(title) < 2 or _NON_ENTRY_TEXT_RE.match(title):
            continue
        if el.find(".//h1") is not None or (len(WS_RE.sub("", el.text_content() or "")) > 260 + len(title)
                                              and len(el.findall(".//a")) > 2):
            # a layout block holding a whole page section, not one row of a list; one link with a long
            # summary under it is still one row (news lists that show each item's first paragraph)
            continue
        if page.regions.of(a) in ("nav", "footer"):
            continue  # a menu cell ("td.left_menu") in a layout table is navigation, not a row
        value, md = None, None
        if date_sel:
            for d_el in css_select(el, date_sel):
                txt = D.normalize(text_of(d_el))
                hit = next(D.iter_dates(txt, page.today, short_year=True), None)
                if hit:
                    value = hit.value
                elif D.month_day(txt):
                    md = D.month_day(txt)
                break
        if value is None and md is None:
            value, md, title = _row_date(el, a, title, page.today)
        rows.append(Row(title, url, value, "list" if value else None, md, el))
    return rows


def candidate_groups(page: Page, paged: bool = False) -> list[Group]:
    groups: list[Group] = []
    sel = page.selectors
    if sel and sel.list_item:
        items = css_select(page.root, sel.list_item)
        if items:
            groups.append(Group(items[0].getparent(), _make_rows(page, items, sel.list_date), known=True))
            return groups
    seen_parents: set = set()
    known_xp = page.root.xpath(cms.KNOWN_LIST_XPATH)
    for parent in known_xp:
        items = [c for c in parent if isinstance(c.tag, str) and c.tag in ("li", "div")]
        groups.append(Group(parent, _make_rows(page, items), known=True))
        seen_parents.add(parent)
    for parent in page.body.iter():
        if (not isinstance(parent.tag, str) or parent in seen_parents or len(parent) < 1
                or parent.tag in ("body", "html", "form")):
            continue
        if page.regions.of(parent) in ("nav", "footer"):
            continue
        by_tag: dict[str, list] = {}
        for c in parent:
            if isinstance(c.tag, str) and c.tag in _ITEM_TAGS:
                by_tag.setdefault(c.tag, []).append(c)
        grand = parent.getparent()
        listy = paged or bool(class_tokens(parent) & LIST_CLASS_TOKENS) or (
            parent.tag in ("ul", "ol", "table", "tbody", "dl") and grand is not None
            and bool(class_tokens(grand) & LIST_CLASS_TOKENS))
        for items in by_tag.values():
            if len(items) < (1 if listy else 2):
                continue
            linked = [c for c in items if c.find(".//a[@href]") is not None]
            if len(linked) < (1 if listy else 2):
                continue
            rows = _make_rows(page, linked)
            if len(rows) >= 2 or (listy and rows and (all(r.date or r.md for r in rows) or (
                    paged and len(rows) == 1 and class_tokens(parent) & LIST_CLASS_TOKENS))):
                groups.append(Group(parent, rows, known=bool(class_tokens(parent) & cms.KNOWN_LIST_CLASSES)))
        # older pages: "·<a>title</a> 2019-6-8<br>" runs directly in a cell
        direct = [c for c in parent if isinstance(c.tag, str) and c.tag == "a" and c.get("href")]
        if len(direct) >= 3:
            rows = _flat_rows(page, parent, direct)
            if len(rows) >= 3:
                groups.append(Group(parent, rows))
    groups = [g for g in groups if g.rows or g.known]
    headings = year_headings(page)
    groups.extend(_year_group_lists(page, headings))
    if headings:
        # "rows" that each hold a year heading are year groups (boxes of rows), not rows
        boxes = [h[2] for h in headings]
        groups = [g for g in groups if g.known or 2 * sum(1 for r in g.rows if any(page.inside(h, r.el) for h in boxes))
                  < len(g.rows)]
    # a "list" found inside one row of a bigger list (the cells of a table row) is part of that row
    # - unless it is a list box of dated rows: then the bigger "list" is the page's layout blocks around it
    row_set = {r.el for g in groups if len(g.rows) >= 2 for r in g.rows}
    return [g for g in groups if g.known or len(g.rows) >= 2 or not in_rows(g.parent, row_set) or (
        bool(class_tokens(g.parent) & LIST_CLASS_TOKENS) and g.rows and g.dated == len(g.rows))]


def _box_items(box: HtmlElement) -> list[HtmlElement]:
    """The rows of a list box: its children of the most common row tag (a table's through its tbody)."""
    if box.tag == "table":
        body = box.find("tbody")
        box = body if body is not None else box
    by_tag: dict[str, list] = {}
    for c in box:
        if isinstance(c.tag, str) and c.tag in _ITEM_TAGS:
            by_tag.setdefault(c.tag, []).append(c)
    return max(by_tag.values(), key=len) if by_tag else []


def _year_group_lists(page: Page, headings: list[tuple[int, int, HtmlElement]]) -> list[Group]:
    """A column split into year groups ("2019年" over its rows, "2018年" over the next …) is one list, however
    few rows each group holds: the boxes right after the year headings, merged under their common parent."""
    scopes: dict[Any, list[Row]] = {}
    first_box: dict[Any, HtmlElement] = {}
    for _pos, _year, h in headings:
        box = h.getnext()
        parent = h.getparent()
        if box is None or parent is None or box.find(".//a[@href]") is None:
            continue
        rows = _make_rows(page, _box_items(box))
        if not rows or not all(r.date or r.md for r in rows):
            continue
        siblings = sum(1 for x in headings if x[2].getparent() is parent)
        scope = parent if siblings > 1 or parent.getparent() is None else parent.getparent()
        scopes.setdefault(scope, []).extend(rows)
        first_box.setdefault(scope, box)
    return [Group(scope, rows, head=first_box[scope]) for scope, rows in scopes.items()
            if page.regions.of(scope) not in ("nav", "footer", "side")]


def _flat_rows(page: Page, parent: HtmlElement, anchors: list[HtmlElement]) -> list[Row]:
    rows = []
    for a in anchors:
        url = abs_url(page.base, a.get("href"))
        title = _row_title(a)
        if not url or len(title) < 2 or _NON_ENTRY_TEXT_RE.match(title):
            continue
        texts = [a.tail or ""]
        sib = a.getnext()
        while sib is not None and not (sib.tag == "a" and sib.get("href")):
            if isinstance(sib.tag, str):
                if sib.tag == "br" and "".join(texts).strip():
                    break
                texts.append(sib.text_content() or "")
            texts.append(sib.tail or "")
            sib = sib.getnext()
        txt = D.normalize(" ".join(texts))
        hit = next(D.iter_dates(txt, page.today, short_year=True), None)
        md = None if hit else D.month_day(txt)
        rows.append(Row(title, url, hit.value if hit else None, "list" if hit else None, md, a))
    return rows


def year_headings(page: Page) -> list[tuple[int, int, HtmlElement]]:
    """(document position, year, element) of blocks that are only a year ("2017年"): year groups of a list."""
    if page.year_headings is not None:
        return page.year_headings
    out = page.year_headings = []
    for b in page.blocks:
        if len(b.search) <= 12 and b.link_chars == 0 and any(ch.isdigit() for ch in b.search):
            year = D.year_heading(b.search, page.today)
            if year and page.regions.of(b.el) not in ("nav", "footer", "side"):
                out.append((page.order.get(b.el, -1), year, b.el))
    return out


def heading_year(page: Page, headings: list[tuple[int, int, HtmlElement]], el: HtmlElement) -> int | None:
    """The year of the nearest year heading before ``el`` that heads its group (a close common ancestor)."""
    pos = page.order.get(el)
    if pos is None:
        return None
    best = None
    for h in headings:
        if h[0] < pos and (best is None or h[0] > best[0]):
            best = h
    if best is None:
        return None
    ups = []
    node = best[2].getparent()
    for _ in range(3):
        if node is None:
            break
        ups.append(node)
        node = node.getparent()
    anc = el.getparent()
    for _ in range(10):
        if anc is None:
            return None
        if anc in ups or anc is best[2]:
            return best[1]
        anc = anc.getparent()
    return None


def list_heading(page: Page, parent: HtmlElement) -> str | None:
    """A short heading just before the list (the column name when there is no breadcrumb)."""
    sp = page.span(parent)
    if not sp:
        return None
    start = sp[0]
    for i in range(start - 1, max(start - 6, -1), -1):
        b = page.blocks[i]
        text = b.text.strip()
        if not text or _NON_ENTRY_TEXT_RE.match(text) or CRUMB_LABEL_RE.match(text):
            continue
        if D.year_heading(b.search, page.today):
            continue  # "2019年" over a year group names the year, not the column
        if 2 <= len(text) <= 20 and not any(ch.isdigit() for ch in text[:1]):
            if page.regions.of(b.el) in ("nav", "footer"):
                return None
            return text.replace("更多", "").replace("MORE", "").replace("more", "").strip(" >+»") or None
        break
    return None
