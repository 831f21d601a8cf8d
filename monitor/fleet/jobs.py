"""One fleet job on a worker: the school's lock, the same subprocess a single school runs, the job's record.

A scan job runs ``python -m monitor.cli scan --config <school> --trigger fleet`` (crawl, matching, assessment,
compliance checks: what `xxgk scan` does for one school), then writes the school into the fleet's summary for
the provincial overview; a digest job runs ``python -m monitor.cli notify --config <school>``. Each runs in its
own process group with the school's environment (:attr:`School.env`: its place in the fleet's store) and its
time limit: past it the group gets SIGTERM, then SIGKILL. The subprocess dies with the worker process that
started it (``PR_SET_PDEATHSIG``), so a killed worker leaves no scan running that the job's next copy races.

A scan killed half-way is not lost: its batches are committed, the scan row is marked ``interrupted`` by the
next scan of the school (``monitor.scan``), and the next crawl fetches the rest.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from monitor.config import FLEET_DATABASE_ENV
from monitor.core import clock
from monitor.core.procs import kill_group, stop_group
from monitor.core.vocab import SCAN_STATE
from monitor.fleet.fleetfile import Fleet, School, load_school, school_environment
from monitor.fleet.locks import SchoolLock, describe_token
from monitor.fleet.records import Records
from monitor.overview.summary import publish_school
from monitor.store import open_db, rows

log = logging.getLogger("monitor.fleet")

STOP_GRACE_SECONDS = 30.0
# Exit codes of `xxgk scan` / `xxgk notify`: 3 = the scan did not finish / a notification failed,
# 4 = another scan or digest of this database holds the local lock (monitor.core.locks).
NOT_FINISHED_EXIT = 3
LOCKED_EXIT = 4

_PR_SET_PDEATHSIG = 1
_prctl: Any = None
if sys.platform.startswith("linux"):
    try:
        _prctl = ctypes.CDLL(None, use_errno=True).prctl   # looked up before fork: the child only calls it
    except (OSError, AttributeError):
        _prctl = None


class SchoolBusy(RuntimeError):
    """Another job of the school runs (its lock is held, here or on another machine): try again later."""

    def __init__(self, holder: str | None) -> None:
        self.holder = holder
        super().__init__(f"学校另一任务正在进行：{describe_token(holder)}")


@dataclass(frozen=True)
class JobOutcome:
    state: str                  # done | failed | timeout, or "duplicate": the job had already finished
    result: str
    scan_id: int | None = None
    attempt: int = 0


def scan_argv(school: School) -> list[str]:
    """`xxgk scan` for a school, its crawl told to stop before the job's limit so matching and assessment
    still fit (the same margin the single-school service leaves, monitor/service.py ``scan_argv``)."""
    argv = [sys.executable, "-m", "monitor.cli", "scan", "--config", str(school.config_path), "--trigger", "fleet"]
    crawl_limit = school.time_limit - min(600.0, max(60.0, school.time_limit / 10))
    return argv + ["--timeout", f"{crawl_limit:.0f}"] if crawl_limit >= 60 else argv


def digest_argv(school: School) -> list[str]:
    return [sys.executable, "-m", "monitor.cli", "notify", "--config", str(school.config_path)]


def school_env(school: School) -> dict[str, str]:
    """The environment of a school's subprocess: this worker's (clock included), the school's place in the
    fleet's store instead of any the worker itself was started with."""
    env = clock.env_for_child()
    env.pop(FLEET_DATABASE_ENV, None)
    env.update(dict(school.env))
    env.setdefault("XXGK_PROGRESS", "0")
    env.setdefault("MALLOC_ARENA_MAX", "2")
    return env


