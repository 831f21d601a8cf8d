"""The overview's pages and exports. Every route reads the user's visible schools from ``Ctx`` (a school
account: its own school only) and every route naming a school checks it with ``require_school``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from monitor.core import clock
from monitor.core.vocab import STATUS
from monitor.dashboard import charts
from monitor.dashboard.tables import Table, to_csv, to_xlsx
from monitor.dashboard.web import BadInput, NotFound, log_in, log_out, login_form
from monitor.overview import accounts
from monitor.overview import queries as q
from monitor.overview.web import (
    COOKIES,
    Ctx,
    cached,
    context,
    db_of,
    render,
    require_province,
    require_school,
    templates,
)

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- log-in

def _login_form(request: Request, status_code: int = 200, error: str | None = None, username: str = "",
                next_: str = "/") -> Response:
    return login_form(request, render, COOKIES, no_users=accounts.count_users(db_of(request)) == 0,
                      status_code=status_code, error=error, username=username[:64], next_=next_)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, next_=next)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), nonce: str = Form(""),
          next: str = Form("/")) -> Response:
    ip = request.client.host if request.client else None
    return log_in(request, db_of(request), accounts.OVERVIEW, COOKIES,
                  lambda status, error: _login_form(request, status, error, username, next),
                  username=username, password=password, nonce=nonce, next_=next, ip=ip)


@router.post("/logout")
def logout(csrf_token: str = Form(""), ctx: Ctx = Depends(context)) -> Response:
    return log_out(ctx, ctx.db, accounts.OVERVIEW, COOKIES, csrf_token)


# ---------------------------------------------------------------- pages

def _exports(name: str) -> dict[str, str]:
    return {"csv": f"/export/{name}.csv", "xlsx": f"/export/{name}.xlsx"}


def _body(ctx: Ctx, name: str, template: str, data: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], Markup]:
    """A page's data and its content rendered once (autoescaped like every template) for these schools, until
    the next publish: it depends on nothing else (the header with the user's name is rendered per request)."""
    def build() -> tuple[dict[str, Any], Markup]:
        values = data()
        html = templates.get_template(template).render(labels=STATUS.label, url_with=lambda **kw: "", **values)
        return values, Markup(html)
    return cached(ctx, name, build)


def _matrix(ctx: Ctx) -> dict[str, Any]:
    m = q.matrix(ctx.db, ctx.visible)
    return {"m": m, "cells": q.matrix_cells(m), "total": m.total, "on_time_label": q.ON_TIME_LABEL,
            "shares": q.SHARE_STATUSES, "exports": _exports("matrix"), "table": q.matrix_table(m)}


def _ranking(ctx: Ctx) -> dict[str, Any]:
    return {"table": q.ranking(ctx.db, ctx.visible), "exports": _exports("ranking")}


def _trends(ctx: Ctx) -> dict[str, Any]:
    t = q.trends(ctx.db, ctx.visible)
    return {"chart": charts.status_bars(t.series(), STATUS.label, title="各月各状态事项数"),
            "table": q.trend_table(t), "schools_table": q.school_trend_table(t), "exports": _exports("trends"),
            "school_exports": _exports("school_trends")}


@router.get("/", response_class=HTMLResponse)
def matrix_page(ctx: Ctx = Depends(context)) -> Response:
    _, body = _body(ctx, "matrix", "matrix_body.html", lambda: _matrix(ctx))
    return render(ctx, ctx.request, "body.html", title="各校概览", body=body)


@router.get("/ranking", response_class=HTMLResponse)
def ranking_page(ctx: Ctx = Depends(context)) -> Response:
    require_province(ctx)
    _, body = _body(ctx, "ranking", "ranking_body.html", lambda: _ranking(ctx))
    return render(ctx, ctx.request, "body.html", title="学校排名", body=body)


@router.get("/trends", response_class=HTMLResponse)
def trends_page(ctx: Ctx = Depends(context)) -> Response:
    _, body = _body(ctx, "trends", "trends_body.html", lambda: _trends(ctx))
    return render(ctx, ctx.request, "body.html", title="月度趋势", body=body)


def _school_view(ctx: Ctx, key: str) -> tuple[q.School, str, list[str]]:
    require_school(ctx, key)
    s = q.school(ctx.db, key)
    if s is None or s.as_of is None:
        raise NotFound("该学校还没有发布评估结果。")
    days = q.snapshot_days(ctx.db, key)
    wanted = ctx.request.query_params.get("as_of") or s.as_of
    if wanted not in days:
        raise BadInput(f"该学校没有 {wanted[:20]} 的评估快照。")
    return s, wanted, days


def _item_filters(ctx: Ctx) -> tuple[str | None, str | None]:
    params = ctx.request.query_params
    category, status = params.get("category") or None, params.get("status") or None
    if status and status not in STATUS:
        raise BadInput(f"未知状态：{status[:20]}")
    return category, status


def _items_table(ctx: Ctx, s: q.School, as_of: str) -> Table:
    category, status = _item_filters(ctx)
    params = ctx.request.query_params
    return q.school_items(ctx.db, s, as_of, category=category, status=status, sort=params.get("sort") or None,
                          desc=params.get("dir") == "desc")


@router.get("/schools/{key}", response_class=HTMLResponse)
def school_page(key: str, ctx: Ctx = Depends(context)) -> Response:
    s, as_of, days = _school_view(ctx, key)
    category, status = _item_filters(ctx)
    cats = q.school_categories(ctx.db, key, as_of)
    if category and category not in {c["id"] for c in cats}:
        raise BadInput(f"未知类别：{category[:20]}")
    table = _items_table(ctx, s, as_of)
    query = ctx.request.url.query
    suffix = f"?{query}" if query else ""
    return render(ctx, ctx.request, "school.html", title=s.name, s=s, as_of=as_of, days=days, cats=cats,
                  table=table, category=category, status=status, on_time_label=q.ON_TIME_LABEL,
                  shares=q.SHARE_STATUSES,
                  exports={"csv": f"/schools/{key}/items.csv{suffix}", "xlsx": f"/schools/{key}/items.xlsx{suffix}"})


# ---------------------------------------------------------------- exports

def _download(table: Table, fmt: str, name: str) -> Response:
    stamp = clock.today().strftime("%Y%m%d")
    filename = f"xxgk-overview-{name}-{stamp}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(to_csv(table, STATUS.label), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(to_xlsx(table, STATUS.label), media_type=XLSX, headers=headers)


def _format(fmt: str) -> str:
    if fmt not in ("csv", "xlsx"):
        raise NotFound("导出格式只支持 csv 和 xlsx。")
    return fmt


@router.get("/export/{name}.{fmt}")
def export(name: str, fmt: str, ctx: Ctx = Depends(context)) -> Response:
    _format(fmt)
    if name == "matrix":
        table = _body(ctx, "matrix", "matrix_body.html", lambda: _matrix(ctx))[0]["table"]
    elif name == "ranking":
        require_province(ctx)
        table = _body(ctx, "ranking", "ranking_body.html", lambda: _ranking(ctx))[0]["table"]
    elif name in ("trends", "school_trends"):
        values = _body(ctx, "trends", "trends_body.html", lambda: _trends(ctx))[0]
        table = values["table" if name == "trends" else "schools_table"]
    else:
        raise NotFound("没有这个导出表。")
    return _download(table, fmt, name)


@router.get("/schools/{key}/items.{fmt}")
def export_school(key: str, fmt: str, ctx: Ctx = Depends(context)) -> Response:
    _format(fmt)
    s, as_of, _ = _school_view(ctx, key)
    return _download(_items_table(ctx, s, as_of), fmt, f"{key}-{as_of}")
