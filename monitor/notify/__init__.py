"""Notifications: per-unit digests, the office's daily summary, Apprise delivery, the sent-message log.

What is sent (all text Chinese, Markdown that Apprise renders per channel):

* each unit contact: items of the unit that **became** overdue / missing / blank / unreachable or
  due soon (with due day, rule text, reason and a dashboard link), and window-opening reminders;
  never an item judged only from match candidates awaiting review (``ItemStatus.provisional``);
* each office contact: status counts, what changed since its last summary, escalations (items
  overdue longer than ``notifications.escalate_after_days``), items awaiting its confirmation of
  their candidates (已找到·待确认), windows that opened, scan health and deliveries that failed.

One way through: ``plan`` decides what is news (data only), ``render`` writes it as Markdown,
``deliver`` records, sends and retries. This facade names what the rest of the project uses.
"""
from __future__ import annotations

from monitor.notify.deliver import (
    MAX_FAILED_RUNS,
    TRIES_PER_RUN,
    NotifyResult,
    Sender,
    apprise_send,
    check_can_send,
    current_statuses,
    delivery_lines,
    mask_url,
    plan_lines,
    retry_failed,
    run_notifications,
    url_hash,
)
from monitor.notify.plan import (
    ALERT_STATUSES,
    NOTIFY_STATUSES,
    Plan,
    Recipient,
    plan_notifications,
    recipients,
    window_opening,
)
from monitor.notify.render import Message, render

__all__ = [
    "ALERT_STATUSES", "MAX_FAILED_RUNS", "NOTIFY_STATUSES", "TRIES_PER_RUN", "Message", "NotifyResult", "Plan",
    "Recipient", "Sender", "apprise_send", "check_can_send", "current_statuses", "delivery_lines", "mask_url",
    "plan_lines", "plan_notifications", "recipients", "render", "retry_failed", "run_notifications", "url_hash",
    "window_opening",
]
