"""Publication and update dates of an article page, chosen by evidence strength and position.

A labelled date right under the title beats one after the body, which beats anything inside the
body; then meta tags; the caller adds URL dates and, weakest, the signature (落款) date.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lxml.html import HtmlElement

from crawler.extract import dates as D
from crawler.extract.dom import css_select, text_of
from crawler.extract.page import Page, in_rows

_META_PUBLISHED = {
    "pubdate", "publishdate", "publish_date", "publish-date", "publishtime", "publish_time", "article:published_time",
    "og:published_time", "og:article:published_time", "article:published", "datepublished", "dc.date",
    "dc.date.issued", "dcterms.issued", "dcterms.date", "dc.date.created", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "firstpublishedtime", "releasedate", "release_date", "pub_date", "date.release",
    "bytedance:published_time", "weibo:article:create_at", "og:release_date", "article.published", "cre", "date",
}
_META_UPDATED = {
    "article:modified_time", "og:updated_time", "datemodified", "lastmodified", "last-modified", "lastmodifiedtime",
    "dcterms.modified", "dc.date.modified", "revised", "article:modified", "modified", "updatedate", "og:modified_time",
}
_META_WEAK = {"date", "dc.date", "cre"}
_JSONLD_RE = re.compile(r'"date(Published|Created|Modified)"\s*:\s*"([^"]{6,40})"')


def meta_dates(root: HtmlElement, today: date) -> tuple[tuple[date, str] | None, date | None]:
    published: tuple[int, date, str] | None = None
    updated: date | None = None
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        if not key:
            continue
        content = m.get("content") or ""
        if key in _META_PUBLISHED:
            value = D.parse_machine_date(content, today)
            if value:
                rank = 1 if key in _META_WEAK else 0
                if published is None or rank < published[0]:
                    published = (rank, value, key)
        elif key in _META_UPDATED:
            value = D.parse_machine_date(content, today)
            if value and updated is None:
                updated = value
    for el in root.xpath('//*[@itemprop="datePublished" or @itemprop="dateModified"][not(self::meta)]'):
        value = D.parse_machine_date(el.get("datetime") or el.get("content") or text_of(el), today)
        if not value:
            continue
        if el.get("itemprop") == "datePublished" and (published is None or published[0] > 0):
            published = (0, value, "itemprop")
        elif el.get("itemprop") == "dateModified" and updated is None:
            updated = value
    for script in root.xpath('//script[@type="application/ld+json"]'):
        for kind, raw in _JSONLD_RE.findall(script.text or ""):
            value = D.parse_machine_date(raw, today)
            if not value:
                continue
            if kind in ("Published", "Created") and (published is None or published[0] > 0):
                published = (0, value, "ld+json")
            elif kind == "Modified" and updated is None:
                updated = value
    return ((published[1], published[2]) if published else None), updated


@dataclass
class _Cand:
    value: date
    source: str      # 'label' | 'heading'
    kind: str        # published | bare | written | updated | heading
    prio: tuple


DateCandidate = _Cand  # the public name, for the records that hold candidates (``analyse``)


_META_LINE_RE = re.compile(r"(作者|来源|点击|浏览|编辑|发布|阅读|字号|访问|责任|审核|供稿|摄影|撰稿|单位|部门|出处|阅读量|次数)")
_EVENT_BEFORE_RE = re.compile(r"(时间|日期|期限|截止|截至|开始|结束|起止|至|到)\s*[:：]?\s*$")
_RANGE_AFTER_RE = re.compile(r"^\s*(\d{1,2}:\d{2}(:\d{2})?)?\s*(至|到|~|—|－|-\s*\d)")
_SPLIT_HEADING_DATE_RE = re.compile(r"^\s*((?:19|20)\d{2})\s+(\d{1,2})\s*[/-]\s*(\d{1,2})(?!\d)")
_KIND_RANK = {"published": 0, "bare": 1, "heading": 1, "written": 2, "updated": 0}


def article_dates(page: Page, title_idx: int | None, main_span: tuple[int, int] | None,
                  main_known: bool, row_els: set | None = None,
                  signature_idx: int | None = None) -> tuple[list[_Cand], list[_Cand]]:
    """Published and updated candidates, best first (a signature's date line is not a heading date)."""
    blocks = page.blocks
    n = len(blocks)
    ms, me = main_span if main_span else (None, None)
    t = title_idx
    if t is None:
        t = max((ms or 0) - 1, 0) if ms is not None else None
    pubs: list[_Cand] = []
    upds: list[_Cand] = []

    def in_main(i: int) -> bool:
        return main_span is not None and main_span[0] <= i <= main_span[1]

    def zone(i: int) -> int | None:
        if main_known and in_main(i) and not (t is not None and in_main(t)):
            return 4  # inside a CMS body container (that does not hold the title): the article text
        if t is not None:
            if ms is not None and ms > t:
                if t < i <= min(t + 15, ms + 2):
                    return 0
            elif t < i <= t + 8:
                return 0
        if me is not None and ms is not None and (t is None or me >= t) and me < i <= me + 12:
            return 2
        if t is not None and t - 3 <= i < t:
            return 3
        if in_main(i):
            return 4
        return 5

    for b in blocks:
        text = b.search
        label_only = D.ends_with_label(text) and b.index + 1 < n
        if not label_only and not any(ch.isdigit() for ch in text):
            continue
        z = zone(b.index)
        if z is None:
            continue
        region = page.regions.of(b.el)
        if region in ("nav", "footer") or (region == "side" and z != 0):
            continue
        if region == "header" and z != 0:
            continue
        if D.looks_like_today_widget(text):
            continue
        search = text + " " + blocks[b.index + 1].search if label_only else text
        dist = abs(b.index - t) if t is not None else b.index
        if row_els and in_rows(b.el, row_els):
            continue  # a row of a dated list (sidebar, related news) never dates the page
        found_label = False
        update_at: int | None = None  # where an "updated" label starts: an unlabelled date before it is the byline
        for hit in D.label_dates(search, page.today):
            kind = hit.kind
            if kind == "updated":
                update_at = hit.start if update_at is None else min(update_at, hit.start)
                # after the body only right after it: lower down it is the site's "最后更新" line
                if z in (0, 3) or (z == 2 and me is not None and b.index <= me + 3):
                    upds.append(_Cand(hit.value, "label", kind, (z, 0, dist)))
                continue
            found_label = True
            if z >= 4 and kind != "published":
                continue  # "一、时间：…" inside a notice is an event, not the page date
            if kind == "bare" and in_main(b.index) and (
                    hit.start > 1 or not _META_LINE_RE.search(search)):
                # in the body "时间：…" is an event ("时间：11月5日 地点：…") unless the line is a meta line
                continue
            if z == 5 and not main_known and t is None:
                continue
            pubs.append(_Cand(hit.value, "label", kind, (z if z != 0 else 0, _KIND_RANK[kind], dist)))
        if found_label or z not in (0, 3) or b.index == signature_idx:
            continue
        if update_at is not None:
            text = text[:update_at]  # "2017.09.05 修改时间：2019.02.25": the date before the update label
        # An unlabelled date line right under the title ("2019-10-31 10:20 来源：新华网").
        if b.link_chars > 0.5 * len(b.text) or len(b.text) > 140:
            continue
        if title_idx is None or any(p in b.text for p in "。，；！？"):
            continue  # a sentence of the body that mentions a date is not a date line
        if z == 3 and ((t is not None and b.index < t - 2) or D.has_weekday(text)):  # zone 3 has a title
            continue
        bare = next(D.iter_dates(text, page.today), None)
        value = bare.value if bare else None
        if bare is not None and (_EVENT_BEFORE_RE.search(text[max(0, bare.start - 8):bare.start])
                                 or _RANGE_AFTER_RE.match(text[bare.end:])):
            continue  # "活动时间：2019-11-05" / "2019-11-01至11-05": an event, not the page date
        if value is None:
            m = _SPLIT_HEADING_DATE_RE.search(text)  # "2019 10/31 10:20:33" (year and day in separate spans)
            if m:
                value = D.make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), page.today)
        if value is not None:
            pubs.append(_Cand(value, "heading", "heading", (1 if z == 0 else 3.5, 1, dist)))
    pubs.sort(key=lambda c: c.prio)
    upds.sort(key=lambda c: c.prio)
    return pubs, upds


