"""One function turns a fetched page into a :class:`PageRecord` (see docs/extraction.md).

This module decides what kind of page it is and assembles the record; the work is done by modules
with one job each:

* ``crawler.extract.dom`` / ``crawler.extract.regions`` / ``crawler.extract.page`` - parse once with lxml, flatten into
  blocks, know which region (nav, footer, sidebar, header) every element sits in;
* ``crawler.extract.content`` - the main content (a known CMS body container or the densest text block);
* ``crawler.extract.titles`` / ``crawler.extract.breadcrumb`` - the article's own title, the column name;
* ``crawler.extract.page_dates`` - publication/update dates by evidence strength and position (labels
  near the title, metas, URL, the signature at the end of a notice);
* ``crawler.extract.lists`` / ``crawler.extract.list_choice`` / ``crawler.extract.list_dates`` - list rows, the column's
  own list, the dates of its entries; ``crawler.extract.pagination`` - further pages of a list;
* ``crawler.extract.links`` - links and attachment links; ``crawler.extract.records`` - the record dataclasses.
* ``crawler.extract.cms`` - the CMS families' markers (class names, URL shapes) the modules above use.

``_analyse`` reads the page (:class:`_Evidence`), decides its kind (:class:`_Decision`) and fills the
record with one builder per kind.

Hot path: lxml only, no network, no BeautifulSoup.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract import dates as D
from crawler.extract.breadcrumb import column_from_crumb, find_breadcrumb, page_column
from crawler.extract.content import block_text, fingerprint_text, main_content
from crawler.extract.dom import WS_RE, abs_url, caches, header_value, parse_html, text_of
from crawler.extract.encoding import decode_html
from crawler.extract.fingerprint import content_fingerprint, list_fingerprint
from crawler.extract.links import ATT_EXT_RE, attachment_links, is_attachment_link, page_links
from crawler.extract.list_choice import (
    ROOT_PATH_RE,
    ZERO_COUNT_RE,
    choose_list,
    empty_column_box,
    empty_list_container,
    headed_by_column,
    plain_column,
    with_year_groups,
)
from crawler.extract.list_dates import make_entries
from crawler.extract.lists import EMPTY_LIST_RE, LIST_CLASS_TOKENS, Group, candidate_groups, list_heading
from crawler.extract.page import Page, in_rows
from crawler.extract.page_dates import DateCandidate, article_dates, find_signature, meta_dates, selector_date
from crawler.extract.pagination import near_pager, pager_elements, pager_present, pagination_urls
from crawler.extract.records import Entry, Link, PageRecord, SiteSelectors, record_to_json
from crawler.extract.regions import class_tokens
from crawler.extract.script_rows import loads_rows_by_script, script_rows
from crawler.extract.titles import find_title, strip_site_name

__all__ = ["Entry", "Link", "PageRecord", "SiteSelectors", "extract", "extract_attachment", "attachment_record",
           "record_to_json", "is_attachment_link"]

_MORE_RE = re.compile(r"^(更多|more|查看更多|更多>>|more>>|>>|更多\+|\+更多|更多»|more\+|\+more|more»|更多>|MORE>)$", re.I)


def extract(body: bytes | str, url: str, headers: Mapping[str, str] | None = None, *,
            selectors: SiteSelectors | None = None, today: date | None = None) -> PageRecord:
    """Turn one fetched HTML response into a :class:`PageRecord` (no network access)."""
    if today is None:
        from monitor.core import clock
        today = clock.today()
    selectors = SiteSelectors.coerce(selectors)
    if isinstance(body, bytes):
        text, encoding = decode_html(body, header_value(headers, "Content-Type"))
    else:
        text, encoding = body, None
    root = parse_html(text)
    if root is None:
        return PageRecord(url=url, title=None, kind="other", published=None, published_source=None, updated=None,
                          updated_source=None, fingerprint=content_fingerprint(None, ""), encoding=encoding)
    try:
        page = Page(root, url, today, selectors)
        return _analyse(page, encoding)
    finally:
        caches.clear()


def _is_challenge(page: Page) -> bool:
    """Anti-bot challenge pages (瑞数 `$_ts`, JS cookie checks) carry scripts and no text."""
    if sum(len(b.text) for b in page.blocks) > 200:
        return False
    for script in page.root.iter("script"):
        text = script.text or ""
        if "$_ts" in text or script.get("r") == "m" or "__jsl_clearance" in text or "acw_sc__v2" in text:
            return True
    return False


@dataclass(frozen=True)
class _Evidence:
    """What was read off the page before deciding its kind (the builders use it too)."""
    main: HtmlElement | None
    main_known: bool           # the body came from a known CMS container or the site's selector
    main_span: tuple[int, int] | None
    title: str | None
    title_el: HtmlElement | None
    title_idx: int | None      # the title's block, also when the title came from <title>
    crumb: list[str]
    pagination: list[str]
    paged: bool                # pager links or a paging bar without links
    groups: list[Group]        # link lists outside nav, footer and header
    row_els: set[HtmlElement]  # rows of dated lists: never the page's own date
    signature: tuple[date, int] | None
    pubs: list[DateCandidate]
    upds: list[DateCandidate]
    meta_pub: tuple[date, str] | None
    meta_upd: date | None
    url_day: date | None


@dataclass(frozen=True)
class _Decision:
    """The page's kind and the list the builders read (the column's own, maybe an empty box)."""
    kind: str                  # "article" | "list" | "other"
    best_group: Group | None
    challenge: bool            # an anti-bot script page: no content was served


def _analyse(page: Page, encoding: str | None) -> PageRecord:
    ev = _read(page)
    decision = _decide(page, ev)
    rec = PageRecord(url=page.url, title=ev.title, kind=decision.kind, published=None, published_source=None,
                     updated=None, updated_source=None, encoding=encoding, breadcrumb=ev.crumb,
                     pagination=ev.pagination)
    rec.links = page_links(page)
    if decision.challenge:
        rec.metadata["challenge"] = True  # an anti-bot script page (瑞数 $_ts …): no content was served
    elif decision.kind != "article" and not (decision.best_group and decision.best_group.dated):
        scripted = script_rows(page.root, page.base, page.today)
        if scripted:  # the column's rows ship as data for the page's script (Hanweb/jsdata templates)
            rec.kind = "list"
            _fill_list(page, ev, _Decision("list", None, False), rec)
            _script_entries(rec, scripted)
            rec.metadata["rows_from"] = "script"
            return rec
        if _empty_box(page) and loads_rows_by_script(page.root) and not ROOT_PATH_RE.match(urlsplit(page.url).path or "/"):
            rec.metadata["scripted_list"] = True  # rows are loaded by script from elsewhere: a browser shows them
    if decision.kind == "list":
        _fill_list(page, ev, decision, rec)
    elif decision.kind == "article":
        _fill_article(page, ev, rec)
    else:
        _fill_other(page, ev, rec)
    return rec


def _script_entries(rec: PageRecord, entries: list) -> None:
    rec.entries = entries
    dated = [e.date for e in entries if e.date]
    rec.newest_entry = max(dated) if dated else None
    rec.text = "\n".join(e.title for e in entries)
    rec.fingerprint = list_fingerprint((e.url, e.title, e.date) for e in entries)


def _empty_box(page: Page) -> bool:
    """An empty list box in the page's content (no links, no text): rows would go there."""
    for el in page.body.iter("ul", "ol", "tbody", "dl", "div"):
        tokens = class_tokens(el) | {t.lower() for t in re.split(r"[\s_-]+", el.get("id") or "") if t}
        if not (tokens & LIST_CLASS_TOKENS or "list" in (el.get("id") or "").lower()):
            continue
        if el.find(".//a[@href]") is None and len(text_of(el)) <= 30 and page.regions.of(el) not in (
                "nav", "footer", "header", "side"):
            return True
    return False


