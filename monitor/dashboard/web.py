"""Request plumbing shared by the routes: sessions, roles, CSRF, filters, rendering, errors.

The provincial overview (monitor/overview/web.py) is served by the same plumbing: its templates folder ahead of
this one (``jinja_templates``), its own cookie names (``Cookies``) and accounts (``auth.Accounts``), the same
log-in and log-out (``log_in``, ``log_out``), page context (``render_page``) and error page titles."""
from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import quote, urlencode

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer

from monitor import auth
from monitor.core import clock, vocab
from monitor.dashboard import charts
from monitor.dashboard.estate import Estate, connect
from monitor.dashboard.queries import Filters, source_label
from monitor.dashboard.tables import Table
from monitor.store.engine import Database

SESSION_COOKIE = "xxgk_session"
LOGIN_COOKIE = "xxgk_login"
HERE = Path(__file__).parent


@dataclass(frozen=True)
class Cookies:
    """An app's cookie names: the signed session token and the log-in form's nonce."""
    session: str
    login: str


COOKIES = Cookies(SESSION_COOKIE, LOGIN_COOKIE)


def jinja_templates(*first: Path) -> Jinja2Templates:
    """Templates from the folders ``first`` and then this one (its base, macros and partials), with the globals
    every page uses: templates name statuses, kinds, roles and states from the one vocabulary
    (``vocab.STATUS.label`` ...)."""
    found = Jinja2Templates(directory=[*(str(f) for f in first), str(HERE / "templates")])
    found.env.globals.update(share_bar=charts.share_bar, vocab=vocab, quote=quote)
    return found


templates = jinja_templates()
templates.env.globals.update(source_label=source_label)

# Fixed notices a redirect may show (never reflect user text from the URL).
NOTICES = {
    "confirmed": "已确认该匹配。", "rejected": "已排除该匹配。", "assigned": "已手动指定栏目。",
    "acked": "已记录：本单位已知悉该事项的状态。", "scan_started": "已在后台开始扫描，完成后刷新页面查看结果。",
    "scan_running": "已有扫描正在进行，请稍后再试。", "logged_out": "已退出登录。",
}

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


# SQLite integers are 64-bit: a larger id in a path can name nothing (and would overflow the driver).
MAX_ID = 2 ** 63 - 1
MAX_PAGE = 1_000_000  # page numbers beyond any table: keeps OFFSET inside SQLite's integers
DbId = Annotated[int, PathParam(ge=0, le=MAX_ID)]


def add_security_headers(request: Request, response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str = "您的账号没有权限查看此页面。") -> None:
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    def __init__(self, message: str = "找不到该页面。") -> None:
        super().__init__(message)
        self.message = message


class BadInput(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PageCtx(Protocol):
    """What the shared helpers read of an app's request context (the dashboard's ``Ctx``, the overview's)."""

    @property
    def request(self) -> Request: ...

    @property
    def user(self) -> Any: ...

    @property
    def csrf(self) -> str: ...


@dataclass
class Ctx:
    request: Request
    estate: Estate
    db: Database
    session: auth.Session[auth.User]
    user: auth.User

    @property
    def csrf(self) -> str:
        return self.session.csrf


def estate_of(request: Request) -> Estate:
    return request.app.state.estate


def db_of(request: Request) -> Database:
    return connect(estate_of(request).db_path)


def serializer(request: Request, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.state.secret_key, salt=salt)


def session_token(request: Request, cookie: str = SESSION_COOKIE) -> str | None:
    raw = request.cookies.get(cookie)
    if not raw:
        return None
    try:
        return str(serializer(request, "session").loads(raw))
    except BadSignature:
        return None


def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, secure=True, samesite="lax", path="/")


def context(request: Request) -> Ctx:
    """FastAPI dependency: the logged-in user (else LoginRequired)."""
    db = db_of(request)
    session = auth.get_session(db, session_token(request))
    if session is None:
        raise LoginRequired()
    return Ctx(request, estate_of(request), db, session, session.user)


def require(ctx: Ctx, *roles: str, message: str | None = None) -> None:
    if ctx.user.role not in roles:
        raise Forbidden(message or "您的账号没有权限进行此操作。")


