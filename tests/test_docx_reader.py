"""The streaming .docx reader (``crawler.extract.documents._docx``) against the python-docx reading it replaced.

The reference below is the former product code, kept here only: ``docx.Document`` + ``paragraphs`` /
``tables`` / ``row.cells`` / ``cell.text``, after the same cell-counting precheck. Documents are generated
with python-docx (plus XML it cannot write: hyperlinks, breaks, revisions, content controls, gridBefore,
broken spans), and every field the callers use must come out the same, with and without segments.
"""
from __future__ import annotations

import io
import random
import re
import zipfile
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from unittest import mock
from xml.sax.saxutils import escape as xml_escape

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from crawler.extract import documents as D

# ---- the reference: the python-docx reader as it was ------------------------------------------------


def _old_precheck(z: zipfile.ZipFile, budget: D._Budget) -> None:
    tr, tc = D._W + "tr", D._W + "tc"
    in_row = 0
    with z.open("word/document.xml") as src:
        for event, el in D._iterparse(src, events=("start", "end")):
            if event == "end":
                D._drop(el)
            elif el.tag == tr:
                in_row = 0
            elif el.tag == tc:
                in_row += 1
                try:
                    budget.cell(in_row)
                except D._SoftStop:
                    return


def _old_docx(body: bytes, out: D.DocText, budget: D._Budget, want_segments: bool) -> None:
    with D._open_zip(body) as z:
        D.check_archive(z, len(body))
        _old_precheck(z, budget)
    document = docx.Document(io.BytesIO(body))
    props = document.core_properties
    out.title = D._clean_doc_title(props.title)
    out.created = D._as_date(props.created)
    out.modified = D._as_date(props.modified)
    if want_segments:
        out.segments = _old_segments(document, out, budget)
        out.text = "\n".join(s.get("text") or "\n".join(s.get("lines", [])) for s in out.segments)
        return
    parts: list[str] = []
    size = 0
    for p in document.paragraphs:
        parts.append(p.text)
        size += len(p.text)
        if size > D.MAX_CHARS or budget.late():
            out.truncated = True
            break
    if not out.truncated:
        for table in document.tables:
            for row in table.rows:
                try:
                    cells = [c.text.strip() for c in row.cells]
                except MemoryError:
                    raise
                except Exception:  # noqa: BLE001
                    continue
                line = "\t".join(c for c in cells if c)
                parts.append(line)
                size += len(line)
                if size > D.MAX_CHARS or budget.late():
                    out.truncated = True
                    break
            if out.truncated:
                break
    out.text = "\n".join(parts)


def _old_segments(document: Any, out: D.DocText, budget: D._Budget) -> list[dict]:
    segs: list[dict] = []
    size = 0
    for i, para in enumerate(document.paragraphs, 1):
        text = para.text
        if text.strip():
            segs.append({"text": text, "where": f"docx paragraph {i}"})
            size += len(text)
        if size > D.MAX_CHARS or budget.late():
            out.truncated = True
            return segs
    for t, table in enumerate(document.tables, 1):
        lines: list[str] = []
        for row in table.rows:
            cells, last = [], None
            try:
                for cell in row.cells:
                    cells.append("" if cell._tc is last else cell.text.replace("\n", " ").replace("\t", " "))
                    last = cell._tc
            except MemoryError:
                raise
            except Exception:  # noqa: BLE001
                cells = []
            line = "\t".join(cells)
            lines.append(line)
            size += len(line)
            if size > D.MAX_CHARS or budget.late():
                out.truncated = True
                break
        segs.append({"kind": "docx_table", "table": t, "lines": lines})
        if out.truncated:
            break
    return segs


def read_old(body: bytes, segments: bool) -> D.DocText:
    with mock.patch.dict(D._READERS, {"docx": _old_docx}):
        return D.read_document(body, "a.docx", segments=segments)


def read_new(body: bytes, segments: bool) -> D.DocText:
    assert D._READERS["docx"] is D._docx
    return D.read_document(body, "a.docx", segments=segments)


def fields(doc: D.DocText) -> dict:
    return {"text": doc.text, "segments": doc.segments, "title": doc.title, "created": doc.created,
            "modified": doc.modified, "truncated": doc.truncated, "failed": doc.error is not None,
            "limit": doc.limit, "format": doc.format}