def run_job(fleet: Fleet, key: str, kind: str, job_id: str, worker: str, client: Any) -> JobOutcome:
    """Run one job to its end and record it; :class:`SchoolBusy` when the school's lock is taken (nothing is
    run, the record says ``waiting``). A job whose record says it finished is not run again."""
    records = Records(client, fleet.redis_prefix())
    record = records.get(job_id)
    if record is not None and record.finished:
        log.info("任务 %s 已完成，跳过重复投递的副本", job_id, extra={"event": "fleet.duplicate", "job": job_id})
        return JobOutcome("duplicate", record.result, record.scan_id, record.attempts)
    if record is None:                       # enqueued by something that wrote no record: record it now
        records.create(job_id, key, kind, "manual")
    try:
        school = fleet.school(key)
    except KeyError:
        result = f"本机的集群文件 {fleet.path} 中没有学校 {key}"
        records.finish(job_id, "failed", result)
        return JobOutcome("failed", result)
    lock = SchoolLock(client, fleet.redis_prefix(), key, f"{job_id}|{worker}", fleet.lock_ttl)
    if not lock.acquire():
        holder = lock.holder()
        records.update(job_id, state="waiting", result=f"等待：学校另一任务正在进行（{describe_token(holder)}）")
        raise SchoolBusy(holder)
    try:
        attempt = records.start(job_id, worker)
        log.info("任务开始：%s", job_id, extra={"event": "fleet.job_started", "job": job_id, "school": key,
                                                "kind": kind, "attempt": attempt})
        with lock.kept_alive():
            if kind == "scan":
                finished = _before_scan(records, job_id, school)
                if finished is not None:
                    # a lost worker's attempt had finished the scan (assessment stored) before it could record
                    # it: this copy records that scan instead of crawling the school a second time
                    result = f"扫描 #{finished} 已在上次尝试中完成（执行它的 worker 在记录结果前中断），不再重复扫描"
                    publish(fleet, school)
                    records.finish(job_id, "done", result, finished)
                    return JobOutcome("done", result, finished, attempt)
            argv = scan_argv(school) if kind == "scan" else digest_argv(school)
            run = _run(argv, school_env(school), school.time_limit, lock.lost, key)
        if run.returncode == LOCKED_EXIT and run.reason is None:
            records.update(job_id, state="waiting", result="等待：本机另一个扫描或通知任务正在使用该校数据库")
            raise SchoolBusy(None)
        outcome = _scan_outcome(school, run) if kind == "scan" else _digest_outcome(run)
        outcome = JobOutcome(outcome.state, outcome.result, outcome.scan_id, attempt)
        if kind == "scan" and outcome.state == "done":
            publish(fleet, school)
        records.finish(job_id, outcome.state, outcome.result, outcome.scan_id)
        log.info("任务结束：%s %s", job_id, outcome.result,
                 extra={"event": f"fleet.job_{outcome.state}", "job": job_id, "school": key, "kind": kind})
        return outcome
    finally:
        lock.release()


def publish(fleet: Fleet, school: School) -> None:
    """The school's statuses into the fleet's summary (the provincial overview); never fails the job."""
    try:
        with school_environment(school):
            publish_school(fleet.database, school.key, school.config_path)
    except Exception:  # noqa: BLE001 - the overview must not break a scan: log and go on
        log.exception("学校 %s 的汇总未能写入省级总览", school.key, extra={"event": "fleet.publish_failed"})


# ---------------------------------------------------------------- the subprocess

@dataclass(frozen=True)
class _Run:
    returncode: int | None
    reason: str | None          # "timeout" | "lock_lost" when we stopped it, else None
    output: list[str]
    seconds: float


def _die_with_parent(parent: int) -> Any:
    def preexec() -> None:
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:   # the worker died before the request took effect
            os._exit(3)
    return preexec


def _run(argv: list[str], env: dict[str, str], limit: float, lost: threading.Event, key: str) -> _Run:
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=_die_with_parent(os.getpid()))
    tail: deque[str] = deque(maxlen=40)
    reader = threading.Thread(target=_drain, args=(proc, tail, key), daemon=True)
    reader.start()
    reason: str | None = None
    while True:
        try:
            proc.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() - started > limit:
            reason = "timeout"
        elif lost.is_set():
            reason = "lock_lost"
        if reason:
            stop_group(proc, STOP_GRACE_SECONDS)
            break
    kill_group(proc.pid, signal.SIGKILL)   # leftovers of an ended job (a crawl still shutting down)
    reader.join(5)
    return _Run(proc.returncode, reason, list(tail), time.monotonic() - started)


def _drain(proc: subprocess.Popen, tail: deque[str], key: str) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line)
            log.info(line, extra={"event": "fleet.output", "school": key, "pid": proc.pid})


def _tail(run: _Run) -> str:
    return " ".join(line.strip() for line in run.output[-3:])[-300:]


