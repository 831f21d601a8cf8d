"""`xxgk run`: the long-lived monitoring service (monitor/service.py runs it)."""
from __future__ import annotations

import click

from monitor.commands.options import config_option, fail, now_option, user_errors
from monitor.service import run_service


@click.command("run")
@config_option
@now_option
@click.option("--no-dashboard", is_flag=True, help="Do not serve the dashboard from this process.")
@click.option("--host", default=None, help="Dashboard address (default: dashboard.host or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Dashboard port (default: dashboard.port or 8000).")
@click.option("--log-file", type=click.Path(dir_okay=False), default=None,
              help="Write logs to this rotating file instead of stdout.")
@click.option("--log-format", type=click.Choice(["kv", "json"]), default="kv", show_default=True,
              help="key=value lines or JSON lines.")
@click.option("--scan-every", type=float, default=None, metavar="SECONDS",
              help="Scan every N seconds instead of schedule.scan (tests, demos).")
@click.option("--digest-every", type=float, default=None, metavar="SECONDS",
              help="Send the digest every N seconds instead of schedule.digest (tests, demos).")
@click.option("--scan-timeout", type=float, default=None, metavar="SECONDS",
              help="Hard time limit of one scan (default: schedule.scan_timeout_minutes).")
@click.option("--stop-grace", type=float, default=30.0, show_default=True, metavar="SECONDS",
              help="On shutdown, how long a running scan may take to finish before it is stopped.")
@click.option("--clock-file", type=click.Path(dir_okay=False), default=None,
              help="Re-read the product clock (YYYY-MM-DD[THH:MM]) from this file before every job.")
@click.option("--scan-command", default=None, metavar="COMMAND",
              help="Run this instead of `xxgk scan` ({config} is replaced), e.g. to wrap it in nice.")
def run_command(config_path: str, no_dashboard: bool, host: str | None, port: int | None, log_file: str | None,
                log_format: str, scan_every: float | None, digest_every: float | None, scan_timeout: float | None,
                stop_grace: float, clock_file: str | None, scan_command: str | None) -> None:
    """长期运行的监测服务：按计划扫描、重新评估并发送通知（同时提供看板）。"""
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    for name, value in (("--scan-every", scan_every), ("--digest-every", digest_every),
                        ("--scan-timeout", scan_timeout)):
        if value is not None and value <= 0:
            fail(f"{name} 必须是正数")
    with user_errors():
        run_service(cfg, config_path, no_dashboard=no_dashboard, host=host, port=port, log_file=log_file,
                    log_format=log_format, scan_every=scan_every, digest_every=digest_every,
                    scan_timeout=scan_timeout, stop_grace=stop_grace, clock_file=clock_file,
                    scan_command=scan_command)
