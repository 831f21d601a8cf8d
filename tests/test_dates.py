"""Date formats, labels, URL dates and plausibility (crawler.extract.dates)."""
from __future__ import annotations

from datetime import date

import pytest

from crawler.extract import dates as D

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize("text, expected", [
    ("2019-10-31", date(2019, 10, 31)),
    ("2019-6-8", date(2019, 6, 8)),
    ("2019年10月31日", date(2019, 10, 31)),
    ("2019 年 10 月 31 日", date(2019, 10, 31)),
    ("2019年10月31日08:25", date(2019, 10, 31)),
    ("2019/10/31", date(2019, 10, 31)),
    ("2019.10.31", date(2019, 10, 31)),
    ("2019-10-31 10:20:33", date(2019, 10, 31)),
    ("2019-10-31T10:20:00+08:00", date(2019, 10, 31)),
    ("２０１９年１０月３１日", date(2019, 10, 31)),
    ("二〇一九年十月三十一日", date(2019, 10, 31)),
    ("二〇二〇年一月五日", date(2020, 1, 5)),
])
def test_full_date_formats(text: str, expected: date) -> None:
    assert D.first_date(text, TODAY) == expected


@pytest.mark.parametrize("text", [
    "Copyright © 2005-2019 示例大学",      # footer years
    "教办函〔2019〕12号",                   # document number
    "京ICP备10028400号",
    "点击数：2019",
    "2019-13-01",                          # no 13th month
    "2019-02-30",                          # no 30 February
    "10.1.2.3",                            # an IP address
    "电话：0571-88888888",
])
def test_not_dates(text: str) -> None:
    assert D.first_date(text, TODAY) is None


def test_future_and_ancient_dates_are_rejected() -> None:
    assert D.first_date("2031-10-31", TODAY) is None
    assert D.first_date("1989-06-01", TODAY) is None
    assert D.first_date("1990-01-01", TODAY) == date(1990, 1, 1)
    assert D.first_date("2026-11-21", TODAY) == TODAY  # today itself is fine


def test_two_digit_year_only_when_asked() -> None:
    assert D.first_date("19-10-31", TODAY) is None
    assert D.first_date("19-10-31", TODAY, short_year=True) == date(2019, 10, 31)
    assert D.first_date("99-10-31", TODAY, short_year=True) == date(1999, 10, 31)


@pytest.mark.parametrize("text, kind, expected", [
    ("发布时间：2019-10-31", "published", date(2019, 10, 31)),
    ("发布时间:2019-10-31", "published", date(2019, 10, 31)),
    ("发布时间 ： 2019-10-31", "published", date(2019, 10, 31)),
    ("发布日期 2019年10月31日", "published", date(2019, 10, 31)),
    ("发表时间：2019/10/31", "published", date(2019, 10, 31)),
    ("发文日期：2019.10.31", "published", date(2019, 10, 31)),
    ("【作者:xzb | 发布日期:2021-11-01 | 点击数:", "published", date(2021, 11, 1)),
    ("日期：2019-6-8", "bare", date(2019, 6, 8)),
    ("时间：2019-10-31 来源：教务处", "bare", date(2019, 10, 31)),
    ("日期：19-10-31", "bare", date(2019, 10, 31)),
    ("更新时间：2020-01-02", "updated", date(2020, 1, 2)),
    ("最后更新：2020年1月2日", "updated", date(2020, 1, 2)),
    ("修改时间：2020/01/02", "updated", date(2020, 1, 2)),
    ("成文日期：2020年12月10日", "written", date(2020, 12, 10)),
    ("信息发布时间：2019-10-31", "published", date(2019, 10, 31)),
    ("发布时间：20191031", "published", date(2019, 10, 31)),
])
def test_labels(text: str, kind: str, expected: date) -> None:
    hits = D.label_dates(D.normalize(text), TODAY)
    assert [(h.kind, h.value) for h in hits][:1] == [(kind, expected)]


@pytest.mark.parametrize("text", [
    "报名时间：2019-11-01",        # an event, not the page date
    "考试日期：2019-12-25",
    "成绩发布时间：2019-11-05",
    "会议时间：2019年11月5日",
    "发布时间：2031-10-31",        # future: a typo or an announcement
])
def test_event_labels_are_not_publication_labels(text: str) -> None:
    assert D.label_dates(D.normalize(text), TODAY) == []


def test_both_published_and_updated_in_one_line() -> None:
    hits = D.label_dates(D.normalize("发布时间：2019-10-31 09:00　　更新时间：2020-01-02 14:35"), TODAY)
    assert [(h.kind, h.value) for h in hits] == [("published", date(2019, 10, 31)), ("updated", date(2020, 1, 2))]


