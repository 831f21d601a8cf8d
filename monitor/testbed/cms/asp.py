"""Old ASP site — the personnel office (GB2312 declared, GBK bytes). Lists
`news_list.asp?cid=3&page=2` as tables with unpadded dates (2019-6-8), articles
`news_show.asp?id=123`, and a visitor counter in the footer that changes every day."""
from __future__ import annotations

from datetime import date

from monitor.testbed.cms.base import SITE_LAUNCH, Resp, h
from monitor.testbed.cms.simple import ListSite
from monitor.testbed.model import Attachment, Column, Doc
from monitor.testbed.variants import charset_meta


def loose(d: date) -> str:
    return f"{d.year}-{d.month}-{d.day}"


class AspSite(ListSite):
    cms = "asp"
    encoding = "gbk"
    header_charset = "gb2312"
    home_path = "/"

    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        return f"/news_list.asp?cid={col.key}" + (f"&page={page}" if page > 1 else "")

    def doc_path(self, col: Column, d: Doc) -> str:
        return f"/news_show.asp?id={d.id}"

    def att_path(self, d: Doc, a: Attachment, i: int) -> str:
        return f"/UploadFiles/{a.added:%Y%m}/{a.added:%Y%m%d}{d.id:05d}{i}.{a.fmt}"

    def _visitors(self, as_of: date) -> int:
        return 1234567 + (as_of - SITE_LAUNCH).days * 137

    def _page(self, title: str, body: str, as_of: date, head: str = "") -> str:
        nav = "".join(f'<td class="nav"><a href="{h(self.column_path(c))}">{h(c.title)}</a></td>' for c in self.columns)
        return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
{charset_meta(self.look, self.encoding, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')}
<title>{h(title)}</title>{head}
<link href="/css.css" rel="stylesheet" type="text/css">
</head>
<body topmargin="0">
<table width="980" border="0" align="center" cellpadding="0" cellspacing="0"><tr><td class="banner"><a href="/">示例大学人事处</a></td></tr></table>
<table width="980" border="0" align="center"><tr><td class="nav"><a href="/">首页</a></td>{nav}</tr></table>
<table width="980" border="0" align="center"><tr><td valign="top">{body}</td></tr></table>
<table width="980" border="0" align="center" class="bottom"><tr><td align="center">版权所有 示例大学人事处 Copyright &copy; 2008-2019<br>您是本站第 <font color="red">{self._visitors(as_of)}</font> 位访问者</td></tr></table>
</body>
</html>
"""

    def render_home(self, as_of: date) -> Resp:
        blocks = []
        for col in self.columns:
            rows = "".join(f'<tr><td>·<a href="{h(d.path)}" target="_blank">{h(d.title)}</a></td><td class="date">{loose(d.published)}</td></tr>'
                           for d in col.visible_docs(as_of)[:6])
            blocks.append(f'<table class="box" width="100%"><tr><td class="boxtitle">{h(col.title)}</td>'
                          f'<td align="right"><a href="{h(self.column_path(col))}">更多&gt;&gt;</a></td></tr>{rows}</table>')
        return Resp(200, self._page("示例大学人事处", "".join(blocks), as_of), changed=None)

    def render_list(self, col: Column, page: int, as_of: date) -> Resp:
        total = col.page_count(as_of)
        count = len(col.visible_docs(as_of))
        rows = "".join(
            f'<tr><td class="tit" width="80%">·<a href="{h(d.path)}" target="_blank">{h(d.title)}</a></td>'
            f'<td class="date" width="20%">{loose(d.published)}</td></tr>' for d in col.chunk(as_of, page))
        nav = [f"共 {count} 条记录 第{page}/{total}页"]
        if page > 1:
            nav += [f'<a href="{h(self.column_path(col, 1))}">首页</a>', f'<a href="{h(self.column_path(col, page - 1))}">上一页</a>']
        if page < total:
            nav += [f'<a href="{h(self.column_path(col, page + 1))}">下一页</a>', f'<a href="{h(self.column_path(col, total))}">尾页</a>']
        pager = f'<div class="page">{" ".join(nav)}</div>'
        body = (f'<table width="100%" class="newslist"><tr><td colspan="2" class="lmtitle">{h(col.title)}</td></tr>{rows}</table>'
                f'{pager}')
        if self.look is not None:
            box, own = self.gen_list(col, page, as_of, lambda p: p)
            body = (f'<table width="100%"><tr><td class="lmtitle">{h(col.title)}</td></tr></table>{box}'
                    f'{own if own is not None else pager}')
        return Resp(200, self._page(f"{col.title}-示例大学人事处", body, as_of), changed=None)

    def render_article(self, d: Doc, as_of: date) -> Resp:
        col = d.column
        assert col is not None
        upd = d.updated(as_of)
        info = f"发布时间：{loose(d.published)} {9 + d.id % 8}:{d.id % 60:02d}:{d.id % 47:02d}"
        if upd:
            info += f"　更新时间：{loose(upd)}"
        info, head = f"{info}　作者：人事处", ""
        if self.look is not None and self.look.article.kind != "cms":
            info = self.look.article.header(d.published, d.id, "人事处", upd)
            head = self.look.article.head(d.published, d.id)
        paras = "".join(f"<p>　　{h(p)}</p>" for p in d.text(as_of))
        files = "".join(f'<p>附件：<a href="{h(a.path)}">{h(a.name)}</a></p>' for a in d.attachments_at(as_of))
        body = (f'<table width="100%"><tr><td class="wz">您现在的位置：<a href="/">首页</a> &gt; '
                f'<a href="{h(self.column_path(col))}">{h(col.title)}</a></td></tr>'
                f'<tr><td class="title" align="center">{h(d.title)}</td></tr>'
                f'<tr><td class="info" align="center">{info}</td></tr>'
                f'<tr><td class="content">{paras}{files}</td></tr></table>')
        return Resp(200, self._page(d.title, body, as_of, head), changed=None)

    def route_special(self, path, query, raw_query, as_of):
        if path == "/css.css":
            return Resp(200, "/* static */", "text/css", changed=SITE_LAUNCH)
        if path in ("/news_list.asp", "/news_show.asp"):
            # ASP ignores unknown parameters and treats page=1 like no page
            if path == "/news_list.asp" and query.get("page") == "1":
                return None
        return None
