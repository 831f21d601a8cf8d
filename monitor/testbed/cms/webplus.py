"""Sudy WebPlus (网站群) — the disclosure site.

Columns `/<col>/list.htm`, `list2.htm` …; a column with exactly one article renders as that
article; single pages `/<col>/main.htm`; articles `/<yyyy>/<MMdd>/c<col>a<id>/page.htm` or hashed
`/<hh>/<hh>/c<col>a<id>/page.htm`; files under `/_upload/article/files/`; `/_visitcount?…`
counts a visit when fetched (never to be crawled).
"""
from __future__ import annotations

import re
from datetime import date

from monitor.testbed.cms.base import SITE_LAUNCH, PageInfo, Resp, SiteBase, h, hexid, iso
from monitor.testbed.model import Column, Doc
from monitor.testbed.variants import charset_meta

SITE_ID = 12
_LIST = re.compile(r"^/(\d+)/list(\d*)\.htm$")
_MAIN = re.compile(r"^/(\d+)/main\.htm$")


class WebPlusSite(SiteBase):
    cms = "webplus"
    encoding = "utf-8"
    header_charset = "utf-8"

    def __init__(self, key, name, unit, columns, categories: list[tuple[str, str, list[Column]]],
                 filler: Column, undated_url_columns: set[str], unit_names: dict[str, str]):
        super().__init__(key, name, unit, columns)
        self.categories = categories          # (category id, name, columns)
        self.filler = filler
        self.undated_url_columns = undated_url_columns   # article pages without a date label
        self.unit_names = unit_names
        self.cat_page_id = {cid: str(2100 + int(cid)) for cid, _, _ in categories}
        self.cat_of: dict[str, tuple[str, str]] = {}
        for cid, cname, cols in categories:
            for c in cols:
                self.cat_of[c.key] = (cid, cname)
        self.by_path: dict[str, object] = {}
        self.aliases: dict[str, Column] = {}
        self.by_key: dict[str, Column] = {c.key: c for c in columns}
        self.by_id: dict[int, Doc] = {d.id: d for c in columns for d in c.docs}
        self.extra_links: dict[int, list[tuple[str, str]]] = {}   # doc id -> extra (href, text) in its body

    # -- URLs -----------------------------------------------------------------------------
    def assign_paths(self, next_id) -> None:
        for col in self.columns:
            for d in col.docs:
                hashed = d.id % 3 == 0 and col.key not in self.undated_url_columns
                if hashed:
                    hx = hexid("wp", d.id)
                    d.path = f"/{hx[:2]}/{hx[2:4]}/c{col.key}a{d.id}/page.htm"
                else:
                    d.path = f"/{d.published.year}/{d.published:%m%d}/c{col.key}a{d.id}/page.htm"
                self.by_path[d.path] = d
                for a in d.attachments:
                    hx = hexid("att", a.key)
                    a.path = f"/_upload/article/files/{hx[:2]}/{hx[2:4]}/{hexid('f1', a.key)}/{hexid('f2', a.key)}.{a.fmt}"
                    a.doc = d
                    self.by_path[a.path] = a

    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        if col.mode in ("page", "pointer"):
            return f"/{col.key}/main.htm"
        return f"/{col.key}/list.htm" if page == 1 else f"/{col.key}/list{page}.htm"

    def counter(self, **params) -> str:
        return "/_visitcount?" + self.qs(siteId=SITE_ID, **params)

    # -- chrome ---------------------------------------------------------------------------
    def _nav(self) -> str:
        links = ['<li class="menu-item"><a href="/" class="menu-link">首页</a></li>']
        for cid, cname, _ in self.categories:
            links.append(f'<li class="menu-item"><a href="/{self.cat_page_id[cid]}/list.htm" class="menu-link">{h(cname)}</a></li>')
        links.append(f'<li class="menu-item"><a href="{self.column_path(self.filler)}" class="menu-link">{h(self.filler.title)}</a></li>')
        return '<div class="nav wp-menu"><ul class="menu">' + "".join(links) + "</ul></div>"

    def _page(self, title: str, body: str, *, extra_head: str = "", tail: str = "") -> str:
        return f"""<!DOCTYPE html>
<html>
<head>
{charset_meta(self.look, self.encoding, '<meta charset="utf-8">')}
<meta name="renderer" content="webkit">
<title>{h(title)}</title>
<meta name="description" content="示例大学信息公开网">
<link type="text/css" href="/_css/_system/system.css" rel="stylesheet">
<script type="text/javascript" src="/_js/_portletPlugs/sudyNavi/jquery.sudyNav.js"></script>
{extra_head}
</head>
<body>
<div class="wrapper header"><div class="inner">
<div class="sitelogo"><a href="/"><span class="sitetitle">示例大学信息公开网</span></a></div>
<div class="top-right"><span class="date" id="today"><script>document.write(new Date().toLocaleDateString('zh-CN'))</script></span>
<form class="wp-search" action="/_web/search/doSearch.do" method="post"><input name="keyword" type="text"><input type="submit" value="搜索"></form></div>
</div></div>
{self._nav()}
<div class="wrapper main"><div class="inner">
{body}
</div></div>
<div class="wrapper footer"><div class="inner"><p class="copyright">版权所有 © 2019 示例大学 信息公开办公室　地址：示例市大学路1号　邮编：310000　示ICP备05001234号</p></div></div>
{tail}
</body>
</html>
"""

    def _breadcrumb(self, col: Column | None, last: str | None = None) -> str:
        parts = ['<a href="/">首页</a>']
        if col is not None:
            cat = self.cat_of.get(col.key)
            if cat:
                parts.append(f'<a href="/{self.cat_page_id[cat[0]]}/list.htm">{h(cat[1])}</a>')
            parts.append(f'<a href="{self.column_path(col)}">{h(col.title)}</a>')
        if last:
            parts.append(f"<span>{h(last)}</span>")
        return '<div class="col_path"><span class="possplit">当前位置：</span>' + '<span class="possplit">&gt;</span>'.join(parts) + "</div>"

    def _side_menu(self, col: Column) -> str:
        cat = self.cat_of.get(col.key)
        if not cat:
            return ""
        cols = next(cols for cid, _, cols in self.categories if cid == cat[0])
        lis = []
        for c in cols:
            cls = ' class="selected"' if c is col else ""
            lis.append(f'<li{cls}><a href="{h(self.column_href(c))}">{h(c.title)}</a></li>')
        return f'<div class="col_menu"><h3 class="col_name">{h(cat[1])}</h3><ul class="wp_listcolumn">{"".join(lis)}</ul></div>'

    # -- pages ----------------------------------------------------------------------------
    def _home(self, as_of: date) -> Resp:
        newest = self.visible_docs(as_of)[:8]
        latest = "".join(
            f'<li><span class="Article_Title"><a href="{d.path}" title="{h(d.title)}">{h(d.title)}</a></span>'
            f'<span class="Article_PublishDate">{iso(d.published)}</span></li>' for d in newest)
        ticker_docs = self.filler.visible_docs(as_of)[:5]
        ticker = "　".join(f'<a href="{d.path}">{h(d.title)}（{d.published:%Y-%m-%d}）</a>' for d in ticker_docs)
        tree = []
        for cid, cname, cols in self.categories:
            lis = "".join(f'<li><a href="{h(self.column_href(c))}">{h(c.title)}</a></li>' for c in cols)
            tree.append(f'<div class="ml_cat"><h3><a href="/{self.cat_page_id[cid]}/list.htm">{h(cname)}</a></h3><ul>{lis}</ul></div>')
        gd = self.column_by_key_alias("gkzn")
        body = f"""
<div class="ticker"><marquee scrollamount="3">{ticker}</marquee></div>
<div class="home-left"><div class="post"><h2 class="tt">信息公开目录</h2>{''.join(tree)}</div></div>
<div class="home-right">
<div class="post"><h2 class="tt">最新公开</h2><ul class="wp_article_list">{latest}</ul></div>
<div class="post quick"><h2 class="tt">快速通道</h2><ul>
<li><a href="{self.column_path(gd)}">信息公开指南</a></li>
<li><a href="/_intranet/nbwj/list.htm">内部文件（校内访问）</a></li>
<li><a href="{self.counter(type=1, columnId=0, op='show')}">本站访问统计</a></li>
</ul></div></div>"""
        changed = max([SITE_LAUNCH] + [d.published for d in newest[:1]])
        return Resp(200, self._page("示例大学信息公开网", body,
                                    tail=f'<script src="{self.counter(type=1, columnId=0)}"></script>'), changed=changed)

    def column_by_key_alias(self, alias: str) -> Column:
        return self.aliases[alias]

    def _category(self, cid: str, as_of: date) -> Resp:
        cname, cols = next((n, c) for i, n, c in self.categories if i == cid)
        lis = "".join(f'<li><a href="{h(self.column_href(c))}">{h(c.title)}</a></li>' for c in cols)
        body = (f'<div class="col_news"><div class="col_news_head"><h2 class="col_title">{h(cname)}</h2>'
                f'{self._breadcrumb(None, cname)}</div><ul class="wp_listcolumn sub_columns">{lis}</ul></div>')
        return Resp(200, self._page(f"{cname}-示例大学信息公开网", body), changed=SITE_LAUNCH)

    def single_as_article(self, col: Column) -> bool:
        """Whether a column with exactly one article shows that article (a WebPlus column setting: the
        fixed estate has it on everywhere, a generated one per column)."""
        return self.look is None or col.key in self.look.single_as_article

    def _list(self, col: Column, page: int, as_of: date) -> Resp | None:
        docs = col.visible_docs(as_of)
        total = col.page_count(as_of)
        if page > total:
            return None
        if len(docs) == 1 and page == 1 and self.single_as_article(col):
            return self._article(docs[0], as_of, as_column=True)
        if self.look is not None:
            return self._list_generated(col, page, total, docs, as_of)
        rows = []
        for i, d in enumerate(col.chunk(as_of, page)):
            rows.append(
                f'<li class="list_item i{i + 1}"><div class="fields pr_fields">'
                f'<span class="Article_Index">{i + 1}</span>'
                f"<span class=\"Article_Title\"><a href='{d.path}' target='_blank' title='{h(d.title)}'>{h(d.title)}</a></span>"
                f'</div><div class="fields ex_fields"><span class="Article_PublishDate">{iso(d.published)}</span></div></li>')
        if not rows:
            rows.append('<li class="list_item empty">暂无内容</li>')
        pager = self._pager(col, page, total, len(docs))
        body = (f'{self._side_menu(col)}<div class="col_news"><div class="col_news_head">'
                f'<h2 class="col_title">{h(col.title)}</h2>{self._breadcrumb(col)}</div>'
                f'<div class="col_news_con"><div id="wp_news_w6"><ul class="wp_article_list">{"".join(rows)}</ul></div>'
                f"{pager}</div></div>")
        changed = col.newest(as_of) or SITE_LAUNCH
        return Resp(200, self._page(f"{col.title}-示例大学信息公开网", body,
                                    tail=f'<script src="{self.counter(type=1, columnId=col.key)}"></script>'),
                    changed=changed)

    def _list_generated(self, col: Column, page: int, total: int, docs: list[Doc], as_of: date) -> Resp:
        look = self.list_look(col)
        rows = look.rows_html(self.gen_rows(col, col.chunk(as_of, page), lambda d: d.path))
        if look.pager == "cms":
            pager = self._pager(col, page, total, len(docs))
        else:
            pager = look.pager_html(page, total, len(docs), lambda n: self.column_path(col, n))
        body = (f'{self._side_menu(col)}<div class="col_news"><div class="col_news_head">'
                f'<h2 class="col_title">{h(col.title)}</h2>{self._breadcrumb(col)}</div>'
                f'<div class="col_news_con"><div id="wp_news_w6">{rows}</div>{pager}</div></div>')
        return Resp(200, self._page(f"{col.title}-示例大学信息公开网", body,
                                    tail=f'<script src="{self.counter(type=1, columnId=col.key)}"></script>'),
                    changed=col.newest(as_of) or SITE_LAUNCH)

    def _pager(self, col: Column, page: int, total: int, count: int) -> str:
        def link(n: int, text: str, cls: str) -> str:
            return f'<a class="{cls}" href="{self.column_path(col, n)}">{text}</a>'
        nav = [link(1, "第一页", "first")]
        if page > 1:
            nav.append(link(page - 1, "&lt;&lt;上一页", "prev"))
        else:
            nav.append('<span class="prev">&lt;&lt;上一页</span>')
        if page < total:
            nav.append(link(page + 1, "下一页&gt;&gt;", "next"))
        else:
            nav.append('<span class="next">下一页&gt;&gt;</span>')
        nav.append(link(total, "尾页", "last"))
        return (f'<div id="wp_paging_w6"><ul class="wp_paging clearfix"><li class="pages_count">'
                f'<span class="per_page">每页&nbsp;<em class="per_count">{col.per_page}</em>&nbsp;记录&nbsp;</span>'
                f'<span class="all_count">总共&nbsp;<em class="all_count">{count}</em>&nbsp;记录&nbsp;</span></li>'
                f'<li class="page_nav">{"".join(nav)}</li><li class="page_jump"><span class="pages">页码&nbsp;'
                f'<em class="curr_page">{page}</em>/<em class="all_pages">{total}</em></span></li></ul></div>')

    def _article(self, d: Doc, as_of: date, as_column: bool = False) -> Resp:
        col = d.column
        assert col is not None
        if self.look is not None and col.key not in self.undated_url_columns and self.look.article.kind != "cms":
            return self._article_generated(d, col, as_of)
        metas = [f'<span class="arti_publisher">发布者：{h(d.source)}</span>']
        if col.key not in self.undated_url_columns:
            metas.append(f'<span class="arti_update">发布时间：{iso(d.published)}</span>')
        upd = d.updated(as_of)
        if upd:
            metas.append(f'<span class="arti_update2">更新时间：{iso(upd)}</span>')
        counter = self.counter(type=3, articleId=d.id)
        metas.append(f'<span class="arti_views">浏览次数：<span class="WP_VisitCount" url="{counter}">0</span></span>')
        paras = "".join(f"<p>{h(p)}</p>" for p in d.text(as_of))
        files = "".join(
            f"<p><a href=\"{a.path}\" sudyfile-attr=\"{{'title':'{h(a.name)}'}}\">{h(a.name)}</a></p>"
            for a in d.attachments_at(as_of))
        extra = "".join(f'<p><a href="{h(u)}">{h(t)}</a></p>' for u, t in self.extra_links.get(d.id, []))
        body = (f'{self._side_menu(col)}<div class="col_news">{self._breadcrumb(col, "正文")}'
                f'<div class="article"><h1 class="arti_title">{h(d.title)}</h1>'
                f'<p class="arti_metas">{"".join(metas)}</p>'
                f'<div class="entry"><div class="read"><div class="wp_articlecontent">{paras}{files}{extra}</div></div></div>'
                f"</div></div>")
        tail = f'<script type="text/javascript" src="{counter}"></script>'
        return Resp(200, self._page(d.title, body, tail=tail), changed=d.last_change(as_of))

    def _article_generated(self, d: Doc, col: Column, as_of: date) -> Resp:
        assert self.look is not None
        look = self.look.article
        counter = self.counter(type=3, articleId=d.id)
        header = look.header(d.published, d.id, d.source, d.updated(as_of))
        views = f'<span class="arti_views">浏览次数：<span class="WP_VisitCount" url="{counter}">0</span></span>'
        paras = "".join(f"<p>{h(p)}</p>" for p in d.text(as_of))
        files = "".join(
            f"<p><a href=\"{a.path}\" sudyfile-attr=\"{{'title':'{h(a.name)}'}}\">{h(a.name)}</a></p>"
            for a in d.attachments_at(as_of))
        extra = "".join(f'<p><a href="{h(u)}">{h(t)}</a></p>' for u, t in self.extra_links.get(d.id, []))
        body = (f'{self._side_menu(col)}<div class="col_news">{self._breadcrumb(col, "正文")}'
                f'<div class="article"><h1 class="arti_title">{h(d.title)}</h1>{header}{views}'
                f'<div class="entry"><div class="read"><div class="wp_articlecontent">{paras}{files}{extra}</div></div></div>'
                f"</div></div>")
        tail = f'<script type="text/javascript" src="{counter}"></script>'
        return Resp(200, self._page(d.title, body, extra_head=look.head(d.published, d.id), tail=tail),
                    changed=d.last_change(as_of))

    def _single_page(self, col: Column, as_of: date) -> Resp:
        if col.mode == "pointer" and col.target:
            site, key = col.target
            other = self.estate.sites[site]  # type: ignore[union-attr]
            url = other.url(other.column_path(other.column_by_key(key)))
            content = (f"<p>{h(col.title)}信息由{h(other.name.replace('示例大学', ''))}统一发布，请访问："
                       f'<a href="{h(url)}" target="_blank">{h(other.name)}—{h(other.column_by_key(key).title)}</a></p>')
        else:
            content = "".join(f"<p>{p}</p>" for p in col.page_text)
        body = (f'{self._side_menu(col)}<div class="col_news"><div class="col_news_head">'
                f'<h2 class="col_title">{h(col.title)}</h2>{self._breadcrumb(col)}</div>'
                f'<div class="wp_articlecontent">{content}</div></div>')
        return Resp(200, self._page(f"{col.title}-示例大学信息公开网", body), changed=SITE_LAUNCH)

    # -- routing --------------------------------------------------------------------------
    def route(self, path: str, query: dict[str, str], raw_query: str, as_of: date) -> Resp | None:
        if path in ("/", "/index.htm", "/main.htm") and not raw_query:
            return self._home(as_of) if path == "/" else None
        if path == "/_visitcount":
            return Resp(200, "document.write('1');", "application/javascript", headers={"Cache-Control": "no-cache"})
        if path.startswith("/_intranet/"):
            return Resp(403, "<html><body><h1>403 Forbidden</h1><p>仅限校内IP访问。</p></body></html>")
        if path.startswith("/_css/") or path.startswith("/_js/"):
            return Resp(200, "/* static */", "text/css" if path.endswith(".css") else "application/javascript",
                        changed=SITE_LAUNCH)
        obj = self.by_path.get(path)
        if isinstance(obj, Doc):
            return self._article(obj, as_of) if obj.visible(as_of) else None
        if obj is not None:
            return self.attachment_route(path, as_of)
        m = _LIST.match(path)
        if m:
            cid, n = m.group(1), int(m.group(2) or 1)
            if m.group(2) == "1":
                return None
            for cat_id, page_id in self.cat_page_id.items():
                if page_id == cid and n == 1:
                    return self._category(cat_id, as_of)
            col = self.by_key.get(cid)
            if col is not None and col.mode == "list":
                return self._list(col, n, as_of)
            return None
        m = _MAIN.match(path)
        if m:
            col = self.by_key.get(m.group(1))
            if col is not None and col.mode in ("page", "pointer"):
                return self._single_page(col, as_of)
        return None

    def attachment_route(self, path: str, as_of: date) -> Resp | None:
        a = self.by_path.get(path)
        if a is None or isinstance(a, Doc) or not a.visible(as_of) or not a.doc.visible(as_of):  # type: ignore[union-attr]
            return None
        from monitor.testbed.files import CONTENT_TYPES, render_file
        return Resp(200, render_file(a), CONTENT_TYPES[a.fmt], changed=a.added, charset_header=None)  # type: ignore[arg-type]

    # -- ground truth ---------------------------------------------------------------------
    def pages(self, as_of: date) -> list[PageInfo]:
        out = [PageInfo("/", "other", "示例大学信息公开网")]
        home_docs = self.visible_docs(as_of)[:8]
        for cid, cname, _ in self.categories:
            out.append(PageInfo(f"/{self.cat_page_id[cid]}/list.htm", "other", cname))
        for col in self.columns:
            item, items = self.col_items(col)
            if col.mode == "offsite":
                continue
            if col.mode == "page":
                out.append(PageInfo(self.column_path(col), "article", col.title, None, None, None, item, items))
                continue
            if col.mode == "pointer":
                out.append(PageInfo(self.column_path(col), "other", col.title, None, None, None, item, items))
                continue
            docs = col.visible_docs(as_of)
            if len(docs) == 1 and self.single_as_article(col):
                # The column renders as its only article; the article's own URL is reachable
                # only if the home page's "最新公开" links it.
                out.append(self._doc_info(docs[0], as_of, self.column_path(col)))
                if docs[0] not in home_docs:
                    docs = []
            else:
                for n in range(1, col.page_count(as_of) + 1):
                    out.append(PageInfo(self.column_path(col, n), "list", col.title, None, None, None, item, items,
                                        rows=self.list_rows_info(col, n, as_of), column=col.key))
            for d in docs:
                out.append(self._doc_info(d, as_of))
            out.extend(self.attachment_pages(col.visible_docs(as_of), as_of))
        return out

    def doc_url_path(self, d: Doc, as_of: date) -> str:
        col = d.column
        if col is not None and col.mode == "list" and col.visible_docs(as_of) == [d] \
                and self.single_as_article(col) and d not in self.visible_docs(as_of)[:8]:
            return self.column_path(col)     # the column renders as its only article
        return d.path

    def _doc_info(self, d: Doc, as_of: date, path: str | None = None) -> PageInfo:
        undated = d.column is not None and d.column.key in self.undated_url_columns
        source = "url" if undated else ((self.look.article.source if self.look is not None else None) or "label")
        return PageInfo(path or d.path, "article", d.title, d.published, source,
                        d.updated(as_of), d.item, [d.item] if d.item else [])

    def never_fetch(self, as_of: date) -> list[str]:
        urls = {self.counter(type=1, columnId=0), self.counter(type=1, columnId=0, op="show")}
        for col in self.columns:
            if col.mode != "list":
                continue
            docs = col.visible_docs(as_of)
            if not (len(docs) == 1 and self.single_as_article(col)):
                urls.add(self.counter(type=1, columnId=col.key))
            for d in docs:
                urls.add(self.counter(type=3, articleId=d.id))
        return sorted(self.url(u) for u in urls)

    def broken_links(self, as_of: date) -> list[str]:
        out = []
        for doc_id, links in self.extra_links.items():
            d = self.by_id.get(doc_id)
            if d is not None and d.visible(as_of):
                out.extend(u for u, _ in links if u.startswith("/") and self._is_broken(u))
        return sorted({self.url(u) for u in out})

    def _is_broken(self, path: str) -> bool:
        return path not in self.by_path and not _LIST.match(path)

    def intranet_links(self, as_of: date) -> list[str]:
        return [self.url("/_intranet/nbwj/list.htm")]
