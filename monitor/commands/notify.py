"""`xxgk notify`: send today's notifications, or preview them (monitor/notify/ plans and sends)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.commands.options import config_option, fail, now_option, user_errors
from monitor.notify import check_can_send, delivery_lines, plan_lines, run_notifications
from monitor.store import open_db

if TYPE_CHECKING:
    from monitor.config import Config


@click.command("notify")
@config_option
@now_option
@click.option("--dry-run", is_flag=True, help="只列出今天将发送的通知，不发送也不记录。")
@click.option("--force", is_flag=True, help="今天不是摘要日（schedule.digest_on: workdays 而今天休息）也照常发送。")
def notify_command(config_path: str, dry_run: bool, force: bool) -> None:
    """发送今天的通知（各单位摘要、办公室日报），并重试此前发送失败的通知。"""
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    with user_errors():
        check_can_send(cfg, dry_run=dry_run)
    if not force and not _digest_day(cfg):
        return
    from monitor.core.locks import LockHeld

    db = open_db(cfg.database_target)
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
    from monitor.metrics import write_textfile

    write_textfile(db, cfg)  # deliveries and pending retries, for node_exporter (as the service does)
    for line in delivery_lines(db, result):
        click.echo(line)
    if result.failed:
        click.echo(f"{len(result.failed)} 条通知发送失败，已记录，将在下次发送时重试。", err=True)
        raise SystemExit(3)


def _digest_day(cfg: "Config") -> bool:
    """``schedule.digest_on: workdays``: on a rest day the command says so and sends nothing (cron cannot
    tell a Chinese working day, so a crontab line running ``xxgk notify`` daily relies on this)."""
    from monitor.core import clock
    from monitor.core.workdays import WorkdayError

    today = clock.today()
    try:
        if cfg.schedule.is_digest_day(today):
            return True
    except WorkdayError as exc:
        # as the service does: better a digest on a holiday than none for weeks
        click.echo(f"{exc}；无法判断今天是否工作日，照常发送。", err=True)
        return True
    click.echo(f"{today.isoformat()} 不是工作日（schedule.digest_on: workdays），今天不发送通知；"
               "确需发送请加 --force。")
    return False
