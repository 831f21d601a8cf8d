"""Compliance checks on a real SQLite file and a real local site: findings lifecycle, nothing stored in clear,
site reachability over days, blank and stale columns, `xxgk findings`."""
from __future__ import annotations

import hashlib
import io
import logging
import threading
import zlib
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.compliance.findings import check_scan, findings_for_notification, list_findings, new_findings_since
from monitor.compliance.links import LinkSettings
from monitor.compliance.pii import id_check_char, luhn_valid
from monitor.compliance.sites import blank_columns, record_site_checks, site_status
from monitor.config import load_config
from monitor.core import clock
from monitor.store import open_db


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


ID_A = make_id("11010519900307123")       # in the HTML article
ID_B = make_id("32010220010512004")       # in the admission list (xlsx)
ID_C = make_id("44030419991231002")       # in the scholarship notice (docx)
ID_D = make_id("51010719850101321")       # in the PDF
PHONE = "13912345678"
CARD = next(f"621700123456789012{d}" for d in "0123456789" if luhn_valid(f"621700123456789012{d}"))
SECRETS = [ID_A, ID_B, ID_C, ID_D, PHONE, CARD]
CONTACT = "联系人：王老师，咨询电话：13800138000"   # an office's published contact: not a leak
LOOKALIKES = "学号 18010310123，文号〔2019〕12号，办公电话 010-62751234，订单号 2019103112345678901"


class Home(BaseHTTPRequestHandler):
    """Home pages of the configured sites: the disclosure site answers, the unit site is down."""
    down = True

    def log_message(self, *a):
        pass

    def do_HEAD(self):
        self._answer(False)

    def do_GET(self):
        self._answer(True)

    def _answer(self, body: bool):
        code = 503 if (Home.down and self.server.server_address[1] == UNIT_PORT[0]) else 200
        if self.path != "/":
            code = 404
        data = "<html><head><title>首页</title></head><body>首页</body></html>".encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)


UNIT_PORT = [0]


@pytest.fixture()
def estate(tmp_path: Path):
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Home) for _ in range(2)]
    for s in servers:
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
    xxgk, zsb = (f"http://127.0.0.1:{s.server_address[1]}/" for s in servers)
    UNIT_PORT[0] = servers[1].server_address[1]
    cfg_path = tmp_path / "xxgk.yaml"
    cfg_path.write_text(f"""\
school: 测试大学
disclosure_site: {xxgk}
database: data/xxgk.db
units:
  - id: zsb
    name: 招生办公室
    sites: [{zsb}]
compliance:
  intranet_hosts: [oa.test.edu.cn]
""", encoding="utf-8")
    cfg = load_config(cfg_path)
    db = open_db(cfg.database_path)
    yield Estate(cfg, db, xxgk, zsb)
    for s in servers:
        s.shutdown()
        s.server_close()
    clock.set_now(None)


