"""Read models for the dashboard pages: every function returns plain data or a ``Table``.

Queries stay on indexed columns (pages.kind, matches.item_id, versions.page_id, entries.list_page_id,
fetch_errors.scan_id) and paginate in SQL where a table can hold many rows, so pages stay fast on
large estates.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable

from monitor import store
from monitor.auth import User
from monitor.core.vocab import CONFIRMATION, DATE_SOURCE, KIND, LIMIT, SCAN_STATE, SCAN_TRIGGER, STATUS
from monitor.dashboard.estate import ON_TIME, Estate, Item, ItemState, site_key
from monitor.dashboard.tables import PER_PAGE, Column, Table, paginate, sort_rows
from monitor.store import history
from monitor.store.engine import Database

SiteNamer = Callable[[str], str]


def source_label(source: str | None) -> str:
    if not source:
        return ""
    return DATE_SOURCE.label.get(source, source)


@dataclass
class Filters:
    as_of: date
    category: str | None = None
    unit: str | None = None
    status: str | None = None
    provisional: bool = False       # only items found as candidates awaiting confirmation

    def query(self, **override: Any) -> dict[str, str]:
        out = {"as_of": self.as_of.isoformat(), "category": self.category, "unit": self.unit,
               "status": self.status, "provisional": "1" if self.provisional else None}
        out.update(override)
        return {k: v for k, v in out.items() if v}


def scoped_items(estate: Estate, states: dict[str, ItemState], f: Filters,
                 user: User) -> list[tuple[Item, ItemState | None, str | None]]:
    """(item, state, unit) for the items this user may see that pass the filters."""
    out = []
    for item in estate.items:
        st = states.get(item.id)
        unit = estate.item_unit(item, st)
        if not user.may_see_unit(unit):
            continue
        if f.category and item.category != f.category:
            continue
        if f.unit and unit != f.unit:
            continue
        if f.status and (st.status if st else None) != f.status:
            continue
        if f.provisional and not (st and st.provisional):
            continue
        out.append((item, st, unit))
    return out


# ---------------------------------------------------------------------------------------- overview

def heatmap(estate: Estate, scoped: list[tuple[Item, ItemState | None, str | None]]) -> list[dict]:
    """One row per catalog category: counts per status."""
    rows_: list[dict] = []
    by_cat: dict[str, Counter] = defaultdict(Counter)
    for item, st, _ in scoped:
        by_cat[item.category][st.status if st else "unassessed"] += 1
    for cat in estate.categories:
        counts = by_cat.get(cat.id, Counter())
        row = {"category": cat.id, "name": cat.name, "total": sum(counts.values())}
        row.update({s: counts.get(s, 0) for s in STATUS.order})
        row["unassessed"] = counts.get("unassessed", 0)
        rows_.append(row)
    return rows_


def totals(scoped: list[tuple[Item, ItemState | None, str | None]]) -> dict[str, Any]:
    counts = Counter(st.status if st else "unassessed" for _, st, _ in scoped)
    total = len(scoped)
    ok = counts.get("ok", 0)
    return {"total": total, "counts": {s: counts.get(s, 0) for s in STATUS.order}, "ok": ok,
            "on_time": sum(counts.get(s, 0) for s in ON_TIME), "unassessed": counts.get("unassessed", 0),
            "problems": total - sum(counts.get(s, 0) for s in ON_TIME) - counts.get("unassessed", 0),
            # counted under their provisional status above, never as missing
            "provisional": sum(1 for _, st, _ in scoped if st and st.provisional)}


def status_changes(estate: Estate, db: Database, user: User, as_of: date) -> dict[str, Any]:
    """Status changes between the two latest stored assessments up to the as-of day."""
    dates = [r[0] for r in db.execute(
        "SELECT DISTINCT as_of FROM assessments WHERE as_of <= ? ORDER BY as_of DESC LIMIT 2",
        (as_of.isoformat(),)).fetchall()]
    if len(dates) < 2:
        return {"from": None, "to": dates[0] if dates else None, "changes": []}
    new, old = dates
    cur = {r["item_id"]: r for r in store.rows(db, "SELECT * FROM assessments WHERE as_of = ?", (new,))}
    prev = {r["item_id"]: r for r in store.rows(db, "SELECT * FROM assessments WHERE as_of = ?", (old,))}
    items = estate.item_by_id
    changes = []
    for iid, row in cur.items():
        before = prev.get(iid)
        if before is not None and before["status"] == row["status"]:
            continue
        item = items.get(str(iid))
        if item is None:
            continue
        unit = row["unit"] or item.unit
        if not user.may_see_unit(unit):
            continue
        changes.append({"item_id": item.id, "name": item.name, "old": before["status"] if before else None,
                        "new": row["status"], "reason": row["reason"] or "", "unit": unit})
    changes.sort(key=lambda c: _item_sort_key(c["item_id"]))
    return {"from": old, "to": new, "changes": changes}


def _item_sort_key(item_id: str) -> tuple:
    parts = []
    for p in str(item_id).split("."):
        parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return tuple(parts)


def calendar(estate: Estate, scoped: list[tuple[Item, ItemState | None, str | None]], as_of: date,
             days: int = 60) -> list[list[dict]]:
    """Weeks (Monday first) covering the next ``days`` days, each day with the items due then."""
    end = as_of + timedelta(days=days)
    due: dict[str, list[dict]] = defaultdict(list)
    for item, st, unit in scoped:
        if st and st.due and as_of.isoformat() <= st.due <= end.isoformat():
            due[st.due].append({"item_id": item.id, "name": item.name, "status": st.status,
                                "unit": estate.unit_name(unit)})
    start = as_of - timedelta(days=as_of.weekday())
    weeks: list[list[dict]] = []
    day = start
    while day <= end:
        week = []
        for _ in range(7):
            week.append({"date": day.isoformat(), "day": day.day, "month": day.month,
                         "in_range": as_of <= day <= end, "today": day == as_of,
                         "items": due.get(day.isoformat(), [])})
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def upcoming(scoped: list[tuple[Item, ItemState | None, str | None]], as_of: date, days: int = 60) -> list[dict]:
    end = (as_of + timedelta(days=days)).isoformat()
    out = [{"item_id": item.id, "name": item.name, "due": st.due, "status": st.status, "unit": unit}
           for item, st, unit in scoped if st and st.due and as_of.isoformat() <= st.due <= end]
    return sorted(out, key=lambda r: (r["due"], _item_sort_key(r["item_id"])))


def scan_health(db: Database, site_name: SiteNamer | None = None,
                sites: set[str] | None = None) -> dict[str, Any] | None:
    """The latest scan and the latest finished one. ``sites`` (site URL keys) limits every figure to
    those sites — a unit user's own — instead of the whole school."""
    found = store.rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")
    if not found:
        return None
    scan = found[0]
    done = store.latest_scan(db)
    return {"scan": _scan_row(scan, site_name, sites),
            "last_done": _scan_row(done, site_name, sites) if done else None}


