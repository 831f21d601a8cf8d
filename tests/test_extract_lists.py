"""List pages: the year of month-day rows, and column pages with few or no rows (空白栏目)."""
from __future__ import annotations

from datetime import date

import pytest

from crawler.extract import dates as D
from crawler.extract import extract


def column(rows: str, *, pager: str = '<div class="pagination"><span class="info">第1页/共1页</span></div>',
           title: str = "通知公告") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - 示例大学教务处</title></head><body>
<header class="site-header"><a class="brand" href="/">示例大学教务处</a>
<nav><ul><li><a href="/">首页</a></li><li><a href="/tzgg/">通知公告</a></li><li><a href="/zlbg/">质量报告</a></li></ul></nav>
</header>
<main><div class="crumbs">当前位置：<a href="/">首页</a> &gt; {title}</div>
<section class="column"><h1 class="column-title">{title}</h1>{rows}{pager}</section></main>
<footer>© 2018 示例大学教务处　地址：示例市大学路1号</footer></body></html>"""


def md_rows(items: list[tuple[str, str]], *, date_first: bool = True) -> str:
    out = []
    for href, md in items:
        link = f'<a href="{href}">关于{href.rsplit("/", 1)[-1]}号文件的通知</a>'
        day = f'<span class="date">[{md}]</span>'
        out.append(f"<li>{day}{link}</li>" if date_first else f"<li>{link}{day}</li>")
    return '<ul class="news-list">' + "".join(out) + "</ul>"


# --------------------------------------------------------------------------------------------
# The year of [MM-DD] rows
# --------------------------------------------------------------------------------------------
def test_url_year_and_year_heading_helpers() -> None:
    today = date(2020, 1, 10)
    assert D.url_year("http://x.edu.cn/content/2017/10264.html", today) == 2017
    assert D.url_year("http://x.edu.cn/tzgg/2018/list.htm", today) == 2018
    assert D.url_year("http://x.edu.cn/list.aspx?cid=3&year=2016", today) == 2016
    assert D.url_year("http://x.edu.cn/info/2017/12345.htm", today) is None   # VSB column id
    assert D.url_year("http://x.edu.cn/content/2031/1.html", today) is None    # not yet
    assert D.url_year("http://x.edu.cn/content/10264.html", today) is None
    assert D.year_heading("2017年", today) == 2017
    assert D.year_heading("【2019年度】", today) == 2019
    assert D.year_heading("2017年工作要点", today) is None
    assert D.year_heading("2023", today) is None


@pytest.mark.parametrize("today, first, last", [
    (date(2019, 10, 15), "2018-12-04", "2018-02-18"),
    (date(2020, 1, 10), "2019-12-04", "2019-02-18"),
    (date(2020, 6, 30), "2019-12-04", "2019-02-18"),  # newest first: February under December is older
])
def test_no_year_context_gives_the_latest_past_year(today: date, first: str, last: str) -> None:
    """Without any year on the page, [12-04] fetched on 2020-01-10 is 2019-12-04 (never a future day)."""
    rows = md_rows([("/show.aspx?id=9", "12-04"), ("/show.aspx?id=8", "10-31"), ("/show.aspx?id=7", "02-18")])
    rec = extract(column(rows), "http://jwc.x.edu.cn/list.aspx?cid=1", today=today)
    assert rec.kind == "list"
    dates = [e.date for e in rec.entries]
    assert (dates[0], dates[-1]) == (first, last)
    assert all(d <= today.isoformat() for d in dates)


@pytest.mark.parametrize("today", [date(2019, 10, 15), date(2020, 1, 10), date(2020, 6, 30)])
def test_year_heading_over_the_rows_gives_the_year(today: date) -> None:
    rows = ('<div class="year-group"><h3 class="year">2017年</h3>'
            + md_rows([("/show.aspx?id=3", "12-26"), ("/show.aspx?id=2", "10-24"), ("/show.aspx?id=1", "02-18")])
            + "</div>")
    rec = extract(column(rows), "http://jwc.x.edu.cn/tzgg/?page=3", today=today)
    assert [e.date for e in rec.entries] == ["2017-12-26", "2017-10-24", "2017-02-18"]
    assert {e.date_source for e in rec.entries} == {"list"}


def test_two_year_groups_on_one_page() -> None:
    rows = ('<div class="year-group"><h3 class="year">2020年</h3>'
            + md_rows([("/show.aspx?id=5", "01-05")]) + '</div><div class="year-group"><h3 class="year">2019年</h3>'
            + md_rows([("/show.aspx?id=4", "12-20"), ("/show.aspx?id=3", "11-02")]) + "</div>")
    rec = extract(column(rows), "http://jwc.x.edu.cn/tzgg/", today=date(2020, 6, 30))
    assert rec.kind == "list"
    assert [e.date for e in rec.entries] == ["2020-01-05", "2019-12-20", "2019-11-02"]


@pytest.mark.parametrize("today", [date(2019, 10, 15), date(2020, 1, 10), date(2020, 6, 30)])
def test_year_folder_of_the_entry_url_gives_the_year(today: date) -> None:
    rows = md_rows([("/content/2018/10497.html", "11-26"), ("/content/2017/10288.html", "11-28"),
                    ("/content/2016/10080.html", "11-30")], date_first=False)
    rec = extract(column(rows, title="质量报告"), "http://jwc.x.edu.cn/zlbg/", today=today)
    assert [e.date for e in rec.entries] == ["2018-11-26", "2017-11-28", "2016-11-30"]


def test_a_column_id_that_looks_like_a_year_is_not_a_year() -> None:
    # VSB /info/<columnId>/<id>.htm with column 2017; the rows wrap past New Year
    rows = md_rows([("/info/2017/103.htm", "01-05"), ("/info/2017/102.htm", "12-20"), ("/info/2017/101.htm", "11-02")])
    rec = extract(column(rows), "http://x.edu.cn/tzgg.htm", today=date(2020, 1, 10))
    assert [e.date for e in rec.entries] == ["2020-01-05", "2019-12-20", "2019-11-02"]
    # a constant "year" folder that would put a row in the future is not a year either
    rows = md_rows([("/news/2019/3.html", "12-20"), ("/news/2019/2.html", "11-02")])
    rec = extract(column(rows), "http://x.edu.cn/news/", today=date(2019, 12, 1))
    assert [e.date for e in rec.entries] == ["2018-12-20", "2018-11-02"]


def test_the_page_url_year_dates_the_rows() -> None:
    rows = md_rows([("/show.aspx?id=9", "12-04"), ("/show.aspx?id=8", "03-01")])
    rec = extract(column(rows), "http://x.edu.cn/tzgg/2016/list.htm", today=date(2020, 1, 10))
    assert [e.date for e in rec.entries] == ["2016-12-04", "2016-03-01"]


# --------------------------------------------------------------------------------------------
# Column pages with no or few rows are lists (空白栏目 / a column with one document)
# --------------------------------------------------------------------------------------------
EMPTY_COLUMNS = {
    "portal": column('<ul class="news-list"></ul>', title="学籍管理"),
    "asp_zero_count": """<html><head><meta charset="gbk"><title>岗位设置</title></head><body topmargin="0">
