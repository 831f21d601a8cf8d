"""`xxgk status`: the items' statuses as a table or JSON (monitor/status.py assesses and renders)."""
from __future__ import annotations

import json
from datetime import date

import click

from monitor.assess import status_to_json
from monitor.commands.options import config_option, fail, load_config_or_exit, now_option, user_errors
from monitor.core import clock
from monitor.core.vocab import CONFIRMATION, STATUS, STATUS_BY_URGENCY
from monitor.status import check_filters, filter_statuses, parse_statuses, render_table, snapshot, summary_text


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
    with user_errors():
        check_filters(cfg, unit=unit, category=category)
        snap = snapshot(cfg, day)
    catalog = cfg.catalog_obj
    statuses, scan = snap.statuses, snap.scan
    shown = filter_statuses(statuses, unit=unit, wanted=wanted, category=category)
    if as_json:
        click.echo(json.dumps([status_to_json(s) for s in shown], ensure_ascii=False, indent=2))
        return
    scan_text = (f"依据 {scan['started_at'][:16].replace('T', ' ')} 的扫描（第 {scan['id']} 次）及之前的数据"
                 if scan else "尚未完成任何扫描")
    click.echo(f"{cfg.school} · 信息公开事项状态（截至 {day.isoformat()}）；{scan_text}")
    if not snap.scans_by_then:
        click.echo(f"注意：{day.isoformat()} 之前没有任何扫描，所有事项都会显示为缺失。")
    filters = []
    if unit:
        filters.append(f"单位 {cfg.unit_name(unit)}")
    if wanted:
        filters.append("状态 " + "、".join(STATUS.label[k] for k in STATUS_BY_URGENCY if k in wanted))
    chosen = catalog.category(category) if category else None   # check_filters rejected unknown ones
    if chosen is not None:
        filters.append(f"类别 {chosen.name}")
    click.echo("全部事项：" + summary_text(statuses))
    if filters:
        click.echo(f"筛选（{'；'.join(filters)}）：{len(shown)} 项")
    if not shown:
        click.echo("没有符合条件的事项。")
        return
    if any(s.provisional for s in shown):
        click.echo(f"状态后带 * 的事项：{CONFIRMATION.label['provisional']}——只找到尚待确认的候选栏目，"
                   "状态依据候选暂定；确认或排除候选后即按确认结果评估。")
    for line in render_table(shown, [(c.id, c.name) for c in catalog.categories], evidence=evidence):
        click.echo(line)
