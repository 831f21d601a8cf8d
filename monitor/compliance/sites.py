"""Site health: each configured site's reachability per scan (``site_checks``) and blank or stale columns.

A site is ``unreachable`` only after failures in >= 3 checks in a row on >= 2 different days (one timeout is
not "down"); a column is ``blank`` when its list page never had an entry and ``stale`` when its newest entry
is older than the rule of its item or the national inspection rule for its kind of column.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from monitor.compliance.links import FAILED
from monitor.config import Config
from monitor.core import clock
from monitor.core.vocab import SITE_STATE
from monitor.store import history, rows

UNREACHABLE_CHECKS = 3
UNREACHABLE_DAYS = 2


# ---- sites -------------------------------------------------------------------------------------------
def record_site_checks(db: Any, cfg: Config | None, scan_id: int, results: dict[str, tuple[str, str, int | None]]) -> None:
    now = clock.now_iso()
    for site in config_sites(cfg):
        cat, reason, status = results.get(site["url"], ("timeout", "未得到结果", None))
        db.execute("""INSERT INTO site_checks (scan_id, site, unit, checked_at, ok, status, category, reason)
                      VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(scan_id, site) DO UPDATE SET checked_at=excluded.checked_at,
                      ok=excluded.ok, status=excluded.status, category=excluded.category, reason=excluded.reason""",
                   (scan_id, site["url"], site["unit"], now, int(cat not in FAILED), status, cat, reason))


def config_sites(cfg: Config | None) -> list[dict]:
    return [{"url": r.url, "unit": r.unit_id or ""} for r in cfg.all_sites()] if cfg is not None else []


def site_status(db: Any, cfg: Config | None = None, *, min_failures: int | None = None,
                min_days: int | None = None) -> list[dict]:
    """Each checked site's state: ``unreachable`` only after ``min_failures`` failed checks in a row on at
    least ``min_days`` different days; a recent failure short of that is ``degraded``."""
    if cfg is not None:
        min_failures = min_failures or cfg.compliance.unreachable_checks
        min_days = min_days or cfg.compliance.unreachable_days
    min_failures = min_failures or UNREACHABLE_CHECKS
    min_days = min_days or UNREACHABLE_DAYS
    sites = [s["url"] for s in config_sites(cfg)]
    for r in rows(db, "SELECT DISTINCT site FROM site_checks ORDER BY site"):
        if r["site"] not in sites:
            sites.append(r["site"])
    out = []
    for site in sites:
        checks = rows(db, "SELECT * FROM site_checks WHERE site = ? ORDER BY checked_at DESC, id DESC LIMIT 60",
                      (site,))
        unit = checks[0]["unit"] if checks else next((s["unit"] for s in config_sites(cfg) if s["url"] == site), "")
        entry = {"site": site, "unit": unit or "", "checks": len(checks), "failures": 0, "since": None,
                 "last_checked": checks[0]["checked_at"] if checks else None,
                 "last_category": checks[0]["category"] if checks else None}
        streak = []
        for c in checks:
            if c["ok"]:
                break
            streak.append(c)
        days = {c["checked_at"][:10] for c in streak}
        if not checks:
            state, reason = "unknown", "尚未检查"
        elif not streak:
            state = "ok"
            last = checks[0]
            reason = "首页可访问" if last["category"] == "ok" else f"首页可访问（{last['reason']}）"
        elif len(streak) >= min_failures and len(days) >= min_days:
            state = "unreachable"
            reason = (f"自{streak[-1]['checked_at'][:10]}起连续{len(streak)}次检查无法访问"
                      f"（最近一次：{streak[0]['reason']}）")
        else:
            state = "degraded"
            reason = (f"最近{len(streak)}次检查失败（{streak[0]['reason']}），"
                      f"需连续{min_failures}次、跨{min_days}天才判定为无法访问")
        entry.update(status=state, label=SITE_STATE.label[state], reason=reason, failures=len(streak),
                     since=streak[-1]["checked_at"] if streak else None)
        out.append(entry)
    return out


# ---- blank and stale columns ----------------------------------------------------------------------------
# The national inspection rules (国办秘函〔2019〕19号): news columns 2 weeks, notices/policies 6 months.
_NAME_RULES: tuple[tuple[tuple[str, ...], int, str], ...] = (
    (("动态", "要闻", "新闻", "快讯", "头条"), 14, "动态/要闻类栏目超过2周未更新"),
    (("通知", "公告", "政策", "文件"), 183, "通知公告/政策文件类栏目超过6个月未更新"),
)


def blank_columns(db: Any, cfg: Config | None = None, *, as_of: date | None = None) -> list[dict]:
    """Columns (list pages) that never had an entry (``blank``) or whose newest entry is older than the
    rule of the item they are matched to, or the inspection rule for their kind of column (``stale``)."""
    as_of = as_of or clock.today()
    out: list[dict] = []
    columns = history.column_pages(db)
    overdue = _overdue_items(db)
    events = _event_items(cfg)
    for c in columns:
        name = c["column_name"] or c["title"] or ""
        base = {"page_id": c["id"], "url": c["url"], "name": name, "unit": c["unit"] or "", "site": c["site"]}
        if not c["entries"]:
            items = _items_of(db, c["id"], c["url"])
            if items and all(i in events for i in items):
                continue  # an event item's column is empty while nothing has happened: not a fault
            out.append({**base, "kind": "blank", "newest": None, "reason": "空白栏目：从未发布过内容"})
            continue
        newest = max(filter(None, (c["newest"], c["newest_entry"])), default=None)
        items = [i for i in _items_of(db, c["id"], c["url"]) if i in overdue]
        if items:
            out.append({**base, "kind": "stale", "newest": newest, "items": items,
                        "reason": "；".join(f"事项{i}：{overdue[i]}" for i in items)})
            continue
        if newest:
            age = (as_of - date.fromisoformat(newest)).days
            for words, limit, text in _NAME_RULES:
                if any(w in name for w in words) and age > limit:
                    out.append({**base, "kind": "stale", "newest": newest, "items": [],
                                "reason": f"{text}（最新条目 {newest}，已{age}天）"})
                    break
    return out


def _event_items(cfg: Config | None) -> set[str]:
    if cfg is None:
        return set()
    try:
        items = cfg.catalog_obj.items
    except Exception:  # no catalog available (a partial config): judge every column
        return set()
    return {str(i.id) for i in items if i.rule.kind == "event"}


def _overdue_items(db: Any) -> dict[str, str]:
    """item id -> reason, from the newest stored assessment of each item (monitor.assess writes them)."""
    found = rows(db, """SELECT a.item_id, a.status, a.reason FROM assessments a
                        WHERE a.as_of = (SELECT MAX(as_of) FROM assessments b WHERE b.item_id = a.item_id)""")
    return {r["item_id"]: r["reason"] or "已逾期" for r in found if r["status"] == "overdue"}


def _items_of(db: Any, page_id: int, url: str) -> list[str]:
    return [r["item_id"] for r in rows(
        db, "SELECT DISTINCT item_id FROM matches WHERE (page_id = ? OR url = ?) AND target = 'column' "
            "AND state != 'rejected' ORDER BY item_id", (page_id, url))]
