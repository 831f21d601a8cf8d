"""`xxgk check`: validate the school's config and print its summary."""
from __future__ import annotations

import sys

import click

from monitor.commands.options import config_option, load_config_or_exit, now_option
from monitor.config import calendar_warning, notify_url_problems, schedule_lines, summary_lines
from monitor.core import clock


@click.command("check")
@config_option
@now_option
def check_command(config_path: str) -> None:
    """检查配置文件（含每个通知地址）并显示摘要（学校、事项清单、单位、站点、下次扫描和推送时间）。"""
    cfg = load_config_or_exit(config_path)
    problems = notify_url_problems(cfg)
    if problems:
        for line in problems:
            click.echo(f"错误：{line}", err=True)
        sys.exit(2)
    click.echo("配置检查通过。")
    for line in summary_lines(cfg) + schedule_lines(cfg, clock.now()):
        click.echo("  " + line)
    warning = calendar_warning(clock.today())
    if warning:
        click.echo(f"警告：{warning}", err=True)