def assert_same(body: bytes, label: str = "") -> None:
    for segments in (False, True):
        old, new = read_old(body, segments), read_new(body, segments)
        assert fields(new) == fields(old), (label, segments, old.error, new.error)


# ---- building documents -----------------------------------------------------------------------------
W = nsdecls("w")
WORDS = ["招生章程", "第一条", "计算机科学与技术", "张三", "13800138000", "  ", "", " x ", "Ａ", "—", "2024年",
         "a\tb", "line\nbreak", "\u3000全角空格", "∞", "🙂", "&<>\"'", "x" * 40]


def save(d: Any) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def text(rnd: random.Random) -> str:
    return "".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 4)))


def xml_para(rnd: random.Random) -> Any:
    """A paragraph python-docx cannot write through its API."""
    t = lambda s: f'<w:t xml:space="preserve">{s}</w:t>'  # noqa: E731
    pieces = [
        f"<w:r>{t('前')}<w:tab/>{t('后')}</w:r>",
        f'<w:r>{t("a")}<w:br/>{t("b")}<w:br w:type="page"/>{t("c")}<w:br w:type="column"/><w:br w:type="textWrapping"/></w:r>',
        f"<w:r><w:cr/>{t('d')}<w:noBreakHyphen/><w:ptab w:relativeTo=\"margin\" w:alignment=\"right\" w:leader=\"none\"/></w:r>",
        f'<w:hyperlink w:anchor="x"><w:r>{t("链接")}</w:r><w:r>{t("文字")}</w:r></w:hyperlink>',
        f'<w:hyperlink w:anchor="y"><w:smartTag w:uri="u" w:element="e"><w:r>{t("hidden")}</w:r></w:smartTag></w:hyperlink>',
        f'<w:ins w:id="1" w:author="a"><w:r>{t("inserted")}</w:r></w:ins>',
        '<w:del w:id="2" w:author="a"><w:r><w:delText>deleted</w:delText></w:r></w:del>',
        f'<w:fldSimple w:instr="PAGE"><w:r>{t("1")}</w:r></w:fldSimple>',
        f'<w:sdt><w:sdtContent><w:r>{t("控件")}</w:r></w:sdtContent></w:sdt>',
        f"<w:r><w:t/><w:t> </w:t>{t('  ')}<w:softHyphen/><w:sym w:font=\"Wingdings\" w:char=\"F0FC\"/></w:r>",
        f"<w:r><w:rPr><w:b/></w:rPr>{t(xml_escape(rnd.choice(WORDS)))}<w:instrText>PAGE</w:instrText></w:r>",
        '<w:bookmarkStart w:id="0" w:name="b"/><w:bookmarkEnd w:id="0"/>',
        f'<w:r><w:drawing/>{t("图")}</w:r><w:proofErr w:type="spellStart"/>',
        "<w:r><w:t>\n</w:t><w:t>  <!-- c --></w:t></w:r>",
    ]
    body = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 5)))
    return parse_xml(f"<w:p {W}><w:pPr><w:jc w:val=\"left\"/></w:pPr>{body}</w:p>")


def add_paragraph(d: Any, rnd: random.Random) -> None:
    p = d.add_paragraph(text(rnd) if rnd.random() < 0.5 else "")
    for _ in range(rnd.randint(0, 3)):
        run = p.add_run(text(rnd))
        if rnd.random() < 0.3:
            run.bold = True
            run.font.size = Pt(12)
        if rnd.random() < 0.2:
            run.add_break()
        if rnd.random() < 0.1:
            run.add_tab()


def fill_table(t: Any, rnd: random.Random, depth: int = 0) -> None:
    rows, cols = len(t.rows), len(t.columns)
    for r in range(rows):
        for c in range(cols):
            if rnd.random() < 0.75:
                cell = t.cell(r, c)
                cell.text = text(rnd)
                if rnd.random() < 0.2:
                    cell.add_paragraph(text(rnd))
    for _ in range(rnd.randint(0, 3)):  # merges: horizontal, vertical, blocks
        r0, c0 = rnd.randrange(rows), rnd.randrange(cols)
        r1, c1 = min(rows - 1, r0 + rnd.randint(0, 2)), min(cols - 1, c0 + rnd.randint(0, 2))
        try:
            t.cell(r0, c0).merge(t.cell(r1, c1))
        except Exception:  # noqa: BLE001 - python-docx refuses non-rectangular spans
            pass
    if depth == 0 and rnd.random() < 0.3:  # a nested table: not in its cell's text
        cell = t.cell(rnd.randrange(rows), rnd.randrange(cols))
        inner = cell.add_table(rows=rnd.randint(1, 3), cols=rnd.randint(1, 3))
        fill_table(inner, rnd, depth + 1)
        if rnd.random() < 0.5:
            cell.add_paragraph(text(rnd))


