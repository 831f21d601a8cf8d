"""TRS WCM — the graduate school, GBK encoded (with characters outside GB2312).

Lists `<dir>/index.html`, `index_1.html` …, further pages linked only through the
`createPageHTML(N, cur, "index", "html")` script; articles `<dir>/<yyyyMM>/t<yyyyMMdd>_<id>.html`
with `<meta name="PubDate">` and `div#zoom`; files `./P0<yyyyMMdd>….pdf` next to the article.
"""
from __future__ import annotations

from datetime import date

from monitor.testbed.cms.base import SITE_LAUNCH, Resp, h, iso
from monitor.testbed.cms.simple import ListSite, rel
from monitor.testbed.model import Attachment, Column, Doc
from monitor.testbed.variants import charset_meta

PAGE_JS = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("首页&nbsp;&nbsp;上一页&nbsp;&nbsp;");
  else {
    document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a>&nbsp;&nbsp;");
    if(nCurrIndex == 1) document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">上一页</a>&nbsp;&nbsp;");
    else document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex - 1) + "." + _sPageExt + "\\">上一页</a>&nbsp;&nbsp;");
  }
  if(nCurrIndex == (_nPageCount - 1)) document.write("下一页&nbsp;&nbsp;尾页");
  else {
    document.write("<a href=\\"" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "\\">下一页</a>&nbsp;&nbsp;");
    document.write("<a href=\\"" + _sPageName + "_" + (_nPageCount - 1) + "." + _sPageExt + "\\">尾页</a>");
  }
  document.write("&nbsp;&nbsp;共" + _nPageCount + "页");
}"""


class TrsSite(ListSite):
    cms = "trs"
    encoding = "gbk"
    header_charset = "GBK"
    home_path = "/"
    article_source = "meta"

    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        return f"/{col.key}/index.html" if page == 1 else f"/{col.key}/index_{page - 1}.html"

    def doc_path(self, col: Column, d: Doc) -> str:
        return f"/{col.key}/{d.published:%Y%m}/t{d.published:%Y%m%d}_{d.id}.html"

    def att_path(self, d: Doc, a: Attachment, i: int) -> str:
        base = d.path.rsplit("/", 1)[0]
        return f"{base}/P0{a.added:%Y%m%d}{(d.id * 7 + i) % 1000000:06d}{i}.{a.fmt}"

    def _page(self, here: str, title: str, body: str, head: str = "") -> str:
        nav = "".join(f'<li><a href="{h(rel(here, self.column_path(c)))}">{h(c.title)}</a></li>' for c in self.columns)
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
{charset_meta(self.look, self.encoding, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />')}
<title>{h(title)}</title>
{head}
<link href="/images/style.css" rel="stylesheet" type="text/css" />
</head>
<body>
<div class="header"><div class="logo"><a href="/">示例大学研究生院</a></div>
<div class="nav"><ul><li><a href="/">首页</a></li>{nav}</ul></div></div>
<div class="container">{body}</div>
<div class="footer">版权所有：示例大学研究生院　地址：示例市昇平路88号研究生院大楼　技术支持：拓尔思<br/>Copyright 2018 All Rights Reserved</div>
</body>
</html>
"""

    def render_home(self, as_of: date) -> Resp:
        blocks = []
        for col in self.columns:
            lis = "".join(f'<li><a href="{h(rel("/", d.path))}" target="_blank">{h(d.title)}</a><span>[{d.published:%m-%d}]</span></li>'
                          for d in col.visible_docs(as_of)[:5])
            blocks.append(f'<div class="box"><div class="box_t"><h3>{h(col.title)}</h3>'
                          f'<a href="{h(rel("/", self.column_path(col)))}">更多</a></div><ul>{lis}</ul></div>')
        newest = max([SITE_LAUNCH] + [c.newest(as_of) or SITE_LAUNCH for c in self.columns])
        return Resp(200, self._page("/", "示例大学研究生院", "".join(blocks)), changed=newest)

    def render_list(self, col: Column, page: int, as_of: date) -> Resp:
        here = self.column_path(col, page)
        total = col.page_count(as_of)
        rows = "".join(
            f'<li><a href="./{h(rel(here, d.path))}" target="_blank" title="{h(d.title)}">{h(d.title)}</a>'
            f'<span class="date">{iso(d.published)}</span></li>' for d in col.chunk(as_of, page))
        box = f'<div class="list"><ul>{rows}</ul></div>'
        if self.look is not None:   # the pager stays the family's: further pages only in the script call
            box, _ = self.gen_list(col, page, as_of, lambda p: "./" + rel(here, p))
        body = (f'<div class="location">您当前的位置：<a href="/">首页</a> &gt; {h(col.title)}</div>'
                f'<div class="list_t"><h2>{h(col.title)}</h2></div>{box}'
                f'<div class="page"><script type="text/javascript">\n{PAGE_JS}\n'
                f'createPageHTML({total}, {page - 1}, "index", "html");\n</script></div>')
        return Resp(200, self._page(here, f"{col.title}_示例大学研究生院", body), changed=self.list_changed(col, as_of))

    def render_article(self, d: Doc, as_of: date) -> Resp:
        col = d.column
        assert col is not None
        here = d.path
        head = (f'<meta name="ArticleTitle" content="{h(d.title)}">\n'
                f'<meta name="PubDate" content="{iso(d.published)} {9 + d.id % 8:02d}:{d.id % 60:02d}:00">\n'
                f'<meta name="ContentSource" content="研究生院">\n<meta name="ColumnName" content="{h(col.title)}">')
        upd = d.updated(as_of)
        info = f"发布时间：{iso(d.published)}　来源：研究生院"
        if upd:
            info += f"　更新时间：{iso(upd)}"
        info = f'<div class="info">{info}</div>'
        if self.look is not None and self.look.article.kind != "cms":
            info = self.look.article.header(d.published, d.id, "研究生院", upd)
        paras = self.body_html(d, as_of)
        files = "".join(f'<p>附件：<a href="./{h(rel(here, a.path))}">{h(a.name)}</a></p>' for a in d.attachments_at(as_of))
        body = (f'<div class="location">您当前的位置：<a href="/">首页</a> &gt; '
                f'<a href="{h(rel(here, self.column_path(col)))}">{h(col.title)}</a></div>'
                f'<div class="article"><h1>{h(d.title)}</h1>{info}'
                f'<div id="zoom" class="TRS_Editor">{paras}{files}</div></div>')
        return Resp(200, self._page(here, d.title, body, head), changed=d.last_change(as_of))

    def route_special(self, path, query, raw_query, as_of):
        if path == "/index.html" and not raw_query:
            return self.render_home(as_of)
        if path.startswith("/images/"):
            return Resp(200, "/* static */", "text/css", changed=SITE_LAUNCH)
        return None
