"""The two database engines behind one handle: SQLite (one school, the demo) and PostgreSQL (a fleet).

Every layer above gets a :data:`Database` from :func:`monitor.store.open_db` and runs the same SQL on it:
``?`` placeholders, ``INSERT ... ON CONFLICT``, ``RETURNING id``, COALESCE and CASE. Both handles offer
``execute``/``executemany``/``executescript`` (cursors with description, fetchone, fetchall, rowcount),
``transaction()``, ``close()``, ``engine`` and ``conn``.

* :class:`SQLiteDatabase` is the sqlite-utils database it always was (WAL file), plus those few names.
* :class:`PostgresDatabase` is one psycopg connection in autocommit mode (the same statement-at-a-time
  behaviour as the SQLite connection opened with ``isolation_level=None``), its ``search_path`` set to
  the school's schema. It rewrites placeholders (``?`` -> ``%s``, a literal ``%`` -> ``%%``, quoted
  text left alone) and the one SQLite spelling callers use to open a write transaction
  (``BEGIN IMMEDIATE`` -> ``BEGIN``); all other SQL must already be portable.

Only ``monitor.store`` imports sqlite3, sqlite_utils or psycopg.
"""
from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, Sequence, Union

import sqlite_utils

SQLITE: Literal["sqlite"] = "sqlite"
POSTGRESQL: Literal["postgresql"] = "postgresql"


def is_postgres(db: object) -> bool:
    """Whether a handle talks to PostgreSQL; any other handle (a plain sqlite-utils Database too) is SQLite."""
    return getattr(db, "engine", SQLITE) == POSTGRESQL


