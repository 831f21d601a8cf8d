"""Notifications: per-unit digests, the office's daily summary, Apprise delivery, the sent-message log.

What is sent (all text Chinese, Markdown that Apprise renders per channel):

* each unit contact: items of the unit that **became** overdue / missing / blank / unreachable or
  due soon (with due day, rule text, reason and a dashboard link), and window-opening reminders;
* each office contact: status counts, what changed since its last summary, escalations (items
  overdue longer than ``notifications.escalate_after_days``), windows that opened, scan health and
  deliveries that failed.

No spam: per recipient and item the last notified state is kept in ``notification_state`` (a state
is never sent twice), a recipient gets at most one digest per day, and a day with nothing new sends
nothing. Every message is a row of ``notifications`` (recorded *before* delivery, so a crash cannot
lose it); a failed delivery is retried by later digest runs with a growing gap and finally marked
``gave_up`` — and is reported to the office either way.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Mapping, Sequence

import click

from monitor.cli import config_option, fail, now_option
from monitor.core import clock
from monitor.core.clock import as_date
from monitor.core.logging import log_event
from monitor.core.safe_text import EXCERPT_MAX, TITLE_MAX, URL_TEXT_MAX, md_block, md_inline
from monitor.store import dumps, open_db, register_migration, rows

log = logging.getLogger("monitor.notify")

# Statuses a unit is told about when an item enters them.
ALERT_STATUSES = ("overdue", "unreachable", "missing", "blank")
NOTIFY_STATUSES = ALERT_STATUSES + ("due_soon",)
DEFAULT_ESCALATE_AFTER_DAYS = 14
# Delivery: tries per run, and how many failed runs before giving up. After the n-th failed
# run the message waits 2**(n-1)-1 further digest runs (0, 1, 3, 7): "next run, with backoff".
TRIES_PER_RUN = 2
MAX_FAILED_RUNS = 5
_FALLBACK_LABELS = {"ok": "正常", "due_soon": "即将到期", "overdue": "已逾期", "missing": "未找到栏目",
                    "blank": "空白栏目", "unreachable": "无法访问", "undated": "无发布日期"}
_SCAN_STATUS = {"done": "完成", "running": "进行中", "failed": "失败", "killed": "被终止",
                "interrupted": "中断", "timeout": "超时"}


def _m3_notifications(db) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS notifications (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,                 -- digest day (clock date, YYYY-MM-DD)
            created_at TEXT NOT NULL,          -- clock time
            kind TEXT NOT NULL,                -- unit_digest | office_summary
            recipient TEXT NOT NULL,           -- unit:<unit id>:<contact> | office:<contact>
            contact_name TEXT,
            unit TEXT,                         -- unit id ('' for the office)
            unit_name TEXT,
            target TEXT NOT NULL,              -- Apprise URL with secrets masked
            target_hash TEXT NOT NULL,         -- sha256 of the real URL: found again in the config for retries
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            items TEXT NOT NULL DEFAULT '[]',  -- JSON [{item, status, due, topic}]
            status TEXT NOT NULL DEFAULT 'pending',  -- pending|sent|failed|gave_up
            attempts INTEGER NOT NULL DEFAULT 0,     -- delivery tries in total
            failed_runs INTEGER NOT NULL DEFAULT 0,  -- digest runs whose tries all failed
            skip_runs INTEGER NOT NULL DEFAULT 0,    -- runs still to wait before the next try (backoff)
            last_error TEXT,
            last_attempt_at TEXT,              -- wall time
            sent_at TEXT,                      -- wall time
            reported INTEGER NOT NULL DEFAULT 0      -- a failure already shown in an office summary
        );
        CREATE INDEX IF NOT EXISTS idx_notifications_recipient ON notifications(recipient, day);
        CREATE INDEX IF NOT EXISTS idx_notifications_status ON notifications(status);
        CREATE TABLE IF NOT EXISTS notification_state (
            recipient TEXT NOT NULL,
            item_id TEXT NOT NULL,             -- catalog item id, or '*' for recipient-wide state
            topic TEXT NOT NULL,               -- status | window | escalation | scan | scan_stale
            value TEXT,
            since TEXT,                        -- clock date the value was first recorded
            updated_at TEXT,
            PRIMARY KEY (recipient, item_id, topic)
        );
        -- `xxgk run` keeps its APScheduler jobs here (monitor.service.SQLiteJobStore), so a
        -- schedule survives restarts and a run missed while the service was down is made up.
        CREATE TABLE IF NOT EXISTS scheduler_jobs (
            id TEXT PRIMARY KEY,
            next_run_time REAL,
            job_state BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_scheduler_jobs_next ON scheduler_jobs(next_run_time);
        """
    )