def user_scan_health(estate: Estate, db: Database, user: User) -> dict[str, Any] | None:
    """``scan_health`` as this user may see it: unit users get their own unit's sites only."""
    sites = estate.sites_of_unit(user.unit) if user.role == "unit" else None
    return scan_health(db, estate.site_name, sites)


def assessment_days(db: Database, limit: int = 40) -> list[str]:
    """The latest days with a stored assessment (offered in the as-of date field)."""
    return [r[0] for r in db.execute("SELECT DISTINCT as_of FROM assessments ORDER BY as_of DESC LIMIT ?", (limit,))]


def limit_text(limit: dict, site_name: SiteNamer | None = None) -> str:
    """One Chinese phrase for a crawl limit the scan ran into (``scans.limits_hit`` entries)."""
    kind = str(limit.get("limit") or "")
    value, count = limit.get("value"), limit.get("count")
    site = str(limit.get("site") or "")
    where = (site_name(site) if site_name else site) if site else ""
    prefix = f"{where}：" if where else ""
    if kind == "robots":
        return f"{prefix}robots.txt 禁止抓取的地址 {count or 1} 个（已遵守）"
    if kind == "counter_urls":
        return f"{prefix}跳过访问计数器地址 {count or value or 1} 个"
    if kind == "trap":
        return f"{prefix}疑似爬虫陷阱：{value}，已停止跟进{f' {count} 次' if count else ''}"
    label = LIMIT.label.get(kind, kind)
    times = f"，{count} 次" if count else ""
    return f"{prefix}{label}（{value}{times}）" if value not in (None, "") else f"{prefix}{label}{times}"


