"""`xxgk scan`: one scan now (monitor/scan.py does it); exit 3 when it did not finish."""
from __future__ import annotations

import sys
import time

import click

from monitor.commands.options import config_option, fail, now_option
from monitor.core.locks import LockHeld
from monitor.scan import run_scan, summary_lines


@click.command("scan")
@config_option
@now_option
@click.option("--timeout", type=float, default=None, help="抓取达到此秒数即停止（已抓取的页面和统计照常保存）。")
@click.option("--trigger", default="cli", show_default=True,
              help="记录由谁发起扫描（cli、schedule、dashboard、demo）。")
@click.option("--no-post", is_flag=True, help="只抓取，不做匹配、评估和合规检查。")
def scan_command(config_path: str, timeout: float | None, trigger: str, no_post: bool) -> None:
    """扫描信息公开网和各单位网站，保存页面历史并更新各事项状态。"""
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    started = time.monotonic()
    try:
        result = run_scan(cfg, trigger=trigger, timeout=timeout, post=not no_post)
    except LockHeld as exc:
        fail(f"{exc}，请稍后再试", code=4)
    for line in summary_lines(result):
        click.echo(line)
    click.echo(f"  用时 {time.monotonic() - started:.1f} 秒；数据库 {cfg.database_label}")
    if result.status != "done":
        sys.exit(3)
