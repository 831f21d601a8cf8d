"""Store pipeline: turns spider items into the page-history model, in batched transactions.

Per-item writes cost 15-20% of crawl throughput, so items are buffered and written every
``BATCH_ITEMS`` items or ``BATCH_SECONDS`` seconds in one transaction, by a writer thread: the
reactor thread only queues items, while hashing, compression and SQLite (which release the GIL)
run beside the crawl. A scan killed between two batches leaves a consistent database (each batch
is atomic); the next scan re-fetches the rest. A new ``versions`` row is written only when a
page's main-content fingerprint changes.

Before it, ``DocumentPipeline`` reads the files the spider fetched (``document`` items) in worker
processes (``crawler.extract.documents``) and turns each into a ``page``, ``failed`` or ``too_complex`` item.
"""
from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from crawler.extract.records import PAGINATION_LINK_TEXT
from monitor.core import clock
from monitor.pii import redact
from monitor.store import compress, dumps, open_db

BATCH_ITEMS = 300
BATCH_SECONDS = 2.0
MAX_SNAPSHOT_BYTES = 30 * 1024 * 1024
EXCERPT_CHARS = 3000
QUEUE_ITEMS = 300  # back-pressure: the crawl waits when the writer is this far behind (bounds memory)
FLUSH_BYTES = 16 * 1024 * 1024      # files are large: a batch is also written once its bodies reach this
MAX_PENDING_BYTES = 48 * 1024 * 1024  # and the crawl waits while this much is queued or buffered
_STOP = object()

_PAGE_COLS = ("id", "url", "fingerprint", "last_seen_at", "last_changed", "last_changed_source", "changed_after",
              "first_seen_scan", "fail_count", "list_root_id", "kind")


def _newest(*pairs: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
    best: tuple[str | None, str | None] = (None, None)
    for date, source in pairs:
        if date and (best[0] is None or date > best[0]):
            best = (date, source)
    return best


class DocumentPipeline:
    """Reads fetched files off the reactor thread, in ``CRAWL_WORKERS`` persistent worker processes
    with memory and wall-time limits (``crawler.extract.documents.DocumentPool``).

    A file past a limit becomes a ``too_complex`` item: a failure recorded against its URL, counted
    in the scan's limits report, stored with its validators and hash. The next scan asks for it
    conditionally, and a 304 or the same bytes again skip it without reading it."""

    def __init__(self) -> None:
        self.pool: Any = None
        self.threads: ThreadPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "DocumentPipeline":
        pipe = cls()
        pipe.crawler = crawler
        return pipe

    def open_spider(self, spider: Any = None) -> None:
        from crawler.extract.documents import CRAWL_WORKERS, DocumentPool

        self.spider = spider or self.crawler.spider
        self.pool = DocumentPool(CRAWL_WORKERS)
        # Started from this long-lived thread: the workers' parent-death signal follows the thread
        # that spawned them, and their imports overlap with the first requests.
        self.pool.start()
        self.threads = ThreadPoolExecutor(CRAWL_WORKERS, thread_name_prefix="xxgk-documents")

    def close_spider(self, spider: Any = None) -> None:
        if self.threads is not None:
            self.threads.shutdown(wait=True)
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: dict, spider: Any = None) -> dict:
        kind = item.get("type")
        if kind == "not_modified":
            known = self.spider.known.get(item["url"]) or {}
            if known.get("too_complex"):  # unchanged since it was skipped: skipped again, unread
                return self._too_complex(item, known.get("last_error"), None, unchanged=True)
            return item
        if kind != "document":
            return item
        from crawler.extract.analyse import _filename, attachment_record
        from crawler.extract.documents import too_complex_message

        body: bytes = item["body"]
        sha = hashlib.sha256(body).hexdigest()
        known = self.spider.known.get(item["url"]) or {}
        if known.get("too_complex") and known.get("sha256") == sha:
            return self._too_complex(item, known.get("last_error"), sha, unchanged=True)
        ctype = item.pop("content_type", None)
        headers = item.get("headers") or {}
        try:
            doc = await self._read(body, _filename(item["url"], headers), ctype)
        except Exception as exc:  # noqa: BLE001 - the pool itself failed: still a failure of this URL
            self.spider.site_stats[item["site"]]["errors"] += 1
            return {**_without_body(item), "type": "failed",
                    "error": f"附件解析失败：{type(exc).__name__}: {exc}"[:500]}
        if doc.limit:
            return self._too_complex(item, too_complex_message(doc.limit), sha)
        if doc.error:
            self.spider.site_stats[item["site"]]["errors"] += 1
            reason = "文件已加密，无法读取" if doc.error == "encrypted" else doc.error
            return {**_without_body(item), "type": "failed", "error": f"附件解析失败：{reason}"[:500]}
        record = attachment_record(doc, body, item["url"], ctype, headers, today=clock.today())
        return {**item, "type": "page", "record": record}

    async def _read(self, body: bytes, name: str, ctype: str | None) -> Any:
        from scrapy.utils.asyncio import is_asyncio_available

        if not is_asyncio_available():  # still isolated in the worker, only not concurrent
            return self.pool.read(body, name, ctype)
        future = self.threads.submit(self.pool.read, body, name, ctype)
        return await asyncio.wrap_future(future)

    def _too_complex(self, item: dict, message: str | None, sha: str | None, *, unchanged: bool = False) -> dict:
        from crawler.extract.documents import TOO_COMPLEX, too_complex_message

        message = message or too_complex_message(None)
        site = item.get("site") or ""
        self.spider.site_stats[site]["errors"] += 1
        if unchanged:
            self.spider.site_stats[site]["files_skipped_unchanged"] += 1
        detail = message.split("（", 1)[1].rstrip("）") if "（" in message else TOO_COMPLEX
        self.spider._limit("file_too_complex", site, detail, item["url"])
        out = {**_without_body(item), "type": "too_complex", "error": message[:500]}
        if sha is not None and not unchanged:
            out["sha256"] = sha
            out["size"] = len(item.get("body") or b"")
        return out