def _json(text: str | None, default: Any) -> Any:
    try:
        value = json.loads(text or "null")
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def _scan_row(scan: dict, site_name: SiteNamer | None = None, sites: set[str] | None = None) -> dict[str, Any]:
    limits = [l for l in _json(scan.get("limits_hit"), []) if isinstance(l, dict)]
    pages = (scan.get("pages_fetched") or 0) + (scan.get("not_modified") or 0)
    label = SCAN_STATE.label.get(scan["status"], scan["status"])
    message = scan.get("message") or ""
    row = {
        "id": scan["id"], "started_at": (scan["started_at"] or "")[:16].replace("T", " "),
        "finished_at": (scan.get("finished_at") or "")[:16].replace("T", " "),
        "status": scan["status"], "status_label": label,
        "trigger": scan.get("trigger") or "", "pages": pages, "pages_new": scan.get("pages_new") or 0,
        "pages_changed": scan.get("pages_changed") or 0, "not_modified": scan.get("not_modified") or 0,
        "errors": scan.get("errors") or 0, "message": "" if message == label else message,
        "limits": [limit_text(l, site_name) for l in limits],
    }
    if sites is None:
        return row
    # Scoped to some sites: only their per-site counters (scans.sites) and limits. New/changed
    # pages are counted for the whole scan only, and the message may speak of other sites.
    per_site = {site_key(str(k)): v for k, v in _json(scan.get("sites"), {}).items() if isinstance(v, dict)}
    own = [per_site[k] for k in sites if k in per_site]

    def total(name: str) -> int | None:
        return sum(int(v.get(name) or 0) for v in own) if own else None

    fetched, not_modified = total("pages"), total("not_modified")
    row.update(pages=None if fetched is None else fetched + (not_modified or 0), not_modified=not_modified,
               errors=total("errors"), pages_new=None, pages_changed=None, message="", scoped=True,
               limits=[limit_text(l, site_name) for l in limits if site_key(str(l.get("site") or "")) in sites])
    return row


# ------------------------------------------------------------------------------------- items table

ITEM_COLUMNS = [
    Column("item_id", "编号", href="item_url"), Column("name", "事项", "link", href="item_url"),
    Column("category_name", "类别"), Column("unit_name", "责任单位"), Column("status", "状态", "status"),
    Column("confirmation", "匹配确认", "label"), Column("reason", "说明", sortable=False), Column("last_changed", "最近更新", "date"),
    Column("last_changed_source", "日期来源"), Column("due", "截止日期", "date"), Column("rule", "更新要求"),
]


def items_table(estate: Estate, scoped: list[tuple[Item, ItemState | None, str | None]],
                sort: str | None = None, desc: bool = False) -> Table:
    cats = estate.category_by_id
    rows_ = []
    for item, st, unit in scoped:
        rows_.append({
            "item_id": item.id, "name": item.name, "item_url": f"/items/{item.id}",
            "category_name": cats[item.category].name if item.category in cats else item.category,
            "unit_name": estate.unit_name(unit), "status": st.status if st else None,
            "confirmation": CONFIRMATION.label["provisional"] if st and st.provisional else "",
            "row_class": "provisional" if st and st.provisional else "",
            "reason": st.reason if st else "尚未评估", "last_changed": st.last_changed if st else None,
            "last_changed_source": source_label(st.last_changed_source) if st else "",
            "due": st.due if st else None, "rule": item.rule_text,
        })
    table = Table("items", "事项状态", ITEM_COLUMNS, rows_)
    if sort:
        sort_rows(table, sort, desc)
    return table


