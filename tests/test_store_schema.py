"""The store owns the whole schema: opening a database creates every feature's tables without
importing the features (the crawl process must not load argon2, apprise or click)."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlite_utils

from monitor.store import MIGRATIONS, open_db
from monitor.store.schema import m1_core, m2_matching
from tests.conftest import ROOT

# Tables by the migration that creates them.
TABLES: dict[int, set[str]] = {
    1: {"scans", "pages", "versions", "entries", "links", "attachments", "fetch_errors"},
    2: {"matches", "match_decisions", "assessments"},
    3: {"notifications", "notification_state", "scheduler_jobs"},
    4: {"meta", "users", "sessions", "login_attempts", "acknowledgements", "dash_search"},
    5: {"findings", "pii_checks", "link_runs", "link_checks", "site_checks"},
    6: {"report_inputs", "report_runs"},
}
ALL_TABLES = set().union(*TABLES.values())
FEATURE_MODULES = ("monitor.auth", "monitor.notify", "monitor.report", "monitor.compliance",
                   "argon2", "apprise", "click")

_PROBE = """
import json, sys
import sqlite_utils  # imports click itself (sqlite_utils.hookspecs): the baseline, not the store's doing
baseline = set(sys.modules)
from monitor.store import open_db
db = open_db(sys.argv[1])
tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
version = db.execute("PRAGMA user_version").fetchone()[0]
print(json.dumps({"tables": tables, "version": version,
                  "loaded": [m for m in sys.argv[2:] if m in sys.modules and m not in baseline],
                  "project": sorted(m for m in sys.modules if m.split(".")[0] in ("monitor", "crawler"))}))
"""

def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_fresh_database_has_every_table_without_feature_imports(tmp_path):
    # A subprocess: this test process has long imported the features through other tests.
    out = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / "x.db"), *FEATURE_MODULES],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    assert found["version"] == max(MIGRATIONS) == 10
    assert ALL_TABLES <= set(found["tables"]), ALL_TABLES - set(found["tables"])
    assert found["loaded"] == []
    # nothing of the project above the store either (core infrastructure only)
    assert [m for m in found["project"] if not m.startswith(("monitor.core", "monitor.store"))] == ["monitor"]


def test_version_2_database_upgrades_to_9(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    m1_core(db)
    m2_matching(db)
    db.execute("INSERT INTO scans (started_at, status) VALUES ('2019-01-01T00:00:00+08:00', 'done')")
    db.execute("INSERT INTO assessments (item_id, as_of, status) VALUES ('6', '2019-01-01', 'missing')")
    db.execute("PRAGMA user_version = 2")
    db.conn.close()
    assert _tables(path) == TABLES[1] | TABLES[2]

    db = open_db(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 10
    cols = {r[1] for r in db.execute("PRAGMA table_info(scans)")}
    assert "pages_skipped" in cols
    assert db.execute("SELECT status, pages_skipped FROM scans").fetchall() == [("done", 0)]
    # 8: an assessment stored before provisional judgements existed was a counted one
    assert db.execute("SELECT status, provisional FROM assessments").fetchall() == [("missing", 0)]
    # 9: pages say whether they were rendered in a browser, or needed one
    assert {"rendered", "needs_browser"} <= {r[1] for r in db.execute("PRAGMA table_info(pages)")}
    db.conn.close()
    assert ALL_TABLES <= _tables(path)


def test_migrations_are_numbered_1_to_9_and_idempotent(tmp_path):
    assert sorted(MIGRATIONS) == list(range(1, 11))
    db = open_db(tmp_path / "x.db")
    for number in sorted(MIGRATIONS):  # a crash before the version bump re-runs a migration
        MIGRATIONS[number](db)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 10
