"""Store pipeline: hands spider items to the page-history writer (``monitor.store.pages``), in batched transactions.

Per-item writes cost 15-20% of crawl throughput, so items are buffered and written every
``BATCH_ITEMS`` items or ``BATCH_SECONDS`` seconds in one transaction, by a writer thread: the
reactor thread only queues items, while hashing, compression and SQLite (which release the GIL)
run beside the crawl. A scan killed between two batches leaves a consistent database (each batch
is atomic); the next scan re-fetches the rest.

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

from monitor.core import clock
from monitor.store import open_db
from monitor.store.pages import PageWriter

BATCH_ITEMS = 300
BATCH_SECONDS = 2.0
QUEUE_ITEMS = 300  # back-pressure: the crawl waits when the writer is this far behind (bounds memory)
FLUSH_BYTES = 16 * 1024 * 1024      # files are large: a batch is also written once its bodies reach this
MAX_PENDING_BYTES = 48 * 1024 * 1024  # and the crawl waits while this much is queued or buffered
_STOP = object()


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
    """The Scrapy side of the store: queues items from the reactor thread and hands them in batches to a
    :class:`monitor.store.pages.PageWriter` on the writer thread."""

    def __init__(self) -> None:
        self.buffer: list[dict] = []
        self.last_flush = time.monotonic()

    # Scrapy hooks ---------------------------------------------------------------------------
    def open_spider(self, spider: Any = None) -> None:
        # Scrapy >= 2.13 calls pipeline hooks without the spider argument.
        spider = spider or self.crawler.spider
        self.spider = spider
        self.scan_id = spider.scan_id
        self.db = open_db(spider.cfg.database_path)
        self.store = PageWriter(self.db.conn, self.scan_id, clock.now_iso())
        spider.pipeline = self  # the worker reads store_errors when the crawl ends
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_ITEMS)
        self.pending = threading.Condition()
        self.pending_bytes = 0
        self.buffer_bytes = 0
        self.writer = threading.Thread(target=self._writer_loop, name="xxgk-store-writer", daemon=True)
        self.writer.start()

    @property
    def store_errors(self) -> int:
        return self.store.store_errors

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
            self.store.write(items)
        except Exception:
            # One bad item must not cost the batch: reload what is really stored, then write the
            # items one by one; an item that still fails is recorded against its URL.
            self.store.reload_pages()
            for item in items:
                try:
                    self.store.write([item])
                except Exception as exc:
                    self.store.reload_pages()
                    self.store.record_store_error(item, exc)
        finally:
            released = sum(item.get("_size", 0) for item in items)
            items.clear()
            with self.pending:
                self.pending_bytes -= released
                self.pending.notify_all()
