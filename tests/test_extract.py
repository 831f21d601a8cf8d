"""extract(): decoys, fingerprints, pagination styles, lists, links, selectors, encodings."""
from __future__ import annotations

from datetime import date

import pytest

from crawler.extract import SiteSelectors, extract, is_attachment_link, record_to_json
from crawler.extract.encoding import decode_html

TODAY = date(2026, 11, 21)
URL = "http://xxgk.example.edu.cn/info/1012/1004.htm"


def article(*, title: str = "关于公布2019年招生章程的通知", meta_line: str = "发布时间：2019-05-20",
            counter: str = "123", today_widget: str = "今天是2026年11月21日 星期六",
            nav_extra: str = "", sidebar: str = "", prevnext: str = "上一篇新闻", footer_year: str = "2026",
            script: str = "var a = 1;", body: str | None = None,
            attachment: str = "/_upload/article/files/ab/cd/zszc2019.pdf", indent: str = "") -> str:
    body = body if body is not None else (
        f"{indent}<p>根据教育部有关规定，现将我校2019年本科招生章程予以公布。</p>\n"
        f"{indent}<p>招生章程经学校校长办公会审议通过，报教育部核定。</p>\n")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}-示例大学</title>
<script>{script}</script></head><body>
<div class="header"><div class="logo"><a href="/">示例大学</a></div><div class="today">{today_widget}</div></div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zsxx.htm">招生信息</a></li>{nav_extra}</ul>
<div class="main">
<div class="sidebar"><h3>最新动态</h3><ul><li><a href="/info/1/1.htm">其他新闻一</a><span>2019-11-01</span></li>
<li><a href="/info/1/2.htm">其他新闻二</a><span>2019-11-02</span></li>{sidebar}</ul></div>
<div class="article">
<h1 class="arti_title">{title}</h1>
<p class="arti_metas"><span class="arti_update">{meta_line}</span>
<span class="arti_views">浏览次数：<span class="WP_VisitCount">{counter}</span></span></p>
<div class="wp_articlecontent">
{body}{indent}<p>附件：<a href="{attachment}">2019年招生章程.pdf</a></p>
</div>
<div class="pn"><p>上一篇：<a href="/info/1012/1003.htm">{prevnext}</a></p></div>
</div></div>
<div class="footer">Copyright © 2005-{footer_year} 示例大学 版权所有</div>
</body></html>"""


def fp(html: str) -> str:
    return extract(html.encode("utf-8"), URL, {"Content-Type": "text/html; charset=utf-8"}, today=TODAY).fingerprint


# --------------------------------------------------------------------------------------------
# Dates and decoys
# --------------------------------------------------------------------------------------------
def test_label_near_title_beats_sidebar_today_widget_body_and_footer() -> None:
    rec = extract(article(), URL, today=TODAY)
    assert rec.kind == "article"
    assert rec.title == "关于公布2019年招生章程的通知"
    assert (rec.published, rec.published_source) == ("2019-05-20", "label")


@pytest.mark.parametrize("meta_line, published", [
    ("发布时间：2019-05-20", "2019-05-20"),
    ("发布日期:2019/5/20", "2019-05-20"),
    ("时间： 2019年5月20日 10:20", "2019-05-20"),
    ("发表时间 ： 2019.05.20", "2019-05-20"),
    ("【作者:xzb | 发布日期:2019-05-20 | 点击数:", "2019-05-20"),
    ("日期：19-05-20", "2019-05-20"),
    ("发布时间：２０１９年５月２０日", "2019-05-20"),
    ("发布时间：2031-05-20", None),                     # future: rejected, nothing else on the page
    ("发布时间：1985-05-20", None),                     # before 1990
    ("", None),
])
def test_date_formats_on_a_page(meta_line: str, published: str | None) -> None:
    rec = extract(article(meta_line=meta_line), URL, today=TODAY)
    assert rec.published == published


def test_body_dates_are_not_publication_dates() -> None:
    body = "<p>会议定于2019年6月1日召开。</p><p>一、时间：2019年6月2日</p><p>请于2019-06-03前报送。</p>"
    rec = extract(article(meta_line="", body=body), URL, today=TODAY)
    assert rec.published is None


def test_document_numbers_and_click_counts_are_not_dates() -> None:
    rec = extract(article(meta_line="教办函〔2019〕12号 点击数：2019"), URL, today=TODAY)
    assert rec.published is None


def test_updated_label_is_separate() -> None:
    rec = extract(article(meta_line="发布时间：2019-05-20 更新时间：2019-06-01"), URL, today=TODAY)
    assert (rec.published, rec.updated, rec.updated_source) == ("2019-05-20", "2019-06-01", "label")


def test_meta_pubdate_and_visible_label() -> None:
    html = article().replace("<head>", '<head><meta name="PubDate" content="2019-05-20 10:00:00">')
    rec = extract(html, URL, today=TODAY)
    assert (rec.published, rec.published_source) == ("2019-05-20", "meta")
    # a stale template meta does not override what the page shows
    html = article().replace("<head>", '<head><meta name="PubDate" content="2015-01-01">')
    rec = extract(html, URL, today=TODAY)
    assert (rec.published, rec.published_source) == ("2019-05-20", "label")


def test_url_date_when_the_page_shows_none() -> None:
    rec = extract(article(meta_line=""), "http://x.edu.cn/2019/0520/c2960a100/page.htm", today=TODAY)
    assert (rec.published, rec.published_source) == ("2019-05-20", "url")
    rec = extract(article(meta_line=""), "http://x.gov.cn/zcwj/201905/t20190520_1.html", today=TODAY)
    assert (rec.published, rec.published_source) == ("2019-05-20", "url")


def test_today_is_the_default_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.core import clock
    monkeypatch.setenv("XXGK_NOW", "2019-05-01")
    clock.set_now(None)
    rec = extract(article(), URL)  # 2019-05-20 is in the future for this clock
    assert rec.published is None


# --------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change", [
    {"counter": "124"},
    {"today_widget": "今天是2026年11月22日 星期日"},
    {"nav_extra": '<li><a href="/new.htm">新栏目</a></li>'},
    {"sidebar": '<li><a href="/info/1/3.htm">第三条新闻</a><span>2019-11-03</span></li>'},
    {"prevnext": "另一篇新闻的标题"},
    {"footer_year": "2027"},
    {"script": "var a = 2; _showDynClicks('wbnews', 1, 2);"},
    {"indent": "      "},
])
def test_fingerprint_ignores_boilerplate(change: dict) -> None:
    assert fp(article(**change)) == fp(article())


def test_fingerprint_ignores_attribute_changes() -> None:
    html = article()
    changed = html.replace('<p>根据', '<p style="text-indent:2em" class="p1">根据')
    changed = changed.replace('class="wp_articlecontent"', 'class="wp_articlecontent" data-v="2"')
    assert fp(changed) == fp(html)


@pytest.mark.parametrize("change", [
    {"body": "<p>根据教育部有关规定，现将我校2019年本科招生章程予以公布，请考生查阅。</p>\n"
             "<p>招生章程经学校校长办公会审议通过，报教育部核定。</p>\n"},            # a sentence edited
    {"body": "<p>根据教育部有关规定，现将我校2019年本科招生章程予以公布。</p>\n"},   # a paragraph removed
    {"attachment": "/_upload/article/files/ef/01/zszc2019-v2.pdf"},                    # attachment replaced
    {"title": "关于公布2019年招生章程（修订）的通知"},
])
def test_fingerprint_sees_content_changes(change: dict) -> None:
    assert fp(article(**change)) != fp(article())


LIST_ROWS = [("/2019/1031/c1a3/page.htm", "第三条通知", "2019-10-31"),
             ("/2019/1028/c1a2/page.htm", "第二条通知", "2019-10-28"),
             ("/2019/0915/c1a1/page.htm", "第一条通知", "2019-09-15")]


def list_page(rows=LIST_ROWS, counter: str = "18", widget: str = "今天是2019年11月5日") -> str:
    items = "".join(f'<li><span class="news_title"><a href="{u}" title="{t}">{t}</a></span>'
                    f'<span class="news_meta">{d}</span></li>' for u, t, d in rows)
    return f"""<html><head><meta charset="utf-8"><title>通知公告</title></head><body>