register_migration(3, _m3_notifications)


# ---------------------------------------------------------------- config access

def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or key access, so pydantic models and plain mappings both work."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, default)
    return default if value is None else value


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or isinstance(value, Mapping):
        return [value]
    return list(value)




def status_labels() -> dict[str, str]:
    try:
        from monitor.assess import STATUS_LABELS
    except ModuleNotFoundError as exc:
        if exc.name != "monitor.assess":
            raise
        return dict(_FALLBACK_LABELS)
    return {**_FALLBACK_LABELS, **STATUS_LABELS}


@dataclass
class Recipient:
    key: str                    # stable id used for state and the one-digest-per-day rule
    kind: str                   # unit | office
    name: str                   # contact name
    unit: str                   # unit id ('' = office)
    unit_name: str
    urls: list[str]             # Apprise URLs (secrets already substituted by the config loader)


def recipients(cfg: Any) -> list[Recipient]:
    """Every contact with at least one notification URL, units first, then the office."""
    out: list[Recipient] = []
    units = _get(cfg, "units", [])
    unit_list = list(units.items()) if isinstance(units, Mapping) else [(None, u) for u in _as_list(units)]
    for key, unit in unit_list:
        unit_id = str(_get(unit, "id", key) or "")
        unit_name = str(_get(unit, "name", unit_id))
        for i, contact in enumerate(_as_list(_get(unit, "contacts", []))):
            urls = [str(u) for u in _as_list(_get(contact, "notify", [])) if str(u).strip()]
            if urls:
                name = str(_get(contact, "name", f"联系人{i + 1}"))
                out.append(Recipient(f"unit:{unit_id}:{name}", "unit", name, unit_id, unit_name, urls))
    office = _get(cfg, "office", None)
    office_name = str(_get(office, "name", "信息公开办公室"))
    for i, contact in enumerate(_as_list(_get(office, "contacts", []))):
        urls = [str(u) for u in _as_list(_get(contact, "notify", [])) if str(u).strip()]
        if urls:
            name = str(_get(contact, "name", f"联系人{i + 1}"))
            out.append(Recipient(f"office:{name}", "office", name, "", office_name, urls))
    return out


def _school_name(cfg: Any) -> str:
    school = _get(cfg, "school", None)
    if isinstance(school, str):
        return school
    return str(_get(school, "name", "") or _get(cfg, "name", "") or "本校")


def _notif_settings(cfg: Any) -> tuple[str, int | None]:
    """(dashboard URL without trailing slash, escalate_after_days or None = never escalate)."""
    n = _get(cfg, "notifications", None)
    url = str(_get(n, "dashboard_url", "") or "").rstrip("/")
    if n is None:
        escalate = DEFAULT_ESCALATE_AFTER_DAYS
    elif isinstance(n, Mapping):
        escalate = n.get("escalate_after_days", DEFAULT_ESCALATE_AFTER_DAYS)
    else:
        escalate = getattr(n, "escalate_after_days", DEFAULT_ESCALATE_AFTER_DAYS)
    return url, (None if escalate is None else int(escalate))


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def mask_url(url: str) -> str:
    """The Apprise URL with passwords/tokens hidden, for logs and the message record."""
    try:
        import apprise

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


# ---------------------------------------------------------------- rules helpers

def _rule_of(s: Any):
    from monitor.rules import RuleError, parse_rule

    raw = _get(s, "rule", None)
    if raw is None:
        return None
    try:
        return parse_rule(raw)
    except RuleError:
        return None


