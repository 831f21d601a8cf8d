"""Independent status oracle: the rule semantics table of docs/architecture.md, implemented
from scratch (no import of monitor.rules / monitor.assess) so the ground truth can catch their bugs.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

import chinese_calendar


@dataclass
class Verdict:
    status: str             # ok|due_soon|overdue|missing|blank|undated
    due: date | None
    last_changed: date | None


def _mmdd(text: str) -> tuple[int, int]:
    m, d = str(text).split("-")
    return int(m), int(d)


def _on(year: int, mmdd: tuple[int, int]) -> date:
    m, d = mmdd
    last = calendar.monthrange(year, m)[1]
    return date(year, m, min(d, last))


def _day_after(mmdd: tuple[int, int]) -> tuple[int, int]:
    nxt = _on(2001, mmdd) + timedelta(days=1)   # a non-leap year: 02-28 → 03-01
    return nxt.month, nxt.day


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def add_every(d: date, every: str) -> date:
    m = re.fullmatch(r"\s*(\d+)\s*([dwmy])\s*", str(every))
    if not m:
        raise ValueError(f"bad period {every!r}")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "d":
        return d + timedelta(days=n)
    if unit == "w":
        return d + timedelta(weeks=n)
    return add_months(d, n if unit == "m" else 12 * n)


def add_working_days(d: date, n: int) -> date:
    cur = d
    while n > 0:
        cur += timedelta(days=1)
        if chinese_calendar.is_workday(cur):
            n -= 1
    return cur


def _latest_on_or_before(mmdd: tuple[int, int], limit: date, strict: bool) -> date:
    for year in (limit.year, limit.year - 1, limit.year - 2):
        d = _on(year, mmdd)
        if d < limit or (not strict and d == limit):
            return d
    raise AssertionError("unreachable")


def _next_on_or_after(mmdd: tuple[int, int], limit: date) -> date:
    d = _on(limit.year, mmdd)
    return d if d >= limit else _on(limit.year + 1, mmdd)


def _any_between(dates: Iterable[date], lo: date, hi: date) -> bool:
    return any(lo <= d <= hi for d in dates)


def judge(rule: dict, as_of: date, *, has_column: bool, has_content: bool,
          dates: Iterable[date], changes: Iterable[date] = ()) -> Verdict:
    """Status of one item as of `as_of` from the evidence dates known then."""
    kind = rule.get("kind", "on_change")
    known = sorted(d for d in dates if d <= as_of)
    last = known[-1] if known else None
    if not has_column:
        return Verdict("missing", None, None)
    if not has_content:
        return Verdict("ok" if kind == "event" else "blank", None, None)
    if last is None:
        return Verdict("ok" if kind in ("static", "event") else "undated", None, None)
    if kind == "event":
        return Verdict("ok", None, last)
    if kind == "static":
        years = rule.get("review_years")
        if years:
            due = add_months(last, 12 * int(years))
            return Verdict("overdue" if as_of > due else "ok", due, last)
        return Verdict("ok", None, last)
    if kind == "periodic":
        due = add_every(last, rule.get("every", "14d"))
        soon = int(rule.get("due_soon_days", 7))
        if as_of > due:
            return Verdict("overdue", due, last)
        return Verdict("due_soon" if (due - as_of).days <= soon else "ok", due, last)
    if kind in ("annual", "window"):
        if kind == "window":
            opens, due_md = _mmdd(rule["start"]), _mmdd(rule["end"])
        else:
            due_md = _mmdd(rule["due"])
            opens = _mmdd(rule["opens"]) if rule.get("opens") else _day_after(due_md)
        soon = int(rule.get("due_soon_days", 30))
        d_p = _latest_on_or_before(due_md, as_of, strict=True)
        o_p = _latest_on_or_before(opens, d_p, strict=False)
        if not _any_between(known, o_p, as_of):
            return Verdict("overdue", d_p, last)
        d_n = _next_on_or_after(due_md, as_of)
        o_n = _latest_on_or_before(opens, d_n, strict=False)
        if o_n <= as_of and not _any_between(known, o_n, as_of):
            if kind == "window" or (d_n - as_of).days <= soon:
                return Verdict("due_soon", d_n, last)
        return Verdict("ok", d_n, last)
    if kind == "on_change":
        wd = int(rule.get("working_days", 20))
        worst: Verdict | None = None
        for c in sorted(changes):
            if c > as_of or _any_between(known, c, as_of):
                continue
            limit = add_working_days(c, wd)
            v = Verdict("overdue" if as_of > limit else "due_soon", limit, last)
            if worst is None or (worst.status == "due_soon" and v.status == "overdue"):
                worst = v
        if worst is not None:
            return worst
        years = int(rule.get("review_years", 3))
        due = add_months(last, 12 * years)
        return Verdict("overdue" if as_of > due else "ok", due, last)
    raise ValueError(f"unknown rule kind {kind!r}")