def _read(page: Page) -> _Evidence:
    """Main content, title, lists, paging, breadcrumb and date candidates."""
    today = page.today
    main, main_known = main_content(page)
    pagination = pagination_urls(page)
    paged = bool(pagination) or pager_present(page)
    groups = candidate_groups(page, paged)
    groups = [g for g in groups if page.regions.of(g.parent) not in ("nav", "footer", "header")]
    box_parents = {g.parent for g in groups if len(g.rows) >= 2}
    title, title_el = find_title(page, main, box_parents)
    main_span = page.span(main) if main is not None else None
    title_idx = None
    if title_el is not None:
        sp = page.span(title_el)
        title_idx = sp[0] if sp else None
    elif title:
        norm = D.normalize(title)
        for b in page.blocks[: (main_span[1] + 1) if main_span else len(page.blocks)]:
            if (len(b.search) <= len(norm) + 10 and norm in b.search and b.link_chars < 0.5 * len(b.text)
                    and page.regions.of(b.el) not in ("nav", "footer", "header")):
                title_idx = b.index
                break
    crumb = find_breadcrumb(page)
    meta_pub, meta_upd = meta_dates(page.root, today)
    # rows of dated lists (sidebars, "related news", the list itself) never date the page
    anchors_of_page = [e for e in (title_el, main) if e is not None]
    row_els = {r.el for g in groups if g.dated >= 2 or (g.dated and (g.known or paged)) for r in g.rows
               if not any(page.inside(e, r.el) for e in anchors_of_page)}
    # a notice too short for a main-content block ends under its title: look from the title down
    sig_span = main_span if main_span or title_idx is None else (title_idx + 1, len(page.blocks) - 1)
    signature = find_signature(page, sig_span, row_els)
    pubs, upds = article_dates(page, title_idx, main_span, main_known, row_els,
                               signature[1] if signature else None)
    url_day = D.url_date(page.url, today)
    return _Evidence(main=main, main_known=main_known, main_span=main_span, title=title, title_el=title_el,
                     title_idx=title_idx, crumb=crumb, pagination=pagination, paged=paged, groups=groups,
                     row_els=row_els, signature=signature, pubs=pubs, upds=upds, meta_pub=meta_pub,
                     meta_upd=meta_upd, url_day=url_day)