def window_opening(s: Any, as_of: date) -> tuple[date, date] | None:
    """(opens, due) of the item's fixed yearly window if it is open on ``as_of``.

    Windows: rule kind ``window`` (start..end) and ``annual`` with an explicit ``opens`` (the default
    opening, the day after the due day, is not a window anybody supervises)."""
    from monitor import rules as R

    rule = _rule_of(s)
    if rule is None:
        return None
    if rule.kind == "window" and rule.start and rule.end:
        opens_md, due_md = rule.start, rule.end
    elif rule.kind == "annual" and rule.due and rule.opens and rule.opens != R._day_after(rule.due):
        opens_md, due_md = rule.opens, rule.due
    else:
        return None
    due = R.next_on_or_after(due_md, as_of)
    opens = R.latest_on_or_before(opens_md, due)
    if opens <= as_of <= due:
        return opens, due
    return None


# ---------------------------------------------------------------- planning

@dataclass
class PlannedMessage:
    recipient: Recipient
    kind: str                   # unit_digest | office_summary
    title: str
    body: str
    items: list[dict[str, Any]]


@dataclass
class Plan:
    as_of: date
    messages: list[PlannedMessage] = field(default_factory=list)
    # (recipient, item_id, topic, value) written when the plan is carried out (not in dry runs)
    state: list[tuple[str, str, str, str]] = field(default_factory=list)
    reported_failures: list[int] = field(default_factory=list)
    skipped_today: list[str] = field(default_factory=list)   # recipients that already had today's digest


def _load_state(db) -> dict[tuple[str, str, str], str]:
    return {(r["recipient"], r["item_id"], r["topic"]): r["value"]
            for r in rows(db, "SELECT recipient, item_id, topic, value FROM notification_state")}


def _already_today(db, recipient: str, day: date) -> bool:
    return bool(rows(db, "SELECT 1 FROM notifications WHERE recipient=? AND day=? LIMIT 1",
                     (recipient, day.isoformat())))


def _status_value(s: Any) -> str:
    due = as_date(_get(s, "due", None))
    return f"{_get(s, 'status', '')}@{due.isoformat() if due else ''}"


# Bodies are Markdown (Apprise renders them as HTML for e-mail and chat): every value that is not
# this module's own wording goes through md(), so a crawled reason, finding or error message can
# neither become a tag, link or image nor break a list line.
def _md(value: Any, limit: int | None = TITLE_MAX) -> str:
    return md_inline(value, limit)


def _item_label(s: Any) -> str:
    title = _get(s, "short", None) or _get(s, "title", "")
    return f"【{_md(_get(s, 'id', ''))}】{_md(title)}"


def _item_lines(s: Any, dashboard_url: str, labels: Mapping[str, str], *, extra: str | None = None) -> list[str]:
    status = str(_get(s, "status", ""))
    due = as_date(_get(s, "due", None))
    head = f"{_item_label(s)} —— {labels.get(status, status)}"
    if due:
        head += f"（{'应于' if status != 'ok' else '下次'} {due.isoformat()} 前）"
    lines = [head]
    if extra:
        lines.append(extra)
    rule_text = _get(s, "rule_text", None)
    if rule_text:
        lines.append(f"更新要求：{_md(rule_text)}")
    reason = _get(s, "reason", None)
    if reason:
        lines.append(f"说明：{_md(reason, EXCERPT_MAX)}")
    last = as_date(_get(s, "last_changed", None))
    if last:
        lines.append(f"最近更新：{last.isoformat()}")
    if dashboard_url:
        lines.append(f"查看：{dashboard_url}/items/{_get(s, 'id', '')}")
    return lines


def _render_list(entries: list[list[str]]) -> list[str]:
    out: list[str] = []
    for n, lines in enumerate(entries, 1):
        out.append(f"{n}. {lines[0]}")
        out.extend(f"    - {line}" for line in lines[1:])
    return out


