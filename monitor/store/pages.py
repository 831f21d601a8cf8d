"""Page-history writes: one scan's crawl items become pages, versions, entries, links, attachments
and fetch_errors rows.

:class:`PageWriter` is plain SQL over one connection; the crawler's ``StorePipeline`` owns the Scrapy
hooks, the writer thread and the batching, and hands it batches. A new ``versions`` row is written only
when a page's main-content fingerprint changes.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Iterator

from crawler.extract.records import PAGINATION_LINK_TEXT
from monitor.compliance.pii import redact
from monitor.core import clock
from monitor.core.locks import pid_alive
from monitor.store.db import compress, dumps
from monitor.store.engine import Database

MAX_SNAPSHOT_BYTES = 30 * 1024 * 1024
EXCERPT_CHARS = 3000

_PAGE_COLS = ("id", "url", "fingerprint", "last_seen_at", "last_changed", "last_changed_source", "changed_after",
              "first_seen_scan", "fail_count", "list_root_id", "kind")


class _PageRow:
    """A stored page's columns that a write needs (``_PAGE_COLS``), read and set like a dict's items. Slots,
    not a dict: the writer keeps one per stored page for the whole scan (~130 bytes instead of ~470, the values
    aside; ~34 MB less for a 100,000-page school)."""
    __slots__ = _PAGE_COLS

    def __init__(self, values: Iterator[Any] | tuple[Any, ...]) -> None:
        for name, value in zip(_PAGE_COLS, values):
            setattr(self, name, value)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)

    def update(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)


def _newest(*pairs: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
    best: tuple[str | None, str | None] = (None, None)
    for date, source in pairs:
        if date and (best[0] is None or date > best[0]):
            best = (date, source)
    return best


class PageWriter:
    """Writes the items of scan ``scan_id`` (all stamped ``now``), keeping a cache of the stored pages
    (``pages``: url -> the columns a write needs) and the scan's running counts (``counts``)."""

    def __init__(self, db: Database, scan_id: int, now: str) -> None:
        self.db = db
        self.conn = db.conn
        self.scan_id = scan_id
        self.now = now
        self.counts = {"pages_fetched": 0, "pages_new": 0, "pages_changed": 0, "not_modified": 0, "errors": 0,
                       "bytes": 0, "pages_skipped": 0}
        self.pages: dict[str, _PageRow] = {}
        self._touched: list[int] = []       # this batch's pages answered 304 (written by _touch_batch)
        self._fresh_ids: list[int] = []     # this batch's pages checked recently, not fetched
        self.store_errors = 0
        self.reload_pages()

    def write(self, items: list[dict]) -> None:
        """Write a batch of items in one transaction (all or nothing) and update the scan's counts."""
        self._touched, self._fresh_ids = [], []
        with self.db.transaction():
            for item in items:
                kind = item["type"]
                if kind == "page":
                    self._page(item)
                elif kind == "not_modified":
                    self._not_modified(item)
                elif kind == "fresh":
                    self._fresh(item)
                elif kind == "failed":
                    self._failed(item)
                elif kind == "too_complex":
                    self._too_complex(item)
                else:
                    self._other(item)
            self._touch_batch()
            self.conn.execute(
                "UPDATE scans SET pages_fetched=?, pages_new=?, pages_changed=?, not_modified=?, errors=?, bytes=?, "
                "pages_skipped=? WHERE id=?",
                (self.counts["pages_fetched"], self.counts["pages_new"], self.counts["pages_changed"],
                 self.counts["not_modified"], self.counts["errors"], self.counts["bytes"],
                 self.counts["pages_skipped"], self.scan_id))

    def reload_pages(self) -> None:
        """Re-read the page cache from the database (after a rolled-back batch it is stale)."""
        self.pages = {}
        for row in self.conn.execute(f"SELECT {', '.join(_PAGE_COLS)} FROM pages"):
            self.pages[row[1]] = _PageRow(row)

    def record_store_error(self, item: dict, exc: Exception) -> None:
        """An item that could not be stored is recorded against its URL as a fetch error."""
        self.store_errors += 1
        message = f"存储失败: {type(exc).__name__}: {exc}"[:500]
        self.conn.execute("INSERT INTO fetch_errors (scan_id, url, status, error, at) VALUES (?,?,?,?,?)",
                          (self.scan_id, item.get("url"), item.get("status") or 0, message, self.now))

    def _insert_page(self, url: str, item: dict) -> _PageRow:
        cur = self.conn.execute(
            "INSERT INTO pages (url, site, unit, depth, referrer, first_seen_scan, first_seen_at) VALUES (?,?,?,?,?,?,?)"
            " RETURNING id",
            (url, item.get("site"), item.get("unit") or "", item.get("depth"), item.get("referrer"), self.scan_id,
             self.now))
        row = _PageRow(None for _ in _PAGE_COLS)
        row.update(id=cur.fetchall()[0][0], url=url, first_seen_scan=self.scan_id, fail_count=0)
        self.pages[url] = row
        return row

    def _root_id(self, item: dict, page_id: int) -> int:
        root = item.get("list_root")
        if root and root in self.pages:
            return self.pages[root]["id"]
        return page_id

    def _page(self, item: dict) -> None:
        rec = item["record"]
        url = item["url"]
        body: bytes = item.get("body") or b""
        self.counts["pages_fetched"] += 1
        self.counts["bytes"] += len(body)
        row = self.pages.get(url)
        is_new = row is None or row.get("fingerprint") is None
        if row is None:
            row = self._insert_page(url, item)
        page_id = row["id"]
        fingerprint = rec.fingerprint
        changed = not is_new and row["fingerprint"] != fingerprint
        published, published_source = rec.published, rec.published_source
        updated, updated_source = rec.updated, rec.updated_source
        changed_after = row.get("changed_after")
        last_changed, last_source = _newest((published, published_source), (updated, updated_source))
        if changed:
            changed_after = row.get("last_seen_at")
        if last_changed is None:
            if changed:  # no date on the page: the change is what we observed between two scans
                last_changed, last_source = self.now[:10], "observed"
            else:
                last_changed, last_source = row.get("last_changed"), row.get("last_changed_source")
        if is_new:
            self.counts["pages_new"] += 1
        elif changed:
            self.counts["pages_changed"] += 1
        list_root_id = self._root_id(item, page_id) if rec.kind == "list" else None
        if list_root_id == page_id:
            list_root_id = None if not item.get("list_root") else list_root_id
        text = rec.text or ""
        sha = hashlib.sha256(body).hexdigest()
        headers = item.get("headers") or {}
        self.conn.execute(
            """UPDATE pages SET site=?, unit=?, kind=?, title=?, column_name=?, last_seen_scan=?, last_seen_at=?,
               last_fetch_scan=?, last_status=?, last_error=NULL, fail_count=0, etag=?, last_modified=?,
               content_type=?, size=?, sha256=?, fingerprint=?, published=?, published_source=?, updated=?,
               updated_source=?, last_changed=?, last_changed_source=?, changed_after=?, newest_entry=?,
               entry_count=?, list_root_id=?, text_excerpt=?, depth=COALESCE(depth, ?), rendered=?, needs_browser=?
               WHERE id=?""",
            (item.get("site"), item.get("unit") or "", rec.kind, rec.title, rec.column, self.scan_id, self.now,
             self.scan_id, item.get("status", 200), item.get("etag"), item.get("last_modified"),
             headers.get("Content-Type"), len(body), sha, fingerprint, published, published_source, updated,
             updated_source, last_changed, last_source, changed_after, rec.newest_entry,
             len(rec.entries) if rec.kind == "list" else None, list_root_id, redact(text[:EXCERPT_CHARS]),
             item.get("depth"), item.get("rendered"), item.get("needs_browser"), page_id))
        if is_new or changed:
            self.conn.execute(
                """INSERT INTO versions (page_id, scan_id, fetched_at, changed_after, fingerprint, body_sha256, title,
                   published, published_source, updated, updated_source, status, content_type, headers, snapshot, text)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (page_id, self.scan_id, self.now, changed_after if changed else None, fingerprint, sha, rec.title,
                 published, published_source, updated, updated_source, item.get("status", 200),
                 headers.get("Content-Type"), dumps(headers),
                 compress(body[:MAX_SNAPSHOT_BYTES]), compress(text)))
        row.update(fingerprint=fingerprint, last_seen_at=self.now, last_changed=last_changed,
                   last_changed_source=last_source, changed_after=changed_after, kind=rec.kind,
                   list_root_id=list_root_id, fail_count=0)
        scan = self.scan_id
        if rec.kind == "list" and rec.entries:
            root_id = self._root_id(item, page_id)
            self.conn.executemany(
                """INSERT INTO entries (list_page_id, source_page_id, url, title, date, date_source, first_seen_scan,
                   last_seen_scan) VALUES (?,?,?,?,?,?,?,?)
                   ON CONFLICT(list_page_id, url) DO UPDATE SET source_page_id=excluded.source_page_id,
                   title=excluded.title, date=excluded.date, date_source=excluded.date_source,
                   last_seen_scan=excluded.last_seen_scan""",
                [(root_id, page_id, e.url, e.title, e.date, e.date_source, scan, scan) for e in rec.entries])
        links = {l.url: l.text for l in rec.links}
        for p in rec.pagination:  # marked even when it is also an ordinary link ("下一页"): a re-scan relies on it
            links[p] = PAGINATION_LINK_TEXT
        for a in rec.attachments:
            links.setdefault(a.url, a.text)
        if links:
            self.conn.executemany(
                """INSERT INTO links (page_id, url, text, first_seen_scan, last_seen_scan) VALUES (?,?,?,?,?)
                   ON CONFLICT(page_id, url) DO UPDATE SET text=excluded.text, last_seen_scan=excluded.last_seen_scan""",
                [(page_id, u, (t or "")[:300], scan, scan) for u, t in links.items()])
        if rec.attachments:
            self.conn.executemany(
                """INSERT INTO attachments (page_id, file_page_id, url, name, first_seen_scan, last_seen_scan)
                   VALUES (?,?,?,?,?,?)
                   ON CONFLICT(page_id, url) DO UPDATE SET name=excluded.name, last_seen_scan=excluded.last_seen_scan,
                   file_page_id=COALESCE(excluded.file_page_id, attachments.file_page_id)""",
                [(page_id, file_row["id"] if (file_row := self.pages.get(a.url)) else None, a.url, a.text, scan, scan)
                 for a in rec.attachments])
        if rec.kind == "attachment":
            self.conn.execute("UPDATE attachments SET file_page_id=? WHERE url=? AND file_page_id IS NULL",
                              (page_id, url))

    def _not_modified(self, item: dict) -> None:
        self.counts["not_modified"] += 1
        row = self.pages.get(item["url"])
        if row is None:  # a 304 for a page we do not know: nothing to refresh
            return
        row["last_seen_at"] = self.now
        self._touched.append(row["id"])  # written with the batch (_touch_batch)

    def _fresh(self, item: dict) -> None:
        """Not fetched (checked recently): still part of the site as of this scan, with its links,
        entries and files; its fetch fields (last_seen_at, status, validators) stay those of the
        fetch that really happened."""
        self.counts["pages_skipped"] += 1
        row = self.pages.get(item["url"])
        if row is None:
            return
        self._fresh_ids.append(row["id"])  # written with the batch (_touch_batch)

    def _touch_batch(self) -> None:
        """The batch's 304 and recently checked pages, their links, entries and files: seen by this scan.
        A re-scan has thousands of them, so a few statements per batch rather than five per page (each
        statement is a round trip for the writer thread, which waits for the GIL after every one)."""
        scan, now = self.scan_id, self.now
        for ids in _chunks(self._touched):
            marks = ",".join("?" * len(ids))
            self.conn.execute(
                f"""UPDATE pages SET last_seen_scan=?, last_seen_at=?, last_fetch_scan=?, last_status=304,
                    last_error=NULL, fail_count=0 WHERE id IN ({marks})""", (scan, now, scan, *ids))
        for ids in _chunks(self._fresh_ids):
            marks = ",".join("?" * len(ids))
            self.conn.execute(f"UPDATE pages SET last_seen_scan=? WHERE id IN ({marks})", (scan, *ids))
            self.conn.execute(f"UPDATE pages SET last_seen_scan=? WHERE id IN (SELECT file_page_id FROM attachments "
                              f"WHERE page_id IN ({marks}) AND file_page_id IS NOT NULL)", (scan, *ids))
        for ids in _chunks(self._touched + self._fresh_ids):
            marks = ",".join("?" * len(ids))
            self.conn.execute(f"UPDATE entries SET last_seen_scan=? WHERE source_page_id IN ({marks})", (scan, *ids))
            self.conn.execute(f"UPDATE links SET last_seen_scan=? WHERE page_id IN ({marks})", (scan, *ids))
            self.conn.execute(f"UPDATE attachments SET last_seen_scan=? WHERE page_id IN ({marks})", (scan, *ids))

    def _failed(self, item: dict) -> None:
        self.counts["errors"] += 1
        url = item["url"]
        row = self.pages.get(url) or self._insert_page(url, item)
        fails = (row.get("fail_count") or 0) + 1
        row["fail_count"] = fails
        self.conn.execute(
            "UPDATE pages SET last_fetch_scan=?, last_status=?, last_error=?, fail_count=?, needs_browser=? WHERE id=?",
            (self.scan_id, item.get("status") or 0, item.get("error"), fails, item.get("needs_browser"), row["id"]))
        self.conn.execute("INSERT INTO fetch_errors (scan_id, url, status, error, at) VALUES (?,?,?,?,?)",
                          (self.scan_id, url, item.get("status") or 0, item.get("error"), self.now))

    def _too_complex(self, item: dict) -> None:
        """A file skipped at a limit: a failure, plus what identifies the file (validators, hash) so the
        next scan asks for it conditionally and does not read the same bytes again."""
        self._failed(item)
        if item.get("sha256"):
            row = self.pages[item["url"]]
            headers = item.get("headers") or {}
            self.counts["bytes"] += item.get("size") or 0
            self.conn.execute("UPDATE pages SET etag=?, last_modified=?, sha256=?, size=?, content_type=? WHERE id=?",
                              (item.get("etag"), item.get("last_modified"), item["sha256"], item.get("size"),
                               headers.get("Content-Type"), row["id"]))

    def _other(self, item: dict) -> None:
        self.counts["pages_fetched"] += 1
        url = item["url"]
        row = self.pages.get(url) or self._insert_page(url, item)
        headers = item.get("headers") or {}
        self.conn.execute(
            """UPDATE pages SET kind='other', last_seen_scan=?, last_seen_at=?, last_fetch_scan=?, last_status=?,
               last_error=NULL, fail_count=0, content_type=?, size=?, etag=?, last_modified=? WHERE id=?""",
            (self.scan_id, self.now, self.scan_id, item.get("status"), headers.get("Content-Type"), item.get("size"),
             item.get("etag"), item.get("last_modified"), row["id"]))


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """Page ids in groups small enough for one statement's placeholders."""
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def mark_interrupted(db: Any) -> int:
    """Scans still 'running' whose crawl process is gone were killed: say so. Call it under the scan lock
    (a row another scan has just inserted, its pid not yet written, must not be taken for a dead one)."""
    n = 0
    for scan in db.execute("SELECT id, pid FROM scans WHERE status = 'running'").fetchall():
        if not pid_alive(scan[1]):
            db.execute("UPDATE scans SET status='interrupted', message=COALESCE(message, '扫描进程已不存在（被终止）') "
                       "WHERE id=?", (scan[0],))
            n += 1
    return n


def start_scan(db: Any, trigger: str, *, pid: int | None = None) -> int:
    """A new scan row, 'running', on the product clock (and the wall clock, for the logs)."""
    cur = db.execute(
        "INSERT INTO scans (started_at, wall_started_at, status, trigger, pid) VALUES (?,?,?,?,?) RETURNING id",
        (clock.now_iso(), datetime.now().astimezone().isoformat(timespec="seconds"), "running", trigger, pid))
    return int(cur.fetchall()[0][0])


def finish_scan(db: Any, scan_id: int, *, finished_at: str, status: str, limits: list, sites: dict,
                message: str) -> None:
    """Close the scan row the crawl process was given."""
    db.execute("UPDATE scans SET finished_at=?, status=?, limits_hit=?, sites=?, message=? WHERE id=?",
               (finished_at, status, json.dumps(limits, ensure_ascii=False),
                json.dumps(sites, ensure_ascii=False), message, scan_id))


# ---- compliance rewrites (personal data masked after the fact)

def set_version_bodies(db: Any, version_id: int, snapshot: bytes | None, text: bytes | None) -> None:
    """Replace a version's stored snapshot and text with these (uncompressed) bodies; None stores NULL."""
    db.execute("UPDATE versions SET snapshot = ?, text = ? WHERE id = ?",
               (compress(snapshot) if snapshot is not None else None,
                compress(text) if text is not None else None, version_id))


def set_text_excerpt(db: Any, page_id: int, text: str) -> None:
    """Replace a page's stored plain-text excerpt."""
    db.execute("UPDATE pages SET text_excerpt = ? WHERE id = ?", (text, page_id))
