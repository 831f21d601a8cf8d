"""Cron lines mean what crontab(5) says: Sunday is 0 and 7, 1-5 is Monday to Friday, names, ranges, lists and
steps, and a day matches either restricted day field. Every case asserts the times the APScheduler trigger the
service schedules actually fires at, from a fixed start; the scheduler and config validation use one parser."""
from __future__ import annotations

import pickle
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.core import crontab
from monitor.core.crontab import CrontabError, parse

TZ = ZoneInfo("Asia/Shanghai")
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)    # a Saturday noon


def fires(expr: str, start: datetime = SATURDAY, n: int = 8) -> list[str]:
    """The first n times the scheduler's trigger fires at or after start, as 'YYYY-MM-DD HH:MM 周X'."""
    trig = parse(expr).trigger(TZ)
    out, t = [], start
    for _ in range(n):
        nxt = trig.get_next_fire_time(None, t)
        out.append(f"{nxt:%Y-%m-%d %H:%M} {crontab.WEEKDAY_NAMES[nxt.weekday()]}")
        t = nxt + timedelta(seconds=1)
    return out


def weekdays_of(expr: str, n: int = 21) -> list[str]:
    return [f.split()[-1] for f in fires(expr, n=n)]


def test_monday_to_friday_from_a_saturday_starts_on_monday():
    assert fires("0 8 * * 1-5", n=6) == [
        "2026-11-30 08:00 一", "2026-12-01 08:00 二", "2026-12-02 08:00 三", "2026-12-03 08:00 四",
        "2026-12-04 08:00 五", "2026-12-07 08:00 一"]


@pytest.mark.parametrize("dow", ["0", "7", "sun", "SUN", "Sun", "0,7", "7-7"])
def test_sunday_is_0_and_7_and_sun(dow):
    assert fires(f"* * * * {dow}", n=1) == ["2026-11-29 00:00 日"]
    assert fires(f"0 8 * * {dow}", n=3) == ["2026-11-29 08:00 日", "2026-12-06 08:00 日", "2026-12-13 08:00 日"]


@pytest.mark.parametrize("expr,days", [
    ("0 8 * * 1", "一"),
    ("0 8 * * 6", "六"),
    ("0 8 * * mon-fri", "一二三四五"),
    ("0 8 * * MON-Fri", "一二三四五"),
    ("0 8 * * 1,3,5", "一三五"),
    ("0 8 * * mon,wed,fri", "一三五"),
    ("0 8 * * 1-5/2", "一三五"),
    ("0 8 * * */2", "日二四六"),           # */2 over 0-7: 0, 2, 4, 6
    ("0 8 * * 5-7", "五六日"),
    ("0 8 * * 6,0", "六日"),
    ("0 8 * * sat-sun", "六日"),
    ("0 8 * * 0-6", "一二三四五六日"),
    ("0 8 * * 1-7", "一二三四五六日"),
    ("0 8 * * *", "一二三四五六日"),
    ("0 8 * * 2-4,6", "二三四六"),
])
def test_each_weekday_form_fires_on_exactly_those_weekdays(expr, days):
    seen = weekdays_of(expr)
    assert set(seen) == set(days), seen
    # Saturday 08:00 has passed: the first run is the first of those weekdays from Sunday on, at 08:00
    first = next(SATURDAY.date() + timedelta(days=i) for i in range(1, 8)
                 if crontab.WEEKDAY_NAMES[(SATURDAY.date() + timedelta(days=i)).weekday()] in days)
    assert fires(expr, n=1)[0].startswith(f"{first} 08:00")


def test_first_of_month_or_monday_fires_on_both():
    # Both day fields restricted: cron runs on a day matching EITHER (APScheduler alone would AND them).
    assert fires("0 8 1 * 1", n=8) == [
        "2026-11-30 08:00 一", "2026-12-01 08:00 二", "2026-12-07 08:00 一", "2026-12-14 08:00 一",
        "2026-12-21 08:00 一", "2026-12-28 08:00 一", "2027-01-01 08:00 五", "2027-01-04 08:00 一"]
    # Friday the 13th in cron's reading: every Friday and every 13th
    assert fires("0 0 13 * 5", n=4) == ["2026-12-04 00:00 五", "2026-12-11 00:00 五", "2026-12-13 00:00 日",
                                        "2026-12-18 00:00 五"]


def test_a_day_field_starting_with_a_star_is_unrestricted_so_the_fields_and():
    # cron's rule looks at the first character: "*/2" counts as "*", so odd days that are Mondays.
    assert fires("0 0 */2 * 1", n=3) == ["2026-12-07 00:00 一", "2026-12-21 00:00 一", "2027-01-11 00:00 一"]
    # a restricted day of month with "*" for weekdays: only that day
    assert fires("30 2 1 * *", n=2) == ["2026-12-01 02:30 二", "2027-01-01 02:30 五"]


def test_minutes_hours_months_names_and_macros():
    assert fires("*/20 9-10 * * *", n=7) == [
        "2026-11-29 09:00 日", "2026-11-29 09:20 日", "2026-11-29 09:40 日", "2026-11-29 10:00 日",
        "2026-11-29 10:20 日", "2026-11-29 10:40 日", "2026-11-30 09:00 一"]
    assert fires("0 8 1 jan,JUL *", n=2) == ["2027-01-01 08:00 五", "2027-07-01 08:00 四"]
    assert fires("@weekly", n=2) == fires("0 0 * * 0", n=2) == ["2026-11-29 00:00 日", "2026-12-06 00:00 日"]
    assert fires("@daily", n=1) == fires("@midnight", n=1) == ["2026-11-29 00:00 日"]
    assert fires("@hourly", n=1) == ["2026-11-28 12:00 六"]   # at or after the start
    assert fires("@monthly", n=1) == ["2026-12-01 00:00 二"]
    assert fires("@yearly", n=1) == fires("@annually", n=1) == ["2027-01-01 00:00 五"]
    assert parse("  30   2 *  * * ").text == "30 2 * * *"