def check_csrf(ctx: PageCtx, token: str | None) -> None:
    token = token or ctx.request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(token.encode(), ctx.csrf.encode()):
        raise Forbidden("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")


def login_nonce(request: Request) -> tuple[str, str]:
    """(nonce for the form, signed cookie value) for the log-in form's CSRF check."""
    nonce = secrets.token_urlsafe(16)
    return nonce, serializer(request, "login").dumps(nonce)


def check_login_nonce(request: Request, form_nonce: str | None, cookie: str = LOGIN_COOKIE) -> bool:
    raw = request.cookies.get(cookie)
    if not raw or not form_nonce:
        return False
    try:
        expected = serializer(request, "login").loads(raw)
    except BadSignature:
        return False
    return hmac.compare_digest(str(expected).encode(), form_nonce.encode())


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a header entry ("10.0.0.1", "10.0.0.1:443", "[::1]:443"), else None."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(addr, "ipv4_mapped", None)
    return mapped or addr


def forwarded_client(peer: str | None, headers: Any, trusted: tuple) -> str | None:
    """The client address: the direct peer, unless the peer is a trusted proxy; then the right-most
    X-Forwarded-For entry that is not a trusted proxy (entries left of it are the client's own
    claims), else X-Real-IP."""
    peer_ip = _ip(peer or "")
    if peer_ip is None or not any(peer_ip in net for net in trusted):
        return str(peer_ip) if peer_ip is not None else peer
    chain = [e for line in headers.getlist("x-forwarded-for") for e in line.split(",") if e.strip()]
    if chain:
        nearest = peer_ip
        for entry in reversed(chain):
            addr = _ip(entry)
            if addr is None:
                # Written by a trusted hop but unreadable: group it under that hop.
                return str(nearest)
            if not any(addr in net for net in trusted):
                return str(addr)
            nearest = addr
        return str(nearest)  # every hop is a trusted proxy
    real = _ip(headers.get("x-real-ip") or "")
    return str(real) if real is not None else str(peer_ip)


def client_ip(request: Request) -> str | None:
    peer = request.client.host if request.client else None
    return forwarded_client(peer, request.headers, estate_of(request).trusted_proxies)


def parse_date(text: str | None) -> date:
    if not text:
        return clock.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"日期格式应为 YYYY-MM-DD，收到：{text[:20]}") from None


def filters(ctx: Ctx) -> Filters:
    q = ctx.request.query_params
    f = Filters(as_of=parse_date(q.get("as_of")), category=q.get("category") or None,
                unit=q.get("unit") or None, status=q.get("status") or None,
                provisional=q.get("provisional") == "1")
    if f.status and f.status not in vocab.STATUS:
        raise BadInput(f"未知状态：{f.status[:20]}")
    if f.category and f.category not in ctx.estate.category_by_id:
        raise BadInput(f"未知类别：{f.category[:20]}")
    if ctx.user.role == "unit":
        if f.unit and f.unit != ctx.user.unit:
            raise Forbidden("责任单位账号只能查看本单位的事项。")
        f.unit = ctx.user.unit
    return f


def page_number(text: str | None) -> int:
    try:
        return min(MAX_PAGE, max(1, int(text or 1)))
    except ValueError:
        return 1


def page_arg(ctx: Ctx) -> int:
    return page_number(ctx.request.query_params.get("page"))


def sort_args(ctx: Ctx) -> tuple[str | None, bool]:
    q = ctx.request.query_params
    return (q.get("sort") or None), q.get("dir") == "desc"


