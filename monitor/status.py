"""`xxgk status`: every catalog item's status as a table grouped by category, or JSON.

It reads the latest data in the store and assesses as of a day; it never scans.
"""
from __future__ import annotations

import json
import unicodedata
from datetime import date

import click

from monitor.assess import (
    KIND_ZH,
    SOURCE_ZH,
    STATUS_LABELS,
    STATUS_ORDER,
    ItemStatus,
    assess_all,
    counts,
    status_to_json,
)
from monitor.cli import config_option, fail, now_option
from monitor.config import load_config_or_exit
from monitor.core import clock
from monitor.store import open_db, rows


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
    by_label = {v: k for k, v in STATUS_LABELS.items()}
    out: set[str] = set()
    for part in value.replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        key = part if part in STATUS_LABELS else by_label.get(part)
        if key is None:
            allowed = "、".join(f"{k}（{v}）" for k, v in STATUS_LABELS.items())
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
    return " · ".join(f"{STATUS_LABELS[k]} {c[k]}" for k in STATUS_ORDER) + f"（共 {len(statuses)} 项）"


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
        per = " · ".join(f"{STATUS_LABELS[k]} {c[k]}" for k in STATUS_ORDER if c[k])
        lines.append("")
        lines.append(f"【{cat_id}】{cat_name}（{len(members)} 项：{per}）")
        lines.append("  " + header)
        for s in members:
            source = SOURCE_ZH.get(s.last_changed_source or "", s.last_changed_source or "")
            lines.append("  " + pad(s.id, 6) + pad(s.name, 26) + pad(s.unit_name or "", 14)
                         + pad(STATUS_LABELS.get(s.status, s.status), 10) + pad(s.last_changed or "—", 12)
                         + pad(source or "—", 14) + pad(s.due or "—", 12) + s.reason)
            for e in s.evidence[:evidence]:
                label = KIND_ZH.get(e.kind, e.kind)
                lines.append(f"        · {e.date or '无日期'} 〔{label}〕{e.title or ''} {e.url}")
            if evidence and len(s.evidence) > evidence:
                lines.append(f"        · ……另有 {len(s.evidence) - evidence} 条证据（--json 可查看全部）")
    return lines


@click.command("status")
@config_option
@now_option
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Assess as of this day (default: today by the clock).")
@click.option("--unit", "unit", metavar="ID", help="Only items owned by this unit.")
@click.option("--status", "status_filter", metavar="S1,S2", help="Only these statuses, e.g. overdue,missing.")
@click.option("--category", "category", metavar="N", help="Only this catalog category.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of items) instead of the table.")
@click.option("--evidence", "evidence", type=click.IntRange(min=0), default=0, metavar="N",
              help="Under each item, list its N newest pieces of evidence.")
def status_command(config_path: str, as_of: str | None, unit: str | None, status_filter: str | None,
                   category: str | None, as_json: bool, evidence: int) -> None:
    """各事项的状态、原因、最近更新日期与证据（按类别分组；--json 输出 JSON）。"""
    cfg = load_config_or_exit(config_path)
    try:
        day = date.fromisoformat(as_of) if as_of else clock.today()
    except ValueError:
        fail(f"--as-of 应为 YYYY-MM-DD 格式的日期，收到 \"{as_of}\"")
    try:
        wanted = parse_statuses(status_filter)
    except ValueError as exc:
        fail(str(exc))
    if unit is not None and cfg.unit(unit) is None:
        known = "、".join(u.id for u in cfg.units) or "（配置中没有单位）"
        fail(f"配置中没有 id 为 \"{unit}\" 的单位，可选：{known}")
    catalog = cfg.catalog_obj
    if category is not None and catalog.category(category) is None:
        fail(f"事项清单中没有类别 \"{category}\"，可选：{'、'.join(c.id for c in catalog.categories)}")
    if not cfg.database_path.exists():
        fail(f"数据库 {cfg.database_path} 还不存在，请先运行 xxgk scan")
    db = open_db(cfg.database_path)
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
    shown = filter_statuses(statuses, unit=unit, wanted=wanted, category=category)
    if as_json:
        click.echo(json.dumps([status_to_json(s) for s in shown], ensure_ascii=False, indent=2))
        return
    scan_text = (f"依据 {scan['started_at'][:16].replace('T', ' ')} 的扫描（第 {scan['id']} 次）及之前的数据"
                 if scan else "尚未完成任何扫描")
    click.echo(f"{cfg.school} · 信息公开事项状态（截至 {day.isoformat()}）；{scan_text}")
    if not scans_by_then:
        click.echo(f"注意：{day.isoformat()} 之前没有任何扫描，所有事项都会显示为缺失。")
    filters = []
    if unit:
        filters.append(f"单位 {cfg.unit_name(unit)}")
    if wanted:
        filters.append("状态 " + "、".join(STATUS_LABELS[k] for k in STATUS_ORDER if k in wanted))
    if category:
        filters.append(f"类别 {catalog.category(category).name}")
    click.echo("全部事项：" + summary_text(statuses))
    if filters:
        click.echo(f"筛选（{'；'.join(filters)}）：{len(shown)} 项")
    if not shown:
        click.echo("没有符合条件的事项。")
        return
    for line in render_table(shown, [(c.id, c.name) for c in catalog.categories], evidence=evidence):
        click.echo(line)
