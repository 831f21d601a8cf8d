"""Annual report evidence pack: model figures, the four renderings, WARC/manifest/zip, CLI errors.

The first tests fill a real SQLite store by hand (pages, versions with snapshots, entries,
matches) and feed the year-end assessment in the contract's shape; the end-to-end test at the
bottom scans the simulated university and compares every figure with its ground truth.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from warcio.archiveiterator import ArchiveIterator

from monitor.config import load_config
from monitor.core import clock
from monitor.report import AcademicYear, ReportError, build_report, load_inputs, placeholders, write_outputs
from monitor.store import compress, open_db

YEAR = AcademicYear.parse("2018-2019")
XXGK = "http://xxgk.example.edu.cn"
ZSB = "http://zsb.example.edu.cn"
CWC = "http://cwc.example.edu.cn"


# --------------------------------------------------------------------------- a small estate by hand

CATALOG = """\
name: 示例大学信息公开目录
categories:
  - {id: '1', name: 基本信息}
  - {id: '2', name: 招生考试信息}
  - {id: '3', name: 财务、资产及收费信息}
  - {id: '10', name: 其他}
items:
  - {id: '1', category: '1', title: 办学基本情况, short: 办学基本情况, rule: {kind: on_change}}
  - {id: '2', category: '1', title: 学校章程及制定的各项规章制度, short: 学校章程, rule: {kind: static}}
  - {id: '6', category: '1', title: 信息公开指南、依申请公开信息和不予公开信息目录、信息公开年度报告,
     short: 信息公开年度报告, rule: {kind: annual, due: '10-31', opens: '09-01'}}
  - {id: '7', category: '2', title: 招生章程及特殊类型招生办法，分批次、分科类招生计划, short: 招生章程,
     unit: zsb, rule: {kind: window, start: '03-01', end: '06-30'}}
  - {id: '19', category: '3', title: 收支预算总表、收入预算表、支出预算表、财政拨款支出预算表, short: 预算,
     unit: cwc, rule: {kind: window, start: '03-01', end: '05-31'}}
  - {id: '50', category: '10', title: 自然灾害等突发事件的应急处理预案、预警信息和处置情况, short: 突发事件应急处理,
     rule: {kind: event}}
"""

CONFIG = f"""\
school: 示例大学
catalog: catalog.yaml
database: xxgk.db
disclosure_site: {XXGK}/
office: {{name: 学校办公室}}
units:
  - {{id: zsb, name: 招生办公室, sites: ['{ZSB}/']}}
  - {{id: cwc, name: 财务处, sites: ['{CWC}/']}}
