"""Link checks against a real HTTP server on 127.0.0.1: categories, politeness, two-run confirmation."""
from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.compliance.links import (
    LinkSettings,
    broken_links,
    check_links,
    classify,
    is_intranet,
    link_report,
    run_checker,
)
from monitor.config import Config
from monitor.store import open_db

TS_PAGE = (b"<html><head><meta charset='utf-8'><script>var $_ts=window['$_ts'];if(!$_ts)$_ts={};"
           b"$_ts.nsd=12345;$_ts.cd='qEbrr';</script><script src='/x.js' r='m'></script></head><body></body></html>")
LOGIN_PAGE = ("<html><head><title>统一身份认证</title></head><body><form><input name=u>"
              "<input type=password name=p></form></body></html>").encode()


class Site:
    """A tiny site that answers each path the way real university servers do."""

    def __init__(self) -> None:
        self.hits: Counter = Counter()
        self.methods: list[tuple[str, str]] = []
        self.inflight = 0
        self.max_inflight = 0
        self.lock = threading.Lock()
        self.flaky_ok = False
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_HEAD(self):
                self._serve(head=True)

            def do_GET(self):
                self._serve(head=False)

            def _send(self, code, body=b"", ctype="text/html; charset=utf-8", headers=(), head=False):
                with site.lock:  # the answer is decided: no longer in flight for the client's purposes
                    if self.path != "/slow.htm":  # a timed-out request keeps a server thread busy
                        site.inflight -= 1
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _serve(self, head):
                path = self.path
                with site.lock:
                    site.hits[path] += 1
                    site.methods.append((self.command, path))
                    if path != "/slow.htm":
                        site.inflight += 1
                        site.max_inflight = max(site.max_inflight, site.inflight)
                self._route(path, head)

            def _route(self, path, head):
                ok = "<html><head><title>正常页面</title></head><body>内容</body></html>".encode()
                if path in ("/", "/ok.htm", "/col/list.htm") or path.startswith("/a/"):
                    if path.startswith("/a/"):
                        time.sleep(0.15)
                    return self._send(200, ok, head=head)
                if path == "/missing.htm":
                    return self._send(404, b"<h1>404</h1>", head=head)
                if path == "/gone.htm":
                    return self._send(410, b"gone", head=head)
                if path == "/forbidden.htm":
                    return self._send(403, b"forbidden", head=head)
                if path == "/busy.htm":
                    return self._send(429, b"slow down", head=head)
                if path == "/error.htm":
                    return self._send(500, b"oops", head=head)
                if path == "/slow.htm":
                    time.sleep(2.5)
                    return self._send(200, ok, head=head)
                if path == "/ts.htm":
                    return self._send(412, TS_PAGE, head=head)
                if path == "/ts200.htm":
                    return self._send(200, TS_PAGE, head=head)
                if path.startswith("/content.jsp"):
                    return self._send(302, b"", headers=[("Location", "/cas/login?service=http%3A%2F%2Fx%2F")],
                                      head=head)
                if path.startswith("/cas/login"):
                    return self._send(200, LOGIN_PAGE, head=head)
                if path == "/login-gb.htm":  # re-saved as UTF-8, still announced as gb2312
                    return self._send(200, LOGIN_PAGE, ctype="text/html; charset=gb2312", head=head)
                if path == "/nohead.pdf":
                    if head:
                        return self._send(405, b"", head=True)
                    return self._send(200, b"%PDF-1.4 small", ctype="application/pdf")
                if path == "/file.pdf":
                    return self._send(200, b"%PDF-1.4 " + b"x" * 50000, ctype="application/pdf", head=head)
                if path == "/soft404.htm":
                    return self._send(200, "<html><head><title>页面不存在</title></head></html>".encode(), head=head)
                if path == "/flaky.htm":
                    return self._send(200 if site.flaky_ok else 503, ok, head=head)
                return self._send(404, b"not found", head=head)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # clients that time out hang up on us
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Site":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def site():
    with Site() as s:
        yield s


def settings(**kw) -> LinkSettings:
    # The test server on 127.0.0.1 stands for one of the school's configured sites: only those are
    # checked on a loopback address (crawler.scope.CheckScope).
    base = dict(delay=0.02, timeout=1.0, total_seconds=60, obey_robots=False, max_urls=500, autothrottle=False,
                configured_hosts=["127.0.0.1"])
    base.update(kw)
    return LinkSettings(**base)


