"""The long-lived service (APScheduler 3.x); `xxgk run` (monitor/commands/run.py) starts it.

Jobs: the nightly scan (``schedule.scan``, default ``30 2 * * *``) followed by a re-assessment, and
the notification digest (``schedule.digest``, default ``0 8 * * *``; with ``schedule.digest_on:
workdays`` a run on a day that is not a Chinese working day is skipped and logged), both in the configured
timezone and read as crontab(5) reads them (:mod:`monitor.core.crontab`); the dashboard is served from the
same process when it is installed.

* Jobs live in our SQLite database (:class:`SQLiteJobStore`, table ``scheduler_jobs``), so a
  restart keeps the schedule and a run missed while the service was down is made up once at
  start-up (``coalesce=True`` + ``misfire_grace_time``).
* Each scan is its own subprocess (``python -m monitor.cli scan``) in its own process group, with a
  hard timeout: SIGTERM, a grace period, then SIGKILL for the whole group. The scan row is then
  marked ``timeout``/``killed``/``failed``/``interrupted`` — the service itself keeps going.
* Two scans never overlap: ``max_instances=1`` inside the service, and the scan lock
  (:mod:`monitor.core.locks`) against a manual `xxgk scan`; a run that finds the lock taken is skipped.
* SIGTERM / Ctrl-C: no new jobs; a running scan gets ``--stop-grace`` seconds, then is stopped and
  recorded as ``interrupted``.
* The product clock (``monitor.core.clock``) is re-read before every job from ``--clock-file`` when
  given, so a test or a replay can move "today" without restarting the service.
"""
from __future__ import annotations

import logging
import os
import pickle
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import datetime_to_utc_timestamp, undefined, utc_timestamp_to_datetime

from monitor import metrics
from monitor.config import Config, ConfigError, load_config
from monitor.core import clock, crontab, locks
from monitor.core.errors import UserError
from monitor.core.logging import log_event, setup_logging
from monitor.core.procs import kill_group, stop_group
from monitor.core.workdays import WorkdayError
from monitor.store import open_db, rows

log = logging.getLogger("monitor.service")

# A run missed while the service was down is still made up if it is at most this late.
MISFIRE_GRACE_SECONDS = 24 * 3600
# Exit code `xxgk scan` uses when another scan holds the lock.
SCAN_LOCKED_EXIT = 4


# ---------------------------------------------------------------- job store

