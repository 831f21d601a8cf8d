"""Old VSB/JSP site — the finance office. GBK body, but the server lies: list pages say
`charset=UTF-8` in Content-Type, articles send no charset at all; only `<meta charset=gbk>` is right.
Lists `list.jsp?urltype=tree.TreeTempUrl&wbtreeid=1151` (+ `a1151t/a1151p/a1151c` for further
pages), articles `content.jsp?urltype=news.NewsContentUrl&wbtreeid=…&wbnewsid=…`."""
from __future__ import annotations

from datetime import date

from monitor.testbed.cms.base import SITE_LAUNCH, Resp, cn_date, h, iso
from monitor.testbed.cms.simple import ListSite
from monitor.testbed.model import Attachment, Column, Doc
from monitor.testbed.variants import charset_meta


class JspSite(ListSite):
    cms = "jsp"
    encoding = "gbk"
    header_charset = "UTF-8"       # wrong on purpose (lists); articles omit it
    home_path = "/"

    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        if page == 1:
            return "/list.jsp?" + self.qs(urltype="tree.TreeTempUrl", wbtreeid=col.key)
        total = col.page_count(as_of or date.max)
        return "/list.jsp?" + self.qs(**{f"a{col.key}t": total, f"a{col.key}p": page, f"a{col.key}c": col.per_page},
                                      urltype="tree.TreeTempUrl", wbtreeid=col.key)

    def doc_path(self, col: Column, d: Doc) -> str:
        return "/content.jsp?" + self.qs(urltype="news.NewsContentUrl", wbtreeid=col.key, wbnewsid=d.id)

    def att_path(self, d: Doc, a: Attachment, i: int) -> str:
        return f"/uploadfile/{a.added:%Y}/{a.added:%m%d}/{a.added:%Y%m%d}{9 + i:02d}{d.id % 60:02d}{i:02d}{d.id % 1000:03d}.{a.fmt}"

    def _page(self, title: str, body: str, head: str = "") -> str:
        nav = "".join(f'<td><a href="{h(self.column_path(c))}">{h(c.title)}</a></td>' for c in self.columns)
        return f"""<HTML>
<HEAD>
{charset_meta(self.look, self.encoding, '<meta charset="gbk">')}
<TITLE>{h(title)}</TITLE>{head}
<META Name="keywords" Content="示例大学财务处">
<LINK href="/css/style.css" type="text/css" rel="stylesheet">
</HEAD>
<BODY>
<table width="1000" align="center" class="top"><tr><td><a href="/">示例大学财务处</a></td></tr></table>
<table width="1000" align="center" class="nav"><tr><td><a href="/">首页</a></td>{nav}</tr></table>
<table width="1000" align="center" class="main"><tr><td>{body}</td></tr></table>
<table width="1000" align="center" class="foot"><tr><td>示例大学财务处 版权所有 2016　地址：行政楼三楼　电话：0571-88885678</td></tr></table>
</BODY>
</HTML>
"""

    def render_home(self, as_of: date) -> Resp:
        blocks = []
        for col in self.columns:
            rows = "".join(f'<tr><td><a href="{h(d.path)}" target="_blank">{h(d.title)}</a></td><td>{iso(d.published)}</td></tr>'
                           for d in col.visible_docs(as_of)[:5])
            blocks.append(f'<table class="box"><tr><th>{h(col.title)}</th><th><a href="{h(self.column_path(col))}">更多</a></th></tr>{rows}</table>')
        newest = max([SITE_LAUNCH] + [c.newest(as_of) or SITE_LAUNCH for c in self.columns])
        return Resp(200, self._page("示例大学财务处", "".join(blocks)), changed=newest)

    def render_list(self, col: Column, page: int, as_of: date) -> Resp:
        total = col.page_count(as_of)
        rows = "".join(
            f'<tr><td class="c{col.key}" width="85%"><a href="{h(d.path)}" target="_blank" title="{h(d.title)}">{h(d.title)}</a></td>'
            f'<td class="timestyle{col.key}" width="15%">{iso(d.published)}</td></tr>' for d in col.chunk(as_of, page))
        nav = [f"共{len(col.visible_docs(as_of))}条记录 分{total}页 当前第{page}页"]
        if page > 1:
            nav.append(f'<a href="{h(self.column_path(col, 1, as_of))}">首页</a>')
            nav.append(f'<a href="{h(self.column_path(col, page - 1, as_of))}">上页</a>')
        if page < total:
            nav.append(f'<a href="{h(self.column_path(col, page + 1, as_of))}">下页</a>')
            nav.append(f'<a href="{h(self.column_path(col, total, as_of))}">尾页</a>')
        box, pager = f'<table width="100%" class="winstyle{col.key}">{rows}</table>', f'<div class="fy">{"&nbsp;".join(nav)}</div>'
        if self.look is not None:
            box, own = self.gen_list(col, page, as_of, lambda p: p)
            pager = own if own is not None else pager
        body = f'<div class="lmtitle">{h(col.title)}</div>{box}{pager}'
        return Resp(200, self._page(f"{col.title}-示例大学财务处", body), changed=self.list_changed(col, as_of))

    def render_article(self, d: Doc, as_of: date) -> Resp:
        col = d.column
        assert col is not None
        upd = d.updated(as_of)
        info = f"发布日期：{cn_date(d.published)}"
        if upd:
            info += f"　更新时间：{cn_date(upd)}"
        info, head = f'<div class="timestyle">{info}　来源：财务处</div>', ""
        if self.look is not None and self.look.article.kind != "cms":
            info = self.look.article.header(d.published, d.id, "财务处", upd)
            head = self.look.article.head(d.published, d.id)
        paras = "".join(f"<p>{h(p)}</p>" for p in d.text(as_of))
        files = "".join(f'<p>附件：<a href="{h(a.path)}">{h(a.name)}</a></p>' for a in d.attachments_at(as_of))
        body = (f'<div class="wz">当前位置：<a href="/">首页</a> &gt;&gt; <a href="{h(self.column_path(col))}">{h(col.title)}</a></div>'
                f'<div class="titlestyle"><h2>{h(d.title)}</h2></div>{info}'
                f'<div class="contentstyle{col.key}"><div id="vsb_content">{paras}{files}</div></div>')
        return Resp(200, self._page(d.title, body, head), changed=d.last_change(as_of), charset_header=None)

    def route(self, path, query, raw_query, as_of):
        # Old VSB ignores the total/count parameters of a page link: only aNNNNp selects the page.
        if path == "/list.jsp" and query.get("wbtreeid"):
            try:
                col = self.column_by_key(query["wbtreeid"])
            except KeyError:
                return None
            p = query.get(f"a{col.key}p")
            page = int(p) if p and p.isdigit() else 1
            if p is not None and page == 1 or page < 1 or page > col.page_count(as_of):
                return None
            return self.render_list(col, page, as_of)
        if path.startswith("/css/"):
            return Resp(200, "/* static */", "text/css", changed=SITE_LAUNCH)
        return super().route(path, query, raw_query, as_of)
