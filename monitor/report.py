"""Annual report evidence pack (`xxgk report --year 2018-2019`).

One data model (the dataclass tree below, rooted at :class:`AnnualReport`) is built from the
evidence in the store and the year-end assessment; every output (DOCX, XLSX, HTML, Markdown,
WARC evidence archive) is rendered from that same object, so they cannot disagree.

Academic year ``2018-2019`` runs 2018-09-01 .. 2019-08-31. "Updated within the year" means the
item has evidence dated inside the year. Figures that are not on the web (依申请公开, 举报, 复议,
诉讼) come from the office's inputs YAML (see docs/report.md) and are stated with their source.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

import click
import sqlite_utils

from monitor.cli import config_option, fail, now_option
from monitor.core import clock
from monitor.core.clock import as_date
from monitor.core.safe_text import EXCERPT_MAX, TITLE_MAX, clean
from monitor.store import dumps, open_db, register_migration, rows

PLACEHOLDER_RE = re.compile(r"【待填写：[^】]*】")

# Statuses of monitor.rules, as a reader of the report sees them.
STATUS_LABELS: dict[str, str] = {
    "ok": "正常",
    "due_soon": "即将到期",
    "overdue": "逾期未更新",
    "missing": "未找到栏目",
    "unreachable": "无法访问",
    "blank": "空白栏目",
    "undated": "无发布日期",
}
KIND_LABELS: dict[str, str] = {
    "article": "文章", "attachment": "附件", "entry": "列表条目", "list": "栏目", "column": "栏目",
    "other": "页面",
}
# Items whose rule never requires a new publication without a triggering event or change.
NO_DUTY_KINDS = {"static", "event"}


# --------------------------------------------------------------------------- migration 6

def _m6_report(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS report_inputs (
            year TEXT PRIMARY KEY,             -- academic year label, e.g. 2018-2019
            data TEXT NOT NULL,                -- JSON of the validated inputs file
            source TEXT,                       -- path of the file it was read from
            loaded_at TEXT                     -- clock time
        );
        CREATE TABLE IF NOT EXISTS report_runs (
            id INTEGER PRIMARY KEY,
            year TEXT NOT NULL,
            generated_at TEXT NOT NULL,        -- clock time
            as_of TEXT NOT NULL,               -- status date used (year end, or today if the year is running)
            out_dir TEXT,
            formats TEXT,                      -- JSON list
            files TEXT,                        -- JSON {format: {path, sha256}}
            summary TEXT                       -- JSON of the headline figures
        );
        """
    )


register_migration(6, _m6_report)


# --------------------------------------------------------------------------- model

class ReportError(Exception):
    """A condition the user must fix; the message is one Chinese sentence."""


@dataclass
class AcademicYear:
    label: str          # "2018-2019"
    start: date         # 2018-09-01
    end: date           # 2019-08-31

    @classmethod
    def parse(cls, text: str) -> "AcademicYear":
        m = re.fullmatch(r"\s*(\d{4})\s*[-–/～~至]\s*(\d{4})\s*", text or "")
        if not m:
            raise ReportError(f"学年格式应为 YYYY-YYYY（如 2018-2019），收到 {text!r}")
        first, second = int(m.group(1)), int(m.group(2))
        if second != first + 1 or not 1990 <= first <= 2100:
            raise ReportError(f"学年应为相邻两年（如 2018-2019），收到 {text!r}")
        return cls(f"{first}-{second}", date(first, 9, 1), date(second, 8, 31))

    @classmethod
    def last_completed(cls, today: date) -> "AcademicYear":
        first = today.year - 1 if today.month >= 9 else today.year - 2
        return cls.parse(f"{first}-{first + 1}")

    def contains(self, day: str | date | None) -> bool:
        d = as_date(day)
        return d is not None and self.start <= d <= self.end

    @property
    def span_cn(self) -> str:
        return f"{_cn_date(self.start)}至{_cn_date(self.end)}"


@dataclass
class Citation:
    """One piece of web evidence the report cites, with the stored capture that proves it."""
    id: str                          # "E001": the archive reference printed in every output
    url: str
    title: str
    kind: str                        # column|article|attachment|entry
    items: list[str] = field(default_factory=list)
    page_id: int | None = None
    version_id: int | None = None    # versions row archived (None: never captured)
    captured_url: str | None = None  # URL of that capture (for an entry: the list page showing it)
    captured_at: str | None = None   # versions.fetched_at

    @property
    def archived(self) -> bool:
        return self.version_id is not None


@dataclass
class ColumnLink:
    url: str
    title: str
    citation: str | None = None


@dataclass
class Publication:
    """Evidence of an item dated inside the year."""
    url: str
    title: str
    date: str                        # YYYY-MM-DD
    date_source: str | None
    kind: str
    page_id: int | None = None
    citation: str | None = None


@dataclass
class ItemRow:
    item_id: str
    category_id: str
    category_name: str
    title: str
    short: str
    unit_id: str | None
    unit_name: str
    rule_kind: str
    rule_text: str
    columns: list[ColumnLink]
    published: list[Publication]
    updated_in_year: bool
    status: str                      # year-end status (monitor.rules)
    status_label: str
    reason: str
    last_changed: str | None
    last_changed_source: str | None
    due: str | None
    no_update: str | None = None     # None (updated) | 'not_required' | 'due'
    no_update_reason: str | None = None

    @property
    def name(self) -> str:
        return self.short or self.title

    @property
    def update_label(self) -> str:
        """本学年是否更新, as every output states it."""
        if self.updated_in_year:
            return "已更新"
        return "无需更新" if self.no_update == "not_required" else "未更新"