# ------------------------------------------------------------------------------------------- units

UNIT_COLUMNS = [
    Column("unit_name", "单位", "link", href="unit_url"), Column("items", "事项数", "num"),
    Column("ok", "正常", "num"), Column("due_soon", "即将到期", "num"), Column("overdue", "逾期", "num"),
    Column("other", "缺失/空白/无日期/无法访问", "num"), Column("score", "按时率", "pct"),
    Column("overdue_days", "逾期总天数", "num"),
]


def units_table(estate: Estate, scoped: list[tuple[Item, ItemState | None, str | None]], as_of: date,
                sort: str | None = None, desc: bool = False) -> Table:
    per: dict[str | None, list[tuple[Item, ItemState | None]]] = defaultdict(list)
    for item, st, unit in scoped:
        per[unit].append((item, st))
    rows_ = []
    for unit, members in per.items():
        counts = Counter(st.status if st else "unassessed" for _, st in members)
        on_time = sum(counts.get(s, 0) for s in ON_TIME)
        overdue_days = 0
        for _, st in members:
            if st and st.status == "overdue" and st.due:
                try:
                    overdue_days += max(0, (as_of - date.fromisoformat(st.due)).days)
                except ValueError:
                    pass
        assessed = len(members) - counts.get("unassessed", 0)
        rows_.append({
            "unit": unit or "", "unit_name": estate.unit_name(unit),
            "unit_url": f"/units/{unit}" if unit else "/units/_none",
            "items": len(members), "ok": counts.get("ok", 0), "due_soon": counts.get("due_soon", 0),
            "overdue": counts.get("overdue", 0),
            "other": sum(counts.get(s, 0) for s in ("missing", "blank", "undated", "unreachable")),
            "score": (on_time / assessed) if assessed else None, "overdue_days": overdue_days,
        })
    table = Table("units", "各单位情况", UNIT_COLUMNS, rows_)
    sort_rows(table, sort or "score", desc if sort else False)
    return table


# ---------------------------------------------------------------------------------------- item page

def item_matches(db: Database, item_id: str) -> list[dict]:
    return history.item_matches(db, item_id)


def evidence_timeline(db: Database, matches: list[dict], limit: int = 200) -> list[dict]:
    """Every dated thing behind an item: matched pages, their list entries, attachments and versions."""
    events: list[dict] = []
    seen: set[tuple[str, str | None]] = set()

    def add(ev: dict) -> None:
        key = (ev["url"], ev.get("date"))
        if key in seen:
            return
        seen.add(key)
        ev["source_label"] = source_label(ev.get("source"))
        events.append(ev)

    for m in matches:
        if m["state"] == "rejected" or m["page_id"] is None:
            continue
        pid = m["page_id"]
        kind = m.get("page_kind") or m["target"]
        if kind == "list":
            for e in history.list_entries(db, pid, limit):
                add({"date": e["date"], "source": e["date_source"] or "", "kind": "entry", "title": e["title"],
                     "url": e["url"], "first_seen_scan": e["first_seen_scan"], "last_seen_scan": e["last_seen_scan"],
                     "via": m["url"]})
        else:
            date_ = m.get("last_changed") or m.get("published") or m.get("updated")
            src = m.get("last_changed_source") or m.get("published_source")
            add({"date": date_, "source": src or "", "kind": kind or "article", "title": m.get("page_title"),
                 "url": m["url"], "first_seen_scan": m.get("first_seen_scan"),
                 "last_seen_scan": m.get("last_seen_scan"), "via": None, "page_id": pid})
        for a in history.linked_files(db, pid, limit):
            add({"date": a["last_changed"] or a["published"], "source": a["last_changed_source"] or
                 a["published_source"] or "", "kind": "attachment", "title": a["name"], "url": a["url"],
                 "first_seen_scan": a["first_seen_scan"], "last_seen_scan": a["last_seen_scan"], "via": m["url"],
                 "page_id": a["file_id"]})
    events.sort(key=lambda e: (e["date"] or "", e["title"] or ""), reverse=True)
    return events[:limit]


