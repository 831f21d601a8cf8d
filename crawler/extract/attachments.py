"""Text and metadata from attachment files (PDF, DOCX, XLSX, PPTX; legacy DOC/XLS/WPS best-effort).

Many disclosure items are published mainly as a file behind a one-line article, so the file's
text is what matching and PII checks read. The reading itself is ``crawler.extract.documents``: one bounded
reader (inflated-size, ratio, member-count, cell, character, page/row, time and memory limits) that
runs in a worker process. This module keeps the crawler's names for it.
"""
from __future__ import annotations

from crawler.extract.documents import (  # noqa: F401 - re-exported
    MAX_BYTES,
    MAX_CHARS,
    MAX_PDF_PAGES,
    MAX_SHEET_ROWS,
    TIME_BUDGET,
    DocText,
    detect_format,
    strings_text,
)


def extract_text(body: bytes, name: str = "", content_type: str | None = None) -> DocText:
    """Text + metadata of one file, read in the shared worker process; never raises (a broken
    file gets ``error`` set, a file past a limit ``limit`` as well)."""
    from crawler.extract.documents import read

    return read(body, name, content_type)
