"""The database connection and its small helpers: open_db, rows, dumps, compress, latest_scan.

One file, WAL mode, opened through sqlite-utils so any SQLite tool can read it. The schema lives
in :mod:`monitor.store.schema` and is brought up to date on open (``PRAGMA user_version``).
"""
from __future__ import annotations

import json
import re
import sqlite3
import zlib
from pathlib import Path
from typing import Any, Sequence

import sqlite_utils

from monitor.core.private_files import private_file
from monitor.store.schema import apply_migrations


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


def rows(db: sqlite_utils.Database, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def latest_scan(db: sqlite_utils.Database, *, finished: bool = True) -> dict | None:
    sql = "SELECT * FROM scans"
    if finished:
        sql += " WHERE status = 'done'"
    found = rows(db, sql + " ORDER BY id DESC LIMIT 1")
    return found[0] if found else None
