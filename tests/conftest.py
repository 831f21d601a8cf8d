"""Shared fixtures: the simulated university served over real HTTP, scanned for real.

`scanned_estate` is built once per test process: the default testbed estate scanned by the real
`xxgk scan` command (a Scrapy subprocess writing a real SQLite file) on each of SCAN_DATES, with the
product clock and the estate clock moved together. Tests that read it must not modify it; tests
that decide matches or add users take `estate_copy` (a private copy of the database). Mark tests
using these fixtures with `pytestmark = pytest.mark.xdist_group("estate")` so one worker builds it.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

SCAN_DATES = ("2019-06-15", "2019-10-15", "2019-11-15", "2020-01-10")
ROOT = Path(__file__).resolve().parent.parent


def run_xxgk(*args: str, now: str | None = None, env: dict | None = None, check: bool = True,
             timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess (what a user types), with the clock set."""
    full_env = dict(os.environ, XXGK_PROGRESS="0", **(env or {}))
    if now:
        full_env["XXGK_NOW"] = now
    proc = subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=str(ROOT))
    if check and proc.returncode != 0:
        raise AssertionError(f"xxgk {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(autouse=True)
def _restore_clock(monkeypatch):
    """In-process CLI calls (CliRunner) set the one clock; no test may leave it set for the next."""
    from monitor.core import clock

    saved = clock._override
    monkeypatch.setenv("XXGK_PROGRESS", "0")
    yield
    clock._override = saved


@dataclass
class ScannedEstate:
    testbed: object
    config_path: Path
    db_path: Path
    scan_dates: tuple[str, ...]
    scan_output: list[str] = field(default_factory=list)
    requests_by_scan: list[list] = field(default_factory=list)   # testbed request log, one slice per scan
    truths: dict[str, dict] = field(default_factory=dict)

    def truth(self, as_of: str) -> dict:
        if as_of not in self.truths:
            self.truths[as_of] = self.testbed.ground_truth(date.fromisoformat(as_of))
        return self.truths[as_of]

    def config(self):
        from monitor.config import load_config
        return load_config(self.config_path)


@pytest.fixture(scope="session")
def scanned_estate(tmp_path_factory) -> ScannedEstate:
    from monitor.testbed import Testbed

    work = tmp_path_factory.mktemp("estate")
    tb = Testbed(as_of=date.fromisoformat(SCAN_DATES[0]))
    tb.start()
    cfg_path = tb.write_config(work / "xxgk.yaml", database=str(work / "xxgk.db"))
    estate = ScannedEstate(tb, Path(cfg_path), work / "xxgk.db", SCAN_DATES)
    for day in SCAN_DATES:
        tb.set_as_of(date.fromisoformat(day))
        estate.truths[day] = tb.ground_truth(date.fromisoformat(day))
        before = len(tb.requests)
        proc = run_xxgk("scan", "--config", str(cfg_path), now=f"{day}T03:00")
        estate.scan_output.append(proc.stdout)
        estate.requests_by_scan.append(tb.requests.snapshot()[before:])
    yield estate
    tb.stop()


@pytest.fixture()
def estate_copy(scanned_estate: ScannedEstate, tmp_path: Path) -> ScannedEstate:
    """A private copy of the scanned database (and a config pointing at it) for tests that write."""
    src = sqlite3.connect(scanned_estate.db_path)
    dst_path = tmp_path / "xxgk.db"
    dst = sqlite3.connect(dst_path)
    src.backup(dst)
    src.close()
    dst.close()
    cfg_text = scanned_estate.config_path.read_text(encoding="utf-8")
    cfg_path = tmp_path / "xxgk.yaml"
    shutil.copy(scanned_estate.config_path, cfg_path)
    from monitor.config import load_config
    old_db = str(load_config(scanned_estate.config_path).database_path)
    cfg_path.write_text(cfg_text.replace(old_db, str(dst_path)), encoding="utf-8")
    assert str(load_config(cfg_path).database_path) == str(dst_path), "config copy must point at the copied DB"
    return ScannedEstate(scanned_estate.testbed, cfg_path, dst_path, scanned_estate.scan_dates,
                         scanned_estate.scan_output, scanned_estate.requests_by_scan, scanned_estate.truths)


# ---------------------------------------------------------------- the fleet's servers (issue 16)

# The PostgreSQL server of the fleet's tests; XXGK_TEST_PG overrides it. Tests that need it skip without it.
PG_URL = os.environ.get("XXGK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_admin():
    """An autocommit psycopg connection to the test server; skips the calling test when none answers."""
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server answers at {PG_URL} ({str(exc).strip()[:120]})")


def fleet_school_config(tb, path: Path) -> Path:
    """A testbed school's config without `database:`: the fleet file places it."""
    import yaml

    tb.write_config(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("database", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def stopped_fleet_school(path: Path, seed: int = 3, as_of: str = "2019-10-15") -> Path:
    """A fleet school's config for tests that never crawl (the testbed is started only to name its sites)."""
    from monitor.testbed import Testbed

    with Testbed(as_of=as_of, seed=seed, layouts="generated") as tb:
        return fleet_school_config(tb, path)
