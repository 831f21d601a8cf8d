"""The shared summary store: a small set of tables every school publishes into after its assessment, and the
only place cross-school figures are read from (docs/fleet.md, docs/overview.md).

Where it lives follows the fleet's ``database:``: the schema ``fleet`` of the same PostgreSQL database, or
``fleet.db`` in the folder of SQLite files. The SQL is the same on both (``monitor.store`` handles); the tables
are created idempotently on every open.

A snapshot is one school's assessment on one day (``as_of``): one row per item, its counts per category and
status, and its totals per status. A school keeps one snapshot per month: publishing replaces the snapshot of
the month it falls in (the current one), earlier months stay for the trends. Publishing reads the school's
stored assessments (the ``assessments`` table the scan writes), not its pages: the latest day of each of the
last ``MONTHS_READ`` months it has, so a school's first publish already brings its history.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor import store
from monitor.config import Config, fleet_environment, fleet_place, load_config
from monitor.core import clock
from monitor.core.dburl import is_database_url
from monitor.rules import describe_rule
from monitor.store.engine import Database, is_integrity_error
from monitor.store.schema import ddl

log = logging.getLogger("monitor.overview")

SCHEMA = "fleet"                 # PostgreSQL: the summary store's schema in the fleet's database
SQLITE_NAME = "fleet.db"         # SQLite: the summary store's file in the fleet's folder
MONTHS_READ = 24                 # months of a school's stored assessments one publish brings
VERSION = 1                      # meta 'summary_version': the tables below

TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
CREATE TABLE IF NOT EXISTS schools (
    school TEXT PRIMARY KEY,          -- the fleet's key
    name TEXT NOT NULL,
    dashboard_url TEXT,               -- the school's own dashboard (its notifications.dashboard_url), if set
    current_as_of TEXT,               -- the school's newest snapshot
    published_at TEXT NOT NULL,
    last_scan_at TEXT                 -- the school's newest finished scan (started_at)
);
CREATE TABLE IF NOT EXISTS snapshots (
    school TEXT NOT NULL,
    as_of TEXT NOT NULL,              -- YYYY-MM-DD: the assessment's day
    month TEXT NOT NULL,              -- YYYY-MM: one snapshot per school and month
    items INTEGER NOT NULL,
    scan_id INTEGER,
    published_at TEXT NOT NULL,
    PRIMARY KEY (school, as_of)
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_snapshots_month ON snapshots(school, month);
CREATE INDEX IF NOT EXISTS idx_snapshots_by_month ON snapshots(month);
CREATE TABLE IF NOT EXISTS snapshot_items (
    school TEXT NOT NULL,
    as_of TEXT NOT NULL,
    item_id TEXT NOT NULL,
    category TEXT NOT NULL,
    category_name TEXT NOT NULL,
    title TEXT NOT NULL,
    short TEXT,
    unit TEXT,
    unit_name TEXT NOT NULL,
    status TEXT NOT NULL,
    provisional INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    last_changed TEXT,
    last_changed_source TEXT,
    due TEXT,
    rule_text TEXT,
    PRIMARY KEY (school, as_of, item_id)
);
CREATE TABLE IF NOT EXISTS snapshot_counts (
    school TEXT NOT NULL,
    as_of TEXT NOT NULL,
    category TEXT NOT NULL,
    category_name TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (school, as_of, category, status)
);
CREATE TABLE IF NOT EXISTS snapshot_totals (
    school TEXT NOT NULL,
    as_of TEXT NOT NULL,
    month TEXT NOT NULL,              -- the snapshot's month (trends group by it without a join)
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (school, as_of, status)
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,               -- province | school
    school TEXT,                      -- role school: the school's key
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT
);
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT,                          -- NULL when the client address is unknown (as in a school's store)
    at TEXT NOT NULL,
    ok INTEGER NOT NULL               -- 1 success, 0 failure, -1 being checked
);
CREATE INDEX IF NOT EXISTS idx_login_attempts_pair ON login_attempts(username, ip, at);
CREATE INDEX IF NOT EXISTS idx_login_attempts_ip ON login_attempts(ip, at);
CREATE INDEX IF NOT EXISTS idx_snapshot_totals_month ON snapshot_totals(month, school);
"""


def summary_target(fleet_database: str) -> str | Path:
    """What ``monitor.store.open_db`` opens for the summary store of a fleet ``database:`` value."""
    if is_database_url(fleet_database):
        return fleet_database
    return Path(fleet_database).expanduser() / SQLITE_NAME


def summary_label(fleet_database: str) -> str:
    """The summary store for messages (no password)."""
    if is_database_url(fleet_database):
        from urllib.parse import urlsplit

        parts = urlsplit(fleet_database)
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}（schema {SCHEMA}）"
    return str(summary_target(fleet_database))


