"""What is news today, per recipient: pure data, no Markdown (monitor.notify.render writes the text).

No spam: per recipient and item the last notified state is kept in ``notification_state`` (a state
is never sent twice), a recipient gets at most one digest per day, and a day with nothing new sends
nothing. Planning reads the database and writes nothing; the state changes a plan carries are
applied by monitor.notify.deliver when the plan is carried out (never in a dry run).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping, Sequence

from monitor import rules as R
from monitor.assess import ItemStatus
from monitor.compliance.findings import findings_for_notification
from monitor.config import Config
from monitor.core.clock import as_date
from monitor.store import rows

# Statuses a unit is told about when an item enters them.
ALERT_STATUSES = ("overdue", "unreachable", "missing", "blank")
NOTIFY_STATUSES = ALERT_STATUSES + ("due_soon",)

# (recipient, item_id, topic) -> last notified value
State = Mapping[tuple[str, str, str], str]
StateChange = tuple[str, str, str, str]     # (recipient, item_id, topic, value)


@dataclass
class Recipient:
    key: str                    # stable id used for state and the one-digest-per-day rule
    kind: str                   # unit | office
    name: str                   # contact name
    unit: str                   # unit id ('' = office)
    unit_name: str
    urls: list[str]             # Apprise URLs (secrets already substituted by the config loader)


def recipients(cfg: Config) -> list[Recipient]:
    """Every contact with a notification URL, units first, then the office."""
    out: list[Recipient] = []
    for unit in cfg.units:
        for contact in unit.contacts:
            if contact.notify and contact.notify.strip():
                out.append(Recipient(f"unit:{unit.id}:{contact.name}", "unit", contact.name, unit.id, unit.name,
                                     [contact.notify]))
    for contact in cfg.office.contacts:
        if contact.notify and contact.notify.strip():
            out.append(Recipient(f"office:{contact.name}", "office", contact.name, "", cfg.office.name,
                                 [contact.notify]))
    return out


def window_opening(s: ItemStatus, as_of: date) -> tuple[date, date] | None:
    """(opens, due) of the item's fixed yearly window if it is open on ``as_of``.

    Windows: rule kind ``window`` (start..end) and ``annual`` with an explicit ``opens`` (the default
    opening, the day after the due day, is not a window anybody supervises)."""
    if not s.rule:
        return None
    try:
        rule = R.parse_rule(s.rule)
    except R.RuleError:
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


# ---------------------------------------------------------------- what a digest holds

@dataclass
class Window:
    item: ItemStatus
    opens: date
    due: date


@dataclass
class Finding:
    """A compliance finding (text already masked by monitor.compliance)."""
    id: str
    text: str
    url: str | None


@dataclass
class Change:
    item: ItemStatus
    before: str | None          # status last told to this recipient (None: never told)


@dataclass
class Escalation:
    item: ItemStatus
    days: int                   # days overdue, counting the first overdue day
    threshold: int              # notifications.escalate_after_days


@dataclass
class ScanHealth:
    runs: list[dict[str, Any]]  # finished scans since the last summary (id, started_at, status, counts, message)
    stale: bool                 # no successful scan for 2 days or more
    ever_done: bool             # some scan has ever succeeded


@dataclass
class FailedDelivery:
    id: int
    day: str
    unit_name: str
    contact_name: str
    target: str                 # masked
    status: str                 # failed | gave_up
    last_error: str | None


@dataclass
class UnitDigest:
    recipient: Recipient
    as_of: date
    dashboard_url: str          # without trailing slash ('' = no links)
    alerts: dict[str, list[ItemStatus]]     # NOTIFY_STATUSES -> items that entered it
    windows: list[Window]
    findings: list[Finding]
    items: list[dict[str, Any]]             # what was told, recorded with the message
    kind: str = "unit_digest"


@dataclass
class OfficeDigest:
    recipient: Recipient
    as_of: date
    dashboard_url: str
    school: str
    total: int                              # items assessed
    counts: dict[str, int]                  # status -> items
    first_summary: bool                     # the recipient never had a summary: changes = what needs attention
    changes: list[Change]
    escalations: list[Escalation]
    windows: list[Window]
    findings: list[Finding]
    scans: ScanHealth
    failures: list[FailedDelivery]
    items: list[dict[str, Any]]
    # items judged only from match candidates awaiting review: the office is asked to confirm them
    awaiting: list[ItemStatus] = field(default_factory=list)
    kind: str = "office_summary"


Digest = UnitDigest | OfficeDigest


@dataclass
class Plan:
    as_of: date
    digests: list[Digest] = field(default_factory=list)
    # written when the plan is carried out (not in dry runs)
    state: list[StateChange] = field(default_factory=list)
    reported_failures: list[int] = field(default_factory=list)
    skipped_today: list[str] = field(default_factory=list)   # recipients that already had today's digest


# ---------------------------------------------------------------- planning

def _load_state(db) -> dict[tuple[str, str, str], str]:
    return {(r["recipient"], r["item_id"], r["topic"]): r["value"]
            for r in rows(db, "SELECT recipient, item_id, topic, value FROM notification_state")}


def _already_today(db, recipient: str, day: date) -> bool:
    return bool(rows(db, "SELECT 1 FROM notifications WHERE recipient=? AND day=? LIMIT 1",
                     (recipient, day.isoformat())))


def _status_value(s: ItemStatus) -> str:
    due = as_date(s.due)
    return f"{s.status}@{due.isoformat() if due else ''}"


def _new_findings(db, cfg: Config, unit: str, recipient: str, state: State) -> list[Finding]:
    """Compliance findings of the unit ('' = the disclosure office) not yet told to the recipient."""
    out = []
    for f in findings_for_notification(db, cfg, unit=unit):
        fid = str(f.get("id") or "")
        if not fid or state.get((recipient, f"finding:{fid}", "finding")):
            continue
        out.append(Finding(fid, f.get("text") or f.get("summary") or "", f.get("url") or None))
    return out


def plan_notifications(db, cfg: Config, statuses: Sequence[ItemStatus], as_of: date) -> Plan:
    """Decide what to send today (pure w.r.t. the database: nothing is written)."""
    plan = Plan(as_of)
    dashboard_url = cfg.notifications.dashboard_url.rstrip("/")
    state = _load_state(db)
    for rcp in recipients(cfg):
        if rcp.kind == "unit":
            _plan_unit(plan, db, cfg, rcp, [s for s in statuses if (s.unit or "") == rcp.unit], state, dashboard_url)
        else:
            _plan_office(plan, db, cfg, rcp, statuses, state, dashboard_url)
    return plan


def _plan_unit(plan: Plan, db, cfg: Config, rcp: Recipient, items: Sequence[ItemStatus], state: State,
               dashboard_url: str) -> None:
    as_of = plan.as_of
    alerts: dict[str, list[ItemStatus]] = {k: [] for k in NOTIFY_STATUSES}
    windows: list[Window] = []
    notified: list[dict[str, Any]] = []
    pending_state: list[StateChange] = []
    for s in items:
        if s.provisional:
            # Judged from candidates nobody has confirmed: the unit is told nothing (no "missing" for what
            # it published, no claim from unconfirmed evidence) until the office decides them.
            continue
        iid = s.id
        value = _status_value(s)
        known = state.get((rcp.key, iid, "status"))
        win = window_opening(s, as_of)
        last = as_date(s.last_changed)
        if win and state.get((rcp.key, iid, "window")) != win[0].isoformat() and not (last and last >= win[0]):
            windows.append(Window(s, win[0], win[1]))
            pending_state.append((rcp.key, iid, "window", win[0].isoformat()))
            notified.append({"item": iid, "status": s.status, "topic": "window", "opens": win[0].isoformat()})
        if s.status in NOTIFY_STATUSES:
            if known != value:
                if not any(w.item is s for w in windows):
                    alerts[s.status].append(s)
                    notified.append({"item": iid, "status": s.status, "topic": "status",
                                     "due": value.split("@", 1)[1] or None})
                pending_state.append((rcp.key, iid, "status", value))
        elif known is not None and known != value:
            # Back to normal (or undated): remember it so a later relapse is told again.
            plan.state.append((rcp.key, iid, "status", value))
    findings = _new_findings(db, cfg, rcp.unit, rcp.key, state)
    for f in findings:
        pending_state.append((rcp.key, f"finding:{f.id}", "finding", "sent"))
        notified.append({"item": f"finding:{f.id}", "topic": "finding"})
    if not notified:
        return  # quiet day
    if _already_today(db, rcp.key, as_of):
        plan.skipped_today.append(rcp.key)  # told again tomorrow: the state is left unchanged
        return
    plan.state.extend(pending_state)
    plan.digests.append(UnitDigest(rcp, as_of, dashboard_url, alerts, windows, findings, notified))


def _overdue_since(db, s: ItemStatus) -> date | None:
    """The day an overdue item became overdue: the day after its due day, else the first day of
    its current overdue streak in the assessment history."""
    due = as_date(s.due)
    if due:
        return due + timedelta(days=1)
    last_ok = rows(db, "SELECT MAX(as_of) AS d FROM assessments WHERE item_id=? AND status != 'overdue'", (s.id,))
    first = rows(db, "SELECT MIN(as_of) AS d FROM assessments WHERE item_id=? AND status='overdue' AND as_of > ?",
                 (s.id, (last_ok[0]["d"] if last_ok and last_ok[0]["d"] else "0000-00-00")))
    return as_date(first[0]["d"]) if first and first[0]["d"] else None


def _plan_office(plan: Plan, db, cfg: Config, rcp: Recipient, statuses: Sequence[ItemStatus], state: State,
                 dashboard_url: str) -> None:
    as_of = plan.as_of
    escalate_after = cfg.notifications.escalate_after_days
    pending_state: list[StateChange] = []
    first_summary = not any(k[0] == rcp.key and k[2] == "status" for k in state)
    counts: dict[str, int] = {}
    changes: list[Change] = []
    escalations: list[Escalation] = []
    windows: list[Window] = []
    items_json: list[dict[str, Any]] = []
    for s in statuses:
        iid, status = s.id, s.status
        counts[status] = counts.get(status, 0) + 1
        before = state.get((rcp.key, iid, "status"))
        before_status = before.split("@", 1)[0] if before else None
        if before_status != status:
            pending_state.append((rcp.key, iid, "status", _status_value(s)))
            if not first_summary or status in NOTIFY_STATUSES:
                changes.append(Change(s, before_status))
                items_json.append({"item": iid, "status": status, "topic": "change"})
        asked = state.get((rcp.key, iid, "confirm"))
        if s.provisional and asked != "asked":
            pending_state.append((rcp.key, iid, "confirm", "asked"))
        elif not s.provisional and asked == "asked":
            pending_state.append((rcp.key, iid, "confirm", "done"))   # decided: a relapse is asked again
        if status == "overdue" and not s.provisional:   # no urging on unconfirmed evidence
            since = _overdue_since(db, s)
            if since:
                days = (as_of - since).days + 1   # days overdue, counting the first overdue day
                key = since.isoformat()
                if days > escalate_after and state.get((rcp.key, iid, "escalation")) != key:
                    escalations.append(Escalation(s, days, escalate_after))
                    pending_state.append((rcp.key, iid, "escalation", key))
                    items_json.append({"item": iid, "status": status, "topic": "escalation", "overdue_days": days})
        win = window_opening(s, as_of)
        last = as_date(s.last_changed)
        if win and state.get((rcp.key, iid, "window")) != win[0].isoformat():
            pending_state.append((rcp.key, iid, "window", win[0].isoformat()))
            if not (last and last >= win[0]):
                windows.append(Window(s, win[0], win[1]))
                items_json.append({"item": iid, "status": status, "topic": "window"})
    own_findings = _new_findings(db, cfg, "", rcp.key, state)   # the disclosure site is the office's own
    for f in own_findings:
        pending_state.append((rcp.key, f"finding:{f.id}", "finding", "sent"))
        items_json.append({"item": f"finding:{f.id}", "topic": "finding"})
    scans, scan_news, scan_state = _scan_health(db, rcp, state, as_of)
    pending_state.extend(scan_state)
    failures = [FailedDelivery(r["id"], r["day"], r["unit_name"], r["contact_name"], r["target"], r["status"],
                               r["last_error"])
                for r in rows(db, "SELECT id, contact_name, unit_name, target, status, last_error, day "
                                  "FROM notifications WHERE status IN ('failed', 'gave_up') AND reported = 0 "
                                  "ORDER BY id")]
    # Every item still awaiting confirmation is listed; a newly found one is news by itself.
    awaiting = [s for s in statuses if s.provisional]
    new_awaiting = any(state.get((rcp.key, s.id, "confirm")) != "asked" for s in awaiting)
    items_json.extend({"item": s.id, "status": s.status, "topic": "confirm"} for s in awaiting)
    newsworthy = (first_summary or changes or escalations or windows or scan_news or failures or own_findings
                  or new_awaiting)
    if not newsworthy:
        plan.state.extend(pending_state)  # e.g. a change back to the same status: nothing to say
        return
    if _already_today(db, rcp.key, as_of):
        plan.skipped_today.append(rcp.key)
        return
    plan.state.extend(pending_state)
    plan.reported_failures.extend(f.id for f in failures)
    plan.digests.append(OfficeDigest(rcp, as_of, dashboard_url, cfg.school, len(statuses), counts, first_summary,
                                     changes, escalations, windows, own_findings, scans, failures, items_json,
                                     awaiting))


def _scan_health(db, rcp: Recipient, state: State, as_of: date) -> tuple[ScanHealth, bool, list[StateChange]]:
    """Scans since the last summary; whether any is news (a failure, or no success lately)."""
    last_id = int(state.get((rcp.key, "*", "scan")) or 0)
    new = rows(db, "SELECT id, started_at, status, pages_fetched, not_modified, errors, message FROM scans "
                   "WHERE id > ? AND status != 'running' ORDER BY id", (last_id,))
    news = False
    updates: list[StateChange] = []
    if new:
        updates.append((rcp.key, "*", "scan", str(new[-1]["id"])))
        news = any(r["status"] != "done" for r in new)
    last_done = rows(db, "SELECT id, started_at FROM scans WHERE status='done' ORDER BY id DESC LIMIT 1")
    last_day = as_date(last_done[0]["started_at"]) if last_done else None
    stale = last_day is None or (as_of - last_day).days >= 2
    if stale:
        marker = f"{last_done[0]['id'] if last_done else 0}"
        if state.get((rcp.key, "*", "scan_stale")) != marker:
            news = True
            updates.append((rcp.key, "*", "scan_stale", marker))
    return ScanHealth([dict(r) for r in new], stale, bool(last_done)), news, updates
