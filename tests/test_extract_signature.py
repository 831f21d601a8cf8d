"""The signature date (落款) as the weakest publication source, and where it is never taken from."""
from __future__ import annotations

from datetime import date

from crawler.extract import extract

TODAY = date(2026, 11, 21)


def notice(body_end: str, *, extra_meta: str = "", after_body: str = "") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">{extra_meta}<title>关于做好期末考试工作的通知-示例大学</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/tzgg/">通知公告</a></div>
<div class="content"><h2 class="title">关于做好期末考试工作的通知</h2>
<div class="article-body">
<p>各学院：</p>
<p>本学期期末考试将于第十八周至第十九周进行，请各学院认真做好考试组织、命题审核和试卷保管等工作，确保考试安全有序。</p>
{body_end}
</div>{after_body}</div>
<div class="footer">版权所有 示例大学教务处</div></body></html>"""


def test_signature_is_the_date_when_nothing_else_dates_the_page() -> None:
    rec = extract(notice("<p>教务处</p><p>2019年12月24日</p>"), "http://jwc.x.edu.cn/tzgg/n1.html", today=TODAY)
    assert (rec.kind, rec.published, rec.published_source) == ("article", "2019-12-24", "signature")


def test_every_other_source_beats_the_signature() -> None:
    end = "<p>教务处</p><p>2019年12月24日</p>"
    meta = extract(notice(end, extra_meta='<meta name="PubDate" content="2019-12-25 09:00">'),
                   "http://jwc.x.edu.cn/tzgg/n1.html", today=TODAY)
    assert (meta.published, meta.published_source) == ("2019-12-25", "meta")
    url = extract(notice(end), "http://jwc.x.edu.cn/tzgg/201912/t20191226_1.html", today=TODAY)
    assert (url.published, url.published_source) == ("2019-12-26", "url")
    label = extract(notice(end).replace('<div class="article-body">', '<p class="info">发布时间：2019-12-27</p>'
                                         '<div class="article-body">'), "http://jwc.x.edu.cn/tzgg/n1.html", today=TODAY)
    assert (label.published, label.published_source) == ("2019-12-27", "label")


def test_a_cell_pair_in_a_data_table_is_not_a_signature() -> None:
    table = ('<table><tr><th>单位</th><th>报送截止日期</th></tr><tr><td>学生处</td><td>2019年12月20日</td></tr>'
             '<tr><td>教务处</td><td>2019年12月24日</td></tr></table>')
    rec = extract(notice(table), "http://jwc.x.edu.cn/tzgg/n1.html", today=TODAY)
    assert rec.published is None


def test_a_signer_and_date_outside_the_main_content_do_not_count() -> None:
    side = ('<div class="sidebar"><h3>联系我们</h3><p>示例大学教务处</p><p>2019年12月24日</p></div>')
    rec = extract(notice("<p>请各学院遵照执行。</p>", after_body=side), "http://jwc.x.edu.cn/tzgg/n1.html",
                  today=TODAY)
    assert rec.published is None
    rec = extract(notice("<p>请各学院遵照执行。</p>").replace(
        '<div class="footer">版权所有 示例大学教务处</div>', '<div class="footer"><p>示例大学教务处</p><p>2019年12月24日</p></div>'),
        "http://jwc.x.edu.cn/tzgg/n1.html", today=TODAY)
    assert rec.published is None


def test_a_date_that_is_followed_by_more_text_is_not_a_signature() -> None:
    end = ("<p>教务处</p><p>2019年12月24日</p><p>附：考试安排总表由各学院自行下载，考场编排原则上按照教学班进行，"
           "如需调整请提前一周向教务处提出书面申请，经审核同意后方可调整，未经同意不得擅自变更考试时间和地点。</p>")
    rec = extract(notice(end), "http://jwc.x.edu.cn/tzgg/n1.html", today=TODAY)
    assert rec.published is None


def test_a_short_notice_with_a_file_and_a_signature_is_a_dated_article() -> None:
    """Too short for a main-content block: the signature under the title still dates it, as a signature."""
    html = """<html><head><meta charset="utf-8"><title>示例大学2019年部门预算公开-示例大学财务处</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/tzgg/">通知公告</a></div>
<div class="mainbox"><h2>示例大学2019年部门预算公开</h2>
<div class="txt"><p>现将我校2019年部门预算予以公开。</p>
<p><a href="/upload/2019bmys.pdf">示例大学2019年部门预算.pdf</a></p>
<p>财务处</p><p>2019年4月12日</p></div></div>
<div class="foot">版权所有 示例大学财务处</div></body></html>"""
    rec = extract(html, "http://cwc.x.edu.cn/show.asp?id=12", today=TODAY)
    assert (rec.kind, rec.title, rec.published, rec.published_source) == (
        "article", "示例大学2019年部门预算公开", "2019-04-12", "signature")
    assert [a.url for a in rec.attachments] == ["http://cwc.x.edu.cn/upload/2019bmys.pdf"]


def test_a_date_line_under_the_title_before_the_body_is_still_a_heading_date() -> None:
    html = notice("<p>请各学院遵照执行。</p>").replace(
        '<div class="article-body">', '<p>教务处</p><p>2019-12-20</p><div class="article-body">')
    rec = extract(html, "http://jwc.x.edu.cn/tzgg/n1.html", today=TODAY)
    assert (rec.published, rec.published_source) == ("2019-12-20", "heading")