def open_summary(fleet_database: str) -> Database:
    """Open the fleet's summary store, creating its tables when needed (idempotent, safe from several
    machines at once)."""
    target = summary_target(fleet_database)
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    db = store.open_db(target, migrate=False, schema=SCHEMA)
    try:
        ensure_tables(db)
    except BaseException:
        db.close()
        raise
    return db


def ensure_tables(db: Database) -> None:
    script = ddl(db, TABLES)
    for attempt in range(3):
        try:
            db.executescript(script)
            break
        except Exception as exc:
            # Two first opens on PostgreSQL can race on the catalog (CREATE ... IF NOT EXISTS is not safe
            # against a concurrent create): the loser sees a unique violation; the tables exist by then.
            if not is_integrity_error(exc) or attempt == 2:
                raise
    db.execute("INSERT INTO meta (key, value) VALUES ('summary_version', ?) ON CONFLICT (key) DO NOTHING",
               (str(VERSION),))


# ---------------------------------------------------------------- what a school publishes

@dataclass(frozen=True)
class ItemRow:
    item_id: str
    category: str
    category_name: str
    title: str
    short: str | None
    unit: str | None
    unit_name: str
    status: str
    provisional: bool
    reason: str | None
    last_changed: str | None
    last_changed_source: str | None
    due: str | None
    rule_text: str


@dataclass(frozen=True)
class Snapshot:
    as_of: str
    scan_id: int | None
    items: tuple[ItemRow, ...]

    @property
    def month(self) -> str:
        return self.as_of[:7]


@dataclass(frozen=True)
class SchoolSummary:
    key: str
    name: str
    dashboard_url: str | None
    last_scan_at: str | None
    snapshots: tuple[Snapshot, ...]        # oldest first; the last one is the current snapshot

    @property
    def current(self) -> Snapshot:
        return self.snapshots[-1]


@dataclass(frozen=True)
class Published:
    key: str
    name: str
    as_of: str | None                     # None: the school's store has no assessment yet
    items: int = 0
    months: int = 0


def load_school_config(fleet_database: str | None, key: str, config_path: Path) -> Config:
    with fleet_environment(fleet_place(fleet_database, key) if fleet_database is not None else None):
        return load_config(config_path)


def read_school(cfg: Config, key: str, *, months: int = MONTHS_READ) -> SchoolSummary | None:
    """The school's snapshots from its own store (the last day of each of its latest ``months`` months of
    stored assessments); None when it has none yet."""
    if not cfg.uses_postgres and not cfg.database_path.exists():
        return None
    db = store.open_db(cfg.database_target)
    try:
        days = [r[0] for r in db.execute("SELECT DISTINCT as_of FROM assessments ORDER BY as_of DESC").fetchall()]
        last_of_month: dict[str, str] = {}
        for day in days:
            last_of_month.setdefault(str(day)[:7], str(day))
        chosen = sorted(last_of_month.values())[-months:]
        if not chosen:
            return None
        found = store.rows(
            db, "SELECT item_id, as_of, scan_id, status, reason, last_changed, last_changed_source, due, unit,"
                f" provisional FROM assessments WHERE as_of IN ({','.join('?' * len(chosen))})", chosen)
        scan = store.latest_scan(db)
    finally:
        db.close()
    catalog = cfg.catalog_obj
    units = {u.id: u.name for u in cfg.units}
    items = {it.id: it for it in catalog.items if not it.ignore}
    by_day: dict[str, list[dict]] = {d: [] for d in chosen}
    for r in found:
        by_day[str(r["as_of"])].append(r)
    snapshots = []
    for day in chosen:
        out = []
        scan_ids = [r["scan_id"] for r in by_day[day] if r["scan_id"] is not None]
        for r in by_day[day]:
            it = items.get(str(r["item_id"]))
            if it is None:            # no longer in the school's catalog, or declared not applicable
                continue
            cat = catalog.category(it.category)
            unit = r["unit"] or it.unit or None
            out.append(ItemRow(
                item_id=it.id, category=it.category or "", category_name=(cat.name if cat else it.category_name) or "",
                title=it.title or it.id, short=it.short or None, unit=unit,
                unit_name=units.get(unit, unit) if unit else cfg.office.name,
                status=str(r["status"]), provisional=bool(r["provisional"]), reason=r["reason"],
                last_changed=_day(r["last_changed"]), last_changed_source=r["last_changed_source"],
                due=_day(r["due"]), rule_text=describe_rule(it.rule)[1]))
        if out:
            snapshots.append(Snapshot(day, max(scan_ids) if scan_ids else None, tuple(out)))
    if not snapshots:
        return None
    # The school's own dashboard, when its config names one (notifications.dashboard_url; the default is local).
    dashboard_url = cfg.notifications.dashboard_url if "dashboard_url" in cfg.notifications.model_fields_set else None
    if dashboard_url and not dashboard_url.lower().startswith(("http://", "https://")):
        dashboard_url = None
    return SchoolSummary(key, cfg.school, dashboard_url.rstrip("/") if dashboard_url else None,
                         str(scan["started_at"]) if scan else None, tuple(snapshots))