<table width="980"><tr><td class="banner"><a href="/">示例大学人事处</a></td></tr></table>
<table width="980"><tr><td class="nav"><a href="/">首页</a></td><td class="nav"><a href="/news_list.asp?cid=2">岗位设置</a>
</td></tr></table>
<table width="980"><tr><td valign="top"><table width="100%" class="newslist"><tr><td colspan="2" class="lmtitle">岗位设置
</td></tr></table><div class="page">共 0 条记录 第1/1页</div></td></tr></table>
<table width="980" class="bottom"><tr><td>版权所有 示例大学人事处 Copyright &copy; 2008-2019<br>您是本站第 <font>1238677
</font> 位访问者</td></tr></table></body></html>""",
    "jsp_winstyle": """<HTML><HEAD><meta charset="gbk"><TITLE>财务制度-示例大学财务处</TITLE></HEAD><BODY>
<table width="1000" class="top"><tr><td><a href="/">示例大学财务处</a></td></tr></table>
<table width="1000" class="nav"><tr><td><a href="/">首页</a></td><td><a href="/list.jsp?wbtreeid=1151">财务制度</a></td></tr></table>
<table width="1000" class="main"><tr><td><div class="lmtitle">财务制度</div><table width="100%" class="winstyle1151"></table>
<div class="fy">共0条记录 分1页 当前第1页</div></td></tr></table>
<table width="1000" class="foot"><tr><td>示例大学财务处 版权所有 2016</td></tr></table></BODY></HTML>""",
    "trs_script_pager": """<html><head><meta charset="utf-8"><title>复试名单及成绩</title></head><body>
