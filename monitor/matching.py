"""Match stored pages, list entries and attachments to catalog items.

Evidence, strongest first: a ``columns:`` override in the config; the disclosure site's own
navigation (its column titles mirror the catalog); a disclosure-site link to a column on another
site; the page's own title; the unit site the page lives on (a small prior, never alone).
Articles, entries and attachments under a matched column inherit its item unless their own title
clearly names another one. Every match carries a score, a Chinese reason, a method and a state
(``auto`` / ``review`` / ``confirmed`` / ``rejected``). A person's decisions live in
``match_decisions`` and follow a page to a new URL by its normalised title or fingerprint.

See docs/matching.md for the algorithm and measured figures.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

import click

from crawler.extract.records import PAGINATION_LINK_TEXT
from monitor.core import clock
from monitor.store import rows
from monitor.textsim import CatalogIndex, ItemScore, ItemText, clean_label, id_key, normalize, title_key

AUTO = 0.6            # at or above: counted as the item's evidence without review
REVIEW = 0.35         # at or above (and below AUTO): listed for review
STANDALONE_AUTO = 0.9   # a page outside any matched column needs a very specific title
STANDALONE_REVIEW = 0.7  # … and a fairly specific one to be worth a reviewer's time
TIE_MARGIN = 0.04
MULTI_MIN = 0.5       # each item a column label names in its own words (「预算决算」)     # two items this close are "equally strong": both go to review
CLEAR_MARGIN = 0.3     # an article's own title must beat its column's item by this to move
MOVE_MIN = 0.75       # … and name its own item at least this clearly
UNIT_PRIOR = 0.05     # bonus when the page's unit owns the item (only on top of real evidence)
OTHER_UNIT_FACTOR = 0.75  # a unit-site page scored on its own words, for an item another unit owns
CONTENT_SHARE = 0.25  # a column whose articles are this much about an item also serves it
INHERIT_FACTOR = 0.98

_ATTACHMENT_RE = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|txt|csv|ofd)(?:$|[?#])", re.I)
_LIST_WORD_RE = re.compile(r"list|index|column|channel|lanmu|TreeTempUrl", re.I)
_LIST_URL_RE = re.compile(r"(/|/list\d*\.s?html?|/index(_\d+)?\.s?html?|/main\.s?html?)$", re.I)

METHOD_ZH = {"override": "配置指定", "navigation": "栏目导航", "offsite": "站外栏目", "similarity": "标题相似",
             "inherited": "继承栏目", "manual": "人工指定"}
STATE_ZH = {"auto": "自动", "review": "待审核", "confirmed": "已确认", "rejected": "已否决"}
TARGET_ZH = {"column": "栏目", "article": "文章", "entry": "条目", "attachment": "附件"}


class MatchError(ValueError):
    """A user mistake in a match decision (unknown item, unknown URL)."""


@dataclass
class MatchStats:
    scan_id: int | None = None
    total: int = 0
    auto: int = 0
    review: int = 0
    confirmed: int = 0
    rejected: int = 0
    items_matched: int = 0
    items_total: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    by_target: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CatalogItem:
    id: str
    category: str
    category_name: str
    title: str
    short: str
    keywords: list[str]
    synonyms: list[str]
    exclude: list[str]
    unit: str | None
    columns: list[str]

    @property
    def label(self) -> str:
        return self.short or self.title


@dataclass
class Candidate:
    item_id: str
    score: float
    method: str
    reason: str
    state: str = "auto"
    span: tuple[str, int, int] | None = None   # (label, start, end) of the deciding phrase


# ---------------------------------------------------------------------------------------------
# Config and catalog access (tolerant of the config object's exact shape)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def catalog_items(cfg: Any) -> list[CatalogItem]:
    """The catalog items of a loaded config, with their ``columns`` overrides."""
    catalog = _get(cfg, "catalog_obj") or _get(cfg, "catalog")
    raw_items = _get(catalog, "items", []) or []
    if isinstance(raw_items, dict):
        raw_items = list(raw_items.values())
    cats = {}
    for c in _get(catalog, "categories", []) or []:
        cats[str(_get(c, "id"))] = _get(c, "name", "")
    overrides = _get(cfg, "items", None) or {}
    items = []
    for it in raw_items:
        if _get(it, "ignore", False):
            continue  # the school says this item does not apply to it
        iid = str(_get(it, "id"))
        cat = str(_get(it, "category", "") or "")
        columns = list(_get(it, "columns", None) or [])
        ov = overrides.get(iid) if isinstance(overrides, dict) else None
        for col in (_get(ov, "columns", None) or []) if ov is not None else []:
            if col not in columns:
                columns.append(col)
        items.append(CatalogItem(
            id=iid, category=cat, category_name=_get(it, "category_name", None) or cats.get(cat, ""),
            title=_get(it, "title", "") or "", short=_get(it, "short", "") or "",
            keywords=list(_get(it, "keywords", None) or []), synonyms=list(_get(it, "synonyms", None) or []),
            exclude=list(_get(it, "exclude", None) or []), unit=_get(it, "unit", None) or None,
            columns=[_canon(c) for c in columns]))
    return items


def build_index(items: Iterable[CatalogItem]) -> CatalogIndex:
    return CatalogIndex(ItemText(id=i.id, title=i.title, short=i.short, keywords=i.keywords,
                                 synonyms=i.synonyms, exclude=i.exclude, category=i.category,
                                 category_name=i.category_name) for i in items)


def _unit_names(cfg: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    units = _get(cfg, "units", None) or {}
    if isinstance(units, dict):
        for uid, unit in units.items():
            names[str(uid)] = _get(unit, "name", None) or str(uid)
    else:
        for unit in units:
            uid = _get(unit, "id")
            if uid is not None:
                names[str(uid)] = _get(unit, "name", None) or str(uid)
    return names


@lru_cache(maxsize=200_000)
def _canon(url: str) -> str:
    try:
        from crawler.scope import canonical_url
        return canonical_url(url)
    except Exception:  # crawler not importable or odd URL: keep a light normalisation
        parts = urlsplit(url.strip())
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _eval_key(url: str) -> str:
    """A URL key for comparing with a ground truth: canonical, query parameters in any order."""
    parts = urlsplit(_canon(url))
    query = "&".join(sorted(q for q in parts.query.split("&") if q))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and port != {"http": 80, "https": 443}.get(parts.scheme):
        return f"{host}:{port}"
    return host


# ---------------------------------------------------------------------------------------------
# Loading the crawl


@dataclass
class _Page:
    id: int
    url: str
    site: str | None
    unit: str
    kind: str | None
    title: str | None
    column_name: str | None
    list_root_id: int | None
    fingerprint: str | None
    last_seen_scan: int | None
    last_status: int | None

    @property
    def ok(self) -> bool:
        return self.last_status is None or 200 <= self.last_status < 400

    @property
    def label(self) -> str:
        return self.column_name or self.title or ""


class _Crawl:
    """The stored crawl, indexed for matching (current rows only)."""

    def __init__(self, db: Any, disclosure_site: str | None):
        self.pages: dict[str, _Page] = {}
        self.by_id: dict[int, _Page] = {}
        for r in rows(db, "SELECT id, url, site, unit, kind, title, column_name, list_root_id, fingerprint, "
                          "last_seen_scan, last_status FROM pages"):
            p = _Page(**{**r, "unit": r["unit"] or ""})
            self.pages[p.url] = p
            self.by_id[p.id] = p
        seen = [p.last_seen_scan for p in self.pages.values() if p.last_seen_scan is not None]
        self.latest_scan = max(seen) if seen else None
        # Links and list rows may spell a page's URL with its query in another order.
        self._alias = {_eval_key(u): u for u in self.pages}
        self.disclosure = _netloc(disclosure_site) if disclosure_site else None
        self.disclosure_path = urlsplit(disclosure_site).path if disclosure_site else "/"

        # Entries: a row the list no longer shows (older than its list page's last visit) is gone.
        self.entries_of: dict[int, list[dict]] = defaultdict(list)
        self.parents_of: dict[str, list[int]] = defaultdict(list)
        self.entry_title: dict[str, str] = {}
        for r in rows(db, "SELECT list_page_id, url, title, date, last_seen_scan FROM entries ORDER BY id"):
            root = self.by_id.get(r["list_page_id"])
            if root is None or _stale(r["last_seen_scan"], root.last_seen_scan):
                continue
            url = self.resolve(r["url"])
            self.entries_of[root.id].append({**r, "url": url})
            if root.id not in self.parents_of[url]:
                self.parents_of[url].append(root.id)
            if r["title"] and url not in self.entry_title:
                self.entry_title[url] = r["title"]

        self.links_of: dict[int, list[tuple[str, str]]] = defaultdict(list)
        for r in rows(db, "SELECT page_id, url, text, last_seen_scan FROM links ORDER BY page_id, id"):
            page = self.by_id.get(r["page_id"])
            if page is None or _stale(r["last_seen_scan"], page.last_seen_scan):
                continue
            self.links_of[page.id].append((self.resolve(r["url"]), (r["text"] or "").strip()))

        self.attachments: list[dict] = []
        self.attachment_urls: set[str] = set()
        for r in rows(db, "SELECT page_id, file_page_id, url, name, last_seen_scan FROM attachments ORDER BY id"):
            page = self.by_id.get(r["page_id"])
            if page is None or _stale(r["last_seen_scan"], page.last_seen_scan):
                continue
            url = self.resolve(r["url"])
            self.attachments.append({**r, "url": url})
            self.attachment_urls.add(url)

    def resolve(self, url: str) -> str:
        """The stored page's URL for a link, else the link's canonical form."""
        canon = _canon(url)
        if canon in self.pages:
            return canon
        return self._alias.get(_eval_key(canon), canon)

    def is_disclosure(self, page_or_url: _Page | str) -> bool:
        url = page_or_url if isinstance(page_or_url, str) else page_or_url.url
        if self.disclosure is None:
            page = self.pages.get(url) if isinstance(page_or_url, str) else page_or_url
            return page is not None and page.unit == "" and page.site is not None
        return _netloc(url) == self.disclosure and (urlsplit(url).path or "/").startswith(self.disclosure_path)

    def root_of(self, page: _Page) -> _Page:
        if page.kind == "list" and page.list_root_id and page.list_root_id != page.id:
            return self.by_id.get(page.list_root_id, page)
        return page

    def is_current(self, url: str) -> bool:
        page = self.pages.get(url)
        if page is None:
            return False
        if not page.ok:
            return False
        return self.latest_scan is None or page.last_seen_scan is None or page.last_seen_scan >= self.latest_scan


def _list_like(url: str) -> bool:
    """Column-shaped URLs: /col/list.htm, list2.htm, index_1.html, main.htm, news_list.asp?cid=2,
    list.jsp?urltype=tree.TreeTempUrl…, /list/xsss, /column/…, and paths ending in a slash."""
    parts = urlsplit(url)
    if _LIST_URL_RE.search(parts.path):
        return True
    return bool(_LIST_WORD_RE.search(parts.path + "?" + parts.query))


def _is_home(page: "_Page") -> bool:
    path = urlsplit(page.url).path or "/"
    return page.site is not None and page.url.rstrip("/") == page.site.rstrip("/") or \
        re.fullmatch(r"/(index|default|main)?(\.s?html?|\.jsp|\.asp|\.php)?", path) is not None


def _stale(row_scan: int | None, page_scan: int | None) -> bool:
    return row_scan is not None and page_scan is not None and row_scan < page_scan


def _is_attachment_url(url: str) -> bool:
    return bool(_ATTACHMENT_RE.search(urlsplit(url).path))


# ---------------------------------------------------------------------------------------------
# Decisions


@dataclass
class _Decisions:
    """Person decisions resolved to current URLs: url -> {item_id: decision}."""
    by_url: dict[str, dict[str, dict]] = field(default_factory=lambda: defaultdict(dict))

    def rejected(self, url: str, item_id: str) -> bool:
        return self.by_url.get(url, {}).get(item_id, {}).get("decision") == "reject"

    def assigned(self, url: str) -> list[dict]:
        return [d for d in self.by_url.get(url, {}).values() if d["decision"] in ("assign", "confirm")]


def _load_decisions(db: Any, crawl: _Crawl) -> _Decisions:
    out = _Decisions()
    by_fp: dict[str, list[str]] = defaultdict(list)
    by_title: dict[str, list[str]] = defaultdict(list)
    for p in crawl.pages.values():
        if not crawl.is_current(p.url):
            continue
        if p.fingerprint:
            by_fp[p.fingerprint].append(p.url)
        key = title_key(p.title or p.column_name)
        if key:
            by_title[key].append(p.url)
    for url, title in crawl.entry_title.items():
        if url not in crawl.pages:
            by_title[title_key(title)].append(url)
    for d in rows(db, "SELECT * FROM match_decisions ORDER BY decided_at, id"):
        url = d["url"]
        targets = [url]
        moved = url not in crawl.pages and url not in crawl.parents_of and url not in crawl.attachment_urls
        moved = moved or (url in crawl.pages and not crawl.is_current(url))
        if moved:
            # The page left its URL: the decision follows the same content (fingerprint) or the
            # same title, when that identifies one page.
            found = [u for u in by_fp.get(d["fingerprint"] or "", []) if u != url]
            if not found:
                same = [u for u in by_title.get(d["title_key"] or "", []) if u != url]
                found = same if len(set(same)) == 1 else []
            targets = [url, *found]
        for t in targets:
            out.by_url[t][d["item_id"]] = d
    return out


# ---------------------------------------------------------------------------------------------
# The matcher


class Matcher:
    def __init__(self, db: Any, cfg: Any):
        self.db = db
        self.cfg = cfg
        self.items = {i.id: i for i in catalog_items(cfg)}
        self.index = build_index(self.items.values())
        self.unit_names = _unit_names(cfg)
        self.crawl = _Crawl(db, _get(cfg, "disclosure_site"))
        self.decisions = _load_decisions(db, self.crawl)
        self.cat_names = {normalize(i.category_name): i.category for i in self.items.values() if i.category_name}
        # url -> (target, [Candidate]) ; the chosen matches
        self.result: dict[str, tuple[str, int | None, list[Candidate]]] = {}
        self.column_label: dict[str, str] = {}
        self.nav_linkers: dict[str, set[int]] = defaultdict(set)
        self.school = (_get(cfg, "school", "") or "").strip()
        # column url -> (titles per clearly-named item, number of entries)
        self.contents: dict[str, tuple[Counter, int]] = {}

    # -- helpers ---------------------------------------------------------------------------
    def _item_name(self, item_id: str) -> str:
        it = self.items.get(item_id)
        return f"事项{item_id}「{it.label}」" if it else f"事项{item_id}"

    def _site_name(self, page: _Page | None, url: str) -> str:
        if page is not None and page.unit:
            return self.unit_names.get(page.unit, page.unit) + "网站"
        if self.crawl.is_disclosure(url):
            return "信息公开网"
        return f"{_netloc(url)} 网站"

    def _category_of_text(self, text: str) -> str | None:
        norm = normalize(clean_label(text))
        if not norm:
            return None
        if norm in self.cat_names:
            return self.cat_names[norm]
        return None

    def _scored(self, text: str | None) -> dict[str, ItemScore]:
        if not text or self._category_of_text(text):
            return {}
        text = clean_label(text)
        if self.school and len(text) > len(self.school) + 1:
            text = text.replace(self.school, " ")  # 「示例大学2019年…」: the name says nothing
        return self.index.scores(text)

    def _title_item(self, title: str | None) -> ItemScore | None:
        """The one item a title clearly names (verbatim words, no close second), if any."""
        ranked = sorted(self._scored(title).values(), key=lambda s: -s.score)
        if not ranked or ranked[0].how == "ngram" or ranked[0].score < 0.7:
            return None
        if len(ranked) > 1 and ranked[0].score - ranked[1].score < TIE_MARGIN:
            return None
        return ranked[0]

    def _prior(self, page: _Page | None, item_id: str, score: float, *, weak: bool = False) -> float:
        """The unit site a page lives on: a bonus when its unit owns the item; for evidence that
        rests on the page's own words only (``weak``), a penalty when another unit owns it."""
        it = self.items.get(item_id)
        if page is None or it is None or not it.unit or not page.unit:
            return score
        if page.unit == it.unit:
            return min(0.99, score + UNIT_PRIOR) if score >= 0.3 else score
        if weak and page.unit in self.unit_names:
            return score * OTHER_UNIT_FACTOR
        return score

    # -- columns ---------------------------------------------------------------------------
    def _nav_labels(self) -> tuple[dict[str, list[str]], dict[str, Counter]]:
        """Link texts the disclosure site uses for each target URL, and the category heading
        each target sits under (from the order of links, when that order is trustworthy)."""
        labels: dict[str, list[str]] = defaultdict(list)
        headings: dict[str, Counter] = defaultdict(Counter)
        for page in self.crawl.pages.values():
            if not self.crawl.is_disclosure(page):
                continue
            current: str | None = None
            placed: list[tuple[str, str]] = []
            for url, text in self.crawl.links_of.get(page.id, []):
                if not text or text == PAGINATION_LINK_TEXT or url == page.url:
                    continue
                cat = self._category_of_text(text)
                if cat:
                    current = cat
                    continue
                if url in self.crawl.attachment_urls or _is_attachment_url(url):
                    continue
                labels[url].append(text)
                self.nav_linkers[url].add(page.id)
                if current:
                    placed.append((url, current))
            # Trust heading order only when it agrees with confident titles on this page.
            agree = total = 0
            for url, cat in placed:
                best = self.index.score(labels[url][-1], limit=1)
                if best and best[0].score >= 0.8:
                    total += 1
                    agree += self.items[best[0].item_id].category == cat
            if total >= 2 and agree / total >= 0.7:
                for url, cat in placed:
                    headings[url][cat] += 1
        return labels, headings

    def _column_candidates(self) -> None:
        crawl = self.crawl
        nav_labels, headings = self._nav_labels()
        columns: set[str] = set()
        for p in crawl.pages.values():
            if p.kind == "list" and crawl.root_of(p) is p and not _is_home(p):
                columns.add(p.url)
        for url in nav_labels:
            page = crawl.pages.get(url)
            if page is not None and _is_home(page):
                continue  # a site's home page is never a catalog column
            if page is not None and page.kind == "list":
                columns.add(crawl.root_of(page).url)
                continue
            if (page is not None and page.kind == "attachment") or url in crawl.attachment_urls:
                continue
            if not self._looks_like_column(page, url, nav_labels[url]):
                continue  # an article (a news link, an entry): matched as an article, on its title
            columns.add(url)
        for it in self.items.values():
            columns.update(it.columns)
        self.columns = columns
        # Labels a unit site gives its own columns (its menu), for columns off the disclosure site.
        site_labels: dict[str, list[str]] = defaultdict(list)
        for p in crawl.pages.values():
            if crawl.is_disclosure(p):
                continue
            for url, text in crawl.links_of.get(p.id, []):
                if url in columns and text and text != PAGINATION_LINK_TEXT:
                    site_labels[url].append(text)

        overrides: dict[str, list[str]] = defaultdict(list)
        for it in self.items.values():
            for col in it.columns:
                overrides[col].append(it.id)

        for url in sorted(columns):
            page = crawl.pages.get(url)
            on_disclosure = crawl.is_disclosure(url)
            nav = nav_labels.get(url, [])
            own = [t for t in ((page.column_name, page.title) if page else ()) if t]
            cands: list[Candidate] = []
            if url in overrides:
                label = (nav or own or [url])[0]
                for iid in overrides[url]:
                    cands.append(Candidate(iid, 1.0, "override",
                                           f"配置文件为{self._item_name(iid)}指定栏目「{label}」"))
                self.column_label[url] = label
                self._choose(url, "column", page, cands, allow_multi=True)
                continue
            heading = headings.get(url)
            category = heading.most_common(1)[0][0] if heading else None
            for text in own:
                for name, cat in self.cat_names.items():
                    if name in normalize(text) and name != normalize(text):
                        category = category or cat  # breadcrumb names the category
            best: dict[str, tuple[float, str, str, tuple[str, int, int]]] = {}
            support: dict[str, dict[str, float]] = defaultdict(dict)   # item -> label -> score
            nav_best: dict[str, tuple[float, str]] = {}                 # item -> disclosure-site label

            def consider(texts: list[str], source: str, weight: float = 1.0) -> None:
                for text in dict.fromkeys(texts):
                    for iid, sc in self._scored(text).items():
                        s = sc.score * weight
                        if category is not None:
                            s = s + 0.03 if self.items[iid].category == category else s * 0.85
                        key = normalize(clean_label(text))
                        support[iid][key] = max(s, support[iid].get(key, 0.0))
                        if source == "nav" and s > nav_best.get(iid, (0.0, ""))[0]:
                            nav_best[iid] = (s, clean_label(text))
                        if s > best.get(iid, (0.0,))[0]:
                            best[iid] = (s, text, source, _span(text, sc))

            if nav:
                consider(nav, "nav")
            if page is not None and page.kind != "list" and page.title:
                # A column shown as its one article (or a single page): the page title is that
                # article's title, a weaker name for the column than its menu label or breadcrumb.
                consider([t for t in own if t != page.title], "own")
                consider([page.title], "own", 0.9 if (nav or page.column_name) else 1.0)
            else:
                consider(own, "own")
            if not nav and not on_disclosure:
                consider(site_labels.get(url, []), "site")
            for iid, (s, text, source, span) in best.items():
                others = sorted(support[iid].values(), reverse=True)[1:2]
                if others:
                    # Two different labels (menu and breadcrumb, menu and page title) that agree.
                    s = s + (1 - s) * 0.5 * others[0]
                linked = nav_best.get(iid, (0.0, ""))
                s = self._prior(page, iid, s, weak=not on_disclosure and linked[0] < REVIEW)
                name = self._item_name(iid)
                text = clean_label(text)
                if on_disclosure and source in ("nav", "own"):
                    method = "navigation"
                    reason = f"信息公开网栏目「{text}」对应{name}（栏目导航）"
                elif linked[0] >= REVIEW:
                    method = "offsite"
                    there = f"栏目「{text}」" if normalize(text) != normalize(linked[1]) else "栏目"
                    reason = f"信息公开网栏目「{linked[1]}」链接到{self._site_name(page, url)}{there}，对应{name}"
                else:
                    method = "similarity"
                    reason = f"{self._site_name(page, url)}栏目「{text}」与{name}相符"
                cands.append(Candidate(iid, round(min(s, 0.99), 3), method, reason, span=span))
            label = clean_label((own or nav or site_labels.get(url) or [url])[0])
            self.column_label[url] = label
            self._choose(url, "column", page, cands)

    def _looks_like_column(self, page: _Page | None, url: str, labels: list[str]) -> bool:
        """A navigation target that is a column although it is not a list page: a one-article
        column, a single page, a pointer page, or an off-site column not fetched. It is linked
        under a label that is not its own title, or sits at a list-like URL; a link whose text
        is the target's title is an article link (news, an entry)."""
        if _list_like(url):
            return True
        if page is not None and page.kind == "other" and page.ok:
            return True  # neither an article nor a list (a single page, a list not recognised as one)
        if page is None or not page.title:
            # Not fetched (off-site, failing): an entry of some list is an article.
            return url not in self.crawl.parents_of and not self.crawl.is_disclosure(url)
        own = normalize(page.title)
        for text in map(normalize, labels):
            # A link text that is the page's title (or a truncation of it) is a news link.
            if own and text and not (own.startswith(text) or text.startswith(own)):
                return True
        return False

    # -- choosing among candidates ---------------------------------------------------------
    def _choose(self, url: str, target: str, page: _Page | None, cands: list[Candidate], *,
                allow_multi: bool = False, standalone: bool = False, quiet: bool = False) -> list[Candidate]:
        """Apply decisions and thresholds; keep one item (two when equally strong)."""
        decided = self.decisions.assigned(url)
        if decided:
            chosen = []
            known = {c.item_id: c for c in cands}
            for d in decided:
                c = known.get(d["item_id"])
                by = d.get("decided_by") or "审核人"
                verb = "指定" if d["decision"] == "assign" else "确认"
                if c is None:
                    c = Candidate(d["item_id"], 1.0, "manual",
                                  f"{by}人工{verb}对应{self._item_name(d['item_id'])}")
                else:
                    c = Candidate(c.item_id, max(c.score, 0.6), c.method if d["decision"] == "confirm" else "manual",
                                  f"{c.reason}；{by}人工{verb}")
                    if d["decision"] == "assign":
                        c.score = 1.0
                c.state = "confirmed"
                chosen.append(c)
            rejected = [c for c in cands if self.decisions.rejected(url, c.item_id)]
            for c in rejected:
                c.state = "rejected"
            self.result[url] = (target, page.id if page else None, chosen + rejected)
            return chosen
        ranked = sorted(cands, key=lambda c: (-c.score, id_key(c.item_id)))
        kept: list[Candidate] = []
        rejected: list[Candidate] = []
        for c in ranked:
            if self.decisions.rejected(url, c.item_id):
                c.state = "rejected"
                rejected.append(c)
            else:
                kept.append(c)
        chosen: list[Candidate] = []
        if allow_multi:
            chosen = [c for c in kept if c.score >= AUTO]
        elif kept and kept[0].score >= REVIEW:
            top = kept[0]
            auto_at = STANDALONE_AUTO if standalone else AUTO
            review_at = STANDALONE_REVIEW if standalone else REVIEW
            if quiet:
                review_at = auto_at
            if top.score >= review_at:
                top.state = "auto" if top.score >= auto_at else "review"
                chosen = [top]
                # A label naming two items in separate words (「预算决算」) serves both; each
                # word is diluted by the other in the score, so the bar is the review one.
                if not standalone and top.score >= MULTI_MIN:
                    for other in kept[1:3]:
                        if other.score >= MULTI_MIN and all(_separate(other.span, c.span) for c in chosen):
                            chosen.append(other)
                if len(chosen) > 1:
                    for c in chosen:
                        c.state, c.score = "auto", max(c.score, AUTO)
                        c.reason += "（栏目同时包含多个事项）"
                elif len(kept) > 1 and kept[1].score >= review_at and top.score - kept[1].score < TIE_MARGIN:
                    other = kept[1]
                    for a, b in ((top, other), (other, top)):
                        a.state = "review"
                        a.reason += f"；与{self._item_name(b.item_id)}同样相符，请人工确认"
                    chosen.append(other)
        if chosen or rejected:
            self.result[url] = (target, page.id if page else None, chosen + rejected)
        return chosen

    def _active(self, url: str) -> list[Candidate]:
        got = self.result.get(url)
        if not got:
            return []
        return [c for c in got[2] if c.state != "rejected"]

    # -- what a column holds ----------------------------------------------------------------
    def _breadcrumb_members(self) -> None:
        """An article whose breadcrumb names a column of its own site belongs to that column,
        also when the column's list could not be read as a list (no entries were stored)."""
        crawl = self.crawl
        by_label: dict[tuple[str, str], set[int]] = defaultdict(set)
        for url in self.columns:
            page = crawl.pages.get(url)
            if page is None or not page.site:
                continue
            for text in (self.column_label.get(url), page.column_name, page.title):
                for part in re.split(r"\s*[-_|—]+\s*", text or "")[:1]:
                    key = normalize(part)
                    if key:
                        by_label[(page.site, key)].add(page.id)
        for page in list(crawl.pages.values()):
            if page.kind not in ("article", "other") or not page.column_name or page.url in self.columns:
                continue
            found = by_label.get((page.site or "", normalize(page.column_name)), set())
            if len(found) != 1:
                continue
            root_id = next(iter(found))
            if root_id not in crawl.parents_of[page.url]:
                crawl.parents_of[page.url].append(root_id)
                crawl.entries_of[root_id].append({"url": page.url, "title": page.title, "date": None,
                                                  "list_page_id": root_id, "last_seen_scan": None})

    # -- what a column holds ----------------------------------------------------------------
    def _infer_from_contents(self) -> None:
        """A column serves every item a good share of its articles is clearly about
        (「毕业生就业」 holding both 就业状况 and 就业质量年度报告); a column whose label says
        nothing is matched by its articles alone."""
        crawl = self.crawl
        for root_id, all_entries in crawl.entries_of.items():
            root = crawl.by_id.get(root_id)
            if root is None or root.url not in self.columns or self._category_of_text(root.label):
                continue
            # A category page lists columns, not documents.
            entries = [e for e in all_entries if e["url"] not in self.columns]
            if len(entries) < 1:
                continue
            got = self.result.get(root.url)
            if got and any(c.state == "confirmed" or c.method == "override" for c in got[2]):
                continue  # a person or the config already said what this column is
            have = {c.item_id: c for c in (got[2] if got else []) if c.state != "rejected"}
            counts: Counter = Counter()
            named: Counter = Counter()
            for e in entries:
                page = crawl.pages.get(e["url"])
                title = (page.title if page is not None and page.title else None) or e["title"]
                best = self._title_item(title)
                if best is None:
                    continue
                named[best.item_id] += 1
                own = self._scored(title)
                if best.item_id not in have and any(own[x].score >= 0.5 for x in have if x in own):
                    continue  # the title also fits the column's item: the column is right
                counts[best.item_id] += 1
            n = len(entries)
            self.contents[root.url] = (named, n)
            added = []
            settled = False
            sure = {c.item_id for c in have.values() if c.state == "auto"}
            categories = {self.items[x].category for x in (sure or have)}
            focused = [q for q, k in counts.items() if k >= 2 and k / n >= CONTENT_SHARE]
            if sum(named[q] for q in set(focused) | set(have)) / n < 0.6 and not (not have and n <= 2):
                counts = Counter()  # a mixed list (latest news, home page): no column of its own
            for iid, k in counts.most_common():
                it = self.items[iid]
                if root.unit and it.unit and root.unit != it.unit and root.unit in self.unit_names:
                    continue  # another unit's item in this unit's list: news about it, not its column
                # One clear document is enough only when the column's label leans the same way
                # (「应急管理」 holding one 突发事件应急预案), never for a bare 「通知公告」.
                lean = self._scored(self.column_label.get(root.url) or root.label).get(iid)
                enough = (k >= 2 and k / n >= CONTENT_SHARE) or (
                    not have and k == 1 and n <= 2 and lean is not None and lean.score >= 0.1)
                if not enough or self.decisions.rejected(root.url, iid):
                    continue
                if iid in have:
                    c = have[iid]
                    if c.state == "review":  # the contents settle a doubtful or tied label
                        c.state = "auto"
                        c.score = max(c.score, AUTO)
                        c.reason = c.reason.split("；")[0] + f"；栏目中{k}/{n}篇文章属于该事项"
                        settled = True
                    continue
                if have and it.category not in categories:
                    continue  # a column gathers items of one catalog category
                label = self.column_label.get(root.url) or root.label
                score = round(min(0.9, 0.6 + 0.4 * k / n), 3)
                method = "navigation" if crawl.is_disclosure(root.url) and got else "similarity"
                added.append(Candidate(iid, score, method,
                                       f"栏目「{label}」中{k}/{n}篇文章属于{self._item_name(iid)}"))
            if not added and not settled:
                continue
            if got:
                target, page_id, cands = got
                kept = [c for c in cands if c.state != "review"]  # the contents settle a tie
                self.result[root.url] = (target, page_id, kept + added)
            else:
                self.result[root.url] = ("column", root.id, added)

    # -- articles and entries --------------------------------------------------------------
    def _children(self) -> None:
        crawl = self.crawl
        urls = set(crawl.parents_of)
        for p in crawl.pages.values():
            if p.kind == "article" and p.ok:
                urls.add(p.url)
        for url in sorted(urls):
            if url in self.result or url in self.columns:
                continue  # a column (a one-article column renders as the article; a category page lists columns)
            page = crawl.pages.get(url)
            if page is not None and page.kind == "list":
                continue
            if page is not None and page.kind == "attachment" or url in crawl.attachment_urls:
                continue  # files are handled with their linking page
            title = (page.title if page else None) or crawl.entry_title.get(url) or ""
            target = "article" if page is not None and page.kind in ("article", "other") else "entry"
            parents = []
            contained = False
            for root_id in crawl.parents_of.get(url, []):
                root = crawl.by_id.get(root_id)
                if root is not None:
                    contained = contained or root.url in self.columns
                    for c in self._active(root.url):
                        parents.append((root, c))
            self._inherit_or_own(url, target, page, title, parents, "栏目", contained=contained)

    def _inherit_or_own(self, url: str, target: str, page: _Page | None, title: str,
                        parents: list[tuple[_Page | str, Candidate]], parent_kind: str, *,
                        contained: bool = False) -> None:
        """Inherit the parents' item, or fall back to the title. ``contained``: the page sits in a
        column (or file in a page) that matched nothing — a news list; its titles then need to be
        sure on their own, a maybe from a 通知公告 list is not worth a reviewer's time."""
        own = self._scored(title)
        if parents:
            # Best parent item, helped by what the title itself says.
            ranked = sorted(parents, key=lambda pc: -(pc[1].score + 0.5 * (own[pc[1].item_id].score
                                                                         if pc[1].item_id in own else 0)))
            parent, pc = ranked[0]
            best_own = self._title_item(title)
            p_own = own[pc.item_id].score if pc.item_id in own else 0.0
            if (best_own is not None and best_own.item_id not in {c.item_id for _, c in parents}
                    and best_own.score >= MOVE_MIN and best_own.score - p_own >= CLEAR_MARGIN
                    and self._odd_one_out(parent, best_own.item_id)
                    and not self.decisions.rejected(url, best_own.item_id)):
                c = Candidate(best_own.item_id, round(best_own.score, 3), "similarity",
                              f"标题「{_short(title)}」明确属于{self._item_name(best_own.item_id)}"
                              f"（所在{parent_kind}对应{self._item_name(pc.item_id)}）")
                self._choose(url, target, page, [c])
                return
            cands = []
            seen = set()
            for parent, pc in ranked:
                if pc.item_id in seen:
                    continue
                seen.add(pc.item_id)
                if parent_kind == "栏目":
                    label = self.column_label.get(parent.url, parent.label)
                    reason = f"位于栏目「{label}」下，该栏目对应{self._item_name(pc.item_id)}"
                else:
                    plabel = parent.title or parent.url
                    reason = f"{parent_kind}「{_short(plabel)}」的附件，该{parent_kind}对应{self._item_name(pc.item_id)}"
                score = pc.score * INHERIT_FACTOR
                if pc.state in ("auto", "confirmed"):
                    score = max(score, AUTO)  # as sure as the column it sits in
                c = Candidate(pc.item_id, round(score, 3), "inherited", reason)
                c.state = "auto" if pc.state == "confirmed" else pc.state
                cands.append(c)
            chosen = self._choose_inherited(url, target, page, cands, own)
            if any(c.state == "auto" for c in chosen) or self.decisions.assigned(url):
                return
            if chosen:
                # Under a column still waiting for review: the reviewer decides the column once,
                # its articles follow on the next run; meanwhile only their own title counts.
                del self.result[url]
        cands = []
        for iid, sc in own.items():
            if sc.how == "ngram":
                continue  # a page outside matched columns needs a verbatim phrase
            s = self._prior(page, iid, sc.score, weak=True)
            where = self._site_name(page, url) if page is not None else ""
            cands.append(Candidate(iid, round(s, 3), "similarity",
                                   f"{where}{TARGET_ZH.get(target, '')}标题「{_short(title)}」与{self._item_name(iid)}相符"
                                   f"（含「{sc.phrase}」）"))
        self._choose(url, target, page, cands, standalone=True, quiet=contained)

    def _odd_one_out(self, parent: Any, item_id: str) -> bool:
        """Whether titles naming ``item_id`` are a minority in the parent column: one misfiled
        document moves to its item, but when most of a column reads like another item, the
        column's wording (not each title) is what the catalog item is called there."""
        if not isinstance(parent, _Page) or parent.url not in self.contents:
            return True
        named, n = self.contents[parent.url]
        return named[item_id] / max(n, 1) < 0.5

    def _choose_inherited(self, url: str, target: str, page: _Page | None, cands: list[Candidate],
                          own: dict[str, ItemScore]) -> list[Candidate]:
        if self.decisions.assigned(url):
            return self._choose(url, target, page, cands)
        live = [c for c in cands if not self.decisions.rejected(url, c.item_id)]
        if len(live) > 1:
            # Several parent items (a tied column, or two columns): the title picks one if it can.
            ranked = sorted(live, key=lambda c: -(own[c.item_id].score if c.item_id in own else 0))
            first = own[ranked[0].item_id].score if ranked[0].item_id in own else 0
            second = own[ranked[1].item_id].score if ranked[1].item_id in own else 0
            if first >= AUTO and first - second >= 0.15:
                ranked[0].state = "auto"
                ranked[0].reason += "，标题亦相符"
                live = [ranked[0]]
            elif all(c.state == "auto" for c in live[:2]) and live[0].score - live[1].score >= TIE_MARGIN:
                live = [max(live, key=lambda c: c.score)]
        rejected = [c for c in cands if self.decisions.rejected(url, c.item_id)]
        for c in rejected:
            c.state = "rejected"
        if not live:
            if rejected:
                self.result[url] = (target, page.id if page else None, rejected)
            return []
        self.result[url] = (target, page.id if page else None, live + rejected)
        return live

    # -- attachments -----------------------------------------------------------------------
    def _attachments(self) -> None:
        crawl = self.crawl
        by_url: dict[str, list[dict]] = defaultdict(list)
        for a in crawl.attachments:
            by_url[a["url"]].append(a)
        # Files listed directly as entries of a list are attachments of that column.
        for url, roots in crawl.parents_of.items():
            page = crawl.pages.get(url)
            if (page is not None and page.kind == "attachment") or (page is None and _is_attachment_url(url)):
                for root_id in roots:
                    by_url[url].append({"page_id": root_id, "url": url, "name": crawl.entry_title.get(url),
                                        "file_page_id": page.id if page else None})
        for url in sorted(by_url):
            if url in self.result:
                continue
            refs = by_url[url]
            page = crawl.pages.get(url)
            names = [r["name"] for r in refs if r.get("name")]
            title = (page.title if page and page.title else None)
            own_text = " ".join(dict.fromkeys([*(names[:1]), *([title] if title else [])]))
            parents: list[tuple[Any, Candidate]] = []
            kind = "文章"
            for r in refs:
                parent = crawl.by_id.get(r["page_id"])
                if parent is None:
                    continue
                parent = crawl.root_of(parent)
                for c in self._active(parent.url):
                    parents.append((parent, c))
                    if self.result[parent.url][0] == "column":
                        kind = "栏目"
            contained = any(crawl.by_id.get(r["page_id"]) is not None for r in refs)
            self._inherit_or_own(url, "attachment", page, own_text, parents, kind, contained=contained)

    # -- run -------------------------------------------------------------------------------
    def run(self) -> dict[str, tuple[str, int | None, list[Candidate]]]:
        self._column_candidates()
        self._breadcrumb_members()
        self._infer_from_contents()
        self._children()
        self._attachments()
        return self.result


