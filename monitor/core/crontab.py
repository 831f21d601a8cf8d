"""crontab(5) schedules, read as cron reads them, for APScheduler 3.

APScheduler's own ``CronTrigger.from_crontab`` numbers weekdays from Monday = 0 and refuses 7, and it
requires day-of-month AND day-of-week to match. cron numbers them from Sunday = 0 (7 is Sunday too) and,
when both fields are restricted, runs on a day matching EITHER. :func:`parse` reads the five fields the way
cron does (Vixie cron / cronie); :meth:`Crontab.trigger` builds the APScheduler trigger that fires at
exactly those times, and :meth:`Crontab.matches` is the plain definition the trigger is tested against.
Config validation and the scheduler both go through :func:`parse`, so what is accepted is what runs.

Accepted, per field: ``*``, numbers, ranges ``a-b``, lists ``a,b,c``, steps after ``*`` or a range
(``*/2``, ``1-5/2``); names ``jan``–``dec`` and ``sun``–``sat`` (any case, also in ranges; a range
ending on ``sun`` ends at 7, so ``sat-sun`` is the weekend); the macros
``@yearly`` ``@annually`` ``@monthly`` ``@weekly`` ``@daily`` ``@midnight`` ``@hourly``. As in cron, a
day field that starts with ``*`` (also ``*/2``) counts as unrestricted for the either-or rule.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

# Chinese weekday names by ``date.weekday()`` (Monday = 0): 星期一 … 星期日.
WEEKDAY_NAMES = "一二三四五六日"

MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")       # cron numbering: Sunday = 0
_APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")        # date.weekday() / APScheduler order
# The longest month each month can be (February in a leap year), for schedules that can never run.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class _Field:
    name: str            # Chinese, as the error messages name it
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_from: int = 0  # the number of the first name


_FIELDS = (
    _Field("分", 0, 59),
    _Field("时", 0, 23),
    _Field("日", 1, 31),
    _Field("月", 1, 12, _MONTHS, 1),
    _Field("星期", 0, 7, _CRON_DAYS, 0),
)
_HINTS = ("0–59", "0–23", "1–31", "1–12 或 jan–dec", "0–7（0 和 7 都是星期日）或 sun–sat")


class CrontabError(ValueError):
    """A cron line cron would refuse (or one that can never run); the message is Chinese and names the field."""


@dataclass(frozen=True)
class Crontab:
    """One parsed cron line. Weekdays are held as ``date.weekday()`` numbers (Monday = 0, Sunday = 6)."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_restricted: bool        # the day-of-month field does not start with "*"
    weekdays_restricted: bool    # the day-of-week field does not start with "*"

    def matches(self, when: datetime) -> bool:
        """Whether cron runs the line in the minute ``when`` (a wall-clock time in the schedule's timezone)."""
        if when.minute not in self.minutes or when.hour not in self.hours or when.month not in self.months:
            return False
        day_ok, weekday_ok = when.day in self.days, when.weekday() in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok

    def trigger(self, tz: tzinfo | str) -> BaseTrigger:
        """The APScheduler trigger firing at the times :meth:`matches` accepts, in timezone ``tz``."""
        from apscheduler.triggers.combining import OrTrigger
        from apscheduler.triggers.cron import CronTrigger

        common = {"minute": _expr(self.minutes, 0, 59), "hour": _expr(self.hours, 0, 23),
                  "month": _expr(self.months, 1, 12), "timezone": tz}
        days = _expr(self.days, 1, 31)
        weekdays = ",".join(_APS_DAYS[d] for d in sorted(self.weekdays)) if len(self.weekdays) < 7 else "*"
        if self.days_restricted and self.weekdays_restricted:
            # cron's either-or: APScheduler ANDs its fields, so one trigger per day field.
            return OrTrigger([CronTrigger(day=days, **common), CronTrigger(day_of_week=weekdays, **common)])
        return CronTrigger(day=days, day_of_week=weekdays, **common)

    def next_run(self, after: datetime, *, accept: Callable[[date], bool] | None = None,
                 horizon_days: int = 800) -> datetime | None:
        """The first run at or after ``after`` (aware; its timezone is the schedule's) whose day ``accept``
        allows; None when there is none within ``horizon_days``. ``accept`` may raise (e.g. a calendar that
        does not know a year): the error goes to the caller."""
        assert after.tzinfo is not None, "an aware datetime: the schedule runs in a timezone"
        trig = self.trigger(after.tzinfo)
        limit = after + timedelta(days=horizon_days)
        start = after
        while start < limit:
            fire: datetime | None = trig.get_next_fire_time(None, start)
            if fire is None or fire >= limit:
                return None
            if accept is None or accept(fire.date()):
                return fire
            # The day is refused: look again from the next midnight, not minute by minute.
            start = datetime.combine(fire.date() + timedelta(days=1), time(0), tzinfo=after.tzinfo)
        return None


