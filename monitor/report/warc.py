"""Evidence archive for the annual report: WARC captures, attachment files, manifest, zip.

Every citation of the report (:class:`monitor.report.model.Citation`) whose page has a stored
snapshot is exported as a WARC ``response`` record (warcio) rebuilt from ``versions``: the
zlib ``snapshot`` is the payload, ``headers`` the HTTP headers, ``fetched_at`` the WARC-Date.
A ``metadata`` record next to it says which catalog items cite it. Attachment files (cited
files and files linked from cited pages) are also written as plain files under ``files/``.
``manifest.json``/``manifest.csv`` give URL, capture time and SHA-256 of every file and record,
so a reviewer can verify the pack without our software.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from monitor.core import clock
from monitor.core.safe_text import sheet_value
from monitor.report.model import AnnualReport
from monitor.store import decompress, history
from monitor.store.engine import Database

# The stored body is already decoded (no gzip/chunking): these headers would lie about it.
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}
# warcio writes "name: value\r\n" as given: a CR/LF in a crawled URL or header would forge records.
_HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_URL_BREAK_RE = re.compile(r"[\x00-\x20\x7f]")


def _warc_url(url: str) -> str:
    """A URL fit for a WARC header or a metadata line: whitespace and controls percent-encoded."""
    return _URL_BREAK_RE.sub(lambda m: quote(m.group(0), safe=""), url)


@dataclass
class Capture:
    """One archived snapshot (a versions row) and what cites it."""
    version_id: int
    url: str
    captured_at: str
    status: int
    content_type: str | None
    headers: list[tuple[str, str]]
    body: bytes
    page_kind: str | None
    citations: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    cited_urls: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _warc_date(fetched_at: str) -> str:
    """versions.fetched_at (clock time, ISO with offset) as a WARC-Date in UTC."""
    try:
        dt = datetime.fromisoformat(fetched_at.replace("Z", "+00:00"))
    except ValueError:
        return fetched_at
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=clock.timezone())
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_headers(raw: str | None) -> list[tuple[str, str]]:
    """versions.headers JSON: a mapping (values may be lists) or a list of pairs."""
    if not raw:
        return []
    try:
        data: Any = json.loads(raw)
    except (TypeError, ValueError):
        return []
    pairs: list[tuple[str, str]] = []
    items = data.items() if isinstance(data, dict) else data if isinstance(data, list) else []
    for entry in items:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            continue
        name, value = entry
        name = str(name).strip()
        if not _HEADER_NAME_RE.fullmatch(name):
            continue   # not an HTTP header name: it could only corrupt the record
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            pairs.append((name, _CONTROL_RE.sub(" ", str(v))))
    return pairs


def _load_capture(db: Database, version_id: int) -> Capture | None:
    r = history.capture(db, version_id)
    if r is None or r["snapshot"] is None:
        return None
    return Capture(version_id=r["id"], url=_warc_url(r["url"]), captured_at=r["fetched_at"],
                   status=r["status"] or 200,
                   content_type=r["content_type"], headers=parse_headers(r["headers"]),
                   body=decompress(r["snapshot"]) or b"", page_kind=r["kind"])


def _http_headers(cap: Capture) -> StatusAndHeaders:
    headers = [(k, v) for k, v in cap.headers if k.lower() not in _DROP_HEADERS]
    if cap.content_type and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", _CONTROL_RE.sub(" ", cap.content_type)))
    headers.append(("Content-Length", str(len(cap.body))))
    try:
        reason = HTTPStatus(cap.status).phrase
    except ValueError:
        reason = "Unknown"
    return StatusAndHeaders(f"{cap.status} {reason}", headers, protocol="HTTP/1.1")


def _safe_part(text: str) -> str:
    text = re.sub(r"[^\w.\-]+", "_", unquote(text), flags=re.UNICODE).strip(".")
    return text[:120] or "_"


def _host_key(url: str) -> str:
    return _safe_part(urlsplit(url).netloc.replace(":", "_")) or "local"


def _file_relpath(url: str) -> str:
    parts = urlsplit(url)
    segments = [_safe_part(s) for s in parts.path.split("/") if s] or ["index"]
    if parts.query:
        digest = hashlib.sha256(parts.query.encode()).hexdigest()[:8]
        segments[-1] = f"{segments[-1]}_{digest}"
    if sum(len(s) + 1 for s in segments) > 200:
        # a crawled path a hundred folders deep would exceed what file systems and unzip tools accept
        digest = hashlib.sha256(parts.path.encode()).hexdigest()[:16]
        segments = [f"{digest}_{segments[-1][-80:]}"]
    return "/".join(["files", _host_key(url), *segments])


def _linked_files(db: Database, page_ids: list[int]) -> list[tuple[int, int]]:
    """(citing page id, newest file version id) for attachments linked from cited pages."""
    if not page_ids:
        return []
    return [(pid, vid) for pid, vid in history.newest_file_versions(db, page_ids) if vid]


def collect_captures(db: Database, report: AnnualReport) -> list[Capture]:
    """Every snapshot the report relies on, each once, with the citations that use it."""
    captures: dict[int, Capture] = {}

    def add(version_id: int, citation: str | None, items: list[str], cited_url: str) -> None:
        cap = captures.get(version_id)
        if cap is None:
            cap = _load_capture(db, version_id)
            if cap is None:
                return
            captures[version_id] = cap
        if citation and citation not in cap.citations:
            cap.citations.append(citation)
        for i in items:
            if i not in cap.items:
                cap.items.append(i)
        cited_url = _warc_url(cited_url)
        if cited_url not in cap.cited_urls:
            cap.cited_urls.append(cited_url)

    page_citations: dict[int, tuple[str, list[str]]] = {}
    for c in report.citations:
        if c.version_id is None:
            continue
        add(c.version_id, c.id, c.items, c.url)
        pid = history.version_page_id(db, c.version_id)
        page_citations.setdefault(pid, (c.id, c.items))
    for pid, vid in _linked_files(db, list(page_citations)):
        cid, items = page_citations[pid]
        add(vid, cid, items, history.page_url(db, pid))
    return sorted(captures.values(), key=lambda c: (_host_key(c.url), c.url, c.version_id))


def export_evidence(db: Database, report: AnnualReport, dest: Path) -> list[dict]:
    """Write dest/evidence/<host>.warc.gz and dest/files/…; return the manifest's capture rows."""
    captures = collect_captures(db, report)
    by_host: dict[str, list[Capture]] = {}
    for cap in captures:
        by_host.setdefault(_host_key(cap.url), []).append(cap)
    out: list[dict] = []
    (dest / "evidence").mkdir(parents=True, exist_ok=True)
    for host, caps in by_host.items():
        rel = f"evidence/{host}.warc.gz"
        with open(dest / rel, "wb") as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
            writer.write_record(writer.create_warcinfo_record(f"{host}.warc.gz", {
                "software": "xxgk-monitor",
                "format": "WARC File Format 1.1",
                "description": f"{report.title} 证据存档（{host}）",
                "isPartOf": f"report-{report.year.label}",
            }))
            for cap in caps:
                record = writer.create_warc_record(
                    cap.url, "response", payload=BytesIO(cap.body), length=len(cap.body),
                    http_headers=_http_headers(cap),
                    warc_headers_dict={"WARC-Date": _warc_date(cap.captured_at)})
                writer.write_record(record)
                record_id = record.rec_headers.get_header("WARC-Record-ID")
                meta = (f"citations: {', '.join(cap.citations)}\n"
                        f"items: {', '.join(cap.items)}\n"
                        + "".join(f"cited-url: {u}\n" for u in cap.cited_urls)).encode("utf-8")
                writer.write_record(writer.create_warc_record(
                    cap.url, "metadata", payload=BytesIO(meta), length=len(meta),
                    warc_content_type="text/plain; charset=utf-8",
                    warc_headers_dict={"WARC-Date": _warc_date(cap.captured_at),
                                       "WARC-Concurrent-To": record_id}))
                row = {"path": rel, "record_id": record_id, "kind": "capture", "url": cap.url,
                       "captured_at": cap.captured_at, "sha256": hashlib.sha256(cap.body).hexdigest(),
                       "size": len(cap.body), "citations": cap.citations, "items": cap.items}
                out.append(row)
                if cap.page_kind == "attachment":
                    out.append(_write_file(dest, cap))
    return out