def versions_of(db: Database, page_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    if not page_ids:
        return out
    for v in history.versions_meta(db, page_ids):
        out[v["page_id"]].append(v)
    return out


def version(db: Database, version_id: int) -> dict | None:
    return history.version(db, version_id)


def page_items(db: Database, page_id: int) -> list[str]:
    """Items whose (non-rejected) matches reach this page, directly or as an attachment/entry."""
    return [r[0] for r in db.execute(
        "SELECT DISTINCT item_id FROM matches WHERE state != 'rejected' AND (page_id = ? OR page_id IN"
        " (SELECT page_id FROM attachments WHERE file_page_id = ?))", (page_id, page_id)).fetchall()]


def acknowledgements(db: Database, item_id: str, limit: int = 20) -> list[dict]:
    return store.rows(db, "SELECT * FROM acknowledgements WHERE item_id = ? ORDER BY id DESC LIMIT ?",
                      (item_id, limit))


# ------------------------------------------------------------------------------------ review queue

REVIEW_COLUMNS = [
    Column("item_id", "事项编号", href="item_url"), Column("item_name", "事项", "link", href="item_url"),
    Column("title", "页面标题"), Column("url", "网址", "url"), Column("target", "类型"),
    Column("score", "得分", "num"), Column("reason", "匹配理由", sortable=False),
]


def review_table(estate: Estate, db: Database, user: User, page: int | None,
                 sort: str | None = None, desc: bool = False) -> Table:
    items = estate.item_by_id
    found = history.review_matches(db)
    rows_ = []
    for r in found:
        item = items.get(str(r["item_id"]))
        if item is None or not user.may_see_unit(item.unit or r["unit"]):
            continue
        rows_.append({"match_id": r["id"], "item_id": item.id, "item_name": item.name,
                      "item_url": f"/items/{item.id}", "title": r["title"] or "", "url": r["url"],
                      "target": KIND.label.get(r["target"], r["target"]), "score": round(r["score"], 2),
                      "reason": r["reason"]})
    table = Table("review", "待审核匹配", REVIEW_COLUMNS, rows_, empty="没有待审核的匹配")
    sort_rows(table, sort, desc)
    if page is not None:
        paginate(table, page)
    return table


UNMAPPED_COLUMNS = [
    Column("title", "栏目名称"), Column("url", "网址", "url"), Column("unit_name", "所属单位"),
    Column("entry_count", "条目数", "num"), Column("newest_entry", "最新条目", "date"),
]

_SQL_SORTS = {"title": "COALESCE(p.column_name, p.title)", "url": "p.url", "unit_name": "p.unit",
              "entry_count": "p.entry_count", "newest_entry": "p.newest_entry", "last_changed": "p.last_changed",
              "last_status": "p.last_status", "fail_count": "p.fail_count", "error": "p.last_error",
              "kind": "p.kind"}


def _order(sort: str | None, desc: bool, default: str) -> str:
    col = _SQL_SORTS.get(sort or "")
    if not col:
        return default
    return f"{col} {'DESC' if desc else 'ASC'}, p.id"


def _paged(db: Database, where: str, params: tuple, order: str, page: int | None,
           select: str) -> tuple[list[dict], int]:
    if page is None:
        return history.pages_where(db, select, where, params, order)
    return history.pages_where(db, select, where, params, order, PER_PAGE, (max(1, page) - 1) * PER_PAGE)


def _finish(table: Table, total: int, page: int | None, sort: str | None, desc: bool) -> Table:
    table.total = total
    if page is not None:
        table.page, table.per_page = max(1, page), PER_PAGE
    table.sort, table.desc = (sort, desc) if sort in _SQL_SORTS else (None, False)
    return table


def _unit_clause(user: User) -> tuple[str, tuple]:
    if user.role == "unit":
        return " AND p.unit = ?", (user.unit,)
    return "", ()


def unmapped_columns_table(estate: Estate, db: Database, user: User, page: int | None,
                           sort: str | None = None, desc: bool = False) -> Table:
    """List pages (a column's first page) that no item's match reaches."""
    extra, params = _unit_clause(user)
    # NOT IN builds the set of matched pages once (matches has no page_id index).
    where = ("p.kind = 'list' AND (p.list_root_id IS NULL OR p.list_root_id = p.id) AND p.id NOT IN"
             " (SELECT page_id FROM matches WHERE state != 'rejected' AND page_id IS NOT NULL)" + extra)
    found, total = _paged(db, where, params, _order(sort, desc, "p.entry_count DESC, p.id"), page,
                          "p.id, p.url, p.title, p.column_name, p.unit, p.entry_count, p.newest_entry")
    rows_ = [{"title": r["column_name"] or r["title"] or "", "url": r["url"], "page_id": r["id"],
              "unit_name": estate.unit_name(r["unit"]) if r["unit"] else "信息公开网",
              "entry_count": r["entry_count"], "newest_entry": r["newest_entry"]} for r in found]
    return _finish(Table("unmapped", "未对应事项的栏目", UNMAPPED_COLUMNS, rows_,
                         empty="所有栏目都已对应到事项"), total, page, sort, desc)


# ------------------------------------------------------------------------------------- site health

UNREACHABLE_COLUMNS = [
    Column("title", "页面"), Column("url", "网址", "url"), Column("unit_name", "所属单位"),
    Column("last_status", "HTTP 状态", "num"), Column("error", "错误"), Column("fail_count", "连续失败次数", "num"),
]


def unreachable_table(estate: Estate, db: Database, user: User, page: int | None,
                      sort: str | None = None, desc: bool = False) -> Table:
    extra, params = _unit_clause(user)
    where = "p.last_error IS NOT NULL AND p.fail_count >= 1" + extra
    found, total = _paged(db, where, params, _order(sort, desc, "p.fail_count DESC, p.id"), page,
                          "p.id, p.url, p.title, p.unit, p.last_status, p.last_error, p.fail_count")
    rows_ = [{"title": r["title"] or "", "url": r["url"], "unit_name": estate.unit_name(r["unit"]) if r["unit"]
              else "信息公开网", "last_status": r["last_status"], "error": r["last_error"],
              "fail_count": r["fail_count"]} for r in found]
    return _finish(Table("unreachable", "无法访问的页面", UNREACHABLE_COLUMNS, rows_, empty="没有无法访问的页面"),
                   total, page, sort, desc)


ERROR_COLUMNS = [Column("url", "网址", "url"), Column("status", "HTTP 状态", "num"), Column("error", "错误"),
                 Column("at", "时间", "date")]


def errors_table(db: Database, scan_id: int | None, page: int | None) -> Table:
    if scan_id is None:
        return Table("errors", "最近一次扫描的抓取错误", ERROR_COLUMNS, [], total=0, empty="还没有扫描")
    total = db.execute("SELECT COUNT(*) FROM fetch_errors WHERE scan_id = ?", (scan_id,)).fetchone()[0]
    sql = "SELECT url, status, error, at FROM fetch_errors WHERE scan_id = ? ORDER BY id"
    if page is not None:
        sql += f" LIMIT {PER_PAGE} OFFSET {(max(1, page) - 1) * PER_PAGE}"
    rows_ = [dict(r, at=(r["at"] or "")[:16].replace("T", " ")) for r in store.rows(db, sql, (scan_id,))]
    table = Table("errors", f"扫描 #{scan_id} 的抓取错误", ERROR_COLUMNS, rows_, total=total,
                  empty="最近一次扫描没有抓取错误")
    if page is not None:
        table.page, table.per_page = max(1, page), PER_PAGE
    return table


UNDATED_COLUMNS = [Column("title", "页面"), Column("url", "网址", "url"), Column("kind", "类型"),
                   Column("unit_name", "所属单位")]


def undated_table(estate: Estate, db: Database, user: User, page: int | None,
                  sort: str | None = None, desc: bool = False) -> Table:
    extra, params = _unit_clause(user)
    where = ("p.kind = 'article' AND p.published IS NULL AND p.updated IS NULL AND p.last_error IS NULL" + extra)
    found, total = _paged(db, where, params, _order(sort, desc, "p.id"), page, "p.id, p.url, p.title, p.kind, p.unit")
    rows_ = [{"title": r["title"] or "", "url": r["url"], "kind": KIND.label.get(r["kind"], r["kind"]),
              "unit_name": estate.unit_name(r["unit"]) if r["unit"] else "信息公开网"} for r in found]
    return _finish(Table("undated", "没有发布日期的页面", UNDATED_COLUMNS, rows_, empty="所有文章都有发布日期"),
                   total, page, sort, desc)


# ------------------------------------------------------------------------------------------- scans

SCAN_COLUMNS = [
    Column("id", "编号", "num"), Column("started_at", "开始时间", "date"), Column("finished_at", "结束时间", "date"),
    Column("status_label", "结果"), Column("trigger", "触发方式"), Column("pages", "页面数", "num"),
    Column("pages_new", "新增", "num"), Column("pages_changed", "变化", "num"), Column("not_modified", "未变(304)", "num"),
    Column("errors", "错误", "num"), Column("limits_text", "触及限制", sortable=False),
    Column("message", "说明", sortable=False),
]


def scans_table(db: Database, page: int | None, site_name: SiteNamer | None = None) -> Table:
    total = db.execute("SELECT COUNT(*) FROM scans").fetchone()[0]
    sql = "SELECT * FROM scans ORDER BY id DESC"
    if page is not None:
        sql += f" LIMIT {PER_PAGE} OFFSET {(max(1, page) - 1) * PER_PAGE}"
    rows_ = []
    for s in store.rows(db, sql):
        r = _scan_row(s, site_name)
        r["trigger"] = SCAN_TRIGGER.label.get(r["trigger"], r["trigger"])
        r["limits_text"] = "；".join(r.pop("limits"))
        rows_.append(r)
    table = Table("scans", "扫描记录", SCAN_COLUMNS, rows_, total=total, empty="还没有扫描记录")
    if page is not None:
        table.page, table.per_page = max(1, page), PER_PAGE
    return table


# ------------------------------------------------------------------------------------------ trends

def trend(estate: Estate, db: Database, user: User, *, category: str | None = None,
          unit: str | None = None, until: date | None = None, points: int = 60) -> list[dict]:
    """Status counts per stored assessment day (oldest first) for the chosen category/unit."""
    params: list[Any] = []
    where = ""
    if until is not None:
        where = "WHERE as_of <= ?"
        params.append(until.isoformat())
    days = [r[0] for r in db.execute(
        f"SELECT DISTINCT as_of FROM assessments {where} ORDER BY as_of DESC LIMIT {int(points)}", params)]
    if not days:
        return []
    items = estate.item_by_id
    counts: dict[str, Counter] = {d: Counter() for d in days}
    for iid, as_of, status, row_unit in db.execute(
            f"SELECT item_id, as_of, status, unit FROM assessments WHERE as_of IN ({','.join('?' * len(days))})",
            days):
        item = items.get(str(iid))
        if item is None:
            continue
        u = row_unit or item.unit
        if not user.may_see_unit(u):
            continue
        if category and item.category != category:
            continue
        if unit and u != unit:
            continue
        counts[as_of][status] += 1
    return [{"as_of": d, "counts": dict(counts[d])} for d in sorted(days)]

