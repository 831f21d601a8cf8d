"""`xxgk findings [accept|reopen|check]`: compliance findings (monitor/compliance.py finds and lists them)."""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from monitor.commands.options import config_option, fail, now_option
from monitor.compliance.findings import (
    accept_finding,
    check_scan,
    findings_data,
    findings_lines,
    reopen_finding,
    summary_lines,
)
from monitor.core import clock


def _load(config_path: str) -> tuple[Any, Any]:
    from monitor.config import ConfigError, load_config
    from monitor.store import open_db

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    if hasattr(cfg, "timezone"):
        clock.set_timezone(cfg.timezone)
    return cfg, open_db(cfg.database_target)


@click.group("findings", invoke_without_command=True)
@config_option
@now_option
@click.option("--status", "status", type=click.Choice(["open", "fixed", "accepted", "all"]), default="open",
              show_default=True, help="Which personal-data findings to list.")
@click.option("--unit", default=None, help="Only this unit id ('' or 'office' for the disclosure site).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def findings_command(ctx: click.Context, config_path: str, status: str, unit: str | None, as_json: bool) -> None:
    """合规检查发现：隐私信息泄露（已脱敏）、死链、网站无法访问、空白栏目。"""
    ctx.obj = {"config_path": config_path}
    if ctx.invoked_subcommand is not None:
        return
    cfg, db = _load(config_path)
    data = findings_data(db, cfg, status=status, unit=unit)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for line in findings_lines(data, cfg, status):
        click.echo(line)


def _sub_config(f):
    """Sub-commands take `--config` too, so it may come before or after the sub-command name."""
    return click.option("--config", "sub_config", default=None, type=click.Path(dir_okay=False),
                        help="School configuration file (YAML).")(f)


def _config_of(ctx: click.Context, sub_config: str | None) -> str:
    return sub_config or ctx.obj["config_path"]


@findings_command.command("accept")
@_sub_config
@click.argument("finding_id", type=int)
@click.option("--note", default=None, help="Why it may stay public (e.g. 依法须公示的名单).")
@click.option("--by", "by", default=None, help="Who accepted it.")
@click.pass_context
def accept_command(ctx: click.Context, sub_config: str | None, finding_id: int, note: str | None,
                   by: str | None) -> None:
    """确认某条发现可以保留（例如依法须公示），不再提醒。"""
    _cfg, db = _load(_config_of(ctx, sub_config))
    if not accept_finding(db, finding_id, by=by, note=note):
        fail(f"没有编号为 {finding_id} 的发现（用 xxgk findings --status all 查看编号）")
    click.echo(f"已确认发现 #{finding_id}，不再作为未处理问题提醒")


@findings_command.command("reopen")
@_sub_config
@click.argument("finding_id", type=int)
@click.pass_context
def reopen_command(ctx: click.Context, sub_config: str | None, finding_id: int) -> None:
    """撤销确认，重新列为未处理。"""
    _cfg, db = _load(_config_of(ctx, sub_config))
    if not reopen_finding(db, finding_id):
        fail(f"发现 #{finding_id} 不存在或不是“已确认可公开”状态")
    click.echo(f"发现 #{finding_id} 已重新列为未处理")


@findings_command.command("check")
@_sub_config
@click.pass_context
def check_command(ctx: click.Context, sub_config: str | None) -> None:
    """对最近一次完成的扫描重新运行合规检查（含链接检查）。"""
    from monitor.store import latest_scan

    cfg, db = _load(_config_of(ctx, sub_config))
    scan = latest_scan(db)
    if scan is None:
        fail("还没有完成的扫描，请先运行 xxgk scan")
    stats = check_scan(db, cfg, scan["id"])
    for line in summary_lines(stats):
        click.echo(line.strip())
    sys.stdout.flush()