<div class="header"><span class="today">{widget}</span></div>
<div class="col_path">当前位置：<a href="/">首页</a> <a href="/2960/list.htm">通知公告</a></div>
<div id="wp_news_w6"><ul class="wp_article_list">{items}</ul></div>
<div class="visits">访问量：{counter}</div>
</body></html>"""


def test_list_fingerprint_is_the_set_of_entries() -> None:
    base = extract(list_page(), "http://x.edu.cn/2960/list.htm", today=date(2019, 11, 5))
    assert base.kind == "list" and len(base.entries) == 3
    same = extract(list_page(counter="19", widget="今天是2019年11月6日"), "http://x.edu.cn/2960/list.htm",
                   today=date(2019, 11, 5))
    assert same.fingerprint == base.fingerprint
    reordered = extract(list_page(rows=list(reversed(LIST_ROWS))), "http://x.edu.cn/2960/list.htm",
                        today=date(2019, 11, 5))
    assert reordered.fingerprint == base.fingerprint
    added = extract(list_page(rows=[("/2019/1104/c1a4/page.htm", "新通知", "2019-11-04")] + LIST_ROWS),
                    "http://x.edu.cn/2960/list.htm", today=date(2019, 11, 5))
    assert added.fingerprint != base.fingerprint
    assert added.newest_entry == "2019-11-04"


# --------------------------------------------------------------------------------------------
# Pagination styles
# --------------------------------------------------------------------------------------------
def _paged(pager: str, url: str) -> list[str]:
    rows = "".join(f'<li><a href="/info/{i}.htm">通知标题第{i}条</a><span>2019-10-{i + 10}</span></li>' for i in range(5))
    html = f'<html><head><meta charset="utf-8"><title>通知</title></head><body><ul class="list">{rows}</ul>{pager}</body></html>'
    rec = extract(html, url, today=TODAY)
    assert rec.kind == "list"
    return rec.pagination


def test_pagination_webplus_list_n() -> None:
    pager = ('<div id="wp_paging_w6"><ul class="wp_paging"><li class="page_nav"><a class="next" href="/2960/list2.htm">'
             '下一页&gt;&gt;</a><a class="last" href="/2960/list5.htm">尾页</a></li></ul></div>')
    assert _paged(pager, "http://x.edu.cn/2960/list.htm") == [f"http://x.edu.cn/2960/list{n}.htm" for n in range(2, 6)]


def test_pagination_vsb_backwards() -> None:
    pager = ('<div class="pb_sys_common"><span class="p_pages"><span class="p_next"><a href="xwzx/4.htm">下页</a></span>'
             '<span class="p_last"><a href="xwzx/1.htm">尾页</a></span></span></div>')
    assert _paged(pager, "http://x.edu.cn/xwzx.htm") == [f"http://x.edu.cn/xwzx/{n}.htm" for n in range(1, 5)]


def test_pagination_trs_create_page_html() -> None:
    pager = '<script>var countPage = 4//共多少页\ncreatePageHTML(countPage, 0, "index", "shtml");</script>'
    assert _paged(pager, "http://x.gov.cn/zcwj/index.shtml") == [
        f"http://x.gov.cn/zcwj/index_{n}.shtml" for n in range(1, 4)]
    # newer signature with a container id first
    pager = "<div id='page_div'></div><script>createPageHTML('page_div', 3, 1, 'index', 'html', 45);</script>"
    assert _paged(pager, "http://x.gov.cn/a/index.html") == ["http://x.gov.cn/a/index_1.html",
                                                             "http://x.gov.cn/a/index_2.html"]


def test_pagination_query_page_with_total() -> None:
    pager = '<div class="pagination">共 5 页 <a href="?page=2">下一页</a></div>'
    assert _paged(pager, "http://x.edu.cn/news/") == [f"http://x.edu.cn/news/?page={n}" for n in range(2, 6)]
    pager = '<div class="page">页次：1/3 <a href="list.asp?cid=3&amp;page=2">下一页</a> <a href="list.asp?cid=3&amp;page=3">尾页</a></div>'
    assert _paged(pager, "http://x.edu.cn/list.asp?cid=3") == [
        "http://x.edu.cn/list.asp?cid=3&page=2", "http://x.edu.cn/list.asp?cid=3&page=3"]


def test_no_pagination_from_site_navigation() -> None:
    assert _paged('<ul class="nav"><li><a href="/">首页</a></li><li><a href="/a/2.htm">2</a></li></ul>',
                  "http://x.edu.cn/a/list.htm") == []


# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------
def test_short_dates_take_the_year_from_entry_urls() -> None:
    rows = [("/2020/0103/c1a4/page.htm", "新年座谈会", "[01-03]"), ("/2019/1230/c1a3/page.htm", "迎新晚会", "[12-30]")]
    html = list_page(rows=rows)
    rec = extract(html, "http://x.edu.cn/xw/list.htm", today=date(2020, 1, 5))
    assert [(e.date, e.date_source) for e in rec.entries] == [("2020-01-03", "list"), ("2019-12-30", "list")]


def test_short_dates_without_dated_urls_follow_the_list_order() -> None:
    rows = "".join(f'<li><a href="/info/{i}.htm">通知{i}号文件</a><span>{d}</span></li>'
                   for i, d in enumerate(["01-03", "12-30", "11-15"]))
    html = f'<html><body><ul class="list">{rows}</ul></body></html>'
    rec = extract(html, "http://x.edu.cn/tz.htm", today=date(2020, 1, 5))
    assert [e.date for e in rec.entries] == ["2020-01-03", "2019-12-30", "2019-11-15"]


def test_list_selectors_override() -> None:
    html = """<html><body><div class="col">
