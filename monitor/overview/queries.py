"""Read models of the overview: schools × categories, the ranking, monthly trends and one school's items, each
as plain data or a ``monitor.dashboard.tables.Table`` (so the page, CSV and XLSX never disagree).

Every function takes ``visible``: the school keys the reader may see (the fleet's schools, cut to a school
account's own). Only the summary store is read; its size is schools × items × months, whatever the schools'
page counts.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from monitor import store
from monitor.core.vocab import CONFIRMATION, DATE_SOURCE, STATUS
from monitor.dashboard.estate import ON_TIME
from monitor.dashboard.tables import Column, Table, sort_rows
from monitor.store.engine import Database

ON_TIME_LABEL = "按时率"          # the school dashboard's word for the share of items 正常 or 即将到期
# The shares shown beside 按时率: every other status, most urgent first (they add up to 100 %).
SHARE_STATUSES: tuple[str, ...] = tuple(s for s in ("overdue", "missing", "blank", "undated", "unreachable")
                                        if s in STATUS)
TREND_MONTHS = 24


@dataclass
class Shares:
    """Item counts per status and the shares they make."""
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def add(self, status: str, n: int) -> None:
        self.counts[status] = self.counts.get(status, 0) + int(n)
        self.total += int(n)

    def share(self, status: str) -> float | None:
        return self.counts.get(status, 0) / self.total if self.total else None

    @property
    def on_time(self) -> float | None:
        return sum(self.counts.get(s, 0) for s in ON_TIME) / self.total if self.total else None

    def title(self) -> str:
        """Every status's share in words (a cell's tooltip)."""
        parts = [f"{ON_TIME_LABEL} {_pct(self.on_time)}"]
        parts += [f"{STATUS.label[s]} {_pct(self.share(s))}" for s in STATUS.order if self.counts.get(s)]
        return f"{self.total} 项：" + "，".join(parts)

    def row(self) -> dict[str, Any]:
        return {"items": self.total, "on_time": self.on_time, **{s: self.share(s) for s in SHARE_STATUSES}}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _in(keys: Sequence[str]) -> str:
    return ",".join("?" * len(keys))


def category_key(cat: str) -> tuple:
    """Catalog order for category ids of several schools ("2" before "10"; a school's own ids after)."""
    return (0, int(cat), "") if cat.isdigit() else (1, 0, cat)


# ---------------------------------------------------------------- schools

@dataclass(frozen=True)
class School:
    key: str
    name: str
    dashboard_url: str | None
    as_of: str | None
    published_at: str
    last_scan_at: str | None


def schools(db: Database, visible: Sequence[str]) -> list[School]:
    """The published schools among ``visible``, in ``visible``'s order."""
    if not visible:
        return []
    found = {r["school"]: r for r in store.rows(db, f"SELECT * FROM schools WHERE school IN ({_in(visible)})",
                                                 list(visible))}
    return [School(k, found[k]["name"], found[k]["dashboard_url"], found[k]["current_as_of"],
                   found[k]["published_at"], found[k]["last_scan_at"]) for k in visible if k in found]


def school(db: Database, key: str) -> School | None:
    found = schools(db, [key])
    return found[0] if found else None


# ---------------------------------------------------------------- schools × categories

@dataclass
class MatrixRow:
    school: School
    cells: dict[str, Shares]
    total: Shares


@dataclass
class Matrix:
    categories: list[tuple[str, str]]     # (id, name) in catalog order
    rows: list[MatrixRow]
    total: Shares                         # every visible school's items together
    by_category: dict[str, Shares]


def matrix(db: Database, visible: Sequence[str]) -> Matrix:
    listed = schools(db, visible)
    cells: dict[str, dict[str, Shares]] = defaultdict(lambda: defaultdict(Shares))
    names: dict[str, str] = {}
    keys = [s.key for s in listed]
    if keys:
        for r in db.execute(
                "SELECT c.school, c.category, c.category_name, c.status, c.n FROM snapshot_counts c"
                " JOIN schools s ON s.school = c.school AND s.current_as_of = c.as_of"
                f" WHERE c.school IN ({_in(keys)})", keys).fetchall():
            cells[r[0]][r[1]].add(r[3], r[4])
            names.setdefault(r[1], r[2])
    categories = sorted(names.items(), key=lambda kv: category_key(kv[0]))
    rows: list[MatrixRow] = []
    total = Shares()
    by_category: dict[str, Shares] = defaultdict(Shares)
    for s in listed:
        mine = Shares()
        for cat, sh in cells[s.key].items():
            for status, n in sh.counts.items():
                mine.add(status, n)
                total.add(status, n)
                by_category[cat].add(status, n)
        rows.append(MatrixRow(s, dict(cells[s.key]), mine))
    return Matrix(categories, rows, total, dict(by_category))


def band(value: float | None) -> str:
    """The colour band of a 按时率 (overview.css: r-a best … r-d worst)."""
    if value is None:
        return "r-none"
    return "r-a" if value >= 0.9 else "r-b" if value >= 0.75 else "r-c" if value >= 0.5 else "r-d"


def pct(value: float | None) -> str:
    return _pct(value)


@dataclass(frozen=True)
class Cell:
    category: str
    text: str              # 按时率, e.g. "93%"
    band: str
    title: str             # every status's share in words
    present: bool
    href: str = ""         # the school's items of the category


def matrix_cells(m: Matrix) -> list[tuple[MatrixRow, list[Cell]]]:
    """The matrix's cells with their words computed once (a province's page has 1,000-2,000 of them)."""
    out = []
    for r in m.rows:
        cells = []
        for cat, name in m.categories:
            sh = r.cells.get(cat)
            if sh is None:
                cells.append(Cell(cat, "·", "h-zero", "", False))
            else:
                cells.append(Cell(cat, _pct(sh.on_time), band(sh.on_time), f"{r.school.name} · {name}：{sh.title()}",
                                  True, f"/schools/{quote(r.school.key)}?category={quote(cat)}"))
        out.append((r, cells))
    return out


def matrix_table(m: Matrix) -> Table:
    """The matrix as one table (export): a school per row, its 按时率 per category and overall."""
    columns = [Column("name", "学校"), Column("as_of", "评估日期", "date")]
    columns += [Column(f"c_{cat}", f"{cat}. {name}", "pct") for cat, name in m.categories]
    columns += [Column("on_time", f"全部{ON_TIME_LABEL}", "pct"), Column("items", "事项数", "num")]
    rows = []
    for r in m.rows:
        row: dict[str, Any] = {"name": r.school.name, "as_of": r.school.as_of, "on_time": r.total.on_time,
                               "items": r.total.total}
        for cat, _ in m.categories:
            row[f"c_{cat}"] = r.cells[cat].on_time if cat in r.cells else None
        rows.append(row)
    return Table("matrix", f"各校各类别{ON_TIME_LABEL}", columns, rows)


# ---------------------------------------------------------------- ranking

RANKING_COLUMNS = [
    Column("rank", "排名", "num"), Column("name", "学校", "link", href="school_url"), Column("items", "事项数", "num"),
    Column("on_time", ON_TIME_LABEL, "pct"),
    *[Column(s, STATUS.label[s], "pct") for s in SHARE_STATUSES],
    Column("as_of", "评估日期", "date"), Column("last_scan_at", "最近扫描", "date"),
]


def current_totals(db: Database, visible: Sequence[str]) -> list[tuple[School, Shares]]:
    """Each visible school's current snapshot, counted per status."""
    listed = schools(db, visible)
    keys = [s.key for s in listed]
    per: dict[str, Shares] = defaultdict(Shares)
    if keys:
        for key, status, n in db.execute(
                "SELECT t.school, t.status, t.n FROM snapshot_totals t"
                " JOIN schools s ON s.school = t.school AND s.current_as_of = t.as_of"
                f" WHERE t.school IN ({_in(keys)})", keys).fetchall():
            per[key].add(status, n)
    return [(s, per[s.key]) for s in listed]


def ranking(db: Database, visible: Sequence[str]) -> Table:
    """Schools by 按时率 (then fewer overdue, fewer missing); equal figures share a rank."""
    rows = [{"key": s.key, "name": s.name, "school_url": f"/schools/{s.key}", "as_of": s.as_of,
             "last_scan_at": (s.last_scan_at or "").replace("T", " ")[:16] or None, **sh.row()}
            for s, sh in current_totals(db, visible)]

    def order(row: dict) -> tuple:
        return (-(row["on_time"] or 0.0), row["overdue"] or 0.0, row["missing"] or 0.0)

    rows.sort(key=lambda row: (*order(row), row["name"]))
    previous, rank = None, 0
    for i, row in enumerate(rows, 1):
        if order(row) != previous:
            rank, previous = i, order(row)
        row["rank"] = rank
    return Table("ranking", "学校排名", RANKING_COLUMNS, rows, empty="还没有学校发布评估结果")


# ---------------------------------------------------------------- trends by month

@dataclass
class Trends:
    months: list[str]
    overall: dict[str, Shares]                       # month -> every visible school together
    school_counts: dict[str, int]                    # month -> schools with a snapshot in it
    on_time: dict[str, dict[str, float | None]]      # school key -> month -> its 按时率 (recent months only)
    schools: list[School]

    def series(self) -> list[dict]:
        """For monitor.dashboard.charts.status_bars: one bar per month (its label is the text after YYYY-)."""
        return [{"as_of": f"{m}月", "counts": dict(self.overall[m].counts)} for m in self.months]


def trends(db: Database, visible: Sequence[str], months: int = TREND_MONTHS, per_school_months: int = 12) -> Trends:
    """Every month's counts over the visible schools, and each school's 按时率 over its last months (summed in
    SQL: the rows are schools × months × statuses)."""
    listed = schools(db, visible)
    keys = [s.key for s in listed]
    overall: dict[str, Shares] = defaultdict(Shares)
    school_counts: dict[str, int] = {}
    on_time: dict[str, dict[str, float | None]] = defaultdict(dict)
    where = f" FROM snapshot_totals WHERE school IN ({_in(keys)})"
    if keys:
        for month, status, n in db.execute(f"SELECT month, status, SUM(n){where} GROUP BY month, status",
                                           keys).fetchall():
            overall[month].add(status, n)
        for month, n in db.execute(f"SELECT month, COUNT(DISTINCT school){where} GROUP BY month", keys).fetchall():
            school_counts[month] = int(n)
    all_months = sorted(overall)[-months:]
    recent = all_months[-per_school_months:]
    if keys and recent:
        for key, month, good, total in db.execute(
                f"SELECT school, month, SUM(CASE WHEN status IN ({_in(ON_TIME)}) THEN n ELSE 0 END), SUM(n){where}"
                " AND month >= ? GROUP BY school, month", [*ON_TIME, *keys, recent[0]]).fetchall():
            on_time[key][month] = int(good) / int(total) if total else None
    return Trends(all_months, {m: overall[m] for m in all_months}, school_counts, dict(on_time), listed)


def trend_table(t: Trends) -> Table:
    columns = [Column("month", "月份", "date"), Column("schools", "学校数", "num"), Column("items", "事项数", "num"),
               Column("on_time", ON_TIME_LABEL, "pct"), *[Column(s, STATUS.label[s], "pct") for s in SHARE_STATUSES]]
    rows = [{"month": m, "schools": t.school_counts.get(m, 0), **t.overall[m].row()} for m in reversed(t.months)]
    return Table("trends", f"各月{ON_TIME_LABEL}与各状态占比", columns, rows, empty="还没有月度快照")


def school_trend_table(t: Trends, last: int = 12) -> Table:
    months = t.months[-last:]
    columns = [Column("name", "学校", "link", href="school_url")]
    columns += [Column(f"m{m}", m, "pct") for m in months]
    rows = []
    for s in t.schools:
        per = t.on_time.get(s.key, {})
        row: dict[str, Any] = {"name": s.name, "school_url": f"/schools/{s.key}"}
        for m in months:
            row[f"m{m}"] = per.get(m)
        rows.append(row)
    return Table("school_trends", f"各校各月{ON_TIME_LABEL}", columns, rows, empty="还没有月度快照")


# ---------------------------------------------------------------- one school

def snapshot_days(db: Database, key: str) -> list[str]:
    """The school's snapshots, newest first."""
    return [str(r[0]) for r in db.execute("SELECT as_of FROM snapshots WHERE school = ? ORDER BY as_of DESC",
                                          (key,)).fetchall()]


ITEM_COLUMNS = [
    Column("item_id", "编号", href="item_url"), Column("name", "事项", "link", href="item_url"),
    Column("category_name", "类别"), Column("unit_name", "责任单位"), Column("status", "状态", "status"),
    Column("confirmation", "匹配确认", "label"), Column("reason", "说明", sortable=False),
    Column("last_changed", "最近更新", "date"), Column("last_changed_source", "日期来源"),
    Column("due", "截止日期", "date"), Column("rule", "更新要求"),
]
_ITEM_ID = re.compile(r"(\d+)|(\D+)")


def _item_order(item_id: str) -> tuple:
    return tuple((0, int(d), "") if d else (1, 0, t) for d, t in _ITEM_ID.findall(item_id))


def school_items(db: Database, s: School, as_of: str, *, category: str | None = None, status: str | None = None,
                 sort: str | None = None, desc: bool = False) -> Table:
    """The school's items in one snapshot, as the school dashboard's main table shows them; the rows link
    to the school's own dashboard when it has one."""
    where, params = ["school = ?", "as_of = ?"], [s.key, as_of]
    if category:
        where.append("category = ?")
        params.append(category)
    if status:
        where.append("status = ?")
        params.append(status)
    found = store.rows(db, f"SELECT * FROM snapshot_items WHERE {' AND '.join(where)}", params)
    found.sort(key=lambda r: (category_key(r["category"]), _item_order(r["item_id"])))
    rows = []
    for r in found:
        url = f"{s.dashboard_url}/items/{r['item_id']}" if s.dashboard_url else None
        rows.append({
            "item_id": r["item_id"], "name": r["short"] or r["title"], "item_url": url,
            "category_name": r["category_name"], "unit_name": r["unit_name"], "status": r["status"],
            "confirmation": CONFIRMATION.label["provisional"] if r["provisional"] else "",
            "row_class": "provisional" if r["provisional"] else "", "reason": r["reason"] or "",
            "last_changed": r["last_changed"], "due": r["due"], "rule": r["rule_text"] or "",
            "last_changed_source": DATE_SOURCE.label.get(r["last_changed_source"] or "", r["last_changed_source"] or ""),
        })
    table = Table("items", f"{s.name} 事项状态", ITEM_COLUMNS, rows, empty="没有符合条件的事项")
    if sort:
        sort_rows(table, sort, desc)
    return table


def school_categories(db: Database, key: str, as_of: str) -> list[dict[str, Any]]:
    """The school's items per category in one snapshot: (id, name, shares)."""
    per: dict[str, Shares] = defaultdict(Shares)
    names: dict[str, str] = {}
    for r in db.execute("SELECT category, category_name, status, n FROM snapshot_counts WHERE school = ? AND as_of = ?",
                        (key, as_of)).fetchall():
        per[r[0]].add(r[2], r[3])
        names[r[0]] = r[1]
    return [{"id": c, "name": names[c], "shares": per[c]} for c in sorted(per, key=category_key)]
