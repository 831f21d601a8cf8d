"""Column rows that the page carries as data for its own script (``var listData = {articleList: [...]}``).

Newer government and university CMS templates (Hanweb, VSB/WebPlus "jsdata", Vue pages) ship an empty
list container and fill it in the browser from a JSON array embedded in an inline script; a person
sees the rows, a plain fetch sees none. Such an array is read here: a list of objects, each with a
title (Chinese text), a link to a page of the same site and a publication date. Menus and channel
trees (no dates) and arrays of numbers or settings are not rows. Also says when a page loads its
rows by script from elsewhere (``fetch``/``$.ajax``/``XMLHttpRequest``) and holds an empty list box:
that page needs a browser (crawl.render).
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Iterator
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from crawler.extract import dates as D
from crawler.extract.records import Entry

MAX_SCRIPT_CHARS = 2_000_000      # a page's inline data read at most (the rest is left alone)
MAX_ROWS = 500
_ARRAY_START_RE = re.compile(r"\[\s*\{")
_TAG_RE = re.compile(r"<[^>]+>")
_TITLE_KEYS = ("title", "showtitle", "name", "bt", "wjmc", "articletitle", "doctitle", "subject", "text")
_DATE_KEYS = ("pubdate", "publishdate", "publishtime", "pubtime", "releasetime", "releasedate", "date", "time",
              "createtime", "createdate", "fbsj", "fbrq", "docdate", "created", "publish_date", "pub_date")
_URL_KEYS = ("url", "urls", "link", "href", "path", "docurl", "linkurl", "articleurl", "pageurl", "uri")
_DATA_SCRIPT_TYPES = ("", "text/javascript", "application/javascript", "application/json", "module")
_LOADER_RE = re.compile(r"\bfetch\s*\(|\$\.(?:ajax|get|post|getJSON)\s*\(|XMLHttpRequest|axios\.|\.load\s*\(\s*['\"]")


def _scripts(root: HtmlElement) -> list[str]:
    out, total = [], 0
    for s in root.iter("script"):
        if (s.get("type") or "").strip().lower() not in _DATA_SCRIPT_TYPES or s.get("src"):
            continue
        text = s.text or ""
        if total + len(text) > MAX_SCRIPT_CHARS:
            break
        total += len(text)
        out.append(text)
    return out


def _arrays(text: str) -> Iterator[list]:
    """Every JSON array of objects in a script, outermost first (inner arrays of a parsed one are skipped)."""
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        m = _ARRAY_START_RE.search(text, pos)
        if not m:
            return
        try:
            value, end = decoder.raw_decode(text, m.start())
        except ValueError:
            pos = m.start() + 1
            continue
        if isinstance(value, list):
            yield value
        pos = end


def _key(obj: dict, names: tuple[str, ...]) -> str | None:
    lowered = {k.lower(): k for k in obj if isinstance(k, str)}
    for n in names:
        if n in lowered:
            return lowered[n]
    return None


def _date(value: object, today: date | None) -> date | None:
    if isinstance(value, (int, float)) and 1e11 < value < 1e14:   # milliseconds since the epoch
        # shown in China's local time, as the page would
        return datetime.fromtimestamp(value / 1000 + 8 * 3600, tz=timezone.utc).date()
    if isinstance(value, str):
        return D.parse_machine_date(value.strip()[:40], today) or D.first_date(value[:40], today)
    return None


def _url(value: object, base: str) -> str | None:
    if isinstance(value, str) and value.strip().startswith("{"):
        try:   # Hanweb: "urls": "{\"pc\":\"/col/…/content_1.html\"}"
            inner = json.loads(value)
        except ValueError:
            return None
        value = next((v for v in inner.values() if isinstance(v, str) and v), None) if isinstance(inner, dict) else None
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, str) and v), None)
    if not isinstance(value, str) or not value.strip() or value.strip().lower().startswith(("javascript:", "#")):
        return None
    url = urljoin(base, value.strip())
    return url if urlsplit(url).scheme in ("http", "https", urlsplit(base).scheme) else None


def _title(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"\s+", " ", _TAG_RE.sub("", value)).strip()
    return text if 2 <= len(text) <= 300 and any("\u4e00" <= ch <= "\u9fff" for ch in text) else None


def script_rows(root: HtmlElement, base: str, today: date | None = None) -> list[Entry]:
    """The rows of the page's embedded list data (the biggest dated array on the page's own site)."""
    host = urlsplit(base).hostname
    best: list[Entry] = []
    for text in _scripts(root):
        for array in _arrays(text):
            objs = [o for o in array[:MAX_ROWS] if isinstance(o, dict)]
            if not objs:
                continue
            t_key, d_key, u_key = _key(objs[0], _TITLE_KEYS), _key(objs[0], _DATE_KEYS), _key(objs[0], _URL_KEYS)
            if not (t_key and d_key and u_key):
                continue
            rows, seen = [], set()
            for o in objs:
                title = _title(o.get(t_key))
                url = _url(o.get(u_key), base)
                day = _date(o.get(d_key), today)
                if not title or not url or url in seen or urlsplit(url).hostname != host:
                    continue
                seen.add(url)
                rows.append(Entry(title, url, D.iso(day), "list" if day else None))
            # most rows must be real dated rows, or this is some other structure
            if len(rows) > len(best) and sum(1 for r in rows if r.date) * 2 >= len(objs):
                best = rows
    return best


def loads_rows_by_script(root: HtmlElement) -> bool:
    """Whether an inline or linked script of the page loads data at run time (fetch, $.ajax, XHR …)."""
    return any(_LOADER_RE.search(t) for t in _scripts(root))
