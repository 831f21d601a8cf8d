"""Redirects are followed (a site root that redirects is still crawled) and a redirect loop is
recorded against its URL while the scan goes on."""
from __future__ import annotations

import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import run_xxgk

PAGES = {
    "/home.htm": "<html><head><title>首页</title></head><body><h1>示例学院信息公开</h1>"
                 "<a href='/notice.htm'>通知公告</a> <a href='/loop-a.htm'>旧栏目</a></body></html>",
    "/notice.htm": "<html><head><title>关于公布2019年预算的通知</title></head><body><h1>关于公布2019年预算的通知</h1>"
                   "<p>发布时间：2019-04-01</p><div class='content'><p>根据要求，现公开学校2019年部门预算。</p>"
                   "<p>示例学院财务处</p></div></body></html>",
}
REDIRECTS = {"/": "/home.htm", "/loop-a.htm": "/loop-b.htm", "/loop-b.htm": "/loop-a.htm"}
REFERERS: dict[str, set[str]] = {}   # path -> the Referer headers it was asked for with


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        REFERERS.setdefault(self.path, set()).add(self.headers.get("Referer") or "")
        if self.path == "/robots.txt":
            self.send_response(404)
            self.end_headers()
            return
        if self.path in REDIRECTS:
            self.send_response(302)
            self.send_header("Location", REDIRECTS[self.path])
            self.end_headers()
            return
        body = PAGES.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_redirected_root_is_crawled_and_a_loop_is_recorded(tmp_path):
    REFERERS.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    try:
        cfg = tmp_path / "xxgk.yaml"
        cfg.write_text(f"school: 示例学院\ndisclosure_site: {base}\ndatabase: {tmp_path / 'x.db'}\nunits: []\n"
                       "crawl: {autothrottle: false, retries: 0}\n", encoding="utf-8")
        out = run_xxgk("scan", "--config", str(cfg), now="2019-10-15T03:00")
        assert "完成" in out.stdout
        conn = sqlite3.connect(tmp_path / "x.db")
        pages = dict(conn.execute("SELECT url, published FROM pages WHERE fingerprint IS NOT NULL"))
        assert pages.get(base + "home.htm") is None and base + "home.htm" in pages
        assert pages.get(base + "notice.htm") == "2019-04-01"
        errors = [r[0] for r in conn.execute("SELECT error FROM fetch_errors WHERE url = ?", (base + "loop-a.htm",))]
        assert errors and "重定向" in errors[0]
        # A redirect keeps the Referer of the page that linked (as a browser does), and the scan's log has no
        # warning about Scrapy's RefererMiddleware (which the crawl does not use).
        assert REFERERS["/loop-b.htm"] == {base + "home.htm"}
        assert "RefererMiddleware" not in out.stderr
    finally:
        server.shutdown()