def tweak_rows(t: Any, rnd: random.Random) -> None:
    """XML python-docx reads but does not write: gridBefore, odd spans, continues in the first row,
    vMerge without a cell above, paragraphs inside w:sdt in a cell, rows wider than the grid."""
    for tr in t._tbl.tr_lst:
        roll = rnd.random()
        tcs = tr.tc_lst
        if roll < 0.08:
            tr.insert(0, parse_xml(f'<w:trPr {W}><w:gridBefore w:val="{rnd.randint(0, 2)}"/></w:trPr>'))
        elif roll < 0.12 and tcs:
            tc = rnd.choice(tcs)
            tc.get_or_add_tcPr().append(parse_xml(f'<w:gridSpan {W} w:val="{rnd.choice(["x", "0", "-1", " 2", "3"])}"/>'))
        elif roll < 0.14 and tcs:
            rnd.choice(tcs).get_or_add_tcPr().append(parse_xml(f"<w:gridSpan {W}/>"))
        elif roll < 0.2 and tcs:
            rnd.choice(tcs).get_or_add_tcPr().append(parse_xml(f'<w:vMerge {W} w:val="{rnd.choice(["continue", "restart", "bogus"])}"/>'))
        elif roll < 0.24 and tcs:
            rnd.choice(tcs).get_or_add_tcPr().append(parse_xml(f"<w:vMerge {W}/>"))
        elif roll < 0.27 and tcs:
            rnd.choice(tcs).append(parse_xml(f'<w:sdt {W}><w:sdtContent><w:p><w:r><w:t>sdt</w:t></w:r></w:p></w:sdtContent></w:sdt>'))
        elif roll < 0.3:
            tr.append(parse_xml(f"<w:tc {W}><w:p><w:r><w:t>extra</w:t></w:r></w:p></w:tc>"))
        elif roll < 0.32 and tcs:
            tr.remove(rnd.choice(tcs))


def add_table(d: Any, rnd: random.Random) -> None:
    t = d.add_table(rows=rnd.randint(1, 6), cols=rnd.randint(1, 5))
    fill_table(t, rnd)
    if rnd.random() < 0.4:
        tweak_rows(t, rnd)


def set_core(d: Any, rnd: random.Random) -> None:
    props = d.core_properties
    roll = rnd.random()
    if roll < 0.3:
        props.title = rnd.choice(["招生章程", "Microsoft Word - 名单.docx", "文档", "x", "  2024年公示  ", ""])
        props.created = datetime(2019, 5, 20, 9, 0) + timedelta(hours=rnd.randint(-9999, 9999))
        props.modified = datetime(2024, 1, 1, 0, 30, tzinfo=timezone.utc)
    elif roll < 0.6:  # values as other writers spell them
        el = props._element
        for name, value in (("created", rnd.choice(["2020-01-01T01:00:00+08:00", "2020-01-01T23:30:00-05:00",
                                                     "2019", "2019-07", "2019-07-08", "2020-02-30T00:00:00Z",
                                                     "garbage", "2020-01-01T00:00:00.123Z", "2020-01-01T01:00:00+0800",
                                                     "2020-01-01T01:00:00x08:00"])),
                            ("modified", rnd.choice(["2021-06-01T08:00:00Z", "  2021-06-01", "2021-06-01T08:00:00"]))):
            child = el.find(qn(f"dcterms:{name}"))
            child.text = value
        title = el.find(qn("dc:title"))
        title.text = rnd.choice([None, "公示名单", "\u3000"])
    elif roll < 0.8:  # elements absent
        el = props._element
        for name in ("dcterms:created", "dcterms:modified", "dc:title"):
            child = el.find(qn(name))
            if child is not None and rnd.random() < 0.7:
                el.remove(child)


