"""Store pipeline: hands spider items to the page-history writer (``monitor.store.pages``), in batched transactions.

Per-item writes cost 15-20% of crawl throughput, so items are buffered and written every
``BATCH_ITEMS`` items or ``BATCH_SECONDS`` seconds in one transaction, by a writer thread: hashing,
compression and SQLite (which release the GIL) run beside the crawl. The reactor thread never waits:
``process_item`` queues the item and returns an awaitable that completes when the writer has taken it
into its batch. Until then the response stays "active" in Scrapy's scraper slot, so when the writer falls
behind, Scrapy's own back-pressure (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``, crawler.settings) stops new requests
while downloads in flight, timers and timeouts keep running. A scan killed between two batches leaves a
consistent database (each batch is atomic); the next scan re-fetches the rest.

Before it, ``DocumentPipeline`` reads the files the spider fetched (``document`` items) in worker
processes (``crawler.extract.documents``) and turns each into a ``page``, ``failed`` or ``too_complex`` item.
"""
from __future__ import annotations

import hashlib
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, Callable

from twisted.internet.defer import Deferred

from monitor.core import clock
from monitor.store import open_db
from monitor.store.pages import PageWriter

# A batch holds its pages' records (links, entries) until it is written: 300 items raised the crawl's peak
# memory by ~15 MB on the large estate for no measurable speed (docs/benchmarks.md).
BATCH_ITEMS = 100
BATCH_SECONDS = 2.0
FLUSH_BYTES = 16 * 1024 * 1024      # files are large: a batch is also written once its bodies reach this
_STOP = object()


def _call_on_reactor(fn: Callable[[], None]) -> None:
    from twisted.internet import reactor

    reactor.callFromThread(fn)  # type: ignore[attr-defined]


async def await_deferred(d: Deferred) -> Any:
    """Await a Deferred under either reactor (asyncio: as a Future; Twisted: as itself)."""
    from scrapy.utils.defer import maybe_deferred_to_future

    return await maybe_deferred_to_future(d)


async def await_thread(future: Future) -> Any:
    """The result of work running in another thread, awaited on the reactor (never blocking it)."""
    d: Deferred = Deferred()

    def settle(f: Future) -> None:
        exc = f.exception()
        _call_on_reactor(lambda: d.errback(exc) if exc is not None else d.callback(f.result()))

    future.add_done_callback(settle)
    return await await_deferred(d)