def _list_portlet(page: Page) -> HtmlElement | None:
    """The column's own list when the CMS marks it (one WebPlus list portlet outside menus and sidebars)."""
    found = page.body.xpath(cms.WEBPLUS_LIST_PORTLET_XPATH)
    if len(found) != 1 or not isinstance(found[0], HtmlElement):
        return None
    el = found[0]
    return None if page.regions.of(el) in ("nav", "footer", "side", "header") else el


def _small_column(page: Page, ev: _Evidence, group: Group | None, crumb: list[str], main_plain: int) -> bool:
    """One or two dated rows under the column's own heading and no text of its own: a small column (章程,
    指南, 年度报告, 制度) is a list whatever its row count; its row's date is not a publication date."""
    if group is None or not group.rows or len(group.rows) > 2 or group.dated < len(group.rows):
        return False
    if ev.main_known or page.regions.of(group.parent) in ("side", "nav", "footer", "header"):
        return False
    if ROOT_PATH_RE.match(urlsplit(page.url).path or "/") or main_plain >= 60:
        return False
    column = page_column(page, crumb)
    if ev.title_el is not None:  # a headline of its own (not the column's name) makes it an article
        headline = D.normalize(text_of(ev.title_el))
        if not (column and headline and (column in headline or headline in column)):
            return False
    return headed_by_column(page, group, column)