"""


class Store:
    """Writes pages/versions/entries/matches the way the crawler pipeline and matcher do."""

    def __init__(self, path: Path) -> None:
        self.db = open_db(path)
        self.scan = self.db.execute(
            "INSERT INTO scans(started_at, finished_at, status, trigger) VALUES (?,?,?,?)",
            ("2019-10-15T02:30:00+08:00", "2019-10-15T02:40:00+08:00", "done", "cli")).lastrowid

    def page(self, url: str, site: str, unit: str, kind: str, title: str, published: str | None = None,
             body: bytes | None = None, content_type: str = "text/html; charset=utf-8") -> int:
        pid = self.db.execute(
            "INSERT INTO pages(url, site, unit, kind, title, column_name, published, published_source, "
            "last_status, first_seen_scan, last_seen_scan) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (url, site, unit, kind, title, title if kind == "list" else None, published,
             "label" if published else None, 200, self.scan, self.scan)).lastrowid
        body = body if body is not None else f"<html><head><title>{title}</title></head><body><h1>{title}</h1>" \
                                              f"<p>发布时间：{published or ''}</p></body></html>".encode("utf-8")
        headers = {"Content-Type": content_type, "Server": "nginx", "Content-Encoding": "gzip",
                   "Last-Modified": "Tue, 15 Oct 2019 02:00:00 GMT"}
        self.db.execute(
            "INSERT INTO versions(page_id, scan_id, fetched_at, fingerprint, body_sha256, title, published, status, "
            "content_type, headers, snapshot) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (pid, self.scan, "2019-10-15T02:31:00+08:00", hashlib.sha1(body).hexdigest(),
             hashlib.sha256(body).hexdigest(), title, published, 200, content_type, json.dumps(headers),
             compress(body)))
        return pid

    def entry(self, list_id: int, url: str, title: str, day: str) -> None:
        self.db.execute("INSERT INTO entries(list_page_id, source_page_id, url, title, date, date_source, "
                        "first_seen_scan, last_seen_scan) VALUES (?,?,?,?,?,?,?,?)",
                        (list_id, list_id, url, title, day, "list", self.scan, self.scan))

    def column(self, item: str, url: str, page_id: int) -> None:
        self.db.execute("INSERT INTO matches(item_id, page_id, url, target, score, reason, method, state) "
                        "VALUES (?,?,?,?,?,?,?,?)", (item, page_id, url, "column", 0.9, "导航栏目名称匹配",
                                                     "navigation", "auto"))

    def attachment(self, page_id: int, file_page_id: int, url: str, name: str) -> None:
        self.db.execute("INSERT INTO attachments(page_id, file_page_id, url, name, first_seen_scan, last_seen_scan) "
                        "VALUES (?,?,?,?,?,?)", (page_id, file_page_id, url, name, self.scan, self.scan))


PDF = b"%PDF-1.4\n% 2017-2018 annual report\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def estate(tmp_path):
    """A school with 6 items: 3 updated in 2018-2019, 3 not (static, event, and one overdue window)."""
    s = Store(tmp_path / "xxgk.db")
    x, z, c = XXGK + "/", ZSB + "/", CWC + "/"
    # Disclosure site: 基本情况 column + article, 章程 (old), 年度报告 article with a PDF.
    jb = s.page(f"{XXGK}/jbxx/list.htm", x, "", "list", "基本情况")
    a1 = s.page(f"{XXGK}/2018/1010/c12a301/page.htm", x, "", "article", "学校2018年基本情况", "2018-10-10")
    s.entry(jb, f"{XXGK}/2018/1010/c12a301/page.htm", "学校2018年基本情况", "2018-10-10")
    s.column("1", f"{XXGK}/jbxx/list.htm", jb)
    zc = s.page(f"{XXGK}/xxzc/list.htm", x, "", "list", "学校章程")
    old = s.page(f"{XXGK}/2015/0101/c13a10/page.htm", x, "", "article", "示例大学章程", "2015-01-01")
    s.entry(zc, f"{XXGK}/2015/0101/c13a10/page.htm", "示例大学章程", "2015-01-01")
    s.column("2", f"{XXGK}/xxzc/list.htm", zc)
    nb = s.page(f"{XXGK}/ndbg/list.htm", x, "", "list", "信息公开年度报告")
    a6 = s.page(f"{XXGK}/2018/1020/c14a400/page.htm", x, "", "article",
                "示例大学2017-2018学年信息公开工作年度报告", "2018-10-20")
    pdf = s.page(f"{XXGK}/_upload/article/files/ab/cd/ndbg2018.pdf", x, "", "attachment", "ndbg2018.pdf",
                 body=PDF, content_type="application/pdf")
    s.attachment(a6, pdf, f"{XXGK}/_upload/article/files/ab/cd/ndbg2018.pdf", "2017-2018学年报告.pdf")
    s.entry(nb, f"{XXGK}/2018/1020/c14a400/page.htm", "示例大学2017-2018学年信息公开工作年度报告", "2018-10-20")
    s.column("6", f"{XXGK}/ndbg/list.htm", nb)
    # A disclosure-site news article in the year that is not an item (counts for the channel).
    s.page(f"{XXGK}/2019/0301/c20a500/page.htm", x, "", "article", "关于做好信息公开工作的通知", "2019-03-01")
    # Admissions site: 招生章程 entry on a list (article itself never fetched), plus news.
    zl = s.page(f"{ZSB}/zszc.htm", z, "zsb", "list", "招生章程")
    s.entry(zl, f"{ZSB}/info/1011/2001.htm", "示例大学2019年本科招生章程", "2019-04-01")
    s.entry(zl, f"{ZSB}/info/1011/1001.htm", "示例大学2018年本科招生章程", "2018-04-02")   # before the year
    s.entry(zl, f"{ZSB}/info/1011/3001.htm", "示例大学2020年本科招生章程", "2019-09-20")   # after the year
    s.column("7", f"{ZSB}/zszc.htm", zl)
    zx = s.page(f"{ZSB}/zxdt.htm", z, "zsb", "list", "招生动态")
    for i, day in enumerate(["2018-09-05", "2018-12-01", "2019-06-30", "2019-08-31"]):
        s.entry(zx, f"{ZSB}/info/1012/{i}.htm", f"招生动态{i}", day)
    # Finance site: budget column, last budget in 2018 spring (before the year).
    ys = s.page(f"{CWC}/ysgk/list.htm", c, "cwc", "list", "预算公开")
    s.entry(ys, f"{CWC}/2018/0420/c5a77/page.htm", "2018年部门预算", "2018-04-20")
    s.column("19", f"{CWC}/ysgk/list.htm", ys)
    # Emergencies column exists but is empty: an event item with no event.
    tf = s.page(f"{XXGK}/tfsj/list.htm", x, "", "list", "突发事件应急处理")
    s.column("50", f"{XXGK}/tfsj/list.htm", tf)
    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "xxgk.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "inputs.yaml").write_text(INPUTS, encoding="utf-8")
    return SimpleNamespace(store=s, db=s.db, path=tmp_path / "xxgk.db", config=tmp_path / "xxgk.yaml",
                           ids={"a1": a1, "a6": a6, "old": old})


INPUTS = """\
year: 2018-2019
source: 学校办公室依申请公开登记台账
filled_by: 张老师
requests:
  received: 12
  carried_over: 1
  channels: {网络申请: 9, 信函申请: 3}
  outcomes: {予以公开: 7, 部分公开: 2, 不予公开: 1, 信息不存在: 2}
  pending: 1
