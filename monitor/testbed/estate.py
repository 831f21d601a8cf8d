"""Build the whole simulated school from the layout + scenarios (+ seeded filler news)."""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import yaml

from monitor.testbed import variants
from monitor.testbed.catalog import SCHOOL_CATALOG_PATH, Catalog, catalog_from_data, load_catalog
from monitor.testbed.cms.asp import AspSite
from monitor.testbed.cms.base import SiteBase
from monitor.testbed.cms.guarded import GuardedSite
from monitor.testbed.cms.jsp import JspSite
from monitor.testbed.cms.portal import PortalSite
from monitor.testbed.cms.services import CATEGORY_OF, ServicesSite
from monitor.testbed.cms.simple import ListSite
from monitor.testbed.cms.trs import TrsSite
from monitor.testbed.cms.vsb import VsbSite
from monitor.testbed.cms.webplus import WebPlusSite
from monitor.testbed.layout import (
    BROWSER_COLUMNS,
    BROWSER_MOVED,
    BROWSER_SITES,
    FILLER_COLUMNS,
    SITES,
    UNIT_COLUMNS,
    UNIT_NAMES,
    XXGK_NAV,
)
from monitor.testbed.model import Attachment, Column, Doc, Edit
from monitor.testbed.scenarios import NOTES, item_docs, news_dates
from monitor.testbed.text import body, filler_title

PROFILES = {"default": 30, "large": 2}       # mean days between two filler news per site
END = date(2021, 12, 31)
START = date(2016, 9, 5)
# Known changes for on_change items (written to the school config, read by the oracle).
CHANGES: dict[str, list[str]] = {"1.2": ["2019-09-20"], "24": ["2019-07-01"]}
SHJZ_PAGE = [
    "校级领导干部社会兼职情况一览",
    "<table class=\"shjz\"><tr><th>姓名</th><th>职务</th><th>社会兼职</th></tr>"
    "<tr><td>张建国</td><td>校长</td><td>中国高等教育学会理事</td></tr>"
    "<tr><td>李昇</td><td>副校长</td><td>省高等学校教学指导委员会委员</td></tr>"
    "<tr><td>赵文堃</td><td>副校长</td><td>省科学技术协会委员</td></tr></table>",
    "以上兼职均按干部管理权限审批，未领取兼职报酬。",
]
NEWS_TOPICS = ["新学期开学工作", "招生录取工作", "校园疫情防控", "学科建设进展", "毕业生就业工作",
               "校园安全", "人才引进", "科研成果", "国际交流合作", "后勤服务保障", "教学质量提升", "校庆筹备"]


def _d(text: str) -> date:
    return date.fromisoformat(text)


