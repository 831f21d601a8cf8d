"""`xxgk inspect`: a real HTTP server on 127.0.0.1, local files, JSON and Chinese output, errors."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main

CORPUS = Path(__file__).parent / "corpus"


def _pdf() -> bytes:
    from tests.test_extract_attachments import make_pdf
    return make_pdf(["示例大学2018-2019学年信息公开工作年度报告"], title="2018-2019学年信息公开年度报告",
                    created="D:20191030093000+08'00'")


class _Handler(BaseHTTPRequestHandler):
    seen_agents: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        _Handler.seen_agents.append(self.headers.get("User-Agent", ""))
        routes = {
            "/2960/list.htm": ("text/html", (CORPUS / "webplus_list.html").read_bytes()),
            "/news_view.asp": ("text/html; charset=utf-8", (CORPUS / "asp_article_wrong_header.html").read_bytes()),
            "/big.htm": ("text/html", b"<html>" + b"x" * (21 * 1024 * 1024)),
            "/_upload/files/ab/report.pdf": ("application/pdf", _pdf()),
        }
        path = self.path.split("?")[0]
        if path == "/slow.htm":
            threading.Event().wait(3)
        if path not in routes:
            self.send_response(404)
            self.end_headers()
            return
        ctype, body = routes[path]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _restore_clock():
    """`--now` sets the process clock and XXGK_NOW: undo it so other tests see the real clock."""
    import os

    from monitor.core import clock
    before = os.environ.get("XXGK_NOW")
    yield
    clock.set_now(None)
    if before is None:
        os.environ.pop("XXGK_NOW", None)
    else:
        os.environ["XXGK_NOW"] = before


def invoke(*args: str):
    return CliRunner().invoke(main, ["inspect", *args], catch_exceptions=False)


def test_inspect_url_json(server: str) -> None:
    result = invoke(f"{server}/2960/list.htm", "--json", "--now", "2019-11-05")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("title", "kind", "published", "published_source", "updated", "entries", "fingerprint",
                "attachments", "links"):
        assert key in data
    assert data["kind"] == "list" and data["title"] == "通知公告"
    assert len(data["entries"]) == 5
    assert data["entries"][0]["url"] == f"{server}/2019/1031/c2960a201/page.htm"
    assert f"{server}/2960/list4.htm" in data["pagination"]
    assert _Handler.seen_agents[-1] == "xxgk-monitor/0.1 (+https://github.com/xxgk-monitor/xxgk-monitor)"


def test_inspect_url_human_output_in_chinese(server: str) -> None:
    result = invoke(f"{server}/news_view.asp?id=88")
    assert result.exit_code == 0, result.output
    assert "页面类型：文章页" in result.output
    assert "发布日期：2019-10-30（来源：页面标注）" in result.output
    assert "编码：gb18030" in result.output   # the server's utf-8 header was wrong


def test_inspect_file_with_url() -> None:
    path = CORPUS / "trs_list.html"
    result = invoke(str(path), "--url", "http://www.example.gov.cn/zcwj/index.html", "--json", "--now", "2021-01-10")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "list"
    assert data["pagination"][0] == "http://www.example.gov.cn/zcwj/index_1.html"


def test_inspect_gbk_file_without_url() -> None:
    result = invoke(str(CORPUS / "asp_article_gbk.html"))
    assert result.exit_code == 0, result.output
    assert "关于做好2019届毕业生离校工作的通知" in result.output
    assert "发布日期：2019-06-20" in result.output


@pytest.mark.parametrize("args, message", [
    (["/no/such/file.html"], "文件不存在"),
    (["{server}/missing.htm"], "HTTP 404"),
    (["{server}/big.htm"], "MB 上限"),
    (["http://127.0.0.1:1/x.htm"], "无法访问"),
    (["x.html", "--url", "ftp://x"], "--url 应为 http(s) 网址"),
])
def test_inspect_errors_are_one_chinese_line(server: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["inspect", *[a.format(server=server) for a in args]])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0


def test_inspect_timeout(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler import inspect as insp
    monkeypatch.setattr(insp, "TIMEOUT", 0.5)
    monkeypatch.setattr(insp.fetch, "__defaults__", None)
    monkeypatch.setattr(insp.fetch, "__kwdefaults__", {"timeout": 0.5, "max_bytes": insp.MAX_BYTES})
    result = CliRunner().invoke(main, ["inspect", f"{server}/slow.htm"])
    assert result.exit_code != 0 and "超时" in result.output


def test_inspect_attachment_url(server: str) -> None:
    result = invoke(f"{server}/_upload/files/ab/report.pdf")
    assert result.exit_code == 0, result.output
    assert "页面类型：附件" in result.output
    assert "标题：2018-2019学年信息公开年度报告.pdf" in result.output
    assert "发布日期：2019-10-30（来源：页面元数据）" in result.output
    assert "页数/工作表：2" in result.output
