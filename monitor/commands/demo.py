"""`xxgk demo`: the whole product on the simulated university (monitor/testbed/demo.py runs it)."""
from __future__ import annotations

from datetime import date

import click

from monitor.testbed.demo import run_demo


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="扫描并打印结果后退出（不启动看板）。")
@click.option("--as-of", "as_of", default="2019-10-15", show_default=True,
              help="模拟大学网站（以及监测时钟）的日期。")
@click.option("--dir", "workdir", default="demo", show_default=True, type=click.Path(file_okay=False),
              help="演示配置、数据库和标准答案的目录（每次重建）。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo_command(no_serve: bool, as_of: str, workdir: str, host: str, port: int) -> None:
    """演示：启动模拟大学网站，扫描两次，打印各事项状态，并打开看板。"""
    day = date.fromisoformat(as_of)
    run_demo(day, workdir, echo=click.echo, serve=not no_serve, host=host, port=port)
