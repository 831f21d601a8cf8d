"""Read-only HTML pages: overview, items, item evidence, snapshots and diffs, units, review queue,
site health, scans, search, trends, and the CSV/XLSX export of any table."""
from __future__ import annotations

import difflib
import re

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from monitor import store
from monitor.core import clock
from monitor.core.vocab import STATUS
from monitor.dashboard import charts, registry
from monitor.dashboard import compliance_view as cv
from monitor.dashboard import notifications as notify_view
from monitor.dashboard import queries as q
from monitor.dashboard.tables import to_csv, to_xlsx
from monitor.dashboard.web import (
    BadInput,
    Ctx,
    DbId,
    Forbidden,
    NotFound,
    context,
    export_links,
    filters,
    page_arg,
    page_number,
    render,
    sort_args,
)
from monitor.store import history

router = APIRouter()


def _table_view(ctx: Ctx, name: str, paged: bool = True) -> dict:
    sort, desc = sort_args(ctx)
    table = registry.build(name, ctx, page_arg(ctx) if paged else None, sort, desc)
    return {"table": table, "exports": export_links(ctx.request, table)}


def _filter_options(ctx: Ctx) -> dict:
    units = sorted(ctx.estate.units.items(), key=lambda kv: kv[0])
    if ctx.user.role == "unit":
        units = [(k, v) for k, v in units if k == ctx.user.unit]
    return {"categories": ctx.estate.categories, "unit_options": units, "as_of_days": q.assessment_days(ctx.db)}


@router.get("/", response_class=HTMLResponse)
def overview(ctx: Ctx = Depends(context)) -> Response:
    f, states, scoped = registry.scoped(ctx)
    labels = STATUS.label
    totals = q.totals(scoped)
    heat = q.heatmap(ctx.estate, scoped)
    changes = registry.changes(ctx, None, None, False)
    upcoming = registry.upcoming(ctx, None, None, False)
    series = q.trend(ctx.estate, ctx.db, ctx.user, category=f.category, unit=f.unit, until=f.as_of)
    return render(ctx, ctx.request, "overview.html", title="概览", f=f, totals=totals, heat=heat,
                  changes=changes, upcoming=upcoming, calendar=q.calendar(ctx.estate, scoped, f.as_of),
                  health=q.user_scan_health(ctx.estate, ctx.db, ctx.user), chart=charts.status_bars(series, labels, title="各状态事项数随时间变化"),
                  assessed=bool(states), compliance=cv.overview_figures(ctx.estate, ctx.db, ctx.user),
                  **_filter_options(ctx),
                  exports={name: export_links(ctx.request, t) for name, t in
                           (("changes", changes), ("upcoming", upcoming),
                            ("heatmap", registry.heatmap(ctx, None, None, False)))})


@router.get("/items", response_class=HTMLResponse)
def items_page(ctx: Ctx = Depends(context)) -> Response:
    f = filters(ctx)
    return render(ctx, ctx.request, "items.html", title="事项", f=f, query=ctx.request.query_params.get("q") or "",
                  **_table_view(ctx, "items"), **_filter_options(ctx))


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(item_id: str, ctx: Ctx = Depends(context)) -> Response:
    item = ctx.estate.item_by_id.get(item_id)
    if item is None:
        raise NotFound(f"没有编号为 {item_id[:20]} 的事项。")
    registry.check_item_access(ctx, item.id)
    f = filters(ctx)
    state = ctx.estate.statuses(ctx.db, f.as_of).get(item.id)
    matches = q.item_matches(ctx.db, item.id)
    page_ids = [m["page_id"] for m in matches if m["page_id"] is not None]
    versions = q.versions_of(ctx.db, page_ids)
    timeline = registry.evidence(ctx, None, None, False, item_id=item.id)
    cat = ctx.estate.category_by_id.get(item.category)
    unit = ctx.estate.item_unit(item, state)
    history = [r for r in store.rows(ctx.db, "SELECT as_of, status, reason, last_changed, due, provisional"
                                             " FROM assessments"
                                             " WHERE item_id = ? AND as_of <= ? ORDER BY as_of DESC LIMIT 30",
                                     (item.id, f.as_of.isoformat()))]
    return render(ctx, ctx.request, "item.html", title=f"事项 {item.id}", f=f, item=item, state=state,
                  category=cat, unit=unit, unit_name=ctx.estate.unit_name(unit), matches=matches,
                  versions=versions, timeline=timeline, exports=export_links(ctx.request, timeline),
                  acks=q.acknowledgements(ctx.db, item.id), history=history,
                  can_ack=ctx.user.role in ("admin", "office") or
                  (ctx.user.role == "unit" and unit == ctx.user.unit))


