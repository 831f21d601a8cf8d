"""The crawl's compact frontier (crawler/frontier.py): a queued request comes back equal in every attribute
the crawl uses, what cannot be kept compactly comes back as the very object, Scrapy's priority queue drives
it as it drives FifoMemoryQueue, it holds far less memory per request, and a real scan crawls the same pages
with it as with Scrapy's FifoMemoryQueue."""
from __future__ import annotations

import gc
import random
import re
import sqlite3
import tracemalloc
from datetime import date
from urllib.parse import urlsplit

import pytest
import scrapy
from scrapy.http import FormRequest, JsonRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.pqueues import ScrapyPriorityQueue
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.test import get_crawler

import crawler.frontier as frontier
from crawler.frontier import CompactFifoQueue
from crawler.render import rendered_meta
from monitor.store.history import KnownPage

ATTRS = ("url", "method", "meta", "priority", "dont_filter", "callback", "errback", "cb_kwargs", "flags", "body",
         "cookies", "encoding")


class _Spider(scrapy.Spider):
    name = "frontier-test"

    def parse(self, response):  # pragma: no cover - never called
        pass

    def on_error(self, failure):  # pragma: no cover
        pass

    def parse_list(self, response):  # pragma: no cover
        pass


def _state(request: scrapy.Request) -> dict:
    state = {a: getattr(request, a) for a in ATTRS}
    state["headers"] = dict(request.headers)   # bytes name -> list of bytes values, in order
    state["header_names"] = list(request.headers)
    state["class"] = type(request)
    return state


def _queue(spider) -> CompactFifoQueue:
    return CompactFifoQueue(spider=spider)


@pytest.fixture(params=[True, False], ids=["slots", "init"])
def build_path(request, monkeypatch):
    """Both ways a record becomes a Request again: setting Scrapy 2.19's slots, and Request.__init__."""
    monkeypatch.setattr(frontier, "_FAST", request.param)
    return request.param


@pytest.fixture()
def school(tmp_path):
    """The school spider, built as crawler.worker builds it (without a crawl), on a config of one site."""
    from monitor.config import load_config
    from spiders.school import SchoolSpider

    cfg = tmp_path / "xxgk.yaml"
    cfg.write_text("school: 示例学院\ndisclosure_site: http://127.0.0.1:9/\n"
                   f"database: {tmp_path / 'x.db'}\nunits: []\n", encoding="utf-8")
    old = "http://127.0.0.1:9/old.htm"
    known = {old: KnownPage((old, 'W/"5d1-1"', "Mon, 01 Jul 2019 00:00:00 GMT", "list", "2019-07-01T03:00:00",
                             200, None, None, None))}
    return SchoolSpider(cfg=load_config(cfg), scan_id=None, known=known, known_links={})


def _varied(spider, n: int = 400, seed: int = 7) -> list[scrapy.Request]:
    rnd = random.Random(seed)
    shared_statuses = [304, 404, 500]
    out = []
    for i in range(n):
        kw: dict = {}
        if rnd.random() < 0.8:
            kw["callback"] = rnd.choice([spider.parse, spider.parse_list])
        if rnd.random() < 0.7:
            kw["errback"] = spider.on_error
        kw["method"] = rnd.choice(["GET", "GET", "HEAD", "post"])
        kw["priority"] = -rnd.randrange(4)
        kw["dont_filter"] = rnd.random() < 0.5
        kw["encoding"] = rnd.choice(["utf-8", "gbk"])
        headers = rnd.choice([None, {}, {"Referer": f"http://a/{i // 5}"},
                              {"Referer": "http://a/", "If-None-Match": 'W/"1"', "cookie": "x=1"},
                              [("Accept", "text/html"), ("Accept", "*/*")], {"X-Num": 3}, {"X-Empty": []}])
        if headers is not None:
            kw["headers"] = headers
        meta = rnd.choice([None, {}, {"depth": i % 4, "download_slot": f"a:{i % 3}", "site": "http://a/",
                                      "referrer": f"http://a/{i // 5}", "list_root": None,
                                      "handle_httpstatus_list": shared_statuses, "attachment": False},
                           {"depth": 1, "redirect_times": 1, "redirect_urls": [f"http://a/r{i}"], "ttl": 1.5}])
        if meta is not None:
            kw["meta"] = meta
        if rnd.random() < 0.2:
            kw["body"] = rnd.choice([b"a=1", "表单=值", b""])
        if rnd.random() < 0.2:
            kw["cookies"] = rnd.choice([{"a": "1"}, [{"name": "b", "value": "2", "domain": "a"}]])
        if rnd.random() < 0.2:
            kw["flags"] = ["cached"]
        if rnd.random() < 0.2:
            kw["cb_kwargs"] = {"page": i, "root": None}
        url = rnd.choice([f"http://a/p{i}.htm", f"http://a/列表/{i}?q=中 文", f"http://b:8080/x?id={i}#frag"])
        out.append(scrapy.Request(url, **kw))
    return out


