"""`xxgk serve`: the dashboard (monitor/dashboard/app.py builds and serves it)."""
from __future__ import annotations

from pathlib import Path

import click

from monitor import auth
from monitor.commands.options import config_option, fail, now_option, user_errors
from monitor.dashboard.app import check_port, create_app, is_loopback, serve
from monitor.dashboard.estate import connect, load_estate_config


@click.command("serve")
@config_option
@now_option
@click.option("--host", default=None, help="监听地址（默认配置中的 dashboard.host，即 127.0.0.1）")
@click.option("--port", type=int, default=None, help="端口（默认配置中的 dashboard.port，即 8000）")
def serve_command(config_path: str, host: str | None, port: int | None) -> None:
    """启动看板（FastAPI + uvicorn）。"""
    with user_errors():
        cfg = load_estate_config(config_path)
    host = host or cfg.dashboard.host
    port = port or cfg.dashboard.port
    if not 1 <= port <= 65535:
        fail(f"端口应在 1–65535 之间，收到 {port}")
    with user_errors():
        check_port(host, port)
    app = create_app(cfg, config_path=Path(config_path).absolute())
    db = connect(app.state.estate.db_path)
    if auth.count_users(db) == 0:
        click.echo("还没有看板账号。先创建管理员：")
        click.echo(f"  xxgk user add admin --role admin --config {config_path}")
    if not is_loopback(host):
        click.echo(f"注意：看板监听 {host}，局域网内其他电脑也能访问；登录 Cookie 仅经 HTTPS 发送，"
                   "请在前面加 HTTPS 反向代理。")
    click.echo(f"看板地址：http://{host if ':' not in host else '[' + host + ']'}:{port}/  （Ctrl-C 停止）")
    with user_errors():
        serve(app, host, port)