def url_with(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters replaced (None removes one)."""
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = str(v)
    qs = urlencode(params)
    return request.url.path + (f"?{qs}" if qs else "")


def render_page(jinja: Jinja2Templates, notices: Mapping[str, str], ctx: PageCtx | None, request: Request,
                template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    """A page with what every template reads: the user and CSRF token (none before log-in), a fixed notice named
    by ``?notice=`` (never text from the URL), ``url_with``, today and the status labels."""
    data.setdefault("labels", vocab.STATUS.label)
    return jinja.TemplateResponse(
        request, template,
        {"ctx": ctx, "user": ctx.user if ctx else None, "csrf": ctx.csrf if ctx else "",
         "notice": notices.get(request.query_params.get("notice") or ""),
         "url_with": lambda **kw: url_with(request, **kw), "today": clock.today().isoformat(), **data},
        status_code=status_code)


def render(ctx: Ctx | None, request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    return render_page(templates, NOTICES, ctx, request, template, status_code,
                       **{"school": estate_of(request).school, **data})


Render = Callable[..., HTMLResponse]   # an app's ``render(ctx, request, template, status_code, **data)``
ERROR_TITLES = {403: "没有权限", 404: "找不到页面", 400: "请求有误", 429: "请稍后再试", 500: "服务器错误"}


def error_page(render_with: Render, ctx: PageCtx | None, request: Request, status: int, message: str) -> HTMLResponse:
    return render_with(ctx, request, "error.html", status_code=status, title=ERROR_TITLES.get(status, "出错了"),
                       message=message, status=status)


def export_links(request: Request, table: Table) -> dict[str, str]:
    qs = urlencode({k: v for k, v in request.query_params.items() if k not in ("page", "format")})
    suffix = f"?{qs}" if qs else ""
    return {fmt: f"/export/{table.name}.{fmt}{suffix}" for fmt in ("csv", "xlsx")} | {
        "json": f"/api/tables/{table.name}{suffix}"}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") and request.url.path != "/api/docs"  # /api/docs is a page


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    ctx = None
    try:
        db = db_of(request)
        session = auth.get_session(db, session_token(request))
        if session is not None:
            ctx = Ctx(request, estate_of(request), db, session, session.user)
    except Exception:  # the error page must render even when the database is unhappy
        ctx = None
    return error_page(render, ctx, request, status, message)


def login_redirect(request: Request) -> Response:
    if wants_json(request):
        return JSONResponse({"error": "请先登录"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only same-site paths after log-in (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# ---------------------------------------------------------------- log-in and log-out (dashboard and overview)

def login_form(request: Request, render_with: Render, cookies: Cookies, *, no_users: bool, status_code: int = 200,
               error: str | None = None, username: str = "", next_: str = "/") -> HTMLResponse:
    """The log-in page, with a fresh nonce in the form and its signed copy in the log-in cookie."""
    nonce, cookie = login_nonce(request)
    resp = render_with(None, request, "login.html", status_code=status_code, title="登录", nonce=nonce,
                       error=error, username=username, next=safe_next(next_), no_users=no_users)
    set_cookie(resp, cookies.login, cookie, max_age=3600)
    return resp


def log_in(request: Request, db: Database, accounts: auth.Accounts[Any], cookies: Cookies,
           form: Callable[[int, str], Response], *, username: str, password: str, nonce: str, next_: str,
           ip: str | None) -> Response:
    """A submitted log-in form: the session cookie and a redirect to ``next_`` (same-site), or the form again
    (``form(status, error)``) — 400 for a stale nonce, 429 with Retry-After while a back-off runs or too many
    checks are running (the password not checked), 401 for a wrong name or password."""
    if not check_login_nonce(request, nonce, cookies.login):
        return form(400, "登录表单已过期，请重新输入。")
    try:
        user = accounts.authenticate(db, username, password, ip)
    except auth.RateLimited as exc:  # also LoginBusy: answered at once, the password never checked
        resp = form(429, str(exc))
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    if user is None:
        return form(401, "用户名或密码错误。")
    token = accounts.create_session(db, user, ip)
    resp = RedirectResponse(safe_next(next_), status_code=303)
    set_cookie(resp, cookies.session, serializer(request, "session").dumps(token),
               max_age=int(auth.SESSION_TTL.total_seconds()))
    resp.delete_cookie(cookies.login, path="/")
    return resp


def log_out(ctx: PageCtx, db: Database, accounts: auth.Accounts[Any], cookies: Cookies,
            csrf_token: str) -> Response:
    """End the session (after the CSRF check) and go to the log-in page."""
    check_csrf(ctx, csrf_token)
    accounts.end_session(db, session_token(ctx.request, cookies.session))
    resp = RedirectResponse("/login?notice=logged_out", status_code=303)
    resp.delete_cookie(cookies.session, path="/", secure=True, httponly=True, samesite="lax")
    return resp