class DocumentPipeline:
    """Reads fetched files off the reactor thread, in ``CRAWL_WORKERS`` persistent worker processes
    with memory and wall-time limits (``crawler.extract.documents.DocumentPool``).

    A file past a limit becomes a ``too_complex`` item: a failure recorded against its URL, counted
    in the scan's limits report, stored with its validators and hash. The next scan asks for it
    conditionally, and a 304 or the same bytes again skip it without reading it."""

    crawler: Any

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
        # A worker starts at the first file it is given (most re-scans read no file at all: files checked
        # recently wait for their revisit, unchanged ones answer 304), from a thread of ``threads``: those
        # live until close_spider, and the workers' parent-death signal follows the thread that spawned them.
        self.pool = DocumentPool(CRAWL_WORKERS)
        self.threads = ThreadPoolExecutor(CRAWL_WORKERS, thread_name_prefix="xxgk-documents")

    def close_spider(self, spider: Any = None) -> None:
        if self.threads is not None:
            self.threads.shutdown(wait=True)
        if self.pool is not None:
            self.pool.close()

    async def process_item(self, item: dict, spider: Any = None) -> dict:
        kind = item.get("type")
        if kind == "not_modified":
            known = self.spider.known.get(item["url"])
            if known is not None and known.too_complex:  # unchanged since it was skipped: skipped again, unread
                return self._too_complex(item, known.last_error, None, unchanged=True)
            return item
        if kind != "document":
            return item
        from crawler.extract.analyse import _filename, attachment_record
        from crawler.extract.documents import too_complex_message

        body: bytes = item["body"]
        sha = hashlib.sha256(body).hexdigest()
        known = self.spider.known.get(item["url"])
        if known is not None and known.too_complex and known.sha256 == sha:
            return self._too_complex(item, known.last_error, sha, unchanged=True)
        ctype = item.pop("content_type", None)
        headers = item.get("headers") or {}
        try:
            doc = await self._read(body, _filename(item["url"], headers), ctype)
        except Exception as exc:  # noqa: BLE001 - the pool itself failed: still a failure of this URL
            self.spider.count(item["site"], "errors")
            return {**_without_body(item), "type": "failed",
                    "error": f"附件解析失败：{type(exc).__name__}: {exc}"[:500]}
        if doc.limit:
            return self._too_complex(item, too_complex_message(doc.limit), sha)
        if doc.error:
            self.spider.count(item["site"], "errors")
            reason = "文件已加密，无法读取" if doc.error == "encrypted" else doc.error
            return {**_without_body(item), "type": "failed", "error": f"附件解析失败：{reason}"[:500]}
        record = attachment_record(doc, body, item["url"], ctype, headers, today=clock.today())
        return {**item, "type": "page", "record": record}

    async def _read(self, body: bytes, name: str, ctype: str | None) -> Any:
        assert self.threads is not None  # opened in open_spider
        return await await_thread(self.threads.submit(self.pool.read, body, name, ctype))

    def _too_complex(self, item: dict, message: str | None, sha: str | None, *, unchanged: bool = False) -> dict:
        from crawler.extract.documents import TOO_COMPLEX, too_complex_message

        message = message or too_complex_message(None)
        site = item.get("site") or ""
        self.spider.count(site, "errors")
        if unchanged:
            self.spider.count(site, "files_skipped_unchanged")
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
    """The Scrapy side of the store: takes items on the reactor thread without ever waiting there, and hands
    them in batches to a :class:`monitor.store.pages.PageWriter` on the writer thread."""

    crawler: Any

    def __init__(self) -> None:
        self.buffer: list[dict] = []
        self.buffer_bytes = 0
        self.last_flush = time.monotonic()
        # (item, Deferred fired once the writer took the item, or None for an item handed over by take()), or
        # _STOP; unbounded: Scrapy's scraper slot bounds what waits here (SCRAPER_SLOT_MAX_ACTIVE_SIZE), and
        # items from start() and take() are small
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.writer: threading.Thread | None = None
        self.writer_done: Future = Future()     # set when the writer thread ends (its last batch written)
        self.writer_error: BaseException | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "StorePipeline":
        pipe = cls()
        pipe.crawler = crawler
        return pipe

    # Scrapy hooks ---------------------------------------------------------------------------
    def open_spider(self, spider: Any = None) -> None:
        # Scrapy >= 2.13 calls pipeline hooks without the spider argument.
        spider = spider or self.crawler.spider
        self.spider = spider
        self.db = open_db(spider.cfg.database_target)
        self.store = PageWriter(self.db, spider.scan_id, clock.now_iso())
        spider.pipeline = self  # the spider reads store_errors when the crawl ends
        self.writer = threading.Thread(target=self._run_writer, name="xxgk-store-writer", daemon=True)
        self.writer.start()

    @property
    def store_errors(self) -> int:
        return self.store.store_errors

    async def process_item(self, item: dict, spider: Any = None) -> dict:
        """Completes when the writer has taken the item into its batch (it is written with that batch). Returns
        what was stored, without the bodies: Scrapy's log and signals need no copy of a page."""
        if self.writer_error is not None:
            raise RuntimeError(f"存储写入线程已停止：{self.writer_error}")
        item["_size"] = len(item.get("body") or b"") + 4096
        taken: Deferred = Deferred()
        self.queue.put((item, taken))
        await await_deferred(taken)
        return {"type": item.get("type"), "url": item.get("url"), "status": item.get("status")}

    def take(self, item: dict) -> None:
        """An item the spider hands over directly, not through Scrapy's item machinery: a page checked
        recently (``fresh``: a few hundred bytes, nothing to read; a re-scan has thousands). It is written
        with the next batch; nothing waits for it."""
        if self.writer_error is not None:
            raise RuntimeError(f"存储写入线程已停止：{self.writer_error}")
        self.queue.put((item, None))

    async def close_spider(self, spider: Any = None) -> None:
        """The last batch is written before the crawl counts as closed (off the reactor thread)."""
        if self.writer is None:
            return
        self.queue.put(_STOP)
        try:
            await await_thread(self.writer_done)
        except Exception:  # noqa: BLE001 - already recorded in writer_error; the scan row says so
            pass

    # The writer thread ------------------------------------------------------------------------
    def _run_writer(self) -> None:
        try:
            self._writer_loop()
        except BaseException as exc:
            # Nothing can be stored any more: release every item still waiting (each fails, the crawl ends
            # instead of hanging), and let the scan row say why.
            self.writer_error = exc
            waiting = []
            while True:
                try:
                    entry = self.queue.get_nowait()
                except queue.Empty:
                    break
                if entry is not _STOP and entry[1] is not None:
                    waiting.append(entry[1])
            _call_on_reactor(partial(_fail, waiting, exc))
            self.writer_done.set_exception(exc)
            raise
        self.writer_done.set_result(None)

    def _writer_loop(self) -> None:
        while True:
            try:
                entry = self.queue.get(timeout=BATCH_SECONDS)
            except queue.Empty:
                self.flush()
                continue
            taken: list[tuple[Deferred, dict]] = []
            stop = False
            # Take what is waiting, up to a batch, and tell the reactor once: one wake-up for many items.
            while True:
                if entry is _STOP:
                    stop = True
                    break
                item, d = entry
                self.buffer.append(item)
                self.buffer_bytes += item.get("_size", 0)
                if d is not None:
                    taken.append((d, item))
                if len(self.buffer) >= BATCH_ITEMS or self.buffer_bytes >= FLUSH_BYTES:
                    break
                try:
                    entry = self.queue.get_nowait()
                except queue.Empty:
                    break
            if taken:
                _call_on_reactor(partial(_fire, taken))
            if stop:
                self.flush()
                return
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
            items.clear()


def _fire(taken: list[tuple[Deferred, dict]]) -> None:
    for d, item in taken:
        d.callback(item)


def _fail(waiting: list[Deferred], exc: BaseException) -> None:
    for d in waiting:
        if not d.called:
            d.errback(exc)
