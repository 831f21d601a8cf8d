"""`xxgk notify`: send today's notifications, or preview them (monitor/notify/ plans and sends)."""
from __future__ import annotations

import click

from monitor.commands.options import config_option, fail, now_option, user_errors
from monitor.notify import check_can_send, delivery_lines, plan_lines, run_notifications
from monitor.store import open_db


@click.command("notify")
@config_option
@now_option
@click.option("--dry-run", is_flag=True, help="Print what would be sent today; send and record nothing.")
def notify_command(config_path: str, dry_run: bool) -> None:
    """发送今天的通知（各单位摘要、办公室日报），并重试此前发送失败的通知。"""
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    with user_errors():
        check_can_send(cfg, dry_run=dry_run)
    from monitor.core.locks import LockHeld

    db = open_db(cfg.database_path)
    try:
        result = run_notifications(db, cfg, dry_run=dry_run)
    except LockHeld as exc:
        fail(f"另一个通知任务正在进行（进程 {exc.holder.get('pid') or '?'}），请稍后再试", code=4)
    if result.no_data:
        click.echo("尚无成功完成的扫描，暂不发送通知（请先运行 xxgk scan，或等待计划扫描完成）。")
    if dry_run:
        if not result.no_data:
            for line in plan_lines(result.plan, db):
                click.echo(line)
        return
    for line in delivery_lines(db, result):
        click.echo(line)
    if result.failed:
        click.echo(f"{len(result.failed)} 条通知发送失败，已记录，将在下次发送时重试。", err=True)
        raise SystemExit(3)