<div class="header"><div class="logo"><a href="/">示例大学研究生院</a></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="index.html">复试名单及成绩</a></li></ul></div></div>
<div class="container"><div class="location">您当前的位置：<a href="/">首页</a> &gt; 复试名单及成绩</div>
<div class="list_t"><h2>复试名单及成绩</h2></div><div class="list"><ul></ul></div>
<div class="page"><script>createPageHTML(1, 0, "index", "html");</script></div></div>
<div class="footer">版权所有：示例大学研究生院</div></body></html>""",
    "vsb_zero": """<html><head><meta charset="utf-8"><title>招生章程-示例大学本科招生网</title></head><body>
<div class="top"><div class="logo"><a href="index.htm">示例大学本科招生网</a></div>
<div class="nav"><ul><li><a href="index.htm">网站首页</a></li><li><a href="zszc.htm">招生章程</a></li></ul></div></div>
<div class="main"><div class="dqwz">当前位置：<a href="index.htm">首页</a>&gt;&gt;招生章程</div>
<div class="lm_name"><h2>招生章程</h2></div><div class="list"><ul></ul></div>
<div class="pb_sys_common"><span class="p_t">共0条</span><span class="p_t">1/1</span><span class="p_pages">
<span class="p_first_d">首页</span><span class="p_prev_d">上页</span><span class="p_no_d">1</span><span class="p_next_d">下页</span>
<span class="p_last_d">尾页</span></span></div></div>
<div class="foot"><p>Copyright© 2017 示例大学招生办公室 All rights reserved.</p></div></body></html>""",
}


@pytest.mark.parametrize("name", sorted(EMPTY_COLUMNS))
def test_an_empty_column_is_a_list_without_entries(name: str) -> None:
    urls = {"portal": "http://jwc.x.edu.cn/xjgl/", "asp_zero_count": "http://rsc.x.edu.cn/news_list.asp?cid=2",
            "jsp_winstyle": "http://cwc.x.edu.cn/list.jsp?urltype=tree.TreeTempUrl&wbtreeid=1151",
            "trs_script_pager": "http://yjsy.x.edu.cn/zsgz/fscj/index.html",
            "vsb_zero": "http://zsb.x.edu.cn/zszc.htm"}
    rec = extract(EMPTY_COLUMNS[name].encode("utf-8"), urls[name], today=date(2016, 10, 1))
    assert (rec.kind, rec.entries, rec.newest_entry, rec.published) == ("list", [], None, None)
    assert rec.title and "示例大学" not in rec.title


def test_a_column_with_one_undated_document_is_a_list() -> None:
    rows = ('<ul class="news-list"><li><a href="/show.aspx?id=10081" title="示例大学2016届毕业生就业质量年度报告">'
            "示例大学2016届毕业生就业质量年度报告</a></li></ul>")
    for url, pager in (("http://jyzx.x.edu.cn/list.aspx?cid=7", '<div class="pagination"><span>第1页/共1页</span></div>'),
                       ("http://jyzx.x.edu.cn/list.aspx?cid=7&page=2",
                        '<div class="pagination"><span class="info">第2页/共2页</span> <a href="/list.aspx?cid=7">上一页</a> '
                        '<a href="/list.aspx?cid=7">1</a> <span class="current">2</span></div>')):
        rec = extract(column(rows, pager=pager, title="就业数据与报告"), url, today=date(2021, 12, 31))
        assert rec.kind == "list", url
        assert [e.title for e in rec.entries] == ["示例大学2016届毕业生就业质量年度报告"]
        assert rec.entries[0].date is None


def test_a_known_list_with_one_dated_row_is_a_list_not_an_article() -> None:
    html = """<html><head><meta charset="utf-8"><title>信息公开动态</title></head><body>
