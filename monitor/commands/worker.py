"""`xxgk worker FLEET.yaml`: a Celery worker running the fleet's jobs on this machine (docs/fleet.md)."""
from __future__ import annotations

import click

from monitor.commands.fleet import load_or_exit


@click.command("worker")
@click.argument("fleet_path", metavar="FLEET.yaml", type=click.Path(dir_okay=False))
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="同时执行的任务数（每个任务是一所学校的扫描，约占一个 CPU 核心）。")
@click.option("--name", default=None, metavar="NAME@HOST", help="worker 名称（默认 xxgk<进程号>@<主机名>）。")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="INFO",
              show_default=True, help="日志级别。")
def worker_command(fleet_path: str, concurrency: int, name: str | None, loglevel: str) -> None:
    """在本机启动集群 worker：从队列取任务执行（SIGTERM：等正在执行的任务结束后退出）。"""
    from monitor.core.logging import setup_logging
    from monitor.fleet.tasks import run_worker

    fleet = load_or_exit(fleet_path)
    setup_logging(None, level=loglevel)
    run_worker(fleet, concurrency=concurrency, name=name, loglevel=loglevel)
