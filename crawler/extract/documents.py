"""The one reader of fetched documents (PDF, DOCX, XLSX, PPTX, legacy OLE, text, zip), with its limits.

Files come from sites we do not control; a small file can inflate to gigabytes (zip members, a
sheet row of millions of cells) or keep a parser busy for minutes. So every document is read here,
by the crawler (``crawler.extract.attachments`` / ``crawler.extract``) and by the personal-data checks
(``monitor.compliance.pii``) alike:

* before parsing, a zip-based file's directory is checked: member count, the sum of the members'
  inflated sizes, and each large member's compression ratio (``check_archive``);
* while parsing, budgets are enforced inside sheet rows and table rows, not only between them
  (cells per row, cells per document, characters, pages/rows, a soft time budget);
* the parsing itself runs in a persistent worker process (``DocumentPool``) with an address-space
  limit (``RLIMIT_AS``) and a wall-time limit; a worker that exceeds either is killed and replaced.

A file past a structural limit, the memory limit or the wall-time limit comes back with
``DocText.limit`` set (a Chinese description of the limit) and no text: the caller records it as a
failure with ``TOO_COMPLEX_MESSAGE``. Content caps (pages, rows, characters, the soft time
budget) only truncate, as large legitimate files are common.

This module must not import ``monitor``: monitor imports crawler, never the reverse.
"""
from __future__ import annotations

import io
import json
import os
import posixpath
import queue
import re
import select
import struct
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import IO, Any, Callable, Iterator, Mapping

# ---- limits ---------------------------------------------------------------------------------------
MiB = 1024 * 1024
MAX_BYTES = 40 * MiB           # compressed size of one file (the download cap is usually lower)
MAX_INFLATED = 200 * MiB       # sum of a zip-based file's members once inflated (zip directory)
MAX_RATIO = 100                # inflated / compressed, for any member larger than RATIO_MIN_SIZE
RATIO_MIN_SIZE = 1 * MiB       # small members may compress as well as they like
MAX_MEMBERS = 5_000            # members of a zip-based file (DOCX ~20, XLSX ~10 + 2 per sheet)
MAX_CHARS = 300_000            # text kept per file
MAX_PDF_PAGES = 80
MAX_SHEET_ROWS = 5_000         # rows read per sheet (counted from row 1, blank rows included)
MAX_ROW_CELLS = 16_384         # cells in one sheet or table row: XLSX's own column limit (XFD)
MAX_CELLS = 1_000_000          # cells parsed per document (empty styled cells included)
TIME_BUDGET = 15.0             # seconds: reading stops (text kept, truncated), checked inside rows
HARD_TIMEOUT = 40.0            # seconds of wall time before the worker is killed (file skipped)
MEMORY_LIMIT = 1024 * MiB      # address space of a worker process (RLIMIT_AS)
RECYCLE_RSS = 300 * MiB        # a worker that grew past this is replaced after its job
STARTUP_TIMEOUT = 60.0         # seconds for a new worker to import its parsers
CRAWL_WORKERS = 2              # worker processes of a crawl (the PII checks and inspect use one)

TOO_COMPLEX = "文件过大或过于复杂，已跳过"
TOO_COMPLEX_PREFIX = "附件解析失败："   # monitor.compliance.links reads this prefix as "reachable, unreadable"


def too_complex_message(detail: str | None) -> str:
    """The failure recorded against a file's URL when it exceeded a limit."""
    return f"{TOO_COMPLEX_PREFIX}{TOO_COMPLEX}" + (f"（{detail}）" if detail else "")


def is_too_complex(error: str | None) -> bool:
    return error is not None and TOO_COMPLEX in error


class TooComplex(Exception):
    """A structural limit was exceeded: the file is skipped, not truncated."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class _SoftStop(Exception):
    """The soft time budget ran out inside a row: keep what was read."""


def _mb(n: int) -> str:
    return f"{n / MiB:.0f} MB" if n >= 10 * MiB else f"{n / MiB:.1f} MB"


# ---- result ---------------------------------------------------------------------------------------
@dataclass
class DocText:
    text: str = ""
    format: str = "unknown"
    pages: int | None = None
    title: str | None = None
    created: date | None = None
    modified: date | None = None
    truncated: bool = False
    error: str | None = None       # a damaged/unreadable file ("encrypted", "BadZipFile: …", "too_complex")
    limit: str | None = None       # the limit a skipped file exceeded (Chinese), None otherwise
    segments: list[dict] | None = None  # located text for the personal-data checks (see ``Segment``)

    def to_json(self) -> dict:
        return {"text": self.text, "format": self.format, "pages": self.pages, "title": self.title,
                "created": self.created.isoformat() if self.created else None,
                "modified": self.modified.isoformat() if self.modified else None,
                "truncated": self.truncated, "error": self.error, "limit": self.limit, "segments": self.segments}

    @classmethod
    def from_json(cls, d: dict) -> "DocText":
        return cls(text=d.get("text") or "", format=d.get("format") or "unknown", pages=d.get("pages"),
                   title=d.get("title"), created=_iso_date(d.get("created")), modified=_iso_date(d.get("modified")),
                   truncated=bool(d.get("truncated")), error=d.get("error"), limit=d.get("limit"),
                   segments=d.get("segments"))


def _iso_date(s: str | None) -> date | None:
    try:
        return date.fromisoformat(s) if s else None
    except ValueError:
        return None


def _skipped(fmt: str, detail: str) -> DocText:
    return DocText(format=fmt, truncated=True, error="too_complex", limit=detail)


# ---- located text segments (personal-data checks) -------------------------------------------------
@dataclass
class Segment:
    """A piece of a document's text and how to name a position in it ("pdf page 3", "xlsx Sheet1!C7")."""
    text: str
    where: str
    locate: Callable[[int], str] | None = None

    def where_at(self, offset: int) -> str:
        return self.locate(offset) if self.locate else self.where


