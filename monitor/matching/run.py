"""One match run: build the context, run the passes, write the ``matches`` table."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from monitor.config import Config
from monitor.matching import passes
from monitor.matching.context import build_context, catalog_items
from monitor.store.engine import Database


@dataclass
class MatchStats:
    scan_id: int | None = None
    total: int = 0
    auto: int = 0
    review: int = 0
    confirmed: int = 0
    rejected: int = 0
    items_matched: int = 0
    items_total: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    by_target: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def match_all(db: Database, cfg: Config, scan_id: int | None = None) -> MatchStats:
    """Recompute every match from the stored crawl and the review decisions; write ``matches``."""
    result = passes.run(build_context(db, cfg))
    stats = MatchStats(scan_id=scan_id)
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        existing = {(r[0], r[1]) for r in conn.execute("SELECT item_id, url FROM matches")}
        produced = set()
        for url, (target, page_id, cands) in result.items():
            for c in cands:
                produced.add((c.item_id, url))
                conn.execute(
                    """INSERT INTO matches (item_id, page_id, url, target, score, reason, method, state,
                       first_matched_scan, last_matched_scan) VALUES (?,?,?,?,?,?,?,?,?,?)
                       ON CONFLICT(item_id, url) DO UPDATE SET page_id=excluded.page_id, target=excluded.target,
                       score=excluded.score, reason=excluded.reason, method=excluded.method, state=excluded.state,
                       last_matched_scan=excluded.last_matched_scan""",
                    (c.item_id, page_id, url, target, float(c.score), c.reason, c.method, c.state, scan_id, scan_id))
                stats.total += 1
                setattr(stats, c.state, getattr(stats, c.state) + 1)
                stats.by_method[c.method] = stats.by_method.get(c.method, 0) + 1
                stats.by_target[target] = stats.by_target.get(target, 0) + 1
        for item_id, url in existing - produced:
            conn.execute("DELETE FROM matches WHERE item_id=? AND url=?", (item_id, url))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    matched = {r[0] for r in db.execute("SELECT DISTINCT item_id FROM matches WHERE state IN ('auto','confirmed')")}
    stats.items_matched = len(matched)
    stats.items_total = len(catalog_items(cfg))
    return stats
