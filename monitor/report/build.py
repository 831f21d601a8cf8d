"""Building the annual report: the store's evidence and the year-end assessment -> :class:`AnnualReport`.

Reads the school's :class:`~monitor.config.Config` (units, sites, office, catalog) and the store; imports
no renderer (monitor.report.pack picks those).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit

from monitor.assess import ItemStatus, assess_all
from monitor.catalog import Category
from monitor.config import Config, Unit
from monitor.core import clock
from monitor.core.safe_text import EXCERPT_MAX, TITLE_MAX, clean
from monitor.core.vocab import STATUS
from monitor.report.draft import draft_sections
from monitor.report.model import (
    AcademicYear,
    AnnualReport,
    CategoryRow,
    Channel,
    Citation,
    ColumnLink,
    ItemRow,
    Publication,
    ReportError,
    ReportInputs,
    ScanCoverage,
    Summary,
    UnitRow,
)
from monitor.rules import Rule, describe_rule
from monitor.store import history, rows
from monitor.store.engine import Database

# --------------------------------------------------------------------------- small helpers

def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _norm_site(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.netloc else url.rstrip("/").lower()


def url_key(url: str) -> str:
    """Identity of a URL for counting: query parameters in any order, no fragment
    (``content.jsp?a=1&b=2`` linked from a list and ``?b=2&a=1`` stored are one article)."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}" + (f"?{query}" if query else "")


def _rule_kind(rule: Rule | Mapping[str, Any]) -> str:
    """The kind of a parsed rule or of the mapping form an assessment carries."""
    return str((rule.get("kind") if isinstance(rule, Mapping) else rule.kind) or "")


# --------------------------------------------------------------------------- reading the config

def _site_names(cfg: Config) -> dict[str, tuple[str, str | None]]:
    """normalised site root -> (display name, unit id) for every configured site."""
    out: dict[str, tuple[str, str | None]] = {_norm_site(cfg.disclosure_site): ("信息公开网", None)}
    for unit in cfg.units:
        for url in unit.sites:
            key = _norm_site(url)
            if key in out:
                continue
            name = f"{unit.name}网站"
            if len(unit.sites) > 1:
                name += f"（{_host(url)}）"
            out[key] = (name, unit.id)
    return out


# --------------------------------------------------------------------------- evidence from the store

def scan_coverage(db: Database, year: AcademicYear) -> ScanCoverage:
    """Finished scans able to see the year: started on or after the year's first day."""
    found = rows(db, "SELECT started_at FROM scans WHERE status IN ('done','timeout','killed','interrupted') "
                     "AND substr(started_at,1,10) >= ? ORDER BY started_at", (year.start.isoformat(),))
    if not found:
        return ScanCoverage(0, None, None)
    return ScanCoverage(len(found), found[0]["started_at"][:10], found[-1]["started_at"][:10])


def _matched_columns(db: Database) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows(db, """SELECT m.item_id, m.url, m.page_id, COALESCE(p.column_name, p.title) AS title
                         FROM matches m LEFT JOIN pages p ON p.id = m.page_id
                         WHERE m.target = 'column' AND m.state IN ('auto','confirmed')
                         ORDER BY m.score DESC, m.id"""):
        out.setdefault(str(r["item_id"]), []).append(r)
    return out


def _channel_articles(db: Database, year: AcademicYear) -> dict[str, int]:
    """site root -> distinct articles published in the year (article pages + list entries)."""
    start, end = year.start.isoformat(), year.end.isoformat()
    seen: dict[str, str] = {}   # url_key -> site
    dated_elsewhere: set[str] = set()
    for r in history.dated_articles(db):
        key = url_key(r["url"])
        if start <= r["published"][:10] <= end:
            seen[key] = r["site"] or _norm_site(r["url"])
        else:
            dated_elsewhere.add(key)
    # Entries cover articles listed in a column but not fetched (login walls, limits). The
    # article's own date wins over its list row (a short "[09-07]" row can guess the wrong
    # year); a URL known as a list page is a navigation link, not an article (a login wall or
    # challenge page, kind "other", still stands for an article its column lists).
    for e in history.entries_dated_between(db, start, end):
        key = url_key(e["url"])
        if key in seen or key in dated_elsewhere or e["kind"] == "list":
            continue
        seen[key] = e["site"] or _norm_site(e["url"])
    counts: dict[str, int] = {}
    for site in seen.values():
        counts[site] = counts.get(site, 0) + 1
    return counts


