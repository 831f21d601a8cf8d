"""Small home-made portals of three units (教务处, 学生工作处, 就业指导中心).

They differ the way real unit sites do: `?page=N` pagination, list dates as `[10-31]` (year only
in the article URL or in a year heading), `2019年10月31日`, `2019/10/31`, `2019.10.31`, split
day/month blocks, or no date at all (only in the article). jwc has robots.txt and a sidebar of
newer notices; xsc renders a "今天是…" widget server-side (changes daily) and an endless
calendar (a crawler trap); jyzx shows the date in the article heading without a label."""
from __future__ import annotations

from datetime import date

from monitor.testbed.cms.base import SITE_LAUNCH, PageInfo, Resp, cn_date, h, hexid, iso, today_widget
from monitor.testbed.cms.simple import ListSite
from monitor.testbed.model import Attachment, Column, Doc
from monitor.testbed.variants import charset_meta


def list_date(style: str, d: date) -> str:
    if style in ("short", "yeargroup"):
        return f'<span class="date">[{d:%m-%d}]</span>'
    if style == "iso":
        return f'<span class="date">{iso(d)}</span>'
    if style == "cn":
        return f'<span class="date">{cn_date(d)}</span>'
    if style == "slash":
        return f'<span class="date">{d:%Y/%m/%d}</span>'
    if style == "dot":
        return f'<span class="date">{d:%Y.%m.%d}</span>'
    if style == "split":
        return f'<div class="date"><span class="day">{d:%d}</span><span class="ym">{d:%Y.%m}</span></div>'
    return ""


