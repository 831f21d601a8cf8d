"""`xxgk run`: a real service process with an accelerated schedule — scans as subprocesses with a hard
timeout, a persisted schedule that makes up a missed run once, the scan lock, clean shutdown, logs.

Scans here are a small stand-in script (it takes the scan lock and writes a scans row like
`xxgk scan`, then sleeps or hangs as told), so timeouts and kills are exact; the end-to-end run
against the simulated university is in the last tests."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from monitor.core import locks
from monitor.core.logging import KeyValueFormatter, log_event, setup_logging
from monitor.store import open_db, rows

ROOT = Path(__file__).resolve().parents[1]

FAKE_SCAN = textwrap.dedent("""
    import os, signal, sys, time
    from monitor.core import clock
    from monitor.config import load_config
    from monitor.core.locks import LockHeld, ScanLock
    from monitor.store import open_db

    cfg = load_config(sys.argv[1])
    mode = open(sys.argv[2]).read().strip()
    try:
        lock = ScanLock(cfg.database_path, purpose="scan:schedule").acquire()
    except LockHeld as exc:
        print("locked:", exc, flush=True)
        sys.exit(4)
    db = open_db(cfg.database_path)
    sid = db.execute("INSERT INTO scans (started_at, status, pid, trigger) VALUES (?, 'running', ?, 'schedule')",
                     (clock.now_iso(), os.getpid())).lastrowid
    lock.update(scan_id=sid)
    print(f"fake scan {sid} mode={mode} inherited={lock.inherited}", flush=True)
    if mode == "hang":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a hung crawl that ignores SIGTERM
        time.sleep(600)
    elif mode == "crawl":
        time.sleep(600)
    else:
        time.sleep(0.3)
    db.execute("UPDATE scans SET status='done', finished_at=? WHERE id=?", (clock.now_iso(), sid))