def _span(text: str, sc: ItemScore) -> tuple[str, int, int]:
    norm = normalize(text)
    if sc.how == "phrase" and sc.phrase:
        start = norm.find(normalize(sc.phrase))
        if start >= 0:
            return norm, start, start + len(normalize(sc.phrase))
    return norm, 0, len(norm)


def _separate(a: tuple[str, int, int] | None, b: tuple[str, int, int] | None) -> bool:
    """Two deciding phrases in the same label that do not overlap."""
    if a is None or b is None or a[0] != b[0]:
        return False
    return a[2] <= b[1] or b[2] <= a[1]


def _short(text: str, n: int = 40) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Public API


def match_all(db: Any, cfg: Any, scan_id: int | None = None) -> MatchStats:
    """Recompute every match from the stored crawl and the review decisions; write ``matches``."""
    result = Matcher(db, cfg).run()
    stats = MatchStats(scan_id=scan_id)
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        existing = {(r[0], r[1]) for r in conn.execute("SELECT item_id, url FROM matches")}
        produced = set()
        for url, (target, page_id, cands) in result.items():
            for c in cands:
                produced.add((c.item_id, url))
                conn.execute(
                    """INSERT INTO matches (item_id, page_id, url, target, score, reason, method, state,
                       first_matched_scan, last_matched_scan) VALUES (?,?,?,?,?,?,?,?,?,?)
                       ON CONFLICT(item_id, url) DO UPDATE SET page_id=excluded.page_id, target=excluded.target,
                       score=excluded.score, reason=excluded.reason, method=excluded.method, state=excluded.state,
                       last_matched_scan=excluded.last_matched_scan""",
                    (c.item_id, page_id, url, target, float(c.score), c.reason, c.method, c.state, scan_id, scan_id))
                stats.total += 1
                setattr(stats, c.state, getattr(stats, c.state) + 1)
                stats.by_method[c.method] = stats.by_method.get(c.method, 0) + 1
                stats.by_target[target] = stats.by_target.get(target, 0) + 1
        for item_id, url in existing - produced:
            conn.execute("DELETE FROM matches WHERE item_id=? AND url=?", (item_id, url))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    matched = {r[0] for r in db.execute("SELECT DISTINCT item_id FROM matches WHERE state IN ('auto','confirmed')")}
    stats.items_matched = len(matched)
    stats.items_total = len(catalog_items(cfg))
    return stats


