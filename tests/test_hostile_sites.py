"""A hostile school site on 127.0.0.1 and an "internal" server on 127.0.0.2 standing for the campus
intranet (admin pages, cloud metadata): whatever the site does — redirects, meta refresh, redirecting
attachments, links with tricks, gzip bombs, file:// — nothing reaches the internal host and nothing of it
is stored; what was refused is recorded against the page that tried."""
from __future__ import annotations

import gzip
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.middlewares import OutOfScope, SafetyMiddleware
from crawler.resolver import GuardedResolver, InternalAddress
from crawler.scope import COUNTER_RE, CheckScope, Scope, registrable_domain
from tests.conftest import ROOT, run_xxgk

INTERNAL_SECRET = "内网管理后台-机密"


class _Recorder(BaseHTTPRequestHandler):
    """The intranet: answers everything with a secret, and remembers who asked."""
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        data = f"<html><head><title>{INTERNAL_SECRET}</title></head><body>{INTERNAL_SECRET}</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(data.encode("utf-8"))

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def _serve(host: str, handler: type) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def internal():
    handler = type("Internal", (_Recorder,), {"hits": []})
    try:
        server = _serve("127.0.0.2", handler)
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound here")
    yield server, handler
    server.shutdown()
    server.server_close()


def _page(title: str, body: str = "") -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>发布时间：2019-04-01</p><div class='content'><p>{body or title}，现予公开。</p></div>"
            "</body></html>").encode("utf-8")


