"""Title search that works for two-character Chinese words (招生, 决算).

SQLite's FTS5 ``trigram`` tokenizer needs three characters, so page titles and column names are
indexed as character bigrams (plus whole Latin/digit words) in the ``dash_search`` table (migration 4:
FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL; monitor.store.fulltext writes each query). A query becomes a phrase of its bigrams, which matches exactly the titles that
contain the query as a substring. The index follows the scans incrementally: pages fetched since
the last indexed scan are re-indexed on the next search.
"""
from __future__ import annotations

import re
import threading

from monitor import store
from monitor.store import fulltext, history
from monitor.store.engine import Database

_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[0-9a-zA-Z\u00c0-\u024f]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_lock = threading.Lock()
_STATE_KEY = "dash_search_state"


def grams(text: str | None) -> list[str]:
    """Tokens of a text: CJK runs as overlapping bigrams (single characters alone), words whole."""
    out: list[str] = []
    for run in _RUN.findall((text or "").lower()):
        if _CJK.match(run):
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


def phrases(query: str) -> list[fulltext.Phrase]:
    """The phrases a user query must all match: each run's grams in order."""
    out = []
    for run in _RUN.findall(query.lower()):
        toks = grams(run)
        if not toks:
            continue
        if _CJK.match(run) and len(run) == 1:
            out.append(fulltext.Phrase((run,), prefix=True))  # one character: any bigram starting with it
        else:
            out.append(fulltext.Phrase(tuple(toks)))
    return out


def fts_query(query: str, db: Database) -> str | None:
    """The full-text query for a user query in ``db``'s engine; None when nothing searchable is left."""
    return fulltext.match_query(db, phrases(query))


def _state(db: Database) -> str:
    scan, count, max_id = history.page_index_state(db)
    return f"{scan or 0}:{count}:{max_id or 0}"


def sync(db: Database) -> int:
    """Bring the index up to date with ``pages``; returns the number of pages (re)indexed."""
    with _lock:
        state = _state(db)
        found = db.execute("SELECT value FROM meta WHERE key = ?", (_STATE_KEY,)).fetchone()
        previous = found[0] if found else None
        if previous == state:
            return 0
        prev_scan, prev_count, prev_max = (int(x) for x in (previous or "-1:0:0").split(":"))
        params: tuple[int, ...]
        if previous is None or int(state.split(":")[1]) < prev_count:
            where, params = "1=1", ()              # first build, or pages were removed: rebuild
            db.execute("DELETE FROM dash_search")
        else:
            where, params = "id > ? OR COALESCE(last_fetch_scan, 0) >= ?", (prev_max, prev_scan)
        n = 0
        db.execute("BEGIN")
        try:
            for batch in history.page_title_batches(db, where, params, 2000):
                db.conn.executemany("DELETE FROM dash_search WHERE rowid = ?", [(r[0],) for r in batch])
                db.conn.executemany(
                    "INSERT INTO dash_search (rowid, grams, kind, ref) VALUES (?, ?, 'page', ?)",
                    [(r[0], " ".join(grams(f"{r[1] or ''} {r[2] or ''}")), r[0]) for r in batch])
                n += len(batch)
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       (_STATE_KEY, state))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return n


def search_pages(db: Database, query: str, *, unit: str | None = None, limit: int = 50,
                 offset: int = 0) -> tuple[list[dict], int]:
    """Pages whose title or column name contains the query; (rows, total)."""
    expr = fts_query(query, db)
    if not expr:
        return [], 0
    sync(db)
    where = fulltext.match_condition(db)
    params: list = [expr]
    if unit is not None:
        where += " AND p.unit = ?"
        params.append(unit)
    base = f"FROM dash_search s JOIN pages p ON p.id = s.rowid WHERE {where}"
    total = db.execute(f"SELECT COUNT(*) {base}", params).fetchone()[0]
    found = store.rows(
        db, f"SELECT p.id, p.url, p.title, p.column_name, p.kind, p.unit, p.last_changed, p.last_changed_source"
            f" {base} ORDER BY p.last_changed DESC NULLS LAST, p.id LIMIT ? OFFSET ?", [*params, limit, offset])
    return found, total


def matches_text(query: str, *texts: str | None) -> bool:
    """Substring test used for the (small) catalog item list."""
    q = query.strip().lower()
    return bool(q) and any(q in (t or "").lower() for t in texts)
