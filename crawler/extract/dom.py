"""Parsing and element helpers shared by the extraction modules.

The page is parsed once with lxml and flattened into *blocks*: the text of each block-level
element in document order, with how much of it is link text. Per-page memo tables live in
``caches`` and are emptied after each ``extract()``.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from crawler.extract import dates as D

_local = threading.local()
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _parser() -> lxml.html.HTMLParser:
    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, recover=True)
    return p


def parse_html(text: str) -> HtmlElement | None:
    text = _CTRL_RE.sub(" ", _XML_DECL_RE.sub("", text, count=1))
    if not text.strip():
        return None
    try:
        root = lxml.html.document_fromstring(text, parser=_parser())
    except (etree.ParserError, ValueError):
        return None
    return root


BLOCK_TAGS = frozenset("""p div li ul ol dl dt dd table tbody thead tfoot tr td th h1 h2 h3 h4 h5 h6 section article
aside header footer nav main form fieldset blockquote pre address center figure figcaption hr caption details
summary body html marquee menu legend""".split())
SKIP_TAGS = frozenset("script style noscript template select option textarea iframe object embed svg head "
                      "button map".split())
SEP_TAGS = frozenset("span a font em strong b i u label small big strike s sup sub cite abbr time ins".split())
WS_RE = re.compile(r"\s+")


@dataclass
class Block:
    text: str          # display text (inline boundaries removed, spaces collapsed)
    search: str        # normalised text with inline boundaries as spaces (for dates/labels)
    el: HtmlElement    # owning block element
    link_chars: int
    index: int = 0


def flatten_blocks(body: HtmlElement) -> list[Block]:
    blocks: list[Block] = []
    parts: list[tuple[str, bool]] = []
    owners = [body]
    link_depth = 0

    def flush() -> None:
        if not parts:
            return
        raw = "".join(p for p, _ in parts)
        link_chars = sum(len(p.strip()) for p, in_link in parts if in_link)
        parts.clear()
        text = WS_RE.sub(" ", raw.replace("\x1f", "")).strip()
        if not text:
            return
        search = WS_RE.sub(" ", D.normalize(raw.replace("\x1f", " "))).strip()
        blocks.append(Block(text, search, owners[-1], min(link_chars, len(text)), len(blocks)))

    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            if event == "end" and el.tail:
                parts.append((el.tail, link_depth > 0))
            continue
        tag = tag.lower()
        if event == "start":
            if tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                flush()
                owners.append(el)
            elif tag == "br":
                flush()
            elif tag in SEP_TAGS:
                parts.append(("\x1f", False))
            if tag == "a":
                link_depth += 1
            if el.text:
                parts.append((el.text, link_depth > 0))
        else:
            if tag in SKIP_TAGS:
                pass
            elif tag in BLOCK_TAGS:
                flush()
                if len(owners) > 1:
                    owners.pop()
            elif tag in SEP_TAGS:
                parts.append(("\x1f", False))
            if tag == "a" and link_depth:
                link_depth -= 1
            if el.tail and el is not body:
                parts.append((el.tail, link_depth > 0))
    flush()
    return blocks


class _Caches(threading.local):
    """Per-extract() memo tables (element -> tokens/text, href -> URL); emptied after each page."""

    def __init__(self) -> None:
        self.tokens: dict[Any, set[str]] = {}
        self.text: dict[Any, str] = {}
        self.urls: dict[tuple[str, str], str | None] = {}

    def clear(self) -> None:
        self.tokens.clear()
        self.text.clear()
        self.urls.clear()


caches = _Caches()


def text_of(el: HtmlElement) -> str:
    """Visible text of one element (scripts skipped), spaces collapsed."""
    cached = caches.text.get(el)
    if cached is None:
        cached = caches.text[el] = _text_of_uncached(el)
    return cached


def _text_of_uncached(el: HtmlElement) -> str:
    out: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag.lower() in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag.lower() in BLOCK_TAGS or tag.lower() == "br":
                out.append(" ")
            if node.text and tag.lower() not in SKIP_TAGS:
                out.append(node.text)
        elif node is not el and node.tail:
            out.append(node.tail)
    return WS_RE.sub(" ", "".join(out)).strip()


def abs_url(base: str, href: str | None) -> str | None:
    if not href:
        return None
    key = (base, href)
    if key in caches.urls:
        return caches.urls[key]
    url = caches.urls[key] = _abs_url_uncached(base, href)
    return url


_ORIGIN_RE = re.compile(r"^(https?://[^/?#]+)", re.I)
_ABS_RE = re.compile(r"^(https?://[^/?#]+)([^#]*)", re.I)


def _abs_url_uncached(base: str, href: str) -> str | None:
    # fast paths for the two shapes that make up almost every link on CMS pages
    h = href.strip()
    if h.startswith("/") and not h.startswith("//") and "/." not in h and "\\" not in h and " " not in h:
        m = _ORIGIN_RE.match(base)
        if m:
            return m.group(1) + h.split("#", 1)[0]
    elif h[:7].lower() == "http://" or h[:8].lower() == "https://":
        m = _ABS_RE.match(h)
        if m and "/." not in m.group(2) and " " not in h and "\\" not in h:
            rest = m.group(2)
            if not rest.startswith("/"):
                rest = "/" + rest
            return m.group(1) + rest
    return _abs_url_slow(base, href)


def _abs_url_slow(base: str, href: str) -> str | None:
    href = href.strip().replace("\\", "/")
    if not href or href.startswith("#"):
        return None
    low = href[:11].lower()
    if low.startswith(("javascript:", "mailto:", "tel:", "data:", "about:", "sms:", "vbscript:")):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https", "ftp", "file"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def header_value(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    lname = name.lower()
    for k, v in headers.items():
        key = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if key.lower() == lname:
            if isinstance(v, (list, tuple)):
                v = v[0] if v else None
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            return v
    return None


def clean_title(text: str | None) -> str | None:
    if not text:
        return None
    text = WS_RE.sub(" ", text).strip().strip("·•●■◆▪►>»").strip()
    return text or None


# a compiled selector, or False for one that does not compile (remembered so it is not retried)
_CSS_CACHE: dict[str, Callable[[Any], Any] | Literal[False]] = {}


def css_select(root: HtmlElement, expr: str) -> list[HtmlElement]:
    """CSS or XPath selection with compiled expressions cached per process."""
    xp: Callable[[Any], Any] | Literal[False] | None = _CSS_CACHE.get(expr)
    if xp is None:
        try:
            if expr.lstrip().startswith(("/", "(", "./")):
                xp = etree.XPath(expr)
            else:
                from lxml.cssselect import CSSSelector
                xp = CSSSelector(expr)
        except Exception:  # a bad selector in the config must not break the crawl
            xp = False
        _CSS_CACHE[expr] = xp
    if xp is False:
        return []
    try:
        found = xp(root)
    except Exception:
        return []
    # elements only (an XPath may also give strings); the parser keeps no comments, so all are HtmlElement
    return [f for f in found if isinstance(f, HtmlElement)] if isinstance(found, list) else []


def meta_content(root: HtmlElement, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or "").strip().lower()
        content = m.get("content") or ""
        if key in wanted and content.strip():
            return WS_RE.sub(" ", content).strip()
    return None
