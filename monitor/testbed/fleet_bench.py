"""Fleet figures: schools per hour on one worker and on two (the ratio is what matters), peak memory per worker.

``python -m monitor.testbed.fleet_bench [--schools 4] [--latency 0.05]`` needs Redis (127.0.0.1:6379, DB 7) and
PostgreSQL (127.0.0.1:5432, user postgres) as the fleet tests do (``XXGK_TEST_REDIS`` / ``XXGK_TEST_PG``
override them). Generated schools of the simulated university are served by a separate process, each
response delayed by ``--latency`` seconds (a campus CMS answers in tens of milliseconds); each phase is a
fresh fleet on a fresh PostgreSQL database, so every scan is a school's first, full scan:

1. one `xxgk worker` (concurrency 1): every school's scan enqueued at once, timed until the last is done;
2. two `xxgk worker` processes on the same machine, the same schools.

Peak memory per worker: the largest resident set of a worker's whole process tree (the Celery main and pool
processes, the school's `xxgk scan`, its crawl) sampled every half second. Prints the figures as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

AS_OF = "2019-10-15"
PG_URL = os.environ.get("XXGK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("XXGK_TEST_REDIS", "redis://127.0.0.1:6379/7")
FIRST_SEED = 11


def serve(folder: Path, seeds: list[int], latency: float) -> None:
    """(In the server process) serve the schools, write their configs without `database:`, wait."""
    from monitor.testbed import Testbed

    beds = []
    for seed in seeds:
        tb = Testbed(as_of=AS_OF, seed=seed, layouts="generated", latency=latency).start()
        beds.append(tb)
        path = tb.write_config(folder / f"s{seed}.yaml")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data.pop("database", None)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    for tb in beds:
        tb.stop()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(proc.name))
    return tree


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (MB)."""
    tree = _children()
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_mb(pid)
        todo.extend(tree.get(pid, []))
    return total


def _admin() -> Any:
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)


def phase(workdir: Path, schools: Path, n_workers: int) -> dict[str, Any]:
    """One fleet, ``n_workers`` workers, every school's scan enqueued at once; timed to the last job's end."""
    import redis

    from monitor.fleet.fleetfile import load_fleet
    from monitor.fleet.records import Records

    name = f"bench{uuid.uuid4().hex[:8]}"
    dbname = f"xxgk_fleet_{name}"
    admin = _admin()
    admin.execute(f"CREATE DATABASE {dbname} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    procs: list[subprocess.Popen] = []
    try:
        fleet_path = workdir / f"{name}.yaml"
        fleet_path.write_text(yaml.safe_dump({
            "name": name, "broker": REDIS_URL, "database": f"{PG_URL.rsplit('/', 1)[0]}/{dbname}",
            "queue": name, "folder": str(schools), "time_limit_minutes": 20, "lock_ttl_seconds": 10,
            "busy_retry_seconds": 5}), encoding="utf-8")
        fleet = load_fleet(fleet_path)
        env = dict(os.environ, XXGK_NOW=f"{AS_OF}T03:00", XXGK_PROGRESS="0")
        env.pop("XXGK_DATABASE", None)
        for i in range(n_workers):
            log = open(workdir / f"{name}-w{i}.log", "wb")
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "monitor.cli", "worker", str(fleet_path), "--name", f"w{i}@bench"],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True))
        time.sleep(5)                       # the workers connect before the clock starts
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "monitor.cli", "fleet", "enqueue", str(fleet_path)], env=env,
                             capture_output=True, text=True, check=True)
        job_ids = [line.split("：", 1)[1] for line in out.stdout.split()]
        records = Records(client, fleet.redis_prefix())
        peak = [0.0] * n_workers
        while True:
            for i, p in enumerate(procs):
                peak[i] = max(peak[i], tree_rss_mb(p.pid))
            recs = [records.get(j) for j in job_ids]
            if all(r is not None and r.finished for r in recs):
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - t0
        states = [r.state for r in recs if r is not None]
        return {"workers": n_workers, "schools": len(job_ids), "seconds": round(elapsed, 1),
                "schools_per_hour": round(len(job_ids) / elapsed * 3600), "done": states.count("done"),
                "peak_rss_mb_per_worker": round(max(peak))}
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        keys = list(client.scan_iter(f"xxgk:fleet:{name}:*", count=1000))
        if keys:
            client.delete(*keys)
        admin.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        admin.close()


def run(n_schools: int, latency: float) -> dict[str, Any]:
    seeds = list(range(FIRST_SEED, FIRST_SEED + n_schools))
    with tempfile.TemporaryDirectory(prefix="xxgk-fleet-bench-") as tmp:
        work = Path(tmp)
        schools = work / "schools"
        schools.mkdir()
        server = subprocess.Popen([sys.executable, "-m", "monitor.testbed.fleet_bench", "--serve", str(schools),
                                   "--latency", str(latency), *map(str, seeds)], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None and server.stdout.readline().strip() == "ready"
            one = phase(work, schools, 1)
            two = phase(work, schools, 2)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    return {"when": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(), "latency_ms": round(latency * 1000),
            "seeds": seeds, "one_worker": one, "two_workers": two,
            "ratio": round(two["schools_per_hour"] / one["schools_per_hour"], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monitor.testbed.fleet_bench")
    parser.add_argument("--schools", type=int, default=4, help="generated schools per phase")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each test-site response waits")
    parser.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument("seeds", nargs="*", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(Path(args.serve), args.seeds, args.latency)
        return 0
    try:
        import psycopg
        import redis

        redis.Redis.from_url(REDIS_URL).ping()
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - whatever is missing, the bench cannot run
        print(f"fleet bench skipped: Redis ({REDIS_URL}) or PostgreSQL ({PG_URL}) not reachable: {exc}")
        return 2
    print(json.dumps(run(args.schools, args.latency), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
