"""HTML extraction in worker processes, for the crawl: :class:`PagePool`.

The crawl's reactor thread fetches; extraction (lxml, dates, lists, fingerprint: ~1.5 ms of CPU a page) runs
in ``size`` persistent worker processes beside it, so a scan uses both cores of a small server and a hostile
page that makes lxml or the extraction blow up costs a worker (killed and replaced at the memory or time
limit of ``crawler.extract.documents``), never the crawl. The worker loop and its protocol are the document
readers' (``documents._serve``): a JSON header with each page's URL, response headers, the site's selectors
and the day, the bodies as bytes; the answer is each record as JSON (``records.record_as_json``, rebuilt with
``records.record_from_json``). JSON, not pickle: the worker reads hostile data.

One thread per worker (a *lane*) takes the pages waiting and sends them to its worker as one job, up to
``BATCH_PAGES``: when the crawl outruns extraction a worker never sleeps between pages, and the hand-offs
between processes (a few milliseconds each on a busy machine) are paid once per batch. A batch whose worker
ran past the time limit or died is sent again page by page, so only the page that caused it fails.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Mapping

from crawler.extract.documents import HARD_TIMEOUT, MEMORY_LIMIT, DocumentPool, WorkerFailed
from crawler.extract.records import PageRecord, SiteSelectors, record_as_json, record_from_json

_ENTRY = "import crawler.extract.page_pool as p; p.serve({limit})"
MAX_HEADER_CHARS = 64 * 1024      # response headers sent along (a hostile server can send many)
BATCH_PAGES = 16                  # pages sent to a worker at once, at most
BATCH_BYTES = 4 * 1024 * 1024     # and their bodies, at most (a single larger page goes alone)


class ExtractFailed(Exception):
    """The page could not be read: ``"Type: message"`` of the error in the worker, or why the worker failed."""


@dataclass
class _Job:
    header: dict
    body: bytes
    future: Future = field(default_factory=Future)


class PagePool:
    """``size`` page workers; :meth:`submit` is ``crawler.extract.extract`` run in one of them."""

    def __init__(self, size: int = 2, *, timeout: float = HARD_TIMEOUT, memory_limit: int = MEMORY_LIMIT) -> None:
        self.pool = DocumentPool(size, timeout=timeout, memory_limit=memory_limit, entry=_ENTRY)
        self.size = size
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lanes: list[threading.Thread] = []

    def start(self) -> None:
        """Start the workers and their lanes now (the workers' imports overlap with the first requests). Call
        it from a thread that lives as long as the crawl: a worker's parent-death signal follows the thread
        that spawned it."""
        self.pool.start()
        if not self._lanes:
            for i in range(self.size):
                lane = threading.Thread(target=self._lane, name=f"xxgk-pages-{i}", daemon=True)
                lane.start()
                self._lanes.append(lane)

    def close(self) -> None:
        """Finish the pages submitted, then stop the lanes and the workers."""
        for _ in self._lanes:
            self._jobs.put(None)
        for lane in self._lanes:
            lane.join()
        self._lanes.clear()
        self.pool.close()

    def submit(self, body: bytes, url: str, headers: Mapping[str, str] | None, *,
               selectors: SiteSelectors | None, today: date) -> Future:
        """The page's :class:`PageRecord`, later (or :class:`ExtractFailed`)."""
        if not self._lanes:
            self.start()
        header = {"url": url, "headers": _capped(headers), "today": today.isoformat(),
                  "selectors": asdict(selectors) if selectors is not None else None, "size": len(body)}
        job = _Job(header, body)
        self._jobs.put(job)
        return job.future

    def extract(self, body: bytes, url: str, headers: Mapping[str, str] | None, *,
                selectors: SiteSelectors | None, today: date) -> PageRecord:
        """:meth:`submit`, waited for (blocking)."""
        record: PageRecord = self.submit(body, url, headers, selectors=selectors, today=today).result()
        return record

    # ---- lanes ---------------------------------------------------------------------------------------
    def _lane(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch, size = [first], len(first.body)
            while len(batch) < BATCH_PAGES:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:  # closing: this lane stops after this batch
                    self._jobs.put(None)
                    break
                if size + len(job.body) > BATCH_BYTES:
                    self._jobs.put(job)  # the next batch (or another lane) takes it
                    break
                batch.append(job)
                size += len(job.body)
            self._run(batch)

    def _run(self, batch: list[_Job]) -> None:
        try:
            answers = self._call(batch)
        except WorkerFailed as exc:
            if len(batch) > 1:  # one page of the batch did it: each again alone, so only that one fails
                for job in batch:
                    self._run([job])
                return
            batch[0].future.set_exception(ExtractFailed(f"{type(exc).__name__}: {exc}"))
            return
        except BaseException as exc:  # noqa: BLE001 - the pool itself failed: every page of the batch says so
            for job in batch:
                job.future.set_exception(exc)
            return
        for job, answer in zip(batch, answers):
            try:
                if "record" not in answer:
                    raise ExtractFailed(str(answer.get("error") or "无结果"))
                job.future.set_result(record_from_json(answer["record"]))
            except Exception as exc:  # noqa: BLE001 - a malformed answer fails its page only
                job.future.set_exception(exc)

    def _call(self, batch: list[_Job]) -> list[dict]:
        header = {"job": "pages", "pages": [job.header for job in batch]}
        answer = self.pool.call(header, b"".join(job.body for job in batch))
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(batch):
            raise WorkerFailed("解析进程的回答不完整")
        return [r if isinstance(r, dict) else {"error": "无结果"} for r in results]


def _capped(headers: Mapping[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    size = 0
    for k, v in (headers or {}).items():
        size += len(k) + len(v)
        if size > MAX_HEADER_CHARS:
            break
        out[k] = v
    return out


# ---- the worker process ---------------------------------------------------------------------------
def handle(header: dict, body: bytes) -> dict:
    """One job in the worker: a batch of pages, each answered with its record or its error as
    ``"Type: message"`` (never raises)."""
    results: list[dict] = []
    recycle = False
    offset = 0
    for page in header.get("pages") or []:
        size = int(page.get("size") or 0)
        answer = _page(page, body[offset:offset + size])
        offset += size
        recycle = recycle or bool(answer.pop("recycle", False))
        results.append(answer)
    return {"results": results, "recycle": recycle}


def _page(page: dict, body: bytes) -> dict:
    from crawler.extract.analyse import extract

    try:
        selectors = SiteSelectors.coerce(page.get("selectors"))
        record = extract(body, str(page.get("url") or ""), page.get("headers") or {}, selectors=selectors,
                         today=date.fromisoformat(page["today"]))
        return {"record": record_as_json(record)}
    except MemoryError:
        return {"error": "MemoryError: 解析所需内存超过上限", "recycle": True}
    except Exception as exc:  # noqa: BLE001 - a malformed page is recorded against its URL
        return {"error": f"{type(exc).__name__}: {exc}"}


def serve(memory_limit: int = MEMORY_LIMIT) -> None:
    """The page worker's main loop (``python -c`` of :data:`_ENTRY`)."""
    import crawler.extract.analyse  # noqa: F401 - warm import: the first page should not pay for it
    from crawler.extract import documents

    documents._serve(memory_limit, handler=handle)