<div class="row"><em>2019-10-31</em><b><a href="/a/1.htm">第一条</a></b></div>
<div class="row"><em>2019-10-30</em><b><a href="/a/2.htm">第二条</a></b></div></div>
<div class="box"><a href="/b/1.htm">盒子链接一号</a><a href="/b/2.htm">盒子链接二号</a></div></body></html>"""
    sel = SiteSelectors(list_item="div.col > div.row", list_date="em")
    rec = extract(html, "http://x.edu.cn/col.htm", selectors=sel, today=TODAY)
    assert rec.kind == "list"
    assert [(e.title, e.date) for e in rec.entries] == [("第一条", "2019-10-31"), ("第二条", "2019-10-30")]


def test_article_selectors_override() -> None:
    html = """<html><head><title>站点名</title></head><body><div class="x-head">真正的标题在这里</div>
<div class="x-date">2019年10月31日</div><div class="x-body"><p>正文第一段，内容较短。</p></div>
<div class="other">发布时间：2018-01-01</div></body></html>"""
    sel = {"title": ".x-head", "date": "//div[@class='x-date']", "content": "div.x-body"}
    rec = extract(html, "http://x.edu.cn/a.htm", selectors=sel, today=TODAY)
    assert rec.title == "真正的标题在这里"
    assert rec.published == "2019-10-31"
    assert "正文第一段" in rec.text and "2018-01-01" not in rec.text


def test_bad_selector_does_not_break_extraction() -> None:
    rec = extract(article(), URL, selectors=SiteSelectors(title="div[[["), today=TODAY)
    assert rec.title == "关于公布2019年招生章程的通知"


# --------------------------------------------------------------------------------------------
# Links, attachments, titles, odd inputs
# --------------------------------------------------------------------------------------------
def test_links_are_absolute_without_fragments_and_scripts() -> None:
    html = """<html><body><a href="../a/b.htm#top">一</a><a href="javascript:void(0)">二</a>