def _unit_findings(db, cfg, unit: str, recipient: str, state: Mapping) -> list[tuple[str, str, list[str]]]:
    """New compliance findings of the unit (already masked by monitor.compliance), if that module exists."""
    import importlib

    try:
        compliance = importlib.import_module("monitor.compliance")
    except ModuleNotFoundError as exc:
        if exc.name != "monitor.compliance":
            raise
        return []
    lister: Callable | None = getattr(compliance, "findings_for_notification", None)
    if lister is None:
        return []
    out = []
    for f in lister(db, cfg, unit=unit):
        fid = str(_get(f, "id", ""))
        if not fid or state.get((recipient, f"finding:{fid}", "finding")):
            continue
        # md_block: the text opens a list item, where a leading "#" or "-" would be markup too
        text = md_block(_get(f, "text", "") or _get(f, "summary", ""), EXCERPT_MAX)
        url = _get(f, "url", None)
        out.append((fid, text, [f"页面：{_md(url, URL_TEXT_MAX)}"] if url else []))
    return out


def plan_notifications(db, cfg: Any, statuses: Sequence[Any], as_of: date) -> Plan:
    """Decide what to send today (pure w.r.t. the database: nothing is written)."""
    plan = Plan(as_of)
    labels = status_labels()
    dashboard_url, escalate_after = _notif_settings(cfg)
    state = _load_state(db)
    school = _school_name(cfg)
    for rcp in recipients(cfg):
        if rcp.kind == "unit":
            _plan_unit(plan, db, cfg, rcp, [s for s in statuses if str(_get(s, "unit", "") or "") == rcp.unit],
                       state, labels, dashboard_url)
        else:
            _plan_office(plan, db, cfg, rcp, statuses, state, labels, dashboard_url, escalate_after, school)
    return plan


def _plan_unit(plan: Plan, db, cfg, rcp: Recipient, items: Sequence[Any], state: Mapping,
               labels: Mapping[str, str], dashboard_url: str) -> None:
    as_of = plan.as_of
    alerts: dict[str, list[Any]] = {k: [] for k in NOTIFY_STATUSES}
    windows: list[tuple[Any, date, date]] = []
    notified: list[dict[str, Any]] = []
    pending_state: list[tuple[str, str, str, str]] = []
    for s in items:
        iid = str(_get(s, "id", ""))
        status = str(_get(s, "status", ""))
        value = _status_value(s)
        known = state.get((rcp.key, iid, "status"))
        win = window_opening(s, as_of)
        last = as_date(_get(s, "last_changed", None))
        if win and state.get((rcp.key, iid, "window")) != win[0].isoformat() and not (last and last >= win[0]):
            windows.append((s, win[0], win[1]))
            pending_state.append((rcp.key, iid, "window", win[0].isoformat()))
            notified.append({"item": iid, "status": status, "topic": "window", "opens": win[0].isoformat()})
        if status in NOTIFY_STATUSES:
            if known != value:
                if not any(w[0] is s for w in windows):
                    alerts[status].append(s)
                    notified.append({"item": iid, "status": status, "topic": "status",
                                     "due": value.split("@", 1)[1] or None})
                pending_state.append((rcp.key, iid, "status", value))
        elif known is not None and known != value:
            # Back to normal (or undated): remember it so a later relapse is told again.
            plan.state.append((rcp.key, iid, "status", value))
    findings = _unit_findings(db, cfg, rcp.unit, rcp.key, state)
    for fid, _text, _lines in findings:
        pending_state.append((rcp.key, f"finding:{fid}", "finding", "sent"))
        notified.append({"item": f"finding:{fid}", "topic": "finding"})
    if not notified:
        return  # quiet day
    if _already_today(db, rcp.key, as_of):
        plan.skipped_today.append(rcp.key)  # told again tomorrow: the state is left unchanged
        return
    plan.state.extend(pending_state)
    n_items = len({n["item"] for n in notified})
    title = f"【信息公开提醒】{rcp.unit_name}：{n_items} 项需要处理（{as_of.isoformat()}）"
    body = [f"{_md(rcp.name)}，您好：", "",
            f"截至 {as_of.isoformat()}，{_md(rcp.unit_name)}负责的以下信息公开事项需要处理。", ""]
    for status in NOTIFY_STATUSES:
        group = alerts[status]
        if group:
            body.append(f"### {labels.get(status, status)}（{len(group)} 项）")
            body.extend(_render_list([_item_lines(s, dashboard_url, labels) for s in group]))
            body.append("")
    if windows:
        body.append(f"### 公开时段已开始（{len(windows)} 项）")
        body.extend(_render_list([
            _item_lines(s, dashboard_url, labels,
                        extra=f"本年度公开时段：{o.isoformat()} 至 {d.isoformat()}，请在截止前发布")
            for s, o, d in windows]))
        body.append("")
    if findings:
        body.append(f"### 新发现的合规问题（{len(findings)} 项，敏感信息已遮盖）")
        body.extend(_render_list([[text] + lines for _fid, text, lines in findings]))
        body.append("")
    body.append("本消息由信息公开监测系统自动发送；同一状态只提醒一次，每天至多一封。")
    plan.messages.append(PlannedMessage(rcp, "unit_digest", title, "\n".join(body), notified))


