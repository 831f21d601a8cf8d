"""Read the school catalog on its own (yaml.safe_load), independent of monitor.catalog.

The testbed's oracle must not share code with the product it checks, so this module resolves
`extends`, `drop`, `rename`, `split` and per-id overrides itself.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import config as _config_pkg

CONFIG_DIR = Path(_config_pkg.__file__).resolve().parent
NATIONAL_PATH = CONFIG_DIR / "catalog" / "national.yaml"
SCHOOL_CATALOG_PATH = CONFIG_DIR / "examples" / "shiyan-catalog.yaml"


@dataclass
class CatalogItem:
    id: str
    category: str
    title: str
    short: str
    unit: str | None
    rule: dict[str, Any]
    keywords: list[str] = field(default_factory=list)


@dataclass
class Catalog:
    name: str
    categories: dict[str, str]          # id -> name
    items: dict[str, CatalogItem]       # in catalog order


def _read(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _item(raw: dict) -> CatalogItem:
    return CatalogItem(
        id=str(raw["id"]), category=str(raw.get("category", "")), title=raw["title"],
        short=raw.get("short") or raw["title"], unit=raw.get("unit"),
        rule=dict(raw.get("rule") or {"kind": "on_change"}), keywords=list(raw.get("keywords") or []),
    )


def load_catalog(path: Path = SCHOOL_CATALOG_PATH) -> Catalog:
    return catalog_from_data(_read(path))


def catalog_from_data(data: dict) -> Catalog:
    """Resolve a school catalog given as parsed YAML (a generated estate's, before it is written)."""
    base: dict = {"categories": [], "items": []}
    if data.get("extends"):
        base_path = CONFIG_DIR / "catalog" / f"{data['extends']}.yaml"
        base = _read(base_path)
    categories = {str(c["id"]): c["name"] for c in base.get("categories", [])}
    categories.update({str(c["id"]): c["name"] for c in data.get("categories", []) or []})
    order: list[str] = []
    raw_items: dict[str, dict] = {}
    for raw in base.get("items", []):
        raw_items[str(raw["id"])] = copy.deepcopy(raw)
        order.append(str(raw["id"]))
    for item_id in data.get("drop", []) or []:
        raw_items.pop(str(item_id), None)
    for item_id, title in (data.get("rename") or {}).items():
        if str(item_id) in raw_items:
            raw_items[str(item_id)]["title"] = title
    for item_id, parts in (data.get("split") or {}).items():
        item_id = str(item_id)
        parent = raw_items.pop(item_id, {})
        pos = order.index(item_id) if item_id in order else len(order)
        new_ids = []
        for part in parts:
            merged = {k: v for k, v in parent.items() if k not in ("id", "title", "short")}
            merged.update(part)
            raw_items[str(part["id"])] = merged
            new_ids.append(str(part["id"]))
        order[pos:pos + 1] = new_ids
    for raw in data.get("items", []) or []:
        item_id = str(raw["id"])
        if item_id in raw_items:
            raw_items[item_id].update(raw)   # override only the given fields
        else:
            raw_items[item_id] = dict(raw)
            order.append(item_id)
    items = {i: _item(raw_items[i]) for i in order if i in raw_items}
    return Catalog(name=data.get("name", base.get("name", "")), categories=categories, items=items)