complaints: 0
reconsiderations: 0
lawsuits: 0
texts:
  measures: 加强对责任单位信息员的培训，建立督查督办台账。
"""


@pytest.fixture
def report(estate, tmp_path):
    """The report as `xxgk report` builds it: real config, real catalog, real year-end assessment."""
    clock.set_now("2019-10-20")
    try:
        cfg = load_config(estate.config)
        inputs = load_inputs(tmp_path / "inputs.yaml", YEAR)
        yield build_report(estate.db, cfg, YEAR, inputs=inputs)
    finally:
        clock.set_now(None)


# --------------------------------------------------------------------------- the model

def test_academic_year_bounds_and_errors():
    y = AcademicYear.parse("2018-2019")
    assert (y.start, y.end) == (date(2018, 9, 1), date(2019, 8, 31))
    assert y.contains("2018-09-01") and y.contains("2019-08-31")
    assert not y.contains("2018-08-31") and not y.contains("2019-09-01") and not y.contains(None)
    assert AcademicYear.last_completed(date(2019, 10, 15)).label == "2018-2019"
    assert AcademicYear.last_completed(date(2019, 8, 31)).label == "2017-2018"
    for bad in ("2018", "2018-2020", "18-19", "abc"):
        with pytest.raises(ReportError, match="学年"):
            AcademicYear.parse(bad)


def test_headline_figures_and_not_updated_split(report):
    s = report.summary
    assert (s.categories, s.items, s.updated, s.not_updated) == (4, 6, 3, 3)
    assert [r.item_id for r in report.items if r.updated_in_year] == ["1", "6", "7"]
    assert s.not_required == ["2", "50"]          # static + event: no duty without change
    assert s.due_not_updated == ["19"]            # the budget window passed with nothing published
    assert report.item("19").status == "overdue" and "逾期" in report.item("19").reason
    # Only evidence dated inside the year is listed as published in the year.
    pubs = report.item("7").published
    assert [(p.date, p.title) for p in pubs] == [("2019-04-01", "示例大学2019年本科招生章程")]
    assert report.item("7").unit_name == "招生办公室" and report.item("6").unit_name == "学校办公室"
    assert report.item("7").columns[0].url == f"{ZSB}/zszc.htm"


def test_channel_counts_articles_published_in_the_year(report):
    by_name = {c.name: c.articles for c in report.channels}
    # xxgk: 基本情况 2018-10-10, 年度报告 2018-10-20, 通知 2019-03-01 (章程 2015 is outside the year)
    assert by_name == {"信息公开网": 3, "招生办公室网站": 5, "财务处网站": 0}
    assert report.channels[0].name == "信息公开网"
    assert report.summary.articles_total == 8


def test_draft_sections_fill_figures_and_mark_gaps(report):
    text = {s.key: "\n".join(s.paragraphs) for s in report.sections}
    assert [s.title for s in report.sections] == [
        "一、概述", "二、主动公开情况", "三、依申请公开情况", "四、因学校信息公开工作受到举报、复议、诉讼的情况",
        "五、存在的主要问题和改进措施"]
    assert "应当公开共4大类办学信息，涉及具体条目6项" in text["active"]
    assert "完成了3项条目的信息更新" in text["active"]
    assert "学校章程、预算、突发事件应急处理等3项信息无更新" in text["active"]
    assert "通过信息公开网发布信息3条" in text["active"] and "通过招生办公室网站发布信息5条" in text["active"]
    assert "共收到依申请公开申请12件" in text["requests"] and "予以公开7件" in text["requests"]
    assert "数据来源：学校办公室依申请公开登记台账，填报人：张老师" in text["requests"]
    assert "未发生因信息公开工作引起的举报、行政复议、行政诉讼" in text["complaints"]
    assert "预算" in text["problems"] and "加强对责任单位信息员的培训" in text["problems"]
    todo = placeholders(report)
    assert todo and all(t.startswith("【待填写：") for t in todo)
    assert not any("改进措施" in t for t in todo)  # filled from the inputs file


def test_per_unit_appendix(report):
    units = {u.name: u for u in report.units}
    assert units["招生办公室"].items == ["7"] and units["招生办公室"].updated == ["7"]
    assert units["招生办公室"].articles == 5
    assert units["财务处"].not_updated_due == ["19"] and units["财务处"].overdue_at_year_end == ["19"]
    assert units["学校办公室"].items == ["1", "2", "6", "50"]
    assert units["学校办公室"].not_updated_not_required == ["2", "50"]


def test_citations_resolve_captures(report):
    by_url = {c.url: c for c in report.citations}
    entry = by_url[f"{ZSB}/info/1011/2001.htm"]
    # The article was never fetched: the archived proof is the list page that showed it.
    assert entry.archived and entry.captured_url == f"{ZSB}/zszc.htm"
    art = by_url[f"{XXGK}/2018/1020/c14a400/page.htm"]
    assert art.archived and art.captured_url == art.url and art.items == ["6"]
    assert by_url[f"{CWC}/ysgk/list.htm"].kind == "column"


# --------------------------------------------------------------------------- inputs file

@pytest.mark.parametrize("text, message", [
    ("requests:\n  received: 3\n  outcomes: {予以公开: 1}\n", "不平衡"),
    ("requests:\n  received: -1\n", "第2行 字段 requests.received：应为非负整数"),
    ("complaint: 1\n", "字段 complaint：不认识的字段"),
    ("year: 2017-2018\n", "与要生成的 2018-2019 学年不符"),
    ("texts: {foo: bar}\n", "texts.foo"),
    ("requests: [1\n", "不是有效的 YAML"),
])
def test_inputs_errors_are_one_clear_line(tmp_path, text, message):
    p = tmp_path / "in.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ReportError) as exc:
        load_inputs(p, YEAR)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_documented_example_inputs_file_is_valid():
    example = Path(__file__).resolve().parent.parent / "docs" / "examples" / "report-inputs.yaml"
    inputs = load_inputs(example, YEAR)
    assert inputs.requests is not None and inputs.requests.received >= 0
    assert inputs.complaints is not None


# --------------------------------------------------------------------------- renderings agree

def _docx_text(path: Path) -> tuple[str, Document]:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.append("\t".join(c.text for c in row.cells))
    return "\n".join(parts), doc


def test_all_formats_agree(report, estate, tmp_path):
    out = write_outputs(report, estate.db, tmp_path / "out", ["docx", "xlsx", "html", "md"])
    assert sorted(out) == ["docx", "html", "md", "xlsx"]
    html = out["html"].read_text(encoding="utf-8")
    md = out["md"].read_text(encoding="utf-8")
    docx_text, doc = _docx_text(out["docx"])
    wb = load_workbook(out["xlsx"])

    for section in report.sections:
        assert section.title in html and section.title in md and section.title in docx_text
        for para in section.paragraphs:
            assert para in md and para in docx_text
    headline = "本学年完成了3项条目的信息更新"
    assert headline in html and headline in md and headline in docx_text

    # Item table: same rows, same statuses everywhere.
    ws = wb["逐项说明"]
    xrows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(xrows) == [r.item_id for r in report.items]
    assert xrows["19"][11] == report.item("19").status_label and xrows["7"][9] == "是" and xrows["2"][9] == "否"
    docx_items = next(t for t in doc.tables if t.rows[0].cells[0].text == "序号" and len(t.columns) == 8)
    assert [r.cells[0].text for r in docx_items.rows[1:]] == [r.item_id for r in report.items]
    assert "示例大学2019年本科招生章程" in docx_items.rows[4].cells[5].text
    assert html.count('data-updated="yes"') == 3 and html.count('data-status="overdue"') == 1
    assert "| 19 | 财务、资产及收费信息 |" in md

    # Working hyperlinks: XLSX cell hyperlinks and DOCX external relationships.
    links = {c.hyperlink.target for row in ws.iter_rows(min_row=2) for c in row if c.hyperlink}
    assert f"{ZSB}/zszc.htm" in links
    pub_links = {c.hyperlink.target for row in wb["本学年公开内容"].iter_rows(min_row=2) for c in row if c.hyperlink}
    assert pub_links == {p.url for r in report.items for p in r.published}
    rels = {r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")}
    assert f"{ZSB}/zszc.htm" in rels and f"{XXGK}/2018/1020/c14a400/page.htm" in rels
    assert f'href="{ZSB}/zszc.htm"' in html and f"]({ZSB}/zszc.htm)" in md

    # Per-unit sheet and the inputs with their source.
    units = {r[0]: r for r in wb["各单位汇总"].iter_rows(min_row=2, values_only=True)}
    assert units["财务处"][3] == 1 and units["招生办公室"][7] == 5
    req = dict(wb["依申请公开"].iter_rows(min_row=2, values_only=True))
    assert req["收到申请（件）"] == 12 and req["答复：予以公开"] == 7
    assert "学校办公室依申请公开登记台账" in req["数据来源"]
    channels = {r[0]: r[3] for r in wb["发布渠道"].iter_rows(min_row=2, values_only=True)}
    assert channels == {c.name: c.articles for c in report.channels}


def test_docx_chinese_typesetting(report, estate, tmp_path):
    path = write_outputs(report, estate.db, tmp_path, ["docx"])["docx"]
    doc = Document(str(path))

    def east_asia(style) -> str:
        return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asia(doc.styles["Normal"]) == "仿宋_GB2312"
    assert east_asia(doc.styles["Heading 1"]) == "黑体"
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings[:5] == [s.title for s in report.sections]
    assert "附表三：信息公开事项逐项说明" in headings
    body = next(p for p in doc.paragraphs if "完成了3项条目" in p.text)
    assert all(r._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312" for r in body.runs)
    todo_runs = [r for p in doc.paragraphs for r in p.runs if r.text.startswith("【待填写：")]
    assert todo_runs and all(r.font.highlight_color is not None for r in todo_runs)


# --------------------------------------------------------------------------- evidence pack

def test_zip_pack_manifest_and_warc(report, estate, tmp_path):
    out = write_outputs(report, estate.db, tmp_path / "out", ["zip"])
    zpath = out["zip"]
    assert zpath.name == "report-2018-2019.zip"
    with zipfile.ZipFile(zpath) as zf:
        names = set(zf.namelist())
        assert {"report.docx", "report.xlsx", "report.html", "report.md", "manifest.json", "manifest.csv"} <= names
        warcs = sorted(n for n in names if n.startswith("evidence/") and n.endswith(".warc.gz"))
        assert warcs == ["evidence/cwc.example.edu.cn.warc.gz", "evidence/xxgk.example.edu.cn.warc.gz",
                         "evidence/zsb.example.edu.cn.warc.gz"]
        manifest = json.loads(zf.read("manifest.json"))
        entries = manifest["entries"]
        # Every file in the pack (but the manifest itself) is listed with a SHA-256 that verifies.
        files = {e["path"]: e for e in entries if e["kind"] in ("report", "warc", "file")}
        assert set(files) == names - {"manifest.json", "manifest.csv"}
        for path, e in files.items():
            assert hashlib.sha256(zf.read(path)).hexdigest() == e["sha256"], path
        # The attachment linked from the cited annual-report article is in files/.
        pdf = [p for p in files if p.startswith("files/")]
        assert pdf == ["files/xxgk.example.edu.cn/_upload/article/files/ab/cd/ndbg2018.pdf"]
        assert zf.read(pdf[0]) == PDF and files[pdf[0]]["items"] == ["6"]
        # WARC records read back: URL, capture time (fetched_at in UTC), payload hash = manifest.
        captures = {e["record_id"]: e for e in entries if e["kind"] == "capture"}
        seen = {}
        for name in warcs:
            for rec in ArchiveIterator(io.BytesIO(zf.read(name))):
                if rec.rec_type != "response":
                    continue
                rid = rec.rec_headers.get_header("WARC-Record-ID")
                body = rec.content_stream().read()
                seen[rid] = (rec.rec_headers.get_header("WARC-Target-URI"),
                             rec.rec_headers.get_header("WARC-Date"), hashlib.sha256(body).hexdigest(),
                             rec.http_headers.get_header("Content-Encoding"),
                             int(rec.http_headers.get_header("Content-Length")) == len(body))
        assert set(seen) == set(captures)
        for rid, (uri, when, digest, enc, length_ok) in seen.items():
            assert uri == captures[rid]["url"] and digest == captures[rid]["sha256"]
            assert when == "2019-10-14T18:31:00Z" and enc is None and length_ok
        captured = {e["url"] for e in captures.values()}
        assert {c.captured_url for c in report.citations if c.archived} <= captured
        csv_rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
        assert len(csv_rows) == len(entries) and {r["sha256"] for r in csv_rows} == {e["sha256"] for e in entries}


# --------------------------------------------------------------------------- CLI

def test_cli_year_with_no_scans_fails_clearly(tmp_path, monkeypatch):
    from monitor.cli import main

    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "xxgk.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    # No database at all yet.
    result = runner.invoke(main, ["report", "--year", "2018-2019", "--now", "2019-10-20"])
    assert result.exit_code != 0 and "还没有任何扫描记录" in result.output
    # Only a scan from before the year: nothing can be said about 2018-2019.
    db = open_db(tmp_path / "xxgk.db")
    db.execute("INSERT INTO scans(started_at, status) VALUES ('2017-05-01T02:30:00+08:00', 'done')")
    result = runner.invoke(main, ["report", "--year", "2018-2019", "--now", "2019-10-20"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "2018-2019学年（2018年9月1日至2019年8月31日）以来没有任何完成的扫描记录" in result.output
    assert not (tmp_path / "reports").exists()
    result = runner.invoke(main, ["report", "--year", "2030-2031", "--now", "2019-10-20"])
    assert result.exit_code != 0 and "尚未开始" in result.output
    result = runner.invoke(main, ["report", "--year", "2018-2019", "--config", "nope.yaml"])
    assert result.exit_code != 0 and "找不到配置文件" in result.output
    result = runner.invoke(main, ["report", "--year", "2018-20"])
    assert result.exit_code != 0 and "学年格式" in result.output
    result = runner.invoke(main, ["report", "--format", "pdf"])
    assert result.exit_code != 0 and "不支持的格式 pdf" in result.output


def test_cli_writes_pack_and_remembers_inputs(estate, tmp_path, monkeypatch):
    from monitor.cli import main

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--year", "2018-2019", "--config", str(estate.config), "--now",
                                  "2019-10-20", "--inputs", "inputs.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output
    assert "应公开 4 大类 6 项；本学年完成更新 3 项，无更新 3 项（无需更新 2 项，应更新未更新 1 项）" in result.output
    assert "无更新：学校章程、预算、突发事件应急处理" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report-2018-2019.docx", "report-2018-2019.html", "report-2018-2019.md", "report-2018-2019.xlsx",
        "report-2018-2019.zip"]
    # A second run without --inputs states the figures imported the first time, and their source;
    # without --year it reports on the last completed academic year.
    result = runner.invoke(main, ["report", "--config", str(estate.config), "--now",
                                  "2019-10-21", "--format", "md", "--out", "out2"])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "out2" / "report-2018-2019.md").read_text(encoding="utf-8")
    assert "共收到依申请公开申请12件" in md and "导入于2019-10-20" in md
    runs = estate.db.execute("SELECT COUNT(*) FROM report_runs WHERE year = '2018-2019'").fetchone()[0]
    assert runs == 2
    # A broken inputs file: one Chinese line, non-zero exit, nothing written.
    (tmp_path / "bad.yaml").write_text("requests:\n  received: many\n", encoding="utf-8")
    result = runner.invoke(main, ["report", "--year", "2018-2019", "--config", str(estate.config), "--now",
                                  "2019-10-20", "--inputs", "bad.yaml", "--out", "out3"])
    assert result.exit_code != 0 and "字段 requests.received" in result.output and "第2行" in result.output
    assert not (tmp_path / "out3").exists()


def test_ignored_items_and_a_running_year(estate):
    # The school says item 50 does not apply; the year 2019-2020 is still running on 2019-10-20.
    estate.config.write_text(CONFIG + "items:\n  '50': {ignore: true}\n", encoding="utf-8")
    clock.set_now("2019-10-20")
    try:
        cfg = load_config(estate.config)
        rep = build_report(estate.db, cfg, YEAR)
        assert [r.item_id for r in rep.items] == ["1", "2", "6", "7", "19"]
        assert rep.summary.items == 5 and rep.summary.categories == 3
        running = build_report(estate.db, cfg, AcademicYear.parse("2019-2020"))
    finally:
        clock.set_now(None)
    assert running.as_of == "2019-10-20" and not running.year_complete
    assert "本学年尚未结束，各项数据统计截至2019年10月20日" in "".join(running.sections[0].paragraphs)
    # 2020 admissions rules were listed on 2019-09-20: the only item updated so far.
    assert [r.item_id for r in running.items if r.updated_in_year] == ["7"]
    assert rep.inputs is None and "未提供填报文件" in "".join(rep.sections[2].paragraphs)


def test_a_page_updated_in_and_after_the_year_counts_with_its_in_year_version(estate):
    # The budget page was published in April (in the year) and updated in September (after it):
    # its row now shows only the September date; the April version is what the report must cite.
    s = estate.store
    url = f"{CWC}/2019/0415/c5a80/page.htm"
    spring = s.db.execute("INSERT INTO scans(started_at, finished_at, status, trigger) VALUES (?,?,?,?)",
                          ("2019-05-01T02:30:00+08:00", "2019-05-01T02:40:00+08:00", "done", "cli")).lastrowid
    pid = s.page(url, CWC + "/", "cwc", "article", "2019年部门预算公开", "2019-09-10")
    s.db.execute("UPDATE pages SET first_seen_scan = ? WHERE id = ?", (spring, pid))
    s.db.execute("INSERT INTO versions(page_id, scan_id, fetched_at, fingerprint, title, published, "
                 "published_source, status) VALUES (?,?,?,?,?,?,?,?)",
                 (pid, spring, "2019-05-01T02:31:00+08:00", "v-april", "2019年部门预算公开", "2019-04-15", "label", 200))
    ys = s.db.execute("SELECT id FROM pages WHERE url = ?", (f"{CWC}/ysgk/list.htm",)).fetchone()[0]
    s.entry(ys, url, "2019年部门预算公开", "2019-09-10")
    s.db.conn.commit()
    clock.set_now("2019-10-20")
    try:
        rep = build_report(estate.db, load_config(estate.config), YEAR)
    finally:
        clock.set_now(None)
    row = rep.item("19")
    assert row.updated_in_year and row.status == "ok" and row.last_changed == "2019-04-15"
    assert [(p.url, p.date) for p in row.published] == [(url, "2019-04-15")]
    assert (rep.summary.updated, rep.summary.due_not_updated) == (4, [])


# --------------------------------------------------------------------------- end to end on the testbed

@pytest.mark.xdist_group("estate")
def test_testbed_report_matches_ground_truth(scanned_estate, tmp_path, monkeypatch):
    """The simulated university scanned for real (shared fixture: scans on four days up to
    2020-01-10), `xxgk report` run after the year, and the DOCX, XLSX, HTML and evidence pack
    compared with the ground truth of its 2018-2019 year."""
    from monitor.cli import main
    from monitor.core.vocab import STATUS
    from monitor.report import url_key

    config = scanned_estate.config_path
    truth = scanned_estate.truth(scanned_estate.scan_dates[-1])
    year_end = scanned_estate.testbed.ground_truth(as_of=date(2019, 8, 31))["items"]
    items = truth["items"]
    lo, hi = truth["report_period"]["start"], truth["report_period"]["end"]
    assert (lo, hi) == ("2018-09-01", "2019-08-31")
    updated = {i for i, it in items.items() if any(e["date"] and lo <= e["date"] <= hi for e in it["evidence"])}
    not_updated = set(items) - updated
    assert (len(items), len(updated)) == (61, 53)   # the school the testbed mirrors

    (tmp_path / "inputs.yaml").write_text(INPUTS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", "--year", "2018-2019", "--config", str(config), "--inputs",
                                       "inputs.yaml", "--out", "out", "--now", "2020-01-10T12:00"])
    assert result.exit_code == 0, result.output
    not_required = {i for i in not_updated if year_end[i]["rule"]["kind"] in ("static", "event")}
    assert not_required == {"2", "3.1", "50.1", "50.2"}   # 学校章程、教代会制度、突发事件、重大事件
    n_cats = len({it["category"] for it in items.values()})
    assert (f"应公开 {n_cats} 大类 {len(items)} 项；本学年完成更新 {len(updated)} 项，无更新 {len(not_updated)} 项"
            f"（无需更新 {len(not_required)} 项，应更新未更新 {len(not_updated) - len(not_required)} 项）") in result.output

    out = tmp_path / "out"
    labels = STATUS.label
    unit_names = {u: info["name"] for u, info in truth["units"].items()}

    # XLSX: the item table, publications, column links, channels, units — each equal to the truth.
    wb = load_workbook(out / "report-2018-2019.xlsx")
    rows = {r[0]: r for r in wb["逐项说明"].iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(items)
    assert {i for i, r in rows.items() if r[9] == "是"} == updated
    for i, it in items.items():
        assert rows[i][3] == unit_names[it["unit"]], i
        assert rows[i][11] == labels[year_end[i]["status"]], (i, rows[i][12], year_end[i])
    pubs: dict[str, set[str]] = {}
    for r in wb["本学年公开内容"].iter_rows(min_row=2):
        assert r[5].hyperlink.target == r[5].value
        pubs.setdefault(r[0].value, set()).add(url_key(r[5].value))
    for i, it in items.items():
        expected = {url_key(e["url"]) for e in it["evidence"] if e["date"] and lo <= e["date"] <= hi}
        assert pubs.get(i, set()) == expected, i
    links: dict[str, set[str]] = {}
    for r in wb["栏目链接"].iter_rows(min_row=2):
        links.setdefault(r[0].value, set()).add(url_key(r[3].hyperlink.target))
    for i, it in items.items():
        assert {url_key(u) for u in it["columns"]} <= links.get(i, set()), i
    # Articles per channel: article pages dated in the year, plus articles only known from their
    # list row (the login-walled one); each once.
    site_of = {info["url"]: key for key, info in truth["sites"].items()}
    expected_channels: dict[str, set[str]] = {}
    for p in truth["pages"]:
        if p["kind"] == "article" and p["published"] and lo <= p["published"] <= hi:
            expected_channels.setdefault(p["site"], set()).add(url_key(p["url"]))
    for it in items.values():
        for e in it["evidence"]:
            if e["kind"] == "entry" and lo <= e["date"] <= hi:
                site = next(k for u, k in site_of.items() if e["url"].startswith(u))
                expected_channels.setdefault(site, set()).add(url_key(e["url"]))
    got = {site_of[r[2]]: r[3] for r in wb["发布渠道"].iter_rows(min_row=2, values_only=True)}
    assert got == {k: len(v) for k, v in expected_channels.items()}
    units = {r[0]: r for r in wb["各单位汇总"].iter_rows(min_row=2, values_only=True)}
    for uid, name in unit_names.items():
        mine = [i for i, it in items.items() if it["unit"] == uid]
        if mine:
            assert (units[name][1], units[name][2]) == (len(mine), len(set(mine) & updated)), name
    assert wb["依申请公开"]["B2"].value == 12

    # DOCX: the sentences of the real report, the item table with working column links.
    docx_text, doc = _docx_text(out / "report-2018-2019.docx")
    assert f"学校应当公开共{n_cats}大类办学信息，涉及具体条目{len(items)}项。本学年完成了{len(updated)}项条目的信息更新" in docx_text
    assert f"等{len(not_updated)}项信息无更新" in docx_text and "学校章程" in docx_text
    table = next(t for t in doc.tables if len(t.columns) == 8 and t.rows[0].cells[0].text == "序号")
    assert {r.cells[0].text for r in table.rows[1:]} == set(items)
    rels = {url_key(r.target_ref) for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")}
    assert {url_key(u) for it in items.values() for u in it["columns"]} <= rels
    html = (out / "report-2018-2019.html").read_text(encoding="utf-8")
    assert html.count('data-updated="yes"') == len(updated)

    # Evidence pack: hashes verify, every capture reads back from its WARC, every citation archived.
    with zipfile.ZipFile(out / "report-2018-2019.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for e in manifest["entries"]:
            if e["kind"] != "capture":
                assert hashlib.sha256(zf.read(e["path"])).hexdigest() == e["sha256"], e["path"]
        captures = {e["record_id"]: e for e in manifest["entries"] if e["kind"] == "capture"}
        read_back = {}
        for name in {e["path"] for e in captures.values()}:
            for rec in ArchiveIterator(io.BytesIO(zf.read(name))):
                if rec.rec_type == "response":
                    read_back[rec.rec_headers.get_header("WARC-Record-ID")] = (
                        rec.rec_headers.get_header("WARC-Target-URI"),
                        hashlib.sha256(rec.content_stream().read()).hexdigest())
        assert read_back == {rid: (e["url"], e["sha256"]) for rid, e in captures.items()}
        cited = {c for e in captures.values() for c in e["citations"]}
        evidence_sheet = list(wb["证据存档"].iter_rows(min_row=2, values_only=True))
        assert {r[0] for r in evidence_sheet} == cited and all(r[5] != "未存档" for r in evidence_sheet)
        assert any(n.startswith("files/") and n.endswith(".pdf") for n in zf.namelist())