""")


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "school.yaml"
    path.write_text(textwrap.dedent("""
        school: 示例大学
        disclosure_site: http://127.0.0.1:9/
        database: data/xxgk.db
        """) + extra, encoding="utf-8")
    return path


class ServiceProc:
    """One `xxgk run` process with JSON logs in a file the test reads."""

    def __init__(self, tmp_path: Path, config: Path, *args: str, log_name: str = "service.log",
                 dashboard: bool = False):
        self.log = tmp_path / log_name
        self.out = open(tmp_path / (log_name + ".out"), "ab")
        cmd = [sys.executable, "-m", "monitor.cli", "run", "--config", str(config),
               "--log-file", str(self.log), "--log-format", "json", *args]
        if not dashboard:
            cmd.append("--no-dashboard")
        env = {k: v for k, v in os.environ.items() if k != "XXGK_NOW"}
        self.started_wall = time.time()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT)

    def events(self) -> list[dict]:
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def wait_for(self, predicate, timeout: float = 20.0, what: str = "") -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ev in self.events():
                if predicate(ev):
                    return ev
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        tail = "\n".join(json.dumps(e, ensure_ascii=False) for e in self.events()[-15:])
        raise AssertionError(f"timed out waiting for {what}; service rc={self.proc.poll()}\n{tail}")

    def count(self, event: str, **match) -> int:
        return sum(1 for e in self.events() if e.get("event") == event and all(e.get(k) == v for k, v in match.items()))

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.out.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


@pytest.fixture
def estate(tmp_path):
    config = write_config(tmp_path)
    fake = tmp_path / "fake_scan.py"
    fake.write_text(FAKE_SCAN, encoding="utf-8")
    mode = tmp_path / "mode"
    mode.write_text("ok", encoding="utf-8")
    clock_file = tmp_path / "clock"
    clock_file.write_text("2019-10-15T02:30", encoding="utf-8")
    services: list[ServiceProc] = []

    class Estate:
        def __init__(self):
            self.config, self.mode, self.clock_file, self.tmp = config, mode, clock_file, tmp_path
            self.db_path = tmp_path / "data" / "xxgk.db"

        def service(self, *args: str, log_name: str = "service.log", dashboard: bool = False) -> ServiceProc:
            s = ServiceProc(tmp_path, config, "--clock-file", str(clock_file),
                            "--scan-command", f"{sys.executable} {fake} {{config}} {mode}", *args, log_name=log_name,
                            dashboard=dashboard)
            services.append(s)
            return s

        def scans(self) -> list[dict]:
            db = open_db(self.db_path)
            try:
                return rows(db, "SELECT * FROM scans ORDER BY id")
            finally:
                db.conn.close()

    yield Estate()
    for s in services:
        s.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


# ---------------------------------------------------------------- scans: timeout, kill, schedule

def test_hung_scan_is_killed_recorded_as_timeout_and_schedule_continues(estate):
    estate.mode.write_text("hang")
    svc = estate.service("--scan-every", "2", "--digest-every", "3600", "--scan-timeout", "1.5", "--stop-grace", "1")
    svc.wait_for(lambda e: e.get("event") == "service.started", what="start")
    ev = svc.wait_for(lambda e: e.get("event") == "scan.timeout" and "scan_id" in e, what="scan timeout record")
    first = [s for s in estate.scans() if s["id"] == ev["scan_id"]][0]
    assert first["status"] == "timeout" and "超过时限" in first["message"] and first["finished_at"]
    assert not _alive(first["pid"])                      # SIGTERM was ignored: SIGKILL got it
    assert first["started_at"].startswith("2019-10-15T02:30")   # the product clock reached the scan
    estate.mode.write_text("ok")
    done = svc.wait_for(lambda e: e.get("event") == "scan.done", what="next scan")
    assert done["scan_id"] > first["id"]
    assert svc.proc.poll() is None                       # the service kept going
    statuses = [s["status"] for s in estate.scans()]
    assert statuses[0] == "timeout" and "done" in statuses and "running" not in statuses
    assert svc.stop() == 0


def test_scan_killed_mid_crawl_is_recorded_and_next_scan_runs(estate):
    estate.mode.write_text("crawl")
    svc = estate.service("--scan-every", "2", "--digest-every", "3600", "--scan-timeout", "60")
    svc.wait_for(lambda e: e.get("event") == "scan.output" and "mode=crawl" in e.get("msg", ""), what="scan running")
    running = [s for s in estate.scans() if s["status"] == "running"]
    assert len(running) == 1
    # a manual scan meanwhile is refused by the lock, naming the running scan
    with pytest.raises(locks.LockHeld) as held:
        locks.ScanLock(estate.db_path, purpose="scan:cli").acquire()
    assert f"扫描 #{running[0]['id']}" in str(held.value)
    estate.mode.write_text("ok")
    os.kill(running[0]["pid"], signal.SIGKILL)           # the crawl dies mid-way
    ev = svc.wait_for(lambda e: e.get("event") == "scan.killed", what="killed record")
    assert ev["scan_id"] == running[0]["id"]
    row = [s for s in estate.scans() if s["id"] == running[0]["id"]][0]
    assert row["status"] == "killed" and "SIGKILL" in row["message"]
    svc.wait_for(lambda e: e.get("event") == "scan.done", what="the next scheduled scan")
    assert svc.stop() == 0


def test_missed_run_is_made_up_once_after_restart(estate):
    first = estate.service("--scan-every", "2", "--digest-every", "3600")
    first.wait_for(lambda e: e.get("event") == "scan.done", what="first scan")
    assert first.stop() == 0
    n_before = len(estate.scans())
    time.sleep(6)                                        # two or three runs are missed while it is down
    second = estate.service("--scan-every", "2", "--digest-every", "3600", log_name="second.log")
    kept = second.wait_for(lambda e: e.get("event") == "job.kept" and e.get("job") == "scan", what="kept job")
    restarted_at = datetime.fromisoformat(kept["ts"]).timestamp()   # when the new service read its jobs
    assert kept["missed"] is True                        # the missed run is remembered
    assert datetime.fromisoformat(kept["next_run"]).timestamp() < restarted_at
    submitted = second.wait_for(lambda e: e.get("event") == "job.submitted" and e.get("job") == "scan",
                                what="made-up run")
    assert submitted["catch_up"] is True
    second.wait_for(lambda e: e.get("event") == "scan.done", what="made-up scan done")
    time.sleep(3)                                        # one regular run later
    made_up = [e for e in second.events() if e.get("event") == "job.submitted" and e.get("job") == "scan"
               and e["catch_up"]]
    assert len(made_up) == 1                             # coalesced: made up once, not once per missed run
    assert second.count("job.submitted", job="scan", catch_up=True) == 1
    regular = [e for e in second.events() if e.get("event") == "job.submitted" and e.get("job") == "scan"
               and not e["catch_up"]]
    assert len(regular) >= 1                             # and the schedule goes on
    assert n_before == 1
    assert second.stop() == 0


def test_scheduled_scan_skips_while_a_manual_scan_holds_the_lock(estate):
    manual = locks.ScanLock(estate.db_path, purpose="scan:cli").acquire()
    try:
        svc = estate.service("--scan-every", "1", "--digest-every", "3600")
        ev = svc.wait_for(lambda e: e.get("event") == "scan.skipped", what="skip")
        assert "另一个扫描正在进行" in ev["msg"] and ev["holder_pid"] == os.getpid()
        assert estate.scans() == []                      # never two scans of one site at once
    finally:
        manual.release()
    svc.wait_for(lambda e: e.get("event") == "scan.done", what="scan after the manual one ended")
    assert svc.stop() == 0


def test_sigterm_gives_the_running_scan_a_grace_then_stops_it(estate):
    estate.mode.write_text("crawl")
    svc = estate.service("--scan-every", "1", "--digest-every", "3600", "--scan-timeout", "60", "--stop-grace", "1")
    svc.wait_for(lambda e: e.get("event") == "scan.output" and "mode=crawl" in e.get("msg", ""), what="scan running")
    pid = [s for s in estate.scans() if s["status"] == "running"][0]["pid"]
    t0 = time.monotonic()
    assert svc.stop(timeout=20) == 0
    assert time.monotonic() - t0 < 10
    row = estate.scans()[-1]
    assert row["status"] == "interrupted" and row["finished_at"] and "服务停止" in row["message"]
    assert not _alive(pid)
    assert locks.holder(estate.db_path) is None          # the lock went with it
    assert svc.count("service.stopped") == 1


def test_clock_file_moves_the_product_clock_between_jobs(estate):
    svc = estate.service("--scan-every", "1.5", "--digest-every", "3600")
    svc.wait_for(lambda e: e.get("event") == "scan.done", what="scan 1")
    estate.clock_file.write_text("2019-11-02T02:30")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(s["started_at"].startswith("2019-11-02") for s in estate.scans()):
        time.sleep(0.2)
    days = {s["started_at"][:10] for s in estate.scans()}
    assert {"2019-10-15", "2019-11-02"} <= days
    assert svc.stop() == 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_is_served_by_the_service(estate):
    import httpx

    port = _free_port()
    svc = estate.service("--scan-every", "3600", "--digest-every", "3600", "--port", str(port), dashboard=True)
    svc.wait_for(lambda e: e.get("event") == "service.started", what="start")
    assert svc.count("dashboard.started") == 1
    resp = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
    assert resp.status_code == 200 and "示例大学" in resp.text
    assert svc.stop() == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)


def test_a_second_service_on_the_same_database_is_refused(estate):
    svc = estate.service("--scan-every", "3600", "--digest-every", "3600")
    svc.wait_for(lambda e: e.get("event") == "service.started", what="start")
    res = subprocess.run([sys.executable, "-m", "monitor.cli", "run", "--config", str(estate.config),
                          "--no-dashboard", "--log-file", str(estate.tmp / "second.log")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 4
    assert "另一个监测服务已在运行" in res.stderr and str(svc.proc.pid) in res.stderr and "Traceback" not in res.stderr
    assert svc.stop() == 0


def test_bad_schedule_options_are_one_chinese_line(estate):
    res = subprocess.run([sys.executable, "-m", "monitor.cli", "run", "--config", str(estate.config),
                          "--no-dashboard", "--scan-every", "0"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert res.returncode != 0 and res.stderr.startswith("错误：") and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "monitor.cli", "run", "--config", str(estate.tmp / "nope.yaml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "错误：" in res.stderr and "Traceback" not in res.stderr


# ---------------------------------------------------------------- lock and logging units

def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    db_path = tmp_path / "x.db"
    code = ("import sys, time; from monitor.core.locks import ScanLock; "
            f"l = ScanLock({str(db_path)!r}, purpose='scan:cli').acquire(); print('held', flush=True); time.sleep(600)")
    holder_proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder_proc.stdout.readline().strip() == "held"
        info = locks.holder(db_path)
        assert info["pid"] == holder_proc.pid and info["purpose"] == "scan:cli"
        with pytest.raises(locks.LockHeld):
            locks.ScanLock(db_path).acquire()
        holder_proc.kill()
        holder_proc.wait()
        lock = locks.ScanLock(db_path).acquire()        # the dead holder's lock is taken over
        assert lock.info["took_over_from"] == holder_proc.pid
        lock.release()
        assert locks.holder(db_path) is None
    finally:
        holder_proc.kill()
        holder_proc.wait()


def test_key_value_logs_carry_fields(tmp_path):
    import logging

    log_file = tmp_path / "logs" / "svc.log"
    setup_logging(log_file)
    log_event(logging.getLogger("monitor.service"), "scan.done", "扫描完成 共 3 页", scan_id=7, pid=123)
    for h in logging.getLogger("monitor").handlers:
        h.flush()
    line = log_file.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert "event=scan.done" in line and "scan_id=7" in line and 'msg="扫描完成 共 3 页"' in line
    assert line.startswith("ts=") and "level=INFO" in line
    setup_logging(None)  # back to stdout for the rest of the session
    assert isinstance(logging.getLogger("monitor").handlers[-1].formatter, KeyValueFormatter)


# ---------------------------------------------------------------- end to end on the simulated university

def _section(message: str, heading: str) -> str:
    """The text under a '### heading…' of a digest, up to the next heading."""
    out, inside = [], False
    for line in message.splitlines():
        if line.startswith("### "):
            inside = line[4:].startswith(heading)
            continue
        if inside:
            out.append(line)
    return "\n".join(out)


@pytest.mark.slow
def test_service_on_the_testbed_notifies_the_owner_once_and_escalates_on_time(tmp_path):
    import yaml
    from test_notify import Receiver

    from monitor.testbed import Testbed

    due, before, after = "2019-12-31", "2019-12-31", "2020-01-01"
    receiver = Receiver()
    tb = Testbed(as_of=before)
    tb.start()
    svc = None
    try:
        cfg_path = tb.write_config(tmp_path / "school.yaml", database=tmp_path / "data" / "xxgk.db")
        data = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        for unit in data["units"]:
            for contact in unit.get("contacts", []):
                contact["notify"] = receiver.url(f"unit/{unit['id']}")
        for contact in data["office"]["contacts"]:
            contact["notify"] = receiver.url("office")
        data["notifications"] = {"dashboard_url": "http://dash.example.edu.cn", "escalate_after_days": 7}
        cfg_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        # the items the ground truth says become overdue when the due day passes, and their owners
        t0, t1 = tb.ground_truth(before)["items"], tb.ground_truth(after)["items"]
        became = {iid: it["unit"] for iid, it in t1.items()
                  if it["status"] == "overdue" and it.get("due") == due and t0[iid]["status"] in ("ok", "due_soon")}
        assert became, "the testbed should have an item that becomes overdue on 2020-01-01"
        clock_file = tmp_path / "clock"
        clock_file.write_text(before)
        # a fresh database: the service scans at once; no later scan gets in the way of the digests
        svc = ServiceProc(tmp_path, cfg_path, "--clock-file", str(clock_file), "--scan-every", "3600",
                          "--digest-every", "2", "--scan-timeout", "300", "--stop-grace", "2")

        def step(day: str, *, scan: bool) -> None:
            tb.set_as_of(day)
            clock_file.write_text(day)
            after_ts = ""
            if scan:
                ev = svc.wait_for(lambda e: e.get("event") == "scan.done" and e.get("as_of") == day,
                                  timeout=240, what=f"a scan on {day}")
                after_ts = ev["ts"]
            svc.wait_for(lambda e: e.get("event") == "digest.done" and e.get("as_of") == day and e["ts"] > after_ts,
                         timeout=60, what=f"a digest on {day} after its scan")

        def mentions(path: str, iid: str) -> list[dict]:
            return [m for m in receiver.to(path) if f"【{iid}】" in m["message"]]

        step(before, scan=True)
        # no digest went out before the first complete scan (everything would have looked missing)
        first_scan = svc.wait_for(lambda e: e.get("event") == "scan.done", what="first scan")
        assert all(e["ts"] > first_scan["ts"] for e in svc.events() if e.get("event") == "notify.sent")
        seen_before = {iid: len(mentions(f"unit/{unit}", iid)) for iid, unit in became.items()}
        step(after, scan=False)
        # Whether the product assesses each item right is the matching/assessment tests' business;
        # here: every item it does find overdue reaches its owner exactly once — and there is one.
        from monitor.assess import assess_all
        from monitor.config import load_config

        db = open_db(tmp_path / "data" / "xxgk.db")
        found = {s.id for s in assess_all(db, load_config(cfg_path), date.fromisoformat(after))
                 if s.status == "overdue"}
        db.conn.close()
        became = {iid: unit for iid, unit in became.items() if iid in found}
        assert became, "the product should find at least one of the items that become overdue"
        for iid, unit in became.items():
            told = mentions(f"unit/{unit}", iid)[seen_before[iid]:]
            assert len(told) == 1, f"item {iid}: unit {unit} should get exactly one digest about it"
            overdue_part = _section(told[0]["message"], "逾期")
            assert f"【{iid}】" in overdue_part and due in overdue_part
            assert f"http://dash.example.edu.cn/items/{iid}" in told[0]["message"]
            for other in {u for u in became.values()} - {unit}:
                assert not any(f"【{iid}】" in m["message"] for m in receiver.to(f"unit/{other}"))
        # same day again, then the next day: nothing about these items is sent again
        n_msgs = {unit: len(receiver.to(f"unit/{unit}")) for unit in became.values()}
        step(after, scan=False)
        step("2020-01-02", scan=False)
        for iid, unit in became.items():
            assert all(f"【{iid}】" not in m["message"] for m in receiver.to(f"unit/{unit}")[n_msgs[unit]:])
        # escalation to the office: overdue for more than 7 days -> on the 8th day, not before
        step("2020-01-07", scan=False)
        for iid in became:
            assert not any(f"【{iid}】" in _section(m["message"], "逾期升级") for m in receiver.to("office"))
        step("2020-01-08", scan=False)
        for iid in became:
            escalated = [m for m in receiver.to("office") if f"【{iid}】" in _section(m["message"], "逾期升级")]
            assert len(escalated) == 1 and "已逾期 8 天" in _section(escalated[0]["message"], "逾期升级")
        assert svc.stop() == 0
    finally:
        if svc is not None:
            svc.kill()
        tb.stop()
        receiver.close()


@pytest.mark.slow
def test_real_scan_killed_mid_crawl_on_the_testbed(tmp_path):
    from monitor.testbed import Testbed

    tb = Testbed(as_of="2019-10-15")
    tb.start()
    svc = None
    try:
        cfg_path = tb.write_config(tmp_path / "school.yaml", database=tmp_path / "data" / "xxgk.db")
        db_path = tmp_path / "data" / "xxgk.db"
        svc = ServiceProc(tmp_path, cfg_path, "--scan-every", "8", "--digest-every", "3600", "--stop-grace", "2")
        started = svc.wait_for(lambda e: e.get("event") == "scan.started", what="the first scan")
        deadline = time.monotonic() + 60
        pages = 0
        while time.monotonic() < deadline and pages < 30:          # mid-crawl: pages are arriving
            time.sleep(0.2)
            if db_path.exists():
                db = open_db(db_path)
                pages = rows(db, "SELECT COUNT(*) AS n FROM pages")[0]["n"]
                db.conn.close()
        assert pages >= 30
        os.kill(started["pid"], signal.SIGKILL)                     # `xxgk scan` dies; its crawl is orphaned
        ev = svc.wait_for(lambda e: e.get("event") == "scan.killed", timeout=30, what="the failure recorded")
        db = open_db(db_path)
        row = rows(db, "SELECT * FROM scans WHERE id=?", (ev["scan_id"],))[0]
        kept_pages = rows(db, "SELECT COUNT(*) AS n FROM pages")[0]["n"]
        db.conn.close()
        assert row["status"] == "killed" and row["finished_at"] and "SIGKILL" in row["message"]
        assert kept_pages >= pages                                  # what it stored is kept
        assert row["pid"] is None or not _alive(row["pid"])         # the orphaned crawl was stopped too
        # the schedule goes on: the next scan starts on time
        svc.wait_for(lambda e: e.get("event") == "scan.started" and e["pid"] != started["pid"], timeout=30,
                     what="the next scan")
        assert svc.stop() == 0
    finally:
        if svc is not None:
            svc.kill()
        tb.stop()


def test_run_refuses_a_postgresql_store_and_points_at_the_fleet(tmp_path):
    """`xxgk run` keeps its scheduler in the school's SQLite file; on PostgreSQL it says to use the fleet
    (and creates no stray SQLite file named after the schema)."""
    cfg_path = tmp_path / "hnu.yaml"
    cfg_path.write_text("school: 示例大学\ndisclosure_site: http://127.0.0.1:9/\n"
                        "database: postgresql://xxgk@127.0.0.1:9/xxgk\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "monitor.cli", "run", "--config", str(cfg_path), "--no-dashboard"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "xxgk fleet run" in res.stderr and "PostgreSQL" in res.stderr
    assert not (tmp_path / "data").exists()