def _hostile_handler(internal_base: str, free_port: int) -> type:
    bomb = gzip.compress(b"\0" * (3 * 1024 * 1024), 9)  # 3 MB inflated, a few KB on the wire
    links = ["/notice.htm", "/go-internal.htm", "/go-port.htm", "/refresh.htm", "/files/report.pdf",
             "/go-file.htm", "/bomb.htm", f"{internal_base}direct.htm", f"{internal_base}x?y=/robots.txt",
             "http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.2]/mapped.htm",
             "http://2130706433/decimal.htm"]
    home = ("<html><head><meta charset='utf-8'><title>示例学院信息公开网</title></head><body><h1>信息公开</h1>"
            + "".join(f"<a href='{u}'>栏目{i}</a> " for i, u in enumerate(links)) + "</body></html>").encode()
    redirects = {"/go-internal.htm": f"{internal_base}admin/", "/go-port.htm": f"http://127.0.0.1:{free_port}/",
                 "/files/report.pdf": f"{internal_base}files/report.pdf", "/go-file.htm": "file:///etc/passwd"}

    class Hostile(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path in redirects:
                self.send_response(302)
                self.send_header("Location", redirects[self.path])
                self.end_headers()
                return
            headers = {"Content-Type": "text/html; charset=utf-8"}
            if self.path == "/":
                data = home
            elif self.path == "/notice.htm":
                data = _page("关于公布2019年预算的通知")
            elif self.path == "/refresh.htm":
                data = (f"<html><head><meta http-equiv='refresh' content='0; url={internal_base}refreshed.htm'>"
                        "<title>跳转</title></head><body>正在跳转</body></html>").encode()
            elif self.path == "/bomb.htm":
                data, headers["Content-Encoding"] = bomb, "gzip"
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Hostile


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_hostile_site_cannot_reach_the_intranet_and_what_it_tried_is_recorded(tmp_path: Path, internal) -> None:
    internal_server, recorder = internal
    internal_base = f"http://127.0.0.2:{internal_server.server_port}/"
    decoy = type("Decoy", (_Recorder,), {"hits": []})  # an unconfigured port of the configured host
    decoy_server = _serve("127.0.0.1", decoy)
    site = _serve("127.0.0.1", _hostile_handler(internal_base, decoy_server.server_port))
    base = f"http://127.0.0.1:{site.server_port}/"
    try:
        cfg = tmp_path / "xxgk.yaml"
        cfg.write_text(
            f"school: 示例学院\ndisclosure_site: {base}\ndatabase: {tmp_path / 'x.db'}\nunits: []\n"
            "crawl: {autothrottle: false, retries: 0, max_download_mb: 1}\n"
            "compliance: {check_external_links: true}\n", encoding="utf-8")
        out = run_xxgk("scan", "--config", str(cfg), now="2019-10-15T03:00")
        assert "完成" in out.stdout
        assert recorder.hits == [], f"the internal host was fetched: {recorder.hits}"
        assert decoy.hits == [], f"an unconfigured port was fetched: {decoy.hits}"
        conn = sqlite3.connect(tmp_path / "x.db")
        # nothing of the internal host is stored: no page, no version, no text anywhere
        stored = [r[0] for r in conn.execute("SELECT url FROM pages WHERE fingerprint IS NOT NULL")]
        assert base + "notice.htm" in stored
        assert not [u for u in stored if "127.0.0.2" in u or str(decoy_server.server_port) in u]
        assert not conn.execute("SELECT 1 FROM pages WHERE title LIKE ?", (f"%{INTERNAL_SECRET}%",)).fetchall()
        assert not conn.execute("SELECT 1 FROM versions WHERE title LIKE ?", (f"%{INTERNAL_SECRET}%",)).fetchall()
        errors = dict(conn.execute("SELECT url, error FROM fetch_errors"))
        for path in ("go-internal.htm", "go-port.htm", "refresh.htm", "files/report.pdf"):
            assert "重定向到配置范围以外的网站" in errors.get(base + path, ""), (path, errors)
        assert "重定向到不支持的地址" in errors.get(base + "go-file.htm", ""), errors
        assert "解压后超过下载大小上限" in errors.get(base + "bomb.htm", ""), errors
        # the link checker, told to check external links too, still never touches internal addresses
        checks = dict(conn.execute("SELECT url, category FROM link_checks"))
        assert checks.get(internal_base + "direct.htm") == "intranet"
        assert checks.get("http://169.254.169.254/latest/meta-data/") == "intranet"
    finally:
        for s in (site, decoy_server):
            s.shutdown()
            s.server_close()


# ---- the one scope test -----------------------------------------------------------------------------
class _Cfg:
    """The smallest config Scope.from_config reads."""

    class crawl:  # noqa: N801
        ignore_urls: list[str] = []
        extra_hosts: list[str] = []

    class catalog_obj:  # noqa: N801
        items: list = []

    disclosure_site = "http://xxgk.school.sh.cn/"

    class _Ref:
        url = "http://xxgk.school.sh.cn/"
        role = "disclosure"
        unit_id = None

    def all_sites(self):
        return [self._Ref()]


def test_scope_refuses_internal_addresses_odd_ports_and_schemes_on_the_parsed_url() -> None:
    scope = Scope.from_config(_Cfg(), counter_re=COUNTER_RE)
    assert scope.refusal("http://xxgk.school.sh.cn/list.htm") is None
    for url, code in [("http://127.0.0.2/x?y=/robots.txt", "outside"), ("file:///etc/passwd", "scheme"),
                      ("http://xxgk.school.sh.cn/_visitcount?id=1", "counter"), ("http://xxgk.school.sh.cn:x/", "bad_url")]:
        assert scope.refusal(url).code == code, url
    # the registrable domain comes from the public suffix list: sh.cn is a suffix, not the school
    assert registrable_domain("xxgk.school.sh.cn") == "school.sh.cn"
    assert scope.may_link("http://jwc.school.sh.cn/") and not scope.may_link("http://other.sh.cn/")
    assert not scope.may_link("http://jwc.school.sh.cn:22/")           # a port probe on a school host
    check = CheckScope(frozenset({"xxgk.school.sh.cn", "127.0.0.1"}), COUNTER_RE)
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://[::1]:8080/",
                "http://[::ffff:127.0.0.2]/", "http://2130706433/", "http://0x7f.1/", "http://127.1/",
                "http://localhost/", "http://a.localhost/"):
        assert check.refusal(url).code == "address", url
    assert check.refusal("http://jwc.school.sh.cn:6379/").code == "port"
    assert check.refusal("http://127.0.0.1:6379/") is None               # a configured site's host
    assert check.refusal("https://www.moe.gov.cn/") is None
    assert check.refusal("gopher://x/").code == "scheme"


def test_the_middleware_applies_the_scope_although_scrapy_passes_no_spider() -> None:
    class Spider:
        scope = CheckScope(frozenset(), COUNTER_RE)

    class Crawler:
        spider = Spider()

    mw = SafetyMiddleware.from_crawler(Crawler())
    with pytest.raises(OutOfScope) as refused:
        mw.process_request(Request("http://127.0.0.2/admin"))   # no spider argument, as Scrapy 2.13+ calls it
    assert refused.value.refusal.code == "address" and isinstance(refused.value, IgnoreRequest)
    assert mw.process_request(Request("https://www.moe.gov.cn/")) is None


