"""The dashboard application (`create_app`) and serving it (`xxgk serve`: monitor/commands/serve.py)."""
from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitor import auth, metrics, store
from monitor.config import Config
from monitor.core.errors import UserError
from monitor.dashboard import routes_actions, routes_api, routes_pages, search
from monitor.dashboard.estate import Estate, connect
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
    session_token,
)

log = logging.getLogger("monitor.dashboard")


def create_app(cfg: Config, *, config_path: str | Path | None = None) -> FastAPI:
    """Build the dashboard for a loaded school config (``config_path`` defaults to ``cfg.path``)."""
    estate = Estate.from_config(cfg, config_path)
    db = store.open_db(estate.db_path)
    # Swagger UI and ReDoc load their assets from a CDN: replaced by our own /api/docs page. The
    # OpenAPI document is served by routes_api behind the log-in like every other API route.
    app = FastAPI(title=f"{estate.school} 信息公开监测看板", version="1", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.estate = estate
    app.state.secret_key = auth.secret_key(db, estate.secret_key)
    app.state.scan_runner = ScanRunner()
    install_common(app, error_response)
    app.include_router(routes_actions.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_api.router)
    routes_api.add_docs_route(app)

    # For campus IT (docs/service.md): no log-in, no session, no data — only "the database answers".
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        ok = database_answers(estate.db_path)
        return JSONResponse({"status": "ok" if ok else "error"}, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        db = connect(estate.db_path)
        refused = metrics_refusal(request, db, estate.cfg.metrics.token)
        if refused is not None:
            return refused
        return Response(metrics.exposition(db, estate.cfg), media_type=metrics.CONTENT_TYPE)

    # Build the title search index in the background so the first search is quick.
    threading.Thread(target=_warm_search, args=(estate.db_path,), daemon=True).start()
    return app


def install_common(app: FastAPI, error_response: Callable[[Request, int, str], Response]) -> None:
    """What every web app of the product has (this dashboard, the provincial overview): the dashboard's static
    files at /static and its icon, the security headers on every answer, and an error page in Chinese from
    ``error_response`` for every failure (never a traceback; a log-in redirect where a session is missing)."""
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

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


def database_answers(path: Path) -> bool:
    """A fresh read-only connection answers a trivial query (a cached one would outlive a deleted or broken
    file); read-only, so a missing database is not created empty."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            conn.execute("SELECT 1 FROM scans LIMIT 1").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return True


# Roles that see the whole school (unit accounts see only their own unit's items).
METRICS_ROLES = ("admin", "office", "viewer")


def metrics_refusal(request: Request, db, token: str | None) -> Response | None:
    """None when /metrics may answer: the bearer token ``metrics.token`` (Prometheus), or a logged-in session
    of a whole-school role (as the JSON API). Otherwise 401/403 as plain text, never the log-in redirect a
    scraper would follow to an HTML page."""
    header = request.headers.get("authorization") or ""
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer":
        if token and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return PlainTextResponse("令牌无效。", status_code=401, headers={"WWW-Authenticate": 'Bearer realm="xxgk"'})
    session = auth.get_session(db, session_token(request))
    if session is None:
        return PlainTextResponse("请先登录，或在请求头中提供 metrics.token（Authorization: Bearer …）。",
                                 status_code=401, headers={"WWW-Authenticate": 'Bearer realm="xxgk"'})
    if session.user.role not in METRICS_ROLES:
        return PlainTextResponse("责任单位账号不能查看全校的监测指标。", status_code=403)
    return None


def _warm_search(path: Path) -> None:
    try:
        search.sync(connect(path))
    except Exception:  # never take the server down for an optional warm-up
        log.exception("building the search index failed")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """``UserError`` (one Chinese line) when the address cannot be bound (uvicorn would log a traceback-ish
    error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        raise UserError(f"无法监听 {host}:{port}（{exc.strerror or exc}）；换一个端口：xxgk serve --port 8001") from None


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve the dashboard with uvicorn until Ctrl-C; ``UserError`` when the address cannot be bound."""
    import uvicorn

    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
    except OSError as exc:
        raise UserError(f"无法监听 {host}:{port}：{exc.strerror or exc}") from None