# ----- equality --------------------------------------------------------------------------------
def test_varied_requests_come_back_equal_in_order(build_path):
    spider = _Spider()
    q = _queue(spider)
    requests = _varied(spider)
    expected = [_state(r) for r in requests]
    for r in requests:
        q.push(r)
        assert q.pack(r) is not None, r   # every one of them is kept compactly
    assert len(q) == len(requests)
    del requests, r                       # nothing holds them now: they are rebuilt
    got = [q.pop() for _ in range(len(expected))]
    assert q.pop() is None and len(q) == 0 and q._alive == 0
    assert [_state(r) for r in got] == expected
    # the callbacks are the spider's methods again (request_from_dict resolves them the same way)
    assert all(r.callback is None or r.callback.__self__ is spider for r in got)


def test_the_school_spiders_requests_come_back_equal(school, build_path):
    site = school.scope.sites[0]
    school.cookies["127.0.0.1:9"] = "challenge=passed"
    plain = school._request("http://127.0.0.1:9/a.htm", depth=1, referrer="http://127.0.0.1:9/", site=site)
    conditional = school._request("http://127.0.0.1:9/old.htm", depth=2, referrer="http://127.0.0.1:9/a.htm",
                                  list_root="http://127.0.0.1:9/list.htm")
    attachment = school._request("http://127.0.0.1:9/f.pdf", depth=3, referrer=None, attachment=True)
    assert all(isinstance(r, scrapy.Request) for r in (plain, conditional, attachment))
    assert conditional.headers.get("If-None-Match") and plain.headers.get("Cookie")
    # a page sent through the browser, as _needs_browser makes it (its meta carries PageMethods and dicts)
    rendered = plain.replace(meta=rendered_meta(plain.meta, "challenge", 20.0, {"locale": "zh-CN"}),
                             dont_filter=True)
    redirected = plain.replace(url="http://127.0.0.1:9/b.htm", priority=plain.priority + 2,
                               meta={**plain.meta, "redirect_times": 1, "redirect_ttl": 19,
                                     "redirect_urls": [plain.url], "redirect_reasons": [302]})
    requests = [plain, conditional, attachment, rendered, redirected]
    methods = rendered.meta["playwright_page_methods"]
    q = _queue(school)
    expected = [_state(r) for r in requests]
    for r in requests:
        q.push(r)
    assert all(type(item) is tuple for item in q._queue)
    del requests, r, plain, conditional, attachment, rendered, redirected
    got = [q.pop() for _ in expected]
    assert q._alive == 0 and [_state(r) for r in got] == expected
    assert got[3].meta["playwright_page_methods"] is methods   # the same objects, not copies
    assert got[0].callback == school.parse and got[0].errback == school.on_error


def test_what_is_not_plain_is_queued_as_the_object_itself():
    spider, other = _Spider(), _Spider()

    def function(response):  # pragma: no cover
        pass

    odd = [
        FormRequest("http://a/form", formdata={"a": "1"}, callback=spider.parse),
        JsonRequest("http://a/json", data={"a": 1}),
        scrapy.Request("http://a/1", callback=function),
        scrapy.Request("http://a/2", callback=lambda r: None),
        scrapy.Request("http://a/3", callback=other.parse),            # another spider's method
        scrapy.Request("http://a/4", callback=NO_CALLBACK),
        scrapy.Request("http://a/5", callback=spider.parse, errback=function),
    ]
    q = _queue(spider)
    for r in odd:
        q.push(r)
    assert all(q.pack(r) is None for r in odd)
    assert all(q.pop() is r for r in odd) and q.pop() is None


