"""The database connection and its small helpers: open_db, rows, dumps, compress, latest_scan.

SQLite: one file, WAL mode, opened through sqlite-utils so any SQLite tool can read it. PostgreSQL: the
school's schema in a shared database (:mod:`monitor.store.engine`, docs/fleet.md "The store"). The schema lives
in :mod:`monitor.store.schema` and is brought up to date on open (``PRAGMA user_version``).
"""
from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any, Sequence

from monitor.core.dburl import PostgresTarget, is_database_url, parse_database_url
from monitor.core.private_files import private_file
from monitor.store.engine import Database, PostgresDatabase, open_sqlite
from monitor.store.schema import apply_migrations


def open_db(target: str | Path | PostgresTarget, *, migrate: bool = True, schema: str | None = None) -> Database:
    """Open the school's database and bring its schema up to date: a SQLite file (created if needed, WAL mode)
    for a path, the school's schema in PostgreSQL for a ``postgresql://`` URL or a config's
    ``database_target``. ``schema`` overrides the URL's ``schema`` parameter."""
    if isinstance(target, str) and is_database_url(target):
        target = parse_database_url(target)
    db: Database
    if isinstance(target, PostgresTarget):
        name = schema or target.schema
        if not name:
            raise ValueError(f"数据库地址 {target.url} 没有指定 schema（?schema=school_<key>）")
        db = PostgresDatabase(target.conninfo, name)
    else:
        path = Path(target)
        if path.suffix == ".postgresql":  # Config.database_path of a PostgreSQL config: a lock anchor, never a file
            raise ValueError(f"{path} 是 PostgreSQL 配置的锁文件位置，不是数据库：请用 Config.database_target 打开")
        # private from the first byte: SQLite gives the -wal/-shm files the database file's permissions
        private_file(path)
        db = open_sqlite(path)
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


def rows(db: Database, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
    cur = db.execute(sql, params)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def latest_scan(db: Database, *, finished: bool = True) -> dict | None:
    sql = "SELECT * FROM scans"
    if finished:
        sql += " WHERE status = 'done'"
    found = rows(db, sql + " ORDER BY id DESC LIMIT 1")
    return found[0] if found else None