def _decide(page: Page, ev: _Evidence) -> _Decision:
    """What kind of page it is: an article, the column's list, or other (home pages, hubs, challenges)."""
    main, main_span, title_idx, title_el = ev.main, ev.main_span, ev.title_idx, ev.title_el
    groups, paged, pagination, crumb = ev.groups, ev.paged, ev.pagination, ev.crumb
    near_title = [c for c in ev.pubs if c.prio[0] in (0, 1)]
    pagers = pager_elements(page) if paged else []
    best_group = choose_list(page, groups, crumb, pagers)
    # a summary under each title of a list is part of its rows, not text of the page's own
    list_rows = {r.el for r in best_group.rows} if best_group is not None and (best_group.dated >= 2 or (
        len(best_group.rows) >= 2 and class_tokens(best_group.parent) & LIST_CLASS_TOKENS)) else set()
    main_plain = 0
    if main_span:
        main_plain = sum(len(b.text) - b.link_chars for b in page.blocks[main_span[0]:main_span[1] + 1]
                         if page.regions.of(b.el) not in ("nav", "footer", "header")
                         and not (list_rows and in_rows(b.el, list_rows)))
    zero = [p for p in pagers if ZERO_COUNT_RE.search(text_of(p))]  # "共 0 条记录": the column has no rows
    if paged and (best_group is None or not best_group.rows or not near_pager(page, best_group.parent, pagers)
                  or (zero and not best_group.known)):
        empty = empty_list_container(page, pagers)
        if empty is None and zero:
            empty = zero[0].getparent() if zero[0].getparent() is not None else zero[0]
        if empty is not None:  # the column's own list is empty (空白栏目); other boxes are not the column
            best_group = Group(empty, [], known=True)
    portlet = _list_portlet(page)
    if portlet is not None:  # the CMS marks the column's own list: the sidebar's boxes are other columns
        own = [g for g in groups if g.parent is portlet or page.inside(g.parent, portlet)]
        if portlet.find(".//a[@href]") is None:
            best_group = Group(portlet, [], known=True)  # an empty column
        elif own:
            pick = max(own, key=lambda g: g.score)
            best_group = Group(pick.parent, pick.rows, known=True)
    article_strong = (ev.main_known and not (best_group and best_group.known and best_group.rows)) or (
        bool(near_title) and title_idx is not None and main_plain >= 30) or (
        main_plain >= 400 and (best_group is None or main_plain > 2 * sum(len(r.title) for r in best_group.rows)))
    if (not article_strong and title_el is not None and main is not None and best_group is not None
            and main_plain >= 60 and main_plain > sum(len(r.title) for r in best_group.rows)
            and not page.inside(best_group.parent, main) and not page.inside(main, best_group.parent)):
        article_strong = True  # a titled body with a news box beside it ("其他新闻")
    if page.selectors and page.selectors.list_item and best_group and best_group.known:
        article_strong = False
    group_strong = best_group is not None and (
        best_group.known or best_group.dated >= 3 or (best_group.dated >= 1 and paged)
        or (len(best_group.rows) >= 5 and paged))
    blank_list = not group_strong and not article_strong and (bool(
        EMPTY_LIST_RE.search(block_text(page, main_span) if main_span else page.body.text_content()[:5000]))
        or bool(zero))

    kind = "other"
    if article_strong:
        kind = "article"
    elif group_strong and best_group is not None:  # group_strong implies a group; this narrows it
        kind = "list"
        comparable = [g for g in groups if g is not best_group and g.dated >= max(3, 0.5 * best_group.dated)
                      and not page.inside(g.parent, best_group.parent) and not page.inside(best_group.parent, g.parent)]
        more_links = sum(1 for a in page.body.iter("a") if _MORE_RE.match(WS_RE.sub("", text_of(a))))
        is_root = bool(ROOT_PATH_RE.match(urlsplit(page.url).path or "/"))
        headed = headed_by_column(page, best_group, page_column(page, crumb))
        if not best_group.known and not pagination and not headed and (
                len(comparable) >= 2 or (comparable and (more_links >= 2 or not crumb)) or (is_root and comparable)):
            kind = "other"  # a home page / navigation hub with several news boxes
        elif is_root and not pagination and not best_group.known and comparable:
            kind = "other"
    elif blank_list or (best_group is not None and (pagination or (
            paged and best_group.rows and near_pager(page, best_group.parent, pagers)))):
        kind = "list"
    elif main_plain >= 150 or (title_idx is not None and (near_title or ev.signature)) or (
            title_el is not None and main_plain >= 60 and not group_strong):
        kind = "article"
    elif best_group is not None and len(best_group.rows) >= 3 and plain_column(page, best_group, groups):
        kind = "list"  # a column of documents without dates (规章制度, 办事指南…)

    if kind in ("article", "other") and _small_column(page, ev, best_group, crumb, main_plain):
        kind = "list"
    if kind == "other" and not (best_group and best_group.rows):
        box = empty_column_box(page, page_column(page, crumb))
        if box is not None:
            kind, best_group = "list", Group(box, [], known=True)
    has_date = bool(ev.pubs or ev.upds or ev.meta_pub or ev.url_day or ev.signature)
    if kind == "article" and not has_date and main_plain < 100 and main is not None:
        # a column page that only points to another site ("请访问：财务处—部门预算") is a signpost
        host = urlsplit(page.url).netloc
        away = [a for a in main.iter("a") if (u := abs_url(page.base, a.get("href"))) and urlsplit(u).netloc != host]
        if away and not any(is_attachment_link(abs_url(page.base, a.get("href")) or "") for a in main.iter("a")):
            kind = "other"
    if kind in ("list", "other") and ROOT_PATH_RE.match(urlsplit(page.url).path or "/") and not pagination:
        kind = "other"  # a site's home page: news boxes, not one column
    challenge = _is_challenge(page)
    return _Decision(kind="other" if challenge else kind, best_group=best_group, challenge=challenge)