<a href="mailto:x@y.cn">三</a><a href="/c.htm">四</a><a href="#">五</a><a href="/c.htm">四again</a></body></html>"""
    rec = extract(html, "http://x.edu.cn/p/q/r.htm", today=TODAY)
    assert [(l.url, l.text) for l in rec.links] == [("http://x.edu.cn/p/a/b.htm", "一"), ("http://x.edu.cn/c.htm", "四")]


@pytest.mark.parametrize("url, text, expected", [
    ("http://x.cn/_upload/article/files/ab/cd/x.pdf", "", True),
    ("http://x.cn/upload/2019/名单.XLSX", "", True),
    ("http://x.cn/a.wps", "", True),
    ("http://x.cn/system/_content/download.jsp?urltype=news.DownloadAttachUrl&wbfileid=1", "附件.docx", True),
    ("http://x.cn/down.php?file=report.pdf", "", True),
    ("http://x.cn/info/1/2.htm", "关于pdf格式的说明", False),
    ("http://x.cn/docs/", "", False),
])
def test_attachment_links(url: str, text: str, expected: bool) -> None:
    assert is_attachment_link(url, text) is expected


@pytest.mark.parametrize("doc_title, expected", [
    ("关于做好2019年工作的通知-示例大学信息公开网", "关于做好2019年工作的通知"),
    ("关于做好2019年工作的通知_通知公告_某省教育厅", "关于做好2019年工作的通知"),
    ("示例大学 - 2018-2019学年信息公开年度报告", "2018-2019学年信息公开年度报告"),
    ("2018-2019学年信息公开年度报告 | 示例大学", "2018-2019学年信息公开年度报告"),
])
def test_title_suffix_stripping(doc_title: str, expected: str) -> None:
    html = f"<html><head><title>{doc_title}</title></head><body><div><p>{'正文内容，' * 40}</p></div></body></html>"
    assert extract(html, "http://x.cn/a.htm", today=TODAY).title == expected


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\x01\x02", b"<html>", b"<?xml version='1.0' encoding='utf-8'?><html/>",
                                  "<p>只有一段</p>".encode("gbk")])
def test_odd_inputs_do_not_crash(body: bytes) -> None:
    rec = extract(body, "http://x.cn/", today=TODAY)
    assert rec.kind in ("other", "article") and rec.fingerprint
    assert record_to_json(rec)["kind"] == rec.kind


def test_record_json_keys() -> None:
    data = record_to_json(extract(article(), URL, today=TODAY))
    assert list(data)[:10] == ["title", "kind", "published", "published_source", "updated", "updated_source",
                               "entries", "fingerprint", "attachments", "links"]
    assert data["attachments"][0]["url"] == "http://xxgk.example.edu.cn/_upload/article/files/ab/cd/zszc2019.pdf"


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------
GBK_PAGE = ('<html><head><meta charset="gb2312"><title>通知</title></head><body><h1>关于朱镕基题词的展览通知</h1>'
            '<p>发布时间：2019-10-31</p><p>学校档案馆将举办题词展览，欢迎师生参观，地点在图书馆一楼。</p></body></html>')


def test_decode_gbk_as_gb18030() -> None:
    text, enc = decode_html(GBK_PAGE.encode("gb18030"), "text/html; charset=gb2312")
    assert enc == "gb18030" and "镕" in text  # not in GB2312: GB18030 decodes it


def test_decode_recovers_from_a_wrong_header() -> None:
    text, enc = decode_html(GBK_PAGE.encode("gb18030"), "text/html; charset=utf-8")
    assert enc == "gb18030" and "发布时间" in text
    utf8 = GBK_PAGE.replace("gb2312", "utf-8").encode("utf-8")
    text, enc = decode_html(utf8, "text/html; charset=gbk")   # header says GBK, body is UTF-8
    assert enc == "utf-8" and "发布时间" in text


def test_decode_meta_and_detection() -> None:
    text, enc = decode_html(GBK_PAGE.encode("gb18030"), None)
    assert enc == "gb18030"
    no_meta = "<html><body><p>示例大学信息公开网，发布时间二〇一九年十月，学校办公室。</p></body></html>"
    text, enc = decode_html(no_meta.encode("gb18030"), None)
    assert "示例大学信息公开网" in text
    bom = "\ufeff<p>你好</p>".encode("utf-8")
    assert decode_html(bom, "text/html; charset=gbk") == ("<p>你好</p>", "utf-8")


def test_extract_reports_the_encoding() -> None:
    rec = extract(GBK_PAGE.encode("gb18030"), "http://x.cn/a.htm", {"content-type": "text/html; charset=UTF-8"},
                  today=TODAY)
    assert rec.encoding == "gb18030"
    assert rec.published == "2019-10-31"


def test_embedded_pdf_players_are_attachments() -> None:
    body = ("<p>现将名单公示如下。</p><div class=\"wp_pdf_player\" pdfsrc=\"/_upload/article/files/aa/bb/list.pdf\" "
            "sudyfile-attr=\"{'title':'拟推荐名单.pdf'}\"></div><iframe src=\"/upload/view/plan.pdf\"></iframe>")
    rec = extract(article(body=body), URL, today=TODAY)
    urls = {a.url: a.text for a in rec.attachments}
    assert urls["http://xxgk.example.edu.cn/_upload/article/files/aa/bb/list.pdf"] == "拟推荐名单.pdf"
    assert "http://xxgk.example.edu.cn/upload/view/plan.pdf" in urls
    # a new embedded file is a content change
    assert fp(article(body=body)) != fp(article(body=body.replace("list.pdf", "list2.pdf")))


@pytest.mark.parametrize("meta_line", [
    "活动时间：2019-11-05",              # an event line under the title, not the page date
    "报名日期：2019-11-01至2019-11-05",
    "2019-11-01 至 2019-11-05",
])
def test_event_lines_under_the_title_are_not_dates(meta_line: str) -> None:
    assert extract(article(meta_line=meta_line), URL, today=TODAY).published is None


def test_site_update_line_at_the_bottom_is_not_the_page_date() -> None:
    html = article(meta_line="").replace('<div class="footer">', '<div class="bottom-info">最后更新：2026-11-20</div><div>')
    rec = extract(html, URL, today=TODAY)
    assert rec.published is None and rec.updated is None


def test_config_selectors_and_scrapy_style_headers() -> None:
    from monitor.config import SiteSelectors as ConfigSelectors

    html = """<html><head><title>站点名</title></head><body><div class="x-head">配置里的标题选择器</div>