def test_names_resolving_to_internal_addresses_are_refused_unless_configured() -> None:
    resolver = GuardedResolver.__new__(GuardedResolver)
    resolver.allowed = frozenset({"xxgk.school.edu.cn"})
    with pytest.raises(InternalAddress):
        resolver._check("127.0.0.1", "evil.school.edu.cn")
    with pytest.raises(InternalAddress):
        resolver._check("169.254.169.254", "metadata.school.edu.cn")
    assert resolver._check("10.0.0.8", "xxgk.school.edu.cn") == "10.0.0.8"   # a configured campus site
    assert resolver._check("202.120.2.1", "www.school.edu.cn") == "202.120.2.1"


# ---- the scan's worker lives and dies with its scan ---------------------------------------------------
def _slow_site(pages: int, delay: float) -> type:
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            time.sleep(delay)
            if self.path == "/":
                data = ("<html><head><title>首页</title></head><body>" + "".join(
                    f"<a href='/n{i}.htm'>通知{i}</a> " for i in range(pages)) + "</body></html>").encode()
            else:
                data = _page(f"通知{self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _start_slow_scan(tmp_path: Path) -> tuple[ThreadingHTTPServer, Path, subprocess.Popen, int]:
    """`xxgk scan` of a slow 300-page site: (the site, the database, the scan process, its crawl's pid) as soon
    as the scan row names the crawl."""
    site = _serve("127.0.0.1", _slow_site(300, 0.2))
    base = f"http://127.0.0.1:{site.server_port}/"
    db = tmp_path / "x.db"
    cfg = tmp_path / "xxgk.yaml"
    cfg.write_text(f"school: 示例学院\ndisclosure_site: {base}\ndatabase: {db}\nunits: []\n"
                   "crawl: {autothrottle: false, retries: 0, obey_robots: false}\n", encoding="utf-8")
    env = dict(os.environ, XXGK_PROGRESS="0", XXGK_NOW="2019-10-15T03:00")
    parent = subprocess.Popen([sys.executable, "-m", "monitor.cli", "scan", "--config", str(cfg)], cwd=str(ROOT),
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    deadline = time.monotonic() + 60
    while worker is None and time.monotonic() < deadline:
        time.sleep(0.02)
        if db.exists():
            try:
                row = sqlite3.connect(db).execute("SELECT pid FROM scans ORDER BY id DESC LIMIT 1").fetchone()
            except sqlite3.OperationalError:
                continue
            worker = row[0] if row and row[0] else None
    if worker is None:
        parent.kill()
        site.shutdown()
        pytest.fail("the scan never named its crawl")
    return site, db, parent, worker


def test_a_killed_scan_takes_its_crawl_with_it_and_the_lock_holds_meanwhile(tmp_path: Path) -> None:
    from monitor.core.locks import LockHeld, ScanLock

    site, db, parent, worker = _start_slow_scan(tmp_path)
    try:
        assert _alive(worker)
        time.sleep(1.0)  # the crawl is under way
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        # while the orphaned crawl still runs (shutting down), no second scan can start beside it
        if _alive(worker):
            with pytest.raises(LockHeld):
                ScanLock(db).acquire()
        deadline = time.monotonic() + 30
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(worker), "the crawl outlived its scan"
        with ScanLock(db):  # and once it is gone, the next scan may start
            pass
        status = sqlite3.connect(db).execute("SELECT status FROM scans ORDER BY id DESC LIMIT 1").fetchone()[0]
        assert status == "interrupted"
    finally:
        if parent.poll() is None:
            parent.kill()
        site.shutdown()
        site.server_close()


# ---- pagination after an interruption -----------------------------------------------------------------
def _list_page(n: int, total: int) -> bytes:
    rows = "".join(f"<li><a href='/a/{n}-{i}.htm'>关于公布2019年第{n}-{i}号信息的通知</a><span>2019-0{n}-1{i}</span></li>"
                   for i in range(6))
    pager = " ".join(f"<a href='/list{'' if k == 1 else '_' + str(k)}.htm'>{k}</a>" for k in range(1, total + 1))
    return (f"<html><head><meta charset='utf-8'><title>通知公告</title></head><body><h2>通知公告</h2>"
            f"<ul class='news_list'>{rows}</ul><div class='pages'>共{total}页 {pager} "
            f"<a href='/list_{min(n + 1, total)}.htm'>下一页</a></div></body></html>").encode("utf-8")


class _Etagged(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/":
            data = "<html><head><title>首页</title></head><body><a href='/list.htm'>通知公告</a></body></html>".encode()
        elif self.path == "/list.htm":
            data = _list_page(1, 2)
        elif self.path == "/list_2.htm":
            data = _list_page(2, 2)
        elif self.path.startswith("/a/"):
            data = _page("关于公布2019年信息的通知")
        else:
            self.send_response(404)
            self.end_headers()
            return
        etag = f'"{hash(data) & 0xffffffff:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_a_further_page_an_interrupted_scan_never_stored_stays_pagination(tmp_path: Path) -> None:
    site = _serve("127.0.0.1", _Etagged)
    base = f"http://127.0.0.1:{site.server_port}/"
    db = tmp_path / "x.db"
    cfg = tmp_path / "xxgk.yaml"
    cfg.write_text(f"school: 示例学院\ndisclosure_site: {base}\ndatabase: {db}\nunits: []\n"
                   "crawl: {autothrottle: false, retries: 0, obey_robots: false, revisit_days: 0}\n",
                   encoding="utf-8")
    try:
        run_xxgk("scan", "--no-post", "--config", str(cfg), now="2019-10-15T03:00")
        conn = sqlite3.connect(db)
        root_id = conn.execute("SELECT id FROM pages WHERE url = ?", (base + "list.htm",)).fetchone()[0]
        second = base + "list_2.htm"
        assert conn.execute("SELECT list_root_id FROM pages WHERE url = ?", (second,)).fetchone()[0] == root_id
        # The state an interruption leaves: the list stored (with its links), its second page not yet.
        page_id = conn.execute("SELECT id FROM pages WHERE url = ?", (second,)).fetchone()[0]
        for table, col in (("entries", "source_page_id"), ("links", "page_id"), ("attachments", "page_id"),
                           ("versions", "page_id"), ("fetch_errors", "page_id")):
            try:
                conn.execute(f"DELETE FROM {table} WHERE {col} = ?", (page_id,))
            except sqlite3.OperationalError:
                pass  # a table without that column
        conn.execute("DELETE FROM pages WHERE id = ?", (page_id,))
        conn.commit()
        run_xxgk("scan", "--no-post", "--config", str(cfg), now="2019-10-16T03:00")
        status = conn.execute("SELECT last_status FROM pages WHERE id = ?", (root_id,)).fetchone()[0]
        assert status == 304  # the list itself did not change
        got = conn.execute("SELECT list_root_id FROM pages WHERE url = ?", (second,)).fetchone()
        assert got is not None and got[0] == root_id, "the second page became a column of its own"
    finally:
        site.shutdown()
        site.server_close()


# ---- files on disk -------------------------------------------------------------------------------------
def test_databases_logs_and_locks_are_created_private(tmp_path: Path) -> None:
    site = _serve("127.0.0.1", _Etagged)
    base = f"http://127.0.0.1:{site.server_port}/"
    data = tmp_path / "data"
    cfg = tmp_path / "xxgk.yaml"
    cfg.write_text(f"school: 示例学院\ndisclosure_site: {base}\ndatabase: {data / 'x.db'}\nunits: []\n"
                   "crawl: {autothrottle: false, retries: 0, obey_robots: false}\n", encoding="utf-8")
    old = os.umask(0o022)  # a typical login shell's
    try:
        run_xxgk("scan", "--no-post", "--config", str(cfg), now="2019-10-15T03:00")
    finally:
        os.umask(old)
        site.shutdown()
        site.server_close()
    made = [p for p in data.iterdir()]
    assert {p.name for p in made} >= {"x.db", "x.db.scan.lock"}
    for p in [data, *made]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, f"{p.name} is {oct(mode)}"


@pytest.mark.parametrize("delay", [0.0, 0.15, 0.4])
def test_a_scan_stopped_while_its_crawl_starts_is_interrupted_not_run_to_the_end(tmp_path: Path, delay: float) -> None:
    """SIGTERM at any moment of the crawl's start-up (before or while Scrapy opens the spider) stops it; the
    scan row says interrupted. (A stop that landed before Scrapy's handler was once swallowed by the reactor and
    the crawl ran on to the end, reported as done.)"""
    site, db, parent, worker = _start_slow_scan(tmp_path)
    try:
        time.sleep(delay)
        parent.send_signal(signal.SIGKILL)   # the crawl gets SIGTERM from the kernel (it dies with its scan)
        parent.wait(10)
        deadline = time.monotonic() + 30
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker), "the crawl outlived its scan"
        status, fetched = sqlite3.connect(db).execute(
            "SELECT status, pages_fetched FROM scans ORDER BY id DESC LIMIT 1").fetchone()
        assert status == "interrupted" and (fetched or 0) < 300
    finally:
        if parent.poll() is None:
            parent.kill()
        site.shutdown()
        site.server_close()
