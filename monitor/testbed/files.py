"""Attachments with real, extractable content: PDF (reportlab, CID font STSong-Light so the
Chinese text survives pypdf extraction), DOCX (python-docx) and XLSX (openpyxl).

Files are built on first request and cached; the creation date inside each file is the day
the attachment was added, so it is byte-identical on every run.
"""
from __future__ import annotations

import io
import re
import threading
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape as xml_escape

from monitor.testbed.model import Attachment

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_cache: dict[str, bytes] = {}
_lock = threading.Lock()
_FIXED_ZIP_TIME = (2016, 9, 1, 0, 0, 0)


def render_file(att: Attachment) -> bytes:
    key = f"{att.key}|{att.fmt}"
    with _lock:
        if key in _cache:
            return _cache[key]
    data = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx}[att.fmt](att)
    with _lock:
        _cache[key] = data
    return data


def _when(att: Attachment) -> datetime:
    return datetime(att.added.year, att.added.month, att.added.day, 9, 30, 0)


PAGE_BREAK = "\f"     # a line that starts a new PDF page (a name list on page 2)
_PDF_CHUNK = 40       # characters per drawn PDF line


def _pdf_pages(att: Attachment) -> list[list[str]]:
    """The text lines of each PDF page as `_pdf` draws them (title first, long lines wrapped)."""
    from reportlab.lib.pagesizes import A4

    height = A4[1]
    pages: list[list[str]] = [[att.lines[0] if att.lines else att.name]]
    y = height - 72 - 32
    for line in att.lines[1:]:
        if line == PAGE_BREAK:
            pages.append([])
            y = height - 72
            continue
        for i in range(0, max(len(line), 1), _PDF_CHUNK):
            if y < 72:
                pages.append([])
                y = height - 72
            pages[-1].append(line[i:i + _PDF_CHUNK])
            y -= 18
    return pages


def _pdf(att: Attachment) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    try:
        pdfmetrics.getFont("STSong-Light")
    except KeyError:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    # invariant=1 drops the random document id and the wall-clock dates.
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(att.name.rsplit(".", 1)[0])
    c.setAuthor("示例大学")
    c.setCreator("示例大学信息公开")
    stamp = _when(att).strftime("D:%Y%m%d%H%M%S+08'00'")
    c.setDateFormatter(lambda *_: stamp)   # the day the file was published, not the wall clock
    width, height = A4
    for n, lines in enumerate(_pdf_pages(att)):
        y = height - 72
        if n:
            c.showPage()
        start = 0
        if n == 0:
            c.setFont("STSong-Light", 16)
            c.drawString(72, y, lines[0])
            y -= 32
            start = 1
        c.setFont("STSong-Light", 11)
        for line in lines[start:]:
            c.drawString(72, y, line)
            y -= 18
    c.showPage()
    c.save()
    return buf.getvalue()


def locate(att: Attachment, value: str) -> str:
    """Where `value` sits in the file as rendered here, named as a reader would look for it:
    `pdf page 2`, `docx table 1 row 4` / `docx paragraph 3`, `xlsx 录取名单!D3` (real row and column)."""
    if att.fmt == "pdf":
        for n, lines in enumerate(_pdf_pages(att), 1):
            if any(value in line for line in lines):
                return f"pdf page {n}"
    elif att.fmt == "xlsx":
        from openpyxl.utils import get_column_letter

        for r, line in enumerate(att.lines, 1):
            cells = line.split("|") if r > 1 else [line]
            for c, cell in enumerate(cells, 1):
                if value in cell:
                    return f"xlsx {att.sheet}!{get_column_letter(c)}{r}"
    elif att.fmt == "docx":
        table = row = para = 0
        in_table = False
        for line in att.lines[1:]:
            if "|" in line:
                if not in_table:
                    table, row, in_table = table + 1, 0, True
                row += 1
                if value in line:
                    return f"docx table {table} row {row}"
                continue
            in_table = False
            para += 1
            if value in line:
                return f"docx paragraph {para + 1}"   # paragraph 1 is the heading
    raise ValueError(f"{value!r} is not in {att.name}")


_CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _normalise_zip(data: bytes, modified: datetime | None = None) -> bytes:
    """Rewrite a zip with fixed member timestamps so the bytes do not depend on the wall clock
    (and, given `modified`, the core properties' modification time, which openpyxl sets to now)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            member = src.read(info.filename)
            if modified is not None and info.filename == "docProps/core.xml":
                stamp = modified.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                member = _CORE_MODIFIED.sub(lambda m: m.group(1) + stamp + m.group(2), member)
            dst.writestr(zi, member)
    return out.getvalue()


_docx_parts: dict[str, bytes] | None = None


def _docx_template() -> dict[str, bytes]:
    """The parts of an empty python-docx document, made once: every attachment reuses its
    styles/theme/settings and only gets its own body and core properties (50x faster)."""
    global _docx_parts
    with _lock:
        if _docx_parts is None:
            import docx

            buf = io.BytesIO()
            docx.Document().save(buf)
            with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
                _docx_parts = {name: z.read(name) for name in z.namelist()}
        return _docx_parts


def _para(text: str, style: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{ppr}<w:r><w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r></w:p>'


def _table(rows: list[str]) -> str:
    cells = lambda row: "".join(  # noqa: E731
        f'<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr>{_para(c)}</w:tc>' for c in row.split("|"))
    grid = "".join('<w:gridCol w:w="1800"/>' for _ in rows[0].split("|"))
    body = "".join(f"<w:tr>{cells(r)}</w:tr>" for r in rows)
    return (f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>")


def _docx(att: Attachment) -> bytes:
    parts = dict(_docx_template())
    doc_xml = parts["word/document.xml"].decode("utf-8")
    head, _, rest = doc_xml.partition("<w:body>")
    _, _, tail = rest.partition("<w:sectPr")
    paras = [_para(att.lines[0] if att.lines else att.name, "Heading1")]
    rows: list[str] = []
    for line in att.lines[1:] + [""]:
        if "|" in line:          # consecutive "a|b|c" lines are a Word table, as name lists are
            rows.append(line)
            continue
        if rows:
            paras.append(_table(rows))
            rows = []
        if line:
            paras.append(_para(line))
    parts["word/document.xml"] = (head + "<w:body>" + "".join(paras) + "<w:sectPr" + tail).encode("utf-8")
    stamp = _when(att).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts["docProps/core.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<dc:title>{xml_escape(att.name.rsplit(".", 1)[0])}</dc:title><dc:creator>示例大学</dc:creator>'
        '<cp:lastModifiedBy>示例大学</cp:lastModifiedBy><cp:revision>1</cp:revision>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>").encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in parts.items():
            zi = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    return out.getvalue()


def _xlsx(att: Attachment) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.properties.creator = "示例大学"
    wb.properties.title = att.name.rsplit(".", 1)[0]
    wb.properties.created = _when(att)
    wb.properties.modified = _when(att)
    ws = wb.active
    ws.title = att.sheet
    ws.append([att.lines[0] if att.lines else att.name])
    for line in att.lines[1:]:
        ws.append([cell for cell in line.split("|")])
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue(), modified=_when(att))