def _page_identity(db: Any, url: str) -> tuple[str | None, str | None, str | None, int | None]:
    """(title_key, fingerprint, target, page_id) for a URL from pages, entries or attachments."""
    found = rows(db, "SELECT id, kind, title, column_name, fingerprint FROM pages WHERE url=?", (url,))
    if found:
        p = found[0]
        target = {"list": "column", "attachment": "attachment"}.get(p["kind"] or "", "article")
        return title_key(p["title"] or p["column_name"]) or None, p["fingerprint"], target, p["id"]
    e = rows(db, "SELECT title FROM entries WHERE url=? LIMIT 1", (url,))
    if e:
        return title_key(e[0]["title"]) or None, None, "entry", None
    a = rows(db, "SELECT name FROM attachments WHERE url=? LIMIT 1", (url,))
    if a:
        return title_key(a[0]["name"]) or None, None, "attachment", None
    m = rows(db, "SELECT target FROM matches WHERE url=? LIMIT 1", (url,))
    if m:
        return None, None, m[0]["target"], None
    return None, None, None, None


def _decide(db: Any, item_id: str, url: str, decision: str, by: str | None, note: str | None,
            known_items: Iterable[str] | None) -> None:
    item_id = str(item_id).strip()
    url = url.strip()
    if known_items is not None and item_id not in set(known_items):
        raise MatchError(f"目录中没有事项 {item_id}")
    if not url.startswith(("http://", "https://")):
        raise MatchError(f"网址应以 http:// 或 https:// 开头：{url}")
    canon = _canon(url)
    # The stored page first, also when the pasted URL writes its query in another order.
    base = urlunsplit(urlsplit(canon)[:3] + ("", ""))
    for other in [r[0] for r in db.execute("SELECT url FROM pages WHERE url LIKE ?", (base + "%",))]:
        if other == canon or _eval_key(other) == _eval_key(canon):
            canon = other
            break
    key, fp, target, page_id = _page_identity(db, canon)
    if target is None and url != canon:
        key, fp, target, page_id = _page_identity(db, url)
        if target is not None:
            canon = url
    if target is None:
        raise MatchError(f"数据库中没有这个网址（请先扫描）：{url}")
    by = by or os.environ.get("USER") or "审核人"
    now = clock.now().isoformat(timespec="seconds")
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            """INSERT INTO match_decisions (item_id, url, title_key, fingerprint, decision, decided_by, decided_at, note)
               VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(item_id, url) DO UPDATE SET title_key=excluded.title_key,
               fingerprint=excluded.fingerprint, decision=excluded.decision, decided_by=excluded.decided_by,
               decided_at=excluded.decided_at, note=excluded.note""",
            (item_id, canon, key, fp, decision, by, now, note))
        # Reflect the decision at once; the next match_all also re-derives everything under it.
        if decision == "reject":
            conn.execute("UPDATE matches SET state='rejected', reason=reason || ? WHERE item_id=? AND url=?",
                         (f"；{by}人工否决", item_id, canon))
        else:
            verb = "指定" if decision == "assign" else "确认"
            if decision == "assign" and target == "article":
                target = "column"  # an assigned page acts as a column: its files inherit the item
            cur = conn.execute("UPDATE matches SET state='confirmed', method=CASE WHEN ?='assign' THEN 'manual' "
                               "ELSE method END, score=CASE WHEN ?='assign' THEN 1.0 ELSE score END, "
                               "reason=reason || ? WHERE item_id=? AND url=?",
                               (decision, decision, f"；{by}人工{verb}", item_id, canon))
            if cur.rowcount == 0:
                conn.execute("INSERT INTO matches (item_id, page_id, url, target, score, reason, method, state) "
                             "VALUES (?,?,?,?,?,?,?,?)",
                             (item_id, page_id, canon, target, 1.0, f"{by}人工{verb}对应事项{item_id}", "manual",
                              "confirmed"))
            # One page, one item: a person's choice ends the other candidates for this URL.
            conn.execute("DELETE FROM matches WHERE url=? AND item_id<>? AND state IN ('auto','review')",
                         (canon, item_id))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def confirm_match(db: Any, item_id: str, url: str, by: str | None = None, *, note: str | None = None,
                  known_items: Iterable[str] | None = None) -> None:
    """A person confirms that the page at ``url`` is evidence of ``item_id``."""
    _decide(db, item_id, url, "confirm", by, note, known_items)