def _write_file(dest: Path, cap: Capture) -> dict:
    rel = _file_relpath(cap.url)
    target = dest / rel
    n = 1
    while target.exists() and target.read_bytes() != cap.body:
        n += 1
        rel = f"{_file_relpath(cap.url)}.{n}"
        target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(cap.body)
    return {"path": rel, "record_id": "", "kind": "file", "url": cap.url, "captured_at": cap.captured_at,
            "sha256": hashlib.sha256(cap.body).hexdigest(), "size": len(cap.body),
            "citations": cap.citations, "items": cap.items}


MANIFEST_FIELDS = ["path", "record_id", "kind", "url", "captured_at", "sha256", "size", "citations", "items"]


def write_manifest(dest: Path, report: AnnualReport, entries: list[dict]) -> list[Path]:
    """manifest.json + manifest.csv over every file in dest (except themselves) and every capture."""
    files = []
    listed = {e["path"] for e in entries if e["kind"] == "file"}
    for path in sorted(p for p in dest.rglob("*") if p.is_file()):
        rel = path.relative_to(dest).as_posix()
        if rel in ("manifest.json", "manifest.csv") or rel in listed:
            continue
        kind = "warc" if rel.startswith("evidence/") else "report"
        files.append({"path": rel, "record_id": "", "kind": kind, "url": "", "captured_at": "",
                      "sha256": sha256_file(path), "size": path.stat().st_size, "citations": [], "items": []})
    all_entries = files + entries
    doc = {"title": report.title, "school": report.school, "year": report.year.label,
           "period": [report.year.start.isoformat(), report.year.end.isoformat()], "as_of": report.as_of,
           "generated_at": report.generated_at, "hash": "sha256",
           "note": "kind=capture 的 sha256 为 WARC 记录中 HTTP 响应正文的哈希；其余为文件本身的哈希。",
           "entries": all_entries}
    json_path = dest / "manifest.json"
    json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    csv_path = dest / "manifest.csv"
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel opens it as UTF-8
        w = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
        w.writeheader()
        for e in all_entries:
            row = {**e, "citations": " ".join(e["citations"]), "items": " ".join(e["items"])}
            w.writerow({k: sheet_value(v) for k, v in row.items()})   # opened in Excel: never a formula
    return [json_path, csv_path]


def zip_dir(src: Path, zip_path: Path) -> Path:
    """Zip a staged pack; WARC files are already gzip-compressed so they are stored as is."""
    tmp = zip_path.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            rel = path.relative_to(src).as_posix()
            method = zipfile.ZIP_STORED if rel.endswith(".gz") else zipfile.ZIP_DEFLATED
            zf.write(path, rel, compress_type=method)
    tmp.replace(zip_path)
    return zip_path
