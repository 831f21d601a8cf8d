"""Write a draft as YAML: every value through yaml.safe_dump (site text is never formatted into YAML by hand);
evidence and 待核对 notes as comments, each collapsed to one printable line so no site text can end a comment."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.onboard.draft import Draft

COMMENT_CHARS = 160


def comment(text: str) -> str:
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return "# " + text[:COMMENT_CHARS]


def wrapped(text: str, prefix: str = "", lines: int = 4) -> list[str]:
    """Our own long note (not site text) as up to ``lines`` comment lines, each within the cap."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    width = COMMENT_CHARS - len(prefix)
    chunks = [text[i:i + width] for i in range(0, len(text), width)][:lines]
    return ["# " + prefix + chunk for chunk in chunks]


def _dump(data: Any, indent: int = 0) -> list[str]:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    # "\n" only: str.splitlines() would also break at characters a quoted scalar may hold
    return [" " * indent + line for line in text.rstrip("\n").split("\n")]


def catalog_yaml(draft: Draft) -> str:
    items = [{"id": o.id, "category": o.category, "title": o.title, "keywords": [o.title[:40], *o.keywords],
              **({"unit": o.unit_id} if o.unit_id else {}), **({"columns": o.columns} if o.columns else {})}
             for o in draft.own_items]
    lines = [comment(f"{draft.school}信息公开目录：由 xxgk init 起草，列出本校网站上国家清单之外的事项（来自信息公开目录页或导航）。"),
             comment("待核对：每个事项的类别（category）、更新规则（rule，默认 on_change）和关键词")]
    lines += _dump({"name": f"{draft.school}信息公开目录", "extends": "national"})
    lines.append("items:")
    for o, data in zip(draft.own_items, items):
        lines.append("  " + comment(f"依据：{o.evidence}"))
        lines += _dump([data], 2)
    return "\n".join(lines) + "\n"


def config_yaml(draft: Draft, catalog_ref: str) -> str:
    out = [comment(f"{draft.school} 学校配置草稿：由 xxgk init 从 {draft.disclosure_site} 起草"
                   f"（读取 {draft.pages_read} 个页面）。"),
           comment("请逐条核对标有“待核对”的内容，然后运行 xxgk check --config 本文件；说明见 docs/onboarding.md。")]
    for c in draft.checks:
        out += wrapped(c, "待核对：")
    if draft.school_evidence:
        out.append(comment(f"依据：学校名称读自{draft.school_evidence}"))
    if draft.own_items:
        out.append(comment(f"待核对：catalog 是本校事项清单 {catalog_ref}（国家清单 + 网站上另有的 "
                           f"{len(draft.own_items)} 项），请逐项确认"))
    out += _dump({"school": draft.school, "timezone": "Asia/Shanghai", "catalog": catalog_ref,
                  "database": "data/xxgk.db", "disclosure_site": draft.disclosure_site})
    out.append(comment("待核对：督办部门名称和联系人（contacts：name 与 notify 通知地址）"))
    out += _dump({"office": {"name": "信息公开办公室", "contacts": []}})
    if draft.units:
        out.append("units:")
        for u in draft.units:
            out.append("  " + comment(f"依据：{u.evidence}"))
            if not u.sites:
                out.append("  " + comment("待核对：未找到该单位的网站；如有，请在 sites 中填写"))
            data: dict[str, Any] = {"id": u.id, "name": u.name}
            if u.sites:
                data["sites"] = u.sites
            out += _dump([data], 2)
    else:
        out += ["units: []", comment("待核对：没有找到责任单位")]
    if draft.assignments:
        out.append("items:")
        for a in draft.assignments:
            out.append("  " + comment(f"{a.item_id} {a.title}"))
            for e in a.evidence:
                out.append("  " + comment(f"依据：{e}"))
            if not a.sure:
                out.append("  " + comment("待核对：栏目名称与事项只部分相符，请确认栏目地址"))
            data = {}
            if a.unit_id:
                data["unit"] = a.unit_id
            if a.columns:
                data["columns"] = a.columns
            out += _dump({a.item_id: data}, 2) if data else ["  " + _dump({a.item_id: {}})[0]]
    else:
        out += ["items: {}", comment("待核对：没有从导航或目录页推测出任何事项的栏目")]
    return "\n".join(out) + "\n"


def write_draft(draft: Draft, path: Path) -> list[Path]:
    """Write the config (and the school catalog next to it when the site lists items of its own)."""
    written: list[Path] = []
    catalog_ref = "national"
    if draft.own_items:
        cat_path = path.with_name(f"{path.stem}-catalog.yaml")
        cat_path.write_text(catalog_yaml(draft), encoding="utf-8")
        written.append(cat_path)
        catalog_ref = cat_path.name
    path.write_text(config_yaml(draft, catalog_ref), encoding="utf-8")
    return [path, *written]