@dataclass
class CategoryRow:
    id: str
    name: str
    items: int
    updated: int
    not_updated: int


@dataclass
class Channel:
    """A publishing channel (the disclosure site or a unit site) and its articles in the year."""
    site: str
    name: str
    unit_id: str | None
    unit_name: str
    articles: int


@dataclass
class UnitRow:
    unit_id: str
    name: str
    items: list[str]                 # item ids the unit is responsible for
    updated: list[str]
    not_updated_due: list[str]
    not_updated_not_required: list[str]
    overdue_at_year_end: list[str]
    publications: int                # item evidence dated in the year
    articles: int                    # articles on the unit's own sites in the year


@dataclass
class RequestFigures:
    received: int
    carried_over: int
    outcomes: dict[str, int]
    pending: int
    channels: dict[str, int]
    fees: str | None


@dataclass
class ReportInputs:
    source: str                      # where the figures came from, as stated in the report
    path: str | None
    requests: RequestFigures | None
    complaints: int | None
    reconsiderations: int | None
    lawsuits: int | None
    texts: dict[str, str]

    def rows(self) -> list[tuple[str, int | str]]:
        """The 附表五 indicator rows (label, figure), the same in every output format."""
        out: list[tuple[str, int | str]] = []
        req = self.requests
        if req:
            out += [("收到申请（件）", req.received), ("上学年结转（件）", req.carried_over)]
            out += [(f"申请方式：{k}", v) for k, v in req.channels.items()]
            out += [(f"答复：{k}", v) for k, v in req.outcomes.items()]
            out.append(("结转下学年（件）", req.pending))
        for label, value in (("举报（件）", self.complaints), ("行政复议（件）", self.reconsiderations),
                             ("行政诉讼（件）", self.lawsuits)):
            out.append((label, "未填报" if value is None else value))
        return out


@dataclass
class Summary:
    categories: int
    items: int
    updated: int
    not_updated: int
    not_required: list[str]          # item ids: not updated, no duty in the year
    due_not_updated: list[str]       # item ids: not updated although due
    articles_total: int
    publications_total: int
    status_counts: dict[str, int]


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str]


@dataclass
class ScanCoverage:
    count: int
    first: str | None
    last: str | None


@dataclass
class AnnualReport:
    school: str
    year: AcademicYear
    as_of: str                       # statuses are as of this day (year end, or today)
    year_complete: bool
    generated_at: str
    scans: ScanCoverage
    summary: Summary
    categories: list[CategoryRow]
    items: list[ItemRow]
    channels: list[Channel]
    units: list[UnitRow]
    inputs: ReportInputs | None
    sections: list[Section]
    citations: list[Citation]

    @property
    def title(self) -> str:
        return f"{self.school}{self.year.label}学年信息公开工作年度报告"

    def item(self, item_id: str) -> ItemRow:
        for row in self.items:
            if row.item_id == item_id:
                return row
        raise KeyError(item_id)

    def names(self, item_ids: Iterable[str]) -> list[str]:
        by_id = {r.item_id: r.name for r in self.items}
        return [by_id.get(i, i) for i in item_ids]

    def citation(self, cid: str | None) -> Citation | None:
        for c in self.citations:
            if c.id == cid:
                return c
        return None

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- small helpers

def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a dataclass/pydantic object or a mapping (sibling modules use both)."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)




def _cn_date(d: date | str | None) -> str:
    d = as_date(d)
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


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
    from urllib.parse import parse_qsl, urlencode

    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}" + (f"?{query}" if query else "")


def _cn_list(names: list[str], limit: int = 0) -> str:
    shown = names[:limit] if limit and len(names) > limit else names
    return "、".join(shown)


def rule_text(rule: Any) -> str:
    """A short Chinese description of an update rule (docs/architecture.md grammar)."""
    try:
        from monitor.rules import parse_rule

        return parse_rule(rule.to_dict() if hasattr(rule, "to_dict") else rule).describe()
    except Exception:  # a rule the engine rejects is described from its fields, not hidden
        pass
    kind = _get(rule, "kind") or ""
    if kind == "static":
        years = _get(rule, "review_years")
        return f"长期有效，每{years}年复核" if years else "长期有效（无变化无需更新）"
    if kind == "event":
        return "事件触发（发生时公开）"
    if kind == "periodic":
        every = str(_get(rule, "every") or "")
        m = re.fullmatch(r"(\d+)\s*([dwmy])", every)
        unit = {"d": "天", "w": "周", "m": "个月", "y": "年"}
        return f"每{m.group(1)}{unit[m.group(2)]}更新" if m else f"定期更新（{every}）"
    if kind == "annual":
        due = _mmdd_cn(_get(rule, "due"))
        return f"每年{due}前更新" if due else "每年更新"
    if kind == "window":
        return f"每年{_mmdd_cn(_get(rule, 'start'))}至{_mmdd_cn(_get(rule, 'end'))}公开"
    if kind == "on_change":
        days = _get(rule, "working_days") or 20
        return f"变动后{days}个工作日内更新"
    return kind or "未设定"


def _rule_kind(rule: Any) -> str:
    if isinstance(rule, str):  # short form: "annual 10-31", "static"
        return rule.split()[0].strip().lower() if rule.strip() else ""
    return str(_get(rule, "kind") or "")