def _without_body(item: dict) -> dict:
    return {k: v for k, v in item.items() if k not in ("body", "content_type")}


class StorePipeline:
    def __init__(self) -> None:
        self.buffer: list[dict] = []
        self.last_flush = time.monotonic()
        self.counts = {"pages_fetched": 0, "pages_new": 0, "pages_changed": 0, "not_modified": 0, "errors": 0,
                       "bytes": 0, "pages_skipped": 0}

    # Scrapy hooks ---------------------------------------------------------------------------
    def open_spider(self, spider: Any = None) -> None:
        # Scrapy >= 2.13 calls pipeline hooks without the spider argument.
        spider = spider or self.crawler.spider
        self.spider = spider
        self.scan_id = spider.scan_id
        self.db = open_db(spider.cfg.database_path)
        self.conn = self.db.conn
        self.now = clock.now_iso()
        self.store_errors = 0
        spider.pipeline = self  # the worker reads store_errors when the crawl ends
        self._reload_pages()
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_ITEMS)
        self.pending = threading.Condition()
        self.pending_bytes = 0
        self.buffer_bytes = 0
        self.writer = threading.Thread(target=self._writer_loop, name="xxgk-store-writer", daemon=True)
        self.writer.start()

    @classmethod
    def from_crawler(cls, crawler: Any) -> "StorePipeline":
        pipe = cls()
        pipe.crawler = crawler
        return pipe

    def process_item(self, item: dict, spider: Any = None) -> dict:
        size = len(item.get("body") or b"") + 4096
        with self.pending:
            while self.pending_bytes and self.pending_bytes + size > MAX_PENDING_BYTES:
                self.pending.wait(timeout=BATCH_SECONDS)
            self.pending_bytes += size
        item["_size"] = size
        self.queue.put(item)
        return item

    def close_spider(self, spider: Any = None) -> None:
        if hasattr(self, "writer"):
            self.queue.put(_STOP)
            self.writer.join()

    def _writer_loop(self) -> None:
        while True:
            try:
                item = self.queue.get(timeout=BATCH_SECONDS)
            except queue.Empty:
                self.flush()
                continue
            if item is _STOP:
                self.flush()
                return
            self.buffer.append(item)
            self.buffer_bytes += item.get("_size", 0)
            if (len(self.buffer) >= BATCH_ITEMS or self.buffer_bytes >= FLUSH_BYTES
                    or time.monotonic() - self.last_flush > BATCH_SECONDS):
                self.flush()

    # Writing --------------------------------------------------------------------------------
    def flush(self) -> None:
        items, self.buffer = self.buffer, []
        self.buffer_bytes = 0
        self.last_flush = time.monotonic()
        if not items:
            return
        try:
            self._write(items)
        except Exception:
            # One bad item must not cost the batch: reload what is really stored, then write the
            # items one by one; an item that still fails is recorded against its URL.
            self._reload_pages()
            for item in items:
                try:
                    self._write([item])
                except Exception as exc:
                    self._reload_pages()
                    self._record_store_error(item, exc)
        finally:
            released = sum(item.get("_size", 0) for item in items)
            items.clear()
            with self.pending:
                self.pending_bytes -= released
                self.pending.notify_all()

    def _write(self, items: list[dict]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
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
            conn.execute(
                "UPDATE scans SET pages_fetched=?, pages_new=?, pages_changed=?, not_modified=?, errors=?, bytes=?, "
                "pages_skipped=? WHERE id=?",
                (self.counts["pages_fetched"], self.counts["pages_new"], self.counts["pages_changed"],
                 self.counts["not_modified"], self.counts["errors"], self.counts["bytes"],
                 self.counts["pages_skipped"], self.scan_id))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _reload_pages(self) -> None:
        self.pages = {}
        for row in self.conn.execute(f"SELECT {', '.join(_PAGE_COLS)} FROM pages"):
            self.pages[row[1]] = dict(zip(_PAGE_COLS, row))

    def _record_store_error(self, item: dict, exc: Exception) -> None:
        self.store_errors += 1
        message = f"存储失败: {type(exc).__name__}: {exc}"[:500]
        self.conn.execute("INSERT INTO fetch_errors (scan_id, url, status, error, at) VALUES (?,?,?,?,?)",
                          (self.scan_id, item.get("url"), item.get("status") or 0, message, self.now))

    def _insert_page(self, url: str, item: dict) -> dict:
        cur = self.conn.execute(
            "INSERT INTO pages (url, site, unit, depth, referrer, first_seen_scan, first_seen_at) VALUES (?,?,?,?,?,?,?)",
            (url, item.get("site"), item.get("unit") or "", item.get("depth"), item.get("referrer"), self.scan_id,
             self.now))
        row = {c: None for c in _PAGE_COLS}
        row.update(id=cur.lastrowid, url=url, first_seen_scan=self.scan_id, fail_count=0)
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
               entry_count=?, list_root_id=?, text_excerpt=?, depth=COALESCE(depth, ?) WHERE id=?""",
            (item.get("site"), item.get("unit") or "", rec.kind, rec.title, rec.column, self.scan_id, self.now,
             self.scan_id, item.get("status", 200), item.get("etag"), item.get("last_modified"),
             headers.get("Content-Type"), len(body), sha, fingerprint, published, published_source, updated,
             updated_source, last_changed, last_source, changed_after, rec.newest_entry,
             len(rec.entries) if rec.kind == "list" else None, list_root_id, redact(text[:EXCERPT_CHARS]),
             item.get("depth"), page_id))
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
                [(page_id, (self.pages.get(a.url) or {}).get("id"), a.url, a.text, scan, scan)
                 for a in rec.attachments])
        if rec.kind == "attachment":
            self.conn.execute("UPDATE attachments SET file_page_id=? WHERE url=? AND file_page_id IS NULL",
                              (page_id, url))

    def _touch_children(self, page_id: int) -> None:
        scan = self.scan_id
        self.conn.execute("UPDATE entries SET last_seen_scan=? WHERE source_page_id=?", (scan, page_id))
        self.conn.execute("UPDATE links SET last_seen_scan=? WHERE page_id=?", (scan, page_id))
        self.conn.execute("UPDATE attachments SET last_seen_scan=? WHERE page_id=?", (scan, page_id))

    def _not_modified(self, item: dict) -> None:
        self.counts["not_modified"] += 1
        row = self.pages.get(item["url"])
        if row is None:  # a 304 for a page we do not know: nothing to refresh
            return
        self.conn.execute(
            """UPDATE pages SET last_seen_scan=?, last_seen_at=?, last_fetch_scan=?, last_status=304,
               last_error=NULL, fail_count=0 WHERE id=?""", (self.scan_id, self.now, self.scan_id, row["id"]))
        row["last_seen_at"] = self.now
        self._touch_children(row["id"])

    def _fresh(self, item: dict) -> None:
        """Not fetched (checked recently): still part of the site as of this scan, with its links,
        entries and files; its fetch fields (last_seen_at, status, validators) stay those of the
        fetch that really happened."""
        self.counts["pages_skipped"] += 1
        row = self.pages.get(item["url"])
        if row is None:
            return
        self.conn.execute("UPDATE pages SET last_seen_scan=? WHERE id=?", (self.scan_id, row["id"]))
        self.conn.execute("UPDATE pages SET last_seen_scan=? WHERE id IN (SELECT file_page_id FROM attachments "
                          "WHERE page_id=? AND file_page_id IS NOT NULL)", (self.scan_id, row["id"]))
        self._touch_children(row["id"])

    def _failed(self, item: dict) -> None:
        self.counts["errors"] += 1
        url = item["url"]
        row = self.pages.get(url) or self._insert_page(url, item)
        fails = (row.get("fail_count") or 0) + 1
        row["fail_count"] = fails
        self.conn.execute(
            "UPDATE pages SET last_fetch_scan=?, last_status=?, last_error=?, fail_count=? WHERE id=?",
            (self.scan_id, item.get("status") or 0, item.get("error"), fails, row["id"]))
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
