"""What the passes share: the catalog items and their text index, the crawl, the decisions, and the
table of chosen candidates the passes fill in order (:class:`Context`), with the read-only questions
they ask of it (an item's name, what a text says, the unit prior)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Iterable

from monitor.catalog import CatalogItem
from monitor.config import Config
from monitor.matching import scoring
from monitor.matching.crawl import Crawl, Page, canon, netloc
from monitor.matching.decisions import Decisions, load_decisions
from monitor.matching.textsim import CatalogIndex, ItemScore, ItemText, clean_label, normalize
from monitor.store.engine import Database


@dataclass
class Candidate:
    item_id: str
    score: float
    method: str
    reason: str
    state: str = "auto"
    span: tuple[str, int, int] | None = None   # (label, start, end) of the deciding phrase


Target = str                                          # KIND code: column / article / entry / attachment
Chosen = tuple[Target, int | None, list[Candidate]]   # (target, page id, candidates) for one URL


def catalog_items(cfg: Config) -> list[CatalogItem]:
    """The catalog items that apply to the school (``ignore`` left out), with the config's ``items:``
    settings applied, the category name filled in and the ``columns`` URLs in canonical form."""
    catalog = cfg.catalog_obj
    cats = {str(c.id): c.name for c in catalog.categories}
    return [replace(it, category_name=it.category_name or cats.get(it.category, ""), unit=it.unit or None,
                    columns=[canon(c) for c in it.columns])
            for it in catalog.items if not it.ignore]


def build_index(items: Iterable[CatalogItem]) -> CatalogIndex:
    return CatalogIndex(ItemText(id=i.id, title=i.title or "", short=i.short or "", keywords=list(i.keywords),
                                 synonyms=list(i.synonyms), exclude=list(i.exclude), category=i.category or "",
                                 category_name=i.category_name, parent=i.parent or "",
                                 parent_name=i.parent_name or "", inherited=list(i.inherited)) for i in items)


@dataclass
class Context:
    items: dict[str, CatalogItem]
    index: CatalogIndex
    unit_names: dict[str, str]              # configured unit id -> name
    school: str
    crawl: Crawl
    decisions: Decisions
    cat_names: dict[str, str]               # normalised category name -> category id
    result: dict[str, Chosen] = field(default_factory=dict)   # url -> the chosen matches
    columns: set[str] = field(default_factory=set)            # column URLs (column_candidates)
    column_label: dict[str, str] = field(default_factory=dict)
    # column url -> (titles per clearly-named item, number of entries) (infer_from_contents)
    contents: dict[str, tuple[Counter[str], int]] = field(default_factory=dict)

    # -- names -------------------------------------------------------------------------------
    def item_name(self, item_id: str) -> str:
        it = self.items.get(item_id)
        return f"事项{item_id}「{it.name}」" if it else f"事项{item_id}"

    def site_name(self, page: Page | None, url: str) -> str:
        if page is not None and page.unit:
            return self.unit_names.get(page.unit, page.unit) + "网站"
        if self.crawl.is_disclosure(url):
            return "信息公开网"
        return f"{netloc(url)} 网站"

    # -- what a text says --------------------------------------------------------------------
    def category_of_text(self, text: str) -> str | None:
        norm = normalize(clean_label(text))
        if not norm:
            return None
        if norm in self.cat_names:
            return self.cat_names[norm]
        return None

    def scored(self, text: str | None) -> dict[str, ItemScore]:
        if not text or self.category_of_text(text):
            return {}
        text = clean_label(text)
        if self.school and len(text) > len(self.school) + 1:
            text = text.replace(self.school, " ")  # 「示例大学2019年…」: the name says nothing
        return self.index.scores(text)

    def title_item(self, title: str | None) -> ItemScore | None:
        """The one item a title clearly names (verbatim words, no close second), if any."""
        ranked = sorted(self.scored(title).values(), key=lambda s: -s.score)
        if not ranked or ranked[0].how == "ngram" or ranked[0].score < scoring.TITLE_CLEAR:
            return None
        if len(ranked) > 1 and ranked[0].score - ranked[1].score < scoring.TIE_MARGIN:
            return None
        return ranked[0]

    def prior(self, page: Page | None, item_id: str, score: float, *, weak: bool = False) -> float:
        """:func:`scoring.unit_prior` for ``page`` and ``item_id`` (no unit on either: no change)."""
        it = self.items.get(item_id)
        if page is None or it is None or not it.unit or not page.unit:
            return score
        return scoring.unit_prior(score, same_unit=page.unit == it.unit,
                                  other_known_unit=page.unit in self.unit_names, weak=weak)

    # -- the chosen table --------------------------------------------------------------------
    def active(self, url: str) -> list[Candidate]:
        got = self.result.get(url)
        if not got:
            return []
        return [c for c in got[2] if c.state != "rejected"]


def build_context(db: Database, cfg: Config) -> Context:
    items = {i.id: i for i in catalog_items(cfg)}
    crawl = Crawl(db, cfg.disclosure_site)
    return Context(
        items=items, index=build_index(items.values()),
        unit_names={str(u.id): u.name or str(u.id) for u in cfg.units},
        school=(cfg.school or "").strip(), crawl=crawl, decisions=load_decisions(db, crawl),
        cat_names={normalize(i.category_name): i.category for i in items.values() if i.category_name})
