"""Entries of a list with their dates: month-day rows (``[10-31]``) get their year from the entry
URL, its year folder, a year heading, the page URL, the neighbouring rows, else the latest past year.
"""
from __future__ import annotations

from datetime import date

from crawler.extract import dates as D
from crawler.extract.lists import Row, heading_year, year_headings
from crawler.extract.page import Page
from crawler.extract.records import Entry


def _url_years(rows: list[Row], today: date) -> list[int | None]:
    """Years named by entry URLs (``/content/2017/…``) - dropped for the whole list when they cannot be years
    (a month-day in the future, or one constant 'year' over rows that wrap past New Year)."""
    years = [D.url_year(r.url, today) if r.md and r.date is None else None for r in rows]
    pairs = [(y, r.md) for y, r in zip(years, rows) if y is not None and r.md]
    if not pairs:
        return years
    if any(D.make_date(y, md[0], md[1], today) is None for y, md in pairs):
        return [None] * len(rows)
    if len({y for y, _ in pairs}) == 1 and any(b[1] > a[1] for a, b in zip(pairs, pairs[1:])):
        return [None] * len(rows)
    return years


def _resolve_rows(rows: list[Row], page: Page) -> None:
    """Give month-day rows a year: the entry URL's date or year folder, a year heading over the rows, the
    page URL's year; else the neighbouring dated rows (newest first), else the last such day up to today."""
    today = page.today
    if not any(r.md and r.date is None for r in rows):
        return
    url_years = _url_years(rows, today)
    headings = year_headings(page)
    page_year = D.url_year(page.url, today)
    for r, uy in zip(rows, url_years):
        if not (r.md and r.date is None):
            continue
        u = D.url_date(r.url, today)
        if u:
            r.date = D.resolve_year(r.md[0], r.md[1], anchor=u, before_anchor=False, today=today)
        for year in (uy, heading_year(page, headings, r.el) if headings else None, page_year):
            if r.date is None and year:
                r.date = D.make_date(year, r.md[0], r.md[1], today)
        if r.date:
            r.source = "list"
    prev: date | None = None
    for i, r in enumerate(rows):
        if r.md and r.date is None:
            if prev is not None:
                r.date = D.resolve_year(r.md[0], r.md[1], anchor=prev, before_anchor=True, today=today)
            else:
                nxt = next((x.date for x in rows[i + 1:] if x.date and x.source == "list"), None)
                if nxt is not None:
                    r.date = D.resolve_year(r.md[0], r.md[1], anchor=nxt, before_anchor=False, today=today)
                else:
                    r.date = D.resolve_year(r.md[0], r.md[1], anchor=None, before_anchor=True, today=today)
            if r.date:
                r.source = "list"
        if r.date and r.source == "list":
            prev = r.date


def make_entries(rows: list[Row], page: Page) -> list[Entry]:
    """The list's entries, in page order, once per URL: the row's date, else the date in the entry URL."""
    today = page.today
    _resolve_rows(rows, page)
    out: list[Entry] = []
    seen: set[str] = set()
    for r in rows:
        if r.url in seen:
            continue
        seen.add(r.url)
        value, source = r.date, r.source
        if value is None:
            value = D.url_date(r.url, today)
            source = "url" if value else None
        out.append(Entry(r.title, r.url, D.iso(value), source))
    return out