def _version_access(ctx: Ctx, vid: int) -> dict:
    v = q.version(ctx.db, vid)
    if v is None:
        raise NotFound("没有这个存档版本。")
    if ctx.user.role == "unit":
        f = filters(ctx)
        states = ctx.estate.statuses(ctx.db, f.as_of)
        items = ctx.estate.item_by_id
        units = {ctx.estate.item_unit(items[i], states.get(i)) for i in q.page_items(ctx.db, v["page_id"])
                 if i in items}
        if v["page_unit"] != ctx.user.unit and ctx.user.unit not in units:
            raise Forbidden("该页面不属于您的单位的事项。")
    return v


@router.get("/versions/{vid}", response_class=HTMLResponse)
def version_page(vid: DbId, ctx: Ctx = Depends(context)) -> Response:
    v = _version_access(ctx, vid)
    others = history.version_list(ctx.db, v["page_id"])
    html_like = _is_html(v.get("content_type"))
    return render(ctx, ctx.request, "version.html", title=f"存档版本 #{vid}", v=v, others=others,
                  html_like=html_like, has_snapshot=v["snapshot"] is not None)


def _is_html(content_type: str | None) -> bool:
    ct = (content_type or "").lower()
    return not ct or "html" in ct or "xml" in ct


def _decode(body: bytes, content_type: str | None) -> str:
    """Decode an archived body the way the crawler did (header charset, then meta, GB* as GB18030)."""
    from crawler.extract.encoding import decode_html

    try:
        return decode_html(body, content_type)[0]
    except Exception:  # fall back to the simple rule below rather than failing the page
        pass
    m = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", (content_type or "").encode() + b" " + body[:2048], re.I)
    enc = (m.group(1).decode("ascii").lower() if m else "utf-8")
    if enc in ("gb2312", "gbk", "gb_2312-80"):
        enc = "gb18030"
    try:
        return body.decode(enc)
    except (LookupError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace")


# The archived page is untrusted: scripts never run (CSP sandbox without allow-scripts, also when the
# URL is opened directly), nothing is fetched from its original site, and it cannot frame us.
SNAPSHOT_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
                "form-action 'none'; frame-ancestors 'self'")


@router.get("/versions/{vid}/raw")
def version_raw(vid: DbId, ctx: Ctx = Depends(context)) -> Response:
    v = _version_access(ctx, vid)
    body = store.decompress(v["snapshot"])
    if body is None:
        raise NotFound("该版本没有保存页面快照。")
    headers = {"Content-Security-Policy": SNAPSHOT_CSP, "X-Content-Type-Options": "nosniff",
               "Cache-Control": "private, no-store"}
    if _is_html(v.get("content_type")):
        return HTMLResponse(_decode(body, v.get("content_type")), headers=headers)
    name = (v["url"].rstrip("/").rsplit("/", 1)[-1] or "snapshot")[:80]
    headers["Content-Disposition"] = f"attachment; filename=\"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}\""
    return Response(body, media_type="application/octet-stream", headers=headers)