def _overdue_since(db, s: Any, state: Mapping) -> date | None:
    """The day an overdue item became overdue: the day after its due day, else the first day of
    its current overdue streak in the assessment history."""
    due = as_date(_get(s, "due", None))
    if due:
        return due + timedelta(days=1)
    iid = str(_get(s, "id", ""))
    last_ok = rows(db, "SELECT MAX(as_of) AS d FROM assessments WHERE item_id=? AND status != 'overdue'", (iid,))
    first = rows(db, "SELECT MIN(as_of) AS d FROM assessments WHERE item_id=? AND status='overdue' AND as_of > ?",
                 (iid, (last_ok[0]["d"] if last_ok and last_ok[0]["d"] else "0000-00-00")))
    return as_date(first[0]["d"]) if first and first[0]["d"] else None


def _plan_office(plan: Plan, db, cfg: Any, rcp: Recipient, statuses: Sequence[Any], state: Mapping,
                 labels: Mapping[str, str], dashboard_url: str, escalate_after: int | None, school: str) -> None:
    as_of = plan.as_of
    pending_state: list[tuple[str, str, str, str]] = []
    first_summary = not any(k[0] == rcp.key and k[2] == "status" for k in state)
    counts: dict[str, int] = {}
    changes: list[list[str]] = []
    escalations: list[list[str]] = []
    windows: list[list[str]] = []
    items_json: list[dict[str, Any]] = []
    for s in statuses:
        iid = str(_get(s, "id", ""))
        status = str(_get(s, "status", ""))
        counts[status] = counts.get(status, 0) + 1
        before = state.get((rcp.key, iid, "status"))
        before_status = before.split("@", 1)[0] if before else None
        if before_status != status:
            pending_state.append((rcp.key, iid, "status", _status_value(s)))
            if not first_summary or status in NOTIFY_STATUSES:
                unit = _md(_get(s, "unit_name", None) or _get(s, "unit", None) or "信息公开办公室")
                change = (f"{labels.get(before_status, before_status)} → {labels.get(status, status)}"
                          if before_status else labels.get(status, status))
                changes.append(_short_lines(s, dashboard_url, f"{change}；责任单位：{unit}"))
                items_json.append({"item": iid, "status": status, "topic": "change"})
        if status == "overdue" and escalate_after is not None:
            since = _overdue_since(db, s, state)
            if since:
                days = (as_of - since).days + 1   # days overdue, counting the first overdue day
                key = since.isoformat()
                if days > escalate_after and state.get((rcp.key, iid, "escalation")) != key:
                    unit = _md(_get(s, "unit_name", None) or _get(s, "unit", None) or "信息公开办公室")
                    escalations.append(_short_lines(
                        s, dashboard_url, f"已逾期 {days} 天（超过 {escalate_after} 天）；责任单位：{unit}"))
                    pending_state.append((rcp.key, iid, "escalation", key))
                    items_json.append({"item": iid, "status": status, "topic": "escalation", "overdue_days": days})
        win = window_opening(s, as_of)
        last = as_date(_get(s, "last_changed", None))
        if win and state.get((rcp.key, iid, "window")) != win[0].isoformat():
            pending_state.append((rcp.key, iid, "window", win[0].isoformat()))
            if not (last and last >= win[0]):
                unit = _md(_get(s, "unit_name", None) or _get(s, "unit", None) or "信息公开办公室")
                windows.append(_short_lines(
                    s, dashboard_url, f"公开时段 {win[0].isoformat()} 至 {win[1].isoformat()}；责任单位：{unit}"))
                items_json.append({"item": iid, "status": status, "topic": "window"})
    own_findings = _unit_findings(db, cfg, "", rcp.key, state)   # the disclosure site is the office's own
    for fid, _text, _lines in own_findings:
        pending_state.append((rcp.key, f"finding:{fid}", "finding", "sent"))
        items_json.append({"item": f"finding:{fid}", "topic": "finding"})
    scan_lines, scan_news, scan_state = _scan_health(db, rcp, state, as_of)
    pending_state.extend(scan_state)
    failures = rows(db, "SELECT id, contact_name, unit_name, target, status, last_error, day FROM notifications "
                        "WHERE status IN ('failed', 'gave_up') AND reported = 0 ORDER BY id")
    newsworthy = first_summary or changes or escalations or windows or scan_news or failures or own_findings
    if not newsworthy:
        plan.state.extend(pending_state)  # e.g. a change back to the same status: nothing to say
        return
    if _already_today(db, rcp.key, as_of):
        plan.skipped_today.append(rcp.key)
        return
    plan.state.extend(pending_state)
    plan.reported_failures.extend(f["id"] for f in failures)
    order = ["overdue", "unreachable", "missing", "blank", "due_soon", "undated", "ok"]
    count_text = "，".join(f"{labels.get(k, k)} {counts[k]}" for k in sorted(
        counts, key=lambda k: order.index(k) if k in order else len(order)))
    body = [f"{_md(school)}信息公开监测日报（{as_of.isoformat()}）", "",
            f"**事项状态**：共 {len(statuses)} 项；{count_text or '暂无评估结果'}", ""]
    if changes:
        body.append(f"### {'当前需关注的事项' if first_summary else '较上次日报的变化'}（{len(changes)} 项）")
        body.extend(_render_list(changes))
        body.append("")
    elif not first_summary:
        body += ["### 较上次日报的变化", "无", ""]
    if escalations:
        body.append(f"### 逾期升级（{len(escalations)} 项，请督办）")
        body.extend(_render_list(escalations))
        body.append("")
    if windows:
        body.append(f"### 公开时段已开始（{len(windows)} 项，重点督查）")
        body.extend(_render_list(windows))
        body.append("")
    if own_findings:
        body.append(f"### 信息公开网新发现的合规问题（{len(own_findings)} 项，敏感信息已遮盖）")
        body.extend(_render_list([[text] + lines for _fid, text, lines in own_findings]))
        body.append("")
    body.append("### 扫描情况")
    body.extend(f"- {line}" for line in scan_lines)
    body.append("")
    if failures:
        body.append(f"### 通知发送失败（{len(failures)} 条）")
        for f in failures:
            what = "已放弃重试" if f["status"] == "gave_up" else "将在下次发送时重试"
            body.append(f"- {_md(f['day'])} 发给 {_md(f['unit_name'])} {_md(f['contact_name'])}（{_md(f['target'])}）："
                        f"{_md(f['last_error'] or '发送失败', EXCERPT_MAX)}；{what}")
        body.append("")
    if dashboard_url:
        body.append(f"详情：{dashboard_url}/")
    title = f"【信息公开日报】{school}（{as_of.isoformat()}）"
    plan.messages.append(PlannedMessage(rcp, "office_summary", title, "\n".join(body).rstrip() + "\n", items_json))


