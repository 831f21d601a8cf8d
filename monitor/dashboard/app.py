"""The dashboard application (`create_app`) and `xxgk serve`."""
from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from pathlib import Path
from typing import Any

import click
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor import auth, store
from monitor.cli import config_option, fail, now_option
from monitor.dashboard import routes_actions, routes_api, routes_pages, search
from monitor.dashboard.estate import Estate, connect, load_estate_config
from monitor.dashboard.scanrun import ScanRunner
from monitor.dashboard.web import (
    HERE,
    BadInput,
    Forbidden,
    LoginRequired,
    NotFound,
    add_security_headers,
    error_response,
    login_redirect,
)

log = logging.getLogger("monitor.dashboard")


def create_app(cfg: Any, *, config_path: str | Path | None = None) -> FastAPI:
    """Build the dashboard for a loaded school config (or a ready ``Estate``)."""
    estate = cfg if isinstance(cfg, Estate) else Estate.from_config(cfg, config_path)
    if config_path is not None:
        estate.config_path = Path(config_path)
    db = store.open_db(estate.db_path)
    # Swagger UI and ReDoc load their assets from a CDN: replaced by our own /api/docs page. The
    # OpenAPI document is served by routes_api behind the log-in like every other API route.
    app = FastAPI(title=f"{estate.school} 信息公开监测看板", version="1", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.estate = estate
    app.state.secret_key = auth.secret_key(db, estate.secret_key)
    app.state.scan_runner = ScanRunner()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(routes_actions.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_api.router)
    routes_api.add_docs_route(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        return add_security_headers(request, await call_next(request))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Runs outside the middleware above (Starlette's outermost error layer): set the headers here.
        # The traceback is logged by the server (Starlette re-raises after this response).
        try:
            response = error_response(request, 500, "服务器内部错误，请稍后再试；如果一直出现，请联系管理员。")
        except Exception:  # the error page itself failed: a plain line still carries the headers
            response = PlainTextResponse("服务器内部错误，请稍后再试。", status_code=500)
        return add_security_headers(request, response)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return login_redirect(request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_response(request, 403, exc.message)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, exc.message)

    @app.exception_handler(BadInput)
    async def _bad(request: Request, exc: BadInput) -> Response:
        return error_response(request, 400, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # A path that cannot name a record (/versions/abc, an id past SQLite's 64-bit range) is not found.
        if any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
            return error_response(request, 404, "找不到该页面。")
        return error_response(request, 400, "请求参数有误，请检查网址。")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(request, 404, "找不到该页面。")
        if exc.status_code == 405:
            return error_response(request, 405, "不支持该请求方式。")
        return error_response(request, exc.status_code, "请求无法完成。")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg")

    # Build the title search index in the background so the first search is quick.
    threading.Thread(target=_warm_search, args=(estate.db_path,), daemon=True).start()
    return app


def _warm_search(path: Path) -> None:
    try:
        search.sync(connect(path))
    except Exception:  # never take the server down for an optional warm-up
        log.exception("building the search index failed")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Fail with one Chinese line when the address cannot be bound (uvicorn would log a traceback-ish error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        fail(f"无法监听 {host}:{port}（{exc.strerror or exc}）；换一个端口：xxgk serve --port 8001")


@click.command("serve")
@config_option
@now_option
@click.option("--host", default=None, help="监听地址（默认配置中的 dashboard.host，即 127.0.0.1）")
@click.option("--port", type=int, default=None, help="端口（默认配置中的 dashboard.port，即 8000）")
def serve_command(config_path: str, host: str | None, port: int | None) -> None:
    """启动看板（FastAPI + uvicorn）。"""
    import uvicorn

    cfg = load_estate_config(config_path)
    dash = getattr(cfg, "dashboard", None)
    host = host or getattr(dash, "host", None) or "127.0.0.1"
    port = port or getattr(dash, "port", None) or 8000
    if not 1 <= port <= 65535:
        fail(f"端口应在 1–65535 之间，收到 {port}")
    _check_port(host, port)
    app = create_app(cfg, config_path=Path(config_path).absolute())
    db = connect(app.state.estate.db_path)
    if auth.count_users(db) == 0:
        click.echo("还没有看板账号。先创建管理员：")
        click.echo(f"  xxgk user add admin --role admin --config {config_path}")
    if not _is_loopback(host):
        click.echo(f"注意：看板监听 {host}，局域网内其他电脑也能访问；登录 Cookie 仅经 HTTPS 发送，"
                   "请在前面加 HTTPS 反向代理。")
    click.echo(f"看板地址：http://{host if ':' not in host else '[' + host + ']'}:{port}/  （Ctrl-C 停止）")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    except OSError as exc:
        fail(f"无法监听 {host}:{port}：{exc.strerror or exc}")
