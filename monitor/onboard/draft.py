"""From what was read to a draft: units, item → column guesses with their evidence, the school's own items.

Guesses reuse the matcher's label similarity (monitor.matching.textsim via build_index), so a drafted
assignment means what a scan would think of the same label. Only links that look like columns are
assigned: not a file, not a row of a list (an article), not titled with a year, and not an article page that
only one page links to. A column of the disclosure site that the site files under a catalog category, that
lists documents, and whose name matches no national item (not even weakly one of that category) becomes an
item of the school's own catalog, as do 信息公开目录 rows no national item matches."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html

from crawler.extract import extract, is_attachment_link
from monitor.catalog import Catalog
from monitor.matching.context import build_index
from monitor.matching.textsim import CatalogIndex, clean_label, normalize
from monitor.onboard.crawl import FetchedPage
from monitor.onboard.read import (
    DirectoryRow,
    NavLink,
    directory_rows,
    footer_texts,
    nav_links,
    page_title,
    parse,
    school_name,
)

SURE = 0.8          # textsim: ≥ 0.8 is an unambiguous phrase
KEEP = 0.55         # below this a label is weak overlap: not assigned
DIRECTORY_BONUS = 0.1   # the school's own directory says so: worth more than a menu label
MAX_COLUMNS = 3
TIE = 0.05          # guesses this close to an item's best are as good
SHARED_SHARE = 0.6  # a phrase in this share of a column's row titles names its documents
SHARED_MIN_ROWS = 3
_COUNT_WORDS = "第届度年期次月日号"   # the words around a number (第12期, 2019年度): not part of a name
MENU_PAGES = 2      # an article page linked from this many pages is a one-article column (a menu link)
_YEAR_RE = re.compile(r"(19|20)\d\d")
# an article's address: a year folder (/2019/0811/…, /content/2018/…) or a date stamp (t20160915_…)
_DATED_URL_RE = re.compile(r"/(19|20)\d\d/|(?<!\d)(19|20)\d\d(0[1-9]|1[0-2])([0-2]\d|3[01])(?!\d)")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")      # a column has a Chinese name (a pager's "2", "»" has none)
# link texts of pagers and page furniture, never a column's name
_FURNITURE = frozenset({"首页", "上一页", "下一页", "末页", "尾页", "更多", "more", "返回", "返回首页", "网站首页",
                        "上页", "下页", "前一页", "后一页", "跳转", "go"})
_HOME_RE = re.compile(r"/(index|default|main)?(\.s?html?|\.jsp|\.asp|\.php)?")
_SITE_WORDS = ("信息公开网", "信息公开", "网站", "主页", "首页", "门户", "网")
# Conventional ids (pinyin initials, as the units' host names spell them) of units most schools have.
UNIT_IDS: dict[str, str] = {
    "校长办公室": "xb", "党政办公室": "dzb", "党委办公室": "dwb", "信息公开办公室": "xxgkb", "招生办公室": "zsb",
    "本科招生": "zsb", "招生就业处": "zsjyc", "研究生院": "yjsy", "研究生处": "yjsc", "财务处": "cwc",
    "人事处": "rsc", "教务处": "jwc", "学生工作处": "xsc", "学生处": "xsc", "就业指导中心": "jyzx",
    "校工会": "gh", "工会": "gh", "科学技术研究院": "kyy", "科研处": "kyc", "科技处": "kjc",
    "国有资产管理处": "zcc", "资产管理处": "zcc", "采购与招标管理中心": "cgzx", "招标采购中心": "cgzx",
    "学位评定委员会办公室": "xwb", "国际交流与合作处": "gjc", "国际合作与交流处": "gjc", "发展规划处": "fzgh",
    "教育发展基金会": "jjh", "党委宣传部": "xcb", "宣传部": "xcb", "纪委办公室": "jw", "保卫处": "bwc",
    "艺术教育中心": "ysjy", "后勤管理处": "hqc", "图书馆": "tsg", "审计处": "sjc", "组织部": "zzb",
    "党委组织部": "zzb", "国际教育学院": "gjjy", "继续教育学院": "jxjy", "基建处": "jjc",
}


@dataclass
class DraftUnit:
    id: str
    name: str
    sites: list[str] = field(default_factory=list)
    evidence: str = ""


@dataclass
class Guess:
    item_id: str
    url: str
    score: float
    evidence: str
    unit: str | None = None        # unit name the directory gives
    unit_menu: bool = False        # only a unit site's own menu links it


@dataclass
class Assignment:
    item_id: str
    title: str
    columns: list[str]
    unit_id: str | None
    evidence: list[str]
    sure: bool


@dataclass
class OwnItem:
    id: str
    category: str
    title: str
    unit_id: str | None
    columns: list[str]
    evidence: str
    keywords: list[str] = field(default_factory=list)   # besides the title


@dataclass
class Draft:
    school: str
    school_evidence: str
    disclosure_site: str
    units: list[DraftUnit]
    assignments: list[Assignment]
    own_items: list[OwnItem]
    directory_pages: list[str]
    pages_read: int
    checks: list[str]            # 待核对 lines for the file's head


@dataclass(frozen=True)
class PageView:
    """One fetched page as read: its tree, what extraction makes of it, the rows of its lists."""
    page: FetchedPage
    doc: lxml.html.HtmlElement | None
    kind: str                    # PageRecord.kind: article | list | other
    entries: frozenset[str]      # URLs of its list rows (articles, never columns)
    row_titles: tuple[str, ...] = ()


def site_root(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}/"


def is_home_url(url: str) -> bool:
    return _HOME_RE.fullmatch(urlsplit(url).path or "/") is not None


def view_pages(pages: list[FetchedPage]) -> list[PageView]:
    out = []
    for p in pages:
        if not 200 <= p.status < 300:
            continue
        rec = extract(p.html, p.url)
        out.append(PageView(p, parse(p.html), rec.kind, frozenset(e.url for e in rec.entries),
                            tuple(e.title for e in rec.entries if e.title)))
    return out


def _unit_name_from_title(title: str, school: str) -> str:
    name = title
    for sep in ("-", "_", "|", "—", "–", " "):
        parts = [p.strip() for p in name.split(sep) if p.strip()]
        if len(parts) > 1:
            with_school = [p for p in parts if school and school in p]
            name = (with_school or parts)[0]
    if school:
        name = name.replace(school, "")
    for w in _SITE_WORDS:
        if name.endswith(w) and len(name) > len(w) + 1:
            name = name[: -len(w)]
    return name.strip()[:40] or title[:20] or "待填写"


def _unit_id(url: str, name: str, taken: set[str]) -> str:
    """The unit site's first host label (zsb.example.edu.cn → zsb), else the conventional id of its name,
    else ``unit``; numbered when taken."""
    host = (urlsplit(url).hostname or "").lower()
    label = host.split(".")[0] if host and not re.fullmatch(r"[\d.]+|\[.*\]|localhost", host) else ""
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,20}", label) or label in ("www", "xxgk"):
        label = UNIT_IDS.get(name, "unit")
    uid, n = label, 1
    while uid in taken:
        n += 1
        uid = f"{label}{n}"
    taken.add(uid)
    return uid


def _score(index: CatalogIndex, label: str, school: str) -> tuple[str, float] | None:
    text = clean_label(label)
    if school and len(text) > len(school) + 1:
        text = text.replace(school, " ")       # 「示例大学…」: the school's name says nothing
    best = index.score(text, limit=1)
    return (best[0].item_id, best[0].score) if best else None


def shared_phrase(titles: tuple[str, ...], school: str) -> str | None:
    """The longest phrase (3–16 characters, Chinese, the school's name and numbers left out) that at least
    ``SHARED_SHARE`` of a list's row titles contain: what the column's documents are called
    (「示例大学新闻发布会（第12期）：校园安全」… → 新闻发布会)."""
    texts = [normalize(t.replace(school, " ") if school else t) for t in titles[:50]]
    texts = [re.sub(r"[^\u4e00-\u9fff]+", " ", t) for t in texts if t]
    if len(texts) < SHARED_MIN_ROWS:
        return None
    need = max(SHARED_MIN_ROWS, int(len(texts) * SHARED_SHARE + 0.999))
    for n in range(16, 2, -1):
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update({t[i:i + n] for i in range(len(t) - n + 1) if " " not in t[i:i + n]})
        best = [g.strip(_COUNT_WORDS) for g, c in counts.most_common() if c >= need]
        if best and len(best[0]) >= 3:
            return best[0]
    return None


def _grouped_links(views: list[PageView], cat_names: dict[str, str]) -> list[tuple[NavLink, str | None]]:
    """Every link of the disclosure site's pages with the catalog category it is filed under: a link that
    names a category heads the links after it, unless it is one of a run of category links (a menu)."""
    out: list[tuple[NavLink, str | None]] = []
    for v in views:
        links = nav_links(v.doc, v.page.url)
        cats = [cat_names.get(normalize(clean_label(lk.label))) for lk in links]
        current: str | None = None
        for i, (lk, cat) in enumerate(zip(links, cats)):
            if cat:
                in_run = (i > 0 and cats[i - 1]) or (i + 1 < len(cats) and cats[i + 1])
                current = None if in_run else cat
                continue
            out.append((lk, current))
    return out


def build_draft(start_url: str, pages: list[FetchedPage], catalog: Catalog) -> Draft:
    items = [it for it in catalog.items if not it.ignore]
    index = build_index(items)
    titles_of = {it.id: it.name for it in catalog.items}
    category_of = {it.id: it.category for it in catalog.items}
    cat_names = {normalize(c.name): c.id for c in catalog.categories}
    # where the start address landed (it may redirect to another host)
    landed = next((p.url for p in pages if p.depth == 0 and not p.unit_site), start_url)
    disclosure_root = site_root(landed)
    views = view_pages(pages)
    own_views = [v for v in views if not v.page.unit_site]
    school, school_src = school_name([page_title(v.doc) for v in own_views[:20]],
                                     [t for v in own_views[:5] for t in footer_texts(v.doc)])
    school = school or ""

    # units: one per linked unit site (named by its home page title), then the directory's 责任部门
    taken: set[str] = set()
    units: list[DraftUnit] = []
    site_unit: dict[str, DraftUnit] = {}
    for v in views:
        root = site_root(v.page.url)
        if not v.page.unit_site or root in site_unit or root == disclosure_root:
            continue
        title = page_title(v.doc)
        name = _unit_name_from_title(title, school)
        u = DraftUnit(_unit_id(root, name, taken), name, [root], f"站点首页标题「{title[:40]}」")
        units.append(u)
        site_unit[root] = u
    rows: list[DirectoryRow] = []
    directory_pages: list[str] = []
    for v in own_views:
        found = directory_rows(v.doc, v.page.url)
        if found:
            directory_pages.append(v.page.url)
            rows.extend(found)
    by_name = {normalize(u.name): u for u in units}
    for r in rows:
        key = normalize(r.unit)
        if not key or key in by_name:
            continue
        linked = [site_unit[site_root(url)] for _, url in r.links if site_root(url) in site_unit]
        if linked and not linked[0].evidence.startswith("目录页"):
            by_name[key] = linked[0]          # the directory names the unit whose site it links
            continue
        u = DraftUnit(_unit_id("", r.unit, taken), r.unit[:40], [], f"目录页责任部门「{r.unit}」")
        units.append(u)
        by_name[key] = u

    guesses: list[Guess] = []
    own: dict[str, OwnItem] = {}
    for r in rows:
        scored = _score(index, r.item, school)
        link_label, target = r.links[0] if r.links else ("", "")
        where = f"目录页第 {r.row} 行「{r.item[:40]}」" + (f"→ 栏目「{link_label}」" if link_label else "")
        if scored and scored[1] >= KEEP:
            bonus = DIRECTORY_BONUS if target else 0.0
            guesses.append(Guess(scored[0], target, min(1.0, scored[1] + bonus), where, r.unit or None))
        elif normalize(r.item) not in own:
            unit = by_name.get(normalize(r.unit))
            own[normalize(r.item)] = OwnItem("", "", r.item[:80], unit.id if unit else None,
                                             [target] if target else [], where)

    # menus: links of the disclosure site and of the unit sites' home pages that look like columns
    kind_of = {v.page.url: v.kind for v in views}
    rows_of = {v.page.url: v.row_titles for v in views}
    not_columns: set[str] = set()
    for v in views:
        not_columns |= v.entries
    linked_from: dict[str, set[str]] = defaultdict(set)
    all_links: list[tuple[NavLink, str | None]] = _grouped_links(own_views, cat_names)
    for v in views:
        if v.page.unit_site:
            all_links += [(lk, None) for lk in nav_links(v.doc, v.page.url)]
    for lk, _ in all_links:
        linked_from[lk.url].add(lk.page)
    unit_pages = {v.page.url for v in views if v.page.unit_site}
    disclosure_linked = {lk.url for lk, _ in all_links if lk.page not in unit_pages}

    def column_like(lk: NavLink) -> bool:
        if lk.url in not_columns or is_attachment_link(lk.url, lk.label) or is_home_url(lk.url):
            return False
        label = normalize(clean_label(lk.label))
        if not _CJK_RE.search(label) or label in _FURNITURE or cat_names.get(label) or (school and school in lk.label):
            return False       # a pager, a category, a document titled with the school's name
        if _YEAR_RE.search(lk.label) or _DATED_URL_RE.search(urlsplit(lk.url).path):
            return False       # a dated document
        kind = kind_of.get(lk.url)
        return kind in (None, "list") or len(linked_from[lk.url]) >= MENU_PAGES

    seen: set[tuple[str, str]] = set()
    headings: dict[str, Counter[str]] = defaultdict(Counter)
    for lk, cat in all_links:
        if cat:
            headings[lk.url][cat] += 1
    for lk, _ in all_links:
        if (lk.label, lk.url) in seen or not column_like(lk):
            continue
        seen.add((lk.label, lk.url))
        scored = _score(index, lk.label, school)
        filed = headings.get(lk.url)
        cat = filed.most_common(1)[0][0] if filed else None
        if scored and scored[1] >= KEEP:
            # a unit site's own menu (its notices, its services) is read only when the name is unambiguous, and
            # so is a disclosure column filed under another category than the item's
            on_unit_menu = lk.page in unit_pages and lk.url not in disclosure_linked
            elsewhere = cat is not None and category_of[scored[0]] != cat
            if scored[1] >= SURE or not (on_unit_menu or elsewhere):
                guesses.append(Guess(scored[0], lk.url, scored[1], f"导航「{lk.label}」（{lk.url}）",
                                     unit_menu=on_unit_menu))
                continue
        if cat is None or site_root(lk.url) != disclosure_root or kind_of.get(lk.url) != "list":
            continue
        # weak overlap with an item of the category the site files it under: that item, worded loosely
        if (scored is None or category_of[scored[0]] != cat) and normalize(lk.label) not in own:
            phrase = shared_phrase(rows_of.get(lk.url, ()), school)
            own[normalize(lk.label)] = OwnItem(
                "", cat, lk.label, None, [lk.url],
                f"导航「{lk.label}」（{lk.url}），列在类别「{_cat_name(catalog, cat)}」下"
                + (f"；栏目中的文件多题为「…{phrase}…」" if phrase else ""),
                [phrase] if phrase and phrase not in normalize(lk.label) else [])

    assignments: list[Assignment] = []
    taken_urls: set[str] = set()
    for it in items:
        mine = sorted((g for g in guesses if g.item_id == it.id), key=lambda g: -g.score)
        placed = max((g.score for g in mine if not g.unit_menu), default=None)
        if placed is not None:
            # the disclosure site's own navigation and directory come first: a unit site's menu only fills in
            # items they do not place, or place clearly worse (就业指导中心's 招聘公告 is not the school's staff
            # recruitment the disclosure site links on the 人事处 site)
            mine = [g for g in mine if not g.unit_menu or g.score > placed + TIE]
        if not mine:
            continue
        best = mine[0].score
        columns: list[str] = []
        evidence: list[str] = []
        for g in mine:
            if g.score < best - TIE:
                break
            if g.url and g.url not in columns and len(columns) < MAX_COLUMNS:
                columns.append(g.url)
                evidence.append(g.evidence)
            elif not g.url and not evidence:
                evidence.append(g.evidence)
        taken_urls.update(columns)
        unit_id = None
        named = next((g.unit for g in mine if g.unit), None)
        if named and normalize(named) in by_name:
            unit_id = by_name[normalize(named)].id
        elif columns and site_root(columns[0]) in site_unit:
            unit_id = site_unit[site_root(columns[0])].id
        assignments.append(Assignment(it.id, titles_of[it.id], columns, unit_id, evidence, best >= SURE))

    cats = [c.id for c in catalog.categories]
    numeric = [int(i.id) for i in catalog.items if i.id.isdigit()]
    next_id = max(numeric, default=0) + 1
    own_items = []
    for o in own.values():
        o.columns = [c for c in o.columns if c not in taken_urls]
        o.id = str(next_id)
        next_id += 1
        o.category = o.category or (cats[-1] if cats else "1")
        own_items.append(o)
    checks = []
    if not school:
        checks.append("没有从页面标题或页脚读出学校名称，请填写 school")
    if not directory_pages:
        checks.append("没有找到信息公开目录页（含 公开事项/责任部门/栏目链接 的表格），栏目仅依据导航推测")
    with_columns = {a.item_id for a in assignments if a.columns}
    missing = [it.id for it in items if it.id not in with_columns]
    if missing:
        checks.append(f"以下 {len(missing)} 个事项没有推测出栏目（扫描仍会按栏目名称自动匹配）：{'、'.join(missing)}；"
                      "如有栏目请在 items 中填写 columns，不适用的事项写 ignore: true")
    return Draft(school or (urlsplit(start_url).hostname or "待填写"), school_src, start_url, units, assignments,
                 own_items, directory_pages, len(pages), checks)


def _cat_name(catalog: Catalog, cat_id: str) -> str:
    c = catalog.category(cat_id)
    return c.name if c else cat_id