def _day(value: object) -> str | None:
    return str(value)[:10] if value not in (None, "") else None


def write_school(db: Database, summary: SchoolSummary) -> None:
    """Replace the school's snapshot of every month ``summary`` brings (one transaction) and point the school
    at its newest snapshot."""
    now = clock.now_iso()
    with db.transaction():
        for snap in summary.snapshots:
            old = [r[0] for r in db.execute("SELECT as_of FROM snapshots WHERE school = ? AND month = ?",
                                            (summary.key, snap.month)).fetchall()]
            for day in {*old, snap.as_of}:
                for table in ("snapshot_items", "snapshot_counts", "snapshot_totals", "snapshots"):
                    db.execute(f"DELETE FROM {table} WHERE school = ? AND as_of = ?", (summary.key, day))
            db.execute("INSERT INTO snapshots (school, as_of, month, items, scan_id, published_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       (summary.key, snap.as_of, snap.month, len(snap.items), snap.scan_id, now))
            db.conn.executemany(
                "INSERT INTO snapshot_items (school, as_of, item_id, category, category_name, title, short, unit,"
                " unit_name, status, provisional, reason, last_changed, last_changed_source, due, rule_text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(summary.key, snap.as_of, i.item_id, i.category, i.category_name, i.title, i.short, i.unit,
                  i.unit_name, i.status, int(i.provisional), i.reason, i.last_changed, i.last_changed_source,
                  i.due, i.rule_text) for i in snap.items])
            per_cat = Counter((i.category, i.status) for i in snap.items)
            names = {i.category: i.category_name for i in snap.items}
            db.conn.executemany(
                "INSERT INTO snapshot_counts (school, as_of, category, category_name, status, n)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(summary.key, snap.as_of, cat, names[cat], status, n) for (cat, status), n in per_cat.items()])
            db.conn.executemany("INSERT INTO snapshot_totals (school, as_of, month, status, n) VALUES (?, ?, ?, ?, ?)",
                                [(summary.key, snap.as_of, snap.month, status, n)
                                 for status, n in Counter(i.status for i in snap.items).items()])
        newest = db.execute("SELECT MAX(as_of) FROM snapshots WHERE school = ?", (summary.key,)).fetchone()[0]
        db.execute(
            "INSERT INTO schools (school, name, dashboard_url, current_as_of, published_at, last_scan_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (school) DO UPDATE SET name = excluded.name,"
            " dashboard_url = excluded.dashboard_url, current_as_of = excluded.current_as_of,"
            " published_at = excluded.published_at, last_scan_at = excluded.last_scan_at",
            (summary.key, summary.name, summary.dashboard_url, newest, now, summary.last_scan_at))
        # Readers cache what they computed until this changes (monitor.overview.web.ReadCache).
        db.execute("INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT (key) DO UPDATE"
                   " SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)")


def publish(fleet_database: str, school_key: str, config_path: Path) -> Published:
    """Read the school's assessments and write them into the fleet's summary store; what was published."""
    cfg = load_school_config(fleet_database, school_key, Path(config_path))
    summary = read_school(cfg, school_key)
    if summary is None:
        return Published(school_key, cfg.school, None)
    db = open_summary(fleet_database)
    try:
        write_school(db, summary)
    finally:
        db.close()
    log.info("published %s as of %s (%d items, %d months)", school_key, summary.current.as_of,
             len(summary.current.items), len(summary.snapshots))
    return Published(school_key, cfg.school, summary.current.as_of, len(summary.current.items),
                     len(summary.snapshots))


def publish_school(fleet_database: str | None, school_key: str, config_path: Path) -> None:
    """The fleet job's step after a school's scan and assessment: publish its current assessment (and the
    monthly snapshots its store holds) into the summary store. A fleet without ``database:`` has no shared
    summary store: nothing to do."""
    if fleet_database is None:
        log.info("fleet has no database: %s not published to an overview", school_key)
        return
    publish(fleet_database, school_key, config_path)


def generation(db: Database) -> int:
    """A number every publish changes (0 before the first)."""
    found = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(found[0]) if found else 0


def published_keys(db: Database) -> Sequence[str]:
    return [r[0] for r in db.execute("SELECT school FROM schools ORDER BY school").fetchall()]
