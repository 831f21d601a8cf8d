"""SQLite storage: a page-history model (scans, pages, versions, entries, links, attachments).

One file, WAL mode, opened through sqlite-utils so any SQLite tool can read it. Schema changes
are numbered migrations applied automatically on open (``PRAGMA user_version``). Each feature
owns its migration numbers (see ``MIGRATIONS``) so modules can grow the schema independently.
"""
from __future__ import annotations

import json
import re
import sqlite3
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable

import sqlite_utils

from monitor.core.private_files import private_file

Migration = Callable[[sqlite_utils.Database], None]


def _m1_core(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS scans (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,          -- clock time (monitor.core.clock), ISO with offset
            finished_at TEXT,
            wall_started_at TEXT,              -- real time, for ops
            status TEXT NOT NULL DEFAULT 'running',  -- running|done|failed|killed|interrupted|timeout
            pid INTEGER,
            trigger TEXT,                      -- cli|schedule|dashboard|demo
            pages_fetched INTEGER DEFAULT 0,
            pages_new INTEGER DEFAULT 0,
            pages_changed INTEGER DEFAULT 0,
            not_modified INTEGER DEFAULT 0,
            errors INTEGER DEFAULT 0,
            bytes INTEGER DEFAULT 0,
            limits_hit TEXT DEFAULT '[]',      -- JSON list of {limit, site, value, detail}
            sites TEXT DEFAULT '{}',           -- JSON {site_url: {pages, new, changed, not_modified, errors}}
            message TEXT
        );
        CREATE TABLE IF NOT EXISTS pages (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,          -- canonical URL
            site TEXT,                         -- site root URL it belongs to (config site or linked site)
            unit TEXT,                         -- unit id owning the site ('' = disclosure site / office)
            kind TEXT,                         -- article|list|attachment|other
            title TEXT,
            column_name TEXT,                  -- for list pages: the column's name (breadcrumb/heading)
            depth INTEGER,
            referrer TEXT,
            first_seen_scan INTEGER,
            last_seen_scan INTEGER,            -- last scan that reached it (200 or 304)
            first_seen_at TEXT,
            last_seen_at TEXT,
            last_fetch_scan INTEGER,
            last_status INTEGER,               -- HTTP status of the last attempt (0 = network error)
            last_error TEXT,                   -- error class/message of the last attempt, NULL if ok
            fail_count INTEGER DEFAULT 0,      -- consecutive failed scans
            etag TEXT,
            last_modified TEXT,
            content_type TEXT,
            size INTEGER,
            sha256 TEXT,                       -- of the raw body (attachments: of the file)
            fingerprint TEXT,                  -- current main-content fingerprint
            published TEXT,                    -- YYYY-MM-DD
            published_source TEXT,             -- meta|label|list|url|heading|signature|http|observed
            updated TEXT,
            updated_source TEXT,
            last_changed TEXT,                 -- YYYY-MM-DD: newest of published/updated, else observed
            last_changed_source TEXT,
            changed_after TEXT,                -- observed change interval start (previous fetch time)
            newest_entry TEXT,                 -- list pages: newest entry date
            entry_count INTEGER,               -- list pages: number of entries across its pagination
            list_root_id INTEGER,              -- pagination pages point at their column's first page
            text_excerpt TEXT                  -- first part of the main text, for search and matching
        );
        CREATE INDEX IF NOT EXISTS idx_pages_site ON pages(site);
        CREATE INDEX IF NOT EXISTS idx_pages_kind ON pages(kind);
        CREATE TABLE IF NOT EXISTS versions (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            fetched_at TEXT NOT NULL,          -- clock time
            changed_after TEXT,                -- previous fetch time: the change happened in (changed_after, fetched_at]
            fingerprint TEXT NOT NULL,
            body_sha256 TEXT,
            title TEXT,
            published TEXT,
            published_source TEXT,
            updated TEXT,
            updated_source TEXT,
            status INTEGER,
            content_type TEXT,
            headers TEXT,                      -- JSON of response headers (for WARC export)
            snapshot BLOB,                     -- zlib-compressed raw body
            text BLOB                          -- zlib-compressed main text (for diffs)
        );
        CREATE INDEX IF NOT EXISTS idx_versions_page ON versions(page_id);
        CREATE TABLE IF NOT EXISTS entries (
            id INTEGER PRIMARY KEY,
            list_page_id INTEGER NOT NULL REFERENCES pages(id),  -- the column's first list page
            source_page_id INTEGER,            -- the pagination page it was seen on
            url TEXT NOT NULL,
            title TEXT,
            date TEXT,
            date_source TEXT,
            first_seen_scan INTEGER,
            last_seen_scan INTEGER,
            UNIQUE(list_page_id, url)
        );
        CREATE INDEX IF NOT EXISTS idx_entries_url ON entries(url);
        CREATE TABLE IF NOT EXISTS links (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),
            url TEXT NOT NULL,
            text TEXT,
            first_seen_scan INTEGER,
            last_seen_scan INTEGER,
            UNIQUE(page_id, url)
        );
        CREATE INDEX IF NOT EXISTS idx_links_url ON links(url);
        CREATE TABLE IF NOT EXISTS attachments (
            id INTEGER PRIMARY KEY,
            page_id INTEGER NOT NULL REFERENCES pages(id),   -- the page that links the file
            file_page_id INTEGER REFERENCES pages(id),       -- the file's own pages row (kind=attachment)
            url TEXT NOT NULL,
            name TEXT,
            first_seen_scan INTEGER,
            last_seen_scan INTEGER,
            UNIQUE(page_id, url)
        );
        CREATE TABLE IF NOT EXISTS fetch_errors (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER NOT NULL,
            url TEXT NOT NULL,
            status INTEGER,
            error TEXT,
            at TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_fetch_errors_scan ON fetch_errors(scan_id);
        """
    )


def _m2_matching(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS matches (
            id INTEGER PRIMARY KEY,
            item_id TEXT NOT NULL,
            page_id INTEGER,                   -- pages row of the matched page (column, article or file)
            url TEXT NOT NULL,
            target TEXT NOT NULL,              -- column|article|entry|attachment
            score REAL NOT NULL,
            reason TEXT NOT NULL,              -- human-readable, Chinese
            method TEXT,                       -- override|navigation|offsite|similarity|inherited|manual
            state TEXT NOT NULL DEFAULT 'auto',  -- auto|review|confirmed|rejected
            first_matched_scan INTEGER,
            last_matched_scan INTEGER,
            UNIQUE(item_id, url)
        );
        CREATE INDEX IF NOT EXISTS idx_matches_item ON matches(item_id);
        CREATE TABLE IF NOT EXISTS match_decisions (
            id INTEGER PRIMARY KEY,
            item_id TEXT NOT NULL,
            url TEXT NOT NULL,
            title_key TEXT,                    -- normalised title, so a decision follows a moved URL
            fingerprint TEXT,
            decision TEXT NOT NULL,            -- confirm|reject|assign
            decided_by TEXT,
            decided_at TEXT,
            note TEXT,
            UNIQUE(item_id, url)
        );
        CREATE TABLE IF NOT EXISTS assessments (
            id INTEGER PRIMARY KEY,
            item_id TEXT NOT NULL,
            as_of TEXT NOT NULL,               -- YYYY-MM-DD
            scan_id INTEGER,
            status TEXT NOT NULL,
            reason TEXT,
            last_changed TEXT,
            last_changed_source TEXT,
            due TEXT,
            unit TEXT,
            computed_at TEXT,
            UNIQUE(item_id, as_of)
        );
        """
    )