def test_peek_returns_what_pop_returns_and_close_counts():
    crawler = get_crawler(_Spider)
    crawler.spider = spider = _Spider()
    crawler.stats.open_spider()
    q = CompactFifoQueue.from_crawler(crawler, "/0")
    assert q.peek() is None and q.pop() is None and not q
    a = scrapy.Request("http://a/1", callback=spider.parse)
    b = scrapy.Request("http://a/2", callback=lambda r: None)
    expected = _state(a)
    q.push(a)
    del a
    head = q.peek()
    q.push(b)
    assert head is q.peek() and _state(head) == expected
    assert q.pop() is head and q.peek() is b and q.pop() is b and q.peek() is None
    q.close()
    assert crawler.stats.get_value("frontier/compact") == 1 and crawler.stats.get_value("frontier/kept") == 1


def test_a_request_still_held_elsewhere_comes_back_itself():
    """Scrapy's shell hooks a request's callbacks after engine.crawl() queued it: that request must be the
    one popped, as from FifoMemoryQueue; one nothing holds any more is rebuilt."""
    spider = _Spider()
    q = _queue(spider)
    held = scrapy.Request("http://a/held", callback=spider.parse, meta={"depth": 1})
    q.push(held)
    q.push(scrapy.Request("http://a/dropped", callback=spider.parse, meta={"depth": 1}))

    def hijacked(response):  # pragma: no cover
        pass

    held.callback = hijacked
    held.meta["shell"] = True
    assert q.pop() is held and held.callback is hijacked
    rebuilt = q.pop()
    assert rebuilt.url == "http://a/dropped" and rebuilt.callback == spider.parse and q._alive == 1


def test_scrapys_priority_queue_drives_it_as_it_drives_fifo_memory_queue():
    crawler = get_crawler(_Spider)
    crawler.spider = spider = _Spider()
    crawler.stats.open_spider()
    order = {}
    for cls in (FifoMemoryQueue, CompactFifoQueue):
        pq = ScrapyPriorityQueue.from_crawler(crawler, cls, "")
        for r in _varied(spider, n=300, seed=11):
            pq.push(r)
        del r
        popped = []
        while (r := pq.pop()) is not None:
            popped.append(_state(r))
        pq.close()
        order[cls] = popped
    assert len(order[CompactFifoQueue]) == 300 and crawler.stats.get_value("frontier/compact") == 300
    assert not crawler.stats.get_value("frontier/alive")
    assert order[CompactFifoQueue] == order[FifoMemoryQueue]


# ----- memory and time -------------------------------------------------------------------------
N = 4500


