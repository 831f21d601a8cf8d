"""One scan = one crawl subprocess, then matching, assessment and compliance checks (the command,
`xxgk scan`, is monitor/commands/scan.py).

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
from typing import Any

from crawler.worker import PARENT_PID_ENV
from monitor import metrics
from monitor.core import clock
from monitor.core.locks import ScanLock
from monitor.core.vocab import LIMIT, SCAN_STATE, STATUS
from monitor.store import open_db, rows
from monitor.store.pages import mark_interrupted, start_scan

TERMINATE_GRACE_SECONDS = 20


def stop_allowance(cfg: Any) -> float:
    """How long a crawl may take to stop cleanly once its time limit is reached: requests in flight (each up to
    ``crawl.timeout``), files being read, the last batch. Past it, the crawl is terminated."""
    return 60.0 + 2 * float(cfg.crawl.timeout)


@dataclass
class ScanResult:
    scan_id: int
    status: str
    row: dict
    post: dict[str, Any] = field(default_factory=dict)


def run_scan(cfg: Any, *, trigger: str = "cli", timeout: float | None = None, post: bool = True) -> ScanResult:
    """Run one scan of every configured site and return its stored row."""
    db = open_db(cfg.database_target)
    # Raises LockHeld when another scan of this database runs (the service hands its lock to the
    # `xxgk scan` it starts, so that one is adopted instead of refused).
    with ScanLock(cfg.database_path, purpose=f"scan:{trigger}") as lock:
        # Only under the lock: a row another scan has just inserted (its pid not yet written)
        # must not be taken for a dead one.
        mark_interrupted(db)
        scan_id = start_scan(db, trigger)
        lock.update(scan_id=scan_id)
        cmd = [sys.executable, "-m", "crawler.worker", "--config", str(cfg.path), "--scan-id", str(scan_id)]
        if timeout:
            # The crawl stops itself at the limit (CLOSESPIDER_TIMEOUT): requests in flight answered, the last
            # batch committed, the scan row's counters written. The kill below is only the backstop.
            cmd += ["--deadline", f"{time.time() + timeout:.3f}"]
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
                code = proc.wait(timeout=timeout + stop_allowance(cfg) if timeout else None)
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
        try:
            if post and row["status"] == "done":
                result.post = post_scan(db, cfg, scan_id)
        finally:
            # node_exporter's textfile (metrics.textfile) follows every scan, failed ones included.
            metrics.write_textfile(db, cfg)
        return result


def post_scan(db, cfg: Any, scan_id: int) -> dict[str, Any]:
    """After a crawl: match pages to items, assess every item as of now, run compliance checks."""
    from monitor.assess import assess_all, store_assessments
    from monitor.compliance.findings import check_scan
    from monitor.matching import match_all

    out: dict[str, Any] = {}
    out["matching"] = match_all(db, cfg, scan_id)
    statuses = assess_all(db, cfg, clock.today())
    store_assessments(db, statuses, clock.today(), scan_id)
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.status] = counts.get(s.status, 0) + 1
    out["statuses"] = counts
    out["compliance"] = check_scan(db, cfg, scan_id)
    return out


def summary_lines(result: ScanResult) -> list[str]:
    r = result.row
    lines = [f"扫描 #{r['id']}（{r['started_at'][:16].replace('T', ' ')}）：{SCAN_STATE.label.get(r['status'], r['status'])}",
             f"  页面 {r['pages_fetched'] + r['not_modified']}：新增 {r['pages_new']}，内容变化 {r['pages_changed']}，"
             f"未变（304）{r['not_modified']}，错误 {r['errors']}"
             + (f"；近期已核对、本次未重抓 {r['pages_skipped']}" if r.get("pages_skipped") else "")]
    limits = json.loads(r["limits_hit"] or "[]")
    for lim in limits:
        name = LIMIT.label.get(lim["limit"], lim["limit"])
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
        parts = [f"{STATUS.label.get(k, k)} {v}" for k, v in sorted(statuses.items(), key=lambda kv: -kv[1])]
        lines.append("  事项状态：" + "，".join(parts))
    if result.post.get("compliance") is not None:
        from monitor.compliance.findings import summary_lines as compliance_lines
        lines.extend(compliance_lines(result.post["compliance"]))
    return lines


def after_crawl(cfg: Any, scan_id: int) -> ScanResult:
    """What ``run_scan`` does once its crawl has ended, for a crawl that ran elsewhere (``scrapy crawl school``,
    spiders/school.py): matching, assessment and compliance checks when it finished, the metrics file always."""
    db = open_db(cfg.database_target)
    row = rows(db, "SELECT * FROM scans WHERE id=?", (scan_id,))[0]
    result = ScanResult(scan_id, row["status"], row)
    try:
        if row["status"] == "done":
            result.post = post_scan(db, cfg, scan_id)
    finally:
        metrics.write_textfile(db, cfg)
    return result


def main(argv: list[str] | None = None) -> int:
    """``python -m monitor.scan --config PATH --scan-id N`` (what ``scrapy crawl school`` runs when its crawl
    has closed, under its scan lock): :func:`after_crawl`, then the scan's summary as ``xxgk scan`` prints it."""
    import argparse

    from monitor.config import load_config

    parser = argparse.ArgumentParser(prog="monitor.scan")
    parser.add_argument("--config", required=True)
    parser.add_argument("--scan-id", type=int, required=True)
    args = parser.parse_args(argv)
    result = after_crawl(load_config(args.config), args.scan_id)
    sys.stdout.write("\n".join(summary_lines(result)) + "\n")
    return 0 if result.status == "done" else 3


if __name__ == "__main__":
    sys.exit(main())
