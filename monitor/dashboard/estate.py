"""What the dashboard knows about one school: catalog, units, database, and item statuses.

This is the only place that reads the config object and calls ``monitor.assess``; the rest of the
dashboard works with the small dataclasses below. Statuses are cached per
(as-of day, latest scan, match decisions) because assessing every item over a large page history
is the expensive step and the answer only changes when one of those changes.
"""
from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from monitor import store
from monitor.assess import assess_all, candidate_to_json
from monitor.config import Config, ConfigError, load_config
from monitor.core.errors import UserError
from monitor.rules import describe_rule
from monitor.store.engine import Database

T = TypeVar("T")

# Statuses counted as on time (按时率); their names and display order are monitor.core.vocab.STATUS.
ON_TIME = ("ok", "due_soon")


def _iso(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


@dataclass(frozen=True)
class Category:
    id: str
    name: str


@dataclass(frozen=True)
class Item:
    id: str
    category: str
    title: str
    short: str
    unit: str | None
    rule_kind: str
    rule_text: str

    @property
    def name(self) -> str:
        return self.short or self.title


@dataclass(frozen=True)
class ItemState:
    item_id: str
    status: str
    reason: str
    last_changed: str | None
    last_changed_source: str | None
    due: str | None
    unit: str | None
    evidence: tuple[dict, ...] = ()   # what the assessment based its date on (newest first)
    # judged only from match candidates awaiting review (已找到·待确认); the candidates with their newest dates
    provisional: bool = False
    candidates: tuple[dict, ...] = ()


def site_key(url: str) -> str:
    return url.strip().rstrip("/").lower()


def load_estate_config(config_path: str | Path) -> Config:
    """Load the school config; a missing or invalid file raises ``UserError`` (one Chinese line)."""
    if not Path(config_path).exists():
        raise UserError(f"找不到配置文件 {config_path}（用 --config 指定，或先运行 xxgk testbed / xxgk demo 生成）")
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


@dataclass
class Estate:
    db_path: Path
    school: str
    categories: list[Category]
    items: list[Item]
    units: dict[str, str]
    cfg: Config
    secret_key: str | None = None
    office: str = "信息公开办公室"   # items without a unit belong to the office
    config_path: Path | None = None
    _cache: dict[tuple, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    generation: int = 0  # bumped by every decision made through the dashboard
    sites: dict[str, str | None] = field(default_factory=dict)  # site URL key -> unit id (None: disclosure)
    # Reverse proxies whose X-Forwarded-For / X-Real-IP is believed (dashboard.trusted_proxies).
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_config(cls, cfg: Config, config_path: str | Path | None = None) -> "Estate":
        catalog = cfg.catalog_obj
        categories = [Category(c.id, c.name or c.id) for c in catalog.categories]
        items = []
        for it in catalog.items:
            if it.ignore:  # the school declared the item not applicable
                continue
            kind, text = describe_rule(it.rule)
            items.append(Item(id=it.id, category=it.category or "", title=it.title or it.id, short=it.short or "",
                              unit=it.unit or None, rule_kind=kind, rule_text=text))
        return cls(db_path=cfg.database_path, school=cfg.school, categories=categories, items=items,
                   units={u.id: u.name for u in cfg.units}, cfg=cfg,
                   secret_key=cfg.dashboard.secret_key or None, office=cfg.office.name,
                   config_path=Path(config_path or cfg.path),
                   sites={site_key(r.url): r.unit_id for r in cfg.all_sites()},
                   trusted_proxies=tuple(ipaddress.ip_network(p, strict=False)
                                         for p in cfg.dashboard.trusted_proxies))

    # ------------------------------------------------------------------ lookups
    @property
    def item_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @property
    def category_by_id(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    def unit_name(self, unit: str | None) -> str:
        if not unit:
            return self.office
        return self.units.get(unit, unit)

    def site_name(self, url: str) -> str:
        """A reader's name for a site: 信息公开网, the owning unit's site, or its host."""
        key = site_key(url)
        if key in self.sites:
            unit = self.sites[key]
            return "信息公开网" if unit is None else f"{self.unit_name(unit)}网站"
        return urlsplit(url).netloc or url

    def sites_of_unit(self, unit: str | None) -> set[str]:
        """URL keys (``site_key``) of the configured sites a unit owns."""
        return {key for key, owner in self.sites.items() if owner is not None and owner == unit}

    def item_unit(self, item: Item, state: ItemState | None) -> str | None:
        return (state.unit if state and state.unit else None) or item.unit

    # ------------------------------------------------------------------ statuses
    def _stamp(self, db: Database) -> tuple:
        scan = db.execute("SELECT MAX(id) FROM scans WHERE status = 'done'").fetchone()[0]
        decisions = db.execute("SELECT COUNT(*), MAX(decided_at), MAX(id) FROM match_decisions").fetchone()
        return scan, tuple(decisions), self.generation

    def statuses(self, db: Database, as_of: date) -> dict[str, ItemState]:
        """Every catalog item's state as of a day (cached until a scan or a decision changes it)."""
        key = (as_of.isoformat(), *self._stamp(db))
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = self._assess(db, as_of)
        with self._lock:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = result
        return result

    def _assess(self, db: Database, as_of: date) -> dict[str, ItemState]:
        out: dict[str, ItemState] = {}
        for s in assess_all(db, self.cfg, as_of):
            evidence = tuple(
                {"url": e.url, "title": e.title, "date": _iso(e.date), "source": e.date_source, "kind": e.kind,
                 "via": e.via, "page_id": e.page_id} for e in s.evidence)
            out[s.id] = ItemState(s.id, s.status, s.reason or "", _iso(s.last_changed), s.last_changed_source,
                                  _iso(s.due), s.unit or None, evidence, s.provisional,
                                  tuple(candidate_to_json(c) for c in s.candidates))
        return out

    def cached(self, db: Database, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` cached like the statuses: until a scan or a decision changes the estate."""
        full = ("extra", *key, *self._stamp(db))
        with self._lock:
            if full in self._cache:
                return self._cache[full]
        value = compute()
        with self._lock:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[full] = value
        return value

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._cache.clear()


_local = threading.local()


def connect(path: Path) -> Database:
    """One connection per thread and database (sqlite3 connections must not be shared mid-query)."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    db = conns.get(str(path))
    if db is None:
        db = conns[str(path)] = store.open_db(path)
    return db
