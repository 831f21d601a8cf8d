"""The one clock every command reads.

`--now` (set by the CLI through :func:`set_now`) wins over the ``XXGK_NOW`` environment
variable, which wins over the real time. Tests and replays of a past year set it; a scan
records this time, not the wall clock, so an estate can be scanned "as of" any day.
"""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"
_override: datetime | None = None
_tz: ZoneInfo = ZoneInfo(DEFAULT_TZ)


class ClockError(ValueError):
    pass


def parse_now(text: str, tz: ZoneInfo | None = None) -> datetime:
    """Parse ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS]`` into an aware datetime."""
    tz = tz or _tz
    text = text.strip()
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, 12, 0, tzinfo=tz)
        dt = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise ClockError(f"时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM，收到 {text!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)


def set_timezone(name: str) -> None:
    global _tz
    _tz = ZoneInfo(name)


def timezone() -> ZoneInfo:
    return _tz


def set_now(text: str | datetime | None) -> None:
    """Fix "now" for this process (``None`` goes back to env/real time)."""
    global _override
    if text is None or isinstance(text, datetime):
        _override = text
    else:
        _override = parse_now(text)


def now() -> datetime:
    if _override is not None:
        return _override.astimezone(_tz)
    env = os.environ.get("XXGK_NOW")
    if env:
        return parse_now(env)
    return datetime.now(_tz)


def today() -> date:
    return now().date()


def now_iso() -> str:
    return now().isoformat(timespec="seconds")


def env_for_child() -> dict[str, str]:
    """Environment for a subprocess so it reads the same clock."""
    env = dict(os.environ)
    if _override is not None:
        env["XXGK_NOW"] = _override.isoformat(timespec="seconds")
    return env


def as_date(value: object) -> date | None:
    """A date from a date, a datetime or an ISO text (``2019-10-31``, ``2019-10-31T08:00+08:00``);
    None for None, empty or unreadable input."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def days_ago(n: int) -> date:
    return today() - timedelta(days=n)
