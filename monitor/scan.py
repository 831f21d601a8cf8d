"""`xxgk scan`: one scan = one crawl subprocess, then matching, assessment and compliance checks.

The crawl runs in its own process (``crawler.worker``) so a hung or crashing spider cannot take
down the caller (a long-lived service, the dashboard). A scan left ``running`` by a process that no
longer exists (SIGKILL, power cut) is marked ``interrupted`` by the next scan; its batches are
already committed, so nothing it stored is lost, and the next crawl re-fetches the rest.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import click

from crawler.worker import PARENT_PID_ENV
from monitor.cli import config_option, fail, now_option
from monitor.core import clock
from monitor.core.locks import LockHeld, ScanLock
from monitor.store import open_db, rows

TERMINATE_GRACE_SECONDS = 20


@dataclass
class ScanResult:
    scan_id: int
    status: str
    row: dict
    post: dict[str, Any] = field(default_factory=dict)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as dead.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def mark_interrupted(db) -> int:
    """Scans still 'running' whose crawl process is gone were killed: say so."""
    n = 0
    for scan in rows(db, "SELECT id, pid FROM scans WHERE status = 'running'"):
        if not pid_alive(scan["pid"]):
            db.execute("UPDATE scans SET status='interrupted', message=COALESCE(message, '扫描进程已不存在（被终止）') "
                       "WHERE id=?", (scan["id"],))
            n += 1
    return n


def _start_row(db, trigger: str) -> int:
    cur = db.execute(
        "INSERT INTO scans (started_at, wall_started_at, status, trigger) VALUES (?,?,?,?)",
        (clock.now_iso(), datetime.now().astimezone().isoformat(timespec="seconds"), "running", trigger))
    return cur.lastrowid


def run_scan(cfg: Any, *, trigger: str = "cli", timeout: float | None = None, post: bool = True) -> ScanResult:
    """Run one scan of every configured site and return its stored row."""
    db = open_db(cfg.database_path)
    # Raises LockHeld when another scan of this database runs (the service hands its lock to the
    # `xxgk scan` it starts, so that one is adopted instead of refused).
    with ScanLock(cfg.database_path, purpose=f"scan:{trigger}") as lock:
        # Only under the lock: a row another scan has just inserted (its pid not yet written)
        # must not be taken for a dead one.
        mark_interrupted(db)
        scan_id = _start_row(db, trigger)
        lock.update(scan_id=scan_id)
        cmd = [sys.executable, "-m", "crawler.worker", "--config", str(cfg.path), "--scan-id", str(scan_id)]
        env = clock.env_for_child()
        # The crawl uses a few threads (extraction, store writer); glibc gives each its own malloc
        # arena, which multiplies resident memory for no gain. Two arenas are plenty.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        # The crawl holds the scan lock with us (the same open file description, so the lock lives as
        # long as either process) and dies with us (crawler.worker asks the kernel for a signal when its
        # parent dies): a killed `xxgk scan` can never leave a crawl running that the next scan races.
        env[PARENT_PID_ENV] = str(os.getpid())
        proc = subprocess.Popen(cmd, env=env, pass_fds=(lock.fd,) if lock.fd is not None else ())
        db.execute("UPDATE scans SET pid=? WHERE id=?", (proc.pid, scan_id))
        previous = {}

        def _forward(signum, frame):  # stop the crawl cleanly: Scrapy finishes in-flight batches
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                previous[sig] = signal.signal(sig, _forward)
            except ValueError:  # not the main thread: the caller handles signals
                pass
        try:
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(TERMINATE_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                db.execute("UPDATE scans SET status='timeout', finished_at=?, message=? WHERE id=?",
                           (clock.now_iso(), f"超过时限 {timeout:.0f} 秒，已终止", scan_id))
                code = None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        row = rows(db, "SELECT * FROM scans WHERE id=?", (scan_id,))[0]
        if row["status"] == "running":  # the worker died without finishing its row
            status = "killed" if code is not None and code < 0 else "failed"
            db.execute("UPDATE scans SET status=?, finished_at=?, message=? WHERE id=?",
                       (status, clock.now_iso(), f"抓取进程退出码 {code}", scan_id))
            row = rows(db, "SELECT * FROM scans WHERE id=?", (scan_id,))[0]
        result = ScanResult(scan_id, row["status"], row)
        if post and row["status"] == "done":
            result.post = post_scan(db, cfg, scan_id)
        return result


def post_scan(db, cfg: Any, scan_id: int) -> dict[str, Any]:
    """After a crawl: match pages to items, assess every item as of now, run compliance checks."""
    from monitor.assess import assess_all, store_assessments
    from monitor.matching import match_all

    out: dict[str, Any] = {}
    out["matching"] = match_all(db, cfg, scan_id)
    statuses = assess_all(db, cfg, clock.today())
    store_assessments(db, statuses, clock.today(), scan_id)
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.status] = counts.get(s.status, 0) + 1
    out["statuses"] = counts
    try:
        from monitor.compliance import check_scan
    except ModuleNotFoundError as exc:
        if exc.name != "monitor.compliance":
            raise
    else:
        out["compliance"] = check_scan(db, cfg, scan_id)
    return out


def summary_lines(result: ScanResult) -> list[str]:
    r = result.row
    lines = [f"扫描 #{r['id']}（{r['started_at'][:16].replace('T', ' ')}）：{_STATUS_ZH.get(r['status'], r['status'])}",
             f"  页面 {r['pages_fetched'] + r['not_modified']}：新增 {r['pages_new']}，内容变化 {r['pages_changed']}，"
             f"未变（304）{r['not_modified']}，错误 {r['errors']}"
             + (f"；近期已核对、本次未重抓 {r['pages_skipped']}" if r.get("pages_skipped") else "")]
    limits = json.loads(r["limits_hit"] or "[]")
    for lim in limits:
        name = _LIMIT_ZH.get(lim["limit"], lim["limit"])
        if lim["limit"] == "counter_urls":
            lines.append(f"  {name}：{lim.get('count', 1)} 个")
            continue
        lines.append(f"  触及限制：{name} {lim.get('site') or ''}（{lim.get('value')}，{lim.get('count', 1)} 次）")
    m = result.post.get("matching")
    if m is not None:
        lines.append(f"  匹配：{m.items_matched}/{m.items_total} 个事项有对应页面；自动匹配 {m.auto}，待审核 {m.review}，"
                     f"人工确认 {m.confirmed}，已否决 {m.rejected}")
    statuses = result.post.get("statuses")
    if statuses:
        from monitor.assess import STATUS_LABELS
        parts = [f"{STATUS_LABELS.get(k, k)} {v}" for k, v in sorted(statuses.items(), key=lambda kv: -kv[1])]
        lines.append("  事项状态：" + "，".join(parts))
    if result.post.get("compliance") is not None:
        from monitor.compliance import summary_lines as compliance_lines
        lines.extend(compliance_lines(result.post["compliance"]))
    return lines


_STATUS_ZH = {"done": "完成", "running": "进行中", "failed": "失败", "killed": "被终止", "interrupted": "中断",
              "timeout": "超时"}
_LIMIT_ZH = {"max_pages_per_site": "单站页面上限", "max_depth": "深度上限", "trap": "疑似爬虫陷阱",
             "robots": "robots.txt 禁止", "max_download_mb": "下载大小上限", "counter_urls": "跳过的计数器地址（从不抓取）",
             "internal_address": "内网地址或非常用端口（从不访问）", "redirect_out_of_scope": "重定向到配置范围以外（已拦截）",
             "file_too_complex": "文件过大或过于复杂，已跳过"}


@click.command("scan")
@config_option
@now_option
@click.option("--timeout", type=float, default=None, help="抓取超过此秒数即终止。")
@click.option("--trigger", default="cli", show_default=True,
              help="记录由谁发起扫描（cli、schedule、dashboard、demo）。")
@click.option("--no-post", is_flag=True, help="只抓取，不做匹配、评估和合规检查。")
def scan_command(config_path: str, timeout: float | None, trigger: str, no_post: bool) -> None:
    """扫描信息公开网和各单位网站，保存页面历史并更新各事项状态。"""
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    started = time.monotonic()
    try:
        result = run_scan(cfg, trigger=trigger, timeout=timeout, post=not no_post)
    except LockHeld as exc:
        fail(f"{exc}，请稍后再试", code=4)
    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"  用时 {time.monotonic() - started:.1f} 秒；数据库 {cfg.database_path}")
    if result.status != "done":
        sys.exit(3)