@pytest.mark.parametrize("url, expected", [
    ("http://x.edu.cn/2019/1031/c2960a100/page.htm", date(2019, 10, 31)),          # WebPlus
    ("http://x.gov.cn/col/201910/t20191031_123.html", date(2019, 10, 31)),         # TRS
    ("http://www.news.cn/2019-10/31/c_1125174381.htm", date(2019, 10, 31)),         # Xinhua
    ("http://x.cn/news/20191031/a.html", date(2019, 10, 31)),
    ("http://x.gov.cn/art/2019/10/31/art_1229_5588.html", date(2019, 10, 31)),      # Hanweb
    ("http://x.gov.cn/art/2021/4/2/art_1229_5588.html", date(2021, 4, 2)),
    ("http://edu.people.com.cn/n1/2019/1031/c1006-31429.html", date(2019, 10, 31)),
    ("http://x.gov.cn/zcwj/P020201215345678901234.pdf", date(2020, 12, 15)),        # TRS attachment
])
def test_url_dates(url: str, expected: date) -> None:
    assert D.url_date(url, TODAY) == expected


@pytest.mark.parametrize("url", [
    "http://x.edu.cn/8e/4f/c3321a5678/page.htm",   # hashed WebPlus URL carries no date
    "http://x.edu.cn/info/1154/12345.htm",          # VSB
    "http://x.edu.cn/info/1154/20191031.htm",       # a news id that happens to look like a date
    "http://x.edu.cn/node/331",
    "http://x.edu.cn/2031/1031/c1a2/page.htm",      # future
])
def test_urls_without_dates(url: str) -> None:
    assert D.url_date(url, TODAY) is None


def test_month_day_and_year_month() -> None:
    assert D.month_day("[10-31]") == (10, 31)
    assert D.month_day("10/31") == (10, 31)
    assert D.month_day("10月31日") == (10, 31)
    assert D.month_day("13-31") is None
    assert D.year_month("2019.10") == (2019, 10)
    assert D.year_month("2019年10月") == (2019, 10)
    assert D.year_month("2019-10-31") is None


def test_resolve_year_across_new_year() -> None:
    # list newest first: [01-03] above [12-30] means the December row is from the year before
    jan = D.resolve_year(1, 3, anchor=None, before_anchor=True, today=date(2020, 1, 5))
    assert jan == date(2020, 1, 3)
    dec = D.resolve_year(12, 30, anchor=jan, before_anchor=True, today=date(2020, 1, 5))
    assert dec == date(2019, 12, 30)
    # the entry URL says 2019-12-30; the list shows [01-02] edited later: next year
    assert D.resolve_year(1, 2, anchor=date(2019, 12, 30), before_anchor=False, today=TODAY) == date(2020, 1, 2)


@pytest.mark.parametrize("value, expected", [
    ("2020-12-15 10:00", date(2020, 12, 15)),
    ("2020-12-15-16:40:05", date(2020, 12, 15)),     # gov.cn firstpublishedtime
    ("20191031", date(2019, 10, 31)),
    ("Thu, 31 Oct 2019 10:00:00 GMT", date(2019, 10, 31)),
    ("Oct 31, 2019", date(2019, 10, 31)),
    ("2019年10月31日", date(2019, 10, 31)),
    ("not a date", None),
])
def test_machine_dates(value: str, expected: date | None) -> None:
    assert D.parse_machine_date(value, TODAY) == expected


def test_today_widgets() -> None:
    assert D.looks_like_today_widget("今天是2026年11月21日 星期六")
    assert D.looks_like_today_widget("当前时间：2026-11-21")
    assert not D.looks_like_today_widget("发布时间：2019-10-31")


# --------------------------------------------------------------------------------------------
# Signatures (落款)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lines, expected", [
    (["请各单位做好安全工作。", "党政办公室", "2019年12月24日"], date(2019, 12, 24)),
    (["现予印发。", "中共示例大学委员会", "二〇一九年十二月二十四日"], date(2019, 12, 24)),
    (["请认真贯彻落实。", "某县教育局", "2020年2月18日", "（此件公开发布）"], date(2020, 2, 18)),
    (["择优录取。", "示例大学研究生院 2020年3月5日"], date(2020, 3, 5)),
    (["现将方案印发。", "示例大学党政办公室 2019年12月24日印发"], date(2019, 12, 24)),
    (["特此通知。", "学生工作部（处）", "2019-12-24"], date(2019, 12, 24)),
])
def test_signature_dates(lines: list[str], expected: date) -> None:
    assert D.signature_date(lines, TODAY) == expected


@pytest.mark.parametrize("lines", [
    ["材料请于2019年12月24日前报送教务处。"],                        # a deadline in prose
    ["会议定于", "2019年12月24日"],                                  # no signer above the date
    ["党政办公室", "2019年12月24日", "联系人：王老师，电话：0571-88886789，邮箱：jwc@example.edu.cn，请材料加盖公章后报送。"],
    ["示例大学", "2026年11月21日 星期六"],                           # a today widget
    ["党政办公室", "2031年1月1日"],                                  # future
    ["党政办公室", "2019年12月24日至2019年12月30日"],               # a period, not a signature
    ["教务处 2019年12月24日 学生处 2019年12月25日"],
])
def test_not_signature_dates(lines: list[str]) -> None:
    assert D.signature_date(lines, TODAY) is None


def test_organisation_lines() -> None:
    assert D.is_organisation_line("示例大学党政办公室")
    assert D.is_organisation_line("中共示例大学委员会")
    assert not D.is_organisation_line("请各单位认真落实。")
    assert not D.is_organisation_line("联系电话：88886789")