def _held_per_request(school_factory, queue_cls) -> float:
    """Bytes traced while N of the school spider's requests wait (a page's 30 links one after the other,
    as the spider yields them), spider bookkeeping included; queue_cls None: the requests are dropped."""
    spider = school_factory()
    site = spider.scope.sites[0]
    q = queue_cls(spider=spider) if queue_cls is CompactFifoQueue else (queue_cls() if queue_cls else None)
    parents = [f"http://127.0.0.1:9/xxgk/list{p}.htm" for p in range(N // 30 + 1)]
    urls = [f"http://127.0.0.1:9/xxgk/info/{1000 + i // 7}/{123456 + i}.htm" for i in range(N)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i, url in enumerate(urls):
            request = spider._request(url, depth=3, referrer=parents[i // 30], site=site)
            assert isinstance(request, scrapy.Request)
            if q is not None:
                q.push(request)
            del request
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    if q is not None:
        assert len(q) == N
    return held / N


def test_a_queued_request_holds_far_less_memory(tmp_path):
    from monitor.config import load_config
    from spiders.school import SchoolSpider

    cfg_path = tmp_path / "xxgk.yaml"
    cfg_path.write_text("school: 示例学院\ndisclosure_site: http://127.0.0.1:9/\n"
                        f"database: {tmp_path / 'x.db'}\nunits: []\n", encoding="utf-8")
    cfg = load_config(cfg_path)

    def factory():
        return SchoolSpider(cfg=cfg, scan_id=None, known={}, known_links={})

    bookkeeping = _held_per_request(factory, None)   # the spider's seen set and counters, in both
    old = _held_per_request(factory, FifoMemoryQueue) - bookkeeping
    new = _held_per_request(factory, CompactFifoQueue) - bookkeeping
    print(f"bytes per queued request: FifoMemoryQueue {old:.0f}, CompactFifoQueue {new:.0f} "
          f"({1 - new / old:.0%} less; spider bookkeeping {bookkeeping:.0f})")
    assert old > 1000                 # a Request object, its Headers, its meta and its trackref entry
    assert new <= 0.6 * old


def test_requests_the_spider_let_go_are_rebuilt_from_their_records(school):
    """In a crawl the spider keeps no request it queued: every one comes back from its compact record (the
    speed of push and pop is the bench's to measure, not a test's)."""
    site = school.scope.sites[0]
    requests = [school._request(f"http://127.0.0.1:9/info/{i}.htm", depth=2, referrer="http://127.0.0.1:9/l.htm",
                                site=site) for i in range(N)]
    urls = [r.url for r in requests]
    q = _queue(school)
    for r in requests:
        q.push(r)
    del requests, r
    popped = []
    while (r := q.pop()) is not None:
        popped.append(r.url)
    assert q._alive == 0 and popped == urls


# ----- a real scan ---------------------------------------------------------------------------------
def test_a_scan_crawls_the_same_pages_as_with_fifo_memory_queue(tmp_path):
    """`scrapy crawl school` of the simulated university, once with Scrapy's FifoMemoryQueue (``-s`` beats
    the spider's custom_settings) and once with the compact frontier: the same pages and the same errors."""
    from monitor.testbed import Testbed
    from tests.test_scrapy_tools import scrapy as scrapy_cmd

    found = {}
    with Testbed(as_of=date(2019, 10, 15)) as tb:
        tb.start()
        for name, extra in (("fifo", ["-s", "SCHEDULER_MEMORY_QUEUE=scrapy.squeues.FifoMemoryQueue"]),
                            ("compact", [])):
            work = tmp_path / name
            work.mkdir()
            cfg = tb.write_config(work / "xxgk.yaml", database=str(work / "xxgk.db"))
            before = len(tb.requests)
            out = scrapy_cmd("crawl", "school", "-a", f"config={cfg}", "-L", "INFO", *extra,
                             env={"XXGK_NOW": "2019-10-15T03:00"})
            assert out.returncode == 0, out.stderr[-3000:]
            conn = sqlite3.connect(work / "xxgk.db")
            pages = {r[0] for r in conn.execute("SELECT url FROM pages WHERE fingerprint IS NOT NULL")}
            errors = {r[0] for r in conn.execute("SELECT url FROM fetch_errors")}
            served = {(r.site, r.path) for r in tb.requests.snapshot()[before:]}
            compact = re.search(r"'frontier/compact': (\d+)", out.stderr)
            kept = re.search(r"'frontier/kept': (\d+)", out.stderr)
            alive = re.search(r"'frontier/alive': (\d+)", out.stderr)
            found[name] = (pages, errors, served, compact and int(compact[1]), kept and int(kept[1]),
                           alive and int(alive[1]))
        truth = tb.ground_truth()
    fifo, compact = found["fifo"], found["compact"]
    expected = {p["url"] for p in truth["pages"] if p["kind"] in ("article", "list")}
    assert expected <= fifo[0]
    # Which months of a calendar trap are fetched before its cap depends on which page linked them first,
    # which the downloads' timing decides (two crawls with the same queue differ there too): the trap's
    # URLs are compared by number, everything else one by one.
    traps = tuple(urlsplit(t).path for t in truth["traps"])

    def in_trap(item) -> bool:
        return (urlsplit(item).path if isinstance(item, str) else item[1]).startswith(traps)

    for i, what in enumerate(("pages stored", "errors recorded", "requests served")):
        ours, theirs = {x for x in compact[i] if not in_trap(x)}, {x for x in fifo[i] if not in_trap(x)}
        assert ours == theirs, (what, sorted(ours - theirs)[:5], sorted(theirs - ours)[:5])
        assert len(compact[i] - ours) == len(fifo[i] - theirs), what
    assert fifo[3] is None and compact[3] and compact[3] > len(expected) // 2 and compact[4] is None
    # the spider's requests are dropped once queued (else the frontier would save nothing): rebuilt when popped
    assert (compact[5] or 0) <= compact[3] // 20
    print(f"pages {len(compact[0])}, requests queued compactly {compact[3]}, popped while still held {compact[5]}")