def _stopped(run: _Run) -> JobOutcome | None:
    if run.reason == "timeout":
        took = f"{run.seconds / 60:.0f} 分钟" if run.seconds >= 120 else f"{run.seconds:.0f} 秒"
        return JobOutcome("timeout", f"超过时限（运行 {took}），已终止")
    if run.reason == "lock_lost":
        return JobOutcome("failed", "学校锁已失效（超过 lock_ttl_seconds 未能续期），任务已停止")
    if run.returncode is not None and run.returncode < 0:
        return JobOutcome("failed", f"进程被信号 {signal.Signals(-run.returncode).name} 终止")
    return None


def _scan_outcome(school: School, run: _Run) -> JobOutcome:
    scan = _latest_scan(school)
    stopped = _stopped(run)
    if stopped is not None:
        return JobOutcome(stopped.state, stopped.result, scan["id"] if scan else None)
    if scan is None or run.returncode not in (0, NOT_FINISHED_EXIT):
        return JobOutcome("failed", f"扫描进程异常退出（退出码 {run.returncode}）：{_tail(run)}",
                          scan["id"] if scan else None)
    label = SCAN_STATE.label.get(scan["status"], scan["status"])
    pages = int(scan["pages_fetched"] or 0) + int(scan["not_modified"] or 0)
    result = f"扫描 #{scan['id']} {label}：页面 {pages}，错误 {scan['errors'] or 0}，用时 {run.seconds:.0f} 秒"
    statuses = next((line.strip() for line in run.output if line.strip().startswith("事项状态：")), "")
    if statuses:
        result += f"；{statuses}"
    return JobOutcome("done" if run.returncode == 0 else "failed", result, int(scan["id"]))


def _latest_scan(school: School) -> dict | None:
    try:
        cfg = load_school(school)
        db = open_db(cfg.database_target)
    except Exception:  # noqa: BLE001 - the store unreachable: the job's result says the scan failed
        log.exception("无法读取学校 %s 的扫描记录", school.key, extra={"event": "fleet.store_unreachable"})
        return None
    try:
        found = rows(db, "SELECT id, status, pages_fetched, not_modified, errors FROM scans ORDER BY id DESC LIMIT 1")
        return found[0] if found else None
    finally:
        db.close()


def _before_scan(records: Records, job_id: str, school: School) -> int | None:
    """Before a scan job crawls, in the school's store (one open):

    * Scan rows still ``running`` belong to a job that died (its worker lost): under the school lock no other
      job of the school runs anywhere. `xxgk scan` marks such rows itself when their crawl's pid is gone
      (``monitor.scan``), but that pid is from the machine that ran it: on another machine it may be alive by
      chance. Mark them here. (A manual `xxgk scan` of a fleet school is the one thing this cannot see: in a
      fleet, start scans with `xxgk fleet enqueue`.)
    * The scan a previous attempt of this job completed, assessment included, is returned (else None): the
      first attempt notes the school's latest scan id in the record (``scan_before``); a later attempt finding a
      newer ``done`` scan of the fleet with stored assessments knows that attempt got to the end."""
    try:
        cfg = load_school(school)
        db = open_db(cfg.database_target)
    except Exception:  # noqa: BLE001 - the store unreachable: the scan itself will say so
        return None
    try:
        db.execute("UPDATE scans SET status='interrupted', message=COALESCE(message, ?) WHERE status='running'",
                   ("扫描进程已不存在（集群 worker 中断）",))
        latest = rows(db, "SELECT MAX(id) AS id FROM scans")[0]["id"] or 0
        before = records.note_once(job_id, "scan_before", str(latest))
        done = rows(db, "SELECT s.id FROM scans s WHERE s.id > ? AND s.status = 'done' AND s.trigger = 'fleet' "
                        "AND EXISTS (SELECT 1 FROM assessments a WHERE a.scan_id = s.id) ORDER BY s.id DESC LIMIT 1",
                    (int(before),))
        return int(done[0]["id"]) if done else None
    finally:
        db.close()


def _digest_outcome(run: _Run) -> JobOutcome:
    stopped = _stopped(run)
    if stopped is not None:
        return stopped
    last = run.output[-1].strip()[:200] if run.output else ""
    if run.returncode == 0:
        return JobOutcome("done", last or "通知任务完成")
    if run.returncode == NOT_FINISHED_EXIT:
        return JobOutcome("failed", f"部分通知发送失败，下次发送时重试：{last}")
    return JobOutcome("failed", f"通知进程异常退出（退出码 {run.returncode}）：{_tail(run)}")

