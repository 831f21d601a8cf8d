"""What the dashboard knows about one school: catalog, units, database, and item statuses.

This is the only place that reads the config object and calls ``monitor.assess``; the rest of the
dashboard works with the small dataclasses below. Statuses are cached per
(as-of day, latest scan, match decisions) because assessing every item over a large page history
is the expensive step and the answer only changes when one of those changes.
"""
from __future__ import annotations

import ipaddress
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlite_utils

from monitor import store

# Display order of statuses (worst last in the heat map reads left→right from good to bad).
STATUSES: tuple[str, ...] = ("ok", "due_soon", "overdue", "missing", "blank", "undated", "unreachable")
_DEFAULT_LABELS = {
    "ok": "正常", "due_soon": "即将到期", "overdue": "逾期", "missing": "未找到栏目",
    "blank": "空白栏目", "undated": "无日期", "unreachable": "无法访问",
}
ON_TIME = ("ok", "due_soon")


def status_labels() -> dict[str, str]:
    """Chinese status names; ``monitor.assess.STATUS_LABELS`` wins where it exists."""
    labels = dict(_DEFAULT_LABELS)
    try:
        from monitor.assess import STATUS_LABELS
    except ImportError:
        return labels
    labels.update({k: v for k, v in STATUS_LABELS.items() if v})
    return labels


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a dataclass/pydantic object or a mapping."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


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


def rule_description(rule: Any) -> tuple[str, str]:
    """(kind, Chinese description) of a catalog rule in any of its accepted forms."""
    if rule is None:
        return "", "未设定"
    try:
        from monitor.rules import parse_rule

        parsed = parse_rule(rule.to_dict() if hasattr(rule, "to_dict") else rule)
        return parsed.kind, parsed.describe()
    except Exception:  # a rule the engine rejects is shown as written, not hidden
        kind = str(get(rule, "kind") or rule)
        return kind, kind


def db_path_of(cfg: Any, config_path: str | Path | None = None) -> Path:
    for name in ("database_path", "db_path", "database", "db"):
        value = get(cfg, name)
        if isinstance(value, (str, Path)) and value:
            return Path(value)
    raise ValueError("配置中没有数据库路径")


def unit_names_of(cfg: Any) -> dict[str, str]:
    raw = get(cfg, "units") or {}
    entries = raw.items() if isinstance(raw, Mapping) else ((get(u, "id"), u) for u in raw)
    out: dict[str, str] = {}
    for uid, unit in entries:
        if uid is None:
            continue
        out[str(uid)] = unit if isinstance(unit, str) else (get(unit, "name") or str(uid))
    return out


def unit_ids_of(cfg: Any) -> set[str]:
    return set(unit_names_of(cfg))


def school_name_of(cfg: Any) -> str:
    school = get(cfg, "school")
    if isinstance(school, str) and school:
        return school
    return get(school, "name") or get(cfg, "name") or "本校"


def site_key(url: str) -> str:
    return url.strip().rstrip("/").lower()


def _sites_of(cfg: Any) -> dict[str, str | None]:
    refs = getattr(cfg, "all_sites", None)
    if not callable(refs):
        return {}
    try:
        return {site_key(r.url): r.unit_id for r in refs()}
    except Exception:  # a partial config without sites: names fall back to host names
        return {}


