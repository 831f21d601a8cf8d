"""Hostile files: decompression bombs, a sheet row of millions of cells, workers that run out of time
or memory. The bombs are built here; the crawl test fetches them over real HTTP with the real spider
and document workers, and the PII test reads a bomb snapshot through the same bounded reader."""
from __future__ import annotations

import io
import json
import random
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.extract import documents as D
from tests.conftest import ROOT

MB = 1024 * 1024
PDF_LINE = "示例学院2019年部门预算公开说明"


# ---- bombs --------------------------------------------------------------------------------------
def docx_bomb(inflated: int = 300 * MB) -> bytes:
    """A DOCX whose document.xml really inflates to ``inflated`` bytes (~1 MB compressed)."""
    import docx

    d = docx.Document()
    d.add_paragraph("x")
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            if name != "word/document.xml":
                z.writestr(name, data)
                continue
            head, tail = data.split(b"<w:body>")
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                f.write(head + b"<w:body>")
                chunk = b"<w:p><w:r><w:t>aaaaaaaa</w:t></w:r></w:p>" * 25_000
                for _ in range(inflated // len(chunk)):
                    f.write(chunk)
                f.write(tail)
    return out.getvalue()


def xlsx_with_sheet_data(sheet_data: bytes, level: int = 6) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["序号", "姓名"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.split(b"<sheetData>")[0] + b"<sheetData>" + sheet_data + b"</sheetData></worksheet>"
            z.writestr(name, data)
    return out.getvalue()


def xlsx_long_row(cells: int = 2_000_000, *, uniform: bool = False) -> bytes:
    """One row of ``cells`` cells. Uniform cells compress ~500:1; random numbers only ~5:1, so only
    the budget inside the row can stop them."""
    if uniform:
        row = b"<c><v>1</v></c>" * cells
    else:
        rnd = random.Random(7)
        row = b"".join(b"<c><v>%d</v></c>" % rnd.randrange(10 ** 6) for _ in range(cells))
    return xlsx_with_sheet_data(b'<row r="1">' + row + b"</row>")


def zip_with_members(n: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(n):
            z.writestr(f"m/{i}", b"")
    return out.getvalue()


def zip_declaring(members: int, *, declared: int, real: int) -> bytes:
    """A DOCX-shaped zip whose directory declares ``declared`` inflated bytes per member while each
    holds ``real`` stored bytes: the check reads sizes from the directory, never by inflating."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(members):
            z.writestr(f"word/media/{i}.bin", random.Random(i).randbytes(real))
    data = bytearray(out.getvalue())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # central directory entries: uncompressed size at +24
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + name_len].startswith(b"word/media/"):
            struct.pack_into("<I", data, pos + 24, declared)
        pos = data.find(b"PK\x01\x02", pos + 46)
    return bytes(data)


def normal_pdf() -> bytes:
    from tests.test_extract_attachments import make_pdf

    return make_pdf([PDF_LINE, "收入预算总额 12345.67 万元"], title="2019年部门预算")


def big_xlsx(rows: int = 20_000) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in range(rows):
        ws.append([r, "张三", "计算机科学与技术", r * 1.5, "备注", "x" * 20, r, r, r, r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- the reader's limits --------------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_inflated_size_ratio_and_member_count_are_checked_before_parsing() -> None:
    bomb = docx_bomb()
    assert len(bomb) < 2 * MB
    t = time.monotonic()
    doc = D.read_document(bomb, "bomb.docx")
    assert doc.limit and "压缩比" in doc.limit and not doc.text and doc.error == "too_complex"
    # ratio 50:1, but three members of 75 MB each: the sum from the directory is past the cap
    doc = D.read_document(zip_declaring(3, declared=75 * MB, real=int(1.5 * MB)), "big.docx")
    assert doc.limit and "解压后" in doc.limit
    doc = D.read_document(zip_with_members(D.MAX_MEMBERS + 1), "many.docx")
    assert doc.limit and "个文件" in doc.limit
    assert time.monotonic() - t < 30


@pytest.mark.timeout(120)
def test_a_two_million_cell_row_is_stopped_inside_the_row() -> None:
    for body in (xlsx_long_row(), xlsx_long_row(uniform=True)):
        t = time.monotonic()
        doc = D.read_document(body, "row.xlsx")
        assert doc.limit and doc.error == "too_complex", doc
        assert time.monotonic() - t < 10
    doc = D.read_document(xlsx_long_row(), "row.xlsx", segments=True)
    assert doc.limit and doc.segments is None


@pytest.mark.timeout(120)
def test_a_wide_table_row_in_a_docx_is_stopped_before_python_docx_builds_it() -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("名单")
    d.add_table(rows=1, cols=2)
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    cell = b"<w:tc><w:p><w:r><w:t>%d</w:t></w:r></w:p></w:tc>"
    rnd = random.Random(3)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "word/document.xml":
                head, rest = data.split(b"<w:tr", 1)
                row = b"<w:tr>" + b"".join(cell % rnd.randrange(10 ** 6) for _ in range(300_000)) + b"</w:tr>"
                data = head + row + b"</w:tbl>" + rest.split(b"</w:tbl>", 1)[1]
            z.writestr(name, data)
    t = time.monotonic()
    doc = D.read_document(out.getvalue(), "wide.docx")
    assert doc.limit and "单元格" in doc.limit
    assert time.monotonic() - t < 20


@pytest.mark.timeout(120)
def test_worker_past_its_wall_time_is_killed_and_replaced() -> None:
    pool = D.DocumentPool(1, timeout=0.3)
    try:
        slow = big_xlsx()
        doc = pool.read(slow, "slow.xlsx")
        assert doc.limit and "秒" in doc.limit and not doc.text
        assert pool.started == 1
        doc = pool.read(normal_pdf(), "ok.pdf")  # a fresh worker, and the next file is fine
        assert "部门预算" in doc.text
        assert pool.started == 2
    finally:
        pool.close()


@pytest.mark.timeout(120)
def test_worker_past_its_memory_limit_skips_the_file_and_is_replaced() -> None:
    # a DOCX within the archive limits whose XML tree needs far more than a 200 MB address space: one
    # paragraph of 1.5 million runs (the reader streams the body a paragraph at a time, so the bomb is one)
    rnd = random.Random(5)
    runs = b"".join(b"<w:r><w:t>%d</w:t></w:r>" % rnd.randrange(10 ** 9) for _ in range(1_500_000))
    paras = b"<w:p>" + runs + b"</w:p>"
    import docx

    d = docx.Document()
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "word/document.xml":
                head, tail = data.split(b"<w:body>")
                data = head + b"<w:body>" + paras + tail
            z.writestr(name, data)
    pool = D.DocumentPool(1, memory_limit=200 * MB)
    try:
        doc = pool.read(out.getvalue(), "huge.docx")
        assert doc.limit and ("内存" in doc.limit or "异常退出" in doc.limit), doc
        assert "部门预算" in pool.read(normal_pdf(), "ok.pdf").text
    finally:
        pool.close()


def test_a_normal_file_reads_the_same_through_the_worker() -> None:
    from tests.test_extract_attachments import make_docx, make_xlsx

    for body, name in ((normal_pdf(), "a.pdf"), (make_docx(["第一章 总则"]), "b.docx"), (make_xlsx(), "c.xlsx")):
        here, there = D.read_document(body, name), D.read(body, name)
        assert here == there and here.text and here.limit is None


# ---- a real crawl over HTTP -----------------------------------------------------------------------
class _Site:
    def __init__(self) -> None:
        self.files = {
            "/files/bomb.docx": (docx_bomb(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                 '"bomb-v1"'),
            "/files/row.xlsx": (xlsx_long_row(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                None),  # no validators: the next scan recognises it by its hash
            "/files/flat.xlsx": (xlsx_long_row(uniform=True),
                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None),
            "/files/budget.pdf": (normal_pdf(), "application/pdf", None),
            "/files/broken.pdf": (b"%PDF-1.4\n garbage without objects", "application/pdf", None),
        }
        links = "".join(f"<li><a href='{p}'>{p.rsplit('/', 1)[1]}</a></li>" for p in self.files)
        self.home = ("<html><head><title>信息公开</title></head><body><h1>示例学院信息公开</h1>"
                     f"<ul>{links}</ul></body></html>").encode("utf-8")
        self.requests: list[tuple[str, str | None, int]] = []
        self.lock = threading.Lock()

    def handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                inm = self.headers.get("If-None-Match")
                if self.path == "/":
                    self._send(200, site.home, "text/html; charset=utf-8", None)
                elif self.path in site.files:
                    body, ctype, etag = site.files[self.path]
                    if etag and inm == etag:
                        self._send(304, b"", None, etag)
                    else:
                        self._send(200, body, ctype, etag)
                else:
                    self._send(404, b"", None, None)
                with site.lock:
                    site.requests.append((self.path, inm, self._status))

            def _send(self, status, body, ctype, etag):
                self._status = status
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                if etag:
                    self.send_header("ETag", etag)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


_MEASURED_SCAN = """
import resource, subprocess, sys
proc = subprocess.run([sys.executable, "-m", "monitor.cli", "scan", "--config", sys.argv[1]],
                      capture_output=True, text=True)
print(proc.stdout)
print(proc.stderr[-3000:], file=sys.stderr)
print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(proc.returncode)
"""


def _scan(cfg: Path, now: str) -> tuple[str, int]:
    """`xxgk scan` in a subprocess; returns its output and the largest resident set of any process
    it started (the crawl, its document workers, the post-scan checks)."""
    import os

    env = dict(os.environ, XXGK_PROGRESS="0", XXGK_NOW=now)
    proc = subprocess.run([sys.executable, "-c", _MEASURED_SCAN, str(cfg)], capture_output=True, text=True,
                          env=env, cwd=str(ROOT), timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rss_kb = int(proc.stdout.rsplit("MAXRSS_KB", 1)[1].split()[0])
    return proc.stdout, rss_kb * 1024


@pytest.mark.timeout(600)
def test_crawl_skips_bombs_keeps_memory_bounded_reads_the_pdf_and_never_rereads_a_bomb(tmp_path: Path) -> None:
    site = _Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), site.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/"
    bombs = [base + p.lstrip("/") for p in ("files/bomb.docx", "files/row.xlsx", "files/flat.xlsx")]
    try:
        cfg = tmp_path / "xxgk.yaml"
        cfg.write_text(f"school: 示例学院\ndisclosure_site: {base}\ndatabase: {tmp_path / 'x.db'}\nunits: []\n"
                       "crawl: {autothrottle: false, retries: 0, obey_robots: false, revisit_days: 0, timeout: 10}\n",
                       encoding="utf-8")
        out, peak = _scan(cfg, "2019-10-15T03:00")
        assert peak < 600 * MB, f"a process of the scan reached {peak / MB:.0f} MB"
        assert "文件过大或过于复杂，已跳过" in out  # the limits report of the scan summary
        conn = sqlite3.connect(tmp_path / "x.db")
        conn.row_factory = sqlite3.Row
        errors = {r["url"]: r["error"] for r in conn.execute("SELECT url, error FROM fetch_errors WHERE scan_id=1")}
        for url in bombs:
            assert "文件过大或过于复杂，已跳过" in (errors.get(url) or ""), (url, errors.get(url))
        assert errors.get(base + "files/broken.pdf", "").startswith("附件解析失败")  # not swallowed
        pdf = conn.execute("SELECT p.kind, p.title, v.text FROM pages p JOIN versions v ON v.page_id = p.id "
                           "WHERE p.url = ?", (base + "files/budget.pdf",)).fetchone()
        assert pdf is not None and pdf["kind"] == "attachment" and pdf["title"] == "2019年部门预算.pdf"
        from monitor.store import decompress
        assert "部门预算" in decompress(pdf["text"]).decode("utf-8")
        scan1 = conn.execute("SELECT limits_hit, sites FROM scans WHERE id=1").fetchone()
        limits = [lim for lim in json.loads(scan1["limits_hit"]) if lim["limit"] == "file_too_complex"]
        assert limits and limits[0]["count"] == 3
        first = list(site.requests)

        site.requests.clear()
        out2, peak2 = _scan(cfg, "2019-10-16T03:00")
        assert peak2 < 600 * MB
        served = {p: (inm, status) for p, inm, status in site.requests}
        assert served["/files/bomb.docx"] == ('"bomb-v1"', 304)  # asked conditionally, answered 304
        assert served["/files/row.xlsx"][1] == 200 and served["/files/flat.xlsx"][1] == 200
        scan2 = conn.execute("SELECT limits_hit, sites FROM scans WHERE id=2").fetchone()
        sites = json.loads(scan2["sites"])
        assert sum(s.get("files_skipped_unchanged", 0) for s in sites.values()) == 3  # none of them read again
        errors2 = {r["url"]: r["error"] for r in conn.execute("SELECT url, error FROM fetch_errors WHERE scan_id=2")}
        for url in bombs:
            assert "文件过大或过于复杂，已跳过" in (errors2.get(url) or "")
        assert any(lim["limit"] == "file_too_complex" for lim in json.loads(scan2["limits_hit"]))
        page = conn.execute("SELECT last_error, fail_count FROM pages WHERE url=?", (bombs[0],)).fetchone()
        assert "文件过大或过于复杂" in page["last_error"] and page["fail_count"] == 2
        assert first  # scan 1 did fetch them
    finally:
        server.shutdown()


# ---- the personal-data check reads through the same bounded reader ---------------------------------
@pytest.mark.timeout(60)
def test_check_pii_on_bomb_snapshots_neither_hangs_nor_blows_up(tmp_path: Path) -> None:
    import resource

    from monitor.compliance.findings import check_pii
    from monitor.store import compress, open_db

    db = open_db(tmp_path / "x.db")
    db.execute("INSERT INTO scans (id, started_at, status) VALUES (1, '2019-10-15T03:00', 'done')")
    bodies = [("http://x.edu.cn/row.xlsx", xlsx_long_row(),
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              ("http://x.edu.cn/bomb.docx", docx_bomb(),
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    for i, (url, body, ctype) in enumerate(bodies, 1):
        db.execute("INSERT INTO pages (id, url, kind, last_fetch_scan, fingerprint) VALUES (?,?,?,?,?)",
                   (i, url, "attachment", 1, "f"))
        db.execute("INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, content_type, snapshot, text) "
                   "VALUES (?,?,?,?,?,?,?)", (i, 1, "2019-10-15T03:00", "f", ctype, compress(body), compress(b"")))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t = time.monotonic()
    stats = check_pii(db, 1)
    assert stats.pages_checked == 2 and stats.findings_new == 0
    assert time.monotonic() - t < 30
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert grown < 300 * MB, f"check_pii grew this process by {grown / MB:.0f} MB"
