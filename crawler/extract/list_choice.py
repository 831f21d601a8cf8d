"""Which link list is the column's own: known markup, next to the pager, under the column heading,
rows in the column's folder; empty columns; year groups; home pages and hubs.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract import dates as D
from crawler.extract.breadcrumb import page_column
from crawler.extract.dom import text_of
from crawler.extract.lists import LIST_CLASS_TOKENS, Group, heading_year, list_heading, year_headings
from crawler.extract.page import Page
from crawler.extract.pagination import near_pager
from crawler.extract.regions import class_tokens

ROOT_PATH_RE = re.compile(r"^/(?:(?:index|default|main|home|portal)\.(?:s?html?|jsp|asp|aspx|php))?$", re.I)
ZERO_COUNT_RE = re.compile(r"(?:共|总共|总计|合计)\s*0(?![\d.])\s*(?:条|篇|项)?\s*(?:记录|信息|文章|数据|内容)?"
                           r"(?!\s*(?:评论|回复|留言|点评))")
_EMPTY_CONTAINER_TAGS = ("ul", "ol", "table", "tbody", "dl", "div")


def empty_list_container(page: Page, pagers: list) -> HtmlElement | None:
    """An empty list box right before the paging bar ("<ul class=news-list></ul>", an empty winstyle table):
    the column exists but has no rows yet."""
    if not pagers:
        return None
    for el in page.body.iter(*_EMPTY_CONTAINER_TAGS):
        listy = bool(class_tokens(el) & LIST_CLASS_TOKENS)
        if not listy and el.tag in ("ul", "ol"):
            parent = el.getparent()
            listy = parent is not None and bool(class_tokens(parent) & LIST_CLASS_TOKENS)
        if not listy or el.find(".//a[@href]") is not None or len(text_of(el)) > 30:
            continue
        if page.regions.of(el) in ("nav", "footer", "side", "header"):
            continue
        if near_pager(page, el, pagers):
            return el
    return None


def empty_column_box(page: Page, column: str) -> HtmlElement | None:
    """An empty list box right under the column's own heading, with no pager and no "暂无" text: the column
    exists and has no rows yet (what a person sees: the column's name over nothing)."""
    if not column:
        return None
    for el in page.body.iter(*_EMPTY_CONTAINER_TAGS):
        if not class_tokens(el) & (LIST_CLASS_TOKENS | cms.KNOWN_LIST_CLASSES):
            continue
        if el.find(".//a[@href]") is not None or text_of(el):
            continue
        if page.regions.of(el) in ("nav", "footer", "side", "header"):
            continue
        pos = page.order.get(el, -1)
        before = [b for b in page.blocks if page.order.get(b.el, pos) < pos][-4:]
        for b in reversed(before):
            text = D.normalize(b.text.strip())
            if 2 <= len(text) <= 30 and page.regions.of(b.el) not in ("nav", "footer", "side") and (
                    text in column or column in text):
                return el
    return None


def _affinity(page: Page, group: Group) -> float:
    """Share of rows whose URL belongs to this column (WebPlus c<id>a…, or under the list's folder)."""
    path = urlsplit(page.url).path
    m = cms.WEBPLUS_COLUMN_RE.search(path)
    marker = cms.WEBPLUS_COLUMN_ARTICLE.format(m.group(1)) if m else None
    folder = path.rsplit("/", 1)[0] + "/" if path.count("/") >= 2 else None
    if not group.rows:
        return 0.0
    hits = 0
    for r in group.rows:
        rpath = urlsplit(r.url).path
        if (marker and marker in rpath) or (folder and rpath.startswith(folder) and rpath != path):
            hits += 1
    return hits / len(group.rows)


def headed_by_column(page: Page, group: Group, column: str) -> bool:
    """The list sits under a heading that names the page's column (breadcrumb or <title>)."""
    heading = list_heading(page, group.head if group.head is not None else group.parent)
    if not (column and heading):
        return False
    heading = D.normalize(heading)
    return column in heading or heading in column


def choose_list(page: Page, groups: list[Group], crumb: list[str], pagers: list) -> Group | None:
    """The column's own list among all link lists: known markup, next to the pager, under the column
    heading, rows inside the column's folder; sidebars and news boxes lose."""
    if not groups:
        return None
    column = page_column(page, crumb)

    def score(g: Group) -> float:
        s = g.score
        if pagers and near_pager(page, g.parent, pagers):
            s += 20
        if headed_by_column(page, g, column):
            s += 20
        s += 10 * _affinity(page, g)
        if page.regions.of(g.parent) == "side":
            s -= 30
        return s

    return max(groups, key=score)


def with_year_groups(page: Page, best: Group, groups: list[Group]) -> Group:
    """A column split into year groups ("2020年" list, "2019年" list …) is one list: merge the sibling groups
    that share the best group's markup and each sit under a year heading."""
    headings = year_headings(page)
    if best.head is not None or not headings or not best.rows or heading_year(page, headings, best.rows[0].el) is None:
        return best  # (a group with a head is already the merge of the year groups)
    cls = best.parent.get("class")
    scope = best.parent
    for _ in range(3):
        scope = scope.getparent() if scope is not None else None
    if scope is None:
        return best
    members = [g for g in groups if g is best or (
        g.rows and g.parent.tag == best.parent.tag and g.parent.get("class") == cls and page.inside(g.parent, scope)
        and not page.inside(g.parent, best.parent) and not page.inside(best.parent, g.parent)
        and heading_year(page, headings, g.rows[0].el) is not None)]
    if len(members) < 2:
        return best
    members.sort(key=lambda g: page.order.get(g.parent, 0))
    return Group(members[0].parent, [r for g in members for r in g.rows], known=best.known)


def plain_column(page: Page, group: Group, groups: list[Group]) -> bool:
    """One undated list of real titles on a non-home page (several such lists make a hub)."""
    if ROOT_PATH_RE.match(urlsplit(page.url).path or "/"):
        return False
    if sum(len(r.title) for r in group.rows) / len(group.rows) < 6:
        return False
    others = [g for g in groups if g is not group and len(g.rows) >= 3 and not page.inside(g.parent, group.parent)
              and not page.inside(group.parent, g.parent)]
    return not others or headed_by_column(page, group, page_column(page, []))
