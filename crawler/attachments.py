"""Text and metadata from attachment files (PDF, DOCX, XLSX, PPTX; legacy DOC/XLS/WPS best-effort).

Many disclosure items are published mainly as a file behind a one-line article, so the file's
text is what matching and PII checks read. Files come from the internet: every reader is capped
in size, pages/rows and time, and a damaged file yields an error note, never an exception.
"""
from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

MAX_BYTES = 40 * 1024 * 1024     # larger files are not parsed (text stays empty)
MAX_CHARS = 300_000              # text kept per file
MAX_PDF_PAGES = 80
MAX_SHEET_ROWS = 5_000
TIME_BUDGET = 15.0               # seconds per file, checked between pages/rows


@dataclass
class DocText:
    text: str = ""
    format: str = "unknown"
    pages: int | None = None
    title: str | None = None
    created: date | None = None
    modified: date | None = None
    truncated: bool = False
    error: str | None = None


_EXT_RE = re.compile(r"\.([A-Za-z0-9]{1,5})$")


def detect_format(body: bytes, name: str = "", content_type: str | None = None) -> str:
    """'pdf' | 'docx' | 'xlsx' | 'pptx' | 'ole' (doc/xls/wps/et) | 'zip' | 'rar' | 'text' | 'unknown'."""
    head = body[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"Rar!"):
        return "rar"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        return "zip"
    m = _EXT_RE.search(name.split("?")[0])
    ext = m.group(1).lower() if m else ""
    ctype = (content_type or "").lower()
    if ext in ("txt", "csv") or ctype.startswith("text/plain") or "csv" in ctype:
        return "text"
    return "unknown"


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


_PDF_DATE_RE = re.compile(r"D?:?((?:19|20)\d{2})(\d{2})(\d{2})")


def _pdf_date(raw: object) -> date | None:
    if raw is None:
        return None
    m = _PDF_DATE_RE.search(str(raw))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_TITLE_NOISE_RE = re.compile(r"^(Microsoft (Word|Excel|PowerPoint) - |WPS )", re.I)
_BAD_TITLES = {"untitled", "无标题", "title", "文档", "document", "microsoft word", "sheet1", "工作簿1", "docx", "pdf"}


def _clean_doc_title(title: object) -> str | None:
    if not title:
        return None
    text = _TITLE_NOISE_RE.sub("", str(title)).strip()
    bare = re.sub(r"\.(docx?|xlsx?|pptx?|pdf|wps)$", "", text, flags=re.I).strip()
    if len(bare) < 2 or bare.lower() in _BAD_TITLES:
        return None
    return text


def _pdf(body: bytes, out: DocText, deadline: float) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body), strict=False)
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:  # noqa: BLE001 - an unreadable encrypted file: metadata only
            out.error = "encrypted"
            return
    out.pages = len(reader.pages)
    info = reader.metadata or {}
    out.title = _clean_doc_title(info.get("/Title"))
    out.created = _pdf_date(info.get("/CreationDate"))
    out.modified = _pdf_date(info.get("/ModDate"))
    parts: list[str] = []
    size = 0
    for i, page in enumerate(reader.pages):
        if i >= MAX_PDF_PAGES or time.monotonic() > deadline or size > MAX_CHARS:
            out.truncated = True
            break
        try:
            text = page.extract_text() or ""
        except Exception:  # noqa: BLE001 - one broken page does not lose the others
            text = ""
        parts.append(text)
        size += len(text)
    out.text = "\n".join(parts)


def _docx(body: bytes, out: DocText, deadline: float) -> None:
    import docx  # python-docx

    doc = docx.Document(io.BytesIO(body))
    props = doc.core_properties
    out.title = _clean_doc_title(props.title)
    out.created = _as_date(props.created)
    out.modified = _as_date(props.modified)
    parts: list[str] = []
    size = 0
    for p in doc.paragraphs:
        parts.append(p.text)
        size += len(p.text)
        if size > MAX_CHARS or time.monotonic() > deadline:
            out.truncated = True
            break
    if not out.truncated:
        for table in doc.tables:
            for row in table.rows:
                try:
                    cells = [c.text.strip() for c in row.cells]
                except Exception:  # noqa: BLE001 - merged-cell oddities
                    continue
                line = "\t".join(c for c in cells if c)
                parts.append(line)
                size += len(line)
                if size > MAX_CHARS or time.monotonic() > deadline:
                    out.truncated = True
                    break
            if out.truncated:
                break
    out.text = "\n".join(parts)


