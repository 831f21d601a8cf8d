"""Carrying out a plan: the sent-message log (``notifications``), Apprise delivery and retries.

Every message is a row of ``notifications`` (recorded *before* delivery, so a crash cannot lose it);
a failed delivery is retried by later digest runs with a growing gap and finally marked ``gave_up`` —
and is reported to the office either way (monitor.notify.plan picks the unreported failures up).
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Sequence

from monitor.assess import ItemStatus, assess_all
from monitor.config import Config
from monitor.core import clock
from monitor.core.errors import UserError
from monitor.core.locks import ScanLock
from monitor.core.logging import log_event
from monitor.notify.plan import Plan, plan_notifications, recipients
from monitor.notify.render import Message, render
from monitor.store import dumps, rows

log = logging.getLogger("monitor.notify")

# Tries per run, and how many failed runs before giving up. After the n-th failed run the message
# waits 2**(n-1)-1 further digest runs (0, 1, 3, 7): "next run, with backoff".
TRIES_PER_RUN = 2
MAX_FAILED_RUNS = 5

Sender = Callable[[str, str, str], tuple[bool, str | None]]


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def mask_url(url: str) -> str:
    """The Apprise URL with passwords/tokens hidden, for logs and the message record."""
    try:
        import apprise  # slow to import: only when a message is recorded or previewed

        plugin = apprise.Apprise.instantiate(url)
    except Exception:  # noqa: BLE001 - a broken URL is still recorded, masked by hand
        plugin = None
    if plugin:
        try:
            return plugin.url(privacy=True)
        except Exception:  # noqa: BLE001
            pass
    scheme, _, rest = url.partition("://")
    return f"{scheme}://****" if rest else "****"


def apprise_send(url: str, title: str, body: str) -> tuple[bool, str | None]:
    """Deliver one message to one Apprise URL; (ok, Chinese/English error detail)."""
    import apprise

    obj = apprise.Apprise()
    if not obj.add(url):
        return False, "通知地址无法识别（请检查 Apprise URL）"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = bool(obj.notify(body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN))
    if ok:
        return True, None
    detail = " ".join(line.split(" - ", 2)[-1].strip() for line in captured.getvalue().splitlines() if line.strip())
    return False, (detail[:500] or "发送失败")


def _attempt(db, row_id: int, url: str, title: str, body: str, sender: Sender) -> bool:
    error: str | None = None
    ok = False
    tries = 0
    for tries in range(1, TRIES_PER_RUN + 1):
        try:
            ok, error = sender(url, title, body)
        except Exception as exc:  # noqa: BLE001 - a broken channel must not stop the other recipients
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if ok:
            break
        if tries < TRIES_PER_RUN:
            time.sleep(0.5)
    wall = datetime.now().astimezone().isoformat(timespec="seconds")
    if ok:
        db.execute("UPDATE notifications SET status='sent', attempts=attempts+?, last_attempt_at=?, sent_at=?, "
                   "last_error=NULL, skip_runs=0 WHERE id=?", (tries, wall, wall, row_id))
        return True
    cur = rows(db, "SELECT failed_runs FROM notifications WHERE id=?", (row_id,))[0]
    failed_runs = cur["failed_runs"] + 1
    status = "gave_up" if failed_runs >= MAX_FAILED_RUNS else "failed"
    # The office hears about a failing message twice: when it first fails and when we give up.
    tell_office = failed_runs == 1 or status == "gave_up"
    db.execute("UPDATE notifications SET status=?, attempts=attempts+?, failed_runs=?, skip_runs=?, "
               "last_error=?, last_attempt_at=?, reported=CASE WHEN ? THEN 0 ELSE reported END WHERE id=?",
               (status, tries, failed_runs, 2 ** (failed_runs - 1) - 1, error, wall, int(tell_office), row_id))
    return False


@dataclass
class NotifyResult:
    as_of: date
    plan: Plan
    sent: list[int] = field(default_factory=list)        # notification ids delivered this run
    failed: list[int] = field(default_factory=list)      # ids that failed this run (incl. retries)
    retried: list[int] = field(default_factory=list)     # older ids tried again this run
    waiting: list[int] = field(default_factory=list)     # older failed ids still backing off
    no_data: bool = False    # no scan has completed yet: statuses would all be "missing", nothing is sent


def _find_url(cfg: Config, recipient: str, target_hash: str) -> str | None:
    for rcp in recipients(cfg):
        if rcp.key == recipient:
            for url in rcp.urls:
                if url_hash(url) == target_hash:
                    return url
    return None


def retry_failed(db, cfg: Config, result: NotifyResult, sender: Sender) -> None:
    """Try again the messages earlier runs could not deliver (respecting their backoff)."""
    for row in rows(db, "SELECT * FROM notifications WHERE status IN ('failed', 'pending') ORDER BY id"):
        if row["skip_runs"] > 0:
            db.execute("UPDATE notifications SET skip_runs = skip_runs - 1 WHERE id=?", (row["id"],))
            result.waiting.append(row["id"])
            continue
        url = _find_url(cfg, row["recipient"], row["target_hash"])
        if url is None:
            db.execute("UPDATE notifications SET status='gave_up', reported=0, last_error=? WHERE id=?",
                       ("该联系人或通知地址已从配置中删除，无法重试", row["id"]))
            result.failed.append(row["id"])
            continue
        result.retried.append(row["id"])
        if _attempt(db, row["id"], url, row["title"], row["body"], sender):
            result.sent.append(row["id"])
            log_event(log, "notify.retry_sent", "重试发送成功", notification_id=row["id"], recipient=row["recipient"])
        else:
            result.failed.append(row["id"])
            log_event(log, "notify.retry_failed", "重试发送失败", level=logging.WARNING,
                      notification_id=row["id"], recipient=row["recipient"])


def _record(db, msg: Message, url: str, as_of: date) -> int:
    cur = db.execute(
        "INSERT INTO notifications (day, created_at, kind, recipient, contact_name, unit, unit_name, target, "
        "target_hash, title, body, items) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
        (as_of.isoformat(), clock.now_iso(), msg.kind, msg.recipient.key, msg.recipient.name, msg.recipient.unit,
         msg.recipient.unit_name, mask_url(url), url_hash(url), msg.title, msg.body, dumps(msg.items)))
    return int(cur.fetchone()[0])


def _apply_state(db, plan: Plan) -> None:
    day = plan.as_of.isoformat()
    wall = clock.now_iso()
    for recipient, item_id, topic, value in plan.state:
        db.execute(
            "INSERT INTO notification_state (recipient, item_id, topic, value, since, updated_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(recipient, item_id, topic) DO UPDATE SET value=excluded.value, since=excluded.since, "
            "updated_at=excluded.updated_at WHERE notification_state.value <> excluded.value "
            # NULL-safe "differs" on both engines (SQLite before 3.39 has no IS DISTINCT FROM, PostgreSQL no IS NOT x)
            "OR (notification_state.value IS NULL) <> (excluded.value IS NULL)",
            (recipient, item_id, topic, value, day, wall))


def current_statuses(db, cfg: Config, as_of: date) -> list[ItemStatus]:
    return list(assess_all(db, cfg, as_of))


def run_notifications(db, cfg: Config, *, as_of: date | None = None, statuses: Sequence[ItemStatus] | None = None,
                      dry_run: bool = False, sender: Sender | None = None, db_path: str | Path | None = None
                      ) -> NotifyResult:
    """Retry earlier failures, plan today's messages and (unless ``dry_run``) record and send them.

    ``db_path`` (default ``cfg.database_path``) names the database for the run lock: the service's
    digest and a manual `xxgk notify` never plan at the same time, so nobody gets two digests."""
    as_of = as_of or clock.today()
    if statuses is None:
        if not rows(db, "SELECT 1 FROM scans WHERE status='done' LIMIT 1"):
            # Before the first complete scan every item looks "missing": telling every unit so would
            # be a flood of false alarms. Earlier failed deliveries are still retried.
            result = NotifyResult(as_of, Plan(as_of), no_data=True)
            if not dry_run:
                retry_failed(db, cfg, result, sender or apprise_send)
            log_event(log, "notify.no_data", "尚无成功完成的扫描，暂不发送通知")
            return result
        statuses = current_statuses(db, cfg, as_of)
    sender = sender or apprise_send
    if dry_run:
        return NotifyResult(as_of, plan_notifications(db, cfg, statuses, as_of))
    with ScanLock(db_path or cfg.database_path, purpose="notify", name="notify").acquire(wait=120):
        result = NotifyResult(as_of, Plan(as_of))
        retry_failed(db, cfg, result, sender)
        plan = result.plan = plan_notifications(db, cfg, statuses, as_of)
        new_rows: list[tuple[int, str, Message]] = []
        # Record first, in one transaction with the state, so a crash cannot lose or duplicate a digest
        # (rows still 'pending' after a crash are delivered by the next run).
        with db.conn:
            db.execute("BEGIN IMMEDIATE")
            for msg in map(render, plan.digests):
                for url in msg.recipient.urls:
                    new_rows.append((_record(db, msg, url, as_of), url, msg))
            _apply_state(db, plan)
            for fid in plan.reported_failures:
                db.execute("UPDATE notifications SET reported=1 WHERE id=?", (fid,))
        for row_id, url, msg in new_rows:
            ok = _attempt(db, row_id, url, msg.title, msg.body, sender)
            (result.sent if ok else result.failed).append(row_id)
            log_event(log, "notify.sent" if ok else "notify.failed", "通知已发送" if ok else "通知发送失败，将重试",
                      level=logging.INFO if ok else logging.WARNING, notification_id=row_id, kind=msg.kind,
                      recipient=msg.recipient.key, target=mask_url(url), items=len(msg.items))
    return result


# ---------------------------------------------------------------- for `xxgk notify` (monitor/commands/notify.py)

def check_can_send(cfg: Config, *, dry_run: bool = False) -> None:
    """Switch to the school's timezone; ``UserError`` when notifications are off (exit 1; a dry run may
    still preview) or no contact has an address."""
    clock.set_timezone(cfg.timezone)
    if not cfg.notifications.enabled and not dry_run:
        raise UserError("配置中关闭了通知（notifications.enabled: false）；如需预览请加 --dry-run", code=1)
    if not recipients(cfg):
        raise UserError("配置中没有任何联系人的通知地址（units[*].contacts[*].notify 或 office.contacts[*].notify）")


def plan_lines(plan: Plan, db) -> list[str]:
    """A dry run's preview: every message in full, who waits until tomorrow, how many retries wait."""
    lines: list[str] = []
    if not plan.digests:
        lines.append(f"{plan.as_of.isoformat()}：今天没有需要发送的通知。")
    for msg in map(render, plan.digests):
        targets = "，".join(mask_url(u) for u in msg.recipient.urls)
        lines.append("=" * 60)
        lines.append(f"收件人：{msg.recipient.unit_name} {msg.recipient.name}（{targets}）")
        lines.append(f"标题：{msg.title}")
        lines.append("")
        lines.append(msg.body.rstrip())
    if plan.skipped_today:
        lines.append(f"今天已发送过摘要、明天再提醒的收件人：{'，'.join(plan.skipped_today)}")
    pending = rows(db, "SELECT COUNT(*) AS n FROM notifications WHERE status IN ('failed', 'pending')")[0]["n"]
    if pending:
        lines.append(f"另有 {pending} 条发送失败的通知等待重试。")
    return lines


def delivery_lines(db, result: NotifyResult) -> list[str]:
    """One line per delivery attempted by ``run_notifications`` (or one line saying there was none)."""
    lines: list[str] = []
    for row in rows(db, "SELECT id, unit_name, contact_name, target, status, last_error FROM notifications "
                        f"WHERE id IN ({','.join('?' * len(result.sent + result.failed)) or 'NULL'})",
                    result.sent + result.failed):
        mark = "已发送" if row["status"] == "sent" else ("已放弃" if row["status"] == "gave_up" else "失败，将重试")
        err = f"：{row['last_error']}" if row["last_error"] and row["status"] != "sent" else ""
        lines.append(f"{mark} → {row['unit_name']} {row['contact_name']}（{row['target']}）{err}")
    if not result.sent and not result.failed:
        lines.append(f"{result.as_of.isoformat()}：今天没有需要发送的通知。")
    return lines