def row_segment(lines: list[str], name: Callable[[int, int], str]) -> Segment:
    """Tab-separated rows as one segment; ``name(row, column)`` (1-based row, 0-based column) names a cell."""
    import bisect

    text = "\n".join(lines)
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln) + 1

    def locate(offset: int) -> str:
        r = max(0, bisect.bisect_right(starts, offset) - 1)
        col = text[starts[r]:offset].count("\t") if starts else 0
        return name(r + 1, col)
    return Segment(text, name(1, 0).rsplit("!", 1)[0].rsplit(" row ", 1)[0], locate)


def segments_from(doc: DocText) -> list[Segment] | None:
    """Rebuild the located segments a reader produced (they cross the process boundary as dicts)."""
    if doc.segments is None:
        return None
    from openpyxl.utils import get_column_letter

    out: list[Segment] = []
    for s in doc.segments:
        kind = s.get("kind")
        if kind == "xlsx":
            def xlsx_cell(r: int, c: int, sheet: str = s["sheet"], first: int = s["first_row"]) -> str:
                return f"xlsx {sheet}!{get_column_letter(c + 1)}{first + r - 1}"
            out.append(row_segment(s["lines"], xlsx_cell))
        elif kind == "docx_table":
            def docx_row(r: int, c: int, t: int = s["table"]) -> str:
                return f"docx table {t} row {r}"
            out.append(row_segment(s["lines"], docx_row))
        else:
            out.append(Segment(s["text"], s["where"]))
    return out


# ---- zip-based files: checked from the directory before anything is inflated -----------------------
def _zip_entry_count(body: bytes) -> int | None:
    """Entries announced by the end-of-central-directory record (ZIP64 included), read before
    zipfile builds an object per entry (a 40 MB archive can hold ~500,000 of them)."""
    tail_start = max(0, len(body) - (22 + 65535))
    i = body.rfind(b"PK\x05\x06", tail_start)
    if i < 0 or i + 22 > len(body):
        return None
    total = struct.unpack_from("<H", body, i + 10)[0]
    if total != 0xFFFF:
        return total
    loc = i - 20
    if loc < 0 or body[loc:loc + 4] != b"PK\x06\x07":
        return None
    off = struct.unpack_from("<Q", body, loc + 8)[0]
    if off + 40 > len(body) or body[off:off + 4] != b"PK\x06\x06":
        return None
    return struct.unpack_from("<Q", body, off + 32)[0]


def check_archive(z: zipfile.ZipFile, compressed: int) -> None:
    """Raise TooComplex when a zip-based document would inflate past the limits."""
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise TooComplex(f"压缩包内 {len(infos)} 个文件，上限 {MAX_MEMBERS} 个")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise TooComplex(f"压缩比 {ratio}:1（{info.filename[:60]}），上限 {MAX_RATIO}:1")
    if total > MAX_INFLATED:
        raise TooComplex(f"解压后 {_mb(total)}，上限 {_mb(MAX_INFLATED)}（压缩文件 {_mb(compressed)}）")


def _open_zip(body: bytes) -> zipfile.ZipFile:
    count = _zip_entry_count(body)
    if count is not None and count > MAX_MEMBERS:
        raise TooComplex(f"压缩包内 {count} 个文件，上限 {MAX_MEMBERS} 个")
    return zipfile.ZipFile(io.BytesIO(body))


# ---- format ---------------------------------------------------------------------------------------
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
            count = _zip_entry_count(body)
            if count is not None and count > MAX_MEMBERS:
                return "zip"  # too many members to even list: read_document skips it
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError, OSError, struct.error):
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


# ---- metadata helpers -----------------------------------------------------------------------------
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
    m = _PDF_DATE_RE.search(str(raw)[:64])
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
    text = _TITLE_NOISE_RE.sub("", str(title)[:1000]).strip()
    bare = re.sub(r"\.(docx?|xlsx?|pptx?|pdf|wps)$", "", text, flags=re.I).strip()
    if len(bare) < 2 or bare.lower() in _BAD_TITLES:
        return None
    return text


class _Budget:
    """Per-document counters, checked inside rows (not only between them)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.cells = 0

    def cell(self, in_row: int) -> None:
        self.cells += 1
        if in_row > MAX_ROW_CELLS:
            raise TooComplex(f"一行超过 {MAX_ROW_CELLS} 个单元格")
        if self.cells > MAX_CELLS:
            raise TooComplex(f"单元格超过 {MAX_CELLS} 个")
        if not self.cells & 255 and time.monotonic() > self.deadline:
            raise _SoftStop()

    def late(self) -> bool:
        return time.monotonic() > self.deadline


# ---- PDF ------------------------------------------------------------------------------------------
def _pdf(body: bytes, out: DocText, budget: _Budget, want_segments: bool) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body), strict=False)
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:  # noqa: BLE001 - an unreadable encrypted file: metadata only
            out.error = "encrypted"
            return
    out.pages = len(reader.pages)
    info: Mapping[str, Any] = reader.metadata or {}
    out.title = _clean_doc_title(info.get("/Title"))
    out.created = _pdf_date(info.get("/CreationDate"))
    out.modified = _pdf_date(info.get("/ModDate"))
    parts: list[str] = []
    size = 0
    broken: list[Exception] = []
    for i, page in enumerate(reader.pages):
        if i >= MAX_PDF_PAGES or budget.late() or size > MAX_CHARS:
            out.truncated = True
            break
        try:
            text = page.extract_text() or ""
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken page does not lose the others
            broken.append(exc)
            text = ""
        parts.append(text)
        size += len(text)
    if parts and len(broken) == len(parts):  # nothing could be read: a failure, not an empty file
        raise broken[0]
    out.text = "\n".join(parts)
    if want_segments:
        out.segments = [{"text": t, "where": f"pdf page {i}"} for i, t in enumerate(parts, 1)]


# ---- DOCX -----------------------------------------------------------------------------------------
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _iterparse(source: IO[bytes], **kw: Any) -> Iterator[tuple[str, Any]]:  # lxml: untyped
    from lxml import etree

    return etree.iterparse(source, resolve_entities=False, no_network=True, huge_tree=False, **kw)


# The reader below follows python-docx 1.2.0 (what this module used before) rule for rule, without
# building its object tree: the same package checks, the same text of a paragraph, row and cell, the
# same merged-cell expansion. tests/test_docx_reader.py compares the two on generated documents.
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_PR_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_RT_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_RT_CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
_CT_WML_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_CT_CORE_PROPERTIES = "application/vnd.openxmlformats-package.core-properties+xml"
_P, _R, _HYPERLINK, _T = _W + "p", _W + "r", _W + "hyperlink", _W + "t"
_TAB, _PTAB, _BR, _CR, _NBH = _W + "tab", _W + "ptab", _W + "br", _W + "cr", _W + "noBreakHyphen"
_TBL, _TR, _TC = _W + "tbl", _W + "tr", _W + "tc"
_TRPR, _TCPR, _GRID_BEFORE, _GRID_SPAN, _VMERGE = (_W + "trPr", _W + "tcPr", _W + "gridBefore", _W + "gridSpan",
                                                   _W + "vMerge")
_VAL, _BR_TYPE = _W + "val", _W + "type"


def _xml_root(data: bytes) -> Any:  # lxml: untyped
    """A small XML part (content types, relationships, core properties), parsed as safely as document.xml."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)
    return etree.fromstring(data, parser)