def _short_lines(s: Any, dashboard_url: str, text: str) -> list[str]:
    lines = [f"{_item_label(s)}：{text}"]
    due = as_date(_get(s, "due", None))
    if due and _get(s, "status", "") != "ok":
        lines.append(f"截止日期：{due.isoformat()}")
    reason = _get(s, "reason", None)
    if reason:
        lines.append(f"说明：{_md(reason, EXCERPT_MAX)}")
    if dashboard_url:
        lines.append(f"查看：{dashboard_url}/items/{_get(s, 'id', '')}")
    return lines


def _scan_health(db, rcp: Recipient, state: Mapping, as_of: date) -> tuple[list[str], bool, list]:
    """Lines about scans since the last summary; whether any is news (a failure, or no success lately)."""
    last_id = int(state.get((rcp.key, "*", "scan")) or 0)
    new = rows(db, "SELECT id, started_at, status, pages_fetched, not_modified, errors, message FROM scans "
                   "WHERE id > ? AND status != 'running' ORDER BY id", (last_id,))
    lines: list[str] = []
    news = False
    updates: list[tuple[str, str, str, str]] = []
    if new:
        updates.append((rcp.key, "*", "scan", str(new[-1]["id"])))
        bad = [r for r in new if r["status"] != "done"]
        done = [r for r in new if r["status"] == "done"]
        lines.append(f"自上次日报以来扫描 {len(new)} 次：成功 {len(done)} 次，失败 {len(bad)} 次")
        for r in bad:
            news = True
            lines.append(f"扫描 #{r['id']}（{str(r['started_at'])[:16].replace('T', ' ')}）"
                         f"{_SCAN_STATUS.get(r['status'], r['status'])}：{_md(r['message'] or '无详细信息', EXCERPT_MAX)}")
        if done:
            r = done[-1]
            lines.append(f"最近一次成功扫描 #{r['id']}：页面 {(r['pages_fetched'] or 0) + (r['not_modified'] or 0)}，"
                         f"错误 {r['errors'] or 0}")
    else:
        lines.append("自上次日报以来没有新的扫描")
    last_done = rows(db, "SELECT id, started_at FROM scans WHERE status='done' ORDER BY id DESC LIMIT 1")
    last_day = as_date(last_done[0]["started_at"]) if last_done else None
    stale = last_day is None or (as_of - last_day).days >= 2
    if stale:
        marker = f"{last_done[0]['id'] if last_done else 0}"
        lines.append("已超过 2 天没有成功的扫描，事项状态可能已过时" if last_done else "尚无成功的扫描")
        if state.get((rcp.key, "*", "scan_stale")) != marker:
            news = True
            updates.append((rcp.key, "*", "scan_stale", marker))
    return lines, news, updates


