"""The hand-written corpus (tests/corpus/*.html + .json): per-page expectations and overall accuracy.

Each JSON file gives the URL the page was "fetched" from, the response headers, the day of the
fetch (``today``, default 2026-11-21) and what a person reading the page would say: title, page
kind, publication date and where it comes from, list entries, pagination.
"""
from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest

from crawler.extract import PageRecord, extract

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p.stem for p in CORPUS.glob("*.json"))
DEFAULT_TODAY = "2026-11-21"


def load(name: str) -> tuple[dict, bytes]:
    spec = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))
    body = (CORPUS / f"{name}.html").read_bytes()
    return spec, body


def run(name: str) -> tuple[dict, PageRecord]:
    spec, body = load(name)
    today = date.fromisoformat(spec.get("today", DEFAULT_TODAY))
    rec = extract(body, spec["url"], spec.get("headers") or {}, today=today)
    return spec, rec


def test_corpus_is_big_and_varied() -> None:
    assert len(CASES) >= 40
    styles = {json.loads((CORPUS / f"{n}.json").read_text(encoding="utf-8"))["style"] for n in CASES}
    assert {"webplus", "vsb", "trs", "gov", "asp", "drupal", "news"} <= styles
    kinds = {json.loads((CORPUS / f"{n}.json").read_text(encoding="utf-8"))["expected"]["kind"] for n in CASES}
    assert {"article", "list", "other"} <= kinds
    gbk = [n for n in CASES if b"charset=utf-8" not in (CORPUS / f"{n}.html").read_bytes()[:600].lower()
           and not (CORPUS / f"{n}.html").read_bytes().isascii()
           and _is_gbk(CORPUS / f"{n}.html")]
    assert len(gbk) >= 3, gbk
    no_date = [n for n in CASES if json.loads((CORPUS / f"{n}.json").read_text(encoding="utf-8"))["expected"].get(
        "published", "x") is None]
    assert len(no_date) >= 4


def _is_gbk(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


@pytest.mark.parametrize("name", CASES)
def test_corpus_page(name: str) -> None:
    spec, rec = run(name)
    exp = spec["expected"]
    assert rec.kind == exp["kind"], f"{name}: kind"
    if "title" in exp:
        assert rec.title == exp["title"], f"{name}: title"
    for key in ("published", "published_source", "updated", "column", "newest_entry"):
        if key in exp:
            assert getattr(rec, key) == exp[key], f"{name}: {key}"
    if "entries" in exp:
        assert len(rec.entries) == exp["entries"], f"{name}: entries {[(e.title, e.date) for e in rec.entries]}"
    if "first_entry" in exp:
        first = rec.entries[0]
        for key, value in exp["first_entry"].items():
            assert getattr(first, key) == value, f"{name}: first entry {key}"
    if "entry_dates" in exp:
        assert [e.date for e in rec.entries] == exp["entry_dates"], f"{name}: entry dates"
    if "entry_sources" in exp:
        assert [e.date_source for e in rec.entries] == exp["entry_sources"], f"{name}: entry sources"
    if "pagination" in exp:
        assert sorted(rec.pagination) == sorted(exp["pagination"]), f"{name}: pagination"
    if "pagination_count" in exp:
        assert len(rec.pagination) == exp["pagination_count"], f"{name}: pagination count"
    if "attachments" in exp:
        assert len(rec.attachments) == exp["attachments"], f"{name}: attachments {rec.attachments}"
    if "metadata" in exp:
        for key, value in exp["metadata"].items():
            assert rec.metadata.get(key) == value, f"{name}: metadata {key}"
    if "breadcrumb" in exp:
        assert rec.breadcrumb == exp["breadcrumb"], f"{name}: breadcrumb"
    if "text_contains" in exp:
        for s in exp["text_contains"]:
            assert s in rec.text, f"{name}: text should contain {s!r}"
    if "text_excludes" in exp:
        for s in exp["text_excludes"]:
            assert s not in rec.text, f"{name}: text should not contain {s!r}"
    assert rec.fingerprint and len(rec.fingerprint) == 64


def test_corpus_date_accuracy(capsys: pytest.CaptureFixture) -> None:
    """Publication date right on >= 95% of dated pages, and no date invented on undated pages."""
    dated_ok = dated = undated_ok = undated = 0
    wrong = []
    started = time.perf_counter()
    for name in CASES:
        spec, rec = run(name)
        exp = spec["expected"]
        if "published" not in exp or exp["kind"] == "list":
            continue
        if exp["published"] is None:
            undated += 1
            undated_ok += rec.published is None
        else:
            dated += 1
            dated_ok += rec.published == exp["published"]
        if rec.published != exp["published"]:
            wrong.append(f"{name}: got {rec.published} ({rec.published_source}), want {exp['published']}")
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[corpus] date accuracy {dated_ok}/{dated} dated pages, {undated_ok}/{undated} undated pages "
              f"correctly without a date; {len(CASES)} pages in {elapsed:.2f}s")
    assert dated >= 30 and undated >= 4
    assert dated_ok / dated >= 0.95, wrong
    assert undated_ok == undated, wrong