def status_labels() -> dict[str, str]:
    """Chinese status names; ``monitor.assess.STATUS_LABELS`` wins where it exists."""
    labels = dict(STATUS_LABELS)
    try:
        from monitor.assess import STATUS_LABELS as assess_labels
    except ImportError:
        return labels
    labels.update({k: v for k, v in assess_labels.items() if v})
    return labels


def _mmdd_cn(text: Any) -> str:
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(text or ""))
    return f"{int(m.group(1))}月{int(m.group(2))}日" if m else ""


# --------------------------------------------------------------------------- reading config/catalog

def _catalog(cfg: Any) -> tuple[list[Any], list[Any]]:
    cat = _get(cfg, "catalog_obj")
    if cat is None:
        raise ReportError("配置中没有可用的信息公开事项清单（catalog）")
    return list(_get(cat, "categories", []) or []), list(_get(cat, "items", []) or [])


def _school_name(cfg: Any) -> str:
    school = _get(cfg, "school")
    if isinstance(school, str):
        return school
    return _get(school, "name") or _get(cfg, "name") or "本校"


def _units(cfg: Any) -> dict[str, dict]:
    """unit id -> {"name", "sites": [root urls]} whatever shape the config uses."""
    raw = _get(cfg, "units") or {}
    out: dict[str, dict] = {}
    entries = raw.items() if isinstance(raw, Mapping) else ((_get(u, "id"), u) for u in raw)
    for uid, unit in entries:
        if uid is None:
            continue
        if isinstance(unit, str):
            out[str(uid)] = {"name": unit, "sites": []}
            continue
        sites = _get(unit, "sites") or []
        urls = []
        for s in sites if isinstance(sites, (list, tuple)) else [sites]:
            urls.append(s if isinstance(s, str) else (_get(s, "url") or ""))
        out[str(uid)] = {"name": _get(unit, "name") or str(uid), "sites": [u for u in urls if u]}
    return out


def _site_names(cfg: Any, units: dict[str, dict]) -> dict[str, tuple[str, str | None]]:
    """normalised site root -> (display name, unit id) for every configured site."""
    out: dict[str, tuple[str, str | None]] = {}
    disclosure = _get(cfg, "disclosure_site")
    if disclosure:
        out[_norm_site(disclosure)] = ("信息公开网", None)
    for uid, info in units.items():
        for url in info["sites"]:
            key = _norm_site(url)
            if key in out:
                continue
            name = f"{info['name']}网站"
            if len(info["sites"]) > 1:
                name += f"（{_host(url)}）"
            out[key] = (name, uid)
    return out


def _office_name(cfg: Any) -> str:
    return _get(_get(cfg, "office"), "name") or "信息公开办公室"


def _db_path(cfg: Any) -> Path:
    for name in ("database_path", "db_path", "database", "db"):
        value = _get(cfg, name)
        if isinstance(value, (str, Path)) and value:
            return Path(value)
    storage = _get(cfg, "storage")
    for name in ("db", "path", "database"):
        value = _get(storage, name)
        if isinstance(value, (str, Path)) and value:
            return Path(value)
    data_dir = _get(cfg, "data_dir")
    if data_dir:
        return Path(data_dir) / "xxgk.db"
    raise ReportError("配置中没有数据库路径（db）")


# --------------------------------------------------------------------------- evidence from the store

def scan_coverage(db: sqlite_utils.Database, year: AcademicYear) -> ScanCoverage:
    """Finished scans able to see the year: started on or after the year's first day."""
    found = rows(db, "SELECT started_at FROM scans WHERE status IN ('done','timeout','killed','interrupted') "
                     "AND substr(started_at,1,10) >= ? ORDER BY started_at", (year.start.isoformat(),))
    if not found:
        return ScanCoverage(0, None, None)
    return ScanCoverage(len(found), found[0]["started_at"][:10], found[-1]["started_at"][:10])