def _docx_package(z: zipfile.ZipFile) -> tuple[str, str | None]:
    """Zip member names of the main document part and of the core-properties part (None without one),
    checked as python-docx's package reader checks them (it refuses the file otherwise):
    ``[Content_Types].xml``, the relationship graph from ``/_rels/.rels`` (every internal target present
    and typed), exactly one officeDocument relationship, to a WordprocessingML main part.

    Unlike python-docx, parts this reader does not use (styles, numbering, images…) are not inflated or
    parsed, so a damaged one no longer makes the document unreadable."""
    types = _xml_root(z.read("[Content_Types].xml"))
    if types.tag != _CT_NS + "Types":
        raise ValueError("[Content_Types].xml is not a Types element")
    overrides = {o.get("PartName").lower(): o.get("ContentType") for o in types.findall(_CT_NS + "Override")}
    defaults = {d.get("Extension").lower(): d.get("ContentType") for d in types.findall(_CT_NS + "Default")}

    def content_type(partname: str) -> str:
        if partname.lower() in overrides:
            return overrides[partname.lower()]
        ext = posixpath.splitext(partname)[1]
        ext = ext[1:] if ext.startswith(".") else ext
        if ext.lower() in defaults:
            return defaults[ext.lower()]
        raise KeyError(f"no content type for partname '{partname}' in [Content_Types].xml")

    def rels_of(partname: str) -> list[tuple[str | None, str | None, str | None]]:
        """(Id, Type, target partname or None when external) of a part's relationships."""
        base, filename = posixpath.split(partname)
        try:
            data = z.read(posixpath.join(base, "_rels", f"{filename}.rels")[1:])
        except KeyError:
            return []
        root = _xml_root(data)
        if root.tag != _PR_NS + "Relationships":
            raise ValueError(f"{partname}: relationships item is not a Relationships element")
        out = []
        for rel in root.findall(_PR_NS + "Relationship"):
            external = rel.get("TargetMode", "Internal") == "External"
            target = None if external else posixpath.abspath(posixpath.join(base, rel.get("Target")))
            out.append((rel.get("Id"), rel.get("Type"), target))
        return out

    package_rels = rels_of("/")
    types_of: dict[str, str] = {}
    stack = [iter(package_rels)]
    while stack:  # python-docx's depth-first walk of the graph, without reading the parts
        for _rid, _reltype, part in stack[-1]:
            if part is None or part in types_of:
                continue
            sub = rels_of(part)
            z.getinfo(part[1:])  # KeyError for a missing part, as python-docx's read of it
            types_of[part] = content_type(part)
            stack.append(iter(sub))
            break
        else:
            stack.pop()
    by_id = {rid: (reltype, part) for rid, reltype, part in package_rels}  # a repeated Id: the last wins

    def related(reltype: str) -> list[str | None]:
        found = [part for rt, part in by_id.values() if rt == reltype]
        if len(found) > 1:
            raise ValueError(f"multiple relationships of type '{reltype}' in collection")
        if found and found[0] is None:
            raise ValueError("target_part property on _Relationship is undefined when target mode is External")
        return found

    main = related(_RT_OFFICE_DOCUMENT)
    if not main:
        raise KeyError(f"no relationship of type '{_RT_OFFICE_DOCUMENT}' in collection")
    main_part = main[0] or ""
    if types_of[main_part] != _CT_WML_MAIN:
        raise ValueError(f"file is not a Word file, content type is '{types_of[main_part]}'")
    core = related(_RT_CORE_PROPERTIES)
    core_part = core[0] if core else None
    if core_part is not None and types_of[core_part] != _CT_CORE_PROPERTIES:
        raise AttributeError(f"{core_part} ({types_of[core_part]}) has no core properties")
    return main_part[1:], core_part[1:] if core_part else None


def _w3cdtf(el: Any) -> datetime | None:
    """python-docx's reading of a W3CDTF date (UTC-adjusted when an offset is given). An empty element
    raises TypeError there, which made the whole file fail: kept, so the result is the same."""
    if el is None:
        return None
    text = el.text
    parseable, offset = text[:19], text[19:]
    when = None
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            when = datetime.strptime(parseable, fmt)
        except ValueError:
            continue
    if when is None:
        return None
    if len(offset) == 6:
        m = re.match(r"([+-])(\d\d):(\d\d)", offset)
        if m is None:
            return None
        sign = -1 if m.group(1) == "+" else 1
        when += sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return when.replace(tzinfo=timezone.utc)


