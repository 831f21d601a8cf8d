"""Prometheus metrics of one school: the last scan, item statuses, deliveries, open findings.

One computation (:func:`collect`) read from the stored rows (scans, assessments, notifications, findings),
two ways out: the dashboard's ``/metrics`` route and a node_exporter textfile (``metrics.textfile``), written
atomically by :func:`write_textfile` after every scan (monitor/scan.py, monitor/service.py) and every digest run
of the service. Text exposition format 0.0.4 written by hand (no prometheus-client dependency). Every metric
carries the ``school`` label, so one Prometheus can watch several schools.
"""
from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from monitor.config import Config
from monitor.core.logging import log_event
from monitor.core.vocab import NOTIFY_STATE, PII_KIND, SCAN_STATE, STATUS
from monitor.store import rows
from monitor.store.engine import Database

log = logging.getLogger("monitor.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The textfile holds counts and the school's name, nothing private: node_exporter (another account) reads it.
TEXTFILE_MODE = 0o644


@dataclass
class Family:
    name: str
    kind: str                   # gauge | counter
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float | None, **labels: str) -> None:
        if value is not None:   # unknown (no scan yet): the series is absent, not a misleading 0
            self.samples.append((labels, float(value)))


def _ts(text: str | None) -> float | None:
    """Unix seconds of a stored ISO time (with offset); None when missing or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _wall_finish(scan: dict) -> float | None:
    """Real finish time of a scan: ``finished_at`` is product-clock time (``--now`` replays a past day), so it
    is moved by the gap between the clock start and the real start (``wall_started_at``)."""
    finished, started, wall = _ts(scan.get("finished_at")), _ts(scan.get("started_at")), _ts(scan.get("wall_started_at"))
    if finished is None:
        return None
    if started is None or wall is None:
        return finished
    return wall + max(0.0, finished - started)


def collect(db: Database, cfg: Config) -> list[Family]:
    """Every metric family, from the database as it is now."""
    school = cfg.school
    out: list[Family] = []

    def family(name: str, kind: str, help_: str) -> Family:
        fam = Family(f"xxgk_{name}", kind, help_)
        out.append(fam)
        return fam

    latest = rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")
    finished = rows(db, "SELECT * FROM scans WHERE status != 'running' ORDER BY id DESC LIMIT 1")
    done = rows(db, "SELECT * FROM scans WHERE status = 'done' ORDER BY id DESC LIMIT 1")
    last = finished[0] if finished else None
    start = latest[0] if latest else None

    family("scan_last_start_timestamp_seconds", "gauge", "最近一次扫描的开始时间（Unix 秒，含进行中的扫描）").add(
        (_ts(start.get("wall_started_at")) or _ts(start["started_at"])) if start else None, school=school)
    family("scan_running", "gauge", "是否有扫描正在进行（1 是，0 否）").add(
        1 if start and start["status"] == "running" else 0, school=school)
    family("scan_last_finish_timestamp_seconds", "gauge", "最近一次已结束扫描的结束时间（Unix 秒）").add(
        _wall_finish(last) if last else None, school=school)
    family("scan_last_success_timestamp_seconds", "gauge", "最近一次成功完成的扫描的结束时间（Unix 秒）").add(
        _wall_finish(done[0]) if done else None, school=school)
    result = family("scan_last_result", "gauge", "最近一次已结束扫描的结果（取值为 1 的 state 即结果）")
    if last is not None:
        for state in SCAN_STATE.order:
            if state != "running":
                result.add(1 if last["status"] == state else 0, school=school, state=state)
    duration = None
    if last is not None:
        began, ended = _ts(last["started_at"]), _ts(last.get("finished_at"))
        duration = max(0.0, ended - began) if began is not None and ended is not None else None
    family("scan_last_duration_seconds", "gauge", "最近一次已结束扫描用时（秒）").add(duration, school=school)
    for column, name, help_ in (
            ("pages_fetched", "scan_last_pages_fetched", "最近一次已结束扫描抓取的页面数（HTTP 200）"),
            ("not_modified", "scan_last_pages_not_modified", "最近一次已结束扫描中未变的页面数（HTTP 304）"),
            ("pages_changed", "scan_last_pages_changed", "最近一次已结束扫描中内容变化的页面数"),
            ("errors", "scan_last_errors", "最近一次已结束扫描的抓取错误数")):
        family(name, "gauge", help_).add((last.get(column) or 0) if last else None, school=school)
    limits = None
    if last is not None:
        try:
            limits = len(json.loads(last.get("limits_hit") or "[]"))
        except ValueError:
            limits = 0
    family("scan_last_limits_hit", "gauge", "最近一次已结束扫描触及的抓取限制条数").add(limits, school=school)

    # Item statuses: the newest stored assessment day (written after every scan and re-assessment).
    active = {it.id for it in cfg.catalog_obj.items if not it.ignore}
    day = db.execute("SELECT MAX(as_of) FROM assessments").fetchone()[0]
    counts = dict.fromkeys(STATUS.order, 0)
    computed = None
    if day is not None:
        for r in rows(db, "SELECT item_id, status, computed_at FROM assessments WHERE as_of = ?", (day,)):
            if r["item_id"] in active and r["status"] in counts:
                counts[r["status"]] += 1
                computed = max(computed or "", r["computed_at"] or "") or None
    items = family("items", "gauge", "各状态的事项数（最近一次评估）")
    if day is not None:
        for status, n in counts.items():
            items.add(n, school=school, status=status)
    family("assessment_last_timestamp_seconds", "gauge", "最近一次评估的计算时间（Unix 秒）").add(
        _ts(computed), school=school)

    # Deliveries: the notifications log (monitor.notify.deliver).
    by_state = dict.fromkeys(NOTIFY_STATE.order, 0)
    for r in rows(db, "SELECT status, COUNT(*) AS n FROM notifications GROUP BY status"):
        if r["status"] in by_state:
            by_state[r["status"]] = r["n"]
    notes = family("notifications", "gauge", "通知记录中各发送状态的消息数")
    for state, n in by_state.items():
        notes.add(n, school=school, status=state)
    family("notifications_pending_retries", "gauge", "等待下次推送任务发送或重试的消息数").add(
        by_state["pending"] + by_state["failed"], school=school)
    failed_tries = db.execute(
        "SELECT COALESCE(SUM(attempts - (status = 'sent')), 0) FROM notifications").fetchone()[0]
    family("notifications_failed_attempts_total", "counter", "发送失败的尝试次数（累计）").add(
        max(0, failed_tries), school=school)

    open_findings = dict.fromkeys(PII_KIND.order, 0)
    for r in rows(db, "SELECT kind, COUNT(*) AS n FROM findings WHERE status = 'open' GROUP BY kind"):
        if r["kind"] in open_findings:
            open_findings[r["kind"]] = r["n"]
    found = family("findings_open", "gauge", "未处理的个人信息泄露发现数")
    for kind, n in open_findings.items():
        found.add(n, school=school, kind=kind)
    return out


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 2 ** 53 else repr(value)


def render(families: list[Family]) -> str:
    """The Prometheus text exposition (HELP and TYPE lines, one line per sample)."""
    lines: list[str] = []
    for fam in families:
        lines.append(f"# HELP {fam.name} {fam.help.replace(chr(92), chr(92) * 2).replace(chr(10), ' ')}")
        lines.append(f"# TYPE {fam.name} {fam.kind}")
        for labels, value in fam.samples:
            text = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            lines.append(f"{fam.name}{{{text}}} {_number(value)}" if text else f"{fam.name} {_number(value)}")
    return "\n".join(lines) + "\n"


def exposition(db: Database, cfg: Config) -> str:
    return render(collect(db, cfg))


def textfile_path(cfg: Config) -> Path | None:
    """``metrics.textfile`` resolved against the config's folder, or None (off)."""
    return cfg.resolve(cfg.metrics.textfile) if cfg.metrics.textfile else None


def write_textfile(db: Database, cfg: Config) -> Path | None:
    """Replace the node_exporter textfile (when configured) in one rename, so the collector never reads half a
    file. Never raises: a missing collector folder must not fail a scan or a digest; it is logged instead."""
    path = textfile_path(cfg)
    if path is None:
        return None
    # node_exporter reads only *.prom: the temporary name is never collected.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        text = exposition(db, cfg)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, TEXTFILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, TEXTFILE_MODE)  # os.open's mode is filtered by the umask (077 for every command)
        os.replace(tmp, path)
    except Exception as exc:  # noqa: BLE001 - metrics are a side channel: never the reason a job fails
        tmp.unlink(missing_ok=True)
        log_event(log, "metrics.failed", f"无法写入监控指标文件 {path}：{exc}", level=logging.WARNING, path=str(path))
        return None
    return path
