"""The update-rule grammar and the status engine (docs/architecture.md "Update rules")."""
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules import Rule, RuleError, evaluate, parse_rule

D = date


def status(rule, dates, as_of, changes=()):
    return evaluate(rule, dates, as_of, changes=changes).status


# ---------------------------------------------------------------- grammar

@pytest.mark.parametrize("text,expected", [
    ("annual 10-31", {"kind": "annual", "due": "10-31", "opens": "11-01", "due_soon_days": 30}),
    ("annual 10-31 opens 09-01", {"kind": "annual", "due": "10-31", "opens": "09-01", "due_soon_days": 30}),
    ("annual 12-31 from 01-01 soon 10", {"kind": "annual", "due": "12-31", "opens": "01-01", "due_soon_days": 10}),
    ("window 03-01..06-30", {"kind": "window", "start": "03-01", "end": "06-30"}),
    ("window 3-1 6-30", {"kind": "window", "start": "03-01", "end": "06-30"}),
    ("periodic 14d", {"kind": "periodic", "every": "14d", "due_soon_days": 7}),
    ("periodic 6个月", {"kind": "periodic", "every": "6m", "due_soon_days": 7}),
    ("on_change", {"kind": "on_change", "working_days": 20, "review_years": 3}),
    ("on_change 10 review 2", {"kind": "on_change", "working_days": 10, "review_years": 2}),
    ("static", {"kind": "static"}),
    ("static review 5", {"kind": "static", "review_years": 5}),
    ("event", {"kind": "event"}),
])
def test_short_forms(text, expected):
    assert parse_rule(text).to_dict() == expected


def test_mapping_form_and_roundtrip():
    r = parse_rule({"kind": "annual", "due": "10-31", "opens": "09-01"})
    assert r == Rule("annual", due="10-31", opens="09-01", due_soon_days=30)
    assert parse_rule(r.to_dict()) == r
    assert parse_rule(r) is r
    # the day after 12-31 is 01-01; after 02-28 it is 03-01
    assert parse_rule({"kind": "annual", "due": "12-31"}).opens == "01-01"
    assert parse_rule({"kind": "annual", "due": "02-28"}).opens == "03-01"


@pytest.mark.parametrize("obj,fragment", [
    ({"kind": "yearly", "due": "10-31"}, "未知的规则类型"),
    ({"due": "10-31"}, "缺少 kind"),
    ({"kind": "annual"}, "需要 due"),
    ({"kind": "annual", "due": "13-01"}, "月日"),
    ({"kind": "annual", "due": "02-30"}, "不是有效的月日"),
    ({"kind": "window", "start": "03-01"}, "缺少 end"),
    ({"kind": "periodic", "every": "fortnight"}, "every"),
    ({"kind": "periodic", "every": "0d"}, "every"),
    ({"kind": "static", "due": "10-31"}, "不支持字段 due"),
    ({"kind": "on_change", "working_days": -3}, "working_days"),
    ("annual 10-31 11-30 12-31", "多余的参数"),
    (42, "规则应为映射"),
])
def test_bad_rules_say_what_is_wrong(obj, fragment):
    with pytest.raises(RuleError) as exc:
        parse_rule(obj)
    assert fragment in str(exc.value)


def test_describe_in_chinese():
    assert parse_rule("annual 10-31 opens 09-01").describe() == "每年10月31日前（自9月1日起）"
    assert parse_rule("window 03-01..06-30").describe() == "每年3月1日至6月30日"
    assert parse_rule("periodic 6m").describe() == "每6个月更新"
    assert parse_rule("periodic 1y").describe() == "每年更新"
    assert "20个工作日" in parse_rule("on_change").describe()
    assert parse_rule("static").describe() == "长期有效"
    assert "无事件" in parse_rule("event").describe()


# ---------------------------------------------------------------- static / event

def test_static_and_event():
    assert status("static", [D(2010, 1, 1)], D(2019, 10, 15)) == "ok"
    assert status("static review 5", [D(2010, 1, 1)], D(2019, 10, 15)) == "overdue"
    assert status("static review 5", [D(2015, 1, 1)], D(2019, 10, 15)) == "ok"
    v = evaluate("event", [], D(2019, 10, 15))
    assert v.status == "ok" and v.reason.startswith("事件类，无事件时无需更新")


# ---------------------------------------------------------------- periodic

