"""`xxgk matches` (list page-to-item matches) and `xxgk match` (a person's decision); monitor/matching/
does the work."""
from __future__ import annotations

import json

import click

from monitor.commands.options import config_option, fail
from monitor.matching import (
    MatchError,
    assign_column,
    catalog_items,
    confirm_match,
    list_matches,
    matches_table,
    reject_match,
)


def _open(config_path: str):
    from monitor.config import ConfigError, load_config
    from monitor.store import open_db

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    except FileNotFoundError:
        fail(f"找不到配置文件 {config_path}")
    return cfg, open_db(cfg.database_target)


@click.command("matches")
@config_option
@click.option("--review", "review_only", is_flag=True, help="Only matches waiting for review.")
@click.option("--item", "item_id", default=None, help="Only this catalog item.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def matches_command(config_path: str, review_only: bool, item_id: str | None, as_json: bool) -> None:
    """列出页面与目录事项的匹配（事项、对象、网址、分数、理由、状态）。"""
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
    for line in matches_table(found, items):
        click.echo(line)


@click.command("match")
@click.argument("action", type=click.Choice(["confirm", "reject", "assign"]))
@click.argument("item_id")
@click.argument("url")
@config_option
@click.option("--by", default=None, help="Who decided (default: the login name).")
@click.option("--note", default=None, help="A note kept with the decision.")
def match_command(action: str, item_id: str, url: str, config_path: str, by: str | None, note: str | None) -> None:
    """确认、否决匹配，或把栏目指定给事项：xxgk match confirm|reject|assign 事项 网址。"""
    cfg, db = _open(config_path)
    items = {i.id: i for i in catalog_items(cfg)}
    fn = {"confirm": confirm_match, "reject": reject_match, "assign": assign_column}[action]
    try:
        fn(db, item_id, url, by, note=note, known_items=items)
    except MatchError as exc:
        fail(str(exc))
    verb = {"confirm": "已确认", "reject": "已否决", "assign": "已指定"}[action]
    it = items[item_id.strip()]
    click.echo(f"{verb}：事项{it.id}（{it.name}） ↔ {url}。此决定在以后的扫描中保持有效。")