def find_signature(page: Page, main_span: tuple[int, int] | None,
                   row_els: set | None) -> tuple[date, int] | None:
    """The 落款 date under the signer at the end of the main content (the weakest source), with the
    index of its block."""
    if main_span is None:
        return None
    blocks: list = []
    for b in reversed(page.blocks[main_span[0]:main_span[1] + 1]):
        if b.link_chars >= 0.5 * len(b.text) or page.regions.of(b.el) in ("nav", "footer", "side", "header"):
            continue  # attachment links, prev/next, share bars
        if row_els and in_rows(b.el, row_els):
            continue
        if _in_data_row(b.el):
            break  # a table of data ends the text ("教务处 | 2019年12月24日" is a cell pair, not a signer)
        blocks.append(b)
        if len(blocks) >= 4:
            break
    blocks.reverse()
    found = D.find_signature([b.search for b in blocks], page.today)
    return (found[0], blocks[found[1]].index) if found else None


def _in_data_row(el: HtmlElement) -> bool:
    """Inside a table row with two or more non-empty cells (layout tables have one cell per row)."""
    node: HtmlElement | None = el
    for _ in range(4):
        if node is None:
            return False
        if node.tag == "tr":
            return sum(1 for c in node if c.tag in ("td", "th") and text_of(c)) >= 2
        node = node.getparent()
    return False


def selector_date(page: Page) -> date | None:
    sel = page.selectors
    if not (sel and sel.date):
        return None
    for el in css_select(page.root, sel.date):
        text = D.normalize(text_of(el) or el.get("content") or el.get("datetime") or "")
        for label in D.label_dates(text, page.today):
            if label.kind != "updated":
                return label.value
        for hit in D.iter_dates(text, page.today, short_year=True):
            return hit.value
        value = D.parse_machine_date(text, page.today)
        if value:
            return value
    return None
