"""extract() over the simulated university served on 127.0.0.1, against its ground truth, on several days.

Every list and non-article page of every site is fetched over real HTTP: its kind must match the truth
(including columns that are still empty or hold one document), and the date of every list row must
be the publication date of the page it points to (`[10-31]` rows get their year right on any day).
"""
from __future__ import annotations

import urllib.request
from datetime import date

import pytest

from crawler.extract import extract
from monitor.testbed import Testbed

DAYS = [date(2016, 10, 1), date(2019, 10, 15), date(2020, 1, 10), date(2020, 6, 30)]


@pytest.fixture(scope="module")
def testbed():
    with Testbed(as_of=DAYS[0]) as tb:
        yield tb


def _get(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read(), dict(resp.headers)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_list_pages_and_row_dates_agree_with_the_truth(testbed: Testbed, day: date) -> None:
    testbed.set_as_of(day)
    truth = testbed.ground_truth()
    pages = {p["url"]: p for p in truth["pages"]}
    wrong_kind, wrong_date, rows, jwc_rows = [], [], 0, 0
    for page in truth["pages"]:
        if page["kind"] in ("article", "attachment"):
            continue
        body, headers = _get(page["url"])
        rec = extract(body, page["url"], headers, today=day)
        if rec.kind != page["kind"]:
            wrong_kind.append((page["url"], page["kind"], rec.kind))
        for e in rec.entries:
            target = pages.get(e.url)
            if target is None or target["kind"] != "article" or e.date is None:
                continue  # rows of undated lists show no date (就业数据与报告): nothing to compare
            rows += 1
            jwc_rows += page["site"] == "jwc"
            if e.date != target["published"]:
                wrong_date.append((page["url"], e.url, e.date, target["published"]))
    assert not wrong_kind, wrong_kind
    assert not wrong_date, wrong_date
    if day.year >= 2019:
        assert rows >= 300 and jwc_rows >= 20


def test_jwc_short_dates_on_every_list_page(testbed: Testbed) -> None:
    """The jwc portal shows `[10-31]`: every row on every list page, every day, has the truth's date."""
    for day in DAYS[1:]:
        testbed.set_as_of(day)
        truth = testbed.ground_truth()
        published = {p["url"]: p["published"] for p in truth["pages"] if p["kind"] == "article"}
        lists = [p["url"] for p in truth["pages"] if p["site"] == "jwc" and p["kind"] == "list"]
        checked = 0
        for url in lists:
            body, headers = _get(url)
            assert b"[" in body or b"news-list" in body
            rec = extract(body, url, headers, today=day)
            for e in rec.entries:
                if e.url in published:
                    assert (e.date, e.date_source) == (published[e.url], "list"), (day, url, e.url)
                    checked += 1
        assert checked >= 20, day