def random_docx(seed: int) -> bytes:
    rnd = random.Random(seed)
    d = docx.Document()
    for _ in range(rnd.randint(0, 10)):
        roll = rnd.random()
        if roll < 0.45:
            add_paragraph(d, rnd)
        elif roll < 0.75:
            add_table(d, rnd)
        elif roll < 0.9:
            d.element.body.insert(len(d.element.body) - 1, xml_para(rnd))
        else:  # body-level wrappers: their paragraphs and tables are not the document's
            d.element.body.insert(len(d.element.body) - 1, parse_xml(
                f'<w:sdt {W}><w:sdtContent><w:p><w:r><w:t>封面</w:t></w:r></w:p>'
                f'<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc><w:p><w:r><w:t>内</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
                f"</w:sdtContent></w:sdt>"))
    set_core(d, rnd)
    return save(d)


def rezip(body: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The same package with members changed (None drops a member)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = change(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return out.getvalue()


# ---- the comparisons --------------------------------------------------------------------------------
@pytest.mark.parametrize("chunk", range(6))
def test_random_documents_read_as_python_docx_read_them(chunk: int) -> None:
    for seed in range(chunk * 40, chunk * 40 + 40):
        assert_same(random_docx(seed), f"seed {seed}")


def test_merged_cells_both_directions_nested_tables_and_empty_cells() -> None:
    d = docx.Document()
    d.add_paragraph("名单")
    t = d.add_table(rows=5, cols=4)
    for r in range(5):
        for c in range(4):
            t.cell(r, c).text = f"{r}{c}" if (r + c) % 3 else ""
    t.cell(0, 0).merge(t.cell(0, 2))            # horizontal
    t.cell(1, 0).merge(t.cell(3, 0))            # vertical
    t.cell(1, 2).merge(t.cell(3, 3))            # a block
    t.cell(4, 1).add_table(rows=2, cols=2).cell(0, 0).text = "内表"
    t.cell(4, 1).add_paragraph("之后")
    d.add_paragraph("")
    d.add_table(rows=0, cols=2)                 # a table without rows
    body = save(d)
    assert_same(body)
    seg = read_new(body, True).segments
    lines = seg[1]["lines"] if seg else []
    assert lines[0].split("\t")[:3] == [" 01 02", "", ""]  # merged text; the span's copies empty, columns kept
    assert lines[2].split("\t")[0] == lines[1].split("\t")[0] == "10 20 "  # a continued cell shows the one above


def test_long_documents_are_truncated_the_same_way() -> None:
    for n_paras, n_rows in ((2, 0), (40, 0), (0, 40), (20, 30), (1, 1)):
        d = docx.Document()
        for i in range(n_paras):
            d.add_paragraph(f"第{i}段" + "长" * 9000 + ("\t" if i % 2 else " "))
        d.add_paragraph("   ")
        if n_rows:
            t = d.add_table(rows=n_rows, cols=3)
            for r in range(n_rows):
                t.cell(r, 0).text = "甲" * 9000
                t.cell(r, 2).text = f"{r}"
            d.add_table(rows=2, cols=2).cell(1, 1).text = "后表"
        d.add_paragraph("结尾")
        body = save(d)
        assert_same(body, f"{n_paras} paragraphs, {n_rows} rows")
        if n_paras * 9000 + n_rows * 9000 > D.MAX_CHARS:
            assert read_new(body, False).truncated and read_new(body, True).truncated


def test_whitespace_only_paragraphs_count_only_without_segments() -> None:
    d = docx.Document()
    for _ in range(40):
        d.add_paragraph(" " * 9000)
    d.add_paragraph("正文")
    d.add_table(rows=1, cols=1).cell(0, 0).text = "表"
    assert_same(save(d))


def test_core_properties() -> None:
    d = docx.Document()
    d.add_paragraph("x")
    d.core_properties.title = "2024年招生章程"
    d.core_properties.created = datetime(2024, 3, 1, 23, 30)
    d.core_properties.modified = datetime(2024, 3, 2, 1, 0)
    body = save(d)
    assert_same(body)
    new = read_new(body, False)
    assert (new.title, str(new.created), str(new.modified)) == ("2024年招生章程", "2024-03-01", "2024-03-02")

    shifted = rezip(body, lambda n, b: b.replace(b"2024-03-01T23:30:00Z", b"2024-03-02T01:30:00+08:00")
                    if n == "docProps/core.xml" else b)
    assert_same(shifted)
    assert str(read_new(shifted, False).created) == "2024-03-01"  # UTC, as python-docx gives it


def test_a_missing_core_part_gives_no_title_or_dates() -> None:
    # python-docx invents properties then ("Word Document", modified now); the new reader gives none
    d = docx.Document()
    d.add_paragraph("正文")
    body = rezip(save(d), lambda n, b: None if n == "docProps/core.xml" else
                 re.sub(rb"<Relationship [^>]*core-properties[^>]*/>", b"", b) if n == "_rels/.rels" else b)
    assert b"core-properties\"" not in zipfile.ZipFile(io.BytesIO(body)).read("_rels/.rels")
    for segments in (False, True):
        new, old = read_new(body, segments), read_old(body, segments)
        assert new.error is None and (new.title, new.created, new.modified) == (None, None, None)
        assert (new.text, new.segments) == (old.text, old.segments)


def test_files_python_docx_refused_still_fail() -> None:
    d = docx.Document()
    d.add_paragraph("正文")
    d.add_table(rows=1, cols=1).cell(0, 0).text = "表"
    good = save(d)
    W_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    cases: dict[str, Callable[[str, bytes], bytes | None]] = {
        "broken document.xml": lambda n, b: b[:-40] if n == "word/document.xml" else b,
        "no body": lambda n, b: (b.split(b"<w:body>")[0] + b"</w:document>") if n == "word/document.xml" else b,
        "another root": lambda n, b: b.replace(b"<w:document", b"<w:documentX").replace(b"</w:document>", b"</w:documentX>")
        if n == "word/document.xml" else b,
        "no content types": lambda n, b: None if n == "[Content_Types].xml" else b,
        "broken content types": lambda n, b: b[:30] if n == "[Content_Types].xml" else b,
        "macro content type": lambda n, b: b.replace(W_MAIN, b"application/vnd.ms-word.document.macroEnabled.main+xml")
        if n == "[Content_Types].xml" else b,
        "no package rels": lambda n, b: None if n == "_rels/.rels" else b,
        "broken package rels": lambda n, b: b[:50] if n == "_rels/.rels" else b,
        "dangling relationship": lambda n, b: None if n == "word/styles.xml" else b,
        "broken core": lambda n, b: b[:60] if n == "docProps/core.xml" else b,
        "empty created": lambda n, b: b.replace(b"2013-12-23T23:15:00Z</dcterms:created>", b"</dcterms:created>")
        if n == "docProps/core.xml" else b,
    }
    for label, change in cases.items():
        body = rezip(good, change)
        for segments in (False, True):
            old, new = read_old(body, segments), read_new(body, segments)
            assert old.error, label  # the premise: python-docx refused it
            assert new.error and not new.text and new.segments is None, (label, new)
            assert fields(new) == fields(old), (label, old.error, new.error)


def test_testbed_documents() -> None:
    from datetime import date

    from monitor.testbed.files import _docx
    from monitor.testbed.model import Attachment

    lines = ["2024年拟录取名单", "说明：以下为拟录取考生。", "姓名|专业|考生号", "张三|计算机|1001", "李四|数学|1002", "", "附则"]
    att = Attachment(key="k", name="名单.docx", fmt="docx", lines=lines, added=date(2024, 6, 1))
    assert_same(_docx(att))


def test_a_huge_grid_span_is_stopped_not_expanded() -> None:
    d = docx.Document()
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text = "a"
    t.rows[0].cells[0]._tc.get_or_add_tcPr().append(parse_xml(f'<w:gridSpan {W} w:val="1000000000"/>'))
    doc = read_new(save(d), True)
    assert doc.limit and "单元格" in doc.limit


def test_a_long_vertical_merge_reads_every_row() -> None:
    d = docx.Document()
    t = d.add_table(rows=400, cols=2)
    for r in range(400):
        t.cell(r, 1).text = f"{r}"
    t.cell(0, 0).text = "学院"
    t.cell(0, 0).merge(t.cell(399, 0))
    doc = read_new(save(d), True)
    assert doc.segments and doc.segments[0]["lines"][399] == "学院\t399"