# ---- pure classification ------------------------------------------------------------------------
@pytest.mark.parametrize("result,category", [
    ({"status": None, "error": "DNSLookupError: DNS lookup failed: no results for hostname lookup: x.invalid."},
     "dead"),
    ({"status": None, "error": "TimeoutError: User timeout caused connection failure: Getting http://x took longer "
                               "than 20.0 seconds.."}, "timeout"),
    ({"status": None, "error": "TCPTimedOutError: TCP connection timed out: 110"}, "timeout"),
    ({"status": None, "error": "ConnectionRefusedError: Connection was refused by other side: 111"}, "dead"),
    ({"status": 404}, "dead"), ({"status": 410}, "dead"), ({"status": 403}, "blocked"), ({"status": 429}, "blocked"),
    ({"status": 500}, "server_error"), ({"status": 503}, "server_error"), ({"status": 200}, "ok"),
    ({"status": 412, "body": TS_PAGE.decode()}, "blocked"), ({"status": 200, "body": TS_PAGE.decode()}, "blocked"),
    ({"status": 200, "final_url": "https://authserver.example.edu.cn/authserver/login?service=x",
      "redirects": ["http://x.example.edu.cn/a.htm", "https://authserver.example.edu.cn/authserver/login?service=x"]},
     "intranet"),
    ({"status": 200, "body": LOGIN_PAGE.decode()}, "intranet"),
    ({"status": 401}, "intranet"),
    ({"status": 403, "body": "<h1>403 Forbidden</h1><p>仅限校内IP访问。</p>"}, "intranet"),
])
def test_classify(result: dict, category: str) -> None:
    result = {"url": "http://x.example.edu.cn/a.htm", **result}
    assert classify(result, settings())[0] == category


def test_link_text_marks_a_refusal_as_intranet() -> None:
    r = {"url": "http://x.example.edu.cn/nbwj/list.htm", "status": 403}
    assert classify(r, settings(), "内部文件（校内访问）")[0] == "intranet"
    assert classify(r, settings(), "规章制度")[0] == "blocked"


def test_intranet_rules() -> None:
    s = settings(intranet_hosts=["oa.example.edu.cn", "intranet.example.edu.cn"], intranet_ranges=["10.0.0.0/8"])
    assert is_intranet("http://oa.example.edu.cn/x", s)
    assert is_intranet("http://lib.intranet.example.edu.cn/x", s)
    assert is_intranet("http://10.2.3.4:8080/x", s)
    assert is_intranet("http://jwc/", s)                     # a bare intranet host name
    assert not is_intranet("http://127.0.0.1:8000/x", s)
    assert not is_intranet("http://www.example.edu.cn/x", s)


# ---- the real checker -----------------------------------------------------------------------------
def test_checker_categories_head_then_get_and_politeness(site: Site) -> None:
    paths = ["/ok.htm", "/missing.htm", "/gone.htm", "/forbidden.htm", "/busy.htm", "/error.htm", "/slow.htm",
             "/ts.htm", "/ts200.htm", "/content.jsp?urltype=news.NewsContentUrl&wbnewsid=1", "/nohead.pdf",
             "/file.pdf", "/soft404.htm", "/_visitcount?siteId=1&type=2"] + [f"/a/{i}.htm" for i in range(8)]
    urls = [site.base + p for p in paths] + [site.base + "/ok.htm"]   # a duplicate is checked once
    s = settings()
    results = {r["url"][len(site.base):]: r for r in run_checker(urls, s)}
    got = {p: classify(r, s)[0] for p, r in results.items()}
    assert got == {
        "/ok.htm": "ok", "/missing.htm": "dead", "/gone.htm": "dead", "/forbidden.htm": "blocked",
        "/busy.htm": "blocked", "/error.htm": "server_error", "/slow.htm": "timeout", "/ts.htm": "blocked",
        "/ts200.htm": "blocked", "/content.jsp?urltype=news.NewsContentUrl&wbnewsid=1": "intranet",
        "/nohead.pdf": "ok", "/file.pdf": "ok", "/soft404.htm": "dead", "/_visitcount?siteId=1&type=2": "skipped",
        **{f"/a/{i}.htm": "ok" for i in range(8)},
    }
    # the CMS visit counter is never requested; a file needs only HEAD unless the server refuses HEAD;
    # a page gets one GET (its body tells challenge pages and login walls apart)
    assert not any("_visitcount" in p for _m, p in site.methods)
    assert ("GET", "/file.pdf") not in site.methods and ("HEAD", "/file.pdf") in site.methods
    assert [m for m, p in site.methods if p == "/nohead.pdf"] == ["HEAD", "GET"]
    assert [m for m, p in site.methods if p == "/ok.htm"] == ["GET"]   # once per run, duplicates dropped
    assert site.max_inflight <= 2      # per-host concurrency
    assert "链接" not in classify(results["/missing.htm"], s)[1]