@pytest.mark.parametrize("expr", [
    "0 8 * * 1-5", "0 8 * * 0", "0 8 * * 7", "0 8 1 * 1", "0 0 13 * 5", "0 0 */2 * 1", "15 */6 * * 6,0",
    "0 8 * * */2", "0 8 1-7 * 1", "0 9 * 12 1-5/2", "30 2 * * *", "0 12 31 * 0",
])
def test_the_trigger_fires_exactly_when_the_crontab_definition_matches(expr):
    # Every minute of five weeks: the trigger's times are the minutes matches() accepts, and no others.
    tab = parse(expr)
    start = SATURDAY.replace(hour=0)
    expected = [start + timedelta(minutes=i) for i in range(35 * 24 * 60)]
    expected = [t for t in expected if tab.matches(t)]
    trig = tab.trigger(TZ)
    got, t = [], start
    end = start + timedelta(days=35)
    while True:
        nxt = trig.get_next_fire_time(None, t)
        if nxt is None or nxt >= end:
            break
        got.append(nxt)
        t = nxt + timedelta(seconds=1)
    assert got == expected


def test_triggers_survive_the_job_store_pickle():
    for expr in ("0 8 1 * 1", "0 8 * * 1-5"):
        trig = parse(expr).trigger(TZ)
        again = pickle.loads(pickle.dumps(trig))
        assert again.get_next_fire_time(None, SATURDAY) == trig.get_next_fire_time(None, SATURDAY)


def test_next_run_skips_refused_days():
    tab = parse("0 8 * * *")
    assert tab.next_run(SATURDAY) == datetime(2026, 11, 29, 8, 0, tzinfo=TZ)
    weekday = tab.next_run(SATURDAY, accept=lambda d: d.weekday() < 5)
    assert weekday == datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
    assert tab.next_run(SATURDAY, accept=lambda d: False, horizon_days=30) is None
    assert crontab.describe_run(weekday) == "2026-11-30 08:00（星期一）"


@pytest.mark.parametrize("expr,message", [
    ("61 2 * * *", "第 1 段“分”：61 超出范围，应为 0–59"),
    ("0 24 * * *", "第 2 段“时”：24 超出范围，应为 0–23"),
    ("0 8 0 * *", "第 3 段“日”：0 超出范围，应为 1–31"),
    ("0 8 * 13 *", "第 4 段“月”：13 超出范围，应为 1–12 或 jan–dec"),
    ("0 8 * * 8", "第 5 段“星期”：8 超出范围，应为 0–7（0 和 7 都是星期日）"),
    ("0 8 * * fri-mon", "第 5 段“星期”：范围 fri-mon 的起点大于终点"),
    ("0 8 * * monday", "第 5 段“星期”：无法识别 'monday'"),
    ("0 8 * * 5/2", "步长只能跟在 * 或范围之后"),
    ("*/0 * * * *", "第 1 段“分”：步长 '0' 应为 1–59 的整数"),
    ("0 8 1,,2 * *", "第 3 段“日”（1,,2）中有空的列表项"),
    ("0 8 * *", "应为 5 段（分 时 日 月 星期），实际为 4 段"),
    ("0 0 8 * * *", "应为 5 段（分 时 日 月 星期），实际为 6 段"),
    ("0 8 30 2 *", "所选月份（2 月）没有 30 日，此计划永远不会执行"),
    ("0 8 31 4,6 *", "所选月份（4、6 月）没有 31 日"),
    ("@reboot", "未知的简写 @reboot"),
])
def test_mistakes_name_the_field(expr, message):
    with pytest.raises(CrontabError) as exc:
        parse(expr)
    assert message in str(exc.value)


def test_feb_30_is_allowed_when_the_weekday_can_still_match():
    # "30 Feb OR Monday" runs every Monday in February: not a mistake.
    assert fires("0 8 30 2 1", n=2) == ["2027-02-01 08:00 一", "2027-02-08 08:00 一"]


def test_config_validation_uses_the_same_reading(tmp_path: Path):
    from monitor.config import ConfigError, load_config

    def write(schedule: str) -> Path:
        p = tmp_path / "xxgk.yaml"
        p.write_text(textwrap.dedent("""\
            school: 示例大学
            disclosure_site: https://xxgk.example.edu.cn/
            schedule:
            """) + textwrap.indent(schedule, "  "), encoding="utf-8")
        return p

    cfg = load_config(write("scan: '0 3 * * 7'\ndigest: '0   8 * * mon-fri'\n"))
    assert cfg.schedule.scan == "0 3 * * 7" and cfg.schedule.digest == "0 8 * * mon-fri"
    with pytest.raises(ConfigError) as exc:
        load_config(write("scan: '0 3 * * 1'\ndigest: '0 8 * * 8'\n"))
    assert exc.value.problems == [
        f"{tmp_path / 'xxgk.yaml'}:5: schedule.digest: 不是有效的 cron 表达式（5 段：分 时 日 月 星期，如 \"30 2 * * *\"）："
        "第 5 段“星期”：8 超出范围，应为 0–7（0 和 7 都是星期日）或 sun–sat；实际为 '0 8 * * 8'"]
