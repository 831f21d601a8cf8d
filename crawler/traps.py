"""Crawler-trap detection that leaves real sites alone.

Old ASP/JSP sites serve every article through one script (``news_show.asp?id=12345``), so "many
query strings on one path" is normal. What is not normal is a parameter or path segment that walks
through dates (endless calendars: ``?date=2019-10-15`` → next day → …) or URLs that keep growing.
So: variants whose only difference is a date-like value are capped low (``max_calendar_variants``);
other query variants of one (path, parameter names) shape are capped high (``max_query_variants``).
"""
from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import parse_qsl, urlsplit

_DATE_TOKEN = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?:[-_/.]?(?:0?[1-9]|1[0-2])(?:[-_/.]?(?:0?[1-9]|[12]\d|3[01]))?)(?!\d)")
_REPEAT_SEGMENTS = re.compile(r"(/[^/]+)(?:/[^/]+)?\1(?:/[^/]+)?\1(?:/|$)")
MAX_URL_LENGTH = 600


class TrapGuard:
    def __init__(self, max_query_variants: int = 5000, max_calendar_variants: int = 40) -> None:
        self.max_query_variants = max_query_variants
        self.max_calendar_variants = max_calendar_variants
        self._shapes: dict[tuple, set[str]] = defaultdict(set)
        self._calendars: dict[tuple, set[str]] = defaultdict(set)

    def check(self, url: str) -> str | None:
        """None if the URL may be fetched, else why it looks like a trap (and it is not counted)."""
        if len(url) > MAX_URL_LENGTH:
            return "URL 过长"
        parts = urlsplit(url)
        if _REPEAT_SEGMENTS.search(parts.path):
            return "路径片段循环重复"
        params = parse_qsl(parts.query, keep_blank_values=True)
        names = [k for k, _ in params]
        if len(names) != len(set(names)):
            return "查询参数重复"
        # Calendar shape: the URL with date-like tokens blanked out; its variants are the dates.
        dates = _DATE_TOKEN.findall(parts.path) + [v for _, v in params if _DATE_TOKEN.search(v)]
        if dates:
            calendar = (parts.netloc, _DATE_TOKEN.sub("{d}", parts.path),
                        tuple((k, _DATE_TOKEN.sub("{d}", v)) for k, v in sorted(params)))
            seen = self._calendars[calendar]
            key = "|".join(dates)
            if key not in seen and len(seen) >= self.max_calendar_variants:
                return f"日期参数无限翻页（{parts.path}）"
            seen.add(key)
        if params:
            shape = (parts.netloc, parts.path, tuple(sorted(names)))
            seen = self._shapes[shape]
            if parts.query not in seen and len(seen) >= self.max_query_variants:
                return f"同一地址的查询参数变体过多（{parts.path}）"
            seen.add(parts.query)
        return None
