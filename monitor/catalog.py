"""The disclosure catalog: the national list (10 categories, 50 items) and school catalogs.

A school catalog may ``extends: national`` (or another catalog file) and then ``drop`` items,
``rename`` them, ``split`` one item into sub-items (which inherit category, keywords, owner and
rule unless given), override an inherited item by repeating its id in ``items`` (only the fields
written are replaced), and add its own items and categories. Errors name file, line and field.
"""
from __future__ import annotations

import copy
import difflib
import re
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, ValidationError

from monitor.core.yamldoc import ConfigError, Text, Url, YamlDoc, pydantic_problems, read_yaml
from monitor.core.yamldoc import custom_error as _custom
from monitor.core.yamldoc import describe_input as _describe_input
from monitor.rules import Rule, RuleError, parse_rule

NATIONAL = "national"
DEFAULT_RULE = "on_change"   # items added without a rule: the legal baseline (20 working days after a change)


class CatalogError(ConfigError):
    """A catalog file that cannot be loaded; one ``file:line: field: 中文`` line per problem."""


def _check_rule(value: Any) -> Rule:
    try:
        return parse_rule(value)
    except RuleError as exc:
        raise _custom(f"更新规则无效：{exc}") from None


# An update rule in YAML (catalog items and the school config's ``items:`` overrides).
RuleField = Annotated[Rule, PlainValidator(_check_rule), PlainSerializer(lambda r: r.to_dict())]


@dataclass
class Category:
    id: str
    name: str


@dataclass
class CatalogItem:
    id: str
    category: str
    category_name: str
    title: str
    short: str | None = None
    keywords: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    unit: str | None = None
    rule: Rule = field(default_factory=lambda: parse_rule(DEFAULT_RULE))
    parent: str | None = None                  # the national id a split item came from
    parent_name: str | None = None             # … and its name (the part that keeps it inherits its general words)
    inherited: list[str] = field(default_factory=list)  # keywords/synonyms taken from that item, not written
    columns: list[str] = field(default_factory=list)   # known column URLs (school config / catalog)
    changes: list[date] = field(default_factory=list)  # known change dates (school config)
    ignore: bool = False                       # not applicable to this school (school config)

    @property
    def name(self) -> str:
        """Short display name (falls back to the full title)."""
        return self.short or self.title


@dataclass
class Catalog:
    name: str
    categories: list[Category]
    items: list[CatalogItem]
    path: Path | None = None
    source: str | None = None

    def item(self, item_id: str) -> CatalogItem | None:
        item_id = str(item_id)
        for it in self.items:
            if it.id == item_id:
                return it
        return None

    def __contains__(self, item_id: object) -> bool:
        return self.item(str(item_id)) is not None

    def category(self, category_id: str) -> Category | None:
        for c in self.categories:
            if c.id == str(category_id):
                return c
        return None

    def by_category(self) -> list[tuple[Category, list[CatalogItem]]]:
        """Categories in catalog order with their items (empty categories left out)."""
        out = []
        for c in self.categories:
            members = [it for it in self.items if it.category == c.id]
            if members:
                out.append((c, members))
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Catalog":
        """A copy with the school config's ``items:`` settings applied (unit, columns, rule,
        keywords/synonyms/exclude added, changes, ignore). Unknown ids are left to config validation."""
        result = copy.deepcopy(self)
        for item_id, ov in overrides.items():
            it = result.item(str(item_id))
            if it is None:
                continue
            if getattr(ov, "unit", None) is not None:
                it.unit = ov.unit
            if getattr(ov, "rule", None) is not None:
                it.rule = parse_rule(ov.rule)
            it.columns = _union(getattr(ov, "columns", []) or [], it.columns)
            it.keywords = _union(it.keywords, getattr(ov, "keywords", []) or [])
            it.synonyms = _union(it.synonyms, getattr(ov, "synonyms", []) or [])
            it.exclude = _union(it.exclude, getattr(ov, "exclude", []) or [])
            it.changes = sorted(set(it.changes) | set(getattr(ov, "changes", []) or []))
            it.ignore = bool(getattr(ov, "ignore", False)) or it.ignore
        return result


def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    out: list[str] = []
    for x in list(first) + list(second):
        if x not in out:
            out.append(x)
    return out


# ---------------------------------------------------------------- file format

def _check_id(value: Any) -> str:
    # YAML reads 7 as an int and 1.1 as a float; ids are strings ("50.10" must be quoted).
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _custom(f"事项/类别 id 应为文本（如 \"7\" 或 \"50.1\"），实际为 {_describe_input(value)}")
    text = str(value).strip()
    if not text or re.search(r"\s", text):
        raise _custom(f"id 不能为空或含空格，实际为 {value!r}")
    return text