class Estate:
    def __init__(self, cfg, db, xxgk: str, zsb: str) -> None:
        self.cfg, self.db, self.xxgk, self.zsb = cfg, db, xxgk, zsb
        self.scan_id = 0
        self.fast = LinkSettings.from_config(cfg)  # the school's intranet hosts, a faster pace for tests
        self.fast.delay, self.fast.timeout, self.fast.obey_robots, self.fast.autothrottle = 0.01, 2.0, False, False

    def new_scan(self, when: str) -> int:
        clock.set_now(when)
        self.scan_id += 1
        self.db.execute("INSERT INTO scans (id, started_at, status) VALUES (?, ?, 'done')",
                        (self.scan_id, clock.now_iso()))
        return self.scan_id

    def page(self, url: str, *, unit: str, kind: str, body: bytes | None, text: str, ctype: str,
             status: int = 200, new_version: bool = True, title: str | None = None) -> int:
        """What crawler.pipelines stores for one fetched page (plain excerpt included)."""
        scan = self.scan_id
        found = self.db.execute("SELECT id FROM pages WHERE url = ?", (url,)).fetchone()
        site = self.zsb if url.startswith(self.zsb) else self.xxgk
        if found is None:
            pid = self.db.execute("INSERT INTO pages (url, site, unit, first_seen_scan) VALUES (?,?,?,?)",
                                  (url, site, unit, scan)).lastrowid
        else:
            pid = found[0]
        if status >= 400:
            self.db.execute("UPDATE pages SET last_fetch_scan=?, last_status=?, last_error=? WHERE id=?",
                            (scan, status, f"HTTP {status}", pid))
            return pid
        self.db.execute("UPDATE pages SET kind=?, title=?, last_seen_scan=?, last_fetch_scan=?, last_status=?, "
                        "content_type=?, text_excerpt=?, fingerprint=? WHERE id=?",
                        (kind, title, scan, scan, status, ctype, text[:3000],
                         hashlib.sha256(text.encode()).hexdigest(), pid))
        if new_version:
            self.db.execute(
                "INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, status, content_type, snapshot, text)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (pid, scan, clock.now_iso(), "f", status, ctype, zlib.compress(body) if body else None,
                 zlib.compress(text.encode())))
        return pid

    def attach(self, page_id: int, file_id: int, url: str, name: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO attachments (page_id, file_page_id, url, name, first_seen_scan, "
                        "last_seen_scan) VALUES (?,?,?,?,?,?)", (page_id, file_id, url, name, self.scan_id,
                                                                 self.scan_id))

    def check(self):
        return check_scan(self.db, self.cfg, self.scan_id, link_settings=self.fast)


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "录取名单"
    ws.append(["2019年特殊类型招生拟录取名单"])
    ws.append(["序号", "姓名", "身份证号", "考生号", "录取专业"])
    ws.append([1, "张三", ID_B, "19110105123456", "计算机科学与技术"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("关于2019年国家奖学金获奖学生名单的公示")
    d.add_paragraph(LOOKALIKES)
    d.add_paragraph(f"获奖学生：李四，身份证号{ID_C}，收款银行卡号：{CARD}。")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def pdf_bytes() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 800, "Notice 2019")
    c.showPage()
    c.drawString(72, 800, f"No.3 ID {ID_D} grade 2019")
    c.showPage()
    c.save()
    return buf.getvalue()


def html(body: str) -> bytes:
    return f"<html><head><meta charset='utf-8'><title>通知</title></head><body>{body}</body></html>".encode()


def scan_one(e: Estate, *, article_has_id: bool = True, pdf_status: int = 200) -> dict[str, int]:
    x, z = e.xxgk, e.zsb
    ids = {}
    body = (f"<div class='wp_articlecontent'><p>{LOOKALIKES}</p><p>{CONTACT}</p><p>获奖学生：李四，电话 {PHONE}</p>"
            + (f"<table><tr><th>姓名</th><th>身份证号</th></tr><tr><td>赵六</td><td>{ID_A}</td></tr></table>"
               if article_has_id else "") + "</div>")
    text = f"{LOOKALIKES}\n{CONTACT}\n获奖学生：李四，电话 {PHONE}\n" + (f"姓名\t身份证号\n赵六\t{ID_A}\n" if article_has_id else "")
    ids["article"] = e.page(x + "2019/1015/c100a1/page.htm", unit="", kind="article", body=html(body), text=text,
                            ctype="text/html; charset=utf-8")
    ids["zsb_article"] = e.page(z + "info/1012/5.htm", unit="zsb", kind="article",
                                body=html("<p>拟录取名单见附件。</p>"), text="拟录取名单见附件。",
                                ctype="text/html; charset=utf-8")
    ids["xlsx"] = e.page(z + "_upload/article/files/lq.xlsx", unit="", kind="attachment", body=xlsx_bytes(),
                         text=f"序号 姓名 身份证号\n1 张三 {ID_B}", ctype="application/vnd.openxmlformats-"
                         "officedocument.spreadsheetml.sheet", new_version=e.scan_id == 1)
    e.attach(ids["zsb_article"], ids["xlsx"], z + "_upload/article/files/lq.xlsx", "拟录取名单.xlsx")
    ids["docx"] = e.page(x + "_upload/article/files/jxj.docx", unit="", kind="attachment", body=docx_bytes(),
                         text=f"获奖学生：李四，身份证号{ID_C}", ctype="application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document", new_version=e.scan_id == 1)
    ids["pdf"] = e.page(x + "_upload/article/files/gs.pdf", unit="", kind="attachment", body=pdf_bytes(),
                        text=f"No.3 ID {ID_D}", ctype="application/pdf", status=pdf_status,
                        new_version=e.scan_id == 1)
    return ids


def test_findings_lifecycle_across_scans(estate: Estate) -> None:
    e = estate
    e.new_scan("2019-10-01T02:30")
    scan_one(e)
    stats = e.check()
    assert stats.pages_checked == 5 and stats.findings_new == 6
    got = {(f["kind"], f["masked"], f["location"], f["unit"]) for f in list_findings(e.db)}
    assert got == {
        ("mobile", "139****5678", "html", ""),
        ("id_card", ID_A[:4] + "*" * 12 + ID_A[-2:], "html", ""),
        ("id_card", ID_B[:4] + "*" * 12 + ID_B[-2:], "xlsx 录取名单!C3", "zsb"),   # unit of the linking page
        ("id_card", ID_C[:4] + "*" * 12 + ID_C[-2:], "docx paragraph 3", ""),
        ("bank_card", CARD[:6] + "*" * (len(CARD) - 10) + CARD[-4:], "docx paragraph 3", ""),
        ("id_card", ID_D[:4] + "*" * 12 + ID_D[-2:], "pdf page 2", ""),
    }
    xlsx = next(f for f in list_findings(e.db) if f["location"].startswith("xlsx"))
    assert xlsx["parent_url"] == e.zsb + "info/1012/5.htm"
    first_ids = {(f["kind"], f["url"]): f["id"] for f in list_findings(e.db)}
    assert len(new_findings_since(e.db, "2019-09-30T00:00:00+08:00")) == 6
    assert new_findings_since(e.db, clock.now_iso()) == []

    # Night 2: the article is republished without the ID list; the docx leak is accepted by the office.
    docx_finding = next(f for f in list_findings(e.db) if f["kind"] == "id_card" and f["location"].startswith("docx"))
    r = CliRunner().invoke(main, ["findings", "accept", str(docx_finding["id"]), "--config", str(e.cfg.path),
                                  "--note", "依法须公示"])
    assert r.exit_code == 0, r.output
    e.new_scan("2019-10-02T02:30")
    scan_one(e, article_has_id=False)
    stats = e.check()
    assert stats.findings_fixed == 1 and stats.findings_new == 0
    by_status = {(f["kind"], f["location"], f["status"]) for f in list_findings(e.db, status=None)}
    assert ("id_card", "html", "fixed") in by_status
    assert ("mobile", "html", "open") in by_status              # same leak, same finding, still open
    assert ("id_card", "docx paragraph 3", "accepted") in by_status
    assert ("id_card", "xlsx 录取名单!C3", "open") in by_status   # unchanged file: not re-read, still open

    # Night 3: the ID list is back (reopened under the same id) and the PDF was deleted (fixed).
    e.new_scan("2019-10-03T02:30")
    scan_one(e, article_has_id=True, pdf_status=404)
    stats = e.check()
    assert stats.findings_reopened == 1 and stats.findings_new == 0
    now = {(f["kind"], f["url"]): f for f in list_findings(e.db, status=None)}
    back = now[("id_card", e.xxgk + "2019/1015/c100a1/page.htm")]
    assert back["id"] == first_ids[("id_card", e.xxgk + "2019/1015/c100a1/page.htm")] and back["status"] == "open"
    assert [f["kind"] for f in new_findings_since(e.db, "2019-10-02T12:00:00+08:00")] == ["id_card"]
    pdf = now[("id_card", e.xxgk + "_upload/article/files/gs.pdf")]
    assert pdf["status"] == "fixed" and pdf["note"] == "页面已删除"


def test_no_full_number_anywhere_the_product_writes(estate: Estate, caplog, capsys) -> None:
    e = estate
    caplog.set_level(logging.DEBUG)
    e.new_scan("2019-10-01T02:30")
    scan_one(e)
    e.check()
    runner = CliRunner()
    outputs = []
    for args in (["findings"], ["findings", "--json"], ["findings", "--status", "all", "--unit", "zsb"]):
        r = runner.invoke(main, [*args, "--config", str(e.cfg.path)])
        assert r.exit_code == 0, r.output
        outputs.append(r.output)
    assert "139****5678" in outputs[0] and "xlsx 录取名单!C3" in outputs[0] and "招生办公室" in outputs[0]
    e.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    e.db.conn.close()
    files = [p for p in Path(e.cfg.database_path).parent.iterdir() if p.is_file()]
    blobs = b"".join(p.read_bytes() for p in files)
    text = "\n".join(outputs) + caplog.text + capsys.readouterr().out
    for secret in SECRETS:
        assert secret.encode() not in blobs, f"{secret[:4]}… found in the database file"
        assert secret.encode("utf-16-le") not in blobs
        assert secret not in text


def test_site_reachability_needs_repeated_failures_on_two_days(estate: Estate) -> None:
    e = estate
    site = e.zsb
    fail, ok = {site: ("timeout", "访问超时", None)}, {site: ("ok", "可访问（HTTP 200）", 200)}

    def night(when: str, result: dict) -> str:
        sid = e.new_scan(when)
        record_site_checks(e.db, e.cfg, sid, {e.xxgk: ("ok", "可访问", 200), **result})
        return next(s for s in site_status(e.db, e.cfg) if s["site"] == site)["status"]

    assert night("2019-10-01T02:30", fail) == "degraded"       # one timeout is not "down"
    assert night("2019-10-01T08:00", fail) == "degraded"
    assert night("2019-10-01T14:00", fail) == "degraded"       # three failures, but all on one day
    assert night("2019-10-02T02:30", fail) == "unreachable"
    status = next(s for s in site_status(e.db, e.cfg) if s["site"] == site)
    assert status["reason"].startswith("自2019-10-01起连续4次检查无法访问")
    assert night("2019-10-03T02:30", ok) == "ok"               # one success ends it
    assert next(s for s in site_status(e.db, e.cfg) if s["site"] == e.xxgk)["status"] == "ok"


def test_check_scan_checks_home_pages_and_links(estate: Estate) -> None:
    e = estate
    for n, when in enumerate(("2019-10-01T02:30", "2019-10-02T02:30", "2019-10-03T02:30"), 1):
        e.new_scan(when)
        home = e.page(e.xxgk, unit="", kind="list", body=html("首页"), text="首页", ctype="text/html",
                      new_version=n == 1, title="首页")
        for url in (e.zsb, e.xxgk + "missing.htm", "http://oa.test.edu.cn/login"):
            e.db.execute("INSERT INTO links (page_id, url, text, first_seen_scan, last_seen_scan) VALUES (?,?,?,?,?) "
                         "ON CONFLICT(page_id, url) DO UPDATE SET last_seen_scan=excluded.last_seen_scan",
                         (home, url, "链接", n, n))
        stats = e.check()
    assert stats.sites == {e.xxgk: "ok", e.zsb: "unreachable"}
    assert stats.links["categories"]["intranet"] == 1
    assert stats.links["broken"] == 2        # the 503 unit site and the missing page, on every night
    r = CliRunner().invoke(main, ["findings", "--config", str(e.cfg.path)])
    assert "死链（连续两次检查失败）：2 个" in r.output and "[无法访问] 招生办公室" in r.output
    office = findings_for_notification(e.db, e.cfg, unit="")
    assert sorted(n["id"].split("-")[0] for n in office) == ["link", "link"]
    assert {n["url"] for n in office} == {e.xxgk}            # the page that carries the links
    zsb = findings_for_notification(e.db, e.cfg, unit="zsb")
    assert len(zsb) == 1 and zsb[0]["text"].startswith("网站无法访问：" + e.zsb)
    assert [n["id"] for n in findings_for_notification(e.db, e.cfg, unit="zsb")] == [zsb[0]["id"]]  # stable


def test_blank_and_stale_columns(estate: Estate) -> None:
    e = estate
    e.new_scan("2019-10-15T02:30")
    blank = e.page(e.xxgk + "kb/list.htm", unit="", kind="list", body=html(""), text="", ctype="text/html")
    e.db.execute("UPDATE pages SET column_name='学风建设机构' WHERE id=?", (blank,))
    event = e.page(e.xxgk + "tfsj/list.htm", unit="", kind="list", body=html(""), text="", ctype="text/html")
    e.db.execute("UPDATE pages SET column_name='突发事件应急处理' WHERE id=?", (event,))
    e.db.execute("INSERT INTO matches (item_id, page_id, url, target, score, reason) VALUES "
                 "('50', ?, ?, 'column', 0.9, '栏目名称')", (event, e.xxgk + "tfsj/list.htm"))
    notices = e.page(e.xxgk + "tzgg/list.htm", unit="", kind="list", body=html(""), text="", ctype="text/html")
    e.db.execute("UPDATE pages SET column_name='通知公告' WHERE id=?", (notices,))
    budget = e.page(e.xxgk + "ys/list.htm", unit="", kind="list", body=html(""), text="", ctype="text/html")
    e.db.execute("UPDATE pages SET column_name='预决算' WHERE id=?", (budget,))
    fresh = e.page(e.xxgk + "xwdt/list.htm", unit="", kind="list", body=html(""), text="", ctype="text/html")
    e.db.execute("UPDATE pages SET column_name='新闻动态' WHERE id=?", (fresh,))
    for page, d in ((notices, "2018-12-01"), (budget, "2019-01-10"), (fresh, "2019-10-10")):
        e.db.execute("INSERT INTO entries (list_page_id, url, title, date, first_seen_scan, last_seen_scan) "
                     "VALUES (?,?,?,?,1,1)", (page, f"{e.xxgk}x/{page}.htm", "条目", d))
    e.db.execute("INSERT INTO matches (item_id, page_id, url, target, score, reason) VALUES "
                 "('19', ?, ?, 'column', 0.9, '栏目名称')", (budget, e.xxgk + "ys/list.htm"))
    e.db.execute("INSERT INTO assessments (item_id, as_of, status, reason) VALUES "
                 "('19', '2019-10-15', 'overdue', '应于2019-06-30前发布2019年预算，已逾期107天')")
    cols = {c["name"]: c for c in blank_columns(e.db, e.cfg, as_of=date(2019, 10, 15))}
    assert set(cols) == {"学风建设机构", "通知公告", "预决算"}
    assert cols["学风建设机构"]["kind"] == "blank"
    assert cols["通知公告"]["kind"] == "stale" and "超过6个月" in cols["通知公告"]["reason"]
    assert cols["预决算"]["reason"] == "事项19：应于2019-06-30前发布2019年预算，已逾期107天"


def test_cli_mistakes_get_one_chinese_line(estate: Estate, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["findings", "accept", "999", "--config", str(estate.cfg.path)])
    assert r.exit_code != 0 and "没有编号为 999 的发现" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, ["findings", "--config", str(tmp_path / "nope.yaml")])
    assert r.exit_code != 0 and "错误" in r.output and "Traceback" not in r.output



# ---- end to end: a real `xxgk scan` of a small site with leaks and bad links -----------------------------
def _estate_files() -> dict[str, tuple[int, str, bytes]]:
    page = ("<html><head><meta charset='utf-8'><title>{t}</title></head><body><div class='header'>示例大学</div>"
            "<h1 class='arti_title'>{t}</h1><span class='arti_update'>发布时间：2019-09-20</span>"
            "<div class='wp_articlecontent'>{b}</div></body></html>")
    home = ("<html><head><meta charset='utf-8'><title>示例大学信息公开网</title></head><body>"
            "<ul><li><a href='/tzgg/list.htm'>通知公告</a></li><li><a href='/missing.htm'>已删除的栏目</a></li>"
            "<li><a href='/forbidden.htm'>内部资料</a></li><li><a href='/ts.htm'>反爬页面</a></li></ul></body></html>")
    lst = ("<html><head><meta charset='utf-8'><title>通知公告</title></head><body><h2>通知公告</h2>"
           "<ul class='wp_article_list'>"
           "<li><a href='/2019/0920/c1a1/page.htm'>关于2019年拟录取名单的公示</a>"
           "<span class='Article_PublishDate'>2019-09-20</span></li>"
           "<li><a href='/2019/0918/c1a2/page.htm'>奖学金评选结果公示</a>"
           "<span class='Article_PublishDate'>2019-09-18</span></li></ul></body></html>")
    a1 = page.format(t="关于2019年拟录取名单的公示", b=(
        f"<p>{LOOKALIKES}</p><p>{CONTACT}</p><p>获奖学生：李四，电话 {PHONE}</p>"
        f"<table><tr><th>姓名</th><th>身份证号</th></tr><tr><td>赵六</td><td>{ID_A}</td></tr></table>"
        "<p>附件：<a href='/_upload/article/files/lq.xlsx'>拟录取名单.xlsx</a>"
        "<a href='/_upload/article/files/gs.pdf'>公示.pdf</a></p>"))
    a2 = page.format(t="奖学金评选结果公示", b=(
        "<p>详见附件。</p><a href='/_upload/article/files/jxj.docx'>获奖名单.docx</a>"
        "<a href='/_upload/article/files/old.pdf'>往年名单.pdf</a>"))
    h = "text/html; charset=utf-8"
    return {
        "/": (200, h, home.encode()), "/tzgg/list.htm": (200, h, lst.encode()),
        "/2019/0920/c1a1/page.htm": (200, h, a1.encode()), "/2019/0918/c1a2/page.htm": (200, h, a2.encode()),
        "/_upload/article/files/lq.xlsx": (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                           xlsx_bytes()),
        "/_upload/article/files/jxj.docx": (200, "application/vnd.openxmlformats-officedocument."
                                                 "wordprocessingml.document", docx_bytes()),
        "/_upload/article/files/gs.pdf": (200, "application/pdf", pdf_bytes()),
        "/forbidden.htm": (403, h, b"forbidden"),
        "/ts.htm": (412, h, b"<html><script>$_ts=window['$_ts'];$_ts.nsd=1;</script></html>"),
    }


@pytest.mark.slow
def test_real_scan_end_to_end(tmp_path: Path) -> None:
    import subprocess
    import sys

    files = _estate_files()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_HEAD(self):
            self._go(False)

        def do_GET(self):
            self._go(True)

        def _go(self, body: bool):
            code, ctype, data = files.get(self.path.split("?")[0], (404, "text/html", b"not found"))
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    cfg_path = tmp_path / "xxgk.yaml"
    cfg_path.write_text(f"school: 示例大学\ndisclosure_site: {base}\ndatabase: data/xxgk.db\n"
                        "crawl: {obey_robots: false, download_delay: 0, retries: 0, timeout: 5}\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    try:
        outputs = []
        for day in ("2019-10-01", "2019-10-02"):
            r = subprocess.run([sys.executable, "-m", "monitor.cli", "--now", f"{day}T02:30", "scan", "--config",
                                str(cfg_path)], cwd=root, capture_output=True, text=True, timeout=240)
            assert r.returncode == 0, r.stdout + r.stderr
            outputs.append(r.stdout + r.stderr)
        r = subprocess.run([sys.executable, "-m", "monitor.cli", "findings", "--config", str(cfg_path), "--json"],
                           cwd=root, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        outputs.append(r.stdout + r.stderr)
    finally:
        server.shutdown()
        server.server_close()
    import json

    data = json.loads(outputs[-1])
    got = {(f["kind"], f["location"]) for f in data["findings"]}
    assert got == {("mobile", "html"), ("id_card", "html"), ("id_card", "xlsx 录取名单!C3"),
                   ("id_card", "docx paragraph 3"), ("bank_card", "docx paragraph 3"), ("id_card", "pdf page 2")}
    broken = {link["url"] for s in data["broken_links"] for p in s["pages"] for link in p["links"]}
    assert broken == {base + "missing.htm", base + "_upload/article/files/old.pdf"}
    assert data["sites"][0]["status"] == "ok"
    db_dir = tmp_path / "data"
    blobs = b"".join(p.read_bytes() for p in db_dir.iterdir() if p.is_file())
    for secret in SECRETS:
        assert secret.encode() not in blobs, f"{secret[:4]}… readable in the database files"
        assert all(secret not in out for out in outputs)
