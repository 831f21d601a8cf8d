"""Crawled labels are capped when the record is built: a page cannot store a 400,000-character title
(nor list-row title, column name, breadcrumb, link text or attachment name) whatever path sets it."""
from __future__ import annotations

from datetime import date

from crawler.extract import extract, extract_attachment
from crawler.extract.records import Entry, Link, PageRecord
from monitor.core.safe_text import TITLE_MAX
from tests.test_extract_lists import column

TODAY = date(2019, 10, 15)
HUGE = "关于开展信息公开工作自查的通知" * 26_667   # 400,005 characters


def _capped(text: str | None) -> None:
    assert text is not None and len(text) == TITLE_MAX and text.endswith("…"), len(text or "")
    assert text.startswith("关于开展信息公开工作自查的通知")


def test_a_400000_character_document_title_is_capped():
    page = (f"<html><head><meta charset='utf-8'><title>{HUGE}</title></head><body>"
            "<div class='content'><p>" + "正文内容。" * 60 + "</p><p>发布时间：2019-05-10</p></div></body></html>")
    rec = extract(page.encode("utf-8"), "http://xxgk.example.edu.cn/info/1.htm", today=TODAY)
    _capped(rec.title)


def test_selector_title_list_rows_column_and_breadcrumb_are_capped():
    # a site's configured title selector returns the element's text whatever its length
    rec = extract(f"<html><head><title>t</title></head><body><div class='bt'>{HUGE}</div>"
                  "<div class='content'>" + "<p>正文内容。</p>" * 60 + "</div></body></html>",
                  "http://xxgk.example.edu.cn/info/2.htm", selectors={"title": "div.bt"}, today=TODAY)
    _capped(rec.title)
    rows = "".join(f'<li><a href="/info/{i}.htm">{HUGE if i == 3 else f"第{i}号通知"}</a>'
                   f'<span class="date">2019-0{i}-01</span></li>' for i in range(1, 7))
    lst = extract(column(f'<ul class="news-list">{rows}</ul>', title=HUGE[:300_000]),
                  "http://xxgk.example.edu.cn/tzgg/list.htm", today=TODAY)
    assert lst.kind == "list" and len(lst.entries) == 6
    _capped(next(e.title for e in lst.entries if e.url.endswith("/3.htm")))
    _capped(lst.column)
    _capped(lst.title)
    assert all(len(c) <= TITLE_MAX for c in lst.breadcrumb)
    assert all(len(link.text) <= TITLE_MAX for link in lst.links)


def test_attachment_name_from_the_server_is_capped():
    rec = extract_attachment(b"not really a pdf", "http://xxgk.example.edu.cn/files/a.pdf", "application/pdf",
                             {"Content-Disposition": f'attachment; filename="{HUGE}.pdf"'}, today=TODAY)
    assert len(rec.title) == TITLE_MAX and rec.title.endswith("…")


def test_every_way_of_setting_a_label_is_capped():
    rec = PageRecord(url="u", title=HUGE, kind="other", published=None, published_source=None, updated=None,
                     updated_source=None, breadcrumb=[HUGE])
    _capped(rec.title)
    _capped(rec.breadcrumb[0])
    rec.column = HUGE          # extraction assigns after construction too
    _capped(rec.column)
    _capped(Entry(HUGE, "u", None, None).title)
    _capped(Link("u", HUGE).text)
    assert PageRecord(url="u", title="正常标题", kind="other", published=None, published_source=None,
                      updated=None, updated_source=None).title == "正常标题"
    assert Entry("含\x00控制\x1f字符", "u", None, None).title == "含控制字符"
