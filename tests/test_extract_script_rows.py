"""Columns whose rows ship as data for the page's script (Hanweb/"jsdata" templates, Vue pages): the
static HTML holds an empty list box, the browser fills it from an inline JSON array. A person sees the
rows, so the extractor reads them from the data; a page that loads its rows from elsewhere at run
time is marked as needing a browser (crawl.render)."""
from __future__ import annotations

import json
from datetime import date

from crawler.extract import extract

TODAY = date(2025, 9, 1)
BASE = "http://gk.example.gov.cn/col/col4215/index.html"
MENU = [{"code": "col4210", "name": "政务公开", "urls": json.dumps({"pc": "/col/col4210/index.html"}),
         "children": [{"name": "机构信息", "urls": json.dumps({"pc": "/col/col4211/index.html"})}]}]


def page(script: str, box: str = '<ul class="list-ul" id="list"></ul>') -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策解读</title>
<script src="/js/jquery.min.js"></script>
<script>var channels = {json.dumps(MENU, ensure_ascii=False)};
{script}</script></head><body>
<div class="header"><a href="/">首页</a></div>
<div class="crumb"><a href="/">首页</a> &gt; <a href="/col/col4210/index.html">政务公开</a> &gt; 政策解读</div>
<div class="main"><h2 class="list-title">政策解读</h2>{box}
<script id="tpl" type="text/x-handlebars-template">{{{{#each articleList}}}}<li><a href="{{{{url}}}}">{{{{title}}}}</a>
<span>{{{{pubDate}}}}</span></li>{{{{/each}}}}</script></div>
<div class="footer">版权所有 © 2025 示例省教育厅</div></body></html>"""


def rows_json(n: int, *, dated: bool = True) -> str:
    rows = [{"title": f"<p>《示例省第{i + 1}号办法》政策解读</p>", "pubDate": f"2025-0{7 - i % 3}-{10 + i:02d} 16:59" if dated
             else "", "urls": json.dumps({"pc": f"/col/col4215/content/content_{1000 + i}.html"}), "sortNum": i}
            for i in range(n)]
    return "var listData = {articleList: " + json.dumps(rows, ensure_ascii=False) + "};"


def test_rows_embedded_as_script_data_are_the_columns_list() -> None:
    rec = extract(page(rows_json(12)), BASE, today=TODAY)
    assert rec.kind == "list" and rec.metadata.get("rows_from") == "script"
    assert len(rec.entries) == 12
    first = rec.entries[0]
    assert first.title == "《示例省第1号办法》政策解读"          # markup in the data is not the title
    assert first.url == "http://gk.example.gov.cn/col/col4215/content/content_1000.html"
    assert first.date == "2025-07-10" and first.date_source == "list"
    assert rec.newest_entry == max(e.date for e in rec.entries if e.date)


def test_one_row_of_script_data_is_a_list_too() -> None:
    rec = extract(page(rows_json(1)), BASE, today=TODAY)
    assert rec.kind == "list" and [e.date for e in rec.entries] == ["2025-07-10"]


def test_epoch_milliseconds_are_dates_in_china_time() -> None:
    # 2025-07-29 00:30 in Beijing is still the 28th in UTC
    ms = 1753720200000
    data = [{"title": "关于印发示例办法的通知", "releaseTime": ms, "url": "/art/2025/7/29/art_1_1.html"}]
    rec = extract(page("var d = " + json.dumps(data, ensure_ascii=False) + ";"), BASE, today=TODAY)
    assert [(e.url.rsplit("/", 1)[-1], e.date) for e in rec.entries] == [("art_1_1.html", "2025-07-29")]


def test_menus_settings_and_other_sites_data_are_not_rows() -> None:
    other = [{"title": "外站的新闻标题", "pubDate": "2025-07-01", "url": "http://news.example.com/a/1.html"}]
    numbers = "var cfg = [{\"id\": 1, \"width\": 300}, {\"id\": 2, \"width\": 200}];"
    rec = extract(page(numbers + "var ext = " + json.dumps(other, ensure_ascii=False) + ";"), BASE, today=TODAY)
    assert rec.entries == [] and rec.metadata.get("rows_from") is None
    # undated data rows (a channel's document titles without dates) are not read as a dated list
    rec = extract(page(rows_json(5, dated=False)), BASE, today=TODAY)
    assert rec.metadata.get("rows_from") is None


def test_rows_loaded_by_script_from_elsewhere_need_a_browser() -> None:
    loader = "$(function(){ $.ajax({url: '/api/list?col=4215', dataType: 'json', success: function(d){ render(d); }}); });"
    rec = extract(page(loader), BASE, today=TODAY)
    assert rec.entries == [] and rec.metadata.get("scripted_list") is True
    # the same page with its rows in the HTML needs nothing
    box = '<ul class="list-ul"><li><a href="/col/col4215/content/content_1.html">示例办法解读</a><span>2025-07-01</span></li></ul>'
    assert not extract(page(loader, box), BASE, today=TODAY).metadata.get("scripted_list")


def test_a_page_without_script_data_is_read_as_before() -> None:
    box = ('<ul class="list-ul">' + "".join(f'<li><a href="/col/col4215/content/content_{i}.html">示例第{i}号文件解读</a>'
                                            f'<span>2025-06-{10 + i}</span></li>' for i in range(3)) + "</ul>")
    rec = extract(page("", box), BASE, today=TODAY)
    assert rec.kind == "list" and len(rec.entries) == 3 and rec.metadata.get("rows_from") is None
