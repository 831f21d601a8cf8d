"""Row and page layouts met on sites we did not build: a list is a box of dated title links in the page's
content whatever its class names; summaries, <dl> rows, dates before the title, year groups of one or two
rows, month-day dates inside the link; an unlabelled byline date against an "updated" label."""
from __future__ import annotations

from datetime import date

from crawler.extract import extract

TODAY = date(2019, 9, 1)


def page(box: str, *, title: str = "通知公告", pager: bool = True) -> str:
    bar = '<div class="pagination"><span>共1页</span> <a href="?page=1">首页</a></div>' if pager else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - 示例学院</title></head><body>
<div class="site-head"><a href="/">示例学院</a></div>
<div class="menu"><a href="/">首页</a> <a href="/tzgg/">通知公告</a> <a href="/xwdt/">新闻动态</a></div>
<div class="main-wrap"><div class="position">当前位置：<a href="/">首页</a> &gt; {title}</div>
<div class="column-head"><h2>{title}</h2></div>{box}{bar}</div>
<div class="copyright">© 2019 示例学院 版权所有</div></body></html>"""


def li_rows(n: int, shape: str) -> str:
    return "".join(shape.format(i=i, d=f"2018/11/{28 - i:02d}", md=f"08-{28 - i:02d}") for i in range(n))


def dated(rec) -> list[str | None]:
    return [e.date for e in rec.entries]


def test_a_list_box_whose_class_names_a_column_is_the_list() -> None:
    """"column-list" is the column's list of items, not a menu of columns: its rows are dated title links."""
    rows = li_rows(6, '<li><a href="/tzgg/{i}.htm">关于第{i}次教学检查工作安排的通知</a><span>{d}</span></li>')
    rec = extract(page(f'<div class="column-list"><ul>{rows}</ul></div>'), "http://x.edu.cn/tzgg/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert len(rec.entries) == 6 and dated(rec)[0] == "2018-11-28"


def test_a_column_menu_is_still_navigation() -> None:
    """A menu of columns (undated short links) beside the list stays out of the entries."""
    menu = ('<div class="column-list"><ul><li><a href="/tzgg/">通知公告</a></li><li><a href="/xwdt/">新闻动态</a></li>'
            '<li><a href="/xsgz/">学术讲座</a></li></ul></div>')
    rows = li_rows(4, '<li><a href="/tzgg/{i}.htm">关于第{i}次教学检查工作安排的通知</a><span>{d}</span></li>')
    rec = extract(page(f'{menu}<ul class="news">{rows}</ul>'), "http://x.edu.cn/tzgg/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert [e.url.rsplit("/", 1)[-1] for e in rec.entries] == [f"{i}.htm" for i in range(4)]


def test_a_list_box_named_column_with_split_date_blocks_is_the_list() -> None:
    rows = "".join(f'<li><div class="d"><span>{28 - i}</span><span>2019/08</span></div>'
                   f'<div class="txt"><a href="/tzgg/{i}.htm">关于第{i}次教学检查工作安排的通知</a></div></li>'
                   for i in range(4))
    rec = extract(page(f'<ul class="column-list">{rows}</ul>'), "http://x.edu.cn/tzgg/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert dated(rec) == ["2019-08-28", "2019-08-27", "2019-08-26", "2019-08-25"]


def test_an_undated_box_of_document_titles_named_column_is_the_list() -> None:
    """No dates, but full document titles under the column heading: the column's list, not a menu."""
    rows = "".join(f'<dl><dt><a href="/show.aspx?id={i}">示例学院{2018 - i}届毕业生就业质量年度报告</a></dt></dl>'
                   for i in range(3))
    rec = extract(page(f'<div class="column-list">{rows}</div>', title="就业质量报告", pager=False),
                  "http://jy.x.edu.cn/list.aspx?cid=7", today=TODAY)
    assert rec.kind == "list"
    assert [e.title for e in rec.entries] == [f"示例学院{2018 - i}届毕业生就业质量年度报告" for i in range(3)]


def test_an_empty_list_box_under_the_column_heading_is_an_empty_column() -> None:
    """The column's name over an empty list box, no pager and no "暂无" text: a column without rows yet."""
    rec = extract(page('<div class="con"><div class="article_list"></div></div>', title="重大事件调查处理", pager=False),
                  "http://x.edu.cn/3060/list.htm", today=TODAY)
    assert (rec.kind, rec.entries) == ("list", [])


def test_an_undated_list_with_summaries_is_a_list() -> None:
    rows = "".join(f'<li><h4><a href="/show.aspx?id={i}">示例学院{2018 - i}届毕业生就业质量年度报告</a></h4>'
                   '<p class="summary">为保障师生员工和社会公众的知情权、参与权和监督权，现予公开。……</p></li>'
                   for i in range(5))
    rec = extract(page(f'<ul class="news_list">{rows}</ul>', title="就业质量报告", pager=False),
                  "http://jy.x.edu.cn/list.aspx?cid=7", today=TODAY)
    assert rec.kind == "list"
    assert len(rec.entries) == 5


def test_rows_with_a_summary_paragraph_are_a_list_not_an_article() -> None:
    """Each row's first paragraph adds up to more text than the titles: still the column's list."""
    rows = li_rows(12, '<li><h4><a href="/xwdt/{i}.htm">学院召开第{i}次工作会议</a></h4>'
                       '<p class="summary">根据上级有关文件精神，结合学院实际，经研究决定，现将有关事项通知如下。……</p>'
                       '<div class="info"><span>[{d}]</span></div></li>')
    rec = extract(page(f'<ul class="items">{rows}</ul>'), "http://x.edu.cn/xwdt/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert dated(rec) == [f"2018-11-{28 - i:02d}" for i in range(12)]


def test_dl_rows_with_the_date_in_dd() -> None:
    rows = li_rows(4, '<dl><dt><a href="/tzgg/{i}.htm">关于第{i}批项目申报的通知</a></dt><dd>{d}</dd></dl>')
    rec = extract(page(f'<div class="items">{rows}</div>'), "http://x.edu.cn/tzgg/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert dated(rec) == ["2018-11-28", "2018-11-27", "2018-11-26", "2018-11-25"]


def test_date_before_the_link() -> None:
    rows = li_rows(3, '<li><span class="d">{d}</span><a href="/tzgg/{i}.htm">关于第{i}批项目申报的通知</a></li>')
    rec = extract(page(f'<ul class="items">{rows}</ul>'), "http://x.edu.cn/tzgg/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert dated(rec) == ["2018-11-28", "2018-11-27", "2018-11-26"]


def test_year_groups_of_one_or_two_rows_are_one_list() -> None:
    groups = ('<div class="year-group"><h3>2019</h3><ul><li><a href="/zd/3.htm">学院章程（2019年修订）</a>'
              '<span>2019-03-02</span></li></ul></div>'
              '<div class="year-group"><h3>2017</h3><ul><li><a href="/zd/2.htm">学院章程（2017年修订）</a>'
              '<span>2017-05-06</span></li><li><a href="/zd/1.htm">学院学术委员会章程</a>'
              '<span>2017-01-09</span></li></ul></div>')
    rec = extract(page(f'<div class="groups">{groups}</div>', title="学院章程", pager=False),
                  "http://x.edu.cn/zd/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert dated(rec) == ["2019-03-02", "2017-05-06", "2017-01-09"]


def test_year_groups_of_one_row_each_in_a_box_named_column() -> None:
    groups = "".join(f'<div class="year-group"><h3>{y}年</h3><ul class="column-list"><li><span>{y}年11月0{i + 1}日</span>'
                     f'<a href="/gk/{i}.htm">示例学院{y}年基本办学情况</a></li></ul></div>'
                     for i, y in enumerate((2018, 2017, 2016)))
    rec = extract(page(f'<div class="groups">{groups}</div>', title="学院概况"), "http://x.edu.cn/gk/list.htm",
                  today=TODAY)
    assert rec.kind == "list"
    assert dated(rec) == ["2018-11-01", "2017-11-02", "2016-11-03"]


def test_year_groups_of_single_table_rows_under_a_column_heading() -> None:
    """Old table layouts: "2017" over a one-row table, "2016" over the next, no pager; the year is no headline,
    and "收费信息公开" in the <title> is the column, not the site's name."""
    groups = "".join(f'<div class="year-group"><h3>{y}</h3><table class="t" width="100%"><tr><td><a href="/c.jsp?id={i}">'
                     f'示例学院收费项目及标准公示（{y}）</a></td><td align="right">{y}/09/0{i + 1}</td></tr></table></div>'
                     for i, y in enumerate((2017, 2016)))
    html = f"""<HTML><HEAD><meta charset="utf-8"><TITLE>收费信息公开-示例学院财务处</TITLE></HEAD><BODY>
<table class="top"><tr><td><a href="/">示例学院财务处</a></td></tr></table>
<table class="main"><tr><td><div class="lmtitle">收费信息公开</div>{groups}</td></tr></table>
<table class="foot"><tr><td>示例学院财务处 版权所有 2016</td></tr></table></BODY></HTML>"""
    rec = extract(html, "http://cwc.x.edu.cn/list.jsp?wbtreeid=1154", today=TODAY)
    assert rec.kind == "list"
    assert rec.title == "收费信息公开"
    assert dated(rec) == ["2017-09-01", "2016-09-02"]


def test_one_summary_row_in_the_column_box_is_the_column_list() -> None:
    """A column with one row (机构设置) inside the page's layout blocks: the row is the list, not an article."""
    box = ('<div class="col-news"><div class="col-head"><h2>内设机构</h2><div class="path">当前位置：<a href="/">首页</a>'
           ' &gt; <a href="/jbxx/">基本信息</a> &gt; <a href="/nsjg/list.htm">内设机构</a></div></div>'
           '<div class="col-con"><ul class="list"><li><h4><a href="/nsjg/554.htm">示例学院机构设置</a></h4>'
           '<p class="summary">为保障师生员工和社会公众的知情权、参与权和监督权，现予公开。……</p>'
           '<div class="info"><span>[2019-03-15]</span></div></li></ul></div>'
           '<div class="pages">共1条记录 共1页</div></div>')
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>内设机构</title></head><body>
<div class="menu"><a href="/">首页</a> <a href="/jbxx/">基本信息</a></div>
<div class="wrap"><div class="col-side"><h3>基本信息</h3><ul class="sub"><li><a href="/nsjg/list.htm">内设机构</a></li>
<li><a href="/xxgk/list.htm">学校概况</a></li></ul></div>{box}</div>
<div class="copyright">© 2019 示例学院</div></body></html>"""
    rec = extract(html, "http://x.edu.cn/nsjg/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert [(e.title, e.date) for e in rec.entries] == [("示例学院机构设置", "2019-03-15")]


def test_a_month_day_inside_the_link_under_a_year_heading() -> None:
    rows = li_rows(3, '<li><a href="/tzgg/{i}.htm"><span class="tit">关于第{i}批项目申报的通知</span>'
                      '<span class="time">{md}</span></a></li>')
    box = f'<div class="year-group"><h3>2018</h3><ul>{rows}</ul></div>'
    rec = extract(page(box), "http://x.edu.cn/tzgg/list.htm", today=TODAY)
    assert rec.kind == "list"
    assert dated(rec) == ["2018-08-28", "2018-08-27", "2018-08-26"]
    assert rec.entries[0].title == "关于第0批项目申报的通知"


def test_an_unlabelled_byline_date_is_published_and_a_modified_label_is_the_update() -> None:
    html = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>学院召开年度工作会议 - 示例学院</title></head><body>
<div class="menu"><a href="/">首页</a> <a href="/xwdt/">新闻动态</a></div>
<div class="article"><h1>学院召开年度工作会议</h1>
<div class="meta"><span class="time">2017.09.05</span><span class="upd">修改时间：2019.02.25</span></div>
<div class="content"><p>9月5日下午，学院在行政楼会议室召开年度工作会议，全体中层干部参加会议。会议总结了上一学年的工作，
部署了新学年的重点任务。院长在讲话中强调，要抓好人才培养、科学研究和社会服务各项工作。</p></div></div>
<div class="copyright">© 2019 示例学院</div></body></html>"""
    rec = extract(html, "http://x.edu.cn/xwdt/123.htm", today=TODAY)
    assert rec.kind == "article"
    assert (rec.published, rec.updated) == ("2017-09-05", "2019-02-25")
