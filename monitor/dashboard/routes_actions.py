"""Log-in/out and every state-changing form: match decisions, acknowledgements, scan trigger.
Each POST checks the session's CSRF token and the user's role before touching anything."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from monitor import auth
from monitor.core import clock
from monitor.dashboard import registry
from monitor.dashboard.web import (
    COOKIES,
    BadInput,
    Ctx,
    DbId,
    NotFound,
    check_csrf,
    client_ip,
    context,
    db_of,
    filters,
    log_in,
    log_out,
    login_form,
    render,
    require,
    safe_next,
    session_token,
)

router = APIRouter()


def _login_form(request: Request, status_code: int = 200, error: str | None = None, username: str = "",
                next_: str = "/") -> Response:
    return login_form(request, render, COOKIES, no_users=auth.count_users(db_of(request)) == 0,
                      status_code=status_code, error=error, username=username, next_=next_)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if auth.get_session(db_of(request), session_token(request)) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next_=next)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), nonce: str = Form(""),
          next: str = Form("/")) -> Response:
    return log_in(request, db_of(request), auth.DASHBOARD, COOKIES,
                  lambda status, error: _login_form(request, status, error, username, next),
                  username=username, password=password, nonce=nonce, next_=next, ip=client_ip(request))


@router.post("/logout")
def logout(csrf_token: str = Form(""), ctx: Ctx = Depends(context)) -> Response:
    return log_out(ctx, ctx.db, auth.DASHBOARD, COOKIES, csrf_token)


def _back(target: str, notice: str) -> Response:
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{safe_next(target)}{sep}notice={notice}", status_code=303)


def _decide(ctx: Ctx, action: str, item_id: str, url: str, note: str | None) -> None:
    from monitor.matching import MatchError, assign_column, confirm_match, reject_match

    fn = {"confirm": confirm_match, "reject": reject_match, "assign": assign_column}[action]
    try:
        fn(ctx.db, item_id, url, ctx.user.username, note=note or None,
           known_items=[i.id for i in ctx.estate.items])
    except MatchError as exc:
        raise BadInput(str(exc)) from None
    ctx.estate.invalidate()  # statuses depend on the decision: recompute on the next view


@router.post("/matches/{match_id}/{action}")
def decide_match(match_id: DbId, action: str, csrf_token: str = Form(""), note: str = Form(""),
                 back: str = Form(""), ctx: Ctx = Depends(context)) -> Response:
    check_csrf(ctx, csrf_token)
    require(ctx, "admin", "office", message="只有管理员和信息公开办公室可以确认或排除匹配。")
    if action not in ("confirm", "reject"):
        raise NotFound("未知操作。")
    found = ctx.db.execute("SELECT item_id, url FROM matches WHERE id = ?", (match_id,)).fetchone()
    if found is None:
        raise NotFound("该匹配已不存在（可能已被重新扫描更新）。")
    _decide(ctx, action, str(found[0]), found[1], note)
    return _back(back or f"/items/{quote(str(found[0]))}", "confirmed" if action == "confirm" else "rejected")


@router.post("/items/{item_id}/assign")
def assign(item_id: str, url: str = Form(""), csrf_token: str = Form(""), note: str = Form(""),
           back: str = Form(""), ctx: Ctx = Depends(context)) -> Response:
    check_csrf(ctx, csrf_token)
    require(ctx, "admin", "office", message="只有管理员和信息公开办公室可以指定栏目。")
    if item_id not in ctx.estate.item_by_id:
        raise NotFound("没有这个事项。")
    if not url.strip():
        raise BadInput("请填写栏目网址。")
    _decide(ctx, "assign", item_id, url.strip(), note)
    return _back(back or f"/items/{quote(item_id)}", "assigned")


@router.post("/columns/assign")
def assign_from_queue(url: str = Form(""), item_id: str = Form(""), csrf_token: str = Form(""),
                      ctx: Ctx = Depends(context)) -> Response:
    check_csrf(ctx, csrf_token)
    require(ctx, "admin", "office", message="只有管理员和信息公开办公室可以指定栏目。")
    if item_id not in ctx.estate.item_by_id:
        raise BadInput("请选择要对应的事项。")
    _decide(ctx, "assign", item_id, url.strip(), None)
    return _back("/review", "assigned")


@router.post("/items/{item_id}/ack")
def acknowledge(item_id: str, csrf_token: str = Form(""), note: str = Form(""),
                ctx: Ctx = Depends(context)) -> Response:
    check_csrf(ctx, csrf_token)
    item = ctx.estate.item_by_id.get(item_id)
    if item is None:
        raise NotFound("没有这个事项。")
    require(ctx, "admin", "office", "unit", message="只读账号不能确认事项。")
    registry.check_item_access(ctx, item_id)
    f = filters(ctx)
    state = ctx.estate.statuses(ctx.db, f.as_of).get(item_id)
    ctx.db.execute(
        "INSERT INTO acknowledgements (item_id, unit, username, status, as_of, note, at) VALUES (?,?,?,?,?,?,?)",
        (item_id, ctx.estate.item_unit(item, state), ctx.user.username, state.status if state else None,
         f.as_of.isoformat(), note.strip()[:500] or None, clock.now_iso()))
    return _back(f"/items/{quote(item_id)}", "acked")


@router.post("/scans/run")
def run_scan(csrf_token: str = Form(""), ctx: Ctx = Depends(context)) -> Response:
    check_csrf(ctx, csrf_token)
    require(ctx, "admin", message="只有管理员可以发起扫描。")
    if ctx.estate.config_path is None:
        raise BadInput("看板不知道配置文件的位置，无法发起扫描；请用 xxgk serve --config 启动。")
    started = ctx.request.app.state.scan_runner.start(ctx.db, ctx.estate.config_path)
    return _back("/scans", "scan_started" if started else "scan_running")