def _m7_revisit(db: sqlite_utils.Database) -> None:
    cols = {r[1] for r in db.execute("PRAGMA table_info(scans)").fetchall()}
    if "pages_skipped" not in cols:  # ALTER TABLE has no IF NOT EXISTS
        db.execute("ALTER TABLE scans ADD COLUMN pages_skipped INTEGER DEFAULT 0")


# Migration numbers are owned by features: 1 core scan, 2 matching/assessment,
# 3 notifications, 4 users/auth, 5 compliance findings, 6 report inputs, 7 revisit policy, 8+ free.
MIGRATIONS: dict[int, Migration] = {1: _m1_core, 2: _m2_matching, 7: _m7_revisit}


def register_migration(number: int, fn: Migration) -> None:
    """Let a feature module add its numbered migration (idempotent SQL only)."""
    existing = MIGRATIONS.get(number)
    if existing is not None and existing is not fn and existing.__qualname__ != fn.__qualname__:
        raise RuntimeError(f"migration {number} registered twice")
    MIGRATIONS[number] = fn


def _load_feature_migrations() -> None:
    # Feature modules register their migrations on import; importing them here keeps
    # "open the database" enough to get the whole schema.
    import importlib

    for mod in ("monitor.notify", "monitor.auth", "monitor.compliance", "monitor.report"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # feature not built yet
            if exc.name != mod:
                raise


def open_db(path: str | Path, *, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the database in WAL mode and bring its schema up to date."""
    path = Path(path)
    # private from the first byte: SQLite gives the -wal/-shm files the database file's permissions
    private_file(path)
    conn = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 60000")
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    if migrate:
        apply_migrations(db)
    return db


def apply_migrations(db: sqlite_utils.Database) -> None:
    _load_feature_migrations()
    current = db.execute("PRAGMA user_version").fetchone()[0]
    for number in sorted(MIGRATIONS):
        if number <= current:
            continue
        # Migrations are idempotent SQL (IF NOT EXISTS), so two processes opening a new
        # database at once, or a crash between the script and the version bump, is harmless.
        MIGRATIONS[number](db)
        db.execute(f"PRAGMA user_version = {number}")


# Long digit runs (ID, card and phone numbers) must never sit readable in the database file.
_DIGIT_RUN_RE = re.compile(rb"\d[\d \-]{9,}\d")


def compress(data: bytes | str | None) -> bytes | None:
    """zlib, but with no long digit run stored in clear: zlib keeps incompressible input (short
    Chinese text, already-compressed files) in *stored* blocks byte for byte, so a sync flush in the
    middle of every long number puts block headers inside it. Plain ``zlib.decompress`` reads it."""
    if data is None:
        return None
    if isinstance(data, str):
        data = data.encode("utf-8")
    co = zlib.compressobj(6)
    out, pos = [], 0
    for m in _DIGIT_RUN_RE.finditer(data):
        mid = (m.start() + m.end()) // 2
        out += [co.compress(data[pos:mid]), co.flush(zlib.Z_SYNC_FLUSH)]
        pos = mid
    out += [co.compress(data[pos:]), co.flush()]
    return b"".join(out)


def decompress(blob: bytes | None) -> bytes | None:
    return None if blob is None else zlib.decompress(blob)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def rows(db: sqlite_utils.Database, sql: str, params: Iterable | dict = ()) -> list[dict]:
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def latest_scan(db: sqlite_utils.Database, *, finished: bool = True) -> dict | None:
    sql = "SELECT * FROM scans"
    if finished:
        sql += " WHERE status = 'done'"
    found = rows(db, sql + " ORDER BY id DESC LIMIT 1")
    return found[0] if found else None