class SQLiteJobStore(BaseJobStore):
    """APScheduler job store in our own database (no SQLAlchemy needed); same layout as
    APScheduler's SQLAlchemyJobStore: id, next_run_time (UTC timestamp), pickled job state."""

    def __init__(self, db_path: str | Path, table: str = "scheduler_jobs"):
        super().__init__()
        self.db_path = str(db_path)
        self.table = table
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    def start(self, scheduler, alias):
        super().start(scheduler, alias)
        open_db(self.db_path).conn.close()  # creates the table through migration 3
        self._conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 60000")

    def _q(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            if self._conn is None:  # shut down: the scheduler thread may still look once
                return []
            return self._conn.execute(sql, params).fetchall()

    def _exec(self, sql: str, params: tuple = ()) -> int:
        with self._lock:
            assert self._conn is not None, "job store not started"
            return self._conn.execute(sql, params).rowcount

    def lookup_job(self, job_id):
        found = self._q(f"SELECT job_state FROM {self.table} WHERE id=?", (job_id,))
        return self._reconstitute(found[0][0]) if found else None

    def get_due_jobs(self, now):
        return self._jobs("WHERE next_run_time <= ?", (datetime_to_utc_timestamp(now),))

    def get_next_run_time(self):
        found = self._q(f"SELECT next_run_time FROM {self.table} WHERE next_run_time IS NOT NULL "
                        "ORDER BY next_run_time LIMIT 1")
        return utc_timestamp_to_datetime(found[0][0]) if found else None

    def get_all_jobs(self):
        jobs = self._jobs()
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job):
        try:
            self._exec(f"INSERT INTO {self.table} (id, next_run_time, job_state) VALUES (?,?,?)",
                       (job.id, datetime_to_utc_timestamp(job.next_run_time), self._state(job)))
        except sqlite3.IntegrityError:
            raise ConflictingIdError(job.id) from None

    def update_job(self, job):
        n = self._exec(f"UPDATE {self.table} SET next_run_time=?, job_state=? WHERE id=?",
                       (datetime_to_utc_timestamp(job.next_run_time), self._state(job), job.id))
        if n == 0:
            raise JobLookupError(job.id)

    def remove_job(self, job_id):
        if self._exec(f"DELETE FROM {self.table} WHERE id=?", (job_id,)) == 0:
            raise JobLookupError(job_id)

    def remove_all_jobs(self):
        self._exec(f"DELETE FROM {self.table}")

    def shutdown(self):
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @staticmethod
    def _state(job: Job) -> bytes:
        return pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL)

    def _reconstitute(self, blob: bytes) -> Job:
        state = pickle.loads(blob)
        state["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(state)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    def _jobs(self, where: str = "", params: tuple = ()) -> list[Job]:
        jobs, broken = [], []
        for job_id, blob in self._q(f"SELECT id, job_state FROM {self.table} {where} ORDER BY next_run_time",
                                    params):
            try:
                jobs.append(self._reconstitute(blob))
            except Exception:  # noqa: BLE001 - e.g. a job of an older version: drop it, it is re-added
                self._logger.exception('Unable to restore job "%s" -- removing it', job_id)
                broken.append(job_id)
        for job_id in broken:
            self._exec(f"DELETE FROM {self.table} WHERE id=?", (job_id,))
        return jobs


# ---------------------------------------------------------------- runtime

@dataclass
class ScanOutcome:
    status: str                 # done | failed | timeout | killed | interrupted | skipped
    scan_id: int | None
    returncode: int | None
    message: str = ""


@dataclass
class Service:
    """Everything a job needs; one instance per `xxgk run` process (see :data:`_SERVICE`)."""

    config_path: str
    cfg: Config
    db_path: str
    scan_timeout: float                      # seconds
    clock_file: str | None = None
    scan_command: list[str] | None = None    # argv template; "{config}" is replaced
    stop_grace: float = 30.0
    stopping: threading.Event = field(default_factory=threading.Event)
    child: subprocess.Popen | None = None
    scans_started: int = 0

    # -- clock and config

    def refresh_clock(self) -> None:
        """Re-read the product clock from the clock file (when given) before each job."""
        if not self.clock_file:
            return
        try:
            text = Path(self.clock_file).read_text(encoding="utf-8").strip()
        except OSError:
            return
        if not text:
            return
        try:
            clock.set_now(text)
        except clock.ClockError as exc:
            log_event(log, "clock.invalid", f"时钟文件内容无效：{exc}", level=logging.WARNING, clock_file=self.clock_file)
            return
        os.environ["XXGK_NOW"] = text  # scan subprocesses read the same day

    def reload_config(self) -> Config:
        """Pick up edits of the config file; a broken edit keeps the last good config."""
        try:
            self.cfg = load_config(self.config_path)
        except ConfigError as exc:
            log_event(log, "config.invalid", f"配置文件有误，继续使用上次的配置：{exc}", level=logging.WARNING)
        return self.cfg

    # -- scans

    def scan_argv(self) -> list[str]:
        if self.scan_command:
            return [part.replace("{config}", self.config_path) for part in self.scan_command]
        argv = [sys.executable, "-m", "monitor.cli", "scan", "--config", self.config_path, "--trigger", "schedule"]
        # The crawl stops itself before the time limit (CLOSESPIDER_TIMEOUT: last batch committed, counters written),
        # leaving time for matching and assessment; killing the scan at the limit stays the backstop.
        crawl_limit = self.scan_timeout - min(600.0, max(60.0, self.scan_timeout / 10))
        return argv + ["--timeout", f"{crawl_limit:.0f}"] if crawl_limit >= 60 else argv

    def run_scan(self) -> ScanOutcome:
        """One scheduled scan in a subprocess, with the hard timeout; never raises for scan failures."""
        self.refresh_clock()
        lock = locks.ScanLock(self.db_path, purpose="service")
        try:
            lock.acquire()
        except locks.LockHeld as exc:
            msg = f"跳过本次计划扫描：{exc}"
            log_event(log, "scan.skipped", msg, level=logging.WARNING, holder_pid=exc.holder.get("pid"))
            return ScanOutcome("skipped", None, None, msg)
        db = open_db(self.db_path)
        try:
            outcome = self._run_locked(db, lock)
            if outcome.status not in ("skipped", "interrupted"):
                self.reassess(db, outcome.scan_id)
            return outcome
        finally:
            # Again after the scan's own write: our verdict (timeout, killed) and the re-assessment count.
            metrics.write_textfile(db, self.cfg)
            db.conn.close()

    def _run_locked(self, db, lock: locks.ScanLock) -> ScanOutcome:
        try:
            before = rows(db, "SELECT COALESCE(MAX(id), 0) AS n FROM scans")[0]["n"]
            # The child adopts our lock (monitor.core.locks reads XXGK_SCAN_LOCK_FD), so a manual
            # `xxgk scan` is refused for as long as this scan, or anything left of it, runs.
            env = lock.child_env(clock.env_for_child())
            env["XXGK_SCAN_TRIGGER"] = "schedule"
            assert lock.fd is not None      # run_scan acquired the lock before calling us
            started = time.monotonic()
            proc = subprocess.Popen(self.scan_argv(), env=env, start_new_session=True, pass_fds=(lock.fd,),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.child = proc
            self.scans_started += 1
            lock.update(child_pid=proc.pid)
            output: list[str] = []
            reader = threading.Thread(target=_drain, args=(proc, output), daemon=True)
            reader.start()
            log_event(log, "scan.started", "计划扫描开始", pid=proc.pid, timeout_seconds=int(self.scan_timeout),
                      as_of=clock.today().isoformat())
            reason = self._wait(proc, started)
            kill_group(proc.pid, signal.SIGKILL)  # leftovers (the crawl worker) of an ended scan
            reader.join(5)
            self.child = None
            outcome = self._record(db, before, proc.returncode, reason, output)
            level = logging.INFO if outcome.status == "done" else logging.WARNING
            log_event(log, f"scan.{outcome.status}", outcome.message or "扫描结束", level=level,
                      scan_id=outcome.scan_id, returncode=proc.returncode,
                      seconds=round(time.monotonic() - started, 1), as_of=clock.today().isoformat())
            return outcome
        finally:
            lock.release()

    def _wait(self, proc: subprocess.Popen, started: float) -> str | None:
        """Wait for the scan; returns 'timeout' / 'shutdown' when we had to stop it, else None."""
        while True:
            try:
                proc.wait(timeout=0.2)
                return None
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - started > self.scan_timeout:
                log_event(log, "scan.timeout", f"扫描超过时限 {self.scan_timeout:.0f} 秒，正在终止",
                          level=logging.WARNING, pid=proc.pid)
                stop_group(proc, grace=min(self.stop_grace, 30.0))
                return "timeout"
            if self.stopping.is_set():
                log_event(log, "scan.stopping", f"服务正在停止：等待扫描结束（最多 {self.stop_grace:.0f} 秒）",
                          pid=proc.pid)
                try:
                    proc.wait(timeout=self.stop_grace)
                    return None
                except subprocess.TimeoutExpired:
                    stop_group(proc, grace=min(self.stop_grace, 30.0))
                    return "shutdown"

    def _record(self, db, before: int, code: int | None, reason: str | None, output: list[str]) -> ScanOutcome:
        """Make sure the scans table says what happened to the subprocess we started."""
        mine = rows(db, "SELECT * FROM scans WHERE id > ? ORDER BY id", (before,))
        tail = " ".join(line.strip() for line in output[-3:] if line.strip())[-300:]
        if reason == "timeout":
            status = "timeout"
            message = f"扫描超过时限（{self.scan_timeout / 60:.1f} 分钟），已被服务终止"
        elif reason == "shutdown":
            status, message = "interrupted", "服务停止，扫描已中止"
        elif code == 0:
            status, message = "done", ""
        elif code is not None and code < 0:
            status = "killed"
            message = f"扫描进程被信号 {signal.Signals(-code).name} 终止"
        elif code == SCAN_LOCKED_EXIT and not mine:
            return ScanOutcome("skipped", None, code, "另一个扫描正在进行，本次计划扫描已跳过")
        else:
            status, message = "failed", f"扫描进程异常退出（退出码 {code}）" + (f"：{tail}" if tail else "")
        now = clock.now_iso()
        if not mine:
            if status == "done":
                return ScanOutcome("done", None, code, "扫描完成（未生成扫描记录）")
            cur = db.execute(
                "INSERT INTO scans (started_at, finished_at, wall_started_at, status, trigger, message) "
                "VALUES (?,?,?,?,?,?)",
                (now, now, datetime.now().astimezone().isoformat(timespec="seconds"), status, "schedule", message))
            return ScanOutcome(status, cur.lastrowid, code, message)
        row = mine[-1]
        if reason in ("timeout", "shutdown") or row["status"] == "running":
            # Our verdict wins over what a terminated scan managed to write ('interrupted', 'failed').
            db.execute("UPDATE scans SET status=?, finished_at=COALESCE(finished_at, ?), message=? WHERE id=?",
                       (status, now, message, row["id"]))
            return ScanOutcome(status, row["id"], code, message)
        return ScanOutcome(row["status"], row["id"], code, row.get("message") or message)

    def reassess(self, db, scan_id: int | None) -> None:
        """Statuses move with the calendar even when a scan failed: assess every item as of today."""
        from monitor.assess import assess_all, store_assessments

        cfg = self.reload_config()
        today = clock.today()
        last_done = rows(db, "SELECT id FROM scans WHERE status='done' ORDER BY id DESC LIMIT 1")
        statuses = assess_all(db, cfg, today)
        store_assessments(db, statuses, today, scan_id if scan_id else (last_done[0]["id"] if last_done else None))
        log_event(log, "assess.done", "已重新评估各事项状态", as_of=today.isoformat(), items=len(statuses))

    # -- digest

    def run_digest(self) -> None:
        from monitor.notify import run_notifications

        self.refresh_clock()
        cfg = self.reload_config()
        if not cfg.notifications.enabled:
            log_event(log, "digest.disabled", "配置中关闭了通知（notifications.enabled: false）")
            return
        today = clock.today()
        try:
            digest_day = cfg.schedule.is_digest_day(today)
        except WorkdayError as exc:
            # Better a digest on a holiday than none for weeks: send, and say why.
            log_event(log, "digest.calendar_unknown", f"{exc}；无法判断今天是否工作日，照常发送摘要",
                      level=logging.WARNING, as_of=today.isoformat())
            digest_day = True
        if not digest_day:
            log_event(log, "digest.not_workday",
                      f"{today.isoformat()} 不是工作日（schedule.digest_on: workdays），今天不发送摘要",
                      as_of=today.isoformat())
            return
        if not self._wait_for_scan():
            return
        db = open_db(self.db_path)
        try:
            result = run_notifications(db, cfg, db_path=self.db_path)
        finally:
            metrics.write_textfile(db, cfg)  # deliveries and pending retries, for node_exporter
            db.conn.close()
        log_event(log, "digest.done", "通知任务完成", as_of=result.as_of.isoformat(), no_data=result.no_data,
                  sent=len(result.sent),
                  failed=len(result.failed), retried=len(result.retried), waiting=len(result.waiting),
                  skipped_today=len(result.plan.skipped_today))


    def _wait_for_scan(self) -> bool:
        """A scan that is still crawling, matching or assessing leaves statuses half-done (before the
        first matching everything looks "missing"): the digest waits for it. False = give up."""
        deadline = time.monotonic() + self.scan_timeout + self.stop_grace + 60
        announced = False
        while locks.holder(self.db_path) is not None:
            if not announced:
                log_event(log, "digest.waiting", "扫描进行中，通知等扫描结束后再发送")
                announced = True
            if self.stopping.is_set() or time.monotonic() > deadline:
                log_event(log, "digest.postponed", "扫描仍未结束，本次通知推迟到下次", level=logging.WARNING)
                return False
            time.sleep(1.0)
        return True


def _drain(proc: subprocess.Popen, sink: list[str]) -> None:
    """Read the scan's output (so a full pipe never blocks it) and log it line by line."""
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            sink.append(line)
            del sink[:-50]
            log.info(line, extra={"event": "scan.output", "pid": proc.pid})


_SERVICE: Service | None = None


def scan_job() -> None:
    """APScheduler entry point (referenced by name in the job store)."""
    if _SERVICE is None or _SERVICE.stopping.is_set():
        return
    try:
        _SERVICE.run_scan()
    except Exception:  # noqa: BLE001 - the service must survive anything one scan does
        log.exception("计划扫描出错", extra={"event": "scan.error"})


def digest_job() -> None:
    if _SERVICE is None or _SERVICE.stopping.is_set():
        return
    try:
        _SERVICE.run_digest()
    except Exception:  # noqa: BLE001
        log.exception("通知任务出错", extra={"event": "digest.error"})


# ---------------------------------------------------------------- scheduling

def make_trigger(cron: str | None, every: float | None, tz) -> tuple[Any, str]:
    """(trigger, spec). The spec is stored as the job's name: an unchanged spec keeps the persisted
    job (and its missed run) across restarts; a changed one replaces it. Cron lines are read as crontab(5)
    reads them (monitor.core.crontab: Sunday = 0 or 7, day-of-month OR day-of-week)."""
    if every:
        return IntervalTrigger(seconds=every, timezone=tz), f"every {every:g}s"
    assert cron
    # "crontab", not the former "cron": jobs saved with APScheduler's own reading (weekdays a day off)
    # carry the old name and are replaced on the first start.
    return crontab.parse(cron).trigger(tz), f"crontab {cron} {tz}"


def build_scheduler(service: Service, *, scan_every: float | None = None, digest_every: float | None = None
                    ) -> BackgroundScheduler:
    """Start (paused) a scheduler on our job store with the scan and digest jobs reconciled."""
    global _STARTED_AT
    _STARTED_AT = time.time()
    tz = clock.timezone()
    scheduler = BackgroundScheduler(
        timezone=tz,
        jobstores={"default": SQLiteJobStore(service.db_path)},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    wanted = {
        "scan": ("monitor.service:scan_job",
                 make_trigger(service.cfg.schedule.scan, scan_every, tz)),
        "digest": ("monitor.service:digest_job",
                   make_trigger(service.cfg.schedule.digest, digest_every, tz)),
    }
    if not service.cfg.schedule.enabled and not scan_every:
        # schedule.enabled: false — scans are started by hand (or cron); digests still go out.
        del wanted["scan"]
        log_event(log, "job.disabled", "配置中关闭了计划扫描（schedule.enabled: false）", job="scan")
    scheduler.add_listener(_on_event, EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    scheduler.start(paused=True)
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
    for job_id, (func, (trigger, spec)) in wanted.items():
        existing = scheduler.get_job(job_id)
        if existing is not None and existing.name == spec and existing.func_ref == func:
            nxt = existing.next_run_time
            missed = nxt is not None and nxt.timestamp() < _STARTED_AT
            log_event(log, "job.kept", "沿用已保存的计划任务" + ("；停机期间错过的运行将补跑一次" if missed else ""),
                      job=job_id, spec=spec, next_run=nxt.isoformat() if nxt else None, missed=missed)
            continue
        first_run = undefined
        if job_id == "scan" and existing is None and not _has_done_scan(service.db_path):
            # A new installation should not wait until tonight for its first data.
            first_run = datetime.now(tz)
            log_event(log, "job.first_scan", "数据库中还没有完成的扫描：立即开始首次扫描", job=job_id)
        scheduler.add_job(func, trigger, id=job_id, name=spec, replace_existing=True, next_run_time=first_run)
    return scheduler


def _has_done_scan(db_path: str) -> bool:
    db = open_db(db_path)
    try:
        return bool(rows(db, "SELECT 1 FROM scans WHERE status='done' LIMIT 1"))
    finally:
        db.conn.close()


_STARTED_AT: float = time.time()


def _on_event(event) -> None:
    if isinstance(event, JobSubmissionEvent) and event.scheduled_run_times:
        scheduled = event.scheduled_run_times[-1]
        late = (datetime.now(scheduled.tzinfo) - scheduled).total_seconds()
        # A run due before this service started was missed while it was down: made up now (once,
        # however many were missed: coalesce=True). Judge by the earliest coalesced time: on a slow
        # start-up another tick may pass before the scheduler runs, and the latest time is then new.
        catch_up = event.scheduled_run_times[0].timestamp() < _STARTED_AT
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log_event(log, "job.overlap_skipped", "上一次任务仍在运行，本次跳过", level=logging.WARNING,
                      job=event.job_id, scheduled_for=scheduled.isoformat())
            return
        log_event(log, "job.submitted", "计划任务开始", job=event.job_id, scheduled_for=scheduled.isoformat(),
                  late_seconds=round(late, 1), catch_up=catch_up)
    elif event.code == EVENT_JOB_MISSED:
        log_event(log, "job.missed", "错过的任务超过补跑时限，已跳过", level=logging.WARNING, job=event.job_id,
                  scheduled_for=event.scheduled_run_time.isoformat())


# ---------------------------------------------------------------- dashboard

def start_dashboard(cfg: Config, config_path: str, host: str, port: int):
    """Serve the dashboard in a thread; returns the running uvicorn server, or None (it could not listen)."""
    import uvicorn

    from monitor.dashboard.app import create_app

    app = create_app(cfg, config_path=Path(config_path).absolute())
    # proxy_headers off: the dashboard itself decides whose X-Forwarded-For to believe
    # (dashboard.trusted_proxies); uvicorn's default would trust any client on 127.0.0.1.
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, name="dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        # e.g. the port is taken: the scans and notifications matter more than the dashboard
        log_event(log, "dashboard.failed", f"看板无法在 {host}:{port} 启动（端口被占用？），服务继续运行",
                  level=logging.ERROR, host=host, port=port)
        server.should_exit = True
        return None
    return server


# ---------------------------------------------------------------- the service (`xxgk run`)

def run_service(cfg: Config, config_path: str, *, no_dashboard: bool = False, host: str | None = None,
                port: int | None = None, log_file: str | None = None, log_format: str = "kv",
                scan_every: float | None = None, digest_every: float | None = None,
                scan_timeout: float | None = None, stop_grace: float = 30.0, clock_file: str | None = None,
                scan_command: str | None = None) -> None:
    """Run the scheduler (and the dashboard) until SIGTERM/SIGINT. ``UserError`` (exit 4) when another
    service holds this database, (exit 2) when a schedule's cron expression is wrong."""
    global _SERVICE
    if cfg.uses_postgres:
        # The in-process scheduler keeps its jobs in the school's SQLite file; a PostgreSQL store belongs to a
        # fleet, whose scheduler and workers run the same jobs (docs/fleet.md).
        raise UserError(f"数据库 {cfg.database_label} 是 PostgreSQL：单所学校的 xxgk run 只用 SQLite 文件；"
                        "PostgreSQL 用于集群，请用 xxgk fleet run 调度、xxgk worker 执行", code=2)
    if cfg.timezone:
        clock.set_timezone(cfg.timezone)
    setup_logging(log_file, fmt=log_format)
    timeout = scan_timeout or float(cfg.schedule.scan_timeout_minutes) * 60
    service = Service(config_path=str(config_path), cfg=cfg, db_path=str(cfg.database_path), scan_timeout=timeout,
                      clock_file=clock_file, scan_command=shlex.split(scan_command) if scan_command else None,
                      stop_grace=stop_grace)
    service.refresh_clock()
    # One service per database: a second `xxgk run` would double every job.
    instance = locks.ScanLock(service.db_path, purpose="xxgk run", name="service")
    try:
        instance.acquire()
    except locks.LockHeld as exc:
        pid = exc.holder.get("pid")
        raise UserError(f"另一个监测服务已在运行（进程 {pid or '?'}，数据库 {service.db_path}）；请先停止它",
                        code=4) from None
    _SERVICE = service
    try:
        scheduler = build_scheduler(service, scan_every=scan_every, digest_every=digest_every)
    except ValueError as exc:
        instance.release()
        raise UserError("计划设置有误（schedule.scan / schedule.digest 应为 cron 表达式，如 \"30 2 * * *\"）："
                        f"{exc}") from None
    server = None
    if not no_dashboard:
        host = host or cfg.dashboard.host
        port = port or cfg.dashboard.port
        server = start_dashboard(cfg, str(config_path), host, port)
        if server is not None:
            log_event(log, "dashboard.started", f"看板已启动：http://{host}:{port}/", host=host, port=port)

    def _stop(signum, frame):
        if not service.stopping.is_set():
            log_event(log, "service.stopping", "收到停止信号，正在停止服务", signal=signal.Signals(signum).name)
        service.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler.resume()
    jobs = {j.id: j.next_run_time.isoformat() if j.next_run_time else None for j in scheduler.get_jobs()}
    log_event(log, "service.started", "监测服务已启动", pid=os.getpid(), db=service.db_path,
              clock=clock.now_iso(), next_scan=jobs.get("scan"), next_digest=jobs.get("digest"))
    while not service.stopping.wait(1.0):
        pass
    scheduler.pause()
    # Running jobs see `stopping`: a scan gets --stop-grace seconds, then is stopped and recorded.
    scheduler.shutdown(wait=True)
    if server is not None:
        server.should_exit = True
        for t in threading.enumerate():
            if t.name == "dashboard":
                t.join(10)
    log_event(log, "service.stopped", "监测服务已停止", scans_started=service.scans_started)
    instance.release()