def _fill_list(page: Page, ev: _Evidence, decision: _Decision, rec: PageRecord) -> None:
    """A column's list: its rows as entries, the column name as title, no publication date of its own."""
    best_group = decision.best_group
    if best_group is not None:
        best_group = with_year_groups(page, best_group, ev.groups)
    rows = best_group.rows if best_group is not None else []
    rec.entries = make_entries(rows, page)
    column = column_from_crumb(ev.crumb, None)
    if not column and best_group is not None:
        column = list_heading(page, best_group.head if best_group.head is not None else best_group.parent)
    rec.column = column or strip_site_name(page.doc_title)
    rec.title = rec.column
    dated = [e.date for e in rec.entries if e.date]
    if dated:
        # a list page has no publication date of its own; its newest row is reported separately
        rec.newest_entry = max(dated)
    rec.text = "\n".join(e.title for e in rec.entries)
    rec.fingerprint = list_fingerprint((e.url, e.title, e.date) for e in rec.entries)
    scope = best_group.parent.iter("a") if best_group is not None else []
    rec.attachments = attachment_links(page, scope)


def _fill_article(page: Page, ev: _Evidence, rec: PageRecord) -> None:
    """An article: dates by source strength, the body's text, a fingerprint of body and attachments."""
    crumb, pubs, upds, meta_pub = ev.crumb, ev.pubs, ev.upds, ev.meta_pub
    # on an article the plain-text last crumb is the article itself ("正文" or its title)
    rec.column = column_from_crumb(crumb[:-1] if page.crumb_plain_last else crumb, ev.title)
    sel_day = selector_date(page)
    visible = next((c for c in pubs if c.prio[0] <= 3), None)
    deep = next((c for c in pubs if c.prio[0] > 3), None)
    if sel_day:
        rec.published, rec.published_source = sel_day.isoformat(), "label"
    elif visible and meta_pub and visible.value == meta_pub[0]:
        rec.published, rec.published_source = meta_pub[0].isoformat(), "meta"
    elif visible:
        rec.published, rec.published_source = visible.value.isoformat(), visible.source
    elif meta_pub:
        rec.published, rec.published_source = meta_pub[0].isoformat(), "meta"
    elif deep:
        rec.published, rec.published_source = deep.value.isoformat(), deep.source
    elif ev.url_day:
        rec.published, rec.published_source = ev.url_day.isoformat(), "url"
    if upds:
        rec.updated, rec.updated_source = upds[0].value.isoformat(), "label"
    elif ev.meta_upd:
        rec.updated, rec.updated_source = ev.meta_upd.isoformat(), "meta"
    if rec.published is None and upds and upds[0].prio[0] in (0, 3):
        # only an "updated" line under the title: that is the date the page shows
        rec.published, rec.published_source = rec.updated, rec.updated_source
    if rec.published is None and ev.signature:
        rec.published, rec.published_source = ev.signature[0].isoformat(), "signature"  # 落款, the weakest source
    body_span = ev.main_span
    rec.text = block_text(page, body_span)
    fp_text = fingerprint_text(page, body_span, ev.row_els)
    att_scope = list(page.body.iter("a"))
    rec.attachments = attachment_links(page, att_scope)
    rec.fingerprint = content_fingerprint(ev.title, fp_text, (a.url for a in rec.attachments))