def _matched_columns(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows(db, """SELECT m.item_id, m.url, m.page_id, COALESCE(p.column_name, p.title) AS title
                         FROM matches m LEFT JOIN pages p ON p.id = m.page_id
                         WHERE m.target = 'column' AND m.state IN ('auto','confirmed')
                         ORDER BY m.score DESC, m.id"""):
        out.setdefault(str(r["item_id"]), []).append(r)
    return out


def _channel_articles(db: sqlite_utils.Database, year: AcademicYear) -> dict[str, int]:
    """site root -> distinct articles published in the year (article pages + list entries)."""
    start, end = year.start.isoformat(), year.end.isoformat()
    seen: dict[str, str] = {}   # url_key -> site
    dated_elsewhere: set[str] = set()
    for r in rows(db, "SELECT url, site, published FROM pages WHERE kind = 'article' AND published IS NOT NULL"):
        key = url_key(r["url"])
        if start <= r["published"][:10] <= end:
            seen[key] = r["site"] or _norm_site(r["url"])
        else:
            dated_elsewhere.add(key)
    # Entries cover articles listed in a column but not fetched (login walls, limits). The
    # article's own date wins over its list row (a short "[09-07]" row can guess the wrong
    # year); a URL known as a list page is a navigation link, not an article (a login wall or
    # challenge page, kind "other", still stands for an article its column lists).
    for r in rows(db, """SELECT e.url, COALESCE(a.site, l.site) AS site, a.kind AS kind
                         FROM entries e JOIN pages l ON l.id = e.list_page_id
                         LEFT JOIN pages a ON a.url = e.url
                         WHERE e.date BETWEEN ? AND ?""", (start, end)):
        key = url_key(r["url"])
        if key in seen or key in dated_elsewhere or r["kind"] == "list":
            continue
        seen[key] = r["site"] or _norm_site(r["url"])
    counts: dict[str, int] = {}
    for site in seen.values():
        counts[site] = counts.get(site, 0) + 1
    return counts


def _site_units(db: sqlite_utils.Database) -> dict[str, str]:
    return {r["site"]: (r["unit"] or "") for r in rows(
        db, "SELECT site, MAX(unit) AS unit FROM pages WHERE site IS NOT NULL GROUP BY site")}


def _latest_capture(db: sqlite_utils.Database, page_id: int | None, url: str) -> dict | None:
    """Newest stored snapshot of a page (by page id, else by URL)."""
    if page_id is None:
        found = rows(db, "SELECT id FROM pages WHERE url = ?", (url,))
        if not found:
            return None
        page_id = found[0]["id"]
    found = rows(db, """SELECT v.id, v.fetched_at, p.url FROM versions v JOIN pages p ON p.id = v.page_id
                        WHERE v.page_id = ? AND v.snapshot IS NOT NULL
                        ORDER BY v.fetched_at DESC, v.id DESC LIMIT 1""", (page_id,))
    return found[0] if found else None


def _entry_capture(db: sqlite_utils.Database, url: str) -> dict | None:
    """For an entry never fetched on its own: the list page that showed it."""
    found = rows(db, """SELECT COALESCE(source_page_id, list_page_id) AS pid FROM entries
                        WHERE url = ? ORDER BY last_seen_scan DESC LIMIT 1""", (url,))
    return _latest_capture(db, found[0]["pid"], "") if found else None


def _column_info(db: sqlite_utils.Database, col: Any) -> dict:
    """A column given as a URL (or object) with its name and page id from the store."""
    url = col if isinstance(col, str) else _get(col, "url")
    found = rows(db, "SELECT id, COALESCE(column_name, title) AS title FROM pages WHERE url = ?", (url,))
    title = (None if isinstance(col, str) else _get(col, "title")) or (found[0]["title"] if found else None)
    page_id = (None if isinstance(col, str) else _get(col, "page_id")) or (found[0]["id"] if found else None)
    return {"url": url, "title": title, "page_id": page_id}


class _Citations:
    """Assigns stable archive ids (E001 …) to cited URLs and resolves their captures."""

    def __init__(self, db: sqlite_utils.Database) -> None:
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

def year_end_statuses(db: sqlite_utils.Database, cfg: Any, as_of: date,
                      known_by: date | None = None) -> list[Any]:
    """Every item's status as of the year's last day, judged on all evidence known today.

    The report is written after the year: a page dated 2019-05-01 that the monitor first saw in
    October is still evidence it was published in the year (its date and source are recorded).
    ``assess_all(db, cfg, as_of)`` alone is the dashboard's "what did we know then" view and
    hides pages first fetched after ``as_of``; ``known_by`` (default: the clock's today) keeps them.
    """
    from monitor.assess import assess_all

    return assess_all(db, cfg, as_of, known_by=max(as_of, known_by or clock.today()))


def build_report(db: sqlite_utils.Database, cfg: Any, year: AcademicYear, *,
                 inputs: ReportInputs | None = None, statuses: list[Any] | None = None,
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
    by_item = {str(_get(s, "item_id") or _get(s, "item") or _get(s, "id")): s for s in statuses}

    categories, items = _catalog(cfg)
    cat_names = {str(_get(c, "id")): _get(c, "name") or str(_get(c, "id")) for c in categories}
    units = _units(cfg)
    columns = _matched_columns(db)
    cites = _Citations(db)
    labels = status_labels()

    item_rows: list[ItemRow] = []
    for item in items:
        if _get(item, "ignore"):  # the school config says the item does not apply here
            continue
        iid = str(_get(item, "id"))
        st = by_item.get(iid)
        rule = _get(st, "rule") or _get(item, "rule") or {}
        kind = _rule_kind(rule)
        unit_id = _get(st, "unit") or _get(item, "unit") or None
        unit_id = str(unit_id) if unit_id else None

        col_links: list[ColumnLink] = []
        col_src = _get(st, "columns")
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
        for ev in sorted(_get(st, "evidence") or [], key=lambda e: _get(e, "page_id") is None):
            d = _get(ev, "date")
            url = _get(ev, "url")
            if not url or not year.contains(d) or url_key(url) in pub_keys:
                continue
            pub_keys.add(url_key(url))
            ev_kind = _get(ev, "kind") or "article"
            title = clean(_get(ev, "title"), TITLE_MAX)
            pubs.append(Publication(url=url, title=title, date=str(d)[:10],
                                    date_source=_get(ev, "date_source"), kind=ev_kind,
                                    page_id=_get(ev, "page_id"),
                                    citation=cites.cite(url, title, ev_kind, iid, _get(ev, "page_id"))))
        pubs.sort(key=lambda p: (p.date, p.title), reverse=True)

        status = _get(st, "status") or "missing"
        row = ItemRow(
            item_id=iid, category_id=str(_get(item, "category") or ""),
            category_name=cat_names.get(str(_get(item, "category") or ""), ""),
            title=_get(item, "title") or iid, short=_get(item, "short") or "",
            unit_id=unit_id,
            unit_name=_get(st, "unit_name") or ((units.get(unit_id, {}).get("name") or unit_id)
                                                if unit_id else _office_name(cfg)),
            rule_kind=kind, rule_text=rule_text(rule), columns=col_links, published=pubs,
            updated_in_year=bool(pubs), status=status, status_label=labels.get(status, status),
            reason=clean(_get(st, "reason"), EXCERPT_MAX) or ("未找到对应栏目或页面" if st is None else ""),
            last_changed=_get(st, "last_changed"), last_changed_source=_get(st, "last_changed_source"),
            due=str(_get(st, "due"))[:10] if _get(st, "due") else None,
        )
        if not row.updated_in_year:
            row.no_update, row.no_update_reason = _classify_no_update(row)
        item_rows.append(row)

    summary = _summary(categories, item_rows)
    channels = _channels(db, cfg, year, units)
    summary.articles_total = sum(c.articles for c in channels)
    report = AnnualReport(
        school=_school_name(cfg), year=year, as_of=as_of.isoformat(), year_complete=today > year.end,
        generated_at=clock.now_iso(), scans=coverage, summary=summary,
        categories=_category_rows(categories, cat_names, item_rows), items=item_rows,
        channels=channels, units=_unit_rows(units, item_rows, channels, _office_name(cfg)),
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


def _summary(categories: list[Any], rows_: list[ItemRow]) -> Summary:
    counts: dict[str, int] = {}
    for r in rows_:
        counts[r.status] = counts.get(r.status, 0) + 1
    used_cats = {r.category_id for r in rows_}
    n_cats = len([c for c in categories if str(_get(c, "id")) in used_cats]) or len(used_cats)
    return Summary(
        categories=n_cats, items=len(rows_), updated=sum(r.updated_in_year for r in rows_),
        not_updated=sum(not r.updated_in_year for r in rows_),
        not_required=[r.item_id for r in rows_ if r.no_update == "not_required"],
        due_not_updated=[r.item_id for r in rows_ if r.no_update == "due"],
        articles_total=0, publications_total=sum(len(r.published) for r in rows_), status_counts=counts)


def _category_rows(categories: list[Any], names: dict[str, str], rows_: list[ItemRow]) -> list[CategoryRow]:
    out = []
    for c in categories:
        cid = str(_get(c, "id"))
        mine = [r for r in rows_ if r.category_id == cid]
        if mine:
            up = sum(r.updated_in_year for r in mine)
            out.append(CategoryRow(cid, names[cid], len(mine), up, len(mine) - up))
    return out


def _channels(db: sqlite_utils.Database, cfg: Any, year: AcademicYear,
              units: dict[str, dict]) -> list[Channel]:
    counts = _channel_articles(db, year)
    office = _office_name(cfg)
    names = _site_names(cfg, units)
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
        unit_name = units.get(unit_id, {}).get("name", unit_id) if unit_id else office
        out.append(Channel(site=site, name=name, unit_id=unit_id, unit_name=unit_name,
                           articles=counts.get(site, 0)))
    # Disclosure site first, then busiest channels.
    out.sort(key=lambda c: (c.unit_id is not None, -c.articles, c.name))
    return out


def _unit_rows(units: dict[str, dict], rows_: list[ItemRow], channels: list[Channel],
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
        if not mine and not units.get(uid, {}).get("sites"):
            continue
        out.append(UnitRow(
            unit_id=uid, name=units.get(uid, {}).get("name", uid), items=[r.item_id for r in mine],
            updated=[r.item_id for r in mine if r.updated_in_year],
            not_updated_due=[r.item_id for r in mine if r.no_update == "due"],
            not_updated_not_required=[r.item_id for r in mine if r.no_update == "not_required"],
            overdue_at_year_end=[r.item_id for r in mine if r.status == "overdue"],
            publications=sum(len(r.published) for r in mine), articles=articles))
    return out


# --------------------------------------------------------------------------- the draft text

def draft_sections(rep: AnnualReport) -> list[Section]:
    """The report's sections in Chinese, figures filled in, 【待填写：…】 where only people know."""
    s, y = rep.summary, rep.year
    texts = rep.inputs.texts if rep.inputs else {}

    def text_or(key: str, placeholder: str) -> str:
        return texts.get(key, "").strip() or f"【待填写：{placeholder}】"

    overview = [
        f"根据《高等学校信息公开办法》（教育部令第29号）、《高等学校信息公开事项清单》（教办函〔2014〕23号）"
        f"和教育部办公厅有关通知要求，现将{rep.school}{y.label}学年（{y.span_cn}）信息公开工作情况报告如下。",
        text_or("overview", "本学年信息公开工作概况：组织领导、制度建设、工作机制、信息员队伍等"),
        f"本报告中主动公开情况的数据由信息公开监测系统根据{_scan_span(rep.scans)}{rep.scans.count}次网站扫描"
        "所存档的页面统计，每项证据均附存档编号，可在证据包中核对。",
    ]
    if not rep.year_complete:
        overview.append(f"注意：本学年尚未结束，各项数据统计截至{_cn_date(rep.as_of)}。")

    active = []
    head = (f"按照学校信息公开事项清单，学校应当公开共{s.categories}大类办学信息，涉及具体条目{s.items}项。"
            f"本学年完成了{s.updated}项条目的信息更新")
    if s.not_updated:
        not_up = [r.item_id for r in rep.items if not r.updated_in_year]
        head += f"，{_cn_list(rep.names(not_up))}等{s.not_updated}项信息无更新。"
        parts = []
        if s.not_required:
            kinds = {rep.item(i).rule_kind for i in s.not_required}
            what = "、".join(label for kind, label in (("static", "长期有效"), ("event", "事件类"),
                                                       ("on_change", "变动即更类")) if kind in kinds)
            parts.append(f"其中{_cn_list(rep.names(s.not_required))}等{len(s.not_required)}项属于{what}信息，"
                         "本学年未发生变化或相关事件，无需更新")
        if s.due_not_updated:
            parts.append(f"{_cn_list(rep.names(s.due_not_updated))}等{len(s.due_not_updated)}项应当更新但本学年未见更新")
        if parts:
            head += "；".join(parts) + "。"
    else:
        head += "，所有条目均有更新。"
    active.append(head)
    if rep.channels:
        parts = [f"通过{c.name}发布信息{c.articles}条" for c in rep.channels]
        active.append(f"本学年学校{'，'.join(parts)}，合计{s.articles_total}条。")
    active.append(f"各条目本学年的公开内容、责任单位和栏目链接见附表《信息公开事项逐项说明》"
                  f"（共引用证据{len(rep.citations)}项，其中{sum(c.archived for c in rep.citations)}项已存档）。")
    active.append(text_or("active", "主动公开的主要途径（信息公开网、校园网、新闻媒体、宣传栏等）及重点领域公开情况"))

    requests = _requests_paragraphs(rep.inputs, text_or)
    complaints = _complaints_paragraphs(rep.inputs, text_or)

    problems = []
    overdue = [r.item_id for r in rep.items if r.status == "overdue"]
    bad = {k: [r.item_id for r in rep.items if r.status == k] for k in ("missing", "blank", "unreachable", "undated")}
    if s.due_not_updated:
        problems.append(f"部分事项更新不及时：{_cn_list(rep.names(s.due_not_updated))}等"
                        f"{len(s.due_not_updated)}项应在本学年更新但未见更新。")
    if overdue:
        problems.append(f"截至{_cn_date(rep.as_of)}，{_cn_list(rep.names(overdue))}等{len(overdue)}项处于逾期未更新状态。")
    labels = {"missing": "未找到对应公开栏目", "blank": "栏目内容为空", "unreachable": "栏目无法访问",
              "undated": "页面未标注发布日期"}
    for key, ids in bad.items():
        if ids:
            problems.append(f"{_cn_list(rep.names(ids))}等{len(ids)}项{labels[key]}。")
    if not problems:
        problems.append("监测未发现事项更新方面的问题。")
    problems.append(text_or("problems", "其他存在的问题（如公开内容的规范性、时效性、解读回应等）"))
    problems.append(text_or("measures", "下一步改进措施（如督查督办、责任单位信息员培训、栏目建设等）"))

    return [
        Section("overview", "一、概述", overview),
        Section("active", "二、主动公开情况", active),
        Section("requests", "三、依申请公开情况", requests),
        Section("complaints", "四、因学校信息公开工作受到举报、复议、诉讼的情况", complaints),
        Section("problems", "五、存在的主要问题和改进措施", problems),
    ]


def _scan_span(scans: ScanCoverage) -> str:
    if scans.first == scans.last:
        return f"{_cn_date(scans.first)}"
    return f"{_cn_date(scans.first)}至{_cn_date(scans.last)}间"


def _requests_paragraphs(inputs: ReportInputs | None, text_or) -> list[str]:
    req = inputs.requests if inputs else None
    if req is None:
        return ["【待填写：本学年收到依申请公开申请的数量、申请方式及答复情况（未提供填报文件）】"]
    line = f"本学年学校共收到依申请公开申请{req.received}件"
    if req.channels:
        line += "（" + "、".join(f"{k}{v}件" for k, v in req.channels.items()) + "）"
    if req.carried_over:
        line += f"，另有上学年结转申请{req.carried_over}件"
    answered = sum(req.outcomes.values())
    if req.outcomes:
        line += f"。已答复{answered}件，其中" + "，".join(f"{k}{v}件" for k, v in req.outcomes.items())
    if req.pending:
        line += f"；结转下学年办理{req.pending}件"
    line += "。"
    out = [line]
    if req.fees:
        out.append(f"收费情况：{req.fees}。")
    out.append(f"（数据来源：{inputs.source}）")
    return out


def _complaints_paragraphs(inputs: ReportInputs | None, text_or) -> list[str]:
    if inputs is None or all(v is None for v in (inputs.complaints, inputs.reconsiderations, inputs.lawsuits)):
        return ["【待填写：本学年因信息公开工作受到举报、申请行政复议、提起行政诉讼的数量及处理结果（未提供填报文件）】"]
    figures = [("举报", inputs.complaints), ("行政复议", inputs.reconsiderations), ("行政诉讼", inputs.lawsuits)]
    known = [(k, v) for k, v in figures if v is not None]
    if all(v == 0 for _, v in known):
        line = f"本学年学校未发生因信息公开工作引起的{'、'.join(k for k, _ in known)}。"
    else:
        line = "本学年学校因信息公开工作" + "，".join(
            f"{'收到' if k == '举报' else '被申请' if k == '行政复议' else '被提起'}{k}{v}件" for k, v in known) + "。"
    out = [line]
    missing = [k for k, v in figures if v is None]
    if missing:
        out.append(f"【待填写：{'、'.join(missing)}情况（填报文件未提供）】")
    if any(v for _, v in known):
        out.append(text_or("complaints", "举报、复议、诉讼的具体事由及处理结果"))
    out.append(f"（数据来源：{inputs.source}）")
    return out


# --------------------------------------------------------------------------- the office's inputs file

def _inputs_schema():
    # Imported lazily: pydantic is only needed when an inputs file is read.
    from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

    class Requests(BaseModel):
        model_config = ConfigDict(extra="forbid")
        received: NonNegativeInt
        carried_over: NonNegativeInt = 0
        outcomes: dict[str, NonNegativeInt] = Field(default_factory=dict)
        pending: NonNegativeInt = 0
        channels: dict[str, NonNegativeInt] = Field(default_factory=dict)
        fees: str | None = None

    class InputsFile(BaseModel):
        model_config = ConfigDict(extra="forbid")
        year: str | None = None
        source: str | None = None
        filled_by: str | None = None
        requests: Requests | None = None
        complaints: NonNegativeInt | None = None
        reconsiderations: NonNegativeInt | None = None
        lawsuits: NonNegativeInt | None = None
        texts: dict[str, str] = Field(default_factory=dict)

    return InputsFile


TEXT_KEYS = ("overview", "active", "problems", "measures", "complaints")


def _yaml_line(text: str, loc: tuple) -> int | None:
    """Line (1-based) of the YAML node at a pydantic error location, for the error message."""
    import yaml

    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if k.value == str(key):
                line, node = k.start_mark.line + 1, v
                break
        else:
            break
    return line


def load_inputs(path: str | Path, year: AcademicYear) -> ReportInputs:
    """Read and validate the office's YAML (docs/report.md); errors name file, line and field."""
    import yaml
    from pydantic import ValidationError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"填报文件不存在：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"无法读取填报文件 {path}：{exc}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise ReportError(f"填报文件 {path} {where}不是有效的 YAML") from None
    if not isinstance(data, dict):
        raise ReportError(f"填报文件 {path} 的内容应为键值对（见 docs/report.md）")
    try:
        parsed = _inputs_schema().model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _yaml_line(text, loc)
        field_name = ".".join(str(p) for p in loc)
        what = {"missing": "缺少必填项", "extra_forbidden": "不认识的字段"}.get(
            err["type"], "应为非负整数" if "int" in err["type"] or "greater_than" in err["type"] else "取值无效")
        raise ReportError(f"填报文件 {path}{f' 第{line}行' if line else ''} 字段 {field_name}：{what}") from None
    if parsed.year and AcademicYear.parse(parsed.year).label != year.label:
        raise ReportError(f"填报文件 {path} 写的是 {parsed.year} 学年，与要生成的 {year.label} 学年不符")
    unknown = sorted(set(parsed.texts) - set(TEXT_KEYS))
    if unknown:
        raise ReportError(f"填报文件 {path} 字段 texts.{unknown[0]}：不认识的段落（可用：{'、'.join(TEXT_KEYS)}）")
    req = parsed.requests
    figures = None
    if req is not None:
        if req.outcomes and sum(req.outcomes.values()) + req.pending != req.received + req.carried_over:
            raise ReportError(
                f"填报文件 {path} 依申请公开数字不平衡：答复{sum(req.outcomes.values())}件 + 结转下学年{req.pending}件"
                f" ≠ 收到{req.received}件 + 上学年结转{req.carried_over}件")
        figures = RequestFigures(req.received, req.carried_over, dict(req.outcomes), req.pending,
                                 dict(req.channels), req.fees)
    source = parsed.source or "学校信息公开工作机构填报"
    if parsed.filled_by:
        source += f"，填报人：{parsed.filled_by}"
    source += f"；填报文件 {path.name}"
    return ReportInputs(source=source, path=str(path), requests=figures, complaints=parsed.complaints,
                        reconsiderations=parsed.reconsiderations, lawsuits=parsed.lawsuits,
                        texts={k: v for k, v in parsed.texts.items() if v and v.strip()})


def save_inputs(db: sqlite_utils.Database, year: AcademicYear, inputs: ReportInputs) -> None:
    import json

    # Not store.dumps: it sorts keys, and the office's order of outcomes is the report's order.
    db.execute("INSERT OR REPLACE INTO report_inputs(year, data, source, loaded_at) VALUES (?,?,?,?)",
               (year.label, json.dumps(asdict(inputs), ensure_ascii=False), inputs.path, clock.now_iso()))


def stored_inputs(db: sqlite_utils.Database, year: AcademicYear) -> ReportInputs | None:
    """Inputs imported by an earlier run for this year (so re-running needs no file)."""
    import json

    found = rows(db, "SELECT data, loaded_at FROM report_inputs WHERE year = ?", (year.label,))
    if not found:
        return None
    data = json.loads(found[0]["data"])
    req = data.get("requests")
    return ReportInputs(source=f"{data['source']}（导入于{found[0]['loaded_at'][:10]}）", path=data.get("path"),
                        requests=RequestFigures(**req) if req else None, complaints=data.get("complaints"),
                        reconsiderations=data.get("reconsiderations"), lawsuits=data.get("lawsuits"),
                        texts=data.get("texts") or {})


# --------------------------------------------------------------------------- writing the pack

ALL_FORMATS = ("docx", "xlsx", "html", "md", "zip")


def parse_formats(text: str) -> list[str]:
    wanted = [f.strip().lower().lstrip(".") for f in (text or "").split(",") if f.strip()]
    wanted = ["md" if f in ("markdown",) else f for f in wanted]
    bad = [f for f in wanted if f not in ALL_FORMATS]
    if bad or not wanted:
        raise ReportError(f"不支持的格式 {'、'.join(bad) or '（空）'}；可选：{','.join(ALL_FORMATS)}")
    return [f for f in ALL_FORMATS if f in wanted]


def _renderers() -> dict[str, Any]:
    from monitor.report_docx import write_docx
    from monitor.report_html import write_html, write_markdown
    from monitor.report_xlsx import write_xlsx

    return {"docx": write_docx, "xlsx": write_xlsx, "html": write_html, "md": write_markdown}


def write_outputs(report: AnnualReport, db: sqlite_utils.Database, out_dir: str | Path,
                  formats: Iterable[str] = ALL_FORMATS) -> dict[str, Path]:
    """Render the requested formats into out_dir; ``zip`` is the full evidence pack
    (report.docx/.xlsx/.html/.md, evidence/*.warc.gz, files/…, manifest.json/.csv)."""
    import tempfile

    from monitor.warc_export import export_evidence, sha256_file, write_manifest, zip_dir

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"report-{report.year.label}"
    renderers = _renderers()
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt in renderers:
            written[fmt] = renderers[fmt](report, out_dir / f"{base}.{fmt}")
    if "zip" in formats:
        with tempfile.TemporaryDirectory(prefix=".stage-", dir=out_dir) as tmp:
            stage = Path(tmp)
            for fmt, render in renderers.items():
                render(report, stage / f"report.{fmt}")
            entries = export_evidence(db, report, stage)
            write_manifest(stage, report, entries)
            written["zip"] = zip_dir(stage, out_dir / f"{base}.zip")
    db.execute("INSERT INTO report_runs(year, generated_at, as_of, out_dir, formats, files, summary) "
               "VALUES (?,?,?,?,?,?,?)",
               (report.year.label, report.generated_at, report.as_of, str(out_dir), dumps(list(formats)),
                dumps({f: {"path": str(p), "sha256": sha256_file(p)} for f, p in written.items()}),
                dumps(asdict(report.summary))))
    return written


def placeholders(report: AnnualReport) -> list[str]:
    """Every 【待填写：…】 left in the draft, in order."""
    return [m.group(0) for s in report.sections for p in s.paragraphs for m in PLACEHOLDER_RE.finditer(p)]


def summary_lines(report: AnnualReport) -> list[str]:
    s = report.summary
    lines = [f"{report.title}（状态截至 {report.as_of}）",
             f"  应公开 {s.categories} 大类 {s.items} 项；本学年完成更新 {s.updated} 项，无更新 {s.not_updated} 项"
             f"（无需更新 {len(s.not_required)} 项，应更新未更新 {len(s.due_not_updated)} 项）"]
    if s.not_updated:
        lines.append("  无更新：" + "、".join(report.names(r.item_id for r in report.items if not r.updated_in_year)))
    lines.append(f"  各渠道发布信息 {s.articles_total} 条；引用证据 {len(report.citations)} 项，"
                 f"已存档 {sum(c.archived for c in report.citations)} 项")
    if report.inputs:
        lines.append(f"  依申请公开等数据来源：{report.inputs.source}")
    todo = placeholders(report)
    if todo:
        lines.append(f"  待人工填写 {len(todo)} 处（文中以【待填写：…】标出）")
    return lines


# --------------------------------------------------------------------------- CLI

def _resolve(path: Any, base: Path | None) -> Path | None:
    if not path:
        return None
    p = Path(str(path)).expanduser()
    return p if p.is_absolute() or base is None else base / p


@click.command("report")
@config_option
@now_option
@click.option("--year", "year_text", metavar="YYYY-YYYY",
              help="Academic year, e.g. 2018-2019 (1 Sep – 31 Aug). Default: the last completed one.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: ./reports).")
@click.option("--inputs", "inputs_path", type=click.Path(dir_okay=False), default=None,
              help="The office's YAML with request/complaint figures (default: report.inputs in the config).")
@click.option("--format", "formats_text", default=",".join(ALL_FORMATS), show_default=True,
              help="Comma-separated: docx,xlsx,html,md,zip (zip = full evidence pack).")
def report_command(year_text: str | None, out_dir: str | None, inputs_path: str | None,
                    formats_text: str, config_path: str) -> None:
    """生成信息公开工作年度报告及证据包（DOCX、XLSX、HTML、Markdown 与 WARC 存档 zip）。"""
    try:
        formats = parse_formats(formats_text)
        year = AcademicYear.parse(year_text) if year_text else AcademicYear.last_completed(clock.today())
    except ReportError as exc:
        fail(str(exc))
    if not Path(config_path).exists():
        fail(f"找不到配置文件 {config_path}（用 --config 指定）")
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    base = Path(config_path).resolve().parent
    report_cfg = _get(cfg, "report")
    try:
        db_path = _db_path(cfg)
    except ReportError as exc:
        fail(str(exc))
    if not db_path.exists():
        fail(f"数据库 {db_path} 不存在：还没有任何扫描记录，请先运行 xxgk scan", code=3)
    db = open_db(db_path)
    try:
        inputs_file = _resolve(inputs_path, Path.cwd()) or _get(cfg, "report_inputs_path") \
            or _resolve(_get(report_cfg, "inputs"), base)
        inputs = None
        if inputs_file is not None:
            inputs = load_inputs(inputs_file, year)
        else:
            inputs = stored_inputs(db, year)
        report = build_report(db, cfg, year, inputs=inputs)
        if inputs_file is not None:
            save_inputs(db, year, inputs)
        target = _resolve(out_dir, Path.cwd()) or _resolve(_get(report_cfg, "out_dir"), base) or Path("reports")
        written = write_outputs(report, db, target, formats)
    except ReportError as exc:
        fail(str(exc), code=3)
    except OSError as exc:
        fail(f"无法写入报告文件：{exc}")
    for line in summary_lines(report):
        click.echo(line)
    click.echo("  文件：")
    for path in written.values():
        click.echo(f"    {path}")

