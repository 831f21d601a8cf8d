"""`xxgk check`: validate the school's config and print its summary."""
from __future__ import annotations

import click

from monitor.commands.options import config_option, load_config_or_exit, now_option
from monitor.config import summary_lines


@click.command("check")
@config_option
@now_option
def check_command(config_path: str) -> None:
    """检查配置文件并显示摘要（学校、事项清单、单位、站点）。"""
    cfg = load_config_or_exit(config_path)
    click.echo("配置检查通过。")
    for line in summary_lines(cfg):
        click.echo("  " + line)
