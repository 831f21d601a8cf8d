"""The whole database schema: every numbered migration, whichever feature uses the tables.

Kept in one module so opening the database needs no feature code (the crawl process must not import
argon2, click or apprise to get its tables). Numbers are never reused or renumbered: a database
records the last one applied in ``PRAGMA user_version``. Every migration is idempotent SQL
(IF NOT EXISTS, column checks), so two processes migrating at once or a crash before the version
bump is harmless. Add a new one as the next free number (9+).
"""
from __future__ import annotations

from typing import Callable

import sqlite_utils

Migration = Callable[[sqlite_utils.Database], None]


# 1: core page history (monitor.store)
def m1_core(db: sqlite_utils.Database) -> None:
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


# 2: matching and assessment (monitor.matching, monitor.assess)
def m2_matching(db: sqlite_utils.Database) -> None:
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


# 3: notifications and scheduler jobs (monitor.notify, monitor.service)
def m3_notifications(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS notifications (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,                 -- digest day (clock date, YYYY-MM-DD)
            created_at TEXT NOT NULL,          -- clock time
            kind TEXT NOT NULL,                -- unit_digest | office_summary
            recipient TEXT NOT NULL,           -- unit:<unit id>:<contact> | office:<contact>
            contact_name TEXT,
            unit TEXT,                         -- unit id ('' for the office)
            unit_name TEXT,
            target TEXT NOT NULL,              -- Apprise URL with secrets masked
            target_hash TEXT NOT NULL,         -- sha256 of the real URL: found again in the config for retries
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            items TEXT NOT NULL DEFAULT '[]',  -- JSON [{item, status, due, topic}]
            status TEXT NOT NULL DEFAULT 'pending',  -- pending|sent|failed|gave_up
            attempts INTEGER NOT NULL DEFAULT 0,     -- delivery tries in total
            failed_runs INTEGER NOT NULL DEFAULT 0,  -- digest runs whose tries all failed
            skip_runs INTEGER NOT NULL DEFAULT 0,    -- runs still to wait before the next try (backoff)
            last_error TEXT,
            last_attempt_at TEXT,              -- wall time
            sent_at TEXT,                      -- wall time
            reported INTEGER NOT NULL DEFAULT 0      -- a failure already shown in an office summary
        );
        CREATE INDEX IF NOT EXISTS idx_notifications_recipient ON notifications(recipient, day);
        CREATE INDEX IF NOT EXISTS idx_notifications_status ON notifications(status);
        CREATE TABLE IF NOT EXISTS notification_state (
            recipient TEXT NOT NULL,
            item_id TEXT NOT NULL,             -- catalog item id, or '*' for recipient-wide state
            topic TEXT NOT NULL,               -- status | window | escalation | scan | scan_stale
            value TEXT,
            since TEXT,                        -- clock date the value was first recorded
            updated_at TEXT,
            PRIMARY KEY (recipient, item_id, topic)
        );
        -- `xxgk run` keeps its APScheduler jobs here (monitor.service.SQLiteJobStore), so a
        -- schedule survives restarts and a run missed while the service was down is made up.
        CREATE TABLE IF NOT EXISTS scheduler_jobs (
            id TEXT PRIMARY KEY,
            next_run_time REAL,
            job_state BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_scheduler_jobs_next ON scheduler_jobs(next_run_time);
        """
    )


# 4: dashboard accounts, sessions, search index (monitor.auth, monitor.dashboard)
def m4_auth(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        CREATE TABLE IF NOT EXISTS users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,                -- admin|office|unit|viewer
            unit TEXT,                         -- unit id (role 'unit' only)
            created_at TEXT,
            password_changed_at TEXT
        );
        CREATE TABLE IF NOT EXISTS sessions (
            id INTEGER PRIMARY KEY,
            token_sha256 TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,          -- real UTC time (sessions expire in real time)
            expires_at TEXT NOT NULL,
            ip TEXT
        );
        CREATE INDEX IF NOT EXISTS idx_sessions_user ON sessions(user_id);
        CREATE TABLE IF NOT EXISTS login_attempts (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL,
            ip TEXT,
            at TEXT NOT NULL,                  -- real UTC time
            ok INTEGER NOT NULL                -- 1 success, 0 failure, -1 being verified (counts as failure)
        );
        CREATE INDEX IF NOT EXISTS idx_login_attempts_key ON login_attempts(username, ip, at);
        CREATE INDEX IF NOT EXISTS idx_login_attempts_ip ON login_attempts(ip, at);
        CREATE TABLE IF NOT EXISTS acknowledgements (
            id INTEGER PRIMARY KEY,
            item_id TEXT NOT NULL,
            unit TEXT,
            username TEXT NOT NULL,
            status TEXT,                       -- the status the user saw
            as_of TEXT,
            note TEXT,
            at TEXT NOT NULL                   -- clock time
        );
        CREATE INDEX IF NOT EXISTS idx_ack_item ON acknowledgements(item_id);
        -- Partial indexes for the dashboard's site-health lists (stay small: only problem pages).
        CREATE INDEX IF NOT EXISTS idx_pages_failing ON pages(id) WHERE last_error IS NOT NULL;
        CREATE INDEX IF NOT EXISTS idx_pages_undated ON pages(id)
            WHERE kind = 'article' AND published IS NULL AND updated IS NULL;
        CREATE INDEX IF NOT EXISTS idx_assessments_as_of ON assessments(as_of);
        CREATE VIRTUAL TABLE IF NOT EXISTS dash_search USING fts5(
            grams, kind UNINDEXED, ref UNINDEXED, tokenize = 'unicode61'
        );
        """
    )


# 5: compliance findings, link and site checks (monitor.compliance)
def m5_compliance(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        CREATE TABLE IF NOT EXISTS findings (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                -- id_card|mobile|bank_card|address (monitor.core.vocab.PII_KIND)
            page_id INTEGER,                   -- pages row of the page or attachment
            url TEXT NOT NULL,
            parent_url TEXT,                   -- attachments: a page linking the file
            unit TEXT,                         -- the page's unit ('' = disclosure site / office)
            site TEXT,
            location TEXT,                     -- html | pdf page 3 | xlsx Sheet1!C7 | docx paragraph 12
            masked TEXT NOT NULL,              -- masked value only, never the number itself
            excerpt TEXT,                      -- masked context
            hash TEXT NOT NULL,                -- sha256(salt, kind, value): same leak across scans
            occurrences INTEGER DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'open',  -- open|fixed|accepted
            first_seen_scan INTEGER,
            last_seen_scan INTEGER,
            first_seen_at TEXT,
            last_seen_at TEXT,
            opened_at TEXT,                    -- first seen, or seen again after a fix
            fixed_scan INTEGER,
            fixed_at TEXT,
            accepted_by TEXT,
            accepted_at TEXT,
            note TEXT,
            UNIQUE(page_id, kind, hash)
        );
        CREATE INDEX IF NOT EXISTS idx_findings_status ON findings(status);
        CREATE INDEX IF NOT EXISTS idx_findings_unit ON findings(unit);
        CREATE TABLE IF NOT EXISTS pii_checks (
            page_id INTEGER PRIMARY KEY,       -- newest version of each page already searched
            version_id INTEGER,
            scan_id INTEGER,
            checked_at TEXT,
            hits INTEGER
        );
        CREATE TABLE IF NOT EXISTS link_runs (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER,
            started_at TEXT,
            finished_at TEXT,
            urls INTEGER,
            checked INTEGER,
            from_crawl INTEGER,
            deferred INTEGER
        );
        CREATE TABLE IF NOT EXISTS link_checks (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            scan_id INTEGER,
            url TEXT NOT NULL,
            host TEXT,
            internal INTEGER,
            source TEXT,                       -- crawl (the scan fetched it) | check (the checker) | rule
            method TEXT,                       -- HEAD|GET
            status INTEGER,
            category TEXT NOT NULL,            -- ok|dead|server_error|blocked|intranet|timeout|skipped
            reason TEXT,
            final_url TEXT,
            elapsed_ms INTEGER,
            checked_at TEXT,
            UNIQUE(run_id, url)
        );
        CREATE INDEX IF NOT EXISTS idx_link_checks_url ON link_checks(url);
        CREATE TABLE IF NOT EXISTS site_checks (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER,
            site TEXT NOT NULL,                -- the configured site URL
            unit TEXT,
            checked_at TEXT,
            ok INTEGER,                        -- 1 answered (ok/blocked/intranet), 0 failed
            status INTEGER,
            category TEXT,
            reason TEXT,
            UNIQUE(scan_id, site)
        );
        """
    )


# 6: annual report inputs and runs (monitor.report)
def m6_report(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS report_inputs (
            year TEXT PRIMARY KEY,             -- academic year label, e.g. 2018-2019
            data TEXT NOT NULL,                -- JSON of the validated inputs file
            source TEXT,                       -- path of the file it was read from
            loaded_at TEXT                     -- clock time
        );
        CREATE TABLE IF NOT EXISTS report_runs (
            id INTEGER PRIMARY KEY,
            year TEXT NOT NULL,
            generated_at TEXT NOT NULL,        -- clock time
            as_of TEXT NOT NULL,               -- status date used (year end, or today if the year is running)
            out_dir TEXT,
            formats TEXT,                      -- JSON list
            files TEXT,                        -- JSON {format: {path, sha256}}
            summary TEXT                       -- JSON of the headline figures
        );
        """
    )


# 7: revisit policy (crawler)
def m7_revisit(db: sqlite_utils.Database) -> None:
    cols = {r[1] for r in db.execute("PRAGMA table_info(scans)").fetchall()}
    if "pages_skipped" not in cols:  # ALTER TABLE has no IF NOT EXISTS
        db.execute("ALTER TABLE scans ADD COLUMN pages_skipped INTEGER DEFAULT 0")


# 8: provisional assessments — judged from match candidates still awaiting review (monitor.assess)
def m8_provisional(db: sqlite_utils.Database) -> None:
    cols = {r[1] for r in db.execute("PRAGMA table_info(assessments)").fetchall()}
    if "provisional" not in cols:  # ALTER TABLE has no IF NOT EXISTS
        db.execute("ALTER TABLE assessments ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0")


# 9: browser rendering (crawler/render.py) — why a page was rendered, or why it needed a browser and was not
def m9_render(db: sqlite_utils.Database) -> None:
    cols = {r[1] for r in db.execute("PRAGMA table_info(pages)").fetchall()}
    if "rendered" not in cols:  # ALTER TABLE has no IF NOT EXISTS
        db.execute("ALTER TABLE pages ADD COLUMN rendered TEXT")        # challenge | scripted_list | configured
    if "needs_browser" not in cols:
        db.execute("ALTER TABLE pages ADD COLUMN needs_browser TEXT")   # same codes: needed, not rendered


MIGRATIONS: dict[int, Migration] = {
    1: m1_core,
    2: m2_matching,
    3: m3_notifications,
    4: m4_auth,
    5: m5_compliance,
    6: m6_report,
    7: m7_revisit,
    8: m8_provisional,
    9: m9_render,
}


def apply_migrations(db: sqlite_utils.Database) -> None:
    current = db.execute("PRAGMA user_version").fetchone()[0]
    for number in sorted(MIGRATIONS):
        if number <= current:
            continue
        # Migrations are idempotent SQL (IF NOT EXISTS), so two processes opening a new
        # database at once, or a crash between the script and the version bump, is harmless.
        MIGRATIONS[number](db)
        db.execute(f"PRAGMA user_version = {number}")