class Estate:
    """The whole school. ``layouts="fixed"``: one template per CMS family (the demo's, byte for byte
    the same for any seed but the filler news); ``"generated"``: every site draws its templates, its
    column names and the school catalog's split shape from the seed (variants.py). ``browser_sites``: a
    ninth site behind a JavaScript challenge (cms/guarded.py) now holds the columns of items 41 and 42."""

    def __init__(self, profile: str = "default", seed: int = 2019, layouts: str = "fixed", browser_sites: bool = False):
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}")
        if layouts not in variants.LAYOUTS:
            raise ValueError(f"unknown layouts {layouts!r}")
        self.profile, self.seed, self.layouts = profile, seed, layouts
        self.browser_sites = browser_sites
        self.plan: variants.CatalogPlan | None = None
        self.names: dict[str, str] = {}
        # the school catalog the config names: the fixed file, or (generated) the one write_catalog writes
        self.catalog_path: Path | None = SCHOOL_CATALOG_PATH
        if layouts == "generated":
            with open(SCHOOL_CATALOG_PATH, encoding="utf-8") as fh:
                self.plan = variants.school_catalog(seed, yaml.safe_load(fh))
            self.catalog: Catalog = catalog_from_data(self.plan.data)
            self.names = variants.column_names(seed)
            self.catalog_path = None
        else:
            self.catalog = load_catalog()
        self.changes = {self.item_of(k, "ldbz" if k == "1.2" else None): [_d(x) for x in v]
                        for k, v in CHANGES.items()}
        self.notes: dict[str, str] = {}
        for k, v in NOTES.items():
            key = self.item_of(k, None) or k
            self.notes[key] = f"{self.notes[key]}; {v}" if key in self.notes else v
        self._urls: dict[str, str] = {}
        self.aliases: dict[str, Column] = {}
        self._build()

    def item_of(self, item: str | None, alias: str | None) -> str | None:
        """The catalog item a scenario item (fixed catalog ids) is under this estate's catalog."""
        return self.plan.item_of(item, alias) if self.plan is not None else item

    def look_of(self, site: str) -> "variants.SiteLook | None":
        """What a site of a generated estate drew (None: the fixed template)."""
        return self.sites[site].look

    def name_of(self, key: str, default: str) -> str:
        return self.names.get(key, default)

    def catalog_yaml(self) -> str:
        assert self.plan is not None
        header = (f"# 示例大学信息公开目录（模拟院校，种子 {self.seed}）：由 xxgk testbed 生成。\n"
                  "# 语法见 docs/configuration.md “Catalogs”：extends、drop、rename、split、items。\n")
        return header + yaml.safe_dump(self.plan.data, allow_unicode=True, sort_keys=False, width=120)

    def write_catalog(self, path: str | Path) -> Path:
        """Write a generated estate's school catalog (next to its config) and remember where."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.catalog_yaml(), encoding="utf-8")
        self.catalog_path = path.resolve()
        return self.catalog_path

    # -- wiring ---------------------------------------------------------------------------
    def set_urls(self, urls: dict[str, str]) -> None:
        self._urls = dict(urls)

    def base_url(self, key: str) -> str:
        return self._urls.get(key, f"http://{key}.invalid/")

    def _unit_of(self, item: str | None, site_unit: str | None) -> str:
        unit = self.catalog.items[item].unit if item and item in self.catalog.items else site_unit
        return UNIT_NAMES.get(unit or "", "信息公开办公室")

    # -- build ----------------------------------------------------------------------------
    def _build(self) -> None:
        specs = SITES + (BROWSER_SITES if self.browser_sites else [])
        moved = BROWSER_MOVED if self.browser_sites else {}
        cols_by_site: dict[str, list[Column]] = {s.key: [] for s in specs}
        categories = []
        next_col = 3001
        for cat_id, entries in XXGK_NAV:
            cols = []
            for alias, title, items, mode, target in entries:
                col = Column("xxgk", str(next_col), self.name_of(alias, title),
                             [self.item_of(i, alias) or i for i in items], mode=mode, target=target, category=cat_id)
                next_col += 1
                if alias in moved:
                    continue   # its items live on a browser-only site; later column ids stay as they are
                if mode == "page":
                    col.page_text = list(SHJZ_PAGE)
                self.aliases[alias] = col
                cols.append(col)
            categories.append((cat_id, self.catalog.categories[cat_id], cols))
            cols_by_site["xxgk"].extend(cols)
        filler_xxgk = Column("xxgk", "3100", self.name_of("gkdt", "信息公开动态"), [])
        self.aliases["gkdt"] = filler_xxgk
        cols_by_site["xxgk"].append(filler_xxgk)
        for site, key, title, items, style, per_page in UNIT_COLUMNS + (BROWSER_COLUMNS if self.browser_sites else []):
            cols_by_site[site].append(Column(site, key, self.name_of(f"{site}/{key}", title),
                                             [self.item_of(i, None) or i for i in items], style=style, per_page=per_page))

        def column(site: str, key: str) -> Column:
            if site == "xxgk":
                return self.aliases[key]
            return next(c for c in cols_by_site[site] if c.key == key)

        docs: list[tuple[Column, Doc]] = []
        appended: list[tuple[Column, Doc]] = []
        rng = random.Random(self.seed)
        for spec in item_docs():
            col = column(*(moved.get(spec.where[1], spec.where) if spec.where[0] == "xxgk" else spec.where))
            published = _d(spec.date)
            item = self.item_of(spec.item, spec.where[1] if spec.where[0] == "xxgk" else None)
            doc = Doc(0, spec.title, published, item, [], login_wall=spec.login_wall, pii=list(spec.pii),
                      pii_masked=spec.pii_masked, table=list(spec.table), table_at=spec.table_at, links=list(spec.links),
                      leaks=list(spec.leaks), decoys=list(spec.decoys))
            if spec.paras is not None:
                doc.paragraphs = list(spec.paras)
            else:
                doc.paragraphs = body(random.Random(f"{self.seed}:{spec.title}"), spec.item,
                                      self._unit_of(item, None), published, spec.fact)
            doc.edits = [Edit(_d(on), old, new) for on, old, new in spec.edits]
            for i, a in enumerate(spec.atts):
                added = _d(a.added) if a.added else published
                doc.attachments.append(Attachment(
                    key=f"{self.seed}:{spec.where[0]}:{spec.title}:{i}", name=a.name, fmt=a.fmt, added=added,
                    removed=_d(a.removed) if a.removed else None,
                    lines=a.lines or [a.name.rsplit(".", 1)[0], "示例大学", spec.title,
                                      "项目|数值|说明", f"合计|{rng.randint(100, 99999)}|单位：万元",
                                      f"编制日期：{added.year}年{added.month}月"],
                    sheet=a.sheet, leaks=list(a.leaks), decoys=list(a.decoys)))
            (appended if spec.appended else docs).append((col, doc))
        for n, d in enumerate(news_dates()):
            topic = NEWS_TOPICS[n % len(NEWS_TOPICS)]
            doc = Doc(0, f"示例大学新闻发布会（第{n + 1}期）：{topic}", d, "52", [])
            doc.paragraphs = body(random.Random(f"{self.seed}:news:{n}"), "52", "党委宣传部", d)
            docs.append((self.aliases["xwfb"], doc))
        mean = PROFILES[self.profile]
        for site, key in FILLER_COLUMNS.items():
            col = column(site, key)
            frng = random.Random(f"{self.seed}:filler:{site}")
            d = START + timedelta(days=frng.randint(0, mean))
            while d <= END:
                doc = Doc(0, filler_title(frng, site, d), d, None, [])
                doc.paragraphs = body(frng, None, self._unit_of(None, next(s.unit for s in specs if s.key == site)), d)
                if frng.random() < 0.08:
                    doc.attachments.append(Attachment(f"{self.seed}:{site}:filler:{d}", f"{doc.title[:20]}.docx", "docx", d,
                                                      [doc.title, "示例大学", "附件：报名表"]))
                docs.append((col, doc))
                d += timedelta(days=frng.randint(max(1, mean // 2), max(1, mean + mean // 2)))
        # Ids grow with publication time, as in a real CMS database; the compliance notices come after
        # all of them, so adding such a notice renumbers (and re-URLs) nothing else.
        docs.sort(key=lambda cd: (cd[1].published, cd[0].site, cd[0].key, cd[1].title))
        appended.sort(key=lambda cd: (cd[1].published, cd[0].site, cd[0].key, cd[1].title))
        docs += appended
        for i, (col, doc) in enumerate(docs):
            doc.id = 10001 + i
            doc.source = self._unit_of(doc.item, None) if doc.item else ""
            doc.column = col
            col.docs.append(doc)

        units = {s.key: s.unit for s in specs}
        names = {s.key: s.name for s in specs}
        for col in cols_by_site["xxgk"]:
            for doc in col.docs:
                doc.source = doc.source or "信息公开办公室"
        xxgk = WebPlusSite("xxgk", names["xxgk"], units["xxgk"], cols_by_site["xxgk"], categories, filler_xxgk,
                           undated_url_columns={self.aliases["xwfb"].key}, unit_names=UNIT_NAMES)
        xxgk.aliases = self.aliases
        xxgk.by_key = {c.key: c for c in cols_by_site["xxgk"]}
        xxgk.by_id = {d.id: d for c in cols_by_site["xxgk"] for d in c.docs}
        # A link to an article that was deleted (404) in an old campus-safety notice.
        first_safety = min(self.aliases["xyaq"].docs, key=lambda d: d.published)
        xxgk.extra_links = {first_safety.id: [("/2017/0301/c3199a90001/page.htm", "相关通知（原文）")]}
        self.sites: dict[str, SiteBase] = {"xxgk": xxgk}
        self.sites["zsb"] = VsbSite("zsb", names["zsb"], units["zsb"], cols_by_site["zsb"])
        self.sites["yjsy"] = TrsSite("yjsy", names["yjsy"], units["yjsy"], cols_by_site["yjsy"])
        self.sites["cwc"] = JspSite("cwc", names["cwc"], units["cwc"], cols_by_site["cwc"])
        self.sites["rsc"] = AspSite("rsc", names["rsc"], units["rsc"], cols_by_site["rsc"])
        for key in ("jwc", "xsc", "jyzx"):
            self.sites[key] = PortalSite(key, names[key], units[key], cols_by_site[key], flavor=key)
        for spec in specs[len(SITES):]:
            self.sites[spec.key] = GuardedSite(spec.key, spec.name, spec.unit, cols_by_site[spec.key])
        for site in self.sites.values():
            site.bind(self)
            site.assign_paths(lambda: 0)
            # the guarded site keeps its one template: what it tests is the wall, not the layout
            if self.layouts == "generated" and not isinstance(site, GuardedSite):
                self._dress(site)
        # The school's other systems: linked from notices, not configured, not crawled (cms/services.py).
        self.services = ServicesSite()
        self.services.bind(self)

    def _dress(self, site: SiteBase) -> None:
        """Give a site of a generated estate its drawn templates (lists, pages, headers, charset)."""
        look = variants.draw_site_look(self.seed, site.key, site.cms, site.encoding, [c.key for c in site.columns])
        site.look = look
        site.header_charset = variants.header_charset(look, site.encoding)
        # TRS pages always carry <meta name="PubDate">; WebPlus dates its articles itself
        if isinstance(site, ListSite) and look.article.source and site.cms != "trs":
            site.article_source = look.article.source
        for col in site.columns:
            col.per_page = look.list_for(col.key).per_page

    # -- queries used by the ground truth ---------------------------------------------------------
    def item_columns(self, item: str) -> list[tuple[SiteBase, Column]]:
        """Columns that carry an item: disclosure-site columns (or the unit column they point to)
        and unit-site columns declared for it."""
        out: list[tuple[SiteBase, Column]] = []
        seen: set[tuple[str, str]] = set()

        def push(site: SiteBase, col: Column) -> None:
            if (site.key, col.key) not in seen:
                seen.add((site.key, col.key))
                out.append((site, col))
        for site in self.sites.values():
            for col in site.columns:
                if item not in col.items:
                    continue
                if col.mode == "offsite" and col.target:
                    other = self.sites[col.target[0]]
                    push(other, other.column_by_key(col.target[1]))
                elif col.mode == "pointer" and col.target:
                    push(site, col)
                    other = self.sites[col.target[0]]
                    push(other, other.column_by_key(col.target[1]))
                else:
                    push(site, col)
        return out

    def item_docs(self, item: str) -> list[Doc]:
        return [d for s in self.sites.values() for d in s.docs() if d.item == item]

    def link_categories(self, as_of: date) -> dict[str, str]:
        """Every link on the estate's pages on `as_of` that a link check must not call ok, with its
        category: the sites' own (404s, intranet, login walls) and the links to the other systems."""
        out: dict[str, str] = {}
        for site in self.sites.values():
            out.update(site.link_categories(as_of))
            for d in site.docs():
                if d.visible(as_of):
                    for host, path, _text in d.links:
                        if host == "svc":
                            out[self.services.url(path)] = CATEGORY_OF[path]
        return dict(sorted(out.items()))
