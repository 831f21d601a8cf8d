"""Attachment files: PDF (reportlab-made), DOCX, XLSX, PPTX, legacy OLE, damaged files."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from crawler.extract import extract_attachment
from crawler.extract.attachments import detect_format, extract_text, strings_text

TODAY = date(2026, 11, 21)
FONT = Path("/usr/share/fonts")


def make_pdf(text_lines: list[str], *, title: str = "2019年部门预算", created: str = "D:20190415093000+08'00'") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(title)
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(text_lines):
        c.drawString(72, 760 - 20 * i, line)
    c.showPage()
    c.setFont("Helvetica", 12)
    c.drawString(72, 760, "Page two: budget table")
    c.showPage()
    c.save()
    data = buf.getvalue()
    # reportlab's invariant mode writes a fixed date; put the one we want in
    return data.replace(b"D:20000101000000+00'00'", created.encode("ascii"))


def make_docx(paragraphs: list[str], *, title: str = "招生章程", created: datetime = datetime(2019, 5, 20, 9, 0)) -> bytes:
    import docx

    doc = docx.Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "专业"
    table.cell(0, 1).text = "计划数"
    table.cell(1, 0).text = "计算机科学与技术"
    table.cell(1, 1).text = "120"
    doc.core_properties.title = title
    doc.core_properties.created = created
    doc.core_properties.modified = datetime(2019, 5, 21, 10, 0)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def make_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "拟录取名单"
    ws.append(["序号", "姓名", "专业"])
    ws.append([1, "张三", "计算机技术"])
    ws.append([2, "李四", "软件工程"])
    wb.properties.title = "2020年拟录取名单"
    wb.properties.created = datetime(2020, 5, 28, 8, 0)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_pdf_text_title_pages_and_date() -> None:
    body = make_pdf(["示例大学2019年部门预算", "收入预算总额 12345.67 万元"])
    doc = extract_text(body, "ys2019.pdf")
    assert doc.format == "pdf" and doc.pages == 2 and doc.error is None
    assert "部门预算" in doc.text and "Page two" in doc.text
    assert doc.title == "2019年部门预算"
    assert doc.created == date(2019, 4, 15)
    rec = extract_attachment(body, "http://cwc.example.edu.cn/_upload/article/files/ab/cd/ys2019.pdf",
                             "application/pdf", {}, today=TODAY)
    assert rec.kind == "attachment" and rec.title == "2019年部门预算.pdf"   # the file as people see it
    assert (rec.published, rec.published_source) == ("2019-04-15", "meta")
    assert rec.metadata["pages"] == 2


def test_pdf_fingerprint_follows_the_text_not_the_bytes() -> None:
    a = make_pdf(["第一版内容"], created="D:20190415093000+08'00'")
    b = make_pdf(["第一版内容"], created="D:20190416093000+08'00'")
    c = make_pdf(["第二版内容"])
    url = "http://x.cn/a.pdf"
    fa, fb, fc = (extract_attachment(x, url, "application/pdf", today=TODAY).fingerprint for x in (a, b, c))
    assert fa == fb and fa != fc


def test_docx_and_xlsx() -> None:
    rec = extract_attachment(make_docx(["第一章 总则", "第一条 为规范招生工作，制定本章程。"]),
                             "http://zsb.example.edu.cn/upload/zszc.docx", None, today=TODAY)
    assert "第一条 为规范招生工作" in rec.text and "计算机科学与技术\t120" in rec.text
    assert (rec.title, rec.published, rec.updated) == ("招生章程.docx", "2019-05-20", "2019-05-21")
    rec = extract_attachment(make_xlsx(), "http://yz.example.edu.cn/files/nlq.xlsx", None, today=TODAY)
    assert "张三" in rec.text and "拟录取名单" in rec.text
    assert (rec.title, rec.published) == ("2020年拟录取名单.xlsx", "2020-05-28")


def test_pptx_slide_text() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("ppt/presentation.xml", "<p:presentation/>")
        z.writestr("ppt/slides/slide1.xml", "<p:sld><a:t>信息公开工作培训</a:t><a:t>2020年</a:t></p:sld>")
        z.writestr("ppt/slides/slide2.xml", "<p:sld><a:t>第二页</a:t></p:sld>")
    doc = extract_text(buf.getvalue(), "px.pptx")
    assert doc.format == "pptx" and doc.pages == 2 and "信息公开工作培训" in doc.text


def test_legacy_doc_strings() -> None:
    # an OLE2 header followed by Word's UTF-16LE text stream
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "关于做好2019年信息公开工作的通知\r各学院：请按时报送。".encode(
        "utf-16-le") + b"\x00\x00\xff\xfe" * 20
    doc = extract_text(body, "tz.doc")
    assert doc.format == "ole" and "关于做好2019年信息公开工作的通知" in doc.text
    assert "Root Entry" not in strings_text(b"R\x00o\x00o\x00t\x00")  # too short to count


@pytest.mark.parametrize("body, name", [
    (b"%PDF-1.4\n garbage without objects", "broken.pdf"),
    (b"PK\x03\x04 not really a zip", "broken.docx"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "empty.xls"),
    (b"", "empty.pdf"),
    (b"Rar!\x1a\x07\x00", "a.rar"),
])
def test_damaged_files_never_raise(body: bytes, name: str) -> None:
    doc = extract_text(body, name)
    assert isinstance(doc.text, str)
    rec = extract_attachment(body, f"http://x.cn/{name}", None, {"Last-Modified": "Tue, 15 Oct 2019 08:00:00 GMT"},
                             today=TODAY)
    assert rec.kind == "attachment" and rec.fingerprint
    assert (rec.published, rec.published_source) == ("2019-10-15", "http")


def test_filename_from_content_disposition_and_url_date() -> None:
    headers = {"Content-Disposition": "attachment; filename*=UTF-8''%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf"}
    rec = extract_attachment(b"%PDF-1.4 broken", "http://x.gov.cn/zcwj/P020191031345678901234.pdf", None, headers,
                             today=TODAY)
    assert rec.title == "年度报告.pdf"
    assert (rec.published, rec.published_source) == ("2019-10-31", "url")


def test_detect_format() -> None:
    assert detect_format(b"%PDF-1.7") == "pdf"
    assert detect_format(make_docx(["x"])) == "docx"
    assert detect_format(make_xlsx()) == "xlsx"
    assert detect_format(b"a,b\n1,2", "x.csv") == "text"
