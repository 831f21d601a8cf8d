"""Decode HTML bytes to text: BOM, header charset, ``<meta>`` charset, then detection.

Chinese sites often lie: a server may announce ``utf-8`` for a GBK page, or ``gb2312`` for a page
that was re-saved as UTF-8. A declared charset is therefore only accepted when the bytes decode
cleanly with it; otherwise the next source is tried. GB2312/GBK are always decoded as GB18030 (a
strict superset, so rare characters in names do not break decoding).
"""
from __future__ import annotations

import codecs
import re

_HEADER_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_DECL_RE = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.I)

_GB_FAMILY = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "ms936", "euc-cn", "hz-gb-2312",
              "gb_2312", "csgb2312", "x-euc-cn", "chinese", "iso-ir-58", "windows-936"}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# How many U+FFFD per character we tolerate before calling a UTF-8 decode broken (a truncated
# multi-byte sequence at a cut-off body is normal; a GBK page decoded as UTF-8 is not).
_MAX_REPLACEMENT_RATIO = 0.002


def normalize_encoding(name: str | None) -> str | None:
    """Canonical Python codec name, GB family mapped to ``gb18030``; None when unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    if name in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    if name in ("big5", "big5-hkscs", "x-x-big5", "cn-big5"):
        return "big5hkscs"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    if codec in ("gbk", "gb2312", "hz"):
        return "gb18030"
    # Pages that claim Latin-1 are almost always Windows-1252 (browsers do the same).
    if codec in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return codec


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET_RE.search(content_type)
    return normalize_encoding(m.group(1)) if m else None


def meta_charset(body: bytes) -> str | None:
    """Charset from ``<meta charset>`` / http-equiv / XML declaration in the first 8 KB."""
    head = body[:8192]
    m = _META_CHARSET_RE.search(head) or _XML_DECL_RE.search(head)
    return normalize_encoding(m.group(1).decode("ascii", "ignore")) if m else None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _lenient_utf8(body: bytes) -> str | None:
    """UTF-8 with a few bad bytes (cut-off body, one broken character) is still UTF-8."""
    text = body.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    if bad <= 2 or bad / max(len(text), 1) <= _MAX_REPLACEMENT_RATIO:
        return text
    return None


def _has_non_ascii(body: bytes) -> bool:
    return not body.isascii()


def _detect(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - dependency is declared
        return None
    best = from_bytes(body[:200_000], cp_isolation=["utf_8", "gb18030", "big5", "cp1252", "shift_jis"]).best()
    return normalize_encoding(best.encoding) if best is not None else None


def decode_html(body: bytes, header_content_type: str | None) -> tuple[str, str]:
    """Decode an HTML body; returns ``(text, encoding used)``.

    Order: BOM, header charset, meta charset, UTF-8, GB18030, charset-normalizer. A declared
    charset that does not decode the bytes cleanly is skipped (the header is often wrong).
    """
    if isinstance(body, str):  # already text: nothing to do
        return body, "utf-8"
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(enc, "replace"), enc
    if not _has_non_ascii(body):
        return body.decode("ascii"), header_charset(header_content_type) or meta_charset(body) or "utf-8"

    declared = [e for e in (header_charset(header_content_type), meta_charset(body)) if e]
    # "ISO-8859-1" is the default of misconfigured servers, and any byte string decodes as it:
    # on a Chinese site it is the last resort, after the page's own <meta> and GB18030.
    western = [e for e in declared if e == "cp1252"]
    declared = [e for e in declared if e != "cp1252"]
    if western and "gb18030" not in declared:
        declared.append("gb18030")
    declared += western
    # Valid multi-byte UTF-8 is almost never accidental: GBK text is not valid UTF-8, but GB18030
    # happily "decodes" UTF-8 bytes into nonsense. So a clean UTF-8 decode beats a GB declaration.
    utf8 = _strict(body, "utf-8")
    if utf8 is not None:
        return utf8, "utf-8"
    for enc in declared:
        if enc == "utf-8":
            text = _lenient_utf8(body)
        else:
            text = _strict(body, enc)
        if text is not None:
            return text, enc
    gb = _strict(body, "gb18030")
    if gb is not None:
        return gb, "gb18030"
    detected = _detect(body)
    if detected:
        text = _strict(body, detected)
        if text is not None:
            return text, detected
    # Nothing decodes cleanly: a damaged page. Prefer what the page said, then UTF-8.
    lenient = _lenient_utf8(body)
    if lenient is not None:
        return lenient, "utf-8"
    enc = declared[0] if declared else (detected or "gb18030")
    return body.decode(enc, "replace"), enc