def _site_units(db: Database) -> dict[str, str]:
    return history.site_units(db)


def _latest_capture(db: Database, page_id: int | None, url: str) -> dict | None:
    """Newest stored snapshot of a page (by page id, else by URL)."""
    if page_id is None:
        page_id = history.page_id_of(db, url)
        if page_id is None:
            return None
    found = history.newest_snapshot(db, page_id)
    return dict(found) if found else None


def _entry_capture(db: Database, url: str) -> dict | None:
    """For an entry never fetched on its own: the list page that showed it."""
    found = rows(db, """SELECT COALESCE(source_page_id, list_page_id) AS pid FROM entries
                        WHERE url = ? ORDER BY last_seen_scan DESC LIMIT 1""", (url,))
    return _latest_capture(db, found[0]["pid"], "") if found else None


def _column_info(db: Database, url: str) -> dict:
    """A column the assessment names by URL, with its name and page id from the store."""
    found = history.column_title(db, url)
    return {"url": url, "title": found["title"] if found else None, "page_id": found["id"] if found else None}


class _Citations:
    """Assigns stable archive ids (E001 …) to cited URLs and resolves their captures."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.by_url: dict[str, Citation] = {}

    def cite(self, url: str, title: str, kind: str, item_id: str, page_id: int | None) -> str:
        c = self.by_url.get(url)
        if c is None:
            cap = _latest_capture(self.db, page_id, url)
            if cap is None and kind == "entry":
                cap = _entry_capture(self.db, url)
            c = Citation(id=f"E{len(self.by_url) + 1:03d}", url=url, title=title or clean(url, TITLE_MAX),
                         kind=kind, page_id=page_id, version_id=cap["id"] if cap else None,
                         captured_url=cap["url"] if cap else None,
                         captured_at=cap["fetched_at"] if cap else None)
            self.by_url[url] = c
        if item_id not in c.items:
            c.items.append(item_id)
        return c.id


# --------------------------------------------------------------------------- building the model

def year_end_statuses(db: Database, cfg: Config, as_of: date,
                      known_by: date | None = None) -> list[ItemStatus]:
    """Every item's status as of the year's last day, judged on all evidence known today.

    The report is written after the year: a page dated 2019-05-01 that the monitor first saw in
    October is still evidence it was published in the year (its date and source are recorded).
    ``assess_all(db, cfg, as_of)`` alone is the dashboard's "what did we know then" view and
    hides pages first fetched after ``as_of``; ``known_by`` (default: the clock's today) keeps them.
    """
    return assess_all(db, cfg, as_of, known_by=max(as_of, known_by or clock.today()))


def build_report(db: Database, cfg: Config, year: AcademicYear, *,
                 inputs: ReportInputs | None = None, statuses: list[ItemStatus] | None = None,
                 today: date | None = None) -> AnnualReport:
    """Compute the whole report from the store and the assessment as of the year's end.

    ``statuses`` is what ``monitor.assess.assess_all(db, cfg, as_of)`` returns; it is computed
    here unless the caller already has it.
    """
    today = today or clock.today()
    if today < year.start:
        raise ReportError(f"{year.label}学年尚未开始（今天是{today.isoformat()}），无法生成报告")
    coverage = scan_coverage(db, year)
    if coverage.count == 0:
        raise ReportError(f"{year.label}学年（{year.span_cn}）以来没有任何完成的扫描记录，无法生成报告；"
                          "请先运行 xxgk scan")
    as_of = min(year.end, today)
    if statuses is None:
        statuses = year_end_statuses(db, cfg, as_of, today)
    by_item = {s.id: s for s in statuses}

    categories, items = cfg.catalog_obj.categories, cfg.catalog_obj.items
    cat_names = {c.id: c.name or c.id for c in categories}
    units = {u.id: u for u in cfg.units}
    office = cfg.office.name
    columns = _matched_columns(db)
    cites = _Citations(db)

    item_rows: list[ItemRow] = []
    for item in items:
        if item.ignore:  # the school config says the item does not apply here
            continue
        iid = item.id
        st = by_item.get(iid)
        rule: Rule | Mapping[str, Any] = (st.rule if st else None) or item.rule or {}
        kind = _rule_kind(rule)
        unit_id = (st.unit if st else None) or item.unit or None

        col_links: list[ColumnLink] = []
        col_src = st.columns if st else None
        col_list = ([_column_info(db, c) for c in col_src] if col_src else columns.get(iid, []))
        for c in col_list:
            if not c["url"] or any(cl.url == c["url"] for cl in col_links):
                continue
            title = clean(c.get("title"), TITLE_MAX)   # crawled: capped here for every rendering
            col_links.append(ColumnLink(c["url"], title, cites.cite(c["url"], title, "column", iid,
                                                                   c.get("page_id"))))

        pubs: list[Publication] = []
        pub_keys: set[str] = set()
        # Evidence with a stored page first, so of two spellings of one URL the archived one is cited.
        for ev in sorted(st.evidence if st else [], key=lambda e: e.page_id is None):
            url = ev.url
            if not url or not year.contains(ev.date) or url_key(url) in pub_keys:
                continue
            pub_keys.add(url_key(url))
            ev_kind = ev.kind or "article"
            title = clean(ev.title, TITLE_MAX)
            pubs.append(Publication(url=url, title=title, date=str(ev.date)[:10],
                                    date_source=ev.date_source, kind=ev_kind, page_id=ev.page_id,
                                    citation=cites.cite(url, title, ev_kind, iid, ev.page_id)))
        pubs.sort(key=lambda p: (p.date, p.title), reverse=True)

        status = (st.status if st else None) or "missing"
        provisional = bool(st and st.provisional)
        unit = units.get(unit_id) if unit_id else None
        row = ItemRow(
            item_id=iid, category_id=item.category or "",
            category_name=cat_names.get(item.category or "", ""),
            title=item.title or iid, short=item.short or "",
            unit_id=unit_id,
            unit_name=(st.unit_name if st else None) or (((unit.name if unit else None) or unit_id)
                                                         if unit_id else office),
            rule_kind=kind, rule_text=describe_rule(rule)[1], columns=col_links, published=pubs,
            updated_in_year=bool(pubs), status=status, status_label=STATUS.label.get(status, status),
            provisional=provisional,
            reason=clean(st.reason if st else None, EXCERPT_MAX) or ("未找到对应栏目或页面" if st is None else ""),
            last_changed=st.last_changed if st else None,
            last_changed_source=st.last_changed_source if st else None,
            due=str(st.due)[:10] if st and st.due else None,
        )
        row.status_label += row.mark   # 正常（待确认）: the mark reaches every rendering with the status
        if not row.updated_in_year:
            row.no_update, row.no_update_reason = _classify_no_update(row)
        item_rows.append(row)

    summary = _summary(categories, item_rows)
    channels = _channels(db, cfg, year, units)
    summary.articles_total = sum(c.articles for c in channels)
    report = AnnualReport(
        school=cfg.school, year=year, as_of=as_of.isoformat(), year_complete=today > year.end,
        generated_at=clock.now_iso(), scans=coverage, summary=summary,
        categories=_category_rows(categories, cat_names, item_rows), items=item_rows,
        channels=channels, units=_unit_rows(units, item_rows, channels, office),
        inputs=inputs, sections=[],
        citations=list(cites.by_url.values()),
    )
    report.sections = draft_sections(report)
    return report


def _classify_no_update(row: ItemRow) -> tuple[str, str]:
    """Why an item without evidence in the year is, or is not, a shortfall."""
    if row.rule_kind == "event":
        return "not_required", "事件类信息，本学年未发生相关事件，无需更新"
    if row.rule_kind == "static":
        if row.status == "overdue":
            return "due", f"长期有效信息，但已超过复核年限：{row.reason}"
        return "not_required", "长期有效信息，本学年无变化，无需更新"
    if row.rule_kind == "on_change" and row.status == "ok":
        return "not_required", "变动即更类信息，本学年未发生变动，无需更新"
    return "due", row.reason or "本学年应更新而未更新"


def _summary(categories: list[Category], rows_: list[ItemRow]) -> Summary:
    counts: dict[str, int] = {}
    for r in rows_:
        counts[r.status] = counts.get(r.status, 0) + 1
    used_cats = {r.category_id for r in rows_}
    n_cats = len([c for c in categories if c.id in used_cats]) or len(used_cats)
    return Summary(
        categories=n_cats, items=len(rows_), updated=sum(r.updated_in_year for r in rows_),
        not_updated=sum(not r.updated_in_year for r in rows_),
        not_required=[r.item_id for r in rows_ if r.no_update == "not_required"],
        due_not_updated=[r.item_id for r in rows_ if r.no_update == "due"],
        articles_total=0, publications_total=sum(len(r.published) for r in rows_), status_counts=counts,
        provisional=[r.item_id for r in rows_ if r.provisional])


def _category_rows(categories: list[Category], names: dict[str, str], rows_: list[ItemRow]) -> list[CategoryRow]:
    out = []
    for c in categories:
        cid = c.id
        mine = [r for r in rows_ if r.category_id == cid]
        if mine:
            up = sum(r.updated_in_year for r in mine)
            out.append(CategoryRow(cid, names[cid], len(mine), up, len(mine) - up))
    return out


def _channels(db: Database, cfg: Config, year: AcademicYear,
              units: dict[str, Unit]) -> list[Channel]:
    counts = _channel_articles(db, year)
    office = cfg.office.name
    names = _site_names(cfg)
    site_unit = _site_units(db)
    # Every configured site is a channel even with zero articles: "0 articles" is a finding.
    sites = set(counts) | {s for s in site_unit if s}
    out: list[Channel] = []
    for site in sites:
        key = _norm_site(site)
        if key in names:
            name, unit_id = names[key]
        else:  # a linked host outside the configuration (e.g. a column hosted elsewhere)
            unit_id = site_unit.get(site) or None
            name = clean(_host(site), TITLE_MAX)
        unit = units.get(unit_id) if unit_id else None
        unit_name = (unit.name if unit else unit_id) if unit_id else office
        out.append(Channel(site=site, name=name, unit_id=unit_id, unit_name=unit_name,
                           articles=counts.get(site, 0)))
    # Disclosure site first, then busiest channels.
    out.sort(key=lambda c: (c.unit_id is not None, -c.articles, c.name))
    return out


def _unit_rows(units: dict[str, Unit], rows_: list[ItemRow], channels: list[Channel],
               office: str) -> list[UnitRow]:
    """Per-unit appendix; items without a unit belong to the disclosure office."""
    order = list(units) + sorted({r.unit_id for r in rows_ if r.unit_id and r.unit_id not in units})
    out = []
    unassigned = [r for r in rows_ if not r.unit_id]
    if unassigned:
        out.append(UnitRow("", office, [r.item_id for r in unassigned],
                           [r.item_id for r in unassigned if r.updated_in_year],
                           [r.item_id for r in unassigned if r.no_update == "due"],
                           [r.item_id for r in unassigned if r.no_update == "not_required"],
                           [r.item_id for r in unassigned if r.status == "overdue"],
                           sum(len(r.published) for r in unassigned),
                           sum(c.articles for c in channels if not c.unit_id)))
    for uid in order:
        mine = [r for r in rows_ if r.unit_id == uid]
        articles = sum(c.articles for c in channels if c.unit_id == uid)
        unit = units.get(uid)
        if not mine and not (unit and unit.sites):
            continue
        out.append(UnitRow(
            unit_id=uid, name=unit.name if unit else uid, items=[r.item_id for r in mine],
            updated=[r.item_id for r in mine if r.updated_in_year],
            not_updated_due=[r.item_id for r in mine if r.no_update == "due"],
            not_updated_not_required=[r.item_id for r in mine if r.no_update == "not_required"],
            overdue_at_year_end=[r.item_id for r in mine if r.status == "overdue"],
            publications=sum(len(r.published) for r in mine), articles=articles))
    return out