def reject_match(db: Any, item_id: str, url: str, by: str | None = None, *, note: str | None = None,
                 known_items: Iterable[str] | None = None) -> None:
    """A person rejects the match; it stays rejected in later scans and after URL moves."""
    _decide(db, item_id, url, "reject", by, note, known_items)


def assign_column(db: Any, item_id: str, url: str, by: str | None = None, *, note: str | None = None,
                  known_items: Iterable[str] | None = None) -> None:
    """A person assigns a column (or page) to an item; its articles inherit it from the next match run."""
    _decide(db, item_id, url, "assign", by, note, known_items)


def list_matches(db: Any, *, review_only: bool = False, item_id: str | None = None) -> list[dict]:
    sql = "SELECT item_id, target, url, score, reason, method, state FROM matches"
    where, params = [], []
    if review_only:
        where.append("state = 'review'")
    if item_id:
        where.append("item_id = ?")
        params.append(item_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    found = rows(db, sql, params)
    order = {"column": 0, "article": 1, "entry": 2, "attachment": 3}
    found.sort(key=lambda r: (id_key(r["item_id"]), order.get(r["target"], 9), -r["score"], r["url"]))
    return found


# ---------------------------------------------------------------------------------------------
# Evaluation against a testbed ground truth


def evaluate_matching(db: Any, ground_truth: dict) -> dict[str, Any]:
    """Precision/recall of item↔URL pairs (auto + confirmed) against the ground truth's
    ``items[*].columns`` and ``items[*].evidence``. Pages the ground truth does not tie to an item
    count as false positives when matched."""
    truth: set[tuple[str, str]] = set()
    for iid, it in (ground_truth.get("items") or {}).items():
        for col in it.get("columns") or []:
            truth.add((str(iid), _eval_key(col)))
        for ev in it.get("evidence") or []:
            if ev.get("url"):
                truth.add((str(iid), _eval_key(ev["url"])))
    predicted = {(r["item_id"], _eval_key(r["url"])) for r in
                 rows(db, "SELECT item_id, url FROM matches WHERE state IN ('auto','confirmed')")}
    info = {(r["item_id"], _eval_key(r["url"])): r for r in rows(db, "SELECT * FROM matches")}
    tp = truth & predicted
    fp = predicted - truth
    fn = truth - predicted
    precision = len(tp) / len(predicted) if predicted else (1.0 if not truth else 0.0)
    recall = len(tp) / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    known = {_eval_key(r[0]) for r in db.execute("SELECT url FROM pages UNION SELECT url FROM entries "
                                               "UNION SELECT url FROM attachments")}
    truth_items: dict[str, set[str]] = defaultdict(set)
    for iid, url in truth:
        truth_items[url].add(iid)
    errors = []
    for iid, url in sorted(fp, key=lambda p: (id_key(p[0]), p[1])):
        r = info.get((iid, url), {})
        errors.append({"type": "false_positive", "item": iid, "url": url, "expected": sorted(truth_items.get(url, [])),
                       "score": r.get("score"), "method": r.get("method"), "reason": r.get("reason")})
    for iid, url in sorted(fn, key=lambda p: (id_key(p[0]), p[1])):
        r = info.get((iid, url))
        others = [k for (k, u), v in info.items() if u == url and v["state"] in ("auto", "confirmed", "review")]
        errors.append({"type": "missed", "item": iid, "url": url, "crawled": url in known,
                       "state": r["state"] if r else None, "matched_as": sorted(others)})
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_positives": len(tp), "false_positives": len(fp), "missed": len(fn),
            "missed_not_crawled": sum(1 for _, u in fn if u not in known),
            "truth": len(truth), "predicted": len(predicted), "errors": errors}


