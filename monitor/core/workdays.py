"""Chinese working days (public holidays and 调休 make-up days) via ``chinese_calendar``.

Convention (as in Chinese regulations, "期间开始的当日不计算在期间内"): the start day is not counted.
``add_working_days(d, n)`` is the n-th working day *after* d, and ``working_days_between(a, b)``
counts working days in the half-open interval (a, b], so the two are inverse to each other.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar


class WorkdayError(ValueError):
    """The calendar has no holiday data for a year (the package needs an update)."""


def known_years() -> tuple[int, int]:
    """First and last year the installed ``chinese_calendar`` has holiday data for."""
    return min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year


@lru_cache(maxsize=8192)
def is_working_day(d: date) -> bool:
    """True for Monday–Friday that are not public holidays, and for make-up Saturdays/Sundays."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        first, last = known_years()
        raise WorkdayError(
            f"节假日日历不包含 {d.year} 年（chinese-calendar 仅支持 {first}–{last} 年），"
            "请升级 chinese-calendar 软件包"
        ) from None


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after ``d`` (n < 0 goes backwards; n == 0 returns ``d``)."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = d
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(a: date, b: date) -> int:
    """Working days in (a, b]; negative when b < a (then it counts (b, a])."""
    if b < a:
        return -working_days_between(b, a)
    count = 0
    current = a
    while current < b:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
