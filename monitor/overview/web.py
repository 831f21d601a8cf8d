"""Request plumbing of the overview: the summary store per thread, sessions and roles, rendering.

The school dashboard's plumbing serves it (monitor/dashboard/web.py): the same headers and CSP, HttpOnly/Secure/
SameSite cookies signed with a key kept in the store, a nonce on the log-in form, a CSRF token per session on
every POST (``check_csrf``), same-site redirects only. Cookie names differ from the dashboard's, so a browser
logged into both on one host keeps both sessions (cookies do not tell ports apart).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from monitor.dashboard.web import Cookies, Forbidden, LoginRequired, NotFound, error_page, jinja_templates, render_page
from monitor.dashboard.web import session_token as signed_token
from monitor.overview import accounts, summary
from monitor.overview.accounts import OverviewSession, OverviewUser
from monitor.store.engine import Database

HERE = Path(__file__).parent
COOKIES = Cookies(session="xxgk_overview_session", login="xxgk_overview_login")

# Our templates first; the dashboard's macros (tables, status badges, export links) come from its folder.
templates = jinja_templates(HERE / "templates")
templates.env.globals.update(role_label=accounts.OVERVIEW_ROLE.label)

NOTICES = {"logged_out": "已退出登录。"}


@dataclass(frozen=True)
class Settings:
    """What the command passes down from the fleet file (plain values)."""
    fleet_database: str
    title: str                                  # the fleet's name for the header
    schools: tuple[str, ...] | None = None      # the fleet's school keys in file order (None: every published one)


class Connections:
    """One summary-store connection per thread (neither engine's connection may be shared mid-query)."""

    def __init__(self, fleet_database: str) -> None:
        self.fleet_database = fleet_database
        self._local = threading.local()
        self._all: list[Database] = []
        self._lock = threading.Lock()

    def get(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = summary.open_summary(self.fleet_database)
            with self._lock:
                self._all.append(db)
        return db

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                try:
                    db.close()
                except Exception:  # closing at exit: nothing left to do with a broken connection
                    pass
            self._all.clear()


T = TypeVar("T")


class ReadCache:
    """What a page computed from the summary store, kept until the next publish changes the store's generation
    (every school publishes about once a night; between publishes every page is the same for the same schools)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._data: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def get(self, db: Database, key: tuple, compute: Callable[[], T]) -> T:
        full = (summary.generation(db), *key)
        with self._lock:
            if full in self._data:
                return self._data[full]
        value = compute()
        with self._lock:
            if len(self._data) >= self.size:
                self._data.clear()
            self._data[full] = value
        return value


@dataclass
class Ctx:
    request: Request
    db: Database
    session: OverviewSession
    user: OverviewUser
    visible: list[str]            # the school keys this user may see

    @property
    def csrf(self) -> str:
        return self.session.csrf


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def db_of(request: Request) -> Database:
    return request.app.state.connections.get()


def session_token(request: Request) -> str | None:
    return signed_token(request, COOKIES.session)


def fleet_keys(request: Request, db: Database) -> list[str]:
    listed = settings_of(request).schools
    return list(listed) if listed is not None else list(summary.published_keys(db))


def visible_keys(keys: Sequence[str], user: OverviewUser) -> list[str]:
    return [k for k in keys if user.may_see(k)]


def context(request: Request) -> Ctx:
    """FastAPI dependency: the logged-in user and the schools they may see (else LoginRequired)."""
    db = db_of(request)
    session = accounts.get_session(db, session_token(request))
    if session is None:
        raise LoginRequired()
    return Ctx(request, db, session, session.user, visible_keys(fleet_keys(request, db), session.user))


def cached(ctx: Ctx, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` for this page and these visible schools, cached until the next publish."""
    return ctx.request.app.state.read_cache.get(ctx.db, (name, tuple(ctx.visible)), compute)


def require_school(ctx: Ctx, key: str) -> None:
    """Every route naming a school checks it here: a school account sees its own school only."""
    if not ctx.user.may_see(key):
        raise Forbidden("学校账号只能查看本校的情况。")
    if key not in ctx.visible:
        raise NotFound(f"没有代号为 {key[:40]} 的学校。")


def require_province(ctx: Ctx) -> None:
    if not ctx.user.is_province:
        raise Forbidden("只有省级账号可以查看各校排名。")


def render(ctx: Ctx | None, request: Request, template: str, status_code: int = 200, **data: Any) -> HTMLResponse:
    return render_page(templates, NOTICES, ctx, request, template, status_code,
                       **{"site_title": settings_of(request).title, **data})


def error_response(request: Request, status: int, message: str) -> Response:
    ctx = None
    try:
        db = db_of(request)
        session = accounts.get_session(db, session_token(request))
        if session is not None:
            ctx = Ctx(request, db, session, session.user, [])
    except Exception:  # the error page must render even when the store is unhappy
        ctx = None
    return error_page(render, ctx, request, status, message)