def test_periodic():
    r = "periodic 14d"
    assert status(r, [D(2019, 10, 1)], D(2019, 10, 5)) == "ok"          # due 10-15, 10 days left
    assert status(r, [D(2019, 10, 1)], D(2019, 10, 8)) == "due_soon"    # 7 days left
    assert status(r, [D(2019, 10, 1)], D(2019, 10, 15)) == "due_soon"   # due today
    v = evaluate(r, [D(2019, 10, 1)], D(2019, 10, 16))
    assert (v.status, v.due) == ("overdue", D(2019, 10, 15)) and "逾期1天" in v.reason
    # months clamp to the month end
    assert evaluate("periodic 6m", [D(2019, 8, 31)], D(2019, 9, 1)).due == D(2020, 2, 29)
    # evidence after the as-of day is unknown then
    assert status(r, [D(2019, 9, 1), D(2019, 10, 20)], D(2019, 10, 1)) == "overdue"


# ---------------------------------------------------------------- annual

ITEM6 = {"kind": "annual", "due": "10-31", "opens": "09-01"}


def test_annual_report_example_from_the_architecture():
    v = evaluate(ITEM6, [D(2018, 10, 20)], D(2019, 11, 15))
    assert v.status == "overdue" and v.due == D(2019, 10, 31)
    assert "2019-10-31" in v.reason and "已逾期15天" in v.reason
    assert v.last_changed == D(2018, 10, 20)


@pytest.mark.parametrize("dates,as_of,expected,due", [
    # last year's report published in the cycle, now within 30 days of the deadline, nothing yet
    ([D(2018, 10, 20)], D(2019, 10, 15), "due_soon", D(2019, 10, 31)),
    # …and still more than 30 days before the deadline
    ([D(2018, 10, 20)], D(2019, 9, 20), "ok", D(2019, 10, 31)),
    # this year's report already out
    ([D(2018, 10, 20), D(2019, 9, 10)], D(2019, 10, 15), "ok", D(2019, 10, 31)),
    # published late (after the deadline) clears the overdue
    ([D(2018, 10, 20), D(2019, 11, 3)], D(2019, 11, 15), "ok", D(2020, 10, 31)),
    # as of the deadline day itself, not yet overdue
    ([D(2018, 10, 20)], D(2019, 10, 31), "due_soon", D(2019, 10, 31)),
    # last year's cycle missed entirely
    ([D(2017, 10, 20)], D(2019, 3, 1), "overdue", D(2018, 10, 31)),
    # evidence before the opening day does not count for the cycle
    ([D(2018, 8, 20)], D(2019, 3, 1), "overdue", D(2018, 10, 31)),
])
def test_annual_cycles(dates, as_of, expected, due):
    v = evaluate(ITEM6, dates, as_of)
    assert (v.status, v.due) == (expected, due)


def test_annual_default_opening_is_a_full_year():
    r = {"kind": "annual", "due": "12-31"}
    assert status(r, [D(2019, 1, 5)], D(2019, 12, 10)) == "ok"
    assert status(r, [D(2018, 12, 5)], D(2019, 12, 10)) == "due_soon"
    assert status(r, [D(2018, 12, 5)], D(2019, 11, 10)) == "ok"
    assert status(r, [D(2018, 12, 5)], D(2020, 1, 2)) == "overdue"


# ---------------------------------------------------------------- window

ITEM7 = "window 03-01..06-30"


@pytest.mark.parametrize("dates,as_of,expected", [
    ([D(2018, 4, 1)], D(2019, 2, 15), "ok"),          # before the window, last year's done
    ([D(2018, 4, 1)], D(2019, 3, 2), "due_soon"),     # window open, nothing yet (120 days left)
    ([D(2018, 4, 1), D(2019, 3, 20)], D(2019, 4, 1), "ok"),
    ([D(2018, 4, 1)], D(2019, 7, 1), "overdue"),      # window closed without an update
    ([D(2018, 4, 1), D(2019, 7, 10)], D(2019, 7, 15), "ok"),   # late but published
    ([D(2018, 2, 1)], D(2019, 2, 15), "overdue"),     # last year's window was missed
    ([], D(2019, 4, 1), "overdue"),
])
def test_window(dates, as_of, expected):
    assert status(ITEM7, dates, as_of) == expected


def test_window_across_new_year():
    r = "window 11-01..02-28"
    assert status(r, [D(2018, 11, 20)], D(2019, 11, 10)) == "due_soon"
    assert status(r, [D(2018, 11, 20), D(2019, 12, 1)], D(2020, 1, 10)) == "ok"
    assert status(r, [D(2018, 11, 20)], D(2020, 3, 1)) == "overdue"


# ---------------------------------------------------------------- on_change

def test_on_change_with_known_change_counts_chinese_working_days():
    change = [D(2019, 9, 27)]          # + 20 working days across National Day = 2019-10-30
    v = evaluate("on_change", [D(2018, 5, 1)], D(2019, 10, 30), changes=change)
    assert (v.status, v.due) == ("due_soon", D(2019, 10, 30))
    v = evaluate("on_change", [D(2018, 5, 1)], D(2019, 10, 31), changes=change)
    assert (v.status, v.due) == ("overdue", D(2019, 10, 30)) and "逾期1天" in v.reason
    assert status("on_change", [D(2018, 5, 1), D(2019, 10, 20)], D(2019, 10, 31), change) == "ok"
    # a change announced after the as-of day is not known yet
    assert status("on_change", [D(2018, 5, 1)], D(2019, 9, 1), change) == "ok"


