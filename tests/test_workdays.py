"""Chinese working days: holidays, 调休 make-up days, and the inverse relation of the helpers."""
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.workdays import WorkdayError, add_working_days, is_working_day, known_years, working_days_between


def test_national_day_2019_with_make_up_days():
    # 2019-10-01..07 off; Sunday 09-29 and Saturday 10-12 are make-up working days.
    assert is_working_day(date(2019, 9, 29))
    assert is_working_day(date(2019, 10, 12))
    assert not is_working_day(date(2019, 10, 1))
    assert not is_working_day(date(2019, 10, 7))
    assert not is_working_day(date(2019, 10, 13))  # an ordinary Sunday
    assert add_working_days(date(2019, 9, 27), 20) == date(2019, 10, 30)


def test_extended_2020_spring_festival():
    # The 2020 holiday was extended to 02-02 (epidemic); 01-19 (Sunday) was a make-up day.
    assert is_working_day(date(2020, 1, 19))
    assert not is_working_day(date(2020, 1, 31))
    assert not is_working_day(date(2020, 2, 2))
    assert add_working_days(date(2020, 1, 20), 5) == date(2020, 2, 4)
    assert add_working_days(date(2020, 1, 20), 20) == date(2020, 2, 25)
    assert working_days_between(date(2020, 1, 23), date(2020, 2, 3)) == 1


def test_start_day_not_counted_and_zero():
    assert add_working_days(date(2019, 6, 3), 0) == date(2019, 6, 3)
    assert add_working_days(date(2019, 6, 3), 1) == date(2019, 6, 4)   # Monday → Tuesday
    assert add_working_days(date(2019, 6, 6), 1) == date(2019, 6, 10)  # 06-07 Dragon Boat festival
    assert add_working_days(date(2019, 10, 30), -20) == date(2019, 9, 27)


def test_unknown_year_is_a_clear_error():
    last = known_years()[1]
    with pytest.raises(WorkdayError) as exc:
        is_working_day(date(last + 3, 3, 2))
    assert "chinese-calendar" in str(exc.value) and str(last + 3) in str(exc.value)


days = st.dates(min_value=date(2005, 1, 1), max_value=date(2024, 6, 30))


@settings(max_examples=60, deadline=None)
@given(d=days, n=st.integers(min_value=0, max_value=60))
def test_add_and_between_are_inverse(d, n):
    end = add_working_days(d, n)
    assert working_days_between(d, end) == n
    assert n == 0 or is_working_day(end)


@settings(max_examples=60, deadline=None)
@given(a=days, b=days)
def test_between_is_antisymmetric_and_bounded(a, b):
    assert working_days_between(a, b) == -working_days_between(b, a)
    assert abs(working_days_between(a, b)) <= abs((b - a).days)


@settings(max_examples=40, deadline=None)
@given(d=days)
def test_weekdays_outside_holidays(d):
    # Every week has at most 7 and (outside holiday weeks) typically 5 working days.
    total = working_days_between(d, d + timedelta(days=7))
    assert 0 <= total <= 7
