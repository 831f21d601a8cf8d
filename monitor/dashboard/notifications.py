"""The sent-message log (``notifications``, written by ``monitor.notify``) as a dashboard table.

Targets in that table are stored with passwords and tokens already masked (``monitor.notify.mask_url``);
the real notification URLs from the config are never read here.
"""
from __future__ import annotations

import json
from typing import Any

from monitor import store
from monitor.core.vocab import NOTIFY_KIND, NOTIFY_STATE
from monitor.dashboard.tables import PER_PAGE, Column, Table
from monitor.store.engine import Database

# What the result filter offers, in its order (named by NOTIFY_STATE.short); "failed" covers both failed states.
RESULTS = {"failed": ("failed", "gave_up"), "sent": ("sent",), "pending": ("pending",)}

COLUMNS = [
    Column("id", "编号", "num", href="detail_url"), Column("created", "生成时间", "date"),
    Column("recipient", "收件人", "label"), Column("kind_label", "类型", "label"),
    Column("title", "内容", "link", href="detail_url"), Column("item_count", "事项数", "num"),
    Column("status_label", "发送结果", "label"), Column("attempts", "尝试次数", "num"),
    Column("last_attempt", "最近尝试", "date"), Column("error", "错误信息", sortable=False),
    Column("target", "通知渠道", "channel", sortable=False),
]
_SQL_SORTS = {"id": "id", "created": "created_at", "kind_label": "kind", "recipient": "unit_name, contact_name",
              "title": "title", "status_label": "status", "attempts": "attempts",
              "last_attempt": "last_attempt_at"}


def _exists(db: Database) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notifications'").fetchone() \
        is not None


def _minute(ts: str | None) -> str:
    return (ts or "")[:16].replace("T", " ")


def _item_count(raw: str | None) -> int:
    try:
        return len(json.loads(raw or "[]"))
    except ValueError:
        return 0


def short_target(target: str | None) -> str:
    """The channel without its query options (already masked; the options are noise to a reader)."""
    return (target or "").split("?", 1)[0].rstrip("/")


def _row(r: dict, office: str) -> dict[str, Any]:
    failed = r["status"] in ("failed", "gave_up")
    unit_name = r["unit_name"] or (office if not r["unit"] else r["unit"])
    return {
        "id": r["id"], "detail_url": f"/notifications/{r['id']}", "day": r["day"], "created": _minute(r["created_at"]),
        "kind": r["kind"], "kind_label": NOTIFY_KIND.label.get(r["kind"], r["kind"]),
        "contact": r["contact_name"] or "", "unit_name": unit_name,
        "recipient": f"{r['contact_name']}（{unit_name}）" if r["contact_name"] else unit_name,
        "title": r["title"], "item_count": _item_count(r["items"]), "status": r["status"],
        "status_label": NOTIFY_STATE.label.get(r["status"], r["status"]), "attempts": r["attempts"],
        "last_attempt": _minute(r["last_attempt_at"]), "sent": _minute(r["sent_at"]),
        "error": r["last_error"] or "", "target": short_target(r["target"]),
        "row_class": "r-bad" if failed else ("r-warn" if r["status"] == "pending" else ""),
    }


def counts(db: Database) -> dict[str, int]:
    """Messages per delivery result (``failed`` includes those given up)."""
    if not _exists(db):
        return {}
    found = {s: n for s, n in db.execute("SELECT status, COUNT(*) FROM notifications GROUP BY status")}
    return {key: sum(found.get(s, 0) for s in states) for key, states in RESULTS.items()} | {
        "total": sum(found.values())}


def notifications_table(db: Database, page: int | None, result: str | None = None,
                        sort: str | None = None, desc: bool = False, office: str = "信息公开办公室") -> Table:
    """Every recorded message, newest first, paginated in SQL; ``result`` = failed | sent | pending."""
    title = "通知记录" + (f"（{NOTIFY_STATE.short[result]}）" if result in RESULTS else "")
    table = Table("notifications", title, COLUMNS, [], total=0,
                  empty="还没有发送过通知" if not result else "没有符合条件的通知")
    if not _exists(db):
        return table
    where, params = "1=1", []
    if result in RESULTS:
        states = RESULTS[result]
        where = f"status IN ({','.join('?' * len(states))})"
        params = list(states)
    col = _SQL_SORTS.get(sort or "")
    direction = "DESC" if desc else "ASC"
    order = (", ".join(f"{c} {direction}" for c in col.split(", ")) + ", id DESC") if col else "id DESC"
    table.total = db.execute(f"SELECT COUNT(*) FROM notifications WHERE {where}", params).fetchone()[0]
    sql = (f"SELECT id, day, created_at, kind, contact_name, unit, unit_name, target, title, items, status, attempts,"
           f" last_error, last_attempt_at, sent_at FROM notifications WHERE {where} ORDER BY {order}")
    if page is not None:
        table.page, table.per_page = max(1, page), PER_PAGE
        sql += f" LIMIT {PER_PAGE} OFFSET {(table.page - 1) * PER_PAGE}"
    table.rows = [_row(r, office) for r in store.rows(db, sql, params)]
    if col:
        table.sort, table.desc = sort, desc
    return table


def notification(db: Database, notification_id: int, office: str = "信息公开办公室") -> dict | None:
    """One message with its full text."""
    if not _exists(db):
        return None
    found = store.rows(db, "SELECT * FROM notifications WHERE id = ?", (notification_id,))
    if not found:
        return None
    r = found[0]
    return _row(r, office) | {"body": r["body"], "failed_runs": r["failed_runs"], "day": r["day"]}
