"""`xxgk fleet run`: enqueue every school's scan and digest at the times its own config names.

Each school's ``schedule.scan`` and ``schedule.digest`` are read as the single-school service reads them
(``monitor.core.crontab``: crontab(5), in the school's timezone); ``schedule.enabled: false`` stops the
school's scans (digests still go), ``schedule.digest_on: workdays`` skips a digest on a day that is not a
Chinese working day. A run is the job ``<school>:<kind>:<YYYYmmddTHHMM>`` (the cron time, UTC): its record is
created once, so a second scheduler, or a restart, never enqueues the same run twice.

The last run enqueued per school and kind is kept in Redis: a scheduler that was down enqueues a missed run
once when it comes back (however many it missed, as ``coalesce`` does in the service) if it is at most
:data:`MISFIRE_GRACE` late; older runs are not made up. A school seen for the first time starts from now.
The fleet file and the school configs are read again every :data:`RELOAD_SECONDS`; a broken edit keeps the
last good fleet.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config import Config, ConfigError
from monitor.core import crontab
from monitor.core.workdays import WorkdayError
from monitor.fleet.fleetfile import Fleet, load_fleet, load_school

log = logging.getLogger("monitor.fleet")

MISFIRE_GRACE = timedelta(hours=24)
RELOAD_SECONDS = 300.0


@dataclass(frozen=True)
class Plan:
    """One school's schedule of one kind of job."""
    school: str
    kind: str                      # scan | digest
    tab: crontab.Crontab
    tz: ZoneInfo
    cfg: Config


@dataclass(frozen=True)
class Due:
    school: str
    kind: str
    job_id: str
    when: datetime                 # the cron time, in the school's timezone


def plans(fleet: Fleet) -> list[Plan]:
    """Every school's scan and digest schedule (a school whose config no longer loads is left out, logged)."""
    out = []
    for school in fleet.schools:
        try:
            cfg = load_school(school)
        except ConfigError as exc:
            log.error("学校 %s 的配置有误，暂不安排任务：%s", school.key, exc, extra={"event": "fleet.config_invalid"})
            continue
        tz = ZoneInfo(cfg.timezone)
        if cfg.schedule.enabled:
            out.append(Plan(school.key, "scan", crontab.parse(cfg.schedule.scan), tz, cfg))
        out.append(Plan(school.key, "digest", crontab.parse(cfg.schedule.digest), tz, cfg))
    return out


def job_id(school: str, kind: str, when: datetime) -> str:
    return f"{school}:{kind}:{when.astimezone(timezone.utc):%Y%m%dT%H%MZ}"


def _is_digest_day(cfg: Config, when: datetime) -> bool:
    try:
        return cfg.schedule.is_digest_day(when.date())
    except WorkdayError as exc:
        # as the service does: better a digest on a holiday than none for weeks
        log.warning("%s；无法判断是否工作日，照常发送摘要", exc, extra={"event": "fleet.calendar_unknown"})
        return True


def due(plan: Plan, last: datetime | None, now: datetime) -> tuple[Due | None, datetime]:
    """The run of ``plan`` to enqueue at ``now`` (None: nothing due) and the new "last run" mark. ``last``
    None (a school seen for the first time): nothing is due before ``now``."""
    local_now = now.astimezone(plan.tz)
    if last is None:
        return None, local_now.replace(second=0, microsecond=0) - timedelta(seconds=1)
    # runs older than the grace are not made up (nor looked for: a scheduler down for months stays quick)
    start = max(last.astimezone(plan.tz) + timedelta(seconds=1), local_now - MISFIRE_GRACE)
    latest: datetime | None = None
    cursor = start
    while True:
        fire = plan.tab.next_run(cursor, horizon_days=400)
        if fire is None or fire > local_now:
            break
        latest = fire
        cursor = fire + timedelta(seconds=1)
    if latest is None:
        return None, max(last, local_now - MISFIRE_GRACE)
    if plan.kind == "digest" and not _is_digest_day(plan.cfg, latest):
        log.info("学校 %s：%s 不是工作日（schedule.digest_on: workdays），不发送摘要", plan.school, latest.date(),
                 extra={"event": "fleet.not_workday", "school": plan.school})
        return None, latest
    return Due(plan.school, plan.kind, job_id(plan.school, plan.kind, latest), latest), latest


def next_wakeup(all_plans: list[Plan], now: datetime) -> datetime | None:
    """When the earliest next run of any plan is (the scheduler sleeps until then, or a reload)."""
    times = [t for p in all_plans if (t := p.tab.next_run(now.astimezone(p.tz), horizon_days=400)) is not None]
    return min(times) if times else None


class Scheduler:
    """The loop of `xxgk fleet run`; ``enqueue(school, kind, job_id)`` returns False for a job already there."""

    def __init__(self, fleet: Fleet, client: Any, enqueue: Callable[[str, str, str], bool]) -> None:
        self.fleet = fleet
        self.client = client
        self.enqueue = enqueue
        self.plans = plans(fleet)
        self.stopping = threading.Event()
        self.loaded_at = 0.0

    def _mark_key(self, plan: Plan) -> str:
        return f"{self.fleet.redis_prefix()}:fired:{plan.school}:{plan.kind}"

    def tick(self, now: datetime) -> list[Due]:
        """Enqueue what is due at ``now``; returns what was enqueued."""
        sent = []
        for plan in self.plans:
            key = self._mark_key(plan)
            raw = self.client.get(key)
            last = datetime.fromisoformat(raw) if raw else None
            run, mark = due(plan, last, now)
            if run is not None and self.enqueue(run.school, run.kind, run.job_id):
                sent.append(run)
                log.info("已加入队列：%s", run.job_id, extra={"event": "fleet.enqueued", "job": run.job_id,
                                                          "school": run.school, "kind": run.kind})
            if mark != last:
                self.client.set(key, mark.isoformat())
        return sent

    def reload(self) -> None:
        try:
            fresh = load_fleet(self.fleet.path)
        except ConfigError as exc:
            log.error("集群文件有误，继续使用上次的设置：%s", exc, extra={"event": "fleet.invalid"})
            return
        self.fleet = fresh
        self.plans = plans(fresh)

    def run(self, *, reload_seconds: float = RELOAD_SECONDS) -> None:
        import time

        self.loaded_at = time.monotonic()
        while not self.stopping.is_set():
            now = datetime.now(timezone.utc)
            try:
                self.tick(now)
            except Exception:  # noqa: BLE001 - Redis away for a moment: the next tick makes the run up
                log.exception("无法把到期的任务加入队列，稍后重试", extra={"event": "fleet.enqueue_failed"})
                self.stopping.wait(10.0)
                continue
            if time.monotonic() - self.loaded_at > reload_seconds:
                self.reload()
                self.loaded_at = time.monotonic()
            wake = next_wakeup(self.plans, now + timedelta(seconds=1))
            wait = reload_seconds if wake is None else (wake - datetime.now(timezone.utc)).total_seconds()
            self.stopping.wait(max(1.0, min(wait + 0.5, reload_seconds)))