class PortalSite(ListSite):
    cms = "portal"
    encoding = "utf-8"
    header_charset = "utf-8"

    def __init__(self, key, name, unit, columns, flavor: str):
        super().__init__(key, name, unit, columns)
        self.flavor = flavor
        self.article_source = "heading" if flavor == "jyzx" else "label"
        self.home_path = "/"

    # -- URLs -----------------------------------------------------------------------------
    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        if self.flavor == "jwc":
            base = f"/{col.key}/"
            return base if page == 1 else f"{base}?page={page}"
        if self.flavor == "xsc":
            base = f"/list/{col.key}"
            return base if page == 1 else f"{base}?page={page}"
        return f"/list.aspx?cid={col.key}" + (f"&page={page}" if page > 1 else "")

    def doc_path(self, col: Column, d: Doc) -> str:
        if self.flavor == "jwc":
            return f"/content/{d.published.year}/{d.id}.html"
        if self.flavor == "xsc":
            return f"/article/{d.id}"
        return f"/show.aspx?id={d.id}"

    def att_path(self, d: Doc, a: Attachment, i: int) -> str:
        hx = hexid(self.key, a.key, n=20)
        if self.flavor == "jwc":
            return f"/upload/files/{hx}.{a.fmt}"
        if self.flavor == "xsc":
            return f"/files/{hx}.{a.fmt}"
        return f"/uploads/{a.added:%Y%m}/{hx}.{a.fmt}"

    # -- chrome ---------------------------------------------------------------------------
    def _daily(self) -> bool:
        return self.flavor == "xsc"

    def _page(self, title: str, body: str, as_of: date, head: str = "") -> str:
        nav = "".join(f'<li><a href="{h(self.column_path(c))}">{h(c.title)}</a></li>' for c in self.columns)
        extra_nav = ""
        top = ""
        if self.flavor == "jwc":
            extra_nav = '<li><a href="/admin/login.php">教务管理系统</a></li><li><a href="/search?type=adv">高级搜索</a></li>'
        if self.flavor == "xsc":
            extra_nav = '<li><a href="/calendar">学工日历</a></li>'
            top = f'<div class="today">{today_widget(as_of)}</div>'
        footer_links = '<a href="/old/jwgl.htm">旧版网站</a>　' if self.flavor == "jwc" else ""
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{charset_meta(self.look, self.encoding, '<meta charset="utf-8">')}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{h(title)}</title>{head}
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header class="site-header">{top}<a class="brand" href="/">{h(self.name)}</a>
<nav><ul><li><a href="/">首页</a></li>{nav}{extra_nav}</ul></nav></header>
<main>{body}</main>
<footer>{footer_links}© 2018 {h(self.name)}　地址：示例市大学路1号</footer>
</body>
</html>
"""

    def _changed(self, d: date | None) -> date | None:
        return None if self._daily() else (d or SITE_LAUNCH)

    def _sidebar(self, as_of: date) -> str:
        if self.flavor != "jwc":
            return ""
        tz = self.column_by_key("tzgg")
        lis = "".join(f'<li><a href="{d.path}">{h(d.title)}</a> <span class="date">{iso(d.published)}</span></li>'
                      for d in tz.visible_docs(as_of)[:5])
        return f'<aside class="sidebar"><h3>最新通知</h3><ul>{lis}</ul></aside>'

    # -- pages ----------------------------------------------------------------------------
    def render_home(self, as_of: date) -> Resp:
        blocks = []
        for col in self.columns:
            lis = "".join(f'<li><a href="{h(d.path)}">{h(d.title)}</a>{list_date(col.style, d.published)}</li>'
                          for d in col.visible_docs(as_of)[:5])
            blocks.append(f'<section class="block"><h2><a href="{h(self.column_path(col))}">{h(col.title)}</a></h2><ul>{lis}</ul></section>')
        newest = max([SITE_LAUNCH] + [c.newest(as_of) or SITE_LAUNCH for c in self.columns])
        return Resp(200, self._page(self.name, "".join(blocks), as_of), changed=self._changed(newest))

    def render_list(self, col: Column, page: int, as_of: date) -> Resp:
        docs = col.chunk(as_of, page)
        total = col.page_count(as_of)
        if self.look is not None:
            rows_html, pager_html = self.gen_list(col, page, as_of, lambda p: p)
            body = (f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; {h(col.title)}</div>'
                    f'<section class="column"><h1 class="column-title">{h(col.title)}</h1>{rows_html}'
                    f'{pager_html or ""}</section>')
            return Resp(200, self._page(f"{col.title} - {self.name}", body, as_of),
                        changed=self._changed(col.newest(as_of)))
        if col.style == "yeargroup":
            groups: list[tuple[int, list[Doc]]] = []
            for d in docs:
                if not groups or groups[-1][0] != d.published.year:
                    groups.append((d.published.year, []))
                groups[-1][1].append(d)
            rows = "".join(
                f'<div class="year-group"><h3 class="year">{y}年</h3><ul class="news-list">' +
                "".join(f'<li>{list_date("short", d.published)}<a href="{h(d.path)}">{h(d.title)}</a></li>' for d in ds) +
                "</ul></div>" for y, ds in groups)
        else:
            rows = '<ul class="news-list">' + "".join(
                f'<li><a href="{h(d.path)}" title="{h(d.title)}">{h(d.title)}</a>{list_date(col.style, d.published)}</li>'
                for d in docs) + "</ul>"
        pager = [f'<span class="info">第{page}页/共{total}页</span>']
        if page > 1:
            pager.append(f'<a href="{h(self.column_path(col, page - 1))}">上一页</a>')
        for n in range(1, total + 1):
            pager.append(f'<span class="current">{n}</span>' if n == page else f'<a href="{h(self.column_path(col, n))}">{n}</a>')
        if page < total:
            pager.append(f'<a href="{h(self.column_path(col, page + 1))}">下一页</a>')
        body = (f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; {h(col.title)}</div>'
                f'<section class="column"><h1 class="column-title">{h(col.title)}</h1>{rows}'
                f'<div class="pagination">{" ".join(pager)}</div></section>')
        return Resp(200, self._page(f"{col.title} - {self.name}", body, as_of), changed=self._changed(col.newest(as_of)))

    def render_article(self, d: Doc, as_of: date) -> Resp:
        col = d.column
        assert col is not None
        upd = d.updated(as_of)
        head = ""
        if self.look is not None:
            unit = {"jwc": "教务处", "xsc": "学生工作处", "jyzx": "就业指导中心"}[self.flavor]
            heading = f"<h1>{h(d.title)}</h1>" + self.look.article.header(d.published, d.id, unit, upd)
            head = self.look.article.head(d.published, d.id)
        elif self.flavor == "jwc":
            meta = f'<div class="meta">发布日期：{iso(d.published)}　来源：教务处'
            meta += f"　更新时间：{iso(upd)}" if upd else ""
            meta += "</div>"
            heading = f"<h1>{h(d.title)}</h1>{meta}"
        elif self.flavor == "xsc":
            meta = f'<div class="meta"><span>时间：&nbsp;{d.published:%Y/%m/%d}</span><span>作者：学生工作处</span>'
            meta += f"<span>更新时间：{upd:%Y/%m/%d}</span>" if upd else ""
            meta += "</div>"
            heading = f"<h1>{h(d.title)}</h1>{meta}"
        else:
            sub = f"{d.published:%Y.%m.%d}&nbsp;&nbsp;来源：就业指导中心"
            sub += f"&nbsp;&nbsp;更新时间：{upd:%Y.%m.%d}" if upd else ""
            heading = f'<div class="arc-title"><h1>{h(d.title)}</h1><div class="arc-sub">{sub}</div></div>'
        paras = self.body_html(d, as_of)
        files = "".join(f'<li><a href="{h(a.path)}">{h(a.name)}</a></li>' for a in d.attachments_at(as_of))
        files = f'<ul class="attachments">{files}</ul>' if files else ""
        body = (f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="{h(self.column_path(col))}">{h(col.title)}</a> &gt; 正文</div>'
                f'<article class="article">{heading}<div class="article-content">{paras}</div>{files}</article>'
                f"{self._sidebar(as_of)}")
        changed = d.last_change(as_of)
        if self.flavor == "jwc":
            changed = max(changed, self.column_by_key("tzgg").newest(as_of) or SITE_LAUNCH)
        return Resp(200, self._page(f"{d.title} - {self.name}", body, as_of, head), changed=self._changed(changed))

    # -- extras: robots (jwc), login, calendar trap (xsc) --------------------------------------
    def robots(self) -> str | None:
        if self.flavor == "jwc":
            return "User-agent: *\nDisallow: /admin/\nDisallow: /search\n"
        return None

    def route_special(self, path, query, raw_query, as_of):
        if path == "/robots.txt":
            text = self.robots()
            return Resp(200, text, "text/plain", changed=SITE_LAUNCH) if text else None
        if path.startswith("/static/"):
            return Resp(200, "/* static */", "text/css", changed=SITE_LAUNCH)
        if self.flavor == "jwc" and (path.startswith("/admin/") or path == "/search"):
            return Resp(200, self._page("教务管理系统", "<form method=post><p>请登录教务管理系统</p></form>", as_of),
                        changed=SITE_LAUNCH)
        if self.flavor == "xsc" and path == "/calendar":
            return self._calendar(query.get("date"), as_of)
        return None

    def _calendar(self, ym: str | None, as_of: date) -> Resp | None:
        try:
            year, month = (int(x) for x in (ym or f"{as_of:%Y-%m}").split("-"))
            if not 1 <= month <= 12 or not 1900 <= year <= 2999:
                raise ValueError
        except ValueError:
            return None
        prev = (year - 1, 12) if month == 1 else (year, month - 1)
        nxt = (year + 1, 1) if month == 12 else (year, month + 1)
        body = (f'<section class="calendar"><h1>{year}年{month}月 学工日历</h1>'
                f'<a class="prev" href="/calendar?date={prev[0]}-{prev[1]:02d}">上个月</a> '
                f'<a class="next" href="/calendar?date={nxt[0]}-{nxt[1]:02d}">下个月</a>'
                f"<p>本月暂无安排。</p></section>")
        return Resp(200, self._page("学工日历", body, as_of), changed=None)

    def robots_disallowed(self, as_of: date) -> list[str]:
        if self.flavor == "jwc":
            return [self.url("/admin/login.php"), self.url("/search?type=adv")]
        return []

    def traps(self) -> list[str]:
        return [self.url("/calendar")] if self.flavor == "xsc" else []

    def broken_links(self, as_of: date) -> list[str]:
        return [self.url("/old/jwgl.htm")] if self.flavor == "jwc" else []

    def extra_pages(self, as_of: date) -> list[PageInfo]:
        return []