def trusted_proxies_of(cfg: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``dashboard.trusted_proxies`` as networks (the config has validated them)."""
    found = get(get(cfg, "dashboard"), "trusted_proxies") or []
    return tuple(ipaddress.ip_network(str(p).strip(), strict=False) for p in found)


def load_estate_config(config_path: str | Path) -> Any:
    """Load the school config; user mistakes end in one Chinese line (``monitor.cli.fail``)."""
    from monitor.cli import fail
    from monitor.config import ConfigError, load_config

    if not Path(config_path).exists():
        fail(f"找不到配置文件 {config_path}（用 --config 指定，或先运行 xxgk testbed / xxgk demo 生成）")
    try:
        return load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))


@dataclass
class Estate:
    db_path: Path
    school: str
    categories: list[Category]
    items: list[Item]
    units: dict[str, str]
    secret_key: str | None = None
    office: str = "信息公开办公室"   # items without a unit belong to the office
    cfg: Any = None
    config_path: Path | None = None
    _cache: dict[tuple, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    generation: int = 0  # bumped by every decision made through the dashboard
    sites: dict[str, str | None] = field(default_factory=dict)  # site URL key -> unit id (None: disclosure)
    # Reverse proxies whose X-Forwarded-For / X-Real-IP is believed (dashboard.trusted_proxies).
    trusted_proxies: tuple = ()

    @classmethod
    def from_config(cls, cfg: Any, config_path: str | Path | None = None) -> "Estate":
        catalog = get(cfg, "catalog_obj") or get(cfg, "catalog")
        categories = [Category(str(get(c, "id")), str(get(c, "name") or get(c, "id")))
                      for c in (get(catalog, "categories") or [])]
        items = []
        for it in get(catalog, "items") or []:
            if get(it, "ignore"):  # the school declared the item not applicable
                continue
            kind, text = rule_description(get(it, "rule"))
            items.append(Item(id=str(get(it, "id")), category=str(get(it, "category") or ""),
                              title=str(get(it, "title") or get(it, "id")), short=str(get(it, "short") or ""),
                              unit=str(get(it, "unit")) if get(it, "unit") else None,
                              rule_kind=kind, rule_text=text))
        dash = get(cfg, "dashboard")
        path = config_path or get(cfg, "path")
        return cls(db_path=db_path_of(cfg), school=school_name_of(cfg), categories=categories, items=items,
                   units=unit_names_of(cfg), secret_key=get(dash, "secret_key") or None,
                   office=get(get(cfg, "office"), "name") or "信息公开办公室", cfg=cfg,
                   config_path=Path(path) if path else None, sites=_sites_of(cfg),
                   trusted_proxies=trusted_proxies_of(cfg))

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
    def _stamp(self, db: sqlite_utils.Database) -> tuple:
        scan = db.execute("SELECT MAX(id) FROM scans WHERE status = 'done'").fetchone()[0]
        decisions = db.execute("SELECT COUNT(*), MAX(decided_at), MAX(id) FROM match_decisions").fetchone()
        return scan, tuple(decisions), self.generation

    def statuses(self, db: sqlite_utils.Database, as_of: date) -> dict[str, ItemState]:
        """Every catalog item's state as of a day (cached until a scan or a decision changes it)."""
        key = (as_of.isoformat(), *self._stamp(db))
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = self._assess(db, as_of)
        if result is None:  # monitor.assess not installed: show what the last scan stored
            result = self._stored(db, as_of, key[1], key[2]) or {}
        with self._lock:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = result
        return result

    def _stored(self, db: sqlite_utils.Database, as_of: date, scan_id: int | None,
                decisions: tuple) -> dict[str, ItemState] | None:
        """The assessment the last scan stored for this day, if nothing changed since."""
        if scan_id is None:
            return None
        found = store.rows(db, "SELECT * FROM assessments WHERE as_of = ? AND scan_id = ?",
                           (as_of.isoformat(), scan_id))
        if not found or len(found) < len(self.items):
            return None
        last_decision = decisions[1]
        if last_decision and any((r["computed_at"] or "") < last_decision for r in found):
            return None
        return {str(r["item_id"]): ItemState(str(r["item_id"]), r["status"], r["reason"] or "",
                                             r["last_changed"], r["last_changed_source"], r["due"], r["unit"])
                for r in found}

    def _assess(self, db: sqlite_utils.Database, as_of: date) -> dict[str, ItemState] | None:
        if self.cfg is None:
            return None
        try:
            from monitor.assess import assess_all
        except ImportError:
            return None
        out: dict[str, ItemState] = {}
        for s in assess_all(db, self.cfg, as_of):
            iid = str(get(s, "item_id") or get(s, "id"))
            unit = get(s, "unit")
            evidence = tuple(
                {"url": get(e, "url"), "title": get(e, "title"), "date": _iso(get(e, "date")),
                 "source": get(e, "date_source"), "kind": get(e, "kind"), "via": get(e, "via"),
                 "page_id": get(e, "page_id")} for e in (get(s, "evidence") or []))
            out[iid] = ItemState(iid, str(get(s, "status")), str(get(s, "reason") or ""),
                                 _iso(get(s, "last_changed")), get(s, "last_changed_source"), _iso(get(s, "due")),
                                 str(unit) if unit else None, evidence)
        return out

    def cached(self, db: sqlite_utils.Database, key: tuple, compute: Any) -> Any:
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


def connect(path: Path) -> sqlite_utils.Database:
    """One connection per thread and database (sqlite3 connections must not be shared mid-query)."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    db = conns.get(str(path))
    if db is None:
        db = conns[str(path)] = store.open_db(path)
    return db