<div class="col_news"><div class="col_news_head"><h2 class="col_title">信息公开动态</h2>
<div class="col_path">当前位置：<a href="/">首页</a>&gt;<a href="/3100/list.htm">信息公开动态</a></div></div>
<div class="col_news_con"><div id="wp_news_w6"><ul class="wp_article_list"><li class="list_item i1">
<div class="fields pr_fields"><span class="Article_Index">1</span><span class="Article_Title">
<a href='/2016/0911/c3100a10007/page.htm' title='学校组织开展信息公开工作业务培训'>学校组织开展信息公开工作业务培训</a></span></div>
<div class="fields ex_fields"><span class="Article_PublishDate">2016-09-11</span></div></li></ul></div>
<div id="wp_paging_w6"><ul class="wp_paging"><li class="page_nav"><a class="first" href="/3100/list.htm">第一页</a>
<a class="prev" href="/3100/list.htm">&lt;&lt;上一页</a><span class="next">下一页&gt;&gt;</span>
<a class="last" href="/3100/list2.htm">尾页</a></li></ul></div></div></div></body></html>"""
    rec = extract(html, "http://xxgk.x.edu.cn/3100/list2.htm", today=date(2018, 1, 10))
    assert rec.kind == "list" and rec.published is None
    assert [(e.title, e.date) for e in rec.entries] == [("学校组织开展信息公开工作业务培训", "2016-09-11")]


def test_last_page_of_split_date_list_is_a_list() -> None:
    rows = "".join(f'<li><a href="/article/{i}" title="学生工作会议第{i}次">学生工作会议第{i}次</a><div class="date">'
                   f'<span class="day">{d:02d}</span><span class="ym">2016.09</span></div></li>'
                   for i, d in ((4, 14), (3, 12), (2, 10), (1, 7)))
    pager = ('<div class="pagination"><span class="info">第58页/共58页</span> <a href="/list/xgdt?page=57">上一页</a> '
             + " ".join(f'<a href="/list/xgdt?page={n}">{n}</a>' for n in range(2, 58)) + ' <span class="current">58</span></div>')
    rec = extract(column(f'<ul class="news-list">{rows}</ul>', pager=pager, title="学工动态"),
                  "http://xsc.x.edu.cn/list/xgdt?page=58", today=date(2019, 10, 15))
    assert rec.kind == "list"
    assert [e.date for e in rec.entries] == ["2016-09-14", "2016-09-12", "2016-09-10", "2016-09-07"]


def test_an_article_with_a_related_box_and_a_pager_stays_an_article() -> None:
    html = """<html><head><meta charset="utf-8"><title>关于举办校园开放日的通知</title></head><body>