def _fill_other(page: Page, ev: _Evidence, rec: PageRecord) -> None:
    """Home pages, hubs, login walls, challenge pages: the <title>, the whole page's text."""
    rec.title = strip_site_name(page.doc_title) or ev.title
    if ev.meta_pub:
        rec.published, rec.published_source = ev.meta_pub[0].isoformat(), "meta"
    all_span = (0, len(page.blocks) - 1) if page.blocks else None
    rec.text = block_text(page, all_span, exclude_regions=True)
    rec.attachments = attachment_links(page, page.body.iter("a"))
    rec.fingerprint = content_fingerprint(rec.title, fingerprint_text(page, all_span), (a.url for a in rec.attachments))


def _filename(url: str, headers: Mapping[str, Any] | None) -> str:
    cd = header_value(headers, "Content-Disposition") or ""
    m = re.search(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)", cd) or re.search(r'filename\s*=\s*"?([^";]+)"?', cd)
    if m:
        raw = m.group(1).strip()
        name = unquote(raw)
        try:  # servers often send raw UTF-8/GBK bytes decoded as latin-1
            name = name.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            try:
                name = name.encode("latin-1").decode("gb18030")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
        return name
    parts = urlsplit(url)
    for _k, v in parse_qsl(parts.query):
        if ATT_EXT_RE.search(v):
            return unquote(v).rsplit("/", 1)[-1]
    return unquote(parts.path.rsplit("/", 1)[-1]) or url


_FORMAT_EXT = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "pptx": "pptx"}


def extract_attachment(body: bytes, url: str, content_type: str | None = None,
                       headers: Mapping[str, Any] | None = None, *, today: date | None = None) -> PageRecord:
    """A PDF/DOCX/XLSX/… file as a record: text, title, date from the document (else Last-Modified).

    Reads the file in the shared document worker (blocking); the crawl reads files in its own
    workers off the reactor thread and calls :func:`attachment_record` with the result."""
    from crawler.extract.attachments import extract_text

    doc = extract_text(body, _filename(url, headers), content_type)
    return attachment_record(doc, body, url, content_type, headers, today=today)


def attachment_record(doc: Any, body: bytes, url: str, content_type: str | None = None,
                      headers: Mapping[str, Any] | None = None, *, today: date | None = None) -> PageRecord:
    """The record of a file from what the document reader returned (``crawler.extract.documents.DocText``)."""
    from crawler.extract.fingerprint import bytes_fingerprint

    if today is None:
        from monitor.core import clock
        today = clock.today()
    name = _filename(url, headers)
    # the title is the file's name as people see it ("招生章程.pdf"): the document title when it has one
    ext_m = re.search(r"\.([A-Za-z0-9]{1,5})$", name)
    ext = ext_m.group(1).lower() if ext_m else _FORMAT_EXT.get(doc.format, "")
    title = doc.title or (re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name) if ext_m else name) or None
    if title and ext and not re.search(r"\.[A-Za-z0-9]{1,5}$", title):
        title = f"{title}.{ext}"
    rec = PageRecord(url=url, title=title, kind="attachment", published=None, published_source=None, updated=None,
                     updated_source=None, text=doc.text)
    created = doc.created if doc.created and D.make_date(doc.created.year, doc.created.month, doc.created.day, today) \
        else None
    modified = doc.modified if doc.modified and D.make_date(doc.modified.year, doc.modified.month, doc.modified.day,
                                                            today) else None
    last_mod = None
    lm = header_value(headers, "Last-Modified")
    if lm:
        try:
            dt = parsedate_to_datetime(lm)
            last_mod = D.make_date(dt.year, dt.month, dt.day, today)
        except (TypeError, ValueError, IndexError):
            last_mod = None
    url_day = D.url_date(url, today)
    if created:
        rec.published, rec.published_source = created.isoformat(), "meta"
    elif url_day:
        rec.published, rec.published_source = url_day.isoformat(), "url"
    elif last_mod:
        # A static file's Last-Modified is its upload time: good enough for a file, never for HTML.
        rec.published, rec.published_source = last_mod.isoformat(), "http"
    if modified and (not created or modified > created):
        rec.updated, rec.updated_source = modified.isoformat(), "meta"
    rec.fingerprint = content_fingerprint(title, doc.text) if doc.text.strip() else bytes_fingerprint(body)
    rec.metadata = {"format": doc.format, "pages": doc.pages, "doc_title": doc.title, "truncated": doc.truncated,
                    "error": doc.error, "limit": doc.limit, "filename": name, "size": len(body)}
    return rec
