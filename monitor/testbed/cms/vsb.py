"""博达 VSB — the admissions site. Columns `/<slug>.htm`, further pages `/<slug>/<N>.htm` numbered
backwards (`/<slug>/1.htm` is the oldest), articles `/info/<col>/<id>.htm`, relative links,
click counts through `_showDynClicks` and `dynclicks.jsp` (never to be fetched), attachments
through `download.jsp` with Content-Disposition, and one entry behind a login wall."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from monitor.testbed.cms.base import SITE_LAUNCH, PageInfo, Resp, h, iso
from monitor.testbed.cms.simple import ListSite, rel
from monitor.testbed.model import Attachment, Column, Doc
from monitor.testbed.variants import charset_meta

OWNER = 1768465416
COL_IDS = {"tzgg": "1016", "zszc": "1011", "zsjh": "1012", "tslx": "1013", "lqcx": "1014", "zxss": "1015"}


class VsbSite(ListSite):
    cms = "vsb"
    encoding = "utf-8"
    header_charset = "utf-8"
    home_path = "/index.htm"

    def col_id(self, col: Column) -> str:
        return COL_IDS.get(col.key, "1099")

    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        if page == 1:
            return f"/{col.key}.htm"
        total = col.page_count(as_of or date.max)
        return f"/{col.key}/{total - page + 1}.htm"

    def doc_path(self, col: Column, d: Doc) -> str:
        if d.login_wall:
            return "/content.jsp?" + self.qs(urltype="news.NewsContentUrl", wbtreeid=self.col_id(col), wbnewsid=d.id)
        return f"/info/{self.col_id(col)}/{d.id}.htm"

    def att_path(self, d: Doc, a: Attachment, i: int) -> str:
        return "/system/_content/download.jsp?" + self.qs(urltype="news.DownloadAttachUrl", owner=OWNER,
                                                          wbfileid=d.id * 10 + i)

    def attachment_headers(self, a: Attachment) -> dict[str, str]:
        return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(a.name)}"}

    def clicks_url(self, d: Doc) -> str:
        return "/system/resource/code/news/click/dynclicks.jsp?" + self.qs(clickid=d.id, owner=OWNER, clicktype="wbnews")

    # -- chrome ---------------------------------------------------------------------------
    def _page(self, here: str, title: str, body: str, tail: str = "", head: str = "") -> str:
        nav = "".join(f'<li><a href="{h(rel(here, self.column_path(c)))}">{h(c.title)}</a></li>' for c in self.columns)
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
{charset_meta(self.look, self.encoding, '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />')}
<title>{h(title)}</title>{head}
<META Name="keywords" Content="示例大学本科招生网" />
<link rel="stylesheet" type="text/css" href="{rel(here, '/style/style.css')}">
<script type="text/javascript" src="{rel(here, '/system/resource/js/counter.js')}"></script>
</head>
<body>
<div class="top"><div class="logo"><a href="{rel(here, self.home_path)}">示例大学本科招生网</a></div>
<div class="nav"><ul><li><a href="{rel(here, self.home_path)}">网站首页</a></li>{nav}</ul></div></div>
<div class="main">{body}</div>
<div class="foot"><p>Copyright© 2017 示例大学招生办公室 All rights reserved.　招生咨询电话：0571-88886789</p></div>
{tail}
</body>
</html>
"""

    def _side(self, here: str, as_of: date) -> str:
        tz = self.column_by_key("tzgg")
        lis = "".join(f'<li><a href="{h(rel(here, d.path))}">{h(d.title)}</a><span>{iso(d.published)}</span></li>'
                      for d in tz.visible_docs(as_of)[:5])
        return f'<div class="side"><h3>最新公告</h3><ul>{lis}</ul></div>'

    def render_home(self, as_of: date) -> Resp:
        here = self.home_path
        blocks = []
        for col in self.columns:
            lis = "".join(
                f'<li><a href="{h(rel(here, d.path))}" title="{h(d.title)}">{h(d.title)}</a><span>{d.published:%m-%d}</span></li>'
                for d in col.visible_docs(as_of)[:6])
            blocks.append(f'<div class="block"><h2><a href="{h(rel(here, self.column_path(col)))}">{h(col.title)}</a>'
                          f'<a class="more" href="{h(rel(here, self.column_path(col)))}">更多&gt;&gt;</a></h2><ul>{lis}</ul></div>')
        newest = max([SITE_LAUNCH] + [c.newest(as_of) or SITE_LAUNCH for c in self.columns])
        return Resp(200, self._page(here, "示例大学本科招生网", "".join(blocks)), changed=newest)

    def render_list(self, col: Column, page: int, as_of: date) -> Resp:
        here = self.column_path(col, page, as_of)
        total = col.page_count(as_of)
        count = len(col.visible_docs(as_of))
        if self.look is not None:
            rows_html, pager = self.gen_list(col, page, as_of, lambda p: rel(here, p))
            body = (f'<div class="dqwz">当前位置：<a href="{rel(here, self.home_path)}">首页</a>&gt;&gt;{h(col.title)}</div>'
                    f'<div class="lm_name"><h2>{h(col.title)}</h2></div>{rows_html}'
                    f'{pager if pager is not None else self._pager(here, col, page, total, count, as_of)}')
            return Resp(200, self._page(here, f"{col.title}-示例大学本科招生网", body), changed=self.list_changed(col, as_of))
        rows = []
        for i, d in enumerate(col.chunk(as_of, page)):
            rows.append(f'<li id="line_u6_{i}"><a href="{h(rel(here, d.path))}" target="_blank" title="{h(d.title)}">'
                        f'{h(d.title)}</a><span class="timestyle44007">{iso(d.published)}&nbsp;</span></li>')
        body = (f'<div class="dqwz">当前位置：<a href="{rel(here, self.home_path)}">首页</a>&gt;&gt;{h(col.title)}</div>'
                f'<div class="lm_name"><h2>{h(col.title)}</h2></div><div class="list"><ul>{"".join(rows)}</ul></div>'
                f'{self._pager(here, col, page, total, count, as_of)}')
        return Resp(200, self._page(here, f"{col.title}-示例大学本科招生网", body), changed=self.list_changed(col, as_of))

    def _pager(self, here: str, col: Column, page: int, total: int, count: int, as_of: date) -> str:
        def pl(n: int, text: str, cls: str) -> str:
            return f'<span class="{cls} p_fun"><a href="{h(rel(here, self.column_path(col, n, as_of)))}">{text}</a></span>'
        parts = [f'<span class="p_t">共{count}条</span>', f'<span class="p_t">{page}/{total}</span>', '<span class="p_pages">']
        parts.append(pl(1, "首页", "p_first") if page > 1 else '<span class="p_first_d p_fun_d">首页</span>')
        parts.append(pl(page - 1, "上页", "p_prev") if page > 1 else '<span class="p_prev_d p_fun_d">上页</span>')
        for n in range(max(1, page - 2), min(total, page + 2) + 1):
            parts.append(f'<span class="p_no_d">{n}</span>' if n == page else
                         f'<span class="p_no"><a href="{h(rel(here, self.column_path(col, n, as_of)))}">{n}</a></span>')
        parts.append(pl(page + 1, "下页", "p_next") if page < total else '<span class="p_next_d p_fun_d">下页</span>')
        parts.append(pl(total, "尾页", "p_last") if page < total else '<span class="p_last_d p_fun_d">尾页</span>')
        parts.append("</span>")
        return f'<div class="pb_sys_common pb_sys_normal pb_sys_style1">{"".join(parts)}</div>'

    def render_article(self, d: Doc, as_of: date) -> Resp:
        here = d.path
        col = d.column
        assert col is not None
        upd = d.updated(as_of)
        meta = f"【作者:{h(self.key)} | 发布日期:{iso(d.published)} | "
        if upd:
            meta += f"更新时间:{iso(upd)} | "
        meta += f'点击数:<script>_showDynClicks("wbnews", {OWNER}, {d.id})</script>】'
        info, head = f'<div class="info" align="center">{meta}</div>', ""
        if self.look is not None and self.look.article.kind != "cms":
            look = self.look.article
            info = (look.header(d.published, d.id, "招生办公室", upd) + '<div class="clicks">点击数：'
                    f'<script>_showDynClicks("wbnews", {OWNER}, {d.id})</script></div>')
            head = look.head(d.published, d.id)
        paras = "".join(f'<p style="text-indent:2em;">{h(p)}</p>' for p in d.text(as_of))
        files = "".join(
            f'<li>附件【<a href="{h(a.path)}" target="_blank">{h(a.name)}</a>】已下载<span id="nattach{d.id}{i}">'
            f'<script language="javascript">getClickTimes({d.id * 10 + i},{OWNER},"wbnewsfile","attach")</script></span>次</li>'
            for i, a in enumerate(d.attachments_at(as_of)))
        body = (f'{self._side(here, as_of)}<div class="content"><div class="dqwz">当前位置：<a href="{rel(here, self.home_path)}">首页</a>'
                f'&gt;&gt;<a href="{h(rel(here, self.column_path(col)))}">{h(col.title)}</a>&gt;&gt;正文</div>'
                f'<form name="_newscontent_fromname"><h1 align="center">{h(d.title)}</h1>'
                f'{info}'
                f'<div id="vsb_content"><div class="v_news_content">{paras}</div></div>'
                f'<ul style="list-style-type:none;">{files}</ul></form></div>')
        tail = (f'<script type="text/javascript" src="{rel(here, "/system/resource/js/dynclicks.js")}"></script>\n'
                f'<script type="text/javascript" src="{h(self.clicks_url(d))}"></script>')
        side_newest = self.column_by_key("tzgg").newest(as_of) or SITE_LAUNCH
        return Resp(200, self._page(here, f"{d.title}-示例大学本科招生网", body, tail, head),
                    changed=max(d.last_change(as_of), min(side_newest, as_of)))

    def route_special(self, path, query, raw_query, as_of):
        if path == "/" and not raw_query:
            return Resp(302, "", headers={"Location": self.url(self.home_path)})
        if path == "/content.jsp":
            return Resp(302, "", headers={"Location": self.url("/system/login.jsp")})
        if path == "/system/login.jsp":
            return Resp(200, self._page(path, "统一身份认证", '<form class="login" method="post" action="/system/login.jsp">'
                                        '<h2>统一身份认证</h2><p>该信息仅限校内用户查看，请登录。</p>'
                                        '<input name="username"><input name="password" type="password"></form>'),
                        changed=SITE_LAUNCH)
        if path.startswith("/system/resource/code/news/click/dynclicks.jsp"):
            return Resp(200, "0", "text/plain", headers={"Cache-Control": "no-cache"})
        if path.startswith("/system/resource/js/") or path.startswith("/style/"):
            return Resp(200, "/* static */", "application/javascript" if path.endswith(".js") else "text/css",
                        changed=SITE_LAUNCH)
        return None

    def extra_pages(self, as_of: date) -> list[PageInfo]:
        if any(d.login_wall and d.visible(as_of) for d in self.docs()):
            return [PageInfo("/system/login.jsp", "other", "统一身份认证")]
        return []

    def link_categories(self, as_of: date) -> dict[str, str]:
        out = super().link_categories(as_of)
        # a list row links a news page that redirects to the login page: for campus users only
        out.update({self.url(d.path): "intranet" for d in self.docs() if d.login_wall and d.visible(as_of)})
        return out

    def never_fetch(self, as_of: date) -> list[str]:
        return sorted(self.url(self.clicks_url(d)) for d in self.docs() if d.visible(as_of) and not d.login_wall)
