"""Every exportable table by name: the HTML pages, the CSV/XLSX export and the JSON API all build
their tables here, with the same filters and the same role checks."""
from __future__ import annotations

from typing import Callable

from monitor import store
from monitor.core.vocab import KIND, STATUS
from monitor.dashboard import compliance_view as cv
from monitor.dashboard import notifications as notify_view
from monitor.dashboard import queries as q
from monitor.dashboard import search
from monitor.dashboard.tables import PER_PAGE, Column, Table, paginate, sort_rows
from monitor.dashboard.web import BadInput, Ctx, Forbidden, NotFound, filters

OFFICE_ONLY = "责任单位账号只能查看本单位的事项，不能查看此页面。"


def _no_unit(ctx: Ctx) -> None:
    if ctx.user.role == "unit":
        raise Forbidden(OFFICE_ONLY)


def scoped(ctx: Ctx, f: q.Filters | None = None):
    f = f or filters(ctx)
    states = ctx.estate.statuses(ctx.db, f.as_of)
    return f, states, q.scoped_items(ctx.estate, states, f, ctx.user)


def items(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    f, _, rows_ = scoped(ctx)
    text = (ctx.request.query_params.get("q") or "").strip()
    if text:
        rows_ = [r for r in rows_ if search.matches_text(text, r[0].title, r[0].short, r[0].id)]
    table = q.items_table(ctx.estate, rows_, sort, desc)
    if page is not None and len(table.rows) > 100:
        paginate(table, page, 100)
    return table


def heatmap(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    _, _, rows_ = scoped(ctx)
    cols = [Column("name", "类别")] + [Column(s, STATUS.label[s], "num") for s in STATUS.order] + [Column("total", "合计", "num")]
    return Table("heatmap", "各类别事项状态", cols, q.heatmap(ctx.estate, rows_))


CHANGE_COLUMNS = [Column("item_id", "编号", href="item_url"), Column("name", "事项", "link", href="item_url"),
                  Column("old", "原状态", "status"), Column("new", "新状态", "status"),
                  Column("unit_name", "责任单位"), Column("reason", "说明", sortable=False)]


def changes(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    f = filters(ctx)
    found = q.status_changes(ctx.estate, ctx.db, ctx.user, f.as_of)
    rows_ = [dict(c, item_url=f"/items/{c['item_id']}", unit_name=ctx.estate.unit_name(c["unit"]))
             for c in found["changes"] if not f.unit or c["unit"] == f.unit]
    span = f"{found['from']} → {found['to']}" if found["from"] else "（需要至少两次评估）"
    table = Table("changes", f"状态变化 {span}", CHANGE_COLUMNS, rows_, empty="两次评估之间没有状态变化",
                  extra=found)
    sort_rows(table, sort, desc)
    return table


UPCOMING_COLUMNS = [Column("due", "截止日期", "date"), Column("item_id", "编号", href="item_url"),
                    Column("name", "事项", "link", href="item_url"), Column("status", "状态", "status"),
                    Column("unit_name", "责任单位")]


def upcoming(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    f, _, rows_ = scoped(ctx)
    found = [dict(r, item_url=f"/items/{r['item_id']}", unit_name=ctx.estate.unit_name(r["unit"]))
             for r in q.upcoming(rows_, f.as_of)]
    table = Table("upcoming", "未来 60 天的截止日期", UPCOMING_COLUMNS, found, empty="未来 60 天没有截止日期")
    sort_rows(table, sort, desc)
    return table


def units(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    f, _, rows_ = scoped(ctx)
    return q.units_table(ctx.estate, rows_, f.as_of, sort, desc)


def review(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    _no_unit(ctx)
    return q.review_table(ctx.estate, ctx.db, ctx.user, page, sort, desc)


def unmapped(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    _no_unit(ctx)
    return q.unmapped_columns_table(ctx.estate, ctx.db, ctx.user, page, sort, desc)


def unreachable(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    return q.unreachable_table(ctx.estate, ctx.db, ctx.user, page, sort, desc)


def errors(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    _no_unit(ctx)
    scan = store.latest_scan(ctx.db, finished=False)
    return q.errors_table(ctx.db, scan["id"] if scan else None, page)


def undated(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    return q.undated_table(ctx.estate, ctx.db, ctx.user, page, sort, desc)


def blank(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    # blank and stale columns, judged by their rules
    return cv.columns_table(ctx.estate, ctx.db, ctx.user, filters(ctx).as_of, page, sort, desc)


def findings(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    return cv.findings_table(ctx.estate, ctx.db, ctx.user, page, sort, desc)


def finding_pages(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    return cv.finding_pages_table(ctx.estate, ctx.db, ctx.user, page, sort, desc)


def sites(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    return cv.sites_table(ctx.estate, ctx.db, ctx.user, sort, desc)


def rendering(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    return cv.render_table(ctx.estate, ctx.db, ctx.user, sort, desc)


def deadlinks(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    return cv.deadlinks_table(ctx.estate, ctx.db, ctx.user, page, sort, desc)


NOTIFY_ROLES = ("admin", "office")


def notifications(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    if ctx.user.role not in NOTIFY_ROLES:
        raise Forbidden("只有管理员和信息公开办公室账号可以查看通知记录。")
    result = ctx.request.query_params.get("result") or None
    if result is not None and result not in notify_view.RESULTS:
        raise BadInput(f"未知的发送结果：{result[:20]}")
    return notify_view.notifications_table(ctx.db, page, result, sort, desc, office=ctx.estate.office)


def scans(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    _no_unit(ctx)
    return q.scans_table(ctx.db, page, ctx.estate.site_name)


SEARCH_COLUMNS = [Column("title", "标题", "link", href="href"), Column("url", "网址", "url"),
                  Column("kind", "类型"), Column("unit_name", "所属单位"), Column("last_changed", "最近更新", "date"),
                  Column("source", "日期来源")]


def pages_search(ctx: Ctx, page: int | None, sort: str | None, desc: bool) -> Table:
    text = (ctx.request.query_params.get("q") or "").strip()
    if not text:
        raise BadInput("请输入要搜索的词")
    limit = PER_PAGE if page is not None else 5000
    offset = (max(1, page) - 1) * PER_PAGE if page is not None else 0
    found, total = search.search_pages(ctx.db, text, unit=ctx.user.unit if ctx.user.role == "unit" else None,
                                       limit=limit, offset=offset)
    rows_ = [{"title": r["title"] or r["column_name"] or r["url"], "url": r["url"], "href": r["url"],
              "kind": KIND.label.get(r["kind"] or "", r["kind"] or ""),
              "unit_name": ctx.estate.unit_name(r["unit"]) if r["unit"] else "信息公开网",
              "last_changed": r["last_changed"], "source": q.source_label(r["last_changed_source"])}
             for r in found]
    table = Table("search", f"标题含“{text[:30]}”的页面", SEARCH_COLUMNS, rows_, total=total,
                  empty="没有标题包含该词的页面")
    if page is not None:
        table.page, table.per_page = max(1, page), PER_PAGE
    return table


EVIDENCE_COLUMNS = [Column("date", "日期", "date"), Column("source_label", "日期来源"), Column("kind_label", "类型"),
                    Column("title", "标题", "link", href="url"), Column("url", "网址", "url"),
                    Column("first_seen_scan", "首次发现（扫描）", "num"), Column("last_seen_scan", "最近出现（扫描）", "num")]


def evidence(ctx: Ctx, page: int | None, sort: str | None, desc: bool, item_id: str | None = None) -> Table:
    item_id = item_id or ctx.request.query_params.get("item")
    item = ctx.estate.item_by_id.get(str(item_id or ""))
    if item is None:
        raise NotFound("没有这个事项。")
    check_item_access(ctx, item.id)
    events = q.evidence_timeline(ctx.db, q.item_matches(ctx.db, item.id))
    rows_ = [dict(e, kind_label=KIND.label.get(e["kind"], e["kind"])) for e in events]
    table = Table("evidence", f"事项 {item.id} 的证据", EVIDENCE_COLUMNS, rows_, empty="还没有找到任何证据")
    sort_rows(table, sort, desc)
    return table


def check_item_access(ctx: Ctx, item_id: str) -> None:
    if ctx.user.role != "unit":
        return
    item = ctx.estate.item_by_id[item_id]
    state = ctx.estate.statuses(ctx.db, filters(ctx).as_of).get(item_id)
    if not ctx.user.may_see_unit(ctx.estate.item_unit(item, state)):
        raise Forbidden("该事项不属于您的单位，责任单位账号只能查看本单位的事项。")


Builder = Callable[[Ctx, "int | None", "str | None", bool], Table]
TABLES: dict[str, Builder] = {
    "items": items, "heatmap": heatmap, "changes": changes, "upcoming": upcoming, "units": units,
    "review": review, "unmapped": unmapped, "unreachable": unreachable, "errors": errors, "undated": undated,
    "blank": blank, "findings": findings, "finding_pages": finding_pages, "sites": sites, "deadlinks": deadlinks,
    "rendering": rendering,
    "scans": scans,
    "search": pages_search, "evidence": evidence, "notifications": notifications,
}


def build(name: str, ctx: Ctx, page: int | None, sort: str | None = None, desc: bool = False) -> Table:
    builder = TABLES.get(name)
    if builder is None:
        raise NotFound(f"没有名为 {name[:40]} 的表格。")
    return builder(ctx, page, sort, desc)