def _docx_run_text(r: Any, out: list[str]) -> None:
    for e in r:  # python-docx's Run.text: these children, in order; others (drawings, fields…) add nothing
        tag = e.tag
        if tag == _T:
            if e.text:
                out.append(e.text)
        elif tag == _TAB or tag == _PTAB:
            out.append("\t")
        elif tag == _BR:
            if e.get(_BR_TYPE, "textWrapping") == "textWrapping":  # page and column breaks add nothing
                out.append("\n")
        elif tag == _CR:
            out.append("\n")
        elif tag == _NBH:
            out.append("-")


def _docx_para_text(p: Any) -> str:
    """python-docx's Paragraph.text: the paragraph's own runs and its hyperlinks' runs (not runs
    wrapped in w:ins, w:smartTag, w:sdt, w:fldSimple…)."""
    out: list[str] = []
    for child in p:
        tag = child.tag
        if tag == _R:
            _docx_run_text(child, out)
        elif tag == _HYPERLINK:
            for r in child:
                if r.tag == _R:
                    _docx_run_text(r, out)
    return "".join(out)


def _child_val(el: Any, *path: str) -> str | None | Exception:
    """``w:val`` of the first ``path`` descendant (first child at each step); None when absent, an
    exception (raised when the value is used, as python-docx does) when the element has no ``w:val``."""
    for tag in path:
        el = el.find(tag)
        if el is None:
            return None
    val = el.get(_VAL)
    return ValueError(f"required 'w:val' attribute not present on element {path[-1]}") if val is None else val


def _as_int(raw: str | None | Exception, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, Exception):
        raise raw
    return int(raw)


class _Tc:
    __slots__ = ("span", "vmerge", "text", "root")

    def __init__(self, tc: Any) -> None:
        tcpr = tc.find(_TCPR)
        self.span = None if tcpr is None else _child_val(tcpr, _GRID_SPAN)
        vmerge = None if tcpr is None else tcpr.find(_VMERGE)
        self.vmerge = None if vmerge is None else vmerge.get(_VAL, "continue")
        # a cell's text is its own paragraphs' (not a nested table's); a continued cell shows the one above
        self.text = "" if self.vmerge == "continue" else "\n".join(_docx_para_text(p) for p in tc.findall(_P))
        self.root: _Tc | Exception | None = None  # the cell a continued vertical merge resolves to


class _Tr:
    __slots__ = ("grid_before", "tcs", "_starts", "_error", "_index")

    def __init__(self, tr: Any) -> None:
        self.grid_before = _child_val(tr, _TRPR, _GRID_BEFORE)
        self.tcs = [_Tc(tc) for tc in tr.findall(_TC)]
        self._starts: list[int] | None = None
        self._error: Exception | None = None
        self._index: dict[int, int] | None = None

    def _layout(self) -> list[int]:
        """Each cell's first grid column (gridBefore + the spans before it), as far as they can be read:
        the error that stopped them is raised only by a lookup that gets that far, as in python-docx."""
        if self._starts is None:
            starts: list[int] = []
            monotonic = True
            try:
                pos = _as_int(self.grid_before, 0)
                for tc in self.tcs:
                    starts.append(pos)
                    span = _as_int(tc.span, 1)
                    monotonic = monotonic and span > 0
                    pos += span
            except Exception as exc:  # noqa: BLE001 - kept for the lookup that reaches it
                self._error = exc
            self._starts = starts
            self._index = {s: i for i, s in enumerate(starts)} if monotonic else None
        return self._starts

    def offset_of(self, ci: int) -> int:
        """python-docx's ``CT_Tc.grid_offset`` of the row's cell ``ci``."""
        starts = self._layout()
        if ci < len(starts):
            return starts[ci]
        raise self._error or IndexError(ci)

    def at_grid_offset(self, offset: int) -> int:
        """Index of python-docx's ``CT_Row.tc_at_grid_offset(offset)``, without re-reading spans."""
        starts = self._layout()
        if not starts and self._error is not None:
            raise self._error  # the row's own gridBefore
        if self._index is not None:  # all spans positive: starts increase
            i = self._index.get(offset)
            if i is not None:
                return i
            if self._error is not None and offset > starts[-1]:
                raise self._error
        else:
            for i, start in enumerate(starts):
                if offset < start:
                    break
                if offset == start:
                    return i
            else:
                if self._error is not None:
                    raise self._error
        raise ValueError(f"no `tc` element at grid_offset={offset}")


def _resolve_above(rows: list[_Tr], ri: int, ci: int) -> _Tc:
    """The cell a ``vMerge="continue"`` cell stands for: the first non-continued cell above it in its
    grid column (python-docx's ``_tc_above``, followed up; remembered per cell, so a long merged
    column costs one lookup per row, where python-docx's cost grew with the square of its length)."""
    chain: list[_Tc] = []
    tc = rows[ri].tcs[ci]
    try:
        while True:
            if isinstance(tc.root, Exception):
                raise tc.root
            if tc.root is not None:
                tc = tc.root
                break
            chain.append(tc)
            if ri == 0:
                raise ValueError("no tr above topmost tr in w:tbl")
            offset = rows[ri].offset_of(ci)
            ri -= 1
            ci = rows[ri].at_grid_offset(offset)
            tc = rows[ri].tcs[ci]
            if tc.vmerge != "continue":
                break
    except Exception as exc:  # noqa: BLE001 - remembered, so each later cell of the chain fails alike
        for t in chain:
            t.root = exc
        raise
    for t in chain:
        t.root = tc
    return tc