def test_on_change_without_changes_uses_review_years():
    v = evaluate("on_change", [D(2016, 3, 1)], D(2019, 10, 15))
    assert v.status == "overdue" and "超过3年未更新" in v.reason
    assert status("on_change", [D(2016, 11, 1)], D(2019, 10, 15)) == "ok"
    assert status("on_change 20 review 5", [D(2016, 3, 1)], D(2019, 10, 15)) == "ok"


# ---------------------------------------------------------------- properties

rules = st.sampled_from(["annual 10-31 opens 09-01", "annual 12-31", "window 03-01..06-30",
                         "periodic 14d", "periodic 6m", "on_change", "static", "event"])
days = st.dates(min_value=D(2010, 1, 1), max_value=D(2024, 12, 31))


@settings(max_examples=150, deadline=None)
@given(rule=rules, dates=st.lists(days, max_size=6), as_of=days, later=st.lists(days, max_size=3))
def test_future_evidence_never_changes_the_verdict(rule, dates, as_of, later):
    future = [d for d in later if d > as_of]
    assert evaluate(rule, dates, as_of) == evaluate(rule, dates + future, as_of)


@settings(max_examples=150, deadline=None)
@given(rule=rules, dates=st.lists(days, min_size=1, max_size=6), as_of=days)
def test_publishing_today_never_makes_things_worse(rule, dates, as_of):
    order = {"ok": 0, "due_soon": 1, "overdue": 2}
    before = evaluate(rule, dates, as_of).status
    after = evaluate(rule, dates + [as_of], as_of).status
    assert order[after] <= order[before]
    assert after == "ok"     # evidence dated the as-of day satisfies every rule


@settings(max_examples=100, deadline=None)
@given(dates=st.lists(days, min_size=1, max_size=5), as_of=days)
def test_window_due_soon_only_inside_the_window(dates, as_of):
    v = evaluate(ITEM7, dates, as_of)
    if v.status == "due_soon":
        assert D(as_of.year, 3, 1) <= as_of <= D(as_of.year, 6, 30)
    if v.status != "overdue":
        assert v.due == (D(as_of.year, 6, 30) if as_of <= D(as_of.year, 6, 30) else D(as_of.year + 1, 6, 30))


def test_on_change_answered_change_still_needs_review_every_few_years():
    # the 2015 change was answered in 2015, but nothing since: more than 3 years without an update
    v = evaluate("on_change", [D(2015, 7, 1)], D(2019, 10, 15), changes=[D(2015, 6, 1)])
    assert v.status == "overdue" and v.due == D(2018, 7, 1)
    assert status("on_change", [D(2018, 7, 1)], D(2019, 10, 15), [D(2018, 6, 1)]) == "ok"


# ---------------------------------------------------------------- agreement with the testbed's oracle

oracle = pytest.importorskip("monitor.testbed.oracle")

rule_dicts = st.sampled_from([
    {"kind": "annual", "due": "10-31", "opens": "09-01"}, {"kind": "annual", "due": "12-31"},
    {"kind": "annual", "due": "02-28", "due_soon_days": 10}, {"kind": "annual", "due": "03-31", "opens": "01-01"},
    {"kind": "window", "start": "03-01", "end": "06-30"}, {"kind": "window", "start": "11-01", "end": "02-29"},
    {"kind": "periodic", "every": "14d"}, {"kind": "periodic", "every": "6m", "due_soon_days": 20},
    {"kind": "periodic", "every": "1y"}, {"kind": "on_change"}, {"kind": "on_change", "working_days": 10,
                                                                  "review_years": 2},
    {"kind": "static"}, {"kind": "static", "review_years": 5}, {"kind": "event"},
])
recent = st.dates(min_value=D(2012, 1, 1), max_value=D(2024, 12, 31))


@settings(max_examples=400, deadline=None)
@given(rule=rule_dicts, dates=st.lists(recent, min_size=1, max_size=5), as_of=recent,
       changes=st.lists(recent, max_size=3))
def test_agrees_with_the_independent_oracle(rule, dates, as_of, changes):
    mine = evaluate(rule, dates, as_of, changes=changes)
    theirs = oracle.judge(rule, as_of, has_column=True, has_content=True, dates=dates, changes=changes)
    if theirs.status in ("ok", "due_soon", "overdue"):
        assert (mine.status, mine.due, mine.last_changed) == (theirs.status, theirs.due, theirs.last_changed)
