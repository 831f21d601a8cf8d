"""The crawl's frontier in memory, compactly: the school spider's ``SCHEDULER_MEMORY_QUEUE``.

At the crawl's peak a few thousand requests wait in the scheduler. Scrapy's ``FifoMemoryQueue`` keeps each
as a ``Request`` object: the object, its ``Headers`` (a dict of lists of bytes), its meta dict and an entry
in Scrapy's live-reference tracker (``scrapy.utils.trackref``), about 1.6 KB a request. :class:`CompactFifoQueue`
keeps a plain ``Request`` as one tuple instead:

    (shape, weak reference to the request, url, *header values, *meta values, *the optional fields the shape names)

The *shape* is shared: the callback's and errback's names (spider methods, rebuilt through the spider as
``request_from_dict`` does), method, priority, ``dont_filter``, encoding, the header names, the meta keys
and which of body, cookies, flags and cb_kwargs the request has — the requests of a crawl have a handful of
shapes. A string or bytes value equal to the one at the same place in the previous request of the queue is
kept once (the Referer of a page's links, their ``download_slot``). ``pop()`` and ``peek()`` rebuild an
equal ``Request`` — unless something else still holds the request that was pushed: then it is returned
itself, as FifoMemoryQueue would (Scrapy's shell sets the callbacks of a request after queueing it; in a
crawl the spider's requests are dropped once queued, stat ``frontier/alive`` counts the exceptions).

A request it cannot represent exactly this way (a ``Request`` subclass, a callback that is not a method of
the spider, header values that are not lists) is queued as the object itself, unchanged. The stats
``frontier/compact`` and ``frontier/kept`` count both kinds (added up as each queue is closed).
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any
from weakref import ref

from scrapy import Request
from scrapy.http.headers import Headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler

# Which optional fields a record carries after its meta values (in this order).
_BODY, _COOKIES, _FLAGS, _CB_KWARGS = 1, 2, 4, 8
_SHARED_TYPES = (str, bytes)  # immutable: one object may serve several requests
_MAX_SHAPES = 4096            # past this many (never in our crawls) the table starts again


class _Shape:
    """What most requests of a crawl have in common (one object for all of them)."""

    __slots__ = ("callback", "errback", "method", "priority", "dont_filter", "encoding", "header_keys",
                 "meta_keys", "optional", "meta_start", "meta_end")

    def __init__(self, key: tuple) -> None:
        (self.callback, self.errback, self.method, self.priority, self.dont_filter, self.encoding,
         self.header_keys, self.meta_keys, self.optional) = key
        self.meta_start = 3 + len(self.header_keys)
        self.meta_end = self.meta_start + len(self.meta_keys)


_SHAPES: dict[tuple, _Shape] = {}


def _method_name(spider: Any, func: Callable[..., Any]) -> str | None:
    """The name under which ``func`` is a method of ``spider`` (None: it is not one)."""
    if getattr(func, "__self__", None) is not spider:
        return None
    name = getattr(func, "__name__", None)
    if not isinstance(name, str) or getattr(spider, name, None) != func:
        return None
    return name


class CompactFifoQueue:
    """A FIFO memory queue of requests kept compactly (see the module's docstring); the downstream queue
    contract of Scrapy's ``ScrapyPriorityQueue``: ``from_crawler(crawler, key)``, push, pop, peek, close,
    ``len()``."""

    __slots__ = ("spider", "stats", "_queue", "_head", "_prev", "_compact", "_kept", "_alive")

    def __init__(self, crawler: Crawler | None = None, key: str = "", spider: Any = None) -> None:
        self.spider = spider if spider is not None else getattr(crawler, "spider", None)
        self.stats = getattr(crawler, "stats", None)
        self._queue: deque[Any] = deque()
        self._head: Request | None = None     # the request peek() rebuilt, which pop() returns
        self._prev: tuple | None = None       # the last record pushed
        self._compact = 0
        self._kept = 0
        self._alive = 0   # popped records whose request was still held elsewhere

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CompactFifoQueue:
        return cls(crawler)

    # ----- the queue ---------------------------------------------------------------------------
    def push(self, request: Request) -> None:
        record = self.pack(request)
        if record is None:
            self._kept += 1
            self._queue.append(request)
        else:
            self._compact += 1
            self._prev = record
            self._queue.append(record)

    def pop(self) -> Request | None:
        if not self._queue:
            return None
        item = self._queue.popleft()
        head, self._head = self._head, None
        if head is not None:
            return head
        return self._request(item)

    def peek(self) -> Request | None:
        if self._head is None and self._queue:
            self._head = self._request(self._queue[0])
        return self._head

    def close(self) -> None:
        if self.stats is not None:
            if self._compact:
                self.stats.inc_value("frontier/compact", self._compact)
            if self._kept:
                self.stats.inc_value("frontier/kept", self._kept)
            if self._alive:
                self.stats.inc_value("frontier/alive", self._alive)
        self._compact = self._kept = self._alive = 0
        self._prev = None

    def __len__(self) -> int:
        return len(self._queue)

    def _request(self, item: Any) -> Request:
        if type(item) is not tuple:
            return item
        original = item[1]()
        if original is not None:
            # Something still holds the request it was made of (Scrapy's shell hooks its callbacks after
            # engine.crawl() queued it): that object, as FifoMemoryQueue would return it.
            self._alive += 1
            return original
        return self.unpack(item)

    # ----- records -----------------------------------------------------------------------------
    def pack(self, request: Request) -> tuple | None:
        """The request as a record, or None when it must be kept as it is."""
        if type(request) is not Request:
            return None
        names = []
        for func in (request.callback, request.errback):
            name = None if func is None else _method_name(self.spider, func)
            if func is not None and name is None:
                return None
            names.append(name)
        cb_name, eb_name = names
        headers = request.headers
        if type(headers) is not Headers:
            return None
        fields: list[Any] = []
        for values in dict.values(headers):
            if type(values) is not list:
                return None
            fields.append(values[0] if len(values) == 1 and type(values[0]) is bytes else tuple(values))
        header_keys = tuple(dict.keys(headers))
        meta = request.meta
        meta_keys = tuple(meta)
        fields.extend(meta.values())
        prev = self._prev
        optional = 0
        extra: list[Any] = []
        for bit, value in ((_BODY, request.body), (_COOKIES, request.cookies), (_FLAGS, request.flags),
                           (_CB_KWARGS, request.cb_kwargs)):
            if value:
                optional |= bit
                extra.append(value)
        key = (cb_name, eb_name, request.method, request.priority, request.dont_filter, request.encoding,
               header_keys, meta_keys, optional)
        shape = _SHAPES.get(key)
        if shape is None:
            if len(_SHAPES) >= _MAX_SHAPES:
                _SHAPES.clear()
            shape = _SHAPES[key] = _Shape(key)
        if prev is not None and prev[0] is shape:
            # the previous request's equal strings serve this one too (a page's links share their Referer)
            for i, value in enumerate(fields):
                before = prev[i + 3]
                if value is not before and type(value) in _SHARED_TYPES and type(before) is type(value) \
                        and value == before:
                    fields[i] = before
        return (shape, ref(request), request.url, *fields, *extra)

    def unpack(self, record: tuple) -> Request:
        """The request a record was made of (equal in every attribute)."""
        shape: _Shape = record[0]
        spider = self.spider
        start, end = shape.meta_start, shape.meta_end
        body = cookies = flags = cb_kwargs = None
        optional = shape.optional
        if optional:
            rest = iter(record[end:])
            if optional & _BODY:
                body = next(rest)
            if optional & _COOKIES:
                cookies = next(rest)
            if optional & _FLAGS:
                flags = next(rest)
            if optional & _CB_KWARGS:
                cb_kwargs = next(rest)
        headers = None
        if start > 3:
            # the names and values were normalized when the request was made: the dict is filled as it was
            headers = Headers(encoding=shape.encoding)
            dict.update(headers, zip(shape.header_keys,
                                     [[v] if type(v) is bytes else list(v) for v in record[3:start]]))
        callback = getattr(spider, shape.callback) if shape.callback is not None else None
        errback = getattr(spider, shape.errback) if shape.errback is not None else None
        meta = dict(zip(shape.meta_keys, record[start:end])) if end > start else None
        if not _FAST:
            request = Request(record[2], callback=callback, errback=errback, method=shape.method,
                              priority=shape.priority, dont_filter=shape.dont_filter, encoding=shape.encoding,
                              meta=meta, body=body, cookies=cookies, flags=flags, cb_kwargs=cb_kwargs)
            if headers is not None:
                request.headers = headers
            return request
        # Request.__init__ would normalize the URL again (safe_url_string: most of its cost) and copy what it
        # is given: the request's slots are set as __init__ had set them for the request that was pushed.
        request = Request.__new__(Request)  # (tracked by scrapy.utils.trackref, as every Request)
        request._encoding = shape.encoding
        request.method = shape.method
        request._meta = meta
        request._url = record[2]
        request._body = body if body is not None else b""
        request.priority = shape.priority
        request.callback = callback
        request.errback = errback
        request._cookies = cookies
        request._headers = headers
        request.dont_filter = shape.dont_filter
        request._cb_kwargs = cb_kwargs
        request._flags = flags
        return request


# The slots unpack() sets, those of Scrapy 2.19's Request; another Scrapy that has others is given its
# requests through Request.__init__.
_SLOTS = ("__weakref__", "_body", "_cb_kwargs", "_cookies", "_encoding", "_flags", "_headers", "_meta", "_url",
          "callback", "dont_filter", "errback", "method", "priority")
_FAST = (sorted(vars(Request).get("__slots__", ())) == sorted(_SLOTS)
         and all("__slots__" in vars(cls) and not vars(cls)["__slots__"] for cls in Request.__mro__[1:-1]))