<p class="x-date">2019年10月31日</p><div class="x-body"><p>正文第一段，内容较短。</p></div></body></html>"""
    sel = ConfigSelectors(title=".x-head", date="p.x-date", content="div.x-body")
    headers = {b"Content-Type": [b"text/html; charset=utf-8"]}
    rec = extract(html.encode("utf-8"), "http://x.edu.cn/a.htm", headers, selectors=sel, today=TODAY)
    assert (rec.title, rec.published, rec.encoding) == ("配置里的标题选择器", "2019-10-31", "utf-8")


def test_latin1_header_on_a_gbk_page() -> None:
    text, enc = decode_html(GBK_PAGE.encode("gb18030"), "text/html; charset=ISO-8859-1")
    assert enc == "gb18030" and "发布时间" in text
    no_meta = GBK_PAGE.replace('<meta charset="gb2312">', "").encode("gb18030")
    text, enc = decode_html(no_meta, "text/html; charset=iso-8859-1")
    assert enc == "gb18030" and "关于朱镕基题词的展览通知" in text
    # a real Western page stays Western
    text, enc = decode_html("<p>Caf\u00e9 na\u00efve</p>".encode("cp1252"), "text/html; charset=iso-8859-1")
    assert text == "<p>Caf\u00e9 na\u00efve</p>"


def test_framesets_and_script_redirects_give_links() -> None:
    frames = ('<html><head><title>示例大学</title></head><frameset rows="100,*"><frame src="top.htm" name="top">'
              '<frame src="main.htm" name="main"></frameset></html>')
    rec = extract(frames, "http://x.edu.cn/index.htm", today=TODAY)
    assert [l.url for l in rec.links] == ["http://x.edu.cn/top.htm", "http://x.edu.cn/main.htm"]
    redirect = "<html><head><script>window.location.href = '/portal/main.htm';</script></head><body></body></html>"
    rec = extract(redirect, "http://x.edu.cn/", today=TODAY)
    assert [l.url for l in rec.links] == ["http://x.edu.cn/portal/main.htm"]


def test_related_list_inside_the_body_does_not_move_the_fingerprint() -> None:
    def with_related(rows: list[tuple[str, str]]) -> str:
        items = "".join(f'<li><a href="/r/{i}.htm">{t}</a><span>{d}</span></li>' for i, (t, d) in enumerate(rows))
        body = ("<p>根据教育部有关规定，现将我校2019年本科招生章程予以公布。</p>"
                f'<div class="xx"><b>你可能还想看</b><ul>{items}</ul></div>')
        return article(body=body)

    a = with_related([("招生计划公布", "2019-05-01"), ("录取查询开通", "2019-04-01")])
    b = with_related([("新的相关文章", "2019-06-01"), ("招生计划公布", "2019-05-01")])
    assert fp(a) == fp(b)


@pytest.mark.parametrize("base", ["#", "javascript:void(0)"])
def test_a_base_href_that_is_no_url_is_ignored_as_browsers_do(base: str) -> None:
    html = (f'<html><head><base href="{base}"><title>通知公告</title></head><body><div class="list">'
            '<a href="a.html">关于开展信息公开工作的通知</a></div></body></html>')
    rec = extract(html, "https://x.edu.cn/d/list.htm", today=TODAY)
    assert "https://x.edu.cn/d/a.html" in {link.url for link in rec.links}
