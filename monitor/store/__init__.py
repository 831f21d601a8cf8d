"""Storage (SQLite by default, PostgreSQL for a fleet): a page-history model (scans, pages, versions, entries, links, attachments).

The package owns the whole schema (:mod:`.schema`), the connection helpers (:mod:`.db`), the
page-history writes of the crawler (:mod:`.pages`) and the page-history reads of the layers above
(:mod:`.history`). ``from monitor.store import open_db`` stays the one way in; importing it loads
no feature module.
"""
from __future__ import annotations

from monitor.store.db import compress, decompress, dumps, latest_scan, open_db, rows
from monitor.store.engine import Database
from monitor.store.schema import MIGRATIONS, Migration, apply_migrations

__all__ = [
    "Database",
    "MIGRATIONS",
    "Migration",
    "apply_migrations",
    "compress",
    "decompress",
    "dumps",
    "latest_scan",
    "open_db",
    "rows",
]