def _db_with_links(tmp_path, base: str, links: list[str], crawled: dict[str, int] | None = None):
    db = open_db(tmp_path / "x.db")
    db.execute("INSERT INTO scans (id, started_at, status) VALUES (1, '2019-10-01T02:30:00+08:00', 'done')")
    db.execute("INSERT INTO pages (id, url, site, unit, kind, title, depth, last_seen_scan, last_fetch_scan, "
               "last_status) VALUES (1, ?, ?, '', 'list', '首页', 0, 1, 1, 200)", (base + "/", base + "/"))
    db.execute("INSERT INTO pages (id, url, site, unit, kind, title, depth, last_seen_scan, last_fetch_scan, "
               "last_status) VALUES (2, ?, ?, '', 'article', '通知', 1, 1, 1, 200)", (base + "/n.htm", base + "/"))
    for i, (url, status) in enumerate((crawled or {}).items(), 10):
        db.execute("INSERT INTO pages (id, url, site, unit, kind, depth, last_fetch_scan, last_status, last_error) "
                   "VALUES (?,?,?,'','article',2,1,?,?)", (i, url, base + "/", status,
                                                          None if status < 400 else f"HTTP {status}"))
    for j, url in enumerate(links):
        page = 1 if j % 2 == 0 else 2
        db.execute("INSERT INTO links (page_id, url, text, first_seen_scan, last_seen_scan) VALUES (?,?,?,1,1)",
                   (page, url, f"链接{j}"))
    return db


def test_crawled_challenge_page_is_blocked_not_ok(tmp_path) -> None:
    import zlib

    base = "http://www.example.edu.cn"
    db = _db_with_links(tmp_path, base, [base + "/rs/"], crawled={base + "/rs/": 200})
    db.execute("UPDATE pages SET text_excerpt='' WHERE id=10")
    db.execute("INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, snapshot) VALUES (10, 1, 'x', 'f', ?)",
               (zlib.compress(TS_PAGE),))
    cfg = Config.model_validate({"school": "测试大学", "disclosure_site": base + "/"})
    stats = check_links(db, cfg, 1, settings=settings())
    assert stats.results[base + "/rs/"][0] == "blocked" and stats.checked == 0


def _next_scan(db, n: int) -> None:
    db.execute("INSERT INTO scans (id, started_at, status) VALUES (?, '2019-10-02T02:30:00+08:00', 'done')", (n,))
    db.execute("UPDATE links SET last_seen_scan=?", (n,))
    db.execute("UPDATE pages SET last_fetch_scan=?, last_seen_scan=?", (n, n))


def test_check_links_two_runs_confirm_broken_and_crawled_pages_are_not_refetched(tmp_path, site: Site) -> None:
    b = site.base
    links = [b + "/ok.htm", b + "/missing.htm", b + "/flaky.htm", b + "/forbidden.htm", b + "/crawled-404.htm",
             b + "/col/list.htm", "http://external.example.com/x.htm", "mailto:zsb@example.edu.cn"]
    db = _db_with_links(tmp_path, b, links, crawled={b + "/col/list.htm": 200, b + "/crawled-404.htm": 404})
    cfg = Config.model_validate({"school": "测试大学", "disclosure_site": b + "/"})
    s = settings()
    first = check_links(db, cfg, 1, settings=s)
    assert first.results[b + "/missing.htm"][0] == "dead"
    assert first.results[b + "/crawled-404.htm"][0] == "dead"      # from the crawl's own record
    assert first.results[b + "/flaky.htm"][0] == "server_error"
    assert "http://external.example.com/x.htm" not in first.results  # external links are off by default
    assert site.hits["/col/list.htm"] == 0 and site.hits["/crawled-404.htm"] == 0
    assert broken_links(db) == []                                  # one bad run is not enough

    site.flaky_ok = True
    _next_scan(db, 2)
    second = check_links(db, cfg, 2, settings=s)
    assert second.results[b + "/flaky.htm"][0] == "ok"
    broken = sorted({r["url"] for r in broken_links(db)})
    assert broken == [b + "/crawled-404.htm", b + "/missing.htm"]
    assert site.hits["/missing.htm"] == 2   # one request per run, one run each night

    report = link_report(db)
    assert len(report) == 1 and report[0]["broken"] == 2
    pages = report[0]["pages"]
    assert pages[0]["is_home"] and pages[0]["url"] == b + "/"       # home page first
    assert {link["label"] for p in pages for link in p["links"]} == {"死链"}


def test_login_wall_in_a_page_whose_charset_lies_is_still_recognised(tmp_path, site: Site) -> None:
    """The checker's snippets and stored snapshots are decoded by the crawler's decoder: a UTF-8 login page
    served as gb2312, and a GBK login page the crawl stored, both read 统一身份认证."""
    s = settings()
    [result] = run_checker([site.base + "/login-gb.htm"], s)
    assert "统一身份认证" in result["body"]
    assert classify(result, s)[0] == "intranet"
    import zlib

    base = "http://www.example.edu.cn"
    db = _db_with_links(tmp_path, base, [base + "/sso/"], crawled={base + "/sso/": 200})
    db.execute("UPDATE pages SET text_excerpt='' WHERE id=10")
    db.execute("INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, snapshot) VALUES (10, 1, 'x', 'f', ?)",
               (zlib.compress(LOGIN_PAGE.decode().encode("gbk")),))
    cfg = Config.model_validate({"school": "测试大学", "disclosure_site": base + "/"})
    stats = check_links(db, cfg, 1, settings=s)
    assert stats.results[base + "/sso/"][0] == "intranet" and stats.checked == 0