def _xlsx(body: bytes, out: DocText, deadline: float) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        props = wb.properties
        out.title = _clean_doc_title(props.title)
        out.created = _as_date(props.created)
        out.modified = _as_date(props.modified)
        out.pages = len(wb.sheetnames)
        parts: list[str] = []
        size = 0
        for ws in wb.worksheets:
            parts.append(f"# {ws.title}")
            for r, row in enumerate(ws.iter_rows(values_only=True)):
                if r >= MAX_SHEET_ROWS or size > MAX_CHARS or time.monotonic() > deadline:
                    out.truncated = True
                    break
                cells = ["" if v is None else str(v) for v in row]
                line = "\t".join(cells).rstrip("\t")
                if line:
                    parts.append(line)
                    size += len(line)
            if out.truncated:
                break
        out.text = "\n".join(parts)
    finally:
        wb.close()


def _pptx(body: bytes, out: DocText, deadline: float) -> None:
    # No python-pptx: slide XML text runs (<a:t>) are enough for matching.
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        slides = sorted((n for n in z.namelist() if re.match(r"ppt/slides/slide\d+\.xml$", n)),
                        key=lambda n: int(re.search(r"(\d+)", n.rsplit("/", 1)[1]).group(1)))
        out.pages = len(slides)
        parts = []
        for n in slides:
            if time.monotonic() > deadline:
                out.truncated = True
                break
            xml = z.read(n).decode("utf-8", "replace")
            parts.append(" ".join(re.findall(r"<a:t>([^<]*)</a:t>", xml)))
        core = z.read("docProps/core.xml").decode("utf-8", "replace") if "docProps/core.xml" in z.namelist() else ""
    m = re.search(r"<dc:title>([^<]*)</dc:title>", core)
    out.title = _clean_doc_title(m.group(1)) if m else None
    m = re.search(r"<dcterms:created[^>]*>([^<]*)<", core)
    out.created = _pdf_date(m.group(1).replace("-", "")) if m else None
    m = re.search(r"<dcterms:modified[^>]*>([^<]*)<", core)
    out.modified = _pdf_date(m.group(1).replace("-", "")) if m else None
    out.text = "\n".join(parts)


# Legacy OLE2 files (.doc/.xls/.wps/.et): text is stored as UTF-16LE runs. Decoding the whole
# file as UTF-16 (at both byte alignments) and keeping runs of text-like characters is crude but
# fast (all in C) and never fails.
_TEXT_RUN_RE = re.compile("[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u0020-\u007e\r\n\t\u2018-\u201d\u2026\u00b7"
                          "\u2014\u3001\u3002]{4,}")


def _runs(text: str) -> list[str]:
    out = []
    for m in _TEXT_RUN_RE.finditer(text):
        run = m.group(0).strip()
        cjk = sum(1 for ch in run if "\u4e00" <= ch <= "\u9fff")
        letters = sum(1 for ch in run if ch.isascii() and ch.isalpha())
        if cjk >= 2 or (letters >= 6 and " " in run and cjk == 0 and len(run) >= 8):
            out.append(run)
    return out


def strings_text(body: bytes) -> str:
    """Best-effort text from a binary Office file: UTF-16LE runs with CJK or words, in order."""
    data = body[:MAX_BYTES]
    best: list[str] = []
    best_score = -1
    for offset in (0, 1):
        chunk = data[offset:]
        if len(chunk) % 2:
            chunk = chunk[:-1]
        runs = _runs(chunk.decode("utf-16-le", "replace"))
        score = sum(len(r) for r in runs)
        if score > best_score:
            best, best_score = runs, score
    text = "\n".join(best)
    return text[:MAX_CHARS]


def extract_text(body: bytes, name: str = "", content_type: str | None = None) -> DocText:
    """Text + metadata of one file; never raises (a broken file gets ``error`` set)."""
    fmt = detect_format(body, name, content_type)
    out = DocText(format=fmt)
    if len(body) > MAX_BYTES:
        out.error = "too_large"
        out.truncated = True
        return out
    deadline = time.monotonic() + TIME_BUDGET
    try:
        if fmt == "pdf":
            _pdf(body, out, deadline)
        elif fmt == "docx":
            _docx(body, out, deadline)
        elif fmt == "xlsx":
            _xlsx(body, out, deadline)
        elif fmt == "pptx":
            _pptx(body, out, deadline)
        elif fmt == "ole":
            out.text = strings_text(body)
        elif fmt == "text":
            from crawler.encoding import decode_html
            out.text = decode_html(body[:MAX_CHARS * 3], content_type)[0]
        elif fmt == "zip":
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                out.text = "\n".join(_zip_name(i) for i in z.infolist()[:500])
    except Exception as exc:  # noqa: BLE001 - files from the internet are often damaged
        out.error = f"{type(exc).__name__}: {exc}"[:300]
    if len(out.text) > MAX_CHARS:
        out.text = out.text[:MAX_CHARS]
        out.truncated = True
    out.text = out.text.replace("\x00", "")
    return out


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Zip member names: cp437-decoded GBK names are common in Chinese archives."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name