# ---------------------------------------------------------------- delivery

Sender = Callable[[str, str, str], tuple[bool, str | None]]


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


def _find_url(cfg: Any, recipient: str, target_hash: str) -> str | None:
    for rcp in recipients(cfg):
        if rcp.key == recipient:
            for url in rcp.urls:
                if url_hash(url) == target_hash:
                    return url
    return None


def retry_failed(db, cfg: Any, result: NotifyResult, sender: Sender) -> None:
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


def _record(db, msg: PlannedMessage, url: str, as_of: date) -> int:
    cur = db.execute(
        "INSERT INTO notifications (day, created_at, kind, recipient, contact_name, unit, unit_name, target, "
        "target_hash, title, body, items) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (as_of.isoformat(), clock.now_iso(), msg.kind, msg.recipient.key, msg.recipient.name, msg.recipient.unit,
         msg.recipient.unit_name, mask_url(url), url_hash(url), msg.title, msg.body, dumps(msg.items)))
    return cur.lastrowid


def _apply_state(db, plan: Plan) -> None:
    day = plan.as_of.isoformat()
    wall = clock.now_iso()
    for recipient, item_id, topic, value in plan.state:
        db.execute(
            "INSERT INTO notification_state (recipient, item_id, topic, value, since, updated_at) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(recipient, item_id, topic) DO UPDATE SET value=excluded.value, since=excluded.since, "
            "updated_at=excluded.updated_at WHERE notification_state.value IS NOT excluded.value",
            (recipient, item_id, topic, value, day, wall))


def current_statuses(db, cfg: Any, as_of: date) -> list[Any]:
    from monitor.assess import assess_all

    return list(assess_all(db, cfg, as_of))