# ---------------------------------------------------------------------------------------------
# CLI


def _open(config_path: str):
    from monitor.cli import fail
    from monitor.config import ConfigError, load_config
    from monitor.store import open_db

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    except FileNotFoundError:
        fail(f"找不到配置文件 {config_path}")
    return cfg, open_db(cfg.database_path)


def _cli_options(f):
    from monitor.cli import config_option
    return config_option(f)


@click.command("matches")
@_cli_options
@click.option("--review", "review_only", is_flag=True, help="Only matches waiting for review.")
@click.option("--item", "item_id", default=None, help="Only this catalog item.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def matches_command(config_path: str, review_only: bool, item_id: str | None, as_json: bool) -> None:
    """列出页面与目录事项的匹配（事项、对象、网址、分数、理由、状态）。"""
    from monitor.cli import fail

    cfg, db = _open(config_path)
    items = {i.id: i for i in catalog_items(cfg)}
    if item_id is not None and item_id not in items:
        fail(f"目录中没有事项 {item_id}")
    found = list_matches(db, review_only=review_only, item_id=item_id)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("没有待审核的匹配。" if review_only else "没有匹配记录（请先运行 xxgk scan）。")
        return
    header = ["事项", "对象", "网址", "分数", "理由", "状态"]
    table = [header]
    for r in found:
        it = items.get(r["item_id"])
        name = f"{r['item_id']} {it.label}" if it else r["item_id"]
        table.append([name, TARGET_ZH.get(r["target"], r["target"]), r["url"], f"{r['score']:.2f}",
                      r["reason"], STATE_ZH.get(r["state"], r["state"])])
    click.echo(_render(table))
    counts = Counter(r["state"] for r in found)
    click.echo("共 {} 条：".format(len(found)) + "，".join(f"{STATE_ZH.get(k, k)} {v}" for k, v in counts.items()))


def _width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _render(table: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    # Reasons are long: let the last-but-one column run free instead of padding everything.
    lines = []
    for row in table:
        cells = [cell + " " * (widths[i] - _width(cell)) if i < len(row) - 2 else cell for i, cell in enumerate(row)]
        lines.append("  ".join(cells[:-2]) + "  " + cells[-1] + "  " + cells[-2])
    return "\n".join(lines)


@click.command("match")
@click.argument("action", type=click.Choice(["confirm", "reject", "assign"]))
@click.argument("item_id")
@click.argument("url")
@_cli_options
@click.option("--by", default=None, help="Who decided (default: the login name).")
@click.option("--note", default=None, help="A note kept with the decision.")
def match_command(action: str, item_id: str, url: str, config_path: str, by: str | None, note: str | None) -> None:
    """确认、否决匹配，或把栏目指定给事项：xxgk match confirm|reject|assign 事项 网址。"""
    from monitor.cli import fail

    cfg, db = _open(config_path)
    items = {i.id: i for i in catalog_items(cfg)}
    fn = {"confirm": confirm_match, "reject": reject_match, "assign": assign_column}[action]
    try:
        fn(db, item_id, url, by, note=note, known_items=items)
    except MatchError as exc:
        fail(str(exc))
    verb = {"confirm": "已确认", "reject": "已否决", "assign": "已指定"}[action]
    it = items[item_id.strip()]
    click.echo(f"{verb}：事项{it.id}（{it.label}） ↔ {url}。此决定在以后的扫描中保持有效。")
