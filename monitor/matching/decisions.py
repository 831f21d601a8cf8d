"""A person's match decisions (confirm, reject, assign), stored in ``match_decisions``.

A decision follows its page to a new URL by the page's fingerprint or normalised title
(:func:`load_decisions`); :func:`decide` writes one and reflects it in ``matches`` at once.
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

from monitor.core import clock
from monitor.matching.crawl import Crawl, canon, eval_key
from monitor.matching.textsim import title_key
from monitor.store import history, rows
from monitor.store.engine import Database

Decision = dict[str, Any]   # a match_decisions row


class MatchError(ValueError):
    """A user mistake in a match decision (unknown item, unknown URL)."""


@dataclass
class Decisions:
    """Person decisions resolved to current URLs: url -> {item_id: decision}."""
    by_url: dict[str, dict[str, Decision]] = field(default_factory=lambda: defaultdict(dict))

    def rejected(self, url: str, item_id: str) -> bool:
        return self.by_url.get(url, {}).get(item_id, {}).get("decision") == "reject"

    def assigned(self, url: str) -> list[Decision]:
        return [d for d in self.by_url.get(url, {}).values() if d["decision"] in ("assign", "confirm")]


def load_decisions(db: Database, crawl: Crawl) -> Decisions:
    out = Decisions()
    by_fp: dict[str, list[str]] = defaultdict(list)
    by_title: dict[str, list[str]] = defaultdict(list)
    for p in crawl.pages.values():
        if not crawl.is_current(p.url):
            continue
        if p.fingerprint:
            by_fp[p.fingerprint].append(p.url)
        key = title_key(p.title or p.column_name)
        if key:
            by_title[key].append(p.url)
    for url, title in crawl.entry_title.items():
        if url not in crawl.pages:
            by_title[title_key(title)].append(url)
    for d in rows(db, "SELECT * FROM match_decisions ORDER BY decided_at, id"):
        url = d["url"]
        targets = [url]
        moved = url not in crawl.pages and url not in crawl.parents_of and url not in crawl.attachment_urls
        moved = moved or (url in crawl.pages and not crawl.is_current(url))
        if moved:
            # The page left its URL: the decision follows the same content (fingerprint) or the
            # same title, when that identifies one page.
            found = [u for u in by_fp.get(d["fingerprint"] or "", []) if u != url]
            if not found:
                same = [u for u in by_title.get(d["title_key"] or "", []) if u != url]
                found = same if len(set(same)) == 1 else []
            targets = [url, *found]
        for t in targets:
            out.by_url[t][d["item_id"]] = d
    return out


def page_identity(db: Database, url: str) -> tuple[str | None, str | None, str | None, int | None]:
    """(title_key, fingerprint, target, page_id) for a URL from pages, entries or attachments."""
    p = history.page_identity(db, url)
    if p is not None:
        target = {"list": "column", "attachment": "attachment"}.get(p["kind"] or "", "article")
        return title_key(p["title"] or p["column_name"]) or None, p["fingerprint"], target, p["id"]
    e = rows(db, "SELECT title FROM entries WHERE url=? LIMIT 1", (url,))
    if e:
        return title_key(e[0]["title"]) or None, None, "entry", None
    a = rows(db, "SELECT name FROM attachments WHERE url=? LIMIT 1", (url,))
    if a:
        return title_key(a[0]["name"]) or None, None, "attachment", None
    m = rows(db, "SELECT target FROM matches WHERE url=? LIMIT 1", (url,))
    if m:
        return None, None, m[0]["target"], None
    return None, None, None, None


def decide(db: Database, item_id: str, url: str, decision: str, by: str | None, note: str | None,
           known_items: Iterable[str] | None) -> None:
    item_id = str(item_id).strip()
    url = url.strip()
    if known_items is not None and item_id not in set(known_items):
        raise MatchError(f"目录中没有事项 {item_id}")
    if not url.startswith(("http://", "https://")):
        raise MatchError(f"网址应以 http:// 或 https:// 开头：{url}")
    found = canon(url)
    # The stored page first, also when the pasted URL writes its query in another order.
    base = urlunsplit(urlsplit(found)[:3] + ("", ""))
    for other in history.page_urls_like(db, base + "%"):
        if other == found or eval_key(other) == eval_key(found):
            found = other
            break
    key, fp, target, page_id = page_identity(db, found)
    if target is None and url != found:
        key, fp, target, page_id = page_identity(db, url)
        if target is not None:
            found = url
    if target is None:
        raise MatchError(f"数据库中没有这个网址（请先扫描）：{url}")
    by = by or os.environ.get("USER") or "审核人"
    now = clock.now().isoformat(timespec="seconds")
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            """INSERT INTO match_decisions (item_id, url, title_key, fingerprint, decision, decided_by, decided_at, note)
               VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(item_id, url) DO UPDATE SET title_key=excluded.title_key,
               fingerprint=excluded.fingerprint, decision=excluded.decision, decided_by=excluded.decided_by,
               decided_at=excluded.decided_at, note=excluded.note""",
            (item_id, found, key, fp, decision, by, now, note))
        # Reflect the decision at once; the next match_all also re-derives everything under it.
        if decision == "reject":
            conn.execute("UPDATE matches SET state='rejected', reason=reason || ? WHERE item_id=? AND url=?",
                         (f"；{by}人工否决", item_id, found))
        else:
            verb = "指定" if decision == "assign" else "确认"
            if decision == "assign" and target == "article":
                target = "column"  # an assigned page acts as a column: its files inherit the item
            cur = conn.execute("UPDATE matches SET state='confirmed', method=CASE WHEN ?='assign' THEN 'manual' "
                               "ELSE method END, score=CASE WHEN ?='assign' THEN 1.0 ELSE score END, "
                               "reason=reason || ? WHERE item_id=? AND url=?",
                               (decision, decision, f"；{by}人工{verb}", item_id, found))
            if cur.rowcount == 0:
                conn.execute("INSERT INTO matches (item_id, page_id, url, target, score, reason, method, state) "
                             "VALUES (?,?,?,?,?,?,?,?)",
                             (item_id, page_id, found, target, 1.0, f"{by}人工{verb}对应事项{item_id}", "manual",
                              "confirmed"))
            # One page, one item: a person's choice ends the other candidates for this URL.
            conn.execute("DELETE FROM matches WHERE url=? AND item_id<>? AND state IN ('auto','review')",
                         (found, item_id))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def confirm_match(db: Database, item_id: str, url: str, by: str | None = None, *,
                  note: str | None = None, known_items: Iterable[str] | None = None) -> None:
    """A person confirms that the page at ``url`` is evidence of ``item_id``."""
    decide(db, item_id, url, "confirm", by, note, known_items)


def reject_match(db: Database, item_id: str, url: str, by: str | None = None, *,
                 note: str | None = None, known_items: Iterable[str] | None = None) -> None:
    """A person rejects the match; it stays rejected in later scans and after URL moves."""
    decide(db, item_id, url, "reject", by, note, known_items)


def assign_column(db: Database, item_id: str, url: str, by: str | None = None, *,
                  note: str | None = None, known_items: Iterable[str] | None = None) -> None:
    """A person assigns a column (or page) to an item; its articles inherit it from the next match run."""
    decide(db, item_id, url, "assign", by, note, known_items)