@router.get("/versions/{vid}/source")
def version_source(vid: DbId, ctx: Ctx = Depends(context)) -> Response:
    v = _version_access(ctx, vid)
    body = store.decompress(v["snapshot"])
    if body is None:
        raise NotFound("该版本没有保存页面快照。")
    if not _is_html(v.get("content_type")):
        raise BadInput("该版本是附件文件，没有网页源代码；请下载原文件查看。")
    return PlainTextResponse(_decode(body, v.get("content_type")),
                             headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": SNAPSHOT_CSP})


@router.get("/versions/{vid}/text")
def version_text(vid: DbId, ctx: Ctx = Depends(context)) -> Response:
    v = _version_access(ctx, vid)
    text = store.decompress(v["text"])
    if text is None:
        raise NotFound("该版本没有保存正文文本。")
    return PlainTextResponse(text.decode("utf-8", errors="replace"),
                             headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": SNAPSHOT_CSP})


@router.get("/versions/{a}/diff/{b}", response_class=HTMLResponse)
def version_diff(a: DbId, b: DbId, ctx: Ctx = Depends(context)) -> Response:
    va, vb = _version_access(ctx, a), _version_access(ctx, b)
    if va["page_id"] != vb["page_id"]:
        raise BadInput("只能比较同一页面的两个版本。")
    if va["id"] > vb["id"]:
        va, vb = vb, va
    old = (store.decompress(va["text"]) or b"").decode("utf-8", errors="replace").splitlines()
    new = (store.decompress(vb["text"]) or b"").decode("utf-8", errors="replace").splitlines()
    lines = []
    for line in difflib.unified_diff(old, new, lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        lines.append({"kind": kind, "text": line})
    others = history.version_list(ctx.db, va["page_id"])
    return render(ctx, ctx.request, "diff.html", title="版本比较", a=va, b=vb, lines=lines, others=others,
                  same=old == new)


@router.get("/units", response_class=HTMLResponse)
def units_page(ctx: Ctx = Depends(context)) -> Response:
    f = filters(ctx)
    return render(ctx, ctx.request, "units.html", title="单位", f=f, **_table_view(ctx, "units", paged=False),
                  **_filter_options(ctx))


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit_page(unit_id: str, ctx: Ctx = Depends(context)) -> Response:
    unit = None if unit_id == "_none" else unit_id
    if unit is not None and unit not in ctx.estate.units:
        raise NotFound(f"没有单位 {unit_id[:30]}。")
    if ctx.user.role == "unit" and unit != ctx.user.unit:
        raise Forbidden("责任单位账号只能查看本单位。")
    f = filters(ctx)
    states = ctx.estate.statuses(ctx.db, f.as_of)
    scoped = [r for r in q.scoped_items(ctx.estate, states, q.Filters(as_of=f.as_of, category=f.category,
                                                                       status=f.status), ctx.user)
              if r[2] == unit]
    table = q.items_table(ctx.estate, scoped, *sort_args(ctx))
    summary = q.units_table(ctx.estate, scoped, f.as_of).rows
    series = q.trend(ctx.estate, ctx.db, ctx.user, unit=unit, until=f.as_of) if unit else []
    request = ctx.request
    return render(ctx, request, "unit.html", title=ctx.estate.unit_name(unit), f=f, unit=unit,
                  unit_name=ctx.estate.unit_name(unit), table=table, summary=summary[0] if summary else None,
                  exports={"csv": f"/export/items.csv?unit={unit or ''}&as_of={f.as_of}",
                           "xlsx": f"/export/items.xlsx?unit={unit or ''}&as_of={f.as_of}",
                           "json": f"/api/tables/items?unit={unit or ''}&as_of={f.as_of}"},
                  chart=charts.status_bars(series, STATUS.label, title="本单位事项状态随时间变化")
                  if unit else "")


@router.get("/review", response_class=HTMLResponse)
def review_page(ctx: Ctx = Depends(context)) -> Response:
    review = _table_view(ctx, "review")
    unmapped = registry.build("unmapped", ctx, _sub_page(ctx, "upage"), None, False)
    states = ctx.estate.statuses(ctx.db, clock.today())
    return render(ctx, ctx.request, "review.html", title="审核", review=review["table"], exports=review["exports"],
                  unmapped=unmapped, unmapped_exports=export_links(ctx.request, unmapped),
                  items=ctx.estate.items, provisional=sum(st.provisional for st in states.values()))


def _sub_page(ctx: Ctx, name: str) -> int:
    return page_number(ctx.request.query_params.get(name))


HEALTH_SECTIONS = ("sites", "rendering", "finding_pages", "findings", "deadlinks", "blank", "unreachable", "undated", "errors")
OPTIONAL = {"sites", "finding_pages", "findings", "deadlinks"}  # present when monitor.compliance is installed


@router.get("/health", response_class=HTMLResponse)
def health_page(ctx: Ctx = Depends(context)) -> Response:
    tables = {}
    for name in HEALTH_SECTIONS:
        if name == "errors" and ctx.user.role == "unit":
            continue  # fetch errors span every site: office view only
        try:
            tables[name] = registry.build(name, ctx, _sub_page(ctx, f"{name}_page"), None, False)
        except NotFound:
            if name not in OPTIONAL:
                raise
    sections = [{"name": n, "table": t, "exports": export_links(ctx.request, t)} for n, t in tables.items()]
    return render(ctx, ctx.request, "health.html", title="站点健康", sections=sections,
                  summary=cv.summary(tables), health=q.user_scan_health(ctx.estate, ctx.db, ctx.user))


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(ctx: Ctx = Depends(context)) -> Response:
    view = _table_view(ctx, "notifications")
    return render(ctx, ctx.request, "notifications.html", title="通知记录", counts=notify_view.counts(ctx.db),
                  result=ctx.request.query_params.get("result") or "", results=notify_view.RESULTS, **view)


@router.get("/notifications/{nid}", response_class=HTMLResponse)
def notification_page(nid: DbId, ctx: Ctx = Depends(context)) -> Response:
    if ctx.user.role not in registry.NOTIFY_ROLES:
        raise Forbidden("只有管理员和信息公开办公室账号可以查看通知记录。")
    msg = notify_view.notification(ctx.db, nid, office=ctx.estate.office)
    if msg is None:
        raise NotFound("没有这条通知记录。")
    return render(ctx, ctx.request, "notification.html", title=f"通知 #{nid}", msg=msg)


@router.get("/scans", response_class=HTMLResponse)
def scans_page(ctx: Ctx = Depends(context)) -> Response:
    running = ctx.request.app.state.scan_runner.running(ctx.db)
    return render(ctx, ctx.request, "scans.html", title="扫描", running=running, **_table_view(ctx, "scans"),
                  can_scan=ctx.user.is_admin and ctx.estate.config_path is not None)


@router.get("/search", response_class=HTMLResponse)
def search_page(ctx: Ctx = Depends(context)) -> Response:
    text = (ctx.request.query_params.get("q") or "").strip()
    data: dict = {"query": text, "table": None, "item_hits": []}
    if text:
        data.update(_table_view(ctx, "search"))
        data["item_hits"] = registry.items(ctx, None, None, False).rows
    return render(ctx, ctx.request, "search.html", title="搜索", **data)


@router.get("/trends", response_class=HTMLResponse)
def trends_page(ctx: Ctx = Depends(context)) -> Response:
    f = filters(ctx)
    labels = STATUS.label
    charts_ = []
    for cat in ctx.estate.categories:
        series = q.trend(ctx.estate, ctx.db, ctx.user, category=cat.id, unit=f.unit, until=f.as_of)
        charts_.append({"title": f"{cat.id}. {cat.name}", "svg": charts.status_bars(series, labels, height=170,
                                                                                    title=cat.name)})
    return render(ctx, ctx.request, "trends.html", title="趋势", f=f, charts=charts_, **_filter_options(ctx))


@router.get("/export/{name}.{fmt}")
def export(name: str, fmt: str, ctx: Ctx = Depends(context)) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound("导出格式只支持 csv 和 xlsx。")
    sort, desc = sort_args(ctx)
    table = registry.build(name, ctx, None, sort, desc)
    labels = STATUS.label
    stamp = clock.today().strftime("%Y%m%d")
    filename = f"xxgk-{table.name}-{stamp}.{fmt}"
    if fmt == "csv":
        return Response(to_csv(table, labels), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return Response(to_xlsx(table, labels),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
