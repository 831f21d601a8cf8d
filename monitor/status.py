"""Every catalog item's status as a table grouped by category, or JSON (`xxgk status`,
monitor/commands/status.py, prints it).

It reads the latest data in the store and assesses as of a day; it never scans.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from monitor.assess import ItemStatus, assess_all, counts
from monitor.core.errors import UserError
from monitor.core.vocab import CONFIRMATION, DATE_SOURCE, KIND, STATUS, STATUS_BY_URGENCY
from monitor.store import open_db, rows

if TYPE_CHECKING:
    from monitor.config import Config


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align to a display width (CJK characters take two columns), cutting with … if too long."""
    if display_width(text) > width - 1:        # keep one column free between cells
        out = ""
        for ch in text:
            if display_width(out + ch) > width - 2:
                break
            out += ch
        text = out + "…"
    return text + " " * (width - display_width(text))


def parse_statuses(value: str | None) -> set[str] | None:
    """"overdue,missing" or Chinese labels "逾期,缺失" → status keys; raises ValueError on unknown."""
    if not value:
        return None
    by_label = {v: k for k, v in STATUS.label.items()}
    out: set[str] = set()
    for part in value.replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        key = part if part in STATUS.label else by_label.get(part)
        if key is None:
            allowed = "、".join(f"{k}（{v}）" for k, v in STATUS.label.items())
            raise ValueError(f"未知的状态 \"{part}\"，可选：{allowed}")
        out.add(key)
    return out


def filter_statuses(statuses: list[ItemStatus], *, unit: str | None = None, wanted: set[str] | None = None,
                    category: str | None = None) -> list[ItemStatus]:
    return [s for s in statuses
            if (unit is None or s.unit == unit)
            and (wanted is None or s.status in wanted)
            and (category is None or s.category == category)]


def summary_text(statuses: list[ItemStatus]) -> str:
    c = counts(statuses)
    text = " · ".join(f"{STATUS.label[k]} {c[k]}" for k in STATUS_BY_URGENCY) + f"（共 {len(statuses)} 项）"
    pending = sum(s.provisional for s in statuses)
    if pending:
        text += f"；其中 {pending} 项{CONFIRMATION.label['provisional']}（状态依据候选栏目暂定）"
    return text


def status_cell(s: ItemStatus) -> str:
    """The status word, marked when it rests on candidates awaiting review."""
    label = STATUS.label.get(s.status, s.status)
    return f"{label}*" if s.provisional else label


def candidate_lines(s: ItemStatus, indent: str = "        ") -> list[str]:
    """Under a provisional item: its candidates with their newest dates, and how to decide them."""
    if not s.provisional:
        return []
    lines = [f"{indent}* {CONFIRMATION.label['provisional']}：以下候选尚待确认（xxgk match confirm/reject {s.id} 网址）"]
    for c in s.candidates:
        kind = KIND.label.get(c.target, c.target)
        lines.append(f"{indent}  · 〔{kind}〕{c.title or ''} 最新 {c.newest or '无日期'} {c.url}")
    return lines


def render_table(statuses: list[ItemStatus], categories: list[tuple[str, str]], *, evidence: int = 0) -> list[str]:
    """Readable text table: one block per category with its counts, one row per item."""
    lines: list[str] = []
    header = (pad("编号", 6) + pad("事项", 26) + pad("责任单位", 14) + pad("状态", 10) + pad("最近更新", 12)
              + pad("日期来源", 14) + pad("截止日期", 12) + "说明")
    for cat_id, cat_name in categories:
        members = [s for s in statuses if s.category == cat_id]
        if not members:
            continue
        c = counts(members)
        per = " · ".join(f"{STATUS.label[k]} {c[k]}" for k in STATUS_BY_URGENCY if c[k])
        lines.append("")
        lines.append(f"【{cat_id}】{cat_name}（{len(members)} 项：{per}）")
        lines.append("  " + header)
        for s in members:
            source = DATE_SOURCE.label.get(s.last_changed_source or "", s.last_changed_source or "")
            lines.append("  " + pad(s.id, 6) + pad(s.name, 26) + pad(s.unit_name or "", 14)
                         + pad(status_cell(s), 10) + pad(s.last_changed or "—", 12)
                         + pad(source or "—", 14) + pad(s.due or "—", 12) + s.reason)
            lines.extend(candidate_lines(s))
            for e in s.evidence[:evidence]:
                label = KIND.label.get(e.kind, e.kind)
                lines.append(f"        · {e.date or '无日期'} 〔{label}〕{e.title or ''} {e.url}")
            if evidence and len(s.evidence) > evidence:
                lines.append(f"        · ……另有 {len(s.evidence) - evidence} 条证据（--json 可查看全部）")
    return lines


def check_filters(cfg: Config, *, unit: str | None, category: str | None) -> None:
    """Raise ``UserError`` for a unit or category the config does not have."""
    if unit is not None and cfg.unit(unit) is None:
        known = "、".join(u.id for u in cfg.units) or "（配置中没有单位）"
        raise UserError(f"配置中没有 id 为 \"{unit}\" 的单位，可选：{known}")
    catalog = cfg.catalog_obj
    if category is not None and catalog.category(category) is None:
        raise UserError(f"事项清单中没有类别 \"{category}\"，可选：{'、'.join(c.id for c in catalog.categories)}")


@dataclass
class Snapshot:
    statuses: list[ItemStatus]
    scan: dict[str, Any] | None     # the newest finished scan started on or before the day
    scans_by_then: int              # scans (any status) started on or before the day


def snapshot(cfg: Config, day: date) -> Snapshot:
    """Assess every item as of ``day`` from the store; ``UserError`` if there is no database yet."""
    if not cfg.uses_postgres and not cfg.database_path.exists():
        raise UserError(f"数据库 {cfg.database_path} 还不存在，请先运行 xxgk scan")
    db = open_db(cfg.database_target)
    try:
        statuses = assess_all(db, cfg, day)
        # the data the assessment could use: scans that started on or before the day
        known = rows(db, "SELECT * FROM scans WHERE status = 'done' AND substr(started_at, 1, 10) <= ? "
                         "ORDER BY id DESC LIMIT 1", (day.isoformat(),))
        scan = known[0] if known else None
        scans_by_then = rows(db, "SELECT COUNT(*) AS n FROM scans WHERE substr(started_at, 1, 10) <= ?",
                             (day.isoformat(),))[0]["n"]
    finally:
        db.conn.close()
    return Snapshot(statuses, scan, scans_by_then)
