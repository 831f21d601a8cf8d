"""A ``database:`` value that names PostgreSQL: ``postgresql://user@host:port/dbname?schema=name``.

Here (core) rather than in monitor.config or monitor.store because both read it: the config validates the
field, the store opens the target, and neither may import the other's layer for it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["PostgresTarget", "is_database_url", "parse_database_url"]


@dataclass(frozen=True)
class PostgresTarget:
    """A ``database:`` URL: libpq connection info plus the school's schema (one schema per school, docs/fleet.md)."""
    url: str                   # as written, without the schema parameter
    conninfo: str              # what psycopg connects with (the URL minus ``schema``)
    schema: str | None         # None: the fleet's default ``school_<key>`` applies


_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PG_SCHEMES = ("postgresql", "postgres")


def is_database_url(value: str) -> bool:
    return value.split(":", 1)[0].lower() in _PG_SCHEMES and "://" in value


def parse_database_url(value: str) -> PostgresTarget:
    """``postgresql://user@host:port/dbname?schema=name`` (or ``postgres://``); ValueError says what is wrong."""
    from urllib.parse import parse_qsl, urlencode, urlunsplit

    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in _PG_SCHEMES:
        raise ValueError(f"不支持的数据库地址协议 {parts.scheme!r}（应为 postgresql://）")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError("数据库地址的端口应为数字") from None
    if not parts.hostname and not parts.path.strip("/"):
        raise ValueError("数据库地址缺少主机或数据库名（如 postgresql://xxgk@db.example.edu.cn:5432/xxgk）")
    dbname = parts.path.lstrip("/")
    if "/" in dbname:
        raise ValueError(f"数据库名 {dbname!r} 不能包含“/”")
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    if len(schemas) > 1:
        raise ValueError("schema 参数只能给一次")
    schema = schemas[0] if schemas else None
    if schema is not None and not _SCHEMA_RE.match(schema):
        raise ValueError(f"schema {schema!r} 无效：应为小写字母、数字和下划线，以字母或下划线开头，最长 63 个字符")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, rest, ""))
    return PostgresTarget(urlunsplit((parts.scheme, parts.netloc, parts.path, rest, "")), conninfo, schema)