def _row_cells(rows: list[_Tr], ri: int) -> list[_Tc]:
    """python-docx's ``_Row.cells``: one entry per grid column covered, a horizontal span repeating
    its cell, a continued vertical merge giving the cell it continues. Raises as python-docx does."""
    cells: list[_Tc] = []
    for ci, tc in enumerate(rows[ri].tcs):
        root = _resolve_above(rows, ri, ci) if tc.vmerge == "continue" else tc
        span = _as_int(root.span, 1)
        if len(cells) + span > MAX_ROW_CELLS:  # gridSpan="1000000000": a bomb python-docx would expand
            raise TooComplex(f"一行超过 {MAX_ROW_CELLS} 个单元格")
        cells.extend([root] * span)
    return cells


def _row_line(rows: list[_Tr], ri: int, want_segments: bool) -> str | None:
    """A table row as the old python-docx loops wrote it: with segments, every column (a cell repeated
    by a horizontal span left empty), "" for a row python-docx could not expand; without, the non-empty
    stripped cells and None for such a row (it was skipped)."""
    try:
        cells = _row_cells(rows, ri)
    except (TooComplex, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - merged-cell oddities
        return "" if want_segments else None
    if not want_segments:
        return "\t".join(s for c in cells if (s := c.text.strip()))
    out, last = [], None
    for c in cells:
        out.append("" if c is last else c.text.replace("\n", " ").replace("\t", " "))
        last = c
    return "\t".join(out)


@dataclass
class _DocxBody:
    paragraphs: list[str]             # the body's own paragraphs, in order (as many as can be kept)
    tables: list[list[str | None]]    # the body's own tables: each row's line (see ``_row_line``)
    root_tag: str | None
    has_body: bool
    stopped: bool                     # out of time: the rest of the document was not read


def _docx_body(src: IO[bytes], budget: _Budget, want_segments: bool) -> _DocxBody:
    """Read document.xml in one streaming pass: count table cells (every ``w:tc``, nested ones too,
    per row and per document, before anything of a wide row is expanded), and keep the text of the
    body's paragraphs and top-level tables until MAX_CHARS of each are kept (the output stops there)."""
    paras: list[str] = []
    tables: list[list[str | None]] = []
    para_size = table_size = 0
    paras_full = tables_full = False
    el = body = cur_tbl = open_row = None
    rows: list[_Tr] = []
    lines: list[str | None] | None = None
    in_row = 0
    stopped = False
    parse = _iterparse(src, events=("start", "end"), tag=(_P, _TBL, _TR, _TC), remove_blank_text=True)
    try:
        for event, el in parse:
            tag = el.tag
            if event == "start":
                if tag == _TC:
                    in_row += 1
                    budget.cell(in_row)
                elif tag == _TR:
                    in_row = 0
                    if cur_tbl is not None and el.getparent() is cur_tbl:
                        open_row = el
                elif tag == _TBL and cur_tbl is None:
                    if body is None:
                        body = el.getroottree().getroot().find(_W + "body")
                    if el.getparent() is body and body is not None:
                        cur_tbl, rows = el, []
                        lines = None if tables_full else []
                continue
            if tag == _P:
                if body is None:
                    body = el.getroottree().getroot().find(_W + "body")
                if body is not None and el.getparent() is body:
                    if not paras_full:
                        text = _docx_para_text(el)
                        paras.append(text)
                        if want_segments:
                            para_size += len(text) if text.strip() else 0
                        else:
                            para_size += len(text)
                        paras_full = para_size > MAX_CHARS
                    _drop(el)
                    if budget.late():
                        stopped = True
                        break
                elif open_row is None:
                    el.clear(keep_tail=False)  # a paragraph no output uses (text box, content control…)
            elif tag == _TR:
                if el is open_row:
                    open_row = None
                    if lines is not None:
                        rows.append(_Tr(el))
                        line = _row_line(rows, len(rows) - 1, want_segments)
                        lines.append(line)
                        table_size += len(line or "")
                        tables_full = table_size > MAX_CHARS
                    _drop(el)
                    if budget.late():
                        stopped = True
                        break
            elif tag == _TBL and el is cur_tbl:
                if lines is not None:
                    tables.append(lines)
                cur_tbl, rows, lines = None, [], None
                _drop(el)
    except _SoftStop:
        stopped = True
    if stopped and lines is not None:
        tables.append(lines)  # the table being read when time ran out
    root = el.getroottree().getroot() if el is not None else getattr(parse, "root", None)
    if body is None and root is not None:
        body = root.find(_W + "body")
    return _DocxBody(paras, tables, root.tag if root is not None else None, body is not None, stopped)


def _docx(body: bytes, out: DocText, budget: _Budget, want_segments: bool) -> None:
    with _open_zip(body) as z:
        check_archive(z, len(body))
        main_part, core_part = _docx_package(z)
        with z.open(main_part) as src:
            doc = _docx_body(src, budget, want_segments)
        core = _xml_root(z.read(core_part)) if core_part else None
    if core is not None:
        if core.tag != _CP + "coreProperties":
            raise AttributeError(f"{core_part}: not a coreProperties element")
        title = core.find(_DC + "title")
        out.title = _clean_doc_title(title.text if title is not None else None)
        out.created = _as_date(_w3cdtf(core.find(_DCTERMS + "created")))
        out.modified = _as_date(_w3cdtf(core.find(_DCTERMS + "modified")))
    if doc.root_tag != _W + "document" or not doc.has_body:
        raise AttributeError(f"{main_part}: no w:document/w:body")
    if want_segments:
        out.segments = _docx_segments(doc, out, budget)
        out.text = "\n".join(s.get("text") or "\n".join(s.get("lines", [])) for s in out.segments)
    else:
        out.text = _docx_text(doc, out, budget)
    if doc.stopped:
        out.truncated = True


def _docx_text(doc: _DocxBody, out: DocText, budget: _Budget) -> str:
    parts: list[str] = []
    size = 0
    for text in doc.paragraphs:
        parts.append(text)
        size += len(text)
        if size > MAX_CHARS or budget.late():
            out.truncated = True
            return "\n".join(parts)
    for table in doc.tables:
        for line in table:
            if line is None:  # a row that could not be expanded
                continue
            parts.append(line)
            size += len(line)
            if size > MAX_CHARS or budget.late():
                out.truncated = True
                return "\n".join(parts)
    return "\n".join(parts)


def _docx_segments(doc: _DocxBody, out: DocText, budget: _Budget) -> list[dict]:
    segs: list[dict] = []
    size = 0
    for i, text in enumerate(doc.paragraphs, 1):
        if text.strip():
            segs.append({"text": text, "where": f"docx paragraph {i}"})
            size += len(text)
        if size > MAX_CHARS or budget.late():
            out.truncated = True
            return segs
    for t, table in enumerate(doc.tables, 1):
        lines: list[str] = []
        for line in table:
            lines.append(line or "")
            size += len(line or "")
            if size > MAX_CHARS or budget.late():
                out.truncated = True
                break
        segs.append({"kind": "docx_table", "table": t, "lines": lines})
        if out.truncated:
            break
    return segs


# ---- XLSX -----------------------------------------------------------------------------------------
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet_rows(wb: Any, ws: Any, budget: _Budget) -> Iterator[tuple[int, dict[int, Any]]]:
    """(row number, {column: value}) for every row openpyxl's read-only ``iter_rows()`` yields
    (from row 1, missing rows as empty ones, cut at the sheet's declared dimension), with cell values
    converted by openpyxl's own parser, but streamed here so the budgets hold inside a row."""
    from openpyxl.worksheet._reader import WorkSheetParser

    max_row, max_col = ws.max_row, ws.max_column
    counter = 1
    with wb._archive.open(ws._worksheet_path) as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        row_tag, cell_tag = _S + "row", _S + "c"
        cells: list[dict] = []
        depth_in_cell = 0
        for event, el in _iterparse(src, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == cell_tag:
                    depth_in_cell += 1
                elif tag == row_tag and not depth_in_cell:
                    r = el.get("r")
                    if r is not None:
                        try:
                            parser.row_counter = int(r)
                        except ValueError:
                            val = float(r)
                            if not val.is_integer():
                                raise ValueError(f"{r} is not a valid row number") from None
                            parser.row_counter = int(val)
                    else:
                        parser.row_counter += 1
                    parser.col_counter = 0
                    cells = []
                continue
            if tag == cell_tag:
                depth_in_cell -= 1
                budget.cell(len(cells) + 1)
                cells.append(parser.parse_cell(el))
                _drop(el)
                continue
            if depth_in_cell:
                continue  # <v>, <is>, <f> … are read with their cell
            if tag == row_tag:
                idx = parser.row_counter
                _drop(el)
                if max_row is not None and idx > max_row:
                    while counter <= max_row:  # openpyxl pads up to the declared last row
                        counter += 1
                        yield counter - 1, {}
                    return
                while counter < idx:
                    counter += 1
                    yield counter - 1, {}
                if counter <= idx:
                    counter += 1
                    yield idx, _place(cells, max_col)
                cells = []
            else:
                _drop(el)


def _drop(el: Any) -> None:
    """Free a parsed element and the siblings before it (iterparse keeps the tree otherwise)."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _place(cells: list[dict], max_col: int | None) -> dict[int, Any]:
    if not cells and not max_col:
        return {}
    width = max_col or cells[-1]["column"]
    placed: dict[int, Any] = {}
    for c in cells:
        if 1 <= c["column"] <= width:
            placed[c["column"]] = c["value"]
    return placed


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # IDs typed as numbers lose nothing up to 15 digits
    return str(value).replace("\t", " ").replace("\n", " ")


def _xlsx(body: bytes, out: DocText, budget: _Budget, want_segments: bool) -> None:
    from openpyxl import load_workbook

    with _open_zip(body) as z:
        check_archive(z, len(body))
    wb = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        props = wb.properties
        out.title = _clean_doc_title(props.title)
        out.created = _as_date(props.created)
        out.modified = _as_date(props.modified)
        out.pages = len(wb.sheetnames)
        parts: list[str] = []
        segs: list[dict] = []
        size = 0
        for ws in wb.worksheets:
            parts.append(f"# {ws.title}")
            lines: list[str] = []
            first_row = None
            try:
                for r, (rownum, placed) in enumerate(_sheet_rows(wb, ws, budget)):
                    if r >= MAX_SHEET_ROWS or size > MAX_CHARS or budget.late():
                        out.truncated = True
                        break
                    if want_segments:
                        if first_row is None:
                            if not placed:
                                continue
                            first_row = rownum
                        values = [""] * max(placed, default=0)
                        for col, v in placed.items():
                            values[col - 1] = _cell_text(v)
                        line = "\t".join(values)
                        lines.append(line)
                        size += len(line)
                    else:
                        width = max(placed, default=0)
                        line = "\t".join("" if (v := placed.get(c)) is None else str(v)
                                         for c in range(1, width + 1)).rstrip("\t")
                        if line:
                            parts.append(line)
                            size += len(line)
            except _SoftStop:
                out.truncated = True
            if want_segments and first_row is not None:
                segs.append({"kind": "xlsx", "sheet": ws.title, "first_row": first_row, "lines": lines})
            if out.truncated:
                break
        if want_segments:
            out.segments = segs
            out.text = "\n".join("\n".join(s["lines"]) for s in segs)
        else:
            out.text = "\n".join(parts)
    finally:
        wb.close()


# ---- PPTX, legacy OLE, zip, text ------------------------------------------------------------------
_SLIDE_RE = re.compile(r"ppt/slides/slide(\d{1,6})\.xml$")
_RUN_TEXT_RE = re.compile(r"<a:t>([^<]*)</a:t>")


def _pptx(body: bytes, out: DocText, budget: _Budget, want_segments: bool) -> None:
    # No python-pptx: slide XML text runs (<a:t>) are enough for matching.
    with _open_zip(body) as z:
        check_archive(z, len(body))
        names = z.namelist()
        numbered = [(int(m.group(1)), n) for n in names if (m := _SLIDE_RE.match(n))]
        slides = [n for _, n in sorted(numbered, key=lambda p: p[0])]
        out.pages = len(slides)
        parts = []
        size = 0
        for n in slides:
            if budget.late() or size > MAX_CHARS:
                out.truncated = True
                break
            xml = z.read(n).decode("utf-8", "replace")
            parts.append(" ".join(_RUN_TEXT_RE.findall(xml)))
            size += len(parts[-1])
        core = z.read("docProps/core.xml").decode("utf-8", "replace")[:200_000] if "docProps/core.xml" in names else ""
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


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Zip member names: cp437-decoded GBK names are common in Chinese archives."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


# ---- one document, in this process ----------------------------------------------------------------
_READERS = {"pdf": _pdf, "docx": _docx, "xlsx": _xlsx, "pptx": _pptx}
SEGMENT_FORMATS = ("pdf", "docx", "xlsx")


_memory_limit = MEMORY_LIMIT  # the limit this process runs under (set by _serve), for messages


def _memory_message() -> str:
    return f"解析所需内存超过 {_mb(_memory_limit)} 上限"


def _libxml2_out_of_memory(exc: Exception) -> bool:
    """libxml2 ran out of memory: an allocation message, or a parse error with its code
    XML_ERR_NO_MEMORY (2), which lxml's iterparse reports as "unknown error"."""
    if "memory" in str(exc).lower() and "alloc" in str(exc).lower():
        return True
    return type(exc).__name__ == "XMLSyntaxError" and getattr(exc, "code", None) == 2


def read_document(body: bytes, name: str = "", content_type: str | None = None, *,
                  segments: bool = False) -> DocText:
    """Text + metadata of one file (the worker process runs this); never raises.

    ``segments=True`` also fills ``DocText.segments`` for PDF/DOCX/XLSX (the personal-data checks'
    located text: PDF pages, DOCX paragraphs and tables, XLSX sheets with column positions kept)."""
    if len(body) > MAX_BYTES:
        return _skipped(detect_format(body[:8], name, content_type), f"文件 {_mb(len(body))}，上限 {_mb(MAX_BYTES)}")
    try:
        fmt = detect_format(body, name, content_type)
    except MemoryError:
        return _skipped("unknown", _memory_message())
    out = DocText(format=fmt)
    budget = _Budget(time.monotonic() + TIME_BUDGET)
    try:
        reader = _READERS.get(fmt)
        if reader is not None:
            reader(body, out, budget, segments and fmt in SEGMENT_FORMATS)
        elif fmt == "ole":
            out.text = strings_text(body)
        elif fmt == "text":
            from crawler.extract.encoding import decode_html
            out.text = decode_html(body[:MAX_CHARS * 3], content_type)[0]
        elif fmt == "zip":
            with _open_zip(body) as z:
                out.text = "\n".join(_zip_name(i) for i in z.infolist()[:500])
    except TooComplex as exc:
        return _skipped(fmt, exc.detail)
    except MemoryError:
        return _skipped(fmt, _memory_message())
    except Exception as exc:  # noqa: BLE001 - files from the internet are often damaged
        if _libxml2_out_of_memory(exc):
            return _skipped(fmt, _memory_message())
        out.error = f"{type(exc).__name__}: {exc}"[:300]
        out.segments = None
    if len(out.text) > MAX_CHARS:
        out.text = out.text[:MAX_CHARS]
        out.truncated = True
    out.text = out.text.replace("\x00", "")
    return out


# ---- the worker process ---------------------------------------------------------------------------
# Frames on the worker's stdin: <u32 header length><u32 body length><header JSON><body>;
# on its protocol fd: <u32 length><result JSON>. JSON, not pickle: the worker reads hostile data.
def _read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes, deadline: float | None = None) -> None:
    view = memoryview(data)
    while view:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError
        try:
            n = os.write(fd, view[:1 << 20])
        except BlockingIOError:
            continue
        view = view[n:]


def _rss() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _serve(memory_limit: int = MEMORY_LIMIT, handler: Callable[[dict, bytes], dict] | None = None) -> None:
    """Worker main loop: one request at a time until stdin closes. Each request is a document to read,
    or, with ``handler``, whatever that function answers (the crawl's page workers, ``crawler.extract.page_pool``)."""
    global _memory_limit
    import logging
    import resource
    import signal
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the crawl; the crawl stops us
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # a crawl starting up holds it back (crawler.worker)
    try:  # die with the crawl even if it is killed mid-job
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory_limit = min(memory_limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    _memory_limit = memory_limit
    out_fd = os.dup(1)
    os.dup2(2, 1)  # a library that prints must not corrupt the protocol
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    if handler is None:
        import lxml.etree  # noqa: F401 - warm imports: the first file should not pay for them
        import openpyxl  # noqa: F401
        import pypdf  # noqa: F401
    _write_all(out_fd, struct.pack("<I", 0))  # ready: a job's wall time starts after our imports
    in_fd = sys.stdin.fileno()
    while True:
        try:
            hlen, blen = struct.unpack("<II", _read_exact(in_fd, 8))
            header = json.loads(_read_exact(in_fd, hlen))
            body = _read_exact(in_fd, blen)
        except (EOFError, OSError):
            return
        if handler is not None:
            result = handler(header, body)
            del body
            recycle = _rss() > RECYCLE_RSS or bool(result.get("recycle"))
        else:
            try:
                doc = read_document(body, header.get("name") or "", header.get("content_type"),
                                    segments=bool(header.get("segments")))
            except MemoryError:
                doc = _skipped("unknown", _memory_message())
            del body
            result = doc.to_json()
            recycle = _rss() > RECYCLE_RSS or doc.limit is not None
        result["recycle"] = recycle
        data = json.dumps(result).encode("ascii")
        try:
            _write_all(out_fd, struct.pack("<I", len(data)) + data)
        except OSError:
            return
        if recycle:  # a fragmented heap or one near its limit: start afresh
            return


_DOCUMENTS_ENTRY = "import crawler.extract.documents as d; d._serve({limit})"


class _Worker:
    def __init__(self, memory_limit: int, entry: str = _DOCUMENTS_ENTRY) -> None:
        env = dict(os.environ, MALLOC_ARENA_MAX="2", PYTHONDONTWRITEBYTECODE="1")
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the source tree
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", entry.format(limit=int(memory_limit))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env, close_fds=True)
        if self.proc.stdin is None or self.proc.stdout is None:  # never with PIPE; narrows the types
            raise OSError("worker pipes not opened")
        self.stdin: IO[bytes] = self.proc.stdin
        self.stdout: IO[bytes] = self.proc.stdout
        os.set_blocking(self.stdin.fileno(), False)
        self.jobs = 0
        self.ready = False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, header: dict, body: bytes, timeout: float) -> dict:
        fd = self.stdout.fileno()
        if not self.ready:  # a worker that cannot even start within this is broken, not slow
            _read_exact(fd, 4, time.monotonic() + STARTUP_TIMEOUT)
            self.ready = True
        deadline = time.monotonic() + timeout
        h = json.dumps(header).encode("utf-8")
        _write_all(self.stdin.fileno(), struct.pack("<II", len(h), len(body)) + h + body, deadline)
        (n,) = struct.unpack("<I", _read_exact(fd, 4, deadline))
        self.jobs += 1
        return json.loads(_read_exact(fd, n, deadline))

    def close(self, kill: bool = False) -> None:
        proc = self.proc
        if proc.poll() is None:
            if kill:
                proc.kill()
            else:
                try:
                    self.stdin.close()
                except OSError:
                    pass
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=None if kill else 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class WorkerFailed(Exception):
    """A worker ran past its time limit or died on a job (the message says which, in Chinese)."""


class DocumentPool:
    """Persistent worker processes that read documents under the memory and wall-time limits.

    ``read()`` blocks its calling thread (call it from a thread pool, never the reactor); up to
    ``size`` documents are read at once. A worker that runs past ``timeout`` or dies is killed and
    replaced, and the file comes back as skipped (``DocText.limit``). With another ``entry`` the same
    workers, limits and :meth:`call` serve other jobs (the crawl's page workers, ``crawler.extract.page_pool``)."""

    def __init__(self, size: int = 1, *, timeout: float = HARD_TIMEOUT, memory_limit: int = MEMORY_LIMIT,
                 entry: str = _DOCUMENTS_ENTRY) -> None:
        self.size = size
        self.entry = entry  # the worker's program (``python -c``), its memory limit formatted in
        self.timeout = timeout
        self.memory_limit = memory_limit
        self._idle: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._closed = False
        for _ in range(size):
            self._idle.put(None)  # a slot; its worker starts on first use (or start())
        self.started = 0  # worker processes started (replacements included)

    def start(self) -> None:
        """Start the workers now, so their imports overlap with the crawl's first requests."""
        slots = [self._idle.get() for _ in range(self.size)]
        for w in slots:
            self._idle.put(w if w is not None and w.alive() else self._spawn())

    def _spawn(self) -> _Worker:
        w = _Worker(self.memory_limit, self.entry)
        with self._lock:
            self._workers.add(w)
            self.started += 1
        return w

    def _retire(self, w: _Worker, kill: bool) -> None:
        with self._lock:
            self._workers.discard(w)
        w.close(kill=kill)

    def read(self, body: bytes, name: str = "", content_type: str | None = None, *,
             segments: bool = False) -> DocText:
        if self._closed:
            raise RuntimeError("DocumentPool is closed")
        if len(body) > MAX_BYTES:  # not worth a trip to the worker
            return _skipped(detect_format(body[:8], name, content_type), f"文件 {_mb(len(body))}，上限 {_mb(MAX_BYTES)}")
        header = {"name": name[:500], "content_type": (content_type or "")[:200], "segments": segments}
        try:
            return DocText.from_json(self.call(header, body))
        except WorkerFailed as exc:
            return _skipped("unknown", str(exc))

    def call(self, header: dict, body: bytes) -> dict:
        """One job in an idle worker (blocking): its JSON answer, or :class:`WorkerFailed` when the worker ran
        past the time limit or died on it (it is replaced either way)."""
        if self._closed:
            raise RuntimeError("DocumentPool is closed")
        w = self._idle.get()
        try:
            for attempt in (1, 2):
                if w is None or not w.alive():
                    if w is not None:
                        self._retire(w, kill=True)
                    w = self._spawn()
                fresh = w.jobs == 0
                try:
                    result = w.call(header, body, self.timeout)
                except TimeoutError:
                    self._retire(w, kill=True)
                    w = None
                    raise WorkerFailed(f"解析超过 {self.timeout:.0f} 秒上限") from None
                except (EOFError, OSError, ValueError):
                    self._retire(w, kill=True)
                    w = None
                    if fresh or attempt == 2:  # it died on this file, not of old age
                        raise WorkerFailed("解析进程异常退出（可能超过内存上限）") from None
                    continue
                if result.pop("recycle", False):
                    self._retire(w, kill=False)
                    w = None
                return result
            raise WorkerFailed("解析进程异常退出")
        finally:
            self._idle.put(w)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.close()


_shared: DocumentPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> DocumentPool:
    """One worker for synchronous callers (the personal-data checks, ``xxgk inspect``, tests)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared._closed:
            import atexit

            _shared = DocumentPool(1)
            atexit.register(_shared.close)
        return _shared


def read(body: bytes, name: str = "", content_type: str | None = None, *, segments: bool = False) -> DocText:
    """Read one document in the shared worker (blocking)."""
    return shared_pool().read(body, name, content_type, segments=segments)