Id = Annotated[str, PlainValidator(_check_id)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class RawCategory(_Model):
    id: Id
    name: Text


class RawItem(_Model):
    id: Id
    category: Id | None = None
    title: Text | None = None
    short: Text | None = None
    keywords: list[Text] | None = None
    synonyms: list[Text] | None = None
    exclude: list[Text] | None = None
    unit: str | None = None
    rule: RuleField | None = None
    columns: list[Url] | None = None


class RawCatalog(_Model):
    name: Text | None = None
    source: str | None = None
    version: str | int | None = None
    description: str | None = None
    extends: Text | None = None
    categories: list[RawCategory] = []
    items: list[RawItem] = []
    drop: list[Id] = []
    rename: dict[Id, Text] = {}
    split: dict[Id, list[RawItem]] = {}


# ---------------------------------------------------------------- loading

def national_path() -> Path:
    """The built-in national catalog shipped in the ``config`` package."""
    return Path(str(resources.files("config") / "catalog" / "national.yaml"))


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_cache: dict[tuple[str, int], Catalog] = {}


def load_catalog(spec: str, base_dir: Path | str = ".") -> Catalog:
    """Load ``"national"`` or a catalog file (relative to ``base_dir``, the config's folder)."""
    path = national_path() if spec == NATIONAL else _resolve(spec, Path(base_dir))
    if not path.exists():
        raise CatalogError(f"{_shown(path)}: 找不到事项清单文件（catalog 应为 national 或清单 YAML 文件的路径）")
    return copy.deepcopy(_load(path.resolve(), ()))


def _resolve(spec: str, base: Path) -> Path:
    p = Path(spec).expanduser()
    return p if p.is_absolute() else base / p


def _load(path: Path, stack: tuple[Path, ...]) -> Catalog:
    key = (str(path), path.stat().st_mtime_ns)
    if key in _cache:
        return _cache[key]
    shown = _shown(path)
    if path in stack:
        raise CatalogError(f"{shown}:1: extends: 清单之间循环继承（{' → '.join(_shown(p) for p in stack + (path,))}）")
    try:
        doc = read_yaml(path, name=shown)
    except ConfigError as exc:
        raise CatalogError(exc.problems) from None
    if not isinstance(doc.data, dict):
        raise CatalogError(f"{shown}:1: 事项清单顶层应为映射（name、categories、items 等）")
    try:
        raw = RawCatalog.model_validate(doc.data)
    except ValidationError as exc:
        raise CatalogError(pydantic_problems(exc, doc, RawCatalog)) from None
    parent: Catalog | None = None
    if raw.extends:
        target = national_path() if raw.extends == NATIONAL else _resolve(raw.extends, path.parent)
        if not target.exists():
            raise CatalogError(doc.problem(("extends",), f"找不到被继承的清单 \"{raw.extends}\""))
        parent = _load(target.resolve(), stack + (path,))
    catalog = _build(raw, parent, doc, path)
    _cache[key] = catalog
    return catalog


def _build(raw: RawCatalog, parent: Catalog | None, doc: YamlDoc, path: Path) -> Catalog:
    problems: list[str] = []
    categories = [replace(c) for c in parent.categories] if parent else []
    items = [copy.deepcopy(it) for it in parent.items] if parent else []

    def find(item_id: str) -> int | None:
        for i, it in enumerate(items):
            if it.id == item_id:
                return i
        return None

    def unknown(loc: tuple, item_id: str) -> str:
        near = difflib.get_close_matches(item_id, [it.id for it in items], n=1)
        hint = f"；是不是 \"{near[0]}\"？" if near else ""
        return doc.problem(loc, f"没有 id 为 \"{item_id}\" 的事项{hint}")

    seen_cats: set[str] = set()
    for i, rc in enumerate(raw.categories):
        if rc.id in seen_cats:
            problems.append(doc.problem(("categories", i, "id"), f"重复的类别 id \"{rc.id}\""))
        seen_cats.add(rc.id)
        existing = next((c for c in categories if c.id == rc.id), None)
        if existing is not None:
            existing.name = rc.name
        else:
            categories.append(Category(rc.id, rc.name))

    for i, item_id in enumerate(raw.drop):
        idx = find(item_id)
        if idx is None:
            problems.append(unknown(("drop", i), item_id))
        else:
            items.pop(idx)

    for item_id, title in raw.rename.items():
        idx = find(item_id)
        if idx is None:
            problems.append(unknown(("rename", item_id), item_id))
        else:
            items[idx].title = title

    for item_id, subs in raw.split.items():
        idx = find(item_id)
        if idx is None:
            problems.append(unknown(("split", item_id), item_id))
            continue
        if not subs:
            problems.append(doc.problem(("split", item_id), "拆分后的子事项列表不能为空"))
            continue
        orig = items[idx]
        new_items = []
        for j, sub in enumerate(subs):
            if sub.title is None:
                problems.append(doc.problem(("split", item_id, j), f"子事项 \"{sub.id}\" 缺少 title"))
                continue
            child = CatalogItem(
                id=sub.id, category=sub.category or orig.category, category_name="",
                title=sub.title, short=sub.short,
                keywords=list(sub.keywords) if sub.keywords is not None else list(orig.keywords),
                synonyms=list(sub.synonyms) if sub.synonyms is not None else list(orig.synonyms),
                exclude=list(sub.exclude) if sub.exclude is not None else list(orig.exclude),
                unit=sub.unit if sub.unit is not None else orig.unit,
                rule=sub.rule if sub.rule is not None else orig.rule,
                parent=orig.parent or orig.id, parent_name=orig.parent_name or orig.name,
                inherited=(list(orig.keywords) if sub.keywords is None else [])
                + (list(orig.synonyms) if sub.synonyms is None else []),
                columns=list(sub.columns) if sub.columns is not None else [],
            )
            new_items.append(child)
        items[idx:idx + 1] = new_items

    own_ids: set[str] = set()
    for i, ri in enumerate(raw.items):
        if ri.id in own_ids:
            problems.append(doc.problem(("items", i, "id"), f"重复的事项 id \"{ri.id}\""))
            continue
        own_ids.add(ri.id)
        idx = find(ri.id)
        given = ri.model_fields_set - {"id"}
        if idx is not None:                     # override an inherited item: only the fields written
            it = items[idx]
            for name in given:
                value = getattr(ri, name)
                if value is not None:
                    setattr(it, name, list(value) if isinstance(value, list) else value)
            continue
        missing = [name for name in ("category", "title") if getattr(ri, name) is None]
        if missing:
            problems.append(doc.problem(("items", i), f"新增事项 \"{ri.id}\" 缺少 {'、'.join(missing)}"))
            continue
        new = CatalogItem(
            id=ri.id, category=ri.category or "", category_name="", title=ri.title or "", short=ri.short,
            keywords=list(ri.keywords or []), synonyms=list(ri.synonyms or []), exclude=list(ri.exclude or []),
            unit=ri.unit, rule=ri.rule if ri.rule is not None else parse_rule(DEFAULT_RULE),
            columns=list(ri.columns or []),
        )
        # keep the list grouped by category: "5.1" goes after item 5 (and its earlier sub-items),
        # anything else after the last item of the same category
        prefix = new.id.rsplit(".", 1)[0] if "." in new.id else None
        last = None
        if prefix is not None:
            last = max((k for k, it in enumerate(items) if it.category == new.category
                        and (it.id == prefix or it.id.startswith(prefix + "."))), default=None)
        if last is None:
            last = max((k for k, it in enumerate(items) if it.category == new.category), default=None)
        items.insert(len(items) if last is None else last + 1, new)

    # consistency of the result
    cat_names = {c.id: c.name for c in categories}
    ids: set[str] = set()
    for it in items:
        if it.id in ids:
            problems.append(doc.problem(_item_loc(raw, it.id), f"重复的事项 id \"{it.id}\""))
        ids.add(it.id)
        if it.category not in cat_names:
            problems.append(doc.problem(_item_loc(raw, it.id) + ("category",),
                                        f"事项 \"{it.id}\" 的类别 \"{it.category}\" 不存在"
                                        f"（已有类别：{'、'.join(cat_names) or '无'}）"))
        else:
            it.category_name = cat_names[it.category]
    if not items and not problems:
        problems.append(doc.problem(("items",), "事项清单中没有任何事项"))
    if problems:
        raise CatalogError(problems)
    name = raw.name or (parent.name if parent else path.stem)
    return Catalog(name=name, categories=categories, items=items, path=path,
                   source=raw.source or (parent.source if parent else None))


def _item_loc(raw: RawCatalog, item_id: str) -> tuple:
    for i, ri in enumerate(raw.items):
        if ri.id == item_id:
            return ("items", i)
    for parent_id, subs in raw.split.items():
        for j, sub in enumerate(subs):
            if sub.id == item_id:
                return ("split", parent_id, j)
    return ()
