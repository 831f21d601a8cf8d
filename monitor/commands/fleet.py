"""`xxgk fleet check|run|enqueue|status FLEET.yaml`: many schools as jobs on Celery workers (docs/fleet.md)."""
from __future__ import annotations

import json
import signal
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import click

from monitor.commands.options import fail

if TYPE_CHECKING:
    from monitor.fleet.fleetfile import Fleet

FLEET_ARG = click.argument("fleet_path", metavar="FLEET.yaml", type=click.Path(dir_okay=False))


def load_or_exit(path: str, *, check_schools: bool = True) -> Fleet:
    from monitor.config import ConfigError
    from monitor.fleet.fleetfile import load_fleet

    try:
        return load_fleet(path, check_schools=check_schools)
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(f"错误：{line}", err=True)
        sys.exit(2)


@click.group("fleet")
def fleet_command() -> None:
    """集群：多所学校的扫描、评估和通知作为任务交给各台机器上的 worker（见 docs/fleet.md）。"""


@fleet_command.command("check")
@FLEET_ARG
def check_command(fleet_path: str) -> None:
    """检查集群文件：每所学校的配置能否加载、Redis 和数据库能否连接。"""
    from monitor.fleet.state import check_fleet
    from monitor.fleet.tasks import client

    fleet = load_or_exit(fleet_path)
    lines = check_fleet(fleet, client(fleet))
    for line in lines:
        click.echo(("正常  " if line.ok else "错误  ") + line.text)
    if not all(line.ok for line in lines):
        sys.exit(3)
    click.echo("集群文件检查通过。")


@fleet_command.command("enqueue")
@FLEET_ARG
@click.option("--school", "schools", multiple=True, metavar="KEY", help="只为这所学校加入任务（可多次给出；默认全部）。")
@click.option("--job", "kind", type=click.Choice(["scan", "digest"]), default="scan", show_default=True,
              help="任务类型：scan＝扫描并评估，digest＝发送通知摘要。")
def enqueue_command(fleet_path: str, schools: tuple[str, ...], kind: str) -> None:
    """立即把任务加入队列（由空闲的 worker 执行）。"""
    from monitor.fleet.tasks import enqueue, make_app

    fleet = load_or_exit(fleet_path, check_schools=False)
    unknown = [s for s in schools if s not in fleet.keys]
    if unknown:
        fail(f"集群中没有学校 {'、'.join(unknown)}（可用：{'、'.join(fleet.keys)}）")
    app = make_app(fleet)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    for key in schools or tuple(fleet.keys):
        job_id = f"{key}:{kind}:manual-{stamp}"
        try:
            enqueue(fleet, app, key, kind, job_id, "manual")
        except Exception as exc:  # noqa: BLE001 - the broker unreachable: one clear line
            fail(f"无法加入队列（Redis {fleet.broker}）：{exc}", code=3)
        click.echo(f"已加入队列：{job_id}")


@fleet_command.command("status")
@FLEET_ARG
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（给其他系统）。")
def status_command(fleet_path: str, as_json: bool) -> None:
    """各学校最近的扫描和通知任务：状态、执行机器、时间和结果。"""
    from monitor.fleet.state import fleet_state, status_lines
    from monitor.fleet.tasks import client

    fleet = load_or_exit(fleet_path, check_schools=False)
    try:
        states = fleet_state(fleet, client(fleet))
    except Exception as exc:  # noqa: BLE001 - the broker unreachable: one clear line
        fail(f"无法读取任务记录（Redis {fleet.broker}）：{exc}", code=3)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in states], ensure_ascii=False, indent=2))
        return
    for line in status_lines(fleet, states):
        click.echo(line)


@fleet_command.command("run")
@FLEET_ARG
@click.option("--log-file", type=click.Path(dir_okay=False), default=None, help="日志写入此文件（按大小轮转），默认输出到标准输出。")
@click.option("--log-format", type=click.Choice(["kv", "json"]), default="kv", show_default=True,
              help="日志格式：key=value 行或 JSON 行。")
def run_command(fleet_path: str, log_file: str | None, log_format: str) -> None:
    """调度器：按每所学校的 schedule.scan / schedule.digest 把任务加入队列（一个集群运行一个即可）。"""
    from monitor.core.logging import log_event, setup_logging
    from monitor.fleet.schedule import Scheduler
    from monitor.fleet.tasks import client, enqueue, make_app

    fleet = load_or_exit(fleet_path)
    log = setup_logging(log_file, fmt=log_format)
    app = make_app(fleet)
    redis_client = client(fleet)

    def send(school: str, kind: str, job_id: str) -> bool:
        return enqueue(scheduler.fleet, app, school, kind, job_id, "schedule")

    scheduler = Scheduler(fleet, redis_client, send)

    def stop(signum, frame) -> None:
        scheduler.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log_event(log, "fleet.scheduler_started", f"集群调度器已启动：{len(fleet.schools)} 所学校",
              fleet=fleet.name, schools=len(fleet.schools))
    scheduler.run()
    log_event(log, "fleet.scheduler_stopped", "集群调度器已停止", fleet=fleet.name)