def test_extract_speed(capsys: pytest.CaptureFixture) -> None:
    """Pages per second on the corpus (reported, not asserted: machines differ)."""
    bodies = [load(n) for n in CASES]
    rounds = 5
    started = time.perf_counter()
    for _ in range(rounds):
        for spec, body in bodies:
            extract(body, spec["url"], spec.get("headers") or {}, today=date(2026, 11, 21))
    elapsed = time.perf_counter() - started
    pages = rounds * len(bodies)
    avg_kb = sum(len(b) for _, b in bodies) / len(bodies) / 1024
    with capsys.disabled():
        print(f"\n[corpus] extract(): {pages / elapsed:.0f} pages/s ({pages} pages, avg {avg_kb:.1f} KB)")


DECOY_TOP = ('<div class="topbar"><span class="today">今天是2026年11月20日 星期五</span>'
             '<marquee><a href="/n/1.htm">滚动新闻标题一（2026-11-19）</a></marquee></div>')
DECOY_BOTTOM = ('<div class="box1"><h3>热点新闻</h3><ul>'
                '<li><a href="/n/2.htm">热点新闻标题之二</a><span>2018-01-02</span></li>'
                '<li><a href="/n/3.htm">热点新闻标题之三</a><span>2018-01-01</span></li>'
                '<li><a href="/n/4.htm">热点新闻标题之四</a><span>2017-12-30</span></li></ul></div>'
                '<div class="footer">Copyright © 2005-2026 示例大学 版权所有 网站更新时间：2026-11-20 访问量：123456</div>')


DECOY_NEUTRAL = ('<div class="b3"><p>上一篇：<a href="/n/5.htm">上一篇文章标题（2026-11-18）</a></p>'
                 '<p>下一篇：<a href="/n/6.htm">下一篇文章标题 2026-11-19</a></p></div>'
                 '<div class="b4"><h4>相关文章</h4><ul>'
                 '<li><a href="/n/7.htm">相关文章标题之一</a><p>发布时间：2016-05-04</p></li>'
                 '<li><a href="/n/8.htm">相关文章标题之二</a><p>发布时间：2016-05-03</p></li></ul></div>'
                 '<div>2026年11月21日 星期六</div><div>版权所有 2026 示例大学</div>')


def _with_decoys(body: bytes, encoding: str, *, sidebar_first: bool = False, neutral: bool = False) -> bytes:
    text = body.decode(encoding)
    low = text.lower()
    start = low.find("<body")
    start = low.find(">", start) + 1
    end = low.rfind("</body>")
    if start <= 0 or end < 0:
        return body
    if neutral:  # prev/next with dates, labelled related rows, a date line and a footer without classes
        return (text[:end] + DECOY_NEUTRAL + text[end:]).encode(encoding)
    if sidebar_first:  # a left column of dated news before the article in the markup
        side, foot = DECOY_BOTTOM.split('<div class="footer">')
        return (text[:start] + DECOY_TOP + side + text[start:end] + '<div class="footer">' + foot
                + text[end:]).encode(encoding)
    return (text[:start] + DECOY_TOP + text[start:end] + DECOY_BOTTOM + text[end:]).encode(encoding)


@pytest.mark.parametrize("name", [n for n in CASES if json.loads((CORPUS / f"{n}.json").read_text(
    encoding="utf-8"))["expected"]["kind"] == "article"])
def test_decoys_around_a_page_change_nothing(name: str) -> None:
    """Widgets, tickers, hot-news boxes and footers added around an article keep its date and fingerprint."""
    spec, body = load(name)
    encoding = "gb18030" if _is_gbk(CORPUS / f"{name}.html") else "utf-8"
    today = date.fromisoformat(spec.get("today", DEFAULT_TODAY))
    plain = extract(body, spec["url"], spec.get("headers") or {}, today=today)
    for variant in ({}, {"sidebar_first": True}, {"neutral": True}):
        noisy = extract(_with_decoys(body, encoding, **variant), spec["url"], spec.get("headers") or {},
                        today=today)
        assert (noisy.kind, noisy.title, noisy.published) == (plain.kind, plain.title, plain.published)
        assert noisy.fingerprint == plain.fingerprint


LIST_DECOY = ('<div class="col-l"><h3>最新动态</h3><ul>' + "".join(
    f'<li><a href="/zxdt/{i}.htm">最新动态新闻标题第{i}条</a><span>2018-0{i}-1{i}</span></li>' for i in range(1, 9))
    + '</ul></div>')


@pytest.mark.parametrize("name", [n for n in CASES if json.loads((CORPUS / f"{n}.json").read_text(
    encoding="utf-8"))["expected"]["kind"] == "list"])
def test_a_bigger_news_box_does_not_replace_the_column_list(name: str) -> None:
    """A left column with eight dated news rows before the list: the column's own rows stay the entries."""
    spec, body = load(name)
    encoding = "gb18030" if _is_gbk(CORPUS / f"{name}.html") else "utf-8"
    today = date.fromisoformat(spec.get("today", DEFAULT_TODAY))
    plain = extract(body, spec["url"], spec.get("headers") or {}, today=today)
    text = body.decode(encoding)
    start = text.lower().find(">", text.lower().find("<body")) + 1
    noisy = extract((text[:start] + LIST_DECOY + text[start:]).encode(encoding), spec["url"],
                    spec.get("headers") or {}, today=today)
    assert noisy.kind == plain.kind == "list"
    assert [e.url for e in noisy.entries] == [e.url for e in plain.entries]
    assert noisy.pagination == plain.pagination