def run_notifications(db, cfg: Any, *, as_of: date | None = None, statuses: Sequence[Any] | None = None,
                      dry_run: bool = False, sender: Sender | None = None, db_path: str | None = None
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
    from monitor.core.locks import ScanLock

    with ScanLock(db_path or _get(cfg, "database_path", "xxgk.db"), purpose="notify", name="notify").acquire(
            wait=120):
        result = NotifyResult(as_of, Plan(as_of))
        retry_failed(db, cfg, result, sender)
        plan = result.plan = plan_notifications(db, cfg, statuses, as_of)
        new_rows: list[tuple[int, str, PlannedMessage]] = []
        # Record first, in one transaction with the state, so a crash cannot lose or duplicate a digest
        # (rows still 'pending' after a crash are delivered by the next run).
        with db.conn:
            db.execute("BEGIN IMMEDIATE")
            for msg in plan.messages:
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


# ---------------------------------------------------------------- CLI

def _print_plan(plan: Plan, db) -> None:
    if not plan.messages:
        click.echo(f"{plan.as_of.isoformat()}：今天没有需要发送的通知。")
    for msg in plan.messages:
        targets = "，".join(mask_url(u) for u in msg.recipient.urls)
        click.echo("=" * 60)
        click.echo(f"收件人：{msg.recipient.unit_name} {msg.recipient.name}（{targets}）")
        click.echo(f"标题：{msg.title}")
        click.echo("")
        click.echo(msg.body.rstrip())
    if plan.skipped_today:
        click.echo(f"今天已发送过摘要、明天再提醒的收件人：{'，'.join(plan.skipped_today)}")
    pending = rows(db, "SELECT COUNT(*) AS n FROM notifications WHERE status IN ('failed', 'pending')")[0]["n"]
    if pending:
        click.echo(f"另有 {pending} 条发送失败的通知等待重试。")


@click.command("notify")
@config_option
@now_option
@click.option("--dry-run", is_flag=True, help="Print what would be sent today; send and record nothing.")
def notify_command(config_path: str, dry_run: bool) -> None:
    """发送今天的通知（各单位摘要、办公室日报），并重试此前发送失败的通知。"""
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    tz = _get(cfg, "timezone", None)
    if tz:
        clock.set_timezone(str(tz))
    if _get(_get(cfg, "notifications", None), "enabled", True) is False and not dry_run:
        fail("配置中关闭了通知（notifications.enabled: false）；如需预览请加 --dry-run", code=1)
    if not recipients(cfg):
        fail("配置中没有任何联系人的通知地址（units[*].contacts[*].notify 或 office.contacts[*].notify）")
    from monitor.core.locks import LockHeld

    db = open_db(cfg.database_path)
    try:
        result = run_notifications(db, cfg, dry_run=dry_run)
    except LockHeld as exc:
        fail(f"另一个通知任务正在进行（进程 {exc.holder.get('pid') or '?'}），请稍后再试", code=4)
    if result.no_data:
        click.echo("尚无成功完成的扫描，暂不发送通知（请先运行 xxgk scan，或等待计划扫描完成）。")
    if dry_run:
        if not result.no_data:
            _print_plan(result.plan, db)
        return
    for row in rows(db, "SELECT id, unit_name, contact_name, target, status, last_error FROM notifications "
                        f"WHERE id IN ({','.join('?' * len(result.sent + result.failed)) or 'NULL'})",
                    result.sent + result.failed):
        mark = "已发送" if row["status"] == "sent" else ("已放弃" if row["status"] == "gave_up" else "失败，将重试")
        err = f"：{row['last_error']}" if row["last_error"] and row["status"] != "sent" else ""
        click.echo(f"{mark} → {row['unit_name']} {row['contact_name']}（{row['target']}）{err}")
    if not result.sent and not result.failed:
        click.echo(f"{result.as_of.isoformat()}：今天没有需要发送的通知。")
    if result.failed:
        click.echo(f"{len(result.failed)} 条通知发送失败，已记录，将在下次发送时重试。", err=True)
        raise SystemExit(3)