def parse(text: str) -> Crontab:
    """Read a cron line (five fields or a macro); :class:`CrontabError` names the field that is wrong."""
    normal = " ".join(str(text).split())
    fields = MACROS.get(normal.lower(), normal).split()
    if normal.startswith("@") and normal.lower() not in MACROS:
        raise CrontabError(f"未知的简写 {normal}（可用：{'、'.join(MACROS)}）")
    if len(fields) != 5:
        raise CrontabError(f"应为 5 段（分 时 日 月 星期），实际为 {len(fields)} 段")
    values = [_parse_field(raw, spec, i + 1, hint) for i, (raw, spec, hint) in enumerate(zip(fields, _FIELDS, _HINTS))]
    # cron: 0 and 7 are both Sunday; held as date.weekday() numbers from here on.
    weekdays = frozenset((d - 1) % 7 for d in values[4])
    tab = Crontab(text=normal, minutes=values[0], hours=values[1], days=values[2], months=values[3],
                  weekdays=weekdays, days_restricted=not fields[2].startswith("*"),
                  weekdays_restricted=not fields[4].startswith("*"))
    if not (tab.days_restricted and tab.weekdays_restricted) and \
            min(tab.days) > max(_MONTH_DAYS[m - 1] for m in tab.months):
        months = "、".join(str(m) for m in sorted(tab.months))
        raise CrontabError(f"所选月份（{months} 月）没有 {min(tab.days)} 日，此计划永远不会执行")
    return tab


def _parse_field(raw: str, spec: _Field, position: int, hint: str) -> frozenset[int]:
    where = f"第 {position} 段“{spec.name}”"
    found: set[int] = set()
    for part in raw.split(","):
        if not part:
            raise CrontabError(f"{where}（{raw}）中有空的列表项")
        body, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or not 1 <= int(step_text) <= spec.high:
                raise CrontabError(f"{where}：步长 {step_text!r} 应为 1–{spec.high} 的整数")
            step = int(step_text)
            if body != "*" and "-" not in body:
                raise CrontabError(f"{where}：步长只能跟在 * 或范围之后（如 */2、1-5/2），实际为 {part!r}")
        if body == "*":
            first, last = spec.low, spec.high
        else:
            a, dash, b = body.partition("-")
            first = _value(a, spec, where, hint)
            last = _value(b, spec, where, hint) if dash else first
            if spec.names is _CRON_DAYS and b.lower() == "sun":
                last = 7  # "sat-sun", "fri-sun": a range that ends on Sunday ends at 7
            if last < first:
                raise CrontabError(f"{where}：范围 {body} 的起点大于终点")
        found.update(range(first, last + 1, step))
    return frozenset(found)


def _value(text: str, spec: _Field, where: str, hint: str) -> int:
    if text.isdigit():
        n = int(text)
        if not spec.low <= n <= spec.high:
            raise CrontabError(f"{where}：{n} 超出范围，应为 {hint}")
        return n
    if text.lower() in spec.names:
        return spec.names.index(text.lower()) + spec.names_from
    raise CrontabError(f"{where}：无法识别 {text!r}，应为 {hint}")


def _expr(values: frozenset[int], low: int, high: int) -> str:
    """An APScheduler field expression for exactly these values."""
    if len(values) == high - low + 1:
        return "*"
    return ",".join(str(v) for v in sorted(values))


def describe_run(when: datetime) -> str:
    """``2026-12-02 02:30（星期三）`` — a run time as `xxgk check` shows it."""
    return f"{when:%Y-%m-%d %H:%M}（星期{WEEKDAY_NAMES[when.weekday()]}）"
