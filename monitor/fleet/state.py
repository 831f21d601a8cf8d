"""What `xxgk fleet check` and `xxgk fleet status` show (Chinese lines; the command layer prints them).

``check``: every school's config loads with its fleet database in place (``load_fleet`` has done that), the
broker answers, and every school's store can be reached: its PostgreSQL schema opened (the first open creates
it), or the folder of its SQLite file writable. ``status``: per school its last scan and digest job, their
state, worker, times and result, and who holds the school's lock now.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from monitor.config import Config, ConfigError
from monitor.core.dburl import PostgresTarget
from monitor.core.vocab import FLEET_JOB_KIND, FLEET_JOB_STATE, FLEET_JOB_TRIGGER
from monitor.fleet.fleetfile import Fleet, School, load_school
from monitor.fleet.locks import describe_token, lock_key
from monitor.fleet.records import KINDS, JobRecord, Records
from monitor.store import open_db


def safe_url(url: str) -> str:
    """A URL for messages: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class CheckLine:
    ok: bool
    text: str


def check_fleet(fleet: Fleet, client: Any) -> list[CheckLine]:
    where = fleet.database and (safe_url(fleet.database) if "://" in fleet.database else fleet.database)
    out = [CheckLine(True, f"集群 {fleet.name}：{len(fleet.schools)} 所学校，队列 {fleet.queue}，"
                           f"数据库 {where or '各校配置中的 database'}")]
    try:
        client.ping()
        out.append(CheckLine(True, f"Redis（{safe_url(fleet.broker)}）可以连接"))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the broker is the finding
        out.append(CheckLine(False, f"无法连接 Redis（{safe_url(fleet.broker)}）：{exc}"))
    for school in fleet.schools:
        cfg = load_school(school)
        problem = _store_problem(cfg)
        line = (f"{school.key}：{cfg.school}，数据库 {cfg.database_label}，时限 {school.time_limit / 60:.0f} 分钟，"
                f"扫描 {cfg.schedule.scan if cfg.schedule.enabled else '（已关闭计划扫描）'}，"
                f"通知 {cfg.schedule.digest}")
        out.append(CheckLine(problem is None, line if problem is None else f"{line}：{problem}"))
    return out


def _store_problem(cfg: Config) -> str | None:
    target = cfg.database_target
    if isinstance(target, PostgresTarget):
        try:
            db = open_db(target, migrate=False)
        except Exception as exc:  # noqa: BLE001 - whatever stops the open is the finding
            return f"无法连接数据库：{str(exc).strip()[:200]}"
        try:
            db.execute("SELECT 1").fetchall()
        finally:
            db.close()
        return None
    folder = Path(target).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"无法写入数据库所在文件夹 {folder}"
    return None


# ---------------------------------------------------------------- status

@dataclass(frozen=True)
class SchoolState:
    key: str
    name: str
    timezone: str | None
    last: dict[str, JobRecord | None]     # kind -> its latest job
    lock_holder: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"school": self.key, "name": self.name, "lock": self.lock_holder,
                "jobs": {k: (asdict(r) if r is not None else None) for k, r in self.last.items()}}


def fleet_state(fleet: Fleet, client: Any) -> list[SchoolState]:
    records = Records(client, fleet.redis_prefix())
    out = []
    for school in fleet.schools:
        cfg = _config(school)
        recent = records.recent(school.key, 50)
        last = {kind: next((r for r in recent if r.kind == kind), None) for kind in KINDS}
        holder = client.get(lock_key(fleet.redis_prefix(), school.key))
        out.append(SchoolState(school.key, cfg.school if cfg else school.key, cfg.timezone if cfg else None, last,
                               str(holder) if holder is not None else None))
    return out


def _config(school: School) -> Config | None:
    try:
        return load_school(school)
    except ConfigError:
        return None


def _when(text: str, tz: str | None) -> str:
    if not text:
        return "—"
    moment = datetime.fromisoformat(text)
    return (moment.astimezone(ZoneInfo(tz)) if tz else moment.astimezone()).strftime("%Y-%m-%d %H:%M:%S")


def status_lines(fleet: Fleet, states: list[SchoolState]) -> list[str]:
    lines = [f"集群 {fleet.name}（{safe_url(fleet.broker)}，队列 {fleet.queue}）：{len(states)} 所学校"]
    for st in states:
        busy = f"；正在运行：{describe_token(st.lock_holder)}" if st.lock_holder else ""
        lines.append(f"{st.key}（{st.name}）{busy}")
        for kind in KINDS:
            rec = st.last[kind]
            if rec is None:
                lines.append(f"  {FLEET_JOB_KIND.label[kind]}：尚无任务记录")
                continue
            state = FLEET_JOB_STATE.label.get(rec.state, rec.state)
            tries = f"，第 {rec.attempts} 次执行" if rec.attempts > 1 else ""
            lines.append(f"  {FLEET_JOB_KIND.label[kind]}：{state}{tries}（{FLEET_JOB_TRIGGER.label.get(rec.trigger, rec.trigger)}任务 "
                         f"{rec.job_id}）")
            lines.append(f"    机器 {rec.worker or '—'}；入队 {_when(rec.enqueued_at, st.timezone)}，"
                         f"开始 {_when(rec.started_at, st.timezone)}，结束 {_when(rec.finished_at, st.timezone)}")
            if rec.result:
                lines.append(f"    结果：{rec.result}")
    return lines