class SQLiteDatabase(sqlite_utils.Database):
    """A sqlite-utils database over one WAL file, with the names the PostgreSQL handle also has."""

    engine = SQLITE
    dialect = SQLITE

    @contextmanager
    def transaction(self) -> Iterator["SQLiteDatabase"]:
        """A write transaction: IMMEDIATE takes the write lock at once, so two writers wait (busy_timeout)
        instead of failing on a lock upgrade."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def close(self) -> None:
        self.conn.close()

    def secure_delete(self) -> None:
        """Overwritten values are zeroed in the file's free pages (personal data masked after the fact)."""
        self.conn.execute("PRAGMA secure_delete = ON")

    def checkpoint(self) -> None:
        """Move committed pages from the WAL into the main file, so the WAL stops holding old text; a reader
        holding the WAL makes it a no-op until the next one."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass

    @property
    def location(self) -> str:
        """The database file (for log files kept next to it)."""
        return str(self.conn.execute("PRAGMA database_list").fetchone()[2] or ":memory:")


# ---------------------------------------------------------------- PostgreSQL

_TOKEN_RE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?|%")


@lru_cache(maxsize=2048)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` and a literal ``%`` (LIKE '%…') to ``%%``; quoted strings,
    quoted identifiers and ``--`` comments are copied unchanged (a ``?`` in them is not a parameter)."""
    def repl(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "?":
            return "%s"
        if tok == "%":
            return "%%"
        return tok.replace("%", "%%")   # psycopg reads %-sequences in the whole text, literals and comments too
    return _TOKEN_RE.sub(repl, sql)


_BEGIN_RE = re.compile(r"^\s*BEGIN(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED))?(\s+TRANSACTION)?\s*;?\s*$", re.I)


def _numeric_loader() -> type:
    """NUMERIC (what SUM over BIGINT gives) as int when whole, float otherwise, as SQLite returns them."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data: Any) -> Any:
            text = bytes(data).decode("ascii")
            if "." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity"):
                return float(Decimal(text))
            return int(text)

    return NumericLoader


def _text_dumper() -> type:
    """Text parameters without NUL characters: PostgreSQL text cannot hold U+0000 (SQLite can), and a
    site-controlled title or excerpt must not make a whole batch fail. U+FFFD marks the spot."""
    from psycopg.types.string import StrDumper

    class NulSafeStrDumper(StrDumper):
        def dump(self, obj: str) -> Any:
            return super().dump(obj.replace("\x00", "\ufffd") if "\x00" in obj else obj)

    return NulSafeStrDumper


class PostgresDatabase:
    """One psycopg connection to the school's schema; the same calls as :class:`SQLiteDatabase`."""

    engine = POSTGRESQL
    dialect = POSTGRESQL

    def __init__(self, conninfo: str, schema: str, *, connect_timeout: int = 30) -> None:
        import psycopg
        from psycopg import sql as pgsql

        self.schema = schema
        self.conninfo = conninfo
        self._raw = psycopg.connect(conninfo, autocommit=True, connect_timeout=connect_timeout,
                                    application_name=f"xxgk-monitor:{schema}"[:63])  # pg_stat_activity shows the school
        self._raw.adapters.register_loader("numeric", _numeric_loader())
        self._raw.adapters.register_dumper(str, _text_dumper())
        # The schema exists before search_path points at it (the first open of a school creates it); the
        # advisory lock keeps two first opens from racing on the catalog (CREATE SCHEMA IF NOT EXISTS is not
        # safe against a concurrent create).
        with self.advisory_lock("schema"):
            self._raw.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pgsql.Identifier(schema)))
        self._raw.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(schema)))

    # ---- the sqlite-like surface

    @property
    def conn(self) -> "PostgresDatabase":
        """Callers written for sqlite3 run ``db.conn.execute``/``executemany``/``close``; here they are the
        handle's own (placeholders rewritten the same way)."""
        return self

    @property
    def raw(self) -> Any:
        """The psycopg connection (store code that needs PostgreSQL itself: COPY, advisory locks)."""
        return self._raw

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = ()) -> Any:
        if _BEGIN_RE.match(sql):
            sql = "BEGIN"
        if params:
            if isinstance(params, dict):
                raise TypeError("named parameters are not portable: use ? placeholders")
            return self._raw.execute(to_pyformat(sql), tuple(params))
        return self._raw.execute(sql)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Any:
        cur = self._raw.cursor()
        cur.executemany(to_pyformat(sql), [tuple(p) for p in seq])
        return cur

    def executescript(self, script: str) -> None:
        self._raw.execute(script)

    @contextmanager
    def transaction(self) -> Iterator["PostgresDatabase"]:
        self._raw.execute("BEGIN")
        try:
            yield self
        except BaseException:
            self._raw.execute("ROLLBACK")
            raise
        self._raw.execute("COMMIT")

    def __enter__(self) -> "PostgresDatabase":
        """``with db.conn:`` as with sqlite3: commit an open transaction on success, roll it back on error."""
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if self.in_transaction:
            self._raw.execute("ROLLBACK" if exc_type is not None else "COMMIT")

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    def close(self) -> None:
        self._raw.close()

    def secure_delete(self) -> None:
        """Nothing to switch on: old row versions are the server's (VACUUM reclaims them; docs/fleet.md)."""

    def checkpoint(self) -> None:
        """The server checkpoints its own WAL."""

    @property
    def location(self) -> str:
        """Where the data lives, for messages (no password)."""
        info = self._raw.info
        return f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}?schema={self.schema}"

    # ---- PostgreSQL only

    @contextmanager
    def advisory_lock(self, purpose: str) -> Iterator[None]:
        """A session advisory lock on (purpose, schema), held for the block: migrations of one schema from
        two machines run one after the other."""
        key = f"xxgk:{purpose}:{self.schema}"
        self._raw.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (key,))
        try:
            yield
        finally:
            self._raw.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))

    def table_columns(self, table: str) -> set[str]:
        cur = self._raw.execute("SELECT column_name FROM information_schema.columns "
                                "WHERE table_schema = %s AND table_name = %s", (self.schema, table))
        return {r[0] for r in cur.fetchall()}


Database = Union[SQLiteDatabase, PostgresDatabase]


def open_sqlite(path: Path) -> SQLiteDatabase:
    conn = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 60000")
    db = SQLiteDatabase(conn)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def is_integrity_error(exc: BaseException) -> bool:
    """A UNIQUE/foreign-key violation on either engine (callers that treat a duplicate as "already there")."""
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs still work
        return False
    return isinstance(exc, psycopg.errors.IntegrityError)