<div class="article"><h1 class="title">关于举办校园开放日的通知</h1><p class="info">发布时间：2019-05-06</p>
<div class="body"><p>各学院：为展示我校办学成果，定于5月18日举办校园开放日活动，现将有关事项通知如下。</p>
<p>一、活动时间：2019年5月18日。二、活动地点：主校区。请各单位做好接待准备工作。</p></div>
<div class="page">第1页 共2页 <a href="?p=2">下一页</a></div></div>
<div class="related"><ul><li><a href="/a/1.htm">往期开放日回顾一</a></li><li><a href="/a/2.htm">往期开放日回顾二</a></li></ul></div>
</body></html>"""
    rec = extract(html, "http://x.edu.cn/a/3.htm", today=date(2019, 10, 15))
    assert (rec.kind, rec.published) == ("article", "2019-05-06")


def test_an_empty_table_column_beside_a_menu_table_is_empty() -> None:
    """Old ASP layout: the left menu's rows are navigation, the column's own box is empty (no "共0条")."""
    from pathlib import Path
    body = (Path(__file__).parent / "corpus" / "asp_empty_column_gbk.html").read_bytes().decode("gb18030")
    for pager_text in ("共 0 条记录&nbsp;&nbsp;", ""):
        html = body if pager_text else body.replace("共 0 条记录&nbsp;&nbsp;", "")
        rec = extract(html, "http://zcc.example.edu.cn/news_list.asp?cid=2", today=date(2019, 10, 15))
        assert (rec.kind, rec.entries, rec.title) == ("list", [], "政策法规")


def test_rows_that_show_a_long_summary_under_the_title_are_rows() -> None:
    # News lists often show each item's first paragraph under its title; the summary holds other dates
    # (the signature's 2019年9月27日, a 公示期) that are not the row's date.
    summary = ("学院家庭经济困难研究生认定工作由学院认定工作组和认定评议小组根据学校下发文件认定完成。"
               "一、认定等级基本标准：特别困难、一般困难、原则上不予认定，具体以学校通知为准。" * 3
               + "公示期：2019年9月14日至9月18日。联系人：办公室，电话 021-00000000。学院2019年9月27日")
    rows = "".join(
        f'<li class="news"><div class="news_con"><p class="news_title"><a href="/{i}/page.htm" title="公示{i}">'
        f'研究生认定公示{i}</a><span class="news_meta">2019-0{i}-1{i}</span></p>'
        f'<div class="news_text">{summary}</div></div></li>'
        for i in (3, 2, 1))
    html = (f'<html><head><title>通知公告</title></head><body><div class="nav"><a href="/">首页</a></div>'
            f'<div class="col_news_list"><ul class="news_list">{rows}</ul></div></body></html>')
    rec = extract(html, "http://x.edu.cn/tzgg/list.htm", today=date(2019, 10, 15))
    assert rec.kind == "list"
    assert [(e.title, e.date) for e in rec.entries] == [
        ("研究生认定公示3", "2019-03-13"), ("研究生认定公示2", "2019-02-12"), ("研究生认定公示1", "2019-01-11")]


def _webplus_column(main_list: str) -> str:
    box = "".join(
        f'<div class="post mbox"><h3 class="tit"><span class="title">{name}</span></h3><div class="con">'
        f'<ul class="news_list">'
        + "".join(f'<li class="news"><div class="news_title"><a href="/{cid}/{i}/c{cid}a{i}/page.htm">{name}第{i}条通知</a>'
                  f'</div><div class="news_meta">1{i}-2{i}</div></li>' for i in (1, 2, 3))
        + f'</ul></div><div class="more_btn"><a href="/{cid}/list.htm">更多</a></div></div>'
        for name, cid in (("重要通知", 24257), ("学生活动", 24258), ("讲座信息", 24259)))
    return (f'<html><head><title>采购公告</title></head><body><div class="nav"><a href="/">首页</a></div>'
            f'<div class="col_news"><div class="col_news_head"><h2>采购公告</h2></div>'
            f'<div class="col_news_list listcon"><div frag="窗口6" portletmode="simpleList">{main_list}</div></div>'
            f'<div class="col_news_right">{box}</div></div></body></html>')


def test_an_empty_webplus_list_portlet_is_an_empty_column_whatever_the_sidebar_shows() -> None:
    rec = extract(_webplus_column("<!-- No Data -->"), "http://x.edu.cn/cggg/list.htm", today=date(2019, 12, 31))
    assert (rec.kind, rec.entries, rec.newest_entry) == ("list", [], None)


def test_a_webplus_list_portlet_with_rows_gives_its_rows() -> None:
    rows = "".join(f'<li><a href="/cggg/{i}/page.htm">采购项目{i}号公告</a><span>2019-0{i}-0{i}</span></li>' for i in (3, 2))
    rec = extract(_webplus_column(f'<ul class="news_list">{rows}</ul>'), "http://x.edu.cn/cggg/list.htm",
                  today=date(2019, 12, 31))
    assert rec.kind == "list"
    assert [(e.title, e.date) for e in rec.entries] == [("采购项目3号公告", "2019-03-03"), ("采购项目2号公告", "2019-02-02")]


_SMALL_ROWS = {
    "table cells, date in its own cell": ('<table class="list">{}</table>',
                                          '<tr><td><a href="{u}">{t}</a></td><td>2019-6-{d}</td></tr>', "2019-06-0{d}"),
    "li, dotted date in a span after the link": ('<ul class="list">{}</ul>',
                                                 '<li><a href="{u}">{t}</a><span>2019.08.1{d}</span></li>', "2019-08-1{d}"),
    "split day / year-month block": ('<ul class="list">{}</ul>', '<li><div class="date"><span>0{d}</span>'
                                     '<span>2018.11</span></div><a href="{u}">{t}</a></li>', "2018-11-0{d}"),
    "dl rows": ('<div class="list">{}</div>', '<dl><dt><a href="{u}">{t}</a></dt><dd>2019-08-1{d}</dd></dl>', "2019-08-1{d}"),
    "date before the title": ('<ul class="list">{}</ul>', '<li><span>2019-08-1{d}</span><a href="{u}">{t}</a></li>',
                              "2019-08-1{d}"),
    "2019/8/30": ('<ul class="list">{}</ul>', '<li><a href="{u}">{t}</a><span>2019/8/{d}</span></li>', "2019-08-0{d}"),
    "[08-30]": ('<ul class="list">{}</ul>', '<li><a href="{u}">{t}</a><span>[08-1{d}]</span></li>', "2019-08-1{d}"),
    "2019年8月30日": ('<ul class="list">{}</ul>', '<li><a href="{u}">{t}</a><span>2019年8月{d}日</span></li>', "2019-08-0{d}"),
}


def _small_column(box: str, row: str, n: int) -> str:
    rows = "".join(row.format(u=f"/zn/{d}.htm", t=f"示例大学信息公开指南（第{d}版）", d=d) for d in range(n, 0, -1))
    return ('<html><head><title>信息公开指南 - 示例大学信息公开网</title></head><body><div class="nav">'
            '<a href="/">首页</a><a href="/zn/">信息公开指南</a><a href="/ml/">信息公开目录</a></div><div class="main">'
            '<div class="crumb">当前位置：<a href="/">首页</a> &gt; 信息公开指南</div><h2>信息公开指南</h2>'
            f'{box.format(rows)}</div><div class="footer">Copyright © 2019 示例大学</div></body></html>')


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("layout", sorted(_SMALL_ROWS))
def test_a_small_column_is_a_list_whatever_its_row_count(layout: str, n: int) -> None:
    # 章程, 指南, 年度报告 columns often hold one or two documents and no pager: their rows and dates count.
    box, row, day = _SMALL_ROWS[layout]
    rec = extract(_small_column(box, row, n), "http://x.edu.cn/zn/list.htm", today=date(2019, 10, 15))
    assert rec.kind == "list" and rec.published is None
    assert [e.date for e in rec.entries] == [day.format(d=d) for d in range(n, 0, -1)]


def test_a_short_article_beside_a_box_of_its_column_stays_an_article() -> None:
    box = ('<div class="box"><h3>通知公告</h3><ul class="list"><li><a href="/a/1.htm">关于开展信息公开检查的通知</a>'
           '<span>2019-10-10</span></li><li><a href="/a/2.htm">关于公布信息公开年度报告的通知</a><span>2019-10-09</span></li></ul></div>')
    html = ('<html><head><title>关于举办信息公开培训的通知 - 通知公告 - 示例大学</title></head><body><div class="nav">'
            '<a href="/">首页</a></div><div class="main"><div class="crumb">当前位置：<a href="/">首页</a> &gt; '
            '<a href="/tzgg/">通知公告</a></div><h1>关于举办信息公开培训的通知</h1><div class="info">2019-09-01</div>'
            f'<div class="content"><p>详见附件。</p><p><a href="/f/1.pdf">培训安排.pdf</a></p></div>{box}</div></body></html>')
    rec = extract(html, "http://x.edu.cn/tzgg/2019/0901/123.htm", today=date(2019, 10, 15))
    assert (rec.kind, rec.published) == ("article", "2019-09-01")
