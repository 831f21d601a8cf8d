"""The layout grammar of generated estates (``Estate(layouts="generated")``).

The fixed estate has one template per CMS family, so a product tuned on it has seen eight layouts.
A generated estate draws, per seed and per site, how the same content is shown: list containers and
row shapes, date formats and where the year comes from, pagers, article headers (labelled, unlabelled
with a time of day, only in ``<meta>``, in a source/author line), how the charset is declared, how
columns are named, and the school catalog's split shape. What is published when (scenarios.py) does
not change; the URL patterns, encodings and quirks of each CMS family do not either.

Every draw comes from ``random.Random(f"{seed}:...")``, so a seed is one reproducible estate, and
the ground truth is computed from the same objects that render the pages.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field, replace
from datetime import date
from html import escape
from typing import Any, Callable, Sequence

LAYOUTS = ("fixed", "generated")


def h(text: object) -> str:
    # the renderers' escaping (cms/base.py imports this module's Row, so it cannot import back)
    return escape(str(text), quote=True)


def draw(seed: int, *parts: object) -> random.Random:
    return random.Random(f"{seed}:" + ":".join(map(str, parts)))


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    values, weights = zip(*weighted)
    return rng.choices(values, weights=weights, k=1)[0]


# --------------------------------------------------------------------------- dates

FULL_FORMATS = ("iso", "loose", "slash", "slash0", "dot", "cn", "cn0")
SHORT_FORMATS = ("bracket", "short")     # no year: it comes from a year heading or the row's URL


def fmt_date(d: date, style: str) -> str:
    if style == "iso":
        return f"{d:%Y-%m-%d}"
    if style == "loose":
        return f"{d.year}-{d.month}-{d.day}"
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "slash0":
        return f"{d:%Y/%m/%d}"
    if style == "dot":
        return f"{d:%Y.%m.%d}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "cn0":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "bracket":
        return f"[{d:%m-%d}]"
    if style == "short":
        return f"{d:%m-%d}"
    if style == "bracket_iso":
        return f"[{d:%Y-%m-%d}]"
    raise ValueError(style)


def clock_of(doc_id: int, style: str | None) -> str:
    """A time of day for an article (stable per document), in the given style."""
    hh, mm, ss = 8 + doc_id % 10, (doc_id * 7) % 60, (doc_id * 13) % 60
    if style == "hm":
        return f"{hh:02d}:{mm:02d}"
    if style == "hms":
        return f"{hh:02d}:{mm:02d}:{ss:02d}"
    if style == "hms_loose":
        return f"{hh}:{mm:02d}:{ss:02d}"
    return ""


# --------------------------------------------------------------------------- lists

@dataclass(frozen=True)
class Row:
    href: str
    title: str
    day: date | None          # None: the list shows no date for its rows
    summary: str = ""


@dataclass(frozen=True)
class ListLook:
    """How one list (a column page) shows its rows and its pager."""
    shape: str                # li_after | li_before | li_in_link | table | dl | div_row | split | summary
    date_fmt: str             # FULL_FORMATS + SHORT_FORMATS (split: the year.month part's separator)
    year_heading: bool        # rows grouped under a year heading (2019年)
    year_text: str            # "{y}年" | "{y}" | "{y}年度"
    container: str            # class of the list box
    date_cls: str
    line_ids: bool            # VSB-style <li id="line_u6_0"> rows
    pager: str                # cms (the family's own) | numbered | chain | count
    pager_single: bool        # a pager (共1页) also when there is only one page
    per_page: int
    empty: str                # what an empty column shows
    split_sep: str = "."      # split blocks: 2018.11 | 2018-11 | 2018/11
    bullet: str = ""          # "·" before table titles

    def date_html(self, d: date) -> str:
        if self.shape == "split":
            return (f'<div class="{self.date_cls}"><span class="day">{d:%d}</span>'
                    f'<span class="ym">{d.year}{self.split_sep}{d:%m}</span></div>')
        return f'<span class="{self.date_cls}">{fmt_date(d, self.date_fmt)}</span>'

    def rows_html(self, rows: list[Row]) -> str:
        if not rows:
            return f'<div class="{self.container} empty"><p class="no-data">{h(self.empty)}</p></div>' \
                if self.empty else f'<div class="{self.container}"></div>'
        if not self.year_heading or any(r.day is None for r in rows):
            return self._box(rows)
        groups: list[tuple[int, list[Row]]] = []
        for r in rows:
            year = r.day.year if r.day else 0
            if not groups or groups[-1][0] != year:
                groups.append((year, []))
            groups[-1][1].append(r)
        return "".join(f'<div class="year-group"><h3 class="year">{self.year_text.format(y=y)}</h3>'
                       f"{self._box(rs)}</div>" for y, rs in groups)

    def _box(self, rows: list[Row]) -> str:
        if self.shape == "table":
            return (f'<table class="{self.container}" width="100%" cellspacing="0">'
                    + "".join(self._tr(r) for r in rows) + "</table>")
        if self.shape in ("dl", "div_row"):
            return f'<div class="{self.container}">' + "".join(self._block(r) for r in rows) + "</div>"
        return f'<ul class="{self.container}">' + "".join(self._li(i, r) for i, r in enumerate(rows)) + "</ul>"

    def _link(self, r: Row, inner: str | None = None) -> str:
        return f'<a href="{h(r.href)}" target="_blank" title="{h(r.title)}">{inner if inner is not None else h(r.title)}</a>'

    def _d(self, r: Row) -> str:
        return self.date_html(r.day) if r.day else ""

    def _li(self, i: int, r: Row) -> str:
        attr = f' id="line_u7_{i}"' if self.line_ids else ""
        if self.shape == "li_before":
            inner = self._d(r) + self._link(r)
        elif self.shape == "li_in_link":
            inner = self._link(r, f'<span class="tit">{h(r.title)}</span>' + self._d(r))
        elif self.shape == "split":
            inner = self._d(r) + f'<div class="txt">{self._link(r)}</div>'
        elif self.shape == "summary":
            inner = (f'<h4 class="tit">{self._link(r)}</h4><p class="summary">{h(r.summary)}</p>'
                     f'<div class="info">{self._d(r)}</div>')
        else:
            inner = self._link(r) + self._d(r)
        return f"<li{attr}>{inner}</li>"

    def _tr(self, r: Row) -> str:
        date_td = f'<td class="{self.date_cls}" width="20%" align="right">{fmt_date(r.day, self.date_fmt)}</td>' \
            if r.day else '<td width="20%"></td>'
        return f'<tr><td class="title">{self.bullet}{self._link(r)}</td>{date_td}</tr>'

    def _block(self, r: Row) -> str:
        if self.shape == "dl":
            dd = f'<dd class="{self.date_cls}">{fmt_date(r.day, self.date_fmt)}</dd>' if r.day else ""
            return f"<dl><dt>{self._link(r)}</dt>{dd}</dl>"
        when = f'<div class="time">{fmt_date(r.day, self.date_fmt)}</div>' if r.day else ""
        return f'<div class="row">{when}<div class="txt">{self._link(r)}</div></div>'

    def pager_html(self, page: int, total: int, count: int, href: Callable[[int], str]) -> str:
        """The pager in this list's style; `href(n)` is the CMS's URL of page n (its patterns stay)."""
        if total <= 1:
            return f'<div class="pages">共{count}条记录 共1页</div>' if self.pager_single else ""

        def a(n: int, text: str) -> str:
            return f'<a href="{h(href(n))}">{text}</a>'
        parts: list[str] = []
        if self.pager == "chain":
            if page > 1:
                parts.append(a(page - 1, "上一页"))
            if page < total:
                parts.append(a(page + 1, "下一页"))
        elif self.pager == "count":
            parts.append(f"<span>共{count}条　第{page}/{total}页</span>")
            parts.append(a(1, "首页") if page > 1 else "<span>首页</span>")
            parts.append(a(page - 1, "上一页") if page > 1 else "<span>上一页</span>")
            parts.append(a(page + 1, "下一页") if page < total else "<span>下一页</span>")
            parts.append(a(total, "末页") if page < total else "<span>末页</span>")
        else:
            if page > 1:
                parts.append(a(page - 1, "&lt;"))
            for n in range(1, total + 1):
                if n == page:
                    parts.append(f'<span class="current">{n}</span>')
                elif n in (1, total) or abs(n - page) <= 3:
                    parts.append(a(n, str(n)))
                elif abs(n - page) == 4:
                    parts.append("<span>…</span>")
            if page < total:
                parts.append(a(page + 1, "&gt;"))
            parts.append(f"<span>共{total}页</span>")
        return f'<div class="pages">{" ".join(parts)}</div>'


# Which list shapes each family's templates use (weights).
SHAPES: dict[str, list[tuple[str, float]]] = {
    "webplus": [("li_after", 3), ("li_before", 1), ("li_in_link", 2), ("table", 1), ("dl", 1), ("div_row", 1),
                ("split", 1), ("summary", 1)],
    "vsb": [("li_after", 3), ("li_in_link", 1), ("li_before", 1), ("table", 1), ("split", 1), ("div_row", 1)],
    "trs": [("li_after", 3), ("li_before", 1), ("table", 1), ("dl", 1), ("li_in_link", 1)],
    "jsp": [("table", 3), ("li_after", 1)],
    "asp": [("table", 3), ("li_after", 1), ("dl", 1)],
    "portal": [("li_after", 2), ("li_before", 1), ("li_in_link", 1), ("table", 1), ("dl", 1), ("div_row", 1),
               ("split", 1), ("summary", 1)],
}
CONTAINERS = ["news_list", "list", "articleList", "list-con", "newslist", "lb_list", "con_list", "column-list"]
CMS_CONTAINERS = {"webplus": "wp_article_list", "jsp": "winstyle{key}", "vsb": "list"}
DATE_CLASSES = ["date", "time", "Article_PublishDate", "news_date", "fr", "pubtime", "riqi"]
EMPTY_TEXTS = ["暂无内容", "暂无信息", "暂无数据", "本栏目暂无信息", ""]
# Families whose article URLs always carry the year (so a list may show [08-30] without a year heading).
YEAR_IN_URL = {"trs"}


def draw_list_look(rng: random.Random, cms: str, *, year_in_urls: bool, col_key: str = "") -> ListLook:
    shape = pick(rng, SHAPES[cms])
    if shape == "table":
        date_fmt = pick(rng, [("loose", 3), ("iso", 2), ("slash0", 1), ("cn", 1), ("bracket_iso", 1)])
    elif shape == "split":
        date_fmt = "iso"
    else:
        date_fmt = pick(rng, [("iso", 4), ("loose", 1), ("slash", 1), ("slash0", 1), ("dot", 2), ("cn", 1),
                              ("cn0", 1), ("bracket", 2), ("short", 1), ("bracket_iso", 1)])
    heading = rng.random() < 0.15
    if date_fmt in SHORT_FORMATS and not year_in_urls:
        heading = True       # a person needs the year from somewhere
    container = rng.choice(CONTAINERS)
    if cms in CMS_CONTAINERS and rng.random() < 0.5 and (shape != "table" or cms == "jsp"):
        container = CMS_CONTAINERS[cms].format(key=col_key)
    pager = pick(rng, [("numbered", 3), ("chain", 2), ("count", 2), ("cms", 2 if cms != "portal" else 0)])
    return ListLook(
        shape=shape, date_fmt=date_fmt, year_heading=heading,
        year_text=rng.choice(["{y}年", "{y}", "{y}年度"]), container=container,
        date_cls=rng.choice(DATE_CLASSES), line_ids=cms == "vsb" and shape.startswith("li") and rng.random() < 0.6,
        pager=pager, pager_single=rng.random() < 0.4, per_page=rng.choice([8, 10, 12, 15, 20, 25]),
        empty=rng.choice(EMPTY_TEXTS), split_sep=rng.choice([".", "-", "/"]), bullet=rng.choice(["", "·", "● "]))


# --------------------------------------------------------------------------- articles

@dataclass(frozen=True)
class ArticleLook:
    """How an article shows its publication (and update) date under the headline."""
    kind: str                 # label | heading | byline | meta | none (TRS: the line shows no date) | cms
    label: str                # label kind: 发布时间： …
    date_fmt: str
    clock: str | None         # time of day: None | hm | hms | hms_loose
    prefix: str = ""          # heading kind: "" | "发表于 "
    meta_name: str = "PubDate"   # meta kind: PubDate | publishdate
    update_label: str = "更新时间："
    views: bool = False       # a 浏览次数 counter in the header line
    info_cls: str = "info"

    @property
    def source(self) -> str | None:
        """The truth's published_source for this header (None: the family's own header, its own source)."""
        return {"label": "label", "heading": "heading", "byline": "heading", "meta": "meta", "none": "meta",
                "cms": None}[self.kind]

    def when(self, d: date, doc_id: int) -> str:
        text = fmt_date(d, self.date_fmt)
        return f"{text} {clock_of(doc_id, self.clock)}" if self.clock else text

    def head(self, d: date, doc_id: int) -> str:
        """Tags for <head> (the meta kind's only date)."""
        if self.kind != "meta":
            return ""
        if self.meta_name == "PubDate":
            return f'<meta name="PubDate" content="{d:%Y-%m-%d} {clock_of(doc_id, "hms")}">'
        return f'<meta name="{self.meta_name}" content="{d:%Y-%m-%d}">'

    def header(self, d: date, doc_id: int, source: str, updated: date | None) -> str:
        """The line under the headline."""
        upd = f'<span class="upd">{self.update_label}{fmt_date(updated, self.date_fmt)}</span>' if updated else ""
        views = f'<span class="views">浏览次数：{(doc_id * 37) % 900 + 12}</span>' if self.views else ""
        src = f"<span>来源：{h(source)}</span>" if source else ""
        if self.kind == "label":
            return (f'<div class="{self.info_cls}"><span class="pubdate">{self.label}{self.when(d, doc_id)}</span>'
                    f"{src}{upd}{views}</div>")
        if self.kind == "heading":
            return (f'<div class="{self.info_cls}"><span class="time">{self.prefix}{self.when(d, doc_id)}</span></div>'
                    + (f'<div class="src">{src}{upd}{views}</div>' if src or upd or views else ""))
        if self.kind == "byline":
            author = f"<span>作者：{h(source)}</span>" if source else ""
            return (f'<div class="{self.info_cls}">{src}{author}<span class="time">{self.when(d, doc_id)}</span>'
                    f"{upd}{views}</div>")
        return f'<div class="{self.info_cls}">{src}{upd}{views}</div>'


LABELS = ["发布时间：", "发布日期:", "时间：", "日期：", "发布时间：&nbsp;", "发布日期：", "发布时间 ", "发表时间："]
HEADINGS = [("", "iso", "hm"), ("", "cn", "hm"), ("发表于 ", "loose", "hms_loose"), ("", "slash0", "hms"),
            ("", "dot", "hm"), ("", "iso", "hms")]
# "cms": the family's own header line (the fixed estate's)
KINDS: dict[str, list[tuple[str, float]]] = {
    "webplus": [("label", 3), ("heading", 2), ("byline", 1), ("meta", 1), ("cms", 1)],
    "vsb": [("label", 3), ("heading", 2), ("byline", 1), ("meta", 1), ("cms", 1)],
    "trs": [("label", 2), ("heading", 1), ("byline", 1), ("none", 2), ("cms", 1)],     # PubDate <meta> always
    "jsp": [("label", 3), ("heading", 1), ("byline", 1), ("cms", 1)],
    "asp": [("label", 3), ("heading", 1), ("byline", 1), ("cms", 1)],
    "portal": [("label", 2), ("heading", 2), ("byline", 1), ("meta", 1)],
}


def draw_article_look(rng: random.Random, cms: str) -> ArticleLook:
    kind = pick(rng, KINDS[cms])
    common = {"update_label": rng.choice(["更新时间：", "更新日期：", "修改时间："]), "views": rng.random() < 0.3,
              "info_cls": rng.choice(["info", "arti_metas", "article-meta", "con_time", "sub"])}
    if kind == "heading":
        prefix, fmt, clock = rng.choice(HEADINGS)
        return ArticleLook("heading", "", fmt, clock, prefix=prefix, **common)
    if kind == "meta":
        return ArticleLook("meta", "", "iso", None, meta_name=rng.choice(["PubDate", "publishdate"]), **common)
    fmt = rng.choice(["iso", "iso", "loose", "cn", "slash0", "dot"])
    clock = rng.choice([None, None, "hm", "hms"])
    if kind == "byline":
        return ArticleLook("byline", "", fmt, clock, **common)
    if kind in ("none", "cms"):
        return ArticleLook(kind, "", "iso", None, **common)
    return ArticleLook("label", rng.choice(LABELS), fmt, clock, **common)


# --------------------------------------------------------------------------- sites

@dataclass(frozen=True)
class SiteLook:
    list: ListLook
    article: ArticleLook
    charset: str              # both (header + meta) | meta (meta only) | header (header only) | wrong
    columns: dict[str, ListLook] = field(default_factory=dict)   # per-column lists (home-made portals)
    single_as_article: frozenset[str] = frozenset()              # WebPlus columns shown as their only article

    def list_for(self, col_key: str) -> ListLook:
        return self.columns.get(col_key, self.list)


def draw_site_look(seed: int, site: str, cms: str, encoding: str, column_keys: list[str]) -> SiteLook:
    rng = draw(seed, "look", site)
    year_in_urls = cms in YEAR_IN_URL or site == "jwc"
    lst = draw_list_look(rng, cms, year_in_urls=year_in_urls)
    columns: dict[str, ListLook] = {}
    if cms == "portal":      # home-made: each column its own list style, one pager and page size
        for key in column_keys:
            look = draw_list_look(draw(seed, "look", site, key), cms, year_in_urls=year_in_urls)
            columns[key] = replace(look, pager=lst.pager, per_page=lst.per_page)
    elif cms == "jsp":       # old VSB tables carry the column id in their class
        for key in column_keys:
            if lst.container.startswith("winstyle"):
                columns[key] = replace(lst, container=f"winstyle{key}")
    if encoding == "utf-8":
        charset = pick(rng, [("both", 3), ("meta", 2), ("header", 1)])
    elif cms == "jsp":
        charset = pick(rng, [("wrong", 3), ("meta", 1)])
    else:
        charset = pick(rng, [("both", 2), ("meta", 1), ("wrong", 1)])
    single = frozenset(k for k in column_keys if cms == "webplus" and draw(seed, "single", site, k).random() < 0.5)
    return SiteLook(lst, draw_article_look(rng, cms), charset, columns, single)


def charset_meta(look: SiteLook | None, encoding: str, fixed: str) -> str:
    """The charset tag in <head>: the family's own (fixed), or none when only the header declares it."""
    if look is None:
        return fixed
    if look.charset == "header":
        return ""
    if encoding == "utf-8":
        return '<meta charset="utf-8">'
    if look.charset == "wrong":
        return '<meta charset="gbk">'
    return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'


def header_charset(look: SiteLook, encoding: str) -> str | None:
    if look.charset == "meta":
        return None
    if look.charset == "wrong":
        return "UTF-8"
    return "utf-8" if encoding == "utf-8" else "GBK"


# --------------------------------------------------------------------------- column names

# How real schools name the columns (the first name is the fixed estate's). Keys: xxgk aliases, or
# "site/key" for unit-site columns.
COLUMN_NAMES: dict[str, list[str]] = {
    "gk": ["学校概况", "学校简介", "学校基本情况", "办学基本情况", "办学规模"],
    "jgsz": ["机构设置", "组织机构", "内设机构", "机构设置情况"],
    "ldbz": ["领导班子", "学校领导", "现任领导", "校级领导", "领导分工"],
    "zc": ["学校章程", "章程", "大学章程", "章程建设"],
    "gzzd": ["规章制度", "学校规章制度", "制度汇编", "管理制度", "校内规章"],
    "jdhzd": ["教代会制度", "教职工代表大会", "教代会", "教代会相关制度"],
    "jdhbg": ["教代会工作报告", "教代会报告", "教职工代表大会工作报告"],
    "xswyh": ["学术委员会", "学术委员会制度及报告", "学术委员会年度报告"],
    "fzgh": ["发展规划与工作要点", "发展规划", "规划计划", "年度工作要点", "学校规划"],
    "xkjs": ["学科建设", "“双一流”建设", "一流学科建设", "学科建设进展"],
    "gkzn": ["信息公开指南", "公开指南", "信息公开办事指南"],
    "gkml": ["信息公开目录", "公开目录", "主动公开目录"],
    "ysq": ["依申请公开", "依申请公开信息", "申请公开"],
    "ndbg": ["信息公开年度报告", "年度报告", "信息公开工作年度报告", "年报"],
    "zszc": ["招生章程", "本科招生章程", "招生信息"],
    "zsjh": ["招生计划", "分省招生计划", "招生计划公布"],
    "tslx": ["特殊类型招生", "特殊类型招生信息", "高水平运动队及艺术特长生招生"],
    "lqxx": ["录取信息", "录取查询", "录取结果"],
    "zxss": ["招生咨询及申诉", "咨询与申诉", "招生咨询", "考生申诉"],
    "yjszs": ["研究生招生简章", "研究生招生", "招生简章与专业目录"],
    "fscj": ["研究生复试成绩", "复试成绩", "复试名单及成绩"],
    "nlq": ["拟录取研究生名单", "拟录取名单", "研究生拟录取名单"],
    "yzzx": ["研究生招生咨询与申诉", "研招咨询与申诉", "研究生招生申诉"],
    "cwzd": ["财务管理制度", "财务制度", "财务资产管理制度", "财务规章"],
    "jzcc": ["受捐赠财产使用", "受捐赠财产使用与管理", "捐赠财产管理"],
    "zbcg": ["招标采购", "采购与招标", "招投标信息", "采购公告"],
    "ysgk": ["预算公开", "部门预算", "财务预算", "预算信息"],
    "jsgk": ["决算公开", "部门决算", "财务决算", "决算信息"],
    "sfbz": ["收费标准", "收费公示", "收费项目及标准", "收费信息"],
    "zcgl": ["国有资产处置", "资产处置", "资产处置公示"],
    "jjhbg": ["基金会年度报告", "基金会信息", "教育发展基金会"],
    "shjz": ["校领导社会兼职", "校级领导社会兼职", "领导干部兼职"],
    "gwsz": ["岗位设置与聘用", "岗位设置", "岗位聘用", "聘用办法"],
    "rczp": ["人员招聘", "招聘信息", "人才招聘", "公开招聘"],
    "gbrm": ["干部任免", "干部任前公示", "中层干部任免"],
    "jzgss": ["教职工申诉", "教职工申诉办法", "争议解决"],
    "jxsj": ["教学基本数据", "教学质量数据", "本科教学数据"],
    "zysz": ["专业设置", "本科专业设置", "专业信息"],
    "jyzc": ["就业政策与服务", "就业指导", "就业政策"],
    "jysj": ["毕业生就业", "就业质量报告", "就业信息"],
    "ysjy": ["艺术教育", "艺术教育发展年度报告", "艺术教育报告"],
    "zlbg": ["本科教学质量报告", "教学质量报告", "质量报告"],
    "xjgl": ["学籍管理", "学籍管理规定", "学籍信息"],
    "jzxj": ["奖助学金", "学生资助", "奖学金与助学金", "资助工作"],
    "jlcf": ["学生奖惩", "奖励与处分", "学生奖励处罚"],
    "xsss": ["学生申诉", "学生申诉办法", "申诉处理"],
    "xfjg": ["学风建设机构", "学风建设", "学风建设委员会"],
    "xsgf": ["学术规范", "学术规范制度", "科研诚信"],
    "xsbd": ["学术不端查处", "学术不端行为查处", "学术不端处理"],
    "xwsy": ["学位授予", "学位授予要求", "学位授予标准"],
    "tdxl": ["同等学力", "同等学力申请学位", "同等学力人员资格审查"],
    "sqdsh": ["学位授权点审核", "学位点审核办法", "学位授权审核"],
    "nxz": ["拟新增学位授权点", "新增学位点申报", "学位点申报材料"],
    "xwpd": ["学位评定委员会", "学位评定委员会决议", "学位委员会"],
    "zwhz": ["中外合作办学", "合作办学", "中外合作办学情况"],
    "lxs": ["留学生管理", "来华留学生管理", "国际学生管理"],
    "gjxs": ["国际学生招生", "留学生招生", "来华留学招生"],
    "xszg": ["巡视整改", "巡视反馈与整改", "巡视整改情况"],
    "yjgl": ["应急管理", "突发事件应急处理", "应急预案"],
    "zdsj": ["重大事件调查处理", "重大事件处理", "重大事件"],
    "dwgk": ["党务公开", "党务信息"],
    "xwfb": ["新闻发布", "新闻发布会", "新闻发言人"],
    "kyxm": ["科研项目", "科研管理", "科研立项"],
    "xyaq": ["校园安全", "安全稳定", "平安校园"],
    "gkdt": ["信息公开动态", "工作动态", "公开动态"],
    "zsb/tzgg": ["通知公告", "通知", "最新通知", "公告"],
    "zsb/zszc": ["招生章程", "章程", "本科招生章程", "招生政策"],
    "zsb/zsjh": ["招生计划", "分省计划", "计划公布"],
    "zsb/tslx": ["特殊类型招生", "特殊类型", "艺术体育类招生"],
    "zsb/lqcx": ["录取查询", "录取信息", "录取结果"],
    "zsb/zxss": ["咨询与申诉", "招生咨询", "咨询申诉", "监督举报"],
    "yjsy/tzgg": ["通知公告", "通知", "最新动态"],
    "yjsy/zsgz/zsjz": ["招生简章与专业目录", "招生简章", "招生目录"],
    "yjsy/zsgz/fscj": ["复试名单及成绩", "复试信息", "复试成绩"],
    "yjsy/zsgz/nlq": ["拟录取名单", "录取公示", "拟录取公示"],
    "yjsy/zsgz/zxss": ["招生咨询与申诉", "咨询与申诉", "研招咨询"],
    "cwc/1150": ["通知公告", "财务通知", "通知"],
    "cwc/1151": ["财务制度", "规章制度", "财务管理制度", "制度汇编"],
    "cwc/1152": ["部门预算", "预算公开", "预算信息"],
    "cwc/1154": ["收费公示", "收费标准", "收费项目", "收费信息公开"],
    "rsc/1": ["人事新闻", "人事动态", "工作动态"],
    "rsc/2": ["岗位设置", "岗位聘用", "岗位管理"],
    "rsc/3": ["招聘信息", "人才招聘", "公开招聘"],
    "rsc/4": ["干部任免", "任前公示", "干部公示"],
    "jwc/tzgg": ["通知公告", "教务通知", "通知"],
    "jwc/zlbg": ["质量报告", "本科教学质量报告", "教学质量报告"],
    "jwc/jxsj": ["教学基本数据", "教学基本状态数据", "教学数据"],
    "jwc/zysz": ["专业设置", "专业建设", "本科专业"],
    "jwc/xjgl": ["学籍管理", "学籍管理规定", "学籍"],
    "xsc/xgdt": ["学工动态", "工作动态", "学工新闻"],
    "xsc/jzxj": ["奖助学金", "学生资助", "资助育人"],
    "xsc/wjcf": ["违纪处分与奖励", "奖惩管理", "学生奖惩"],
    "xsc/xsss": ["学生申诉", "申诉处理", "学生申诉办理"],
    "jyzx/9": ["招聘信息", "招聘公告", "宣讲会"],
    "jyzx/7": ["就业数据与报告", "就业质量报告", "就业数据"],
    "jyzx/8": ["就业政策", "政策法规", "就业指导"],
}


def column_names(seed: int) -> dict[str, str]:
    """One name per column for this seed (unique within a site)."""
    out: dict[str, str] = {}
    used: dict[str, set[str]] = {}
    for key, names in COLUMN_NAMES.items():
        site = key.split("/", 1)[0] if "/" in key else "xxgk"
        rng = draw(seed, "name", key)
        name = names[0] if rng.random() < 0.3 else rng.choice(names)
        if name in used.setdefault(site, set()):
            name = names[0]
        used[site].add(name)
        out[key] = name
    return out


# --------------------------------------------------------------------------- the school catalog

# Split shapes real schools write: parent -> parts (id, title variants, unit, keywords, short, rule, aliases).
# `aliases` are the fixed estate's columns that carry the part (xxgk navigation aliases).
@dataclass(frozen=True)
class Part:
    id: str
    titles: tuple[str, ...]
    unit: str
    keywords: tuple[str, ...]
    short: str | None = None
    rule: dict | None = None
    aliases: tuple[str, ...] = ()


PARTS: dict[str, list[Part]] = {
    "1": [Part("1.1", ("办学规模、学校机构设置、学科情况、专业情况、各类在校生情况、教师和专业技术人员数量等办学基本情况",
                       "办学基本情况"), "xb",
               ("学校简介", "学校概况", "办学规模", "机构设置", "学科情况", "专业情况", "在校生", "师资队伍", "基本办学情况"),
               "办学基本情况", {"kind": "on_change"}, ("gk", "jgsz")),
          Part("1.2", ("校级领导班子简介及分工", "校级领导班子"), "xb",
               ("领导班子", "校领导", "领导分工", "现任领导", "校级领导班子"), "校级领导班子", {"kind": "on_change"},
               ("ldbz",))],
    "2": [Part("2.1", ("学校章程",), "xb", ("学校章程", "章程", "大学章程"), "学校章程", None, ("zc",)),
          Part("2.2", ("学校规章制度", "学校制定的各项规章制度"), "xb", ("规章制度", "制度汇编", "管理制度"),
               "规章制度", None, ("gzzd",))],
    "3": [Part("3.1", ("教职工代表大会相关制度",), "gh", ("教职工代表大会", "教代会", "教代会制度", "实施细则"),
               "教代会制度", {"kind": "static"}, ("jdhzd",)),
          Part("3.2", ("教职工代表大会工作报告",), "gh", ("教代会工作报告", "教职工代表大会", "工作报告", "提案工作报告"),
               "教代会工作报告", {"kind": "annual", "due": "04-30", "opens": "01-01"}, ("jdhbg",))],
    "6": [Part("6.1", ("信息公开指南",), "xxgkb", ("信息公开指南", "公开指南"), "信息公开指南",
               {"kind": "on_change"}, ("gkzn",)),
          Part("6.2", ("依申请公开和不予公开信息目录", "依申请公开信息和不予公开信息目录"), "xxgkb",
               ("依申请公开", "不予公开", "信息公开目录", "申请表"), "依申请公开和不予公开目录", {"kind": "on_change"},
               ("gkml", "ysq")),
          Part("6.3", ("信息公开年度报告",), "xxgkb", ("信息公开年度报告", "年度报告", "信息公开工作年度报告"),
               "信息公开年度报告", None, ("ndbg",))],
    "50": [Part("50.1", ("自然灾害等突发事件的应急处理预案、预警信息和处置情况", "突发事件应急处理"), "bwc",
                ("突发事件", "应急预案", "应急处理", "预警信息", "处置情况"), "突发事件应急处理", {"kind": "event"},
                ("yjgl",)),
           Part("50.2", ("涉及学校的重大事件的调查和处理情况", "重大事件调查处理"), "xb",
                ("重大事件", "调查处理", "调查和处理", "处理情况"), "重大事件调查处理", {"kind": "event"}, ("zdsj",))],
}
# The owner of an item the school keeps whole (its parts have owners of their own).
WHOLE_UNITS = {"1": "xb", "2": "xb", "3": "gh", "6": "xxgkb", "50": "bwc"}
SPLIT_ODDS = {"1": 0.7, "2": 0.5, "3": 0.6, "6": 0.5, "50": 0.7}
FIXED_PARTS = {"1": ["1.1", "1.2"], "3": ["3.1", "3.2"], "50": ["50.1", "50.2"]}   # the fixed catalog's splits


@dataclass
class CatalogPlan:
    """A school catalog as a school writes it (docs/configuration.md "Catalogs"), and which catalog item
    each column of the fixed estate carries under it."""
    data: dict
    parts: dict[str, list[str]]        # split parent -> part ids (parents kept whole are absent)

    def item_of(self, item: str | None, alias: str | None) -> str | None:
        """The item a document or column of the fixed scenarios belongs to in this catalog."""
        if item is None:
            return None
        for parent, parts in PARTS.items():
            fixed = FIXED_PARTS.get(parent, [parent])
            if item not in fixed and item != parent:
                continue
            if parent not in self.parts:
                return parent
            for part in parts:
                if alias in part.aliases:
                    return part.id
            return self.parts[parent][fixed.index(item)] if item in fixed else self.parts[parent][0]
        return item


def school_catalog(seed: int, fixed: dict) -> CatalogPlan:
    """Draw this seed's school catalog from the fixed one (its own items and owners stay)."""
    rng = draw(seed, "catalog")
    data: dict[str, Any] = {"name": fixed["name"], "extends": "national", "version": fixed.get("version", "2019")}
    if rng.random() < 0.8:
        data["drop"] = list(fixed["drop"])
    if rng.random() < 0.5:
        data["rename"] = dict(fixed["rename"])
    split: dict[str, list[dict]] = {}
    parts: dict[str, list[str]] = {}
    for parent, options in PARTS.items():
        if rng.random() >= SPLIT_ODDS[parent]:
            continue
        mode = rng.choice(["own", "bare", "mixed"])
        out = []
        for p in options:
            entry: dict[str, Any] = {"id": p.id, "title": rng.choice(p.titles)}
            with_keywords = mode == "own" or (mode == "mixed" and rng.random() < 0.5)
            if with_keywords:
                entry["keywords"] = list(p.keywords)
                if p.short:
                    entry["short"] = p.short
                if p.rule:
                    entry["rule"] = copy.deepcopy(p.rule)
            entry["unit"] = p.unit
            out.append(entry)
        split[parent] = out
        parts[parent] = [p.id for p in options]
    if split:
        data["split"] = split
    split_parents = set(split)
    items: list[dict] = []
    for raw in fixed["items"]:
        iid = str(raw["id"])
        if iid in split_parents:
            continue               # the parent is replaced by its parts
        items.append(copy.deepcopy(raw))
    for parent, unit in WHOLE_UNITS.items():
        if parent not in split_parents and not any(str(r["id"]) == parent for r in items):
            items.insert(0, {"id": parent, "unit": unit})
    if "drop" not in data:
        items.insert(0, {"id": "17", "unit": "zcc"})
    data["items"] = items
    return CatalogPlan(data, parts)
