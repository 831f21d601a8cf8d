"""Issue 16, the fleet: schools as Celery jobs on a Redis broker, run by `xxgk worker` processes.

Real parts: Redis at 127.0.0.1:6379 (DB 7, a fleet name of its own, its keys deleted after), PostgreSQL at
127.0.0.1:5432 (a database of its own, dropped after; ``XXGK_TEST_PG`` overrides the server URL), generated
schools of the simulated university served over HTTP on 127.0.0.1, workers as separate processes. The tests
skip when Redis or PostgreSQL does not answer.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import PG_URL, ROOT, fleet_school_config, postgres_admin, run_xxgk, stopped_fleet_school

psycopg = pytest.importorskip("psycopg")
redis = pytest.importorskip("redis")
pytest.importorskip("celery")

REDIS_URL = os.environ.get("XXGK_TEST_REDIS", "redis://127.0.0.1:6379/7")
AS_OF = "2019-10-15"
SEEDS = (3, 4, 5)

pytestmark = pytest.mark.xdist_group("fleet")


def _redis():
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis server answers at {REDIS_URL} ({exc})")
    return client


def _admin():
    return postgres_admin()


@pytest.fixture()
def fleet_name():
    """A fleet name nobody uses; its Redis keys are deleted after the test."""
    client = _redis()
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    keys = list(client.scan_iter(f"xxgk:fleet:{name}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture()
def pg_database():
    """A fresh PostgreSQL database (C collation, as docs/fleet.md asks), dropped after the test."""
    admin = _admin()
    name = f"xxgk_fleet_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


_school_config = fleet_school_config
_stopped_school = stopped_fleet_school


def _write_fleet(path: Path, name: str, database: str, **extra) -> Path:
    body = {"name": name, "broker": REDIS_URL, "database": database, "queue": f"q{name}", **extra}
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- the scheduler

def test_scheduler_enqueues_each_run_once_and_makes_up_a_missed_one_once(tmp_path, fleet_name):
    from monitor.fleet.fleetfile import load_fleet
    from monitor.fleet.schedule import Scheduler

    client = _redis()
    path = _stopped_school(tmp_path / "hnu.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # 02:30 every day; digests on Chinese working days only (2019-10-01..07 is the National Day holiday)
    data["schedule"] = {"scan": "30 2 * * *", "digest": "0 8 * * *", "digest_on": "workdays"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    fleet = load_fleet(_write_fleet(tmp_path / "fleet.yaml", fleet_name, str(tmp_path / "db"), schools=["hnu.yaml"]))
    sent: list[str] = []

    def enqueue(school: str, kind: str, job_id: str) -> bool:
        from monitor.fleet.records import Records

        ok = Records(client, fleet.redis_prefix()).create(job_id, school, kind, "schedule")
        if ok:
            sent.append(job_id)
        return ok

    tz = ZoneInfo("Asia/Shanghai")
    sched = Scheduler(fleet, client, enqueue)
    assert sched.tick(datetime(2019, 9, 29, 1, 0, tzinfo=tz)) == []      # first sight: nothing before now
    sched.tick(datetime(2019, 9, 29, 2, 30, 20, tzinfo=tz))
    assert sent == ["hnu:scan:20190928T1830Z"]
    sched.tick(datetime(2019, 9, 29, 2, 31, tzinfo=tz))
    Scheduler(fleet, client, enqueue).tick(datetime(2019, 9, 29, 2, 32, tzinfo=tz))   # a second scheduler
    assert sent == ["hnu:scan:20190928T1830Z"]
    # down from the morning of the 29th (a Sunday, but a make-up working day) to the 3rd, 09:00: one scan
    # (the last missed) and no digest (the 3rd is a holiday); the 29th's digest is past the day's grace
    sched.tick(datetime(2019, 9, 29, 7, 0, tzinfo=tz))
    sched.tick(datetime(2019, 10, 3, 9, 0, tzinfo=tz))
    assert sent == ["hnu:scan:20190928T1830Z", "hnu:scan:20191002T1830Z"]
    sched.tick(datetime(2019, 10, 8, 8, 0, 5, tzinfo=tz))                 # a working day again
    assert sent[-2:] == ["hnu:scan:20191007T1830Z", "hnu:digest:20191008T0000Z"]


def test_fleet_run_starts_marks_every_schedule_and_stops_on_sigterm(tmp_path, fleet_name):
    client = _redis()
    _stopped_school(tmp_path / "hnu.yaml")
    path = _write_fleet(tmp_path / "fleet.yaml", fleet_name, str(tmp_path / "db"), schools=["hnu.yaml"])
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "fleet", "run", str(path)], cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        marks = [f"xxgk:fleet:{fleet_name}:fired:hnu:scan", f"xxgk:fleet:{fleet_name}:fired:hnu:digest"]
        _wait(lambda: all(client.get(k) for k in marks), 20, "the scheduler did not look at the school's schedule")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "集群调度器已启动：1 所学校" in out and "集群调度器已停止" in out
    assert not client.keys(f"xxgk:fleet:{fleet_name}:job:*")        # nothing was due: nothing enqueued


# ------------------------------------------------------------------------------------------- the lock

def test_a_busy_school_defers_the_job_and_a_finished_job_is_not_run_again(tmp_path, fleet_name):
    from monitor.fleet.fleetfile import load_fleet
    from monitor.fleet.jobs import SchoolBusy, run_job
    from monitor.fleet.locks import SchoolLock
    from monitor.fleet.records import Records

    client = _redis()
    _stopped_school(tmp_path / "hnu.yaml")
    fleet = load_fleet(_write_fleet(tmp_path / "fleet.yaml", fleet_name, str(tmp_path / "db"),
                                    schools=["hnu.yaml"], lock_ttl_seconds=2))
    records = Records(client, fleet.redis_prefix())
    # another job of the school runs (on some other machine): this one is refused, its record says why
    other = SchoolLock(client, fleet.redis_prefix(), "hnu", "hnu:scan:1|w9@elsewhere", fleet.lock_ttl)
    assert other.acquire()
    records.create("hnu:digest:2", "hnu", "digest", "manual")
    with pytest.raises(SchoolBusy):
        run_job(fleet, "hnu", "digest", "hnu:digest:2", "w1@here", client)
    rec = records.get("hnu:digest:2")
    assert rec is not None and rec.state == "waiting" and rec.attempts == 0
    assert rec.result == "等待：学校另一任务正在进行（任务 hnu:scan:1（w9@elsewhere））"
    # while its holder renews it, the lock outlives its TTL; a holder that stops renewing (killed) loses it
    mine = SchoolLock(client, fleet.redis_prefix(), "hnu", "hnu:digest:2|w1@here", fleet.lock_ttl)
    with other.kept_alive():
        time.sleep(2.6)
        assert not mine.acquire() and not other.lost.is_set()
    time.sleep(2.3)
    assert mine.acquire()
    mine.release()
    assert other.holder() is None
    # a copy of a job that finished (Redis delivered its message again) does nothing
    records.finish("hnu:digest:2", "done", "已发送 3 条")
    again = run_job(fleet, "hnu", "digest", "hnu:digest:2", "w2@there", client)
    assert again.state == "duplicate" and records.get("hnu:digest:2").attempts == 0


def test_a_job_past_its_time_limit_is_stopped_and_recorded(tmp_path, fleet_name):
    from monitor.fleet.fleetfile import load_fleet
    from monitor.fleet.jobs import run_job
    from monitor.fleet.records import Records
    from monitor.testbed import Testbed

    client = _redis()
    with Testbed(as_of=AS_OF, seed=3, layouts="generated", latency=0.05) as tb:
        config = _school_config(tb, tmp_path / "hnu.yaml")
        # a folder of SQLite files as the fleet's store; 4 seconds for the whole job
        fleet = load_fleet(_write_fleet(tmp_path / "fleet.yaml", fleet_name, "stores", schools=["hnu.yaml"],
                                        time_limit_minutes=4 / 60))
        Records(client, fleet.redis_prefix()).create("hnu:scan:1", "hnu", "scan", "manual")
        started = time.monotonic()
        outcome = run_job(fleet, "hnu", "scan", "hnu:scan:1", "w1@here", client)
        assert time.monotonic() - started < 4 + 30
    rec = Records(client, fleet.redis_prefix()).get("hnu:scan:1")
    assert outcome.state == rec.state == "timeout" and rec.result.startswith("超过时限（运行 ")
    assert (tmp_path / "stores" / "school_hnu.db").is_file()          # the fleet placed the school's store
    assert not _processes_with(str(config))
    assert client.get(f"xxgk:fleet:{fleet_name}:lock:hnu") is None    # released


def test_fleet_check_names_what_cannot_be_reached(tmp_path, fleet_name):
    _stopped_school(tmp_path / "hnu.yaml")
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump({"name": fleet_name, "broker": "redis://127.0.0.1:1/0",
                                    "database": "postgresql://postgres@127.0.0.1:1/xxgk", "schools": ["hnu.yaml"]}),
                    encoding="utf-8")
    proc = run_xxgk("fleet", "check", str(path), check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].startswith("错误  无法连接 Redis（redis://127.0.0.1:1/0）：")
    assert lines[2].startswith("错误  hnu：示例大学，数据库 postgresql://postgres@127.0.0.1:1/xxgk（schema school_hnu），")
    assert "无法连接数据库：" in lines[2] and "检查通过" not in proc.stdout


# ------------------------------------------------------------------------------------------- two workers

def _start_worker(fleet_path: Path, name: str, log: Path) -> subprocess.Popen:
    env = dict(os.environ, XXGK_NOW=f"{AS_OF}T03:00", XXGK_PROGRESS="0")
    env.pop("XXGK_DATABASE", None)
    out = open(log, "wb")
    return subprocess.Popen([sys.executable, "-m", "monitor.cli", "worker", str(fleet_path), "--concurrency", "1",
                             "--name", name], cwd=str(ROOT), env=env, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def _processes_with(text: str) -> list[int]:
    """Processes whose command line contains ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text in (proc / "cmdline").read_bytes().decode("utf-8", "replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _wait(what, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(message)


def test_two_workers_a_killed_worker_and_every_school_against_its_ground_truth(tmp_path, fleet_name, pg_database):
    from monitor.config import load_config
    from monitor.fleet.fleetfile import load_fleet, school_environment
    from monitor.fleet.locks import SchoolLock
    from monitor.fleet.records import Records
    from monitor.store import open_db, rows
    from monitor.testbed import Testbed
    from monitor.testbed.evaluate import compare
    from monitor.testbed.truth import list_rows

    client = _redis()
    schools = tmp_path / "schools"
    schools.mkdir()
    beds = {}
    # a little latency per response, so a scan lasts long enough to be killed in the middle
    for seed in SEEDS:
        tb = Testbed(as_of=AS_OF, seed=seed, layouts="generated", latency=0.01).start()
        beds[f"s{seed}"] = tb
        _school_config(tb, schools / f"s{seed}.yaml")
    workers: dict[str, subprocess.Popen] = {}
    try:
        path = _write_fleet(tmp_path / "fleet.yaml", fleet_name, pg_database, folder="schools",
                            time_limit_minutes=4, lock_ttl_seconds=3, busy_retry_seconds=2,
                            visibility_timeout_seconds=15)
        check = run_xxgk("fleet", "check", str(path))
        assert "Redis（redis://127.0.0.1:6379/7）可以连接" in check.stdout and "集群文件检查通过" in check.stdout
        fleet = load_fleet(path)
        records = Records(client, fleet.redis_prefix())
        for name in ("wa@test", "wb@test"):
            workers[name] = _start_worker(path, name, tmp_path / f"{name}.log")
        # s3 is busy with a job of another machine until the kill: its scan must wait, not run beside it
        other = SchoolLock(client, fleet.redis_prefix(), "s3", "s3:digest:x|w9@elsewhere", 600)
        assert other.acquire()
        queued = run_xxgk("fleet", "enqueue", str(path)).stdout.split()
        job_ids = {line.split("：", 1)[1].split(":")[0]: line.split("：", 1)[1] for line in queued}
        assert sorted(job_ids) == ["s3", "s4", "s5"]

        # kill the worker running a scan once its crawl has stored some pages
        def stored_pages(key: str) -> int:
            with psycopg.connect(pg_database, autocommit=True) as conn:
                try:
                    return conn.execute(f'SELECT count(*) FROM "school_{key}".pages').fetchone()[0]
                except psycopg.errors.UndefinedTable:
                    return 0

        def running():
            for key, jid in job_ids.items():
                rec = records.get(jid)
                if rec and rec.state == "running" and stored_pages(key) >= 30:
                    return key, rec.worker
            return None
        victim, worker = _wait(running, 60, "no scan started on a worker")
        os.killpg(workers[worker].pid, signal.SIGKILL)
        workers[worker].wait()
        _wait(lambda: records.get(job_ids["s3"]).state == "waiting", 30, "the busy school's job did not wait")
        assert records.get(job_ids["s3"]).result == "等待：学校另一任务正在进行（任务 s3:digest:x（w9@elsewhere））"
        other.release()
        # the scan dies with its worker (the crawl stops cleanly, the scan row says so)
        _wait(lambda: not _processes_with(str(schools / f"{victim}.yaml")), 20,
              f"the killed worker's scan of {victim} is still running")

        def all_done():
            recs = [records.get(jid) for jid in job_ids.values()]
            return all(r is not None and r.finished for r in recs) and recs
        recs = _wait(all_done, 150, "the jobs did not all finish: " + str([records.get(j) for j in job_ids.values()]))
        survivor = next(n for n in workers if n != worker)
        by_key = {r.school: r for r in recs}
        assert {r.state for r in recs} == {"done"}, [r.result for r in recs]
        assert by_key[victim].attempts == 2 and by_key[victim].worker == survivor
        assert by_key["s3"].attempts == 1                     # it waited, then ran once
        for key in job_ids:
            assert [r.job_id for r in records.recent(key)] == [job_ids[key]]      # one record per school
        # each finished scan was published to the provincial overview's summary without an error
        logs = (tmp_path / f"{survivor}.log").read_bytes().decode("utf-8", "replace")
        assert "event=fleet.job_done" in logs and "fleet.publish_failed" not in logs

        status = run_xxgk("fleet", "status", str(path)).stdout
        assert f"{victim}（示例大学）" in status
        assert f"扫描与评估：完成，第 2 次执行（手动任务 {job_ids[victim]}）" in status
        assert f"机器 {survivor}；入队 " in status and "结果：扫描 #2 完成：页面 " in status
        listed = json.loads(run_xxgk("fleet", "status", str(path), "--json").stdout)
        assert {s["school"]: s["jobs"]["scan"]["state"] for s in listed} == {k: "done" for k in job_ids}

        as_of = date.fromisoformat(AS_OF)
        for key, tb in beds.items():
            with school_environment(fleet.school(key)):
                cfg = load_config(fleet.school(key).config_path)
            db = open_db(cfg.database_target)
            scans = [r["status"] for r in rows(db, "SELECT status FROM scans ORDER BY id")]
            # nothing lost or duplicated: the killed scan is marked, its job's second run finished the school
            assert scans == (["interrupted", "done"] if key == victim else ["done"]), (key, scans)
            result = compare(db, cfg, tb.ground_truth(), list_rows(tb.estate, as_of), as_of)
            assert result["status"]["right"] == result["status"]["items"], (key, result["last_changed_wrong"])
            db.close()
    finally:
        for proc in workers.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in workers.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for tb in beds.values():
            tb.stop()


# ------------------------------------------------------------------------------------------- redelivery

def test_a_copy_of_a_scan_job_whose_lost_attempt_had_finished_records_that_scan_and_crawls_nothing(
        tmp_path, fleet_name):
    """The worker died after its scan (assessment stored) ended but before it recorded the job: the copy Redis
    delivers again finds that scan and does not crawl the school a second time."""
    from monitor.fleet.fleetfile import load_fleet, load_school
    from monitor.fleet.jobs import run_job
    from monitor.fleet.records import Records
    from monitor.store import open_db

    client = _redis()
    _stopped_school(tmp_path / "hnu.yaml")
    fleet = load_fleet(_write_fleet(tmp_path / "fleet.yaml", fleet_name, str(tmp_path / "db"), schools=["hnu.yaml"]))
    (tmp_path / "db").mkdir()
    records = Records(client, fleet.redis_prefix())
    job = "hnu:scan:2019-10-15T02:30"
    records.create(job, "hnu", "scan", "schedule")
    db = open_db(load_school(fleet.school("hnu")).database_target)
    db.execute("INSERT INTO scans (started_at, finished_at, status, trigger) VALUES "
               "('2019-10-14T02:30:00+08:00', '2019-10-14T03:00:00+08:00', 'done', 'fleet')")
    # the lost attempt: it noted the latest scan (#1), then scanned (#2) and assessed, and died
    records.start(job, "worker-a")
    records.note_once(job, "scan_before", "1")
    scan2 = db.execute("INSERT INTO scans (started_at, finished_at, status, trigger) VALUES "
                       "('2019-10-15T02:30:00+08:00', '2019-10-15T03:00:00+08:00', 'done', 'fleet') RETURNING id"
                       ).fetchone()[0]
    db.execute("INSERT INTO assessments (item_id, as_of, scan_id, status) VALUES ('1', '2019-10-15', ?, 'ok')",
               (scan2,))
    outcome = run_job(fleet, "hnu", "scan", job, "worker-b", client)
    assert outcome.state == "done" and outcome.scan_id == scan2 and outcome.attempt == 2
    assert "不再重复扫描" in outcome.result
    assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 2          # nothing crawled again
    rec = records.get(job)
    assert rec is not None and rec.state == "done" and rec.scan_id == scan2
    # a first attempt that finds only older scans runs the scan as usual (here: the school's site is gone)
    fresh = "hnu:scan:2019-10-16T02:30"
    records.create(fresh, "hnu", "scan", "schedule")
    outcome = run_job(fleet, "hnu", "scan", fresh, "worker-b", client)
    assert "不再重复扫描" not in outcome.result
    assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 3
