"""JSON API: the same data as the pages, with the same filters and role checks (log-in cookie required).

The OpenAPI document is at /api/openapi.json; /api/docs renders it as a plain page (no CDN assets);
both need the log-in too.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from monitor.core import vocab
from monitor.dashboard import queries as q
from monitor.dashboard import registry
from monitor.dashboard.web import Ctx, NotFound, context, filters, page_arg, render, sort_args

router = APIRouter(prefix="/api", tags=["api"])

AS_OF = Query(None, description="评估日期 YYYY-MM-DD（默认今天）")
CATEGORY = Query(None, description="类别编号")
UNIT = Query(None, description="单位 ID")
STATUS = Query(None, description="状态：" + " / ".join(vocab.STATUS.order))


@router.get("/me", summary="当前登录用户")
def me(ctx: Ctx = Depends(context)) -> dict[str, Any]:
    u = ctx.user
    return {"username": u.username, "role": u.role, "unit": u.unit, "csrf_token": ctx.csrf}


@router.get("/overview", summary="概览：总数、各类别×状态、变化、即将到期、扫描情况")
def overview(ctx: Ctx = Depends(context), as_of: str | None = AS_OF, category: str | None = CATEGORY,
             unit: str | None = UNIT, status: str | None = STATUS) -> dict[str, Any]:
    f, states, scoped = registry.scoped(ctx)
    return {
        "as_of": f.as_of.isoformat(), "school": ctx.estate.school, "status_labels": dict(vocab.STATUS.label),
        "totals": q.totals(scoped), "categories": q.heatmap(ctx.estate, scoped),
        "changes": q.status_changes(ctx.estate, ctx.db, ctx.user, f.as_of),
        "upcoming": q.upcoming(scoped, f.as_of), "scan": q.user_scan_health(ctx.estate, ctx.db, ctx.user),
    }


@router.get("/items", summary="事项状态列表")
def items(ctx: Ctx = Depends(context), as_of: str | None = AS_OF, category: str | None = CATEGORY,
          unit: str | None = UNIT, status: str | None = STATUS,
          q_: str | None = Query(None, alias="q", description="标题包含")) -> dict[str, Any]:
    sort, desc = sort_args(ctx)
    return registry.build("items", ctx, None, sort, desc).to_json()


@router.get("/items/{item_id}", summary="单个事项：规则、状态、匹配、证据、版本")
def item(item_id: str, ctx: Ctx = Depends(context), as_of: str | None = AS_OF) -> dict[str, Any]:
    it = ctx.estate.item_by_id.get(item_id)
    if it is None:
        raise NotFound("没有这个事项。")
    registry.check_item_access(ctx, it.id)
    f = filters(ctx)
    state = ctx.estate.statuses(ctx.db, f.as_of).get(it.id)
    matches = q.item_matches(ctx.db, it.id)
    versions = q.versions_of(ctx.db, [m["page_id"] for m in matches if m["page_id"] is not None])
    unit_id = ctx.estate.item_unit(it, state)
    return {
        "id": it.id, "title": it.title, "short": it.short, "category": it.category, "unit": unit_id,
        "unit_name": ctx.estate.unit_name(unit_id), "rule": {"kind": it.rule_kind, "text": it.rule_text},
        "as_of": f.as_of.isoformat(),
        "status": None if state is None else {
            "status": state.status, "label": vocab.STATUS.label.get(state.status, state.status), "reason": state.reason,
            "last_changed": state.last_changed, "last_changed_source": state.last_changed_source, "due": state.due,
            "provisional": state.provisional, "candidates": list(state.candidates)},
        "matches": [{k: m[k] for k in ("id", "url", "target", "score", "reason", "method", "state", "page_id",
                                       "page_title", "decision", "decided_by", "decided_at")} for m in matches],
        "evidence": registry.evidence(ctx, None, None, False, item_id=it.id).to_json()["rows"],
        "versions": {str(pid): [{k: v[k] for k in ("id", "scan_id", "fetched_at", "published", "updated",
                                                   "fingerprint")} for v in vs] for pid, vs in versions.items()},
    }


@router.get("/units", summary="各单位：事项数、各状态、按时率、逾期总天数")
def units(ctx: Ctx = Depends(context), as_of: str | None = AS_OF) -> dict[str, Any]:
    sort, desc = sort_args(ctx)
    return registry.build("units", ctx, None, sort, desc).to_json()


@router.get("/trend", summary="各状态事项数随时间变化（已保存的评估历史）")
def trend(ctx: Ctx = Depends(context), as_of: str | None = AS_OF, category: str | None = CATEGORY,
          unit: str | None = UNIT) -> dict[str, Any]:
    f = filters(ctx)
    return {"series": q.trend(ctx.estate, ctx.db, ctx.user, category=f.category, unit=f.unit, until=f.as_of)}


@router.get("/tables/{name}", summary="任意表格（与页面和导出相同）：items, heatmap, changes, upcoming, units, "
                                      "review, unmapped, unreachable, errors, undated, blank, findings, sites, "
                                      "deadlinks, scans, search, evidence, notifications")
def table(name: str, ctx: Ctx = Depends(context), page: int | None = Query(None, description="页码（不填为全部）"),
          sort: str | None = Query(None), dir: str | None = Query(None, description="asc / desc"),
          as_of: str | None = AS_OF, category: str | None = CATEGORY, unit: str | None = UNIT,
          status: str | None = STATUS, q_: str | None = Query(None, alias="q"),
          item: str | None = Query(None, description="evidence 表：事项编号"),
          result: str | None = Query(None, description="notifications 表：failed / sent / pending")) -> dict[str, Any]:
    return registry.build(name, ctx, page_arg(ctx) if page else None, sort, dir == "desc").to_json()


def docs_page(request: Request, ctx: Ctx = Depends(context)) -> Response:
    spec = request.app.openapi()
    endpoints = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            params = [{"name": p["name"], "in": p["in"], "description": p.get("description") or "",
                       "required": p.get("required", False)} for p in op.get("parameters", [])]
            endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary") or "",
                              "params": params})
    return render(ctx, request, "api_docs.html", title="JSON 接口", endpoints=endpoints)


def openapi_document(request: Request, ctx: Ctx = Depends(context)) -> JSONResponse:
    # Behind the log-in: the document lists every route and parameter (docs/dashboard.md).
    return JSONResponse(request.app.openapi())


def add_docs_route(app) -> None:
    app.add_api_route("/api/docs", docs_page, methods=["GET"], response_class=HTMLResponse, include_in_schema=False)
    app.add_api_route("/api/openapi.json", openapi_document, methods=["GET"], include_in_schema=False)
