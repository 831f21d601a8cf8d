"""Crawled text cannot stall the scan: personal-data detection and extraction stay linear on hostile
input (hundreds of KB of word characters, run-together links, base64 cells, whitespace, digits), and
the linear patterns find exactly what the older ones found on ordinary text."""
from __future__ import annotations

import base64
import random
import re
import time
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.compliance.pii import find_pii, id_check_char, redact

SIZE = 200_000


def make_id(region: str, born: date, seq: str) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq}"
    return first17 + id_check_char(first17)


GOOD_ID = make_id("110105", date(1990, 3, 7), "123")

# The patterns as they were: references for what the linear ones must still match.
OLD_URL_RE = re.compile(r"(?:https?://|ftp://|www\.)[^\s\"'<>，。；）】]+|[A-Za-z0-9_.~%+-]*[A-Za-z][A-Za-z0-9_.~%+-]*"
                        r"(?:[/?=&#][A-Za-z0-9_.~%+=&#/?:;-]*)+")
OLD_CELL_SPLIT_RE = re.compile(r"\t|\s*\|\s*")

_CELLISH = st.text(alphabet=list("a1 \t|\r\u3000\xa0\x0b-"), max_size=40)


@pytest.mark.timeout(120)
def test_url_pattern_is_linear_and_finds_what_the_old_one_found() -> None:
    from monitor.compliance.pii import _URL_RE

    rnd = random.Random(11)
    pieces = list("aZ09_.~%+-/?=&#:;| \t\u3000，<\"") + ["http://", "www."]
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randrange(40)))
        assert [m.span() for m in _URL_RE.finditer(text)] == [m.span() for m in OLD_URL_RE.finditer(text)], text
    for text in ("a" * SIZE, "a" * SIZE + "/x", "0" * SIZE + "a"):
        t = time.monotonic()
        spans = [m.span() for m in _URL_RE.finditer(text)]
        assert time.monotonic() - t < 10
        assert spans == ([(0, len(text))] if "/" in text else [])


@pytest.mark.timeout(60)
@settings(max_examples=400, deadline=None)
@given(_CELLISH)
def test_cell_separators_are_the_old_ones(line: str) -> None:
    from monitor.compliance.pii import _separators

    assert _separators(line) == [m.span() for m in OLD_CELL_SPLIT_RE.finditer(line)]


def _timed(text: str, budget: float = 20.0):
    t = time.monotonic()
    hits = find_pii(text)
    elapsed = time.monotonic() - t
    assert elapsed < budget, f"find_pii took {elapsed:.1f}s on {len(text)} characters"
    return hits


@pytest.mark.timeout(120)
def test_word_runs_and_run_together_links_finish() -> None:
    for text in ("a" * SIZE, "a1" * (SIZE // 2), "Z_9.~%+-" * (SIZE // 8),
                 "".join(f"list{i}.htm" for i in range(SIZE // 10)),           # links run together, no delimiter
                 "".join(f"xxgk.example.edu.cn{i}" for i in range(SIZE // 20)),
                 "".join(f"http://x.edu.cn/a{i}.htm" for i in range(SIZE // 20))):
        assert _timed(text) == []
    # a leak after the hostile run is still found, and one inside a URL still is not
    hits = _timed("a" * SIZE + f" 身份证号：{GOOD_ID}")
    assert [h.kind for h in hits] == ["id_card"]
    assert _timed("a" * SIZE + f"/download?id={GOOD_ID}") == []


@pytest.mark.timeout(120)
def test_a_long_base64_cell_in_a_name_list_finishes_and_the_leak_beside_it_is_found() -> None:
    blob = base64.urlsafe_b64encode(random.Random(1).randbytes(SIZE)).decode().rstrip("=")  # no '/': one token
    text = f"姓名\t身份证号\t附件\n张三\t{GOOD_ID}\t{blob}\n李四\t无\t{blob}"
    hits = _timed(text)
    assert [(h.kind, h.masked) for h in hits] == [("id_card", "1101************39")]
    assert len(redact(text)) == len(text)


@pytest.mark.timeout(120)
def test_whitespace_digits_and_repeated_labels_finish() -> None:
    for text in ("a" + " " * (5 * SIZE) + "b",                 # cells split on a long whitespace run
                 "\t " * SIZE + "x",
                 "姓名" + " " * (5 * SIZE) + "x",
                 "姓名：张三 家住北京市海淀区" + "1" * SIZE,       # an address with a house number that never ends
                 "姓名：张三 " + "住址北京市海淀区中关村1号" * (SIZE // 14),
                 "1" * SIZE):
        _timed(text)


@pytest.mark.timeout(120)
def test_many_numbers_and_links_stay_linear() -> None:
    # every hit's excerpt, overlap and URL check used to scan all hits / all links
    rows = "\n".join(f"张三{i}\t{GOOD_ID}\t138{i % 10**8:08d}" for i in range(20_000))
    hits = _timed("姓名\t身份证号\t手机号码\n" + rows, budget=30)
    assert len(hits) == 40_000 and {h.kind for h in hits} == {"id_card", "mobile"}
    assert all("*" in h.context_masked and GOOD_ID not in h.context_masked for h in hits[:100])
    links = " ".join(f"www.x{i}.edu.cn/a?{i}" for i in range(20_000))
    assert len(_timed(links + " " + " ".join(["13812345678"] * 20_000), budget=30)) == 20_000


# ---- extraction (crawler/*.py) on hostile pages -----------------------------------------------------
def _page(body: str, head: str = "") -> bytes:
    return f"<html><head>{head}</head><body><h1>关于公布2019年预算的通知</h1>{body}</body></html>".encode("utf-8")


@pytest.mark.timeout(120)
def test_extract_finishes_on_hostile_pages() -> None:
    from crawler.extract import extract

    run = "1" * SIZE
    pages = [
        _page(f"<div class='content'><p>{run}</p></div>"),                       # counters, dates on a digit run
        _page("<p>x</p>", f"<meta name='PubDate' content='{'a' * SIZE}'>"),      # English dates on a letter run
        _page(f"<div class='content'><p>{'2019.1.1.' * (SIZE // 9)}</p></div>"),  # "not followed by digits"
        _page("<div class='page'><a href='/list2.htm?a=" + "1=" * (SIZE // 2) + "'>下一页</a>"
              f"<a href='/list{run}.htm'>2</a></div>"),                          # pager links of numbers
    ]
    for body in pages:
        t = time.monotonic()
        rec = extract(body, "http://xxgk.example.edu.cn/a/b.htm", {}, today=date(2020, 1, 1))
        assert time.monotonic() - t < 20
        assert rec.title
