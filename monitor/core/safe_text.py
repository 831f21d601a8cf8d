"""Crawled text made safe for where it is shown: spreadsheet cells, Markdown, links, XML documents.

Titles, names, excerpts and URLs come from sites we do not control (docs/security.md, "Reports and
exports"). One module holds the rules so the dashboard's CSV/XLSX exports, the annual report's four
renderings and the notifications cannot drift apart. Pure functions, standard library only: the
crawler imports the caps too.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"
# A real page title is 20-60 characters and the longest notice titles stay under ~150 (the extraction
# corpus tops out at 27); 200 keeps every real one whole and stops a page from storing 400,000.
TITLE_MAX = 200
EXCERPT_MAX = 300        # a reason, finding or error message quoted in a report or a notification
URL_TEXT_MAX = 500       # a URL shown as text (the link target itself is never cut)
CELL_MAX = 32767         # Excel refuses longer cell text ("repair" dialog)
HYPERLINK_MAX = 2000     # Excel drops cell hyperlinks longer than 2079 characters

# XML 1.0 cannot hold these (openpyxl and python-docx raise on them); C1 controls are mojibake
# residue; bidi overrides make a title read differently from what it is ("Trojan source").
_BAD_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                           "\u202a-\u202e\u2066-\u2069]")
_BREAKS_RE = re.compile("[\t\n\v\f\r\x85\u2028\u2029]+")


def truncate(text: str, limit: int | None) -> str:
    """At most ``limit`` characters, the last one an ellipsis when something was cut."""
    if limit is None or len(text) <= limit:
        return text
    return text[:max(limit - 1, 0)].rstrip() + ELLIPSIS


def clean(value: Any, limit: int | None = None) -> str:
    """Text without characters XML cannot store or that disguise it, capped; None is ''."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > 4 * limit:
        text = text[:4 * limit]   # cheap pre-cut: a 400,000-character title is not scanned whole
    return truncate(_BAD_CHARS_RE.sub("", text), limit)


def one_line(value: Any, limit: int | None = None) -> str:
    """:func:`clean`, with line breaks and tabs as single spaces (a label in a table row or list line)."""
    text = _BREAKS_RE.sub(" ", clean(value, None if limit is None else 4 * limit)).strip()
    return truncate(text, limit)


# --------------------------------------------------------------------------- spreadsheets

FORMULA_STARTS = ("=", "+", "-", "@")


def formula_like(value: Any) -> bool:
    """True when Excel, LibreOffice or Sheets could read the text as a formula: it starts with
    = + - @, or with a tab/CR/LF, or with whitespace before one of those (spreadsheets trim it on import)."""
    if not isinstance(value, str) or not value:
        return False
    return value[0] in "\t\r\n" or value.lstrip()[:1] in FORMULA_STARTS


def sheet_value(value: Any) -> Any:
    """A value for a typeless spreadsheet (CSV, or a writer that infers types): formula-like text
    gets a leading apostrophe.

    Why a quote prefix here and not escaping: CSV has no cell types, and the apostrophe is the one
    marker every spreadsheet treats as "this is text"; escaping (a full-width ＝, a zero-width space)
    would silently change the evidence, so searching for the real title would no longer find it.
    Where the format has types (the report's XLSX) use :func:`set_text_cell` instead, which keeps
    the text exactly as crawled.
    """
    if not isinstance(value, str):
        return value
    text = clean(value, CELL_MAX)
    return "'" + text if formula_like(text) else text


def set_text_cell(cell: Any, value: Any) -> None:
    """Write ``value`` into an openpyxl cell; text is always a string cell (data_type 's').

    openpyxl turns any str starting with '=' into a live formula. The cell is typed as text instead,
    so the visible text stays exactly the crawled one (no apostrophe shows); formula-like text also
    gets Excel's quotePrefix flag, so it stays text when somebody edits the cell and presses Enter.
    """
    if not isinstance(value, str):
        cell.value = value
        return
    text = clean(value, CELL_MAX)
    cell.value = text
    cell.data_type = "s"
    if formula_like(text):
        cell.quotePrefix = True


# --------------------------------------------------------------------------- links

SAFE_SCHEMES = ("http", "https")
_URL_CONTROL_RE = re.compile("[\x00-\x1f\x7f]")


def safe_url(url: Any) -> str | None:
    """The URL when it may be a link target: http(s) with a host, no control characters (a
    ``javascript:``, ``data:``, ``file:`` or UNC target is shown as text, never linked)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or _URL_CONTROL_RE.search(url) or _BAD_CHARS_RE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    # Characters no URL may contain raw (RFC 3986) but pages still write; attribute and link syntax
    # breaks on them. Browsers send the percent-encoded form anyway, so the address is the same.
    return _percent(_URL_ESCAPE_RE, url)


def md_url(url: Any) -> str | None:
    """:func:`safe_url` for a Markdown link destination: parentheses encoded too (they end it)."""
    target = safe_url(url)
    return _percent(_MD_URL_ESCAPE_RE, target) if target else None


_URL_ESCAPE_RE = re.compile(r"[\s\"<>\\^`{|}]")
_MD_URL_ESCAPE_RE = re.compile(r"[()]")


def _percent(pattern: re.Pattern, url: str) -> str:
    return pattern.sub(lambda m: quote(m.group(0), safe=""), url)


# --------------------------------------------------------------------------- Markdown

# Only what lets text become markup: a backslash (breaks our escapes), backticks (code spans),
# [ ] (links, images, reference definitions), | (table cells) take a backslash; < (raw HTML,
# autolinks) and & before an entity become entities, because Python-Markdown without extensions
# does not honour "\<" while every Markdown flavour passes "&lt;" through as text. * and _ are left
# alone: they can only turn text italic, and masked figures such as 138****5678 must read as they
# are in plain-text channels.
_MD_INLINE_RE = re.compile(r"[\\`\[\]|<]|&(?=#?\w{1,32};)")
_MD_ENTITIES = {"<": "&lt;", "&": "&amp;"}
# Markers that only mean something at the start of a line (headings, quotes, lists, rules).
_MD_BLOCK_START_RE = re.compile(r"^(?:#|>|[-+*](?=\s|$)|\d{1,9}(?=[.)](?:\s|$))|=+\s*$|-+\s*$)")


def md_inline(value: Any, limit: int | None = None) -> str:
    """Text for a Markdown line or table cell: one line, capped, every markup character escaped."""
    return _MD_INLINE_RE.sub(_md_escape, one_line(value, limit))


def _md_escape(m: re.Match) -> str:
    ch = m.group(0)
    return _MD_ENTITIES.get(ch) or "\\" + ch


def md_block(value: Any, limit: int | None = None) -> str:
    """:func:`md_inline` for text that starts a line (a paragraph): a leading # > - + 1. is literal."""
    text = md_inline(value, limit)
    m = _MD_BLOCK_START_RE.match(text)
    if not m:
        return text
    if m.group(0)[:1].isdigit():   # "2019. …" — escape the dot, not the number
        end = m.end()
        return text[:end] + "\\" + text[end:]
    return "\\" + text


def md_link(url: Any, text: Any = None, limit: int | None = TITLE_MAX) -> str:
    """``[text](url)`` for a safe http(s) URL, else the escaped text alone (no link)."""
    shown = md_inline(text, limit) if text else md_inline(url, URL_TEXT_MAX)
    target = md_url(url)
    return f"[{shown}]({target})" if target else shown
