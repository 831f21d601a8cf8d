"""Site-health tables built on ``monitor.compliance``: personal-data findings, broken links, site
reachability, blank and stale columns. Everything shown is Chinese and masked; the dashboard never
reads the findings table directly, so the masking rules live in one place (``monitor.compliance``)."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from monitor.auth import User
from monitor.compliance.findings import list_findings
from monitor.compliance.links import link_report
from monitor.compliance.sites import blank_columns, site_status
from monitor.core.vocab import COLUMN_FINDING, FINDING_STATE
from monitor.dashboard.estate import Estate
from monitor.dashboard.tables import PER_PAGE, Column, Table, paginate, sort_rows
from monitor.store.engine import Database

DISCLOSURE_SITE = "信息公开网"


def _owner(estate: Estate, unit: str | None) -> str:
    # '' / None: the disclosure site itself, run by the office.
    return estate.unit_name(unit) if unit else DISCLOSURE_SITE


def _scope(user: User) -> str | None:
    """The unit filter ``monitor.compliance`` takes: a unit user's own unit, else everyone (None)."""
    return (user.unit or "") if user.role == "unit" else None


def _minute(ts: str | None) -> str:
    return (ts or "")[:16].replace("T", " ")


_LOCATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^html$"), "网页正文"),
    (re.compile(r"^pdf page (\d+)$"), "PDF 第 {0} 页"),
    (re.compile(r"^docx paragraph (\d+)$"), "Word 文档第 {0} 段"),
    (re.compile(r"^docx table (\d+) row (\d+)$"), "Word 文档表格 {0} 第 {1} 行"),
    (re.compile(r"^xlsx (.+)!([A-Z]+\d+)$"), "Excel 工作表“{0}” {1} 单元格"),
)


def location_label(location: str | None) -> str:
    """Chinese name of where in a document a finding is ("pdf page 3" → "PDF 第 3 页")."""
    if not location:
        return ""
    for pattern, text in _LOCATIONS:
        m = pattern.match(location)
        if m:
            return text.format(*m.groups())
    return location


# --------------------------------------------------------------------------------- personal data

FINDING_COLUMNS = [
    Column("status_label", "处理状态", "label"), Column("kind_label", "类型", "label"),
    Column("masked", "内容（已脱敏）", "label"),
    Column("excerpt", "上下文（已脱敏）", sortable=False), Column("location", "位置"),
    Column("url", "所在页面或文件", "url"), Column("parent_url", "链接该文件的页面", "url"),
    Column("unit_name", "所属单位"), Column("occurrences", "出现次数", "num"),
    Column("first_seen", "首次发现", "date"), Column("last_seen", "最近发现", "date"), Column("id", "编号", "num"),
]
FINDINGS_PER_PAGE = 20  # rows are tall (masked context): keep the health page readable


def findings_table(estate: Estate, db: Database, user: User, page: int | None,
                   sort: str | None = None, desc: bool = False) -> Table:
    """Personal-data findings (masked value and masked context only), unresolved first."""
    found = list_findings(db, status=None, unit=_scope(user))
    order = FINDING_STATE.order  # unresolved first, then accepted, then fixed; unknown states last
    found.sort(key=lambda f: (order.index(f["status"]) if f["status"] in order else len(order), -(f["id"] or 0)))
    rows_ = [{"id": f["id"], "status": f["status"], "status_label": f["status_label"], "kind_label": f["kind_label"],
              "masked": f["masked"], "excerpt": f["excerpt"] or "", "location": location_label(f["location"]),
              "url": f["url"], "parent_url": f["parent_url"], "unit_name": _owner(estate, f["unit"]),
              "occurrences": f["occurrences"], "first_seen": (f["first_seen_at"] or "")[:10],
              "last_seen": (f["last_seen_at"] or "")[:10],
              "row_class": "r-bad" if f["status"] == "open" else ("r-done" if f["status"] == "fixed" else "")}
             for f in found]
    open_count = sum(f["status"] == "open" for f in found)
    table = Table("findings", "个人信息泄露（已脱敏）", FINDING_COLUMNS, rows_, empty="没有发现个人信息泄露",
                  extra={"open": open_count,
                         "note": "只显示脱敏后的内容。“已整改”指较新版本中已不含该信息或页面已删除；"
                                 "依法必须公开的名单可用 xxgk findings accept 编号 标为“已确认可公开”。"})
    sort_rows(table, sort, desc)
    if page is not None:
        paginate(table, page, FINDINGS_PER_PAGE)
    return table


FINDING_PAGE_COLUMNS = [
    Column("url", "页面或文件", "url"), Column("parent_url", "链接该文件的页面", "url"),
    Column("unit_name", "所属单位"), Column("open", "未处理", "num"), Column("kinds", "内容", sortable=False),
    Column("total", "全部记录", "num"), Column("first_seen", "首次发现", "date"),
]


def finding_pages_table(estate: Estate, db: Database, user: User, page: int | None,
                        sort: str | None = None, desc: bool = False) -> Table:
    """Findings per page or file: what a unit has to take down or re-publish, most unresolved first."""
    groups: dict[str, dict[str, Any]] = {}
    for f in list_findings(db, status=None, unit=_scope(user)):
        g = groups.setdefault(f["url"], {"url": f["url"], "parent_url": f["parent_url"],
                                         "unit_name": _owner(estate, f["unit"]), "open": 0, "total": 0,
                                         "kind_counts": {}, "first_seen": (f["first_seen_at"] or "")[:10]})
        g["total"] += 1
        if f["status"] == "open":
            g["open"] += 1
            g["kind_counts"][f["kind_label"]] = g["kind_counts"].get(f["kind_label"], 0) + 1
        g["first_seen"] = min(g["first_seen"], (f["first_seen_at"] or "")[:10]) or g["first_seen"]
    rows_ = []
    for g in groups.values():
        kinds = g.pop("kind_counts")
        g["kinds"] = "、".join(f"{k} {n} 处" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])) or "已处理"
        g["row_class"] = "r-bad" if g["open"] else "r-done"
        rows_.append(g)
    rows_.sort(key=lambda r: (-r["open"], r["unit_name"], r["url"]))
    table = Table("finding_pages", "含个人信息的页面和文件", FINDING_PAGE_COLUMNS, rows_,
                  empty="没有含个人信息的页面",
                  extra={"note": "按页面汇总：请责任单位删除或遮盖后重新发布；下一次扫描会自动确认整改。"})
    sort_rows(table, sort, desc)
    if page is not None:
        paginate(table, page, FINDINGS_PER_PAGE)
    return table


# ------------------------------------------------------------------------------------ broken links

DEADLINK_COLUMNS = [
    Column("url", "失效链接", "url"), Column("text", "链接文字"), Column("label", "结果", "label"),
    Column("reason", "说明", sortable=False), Column("page_count", "出现页面数", "num"),
    Column("where", "出现在", "url"), Column("unit_name", "所属单位"), Column("site", "网站", "url"),
]


def deadlinks_table(estate: Estate, db: Database, user: User, page: int | None,
                    sort: str | None = None, desc: bool = False) -> Table:
    """Broken links (failing in the last two link checks), each once, with where it appears first
    (the home page first: a broken link in a site-wide menu is one problem, not one per page)."""
    rows_ = []
    for site in link_report(db, unit=_scope(user)):
        for link in site["links"]:
            first = link["pages"][0] if link["pages"] else {}
            rows_.append({"url": link["url"], "text": link["text"] or "", "label": link["label"],
                          "reason": link["reason"] or "", "page_count": link["page_count"],
                          "where": first.get("url"), "where_home": bool(first.get("is_home")),
                          "unit_name": _owner(estate, site["unit"]), "site": site["site"] or None,
                          "row_class": "r-bad"})
    table = Table("deadlinks", "失效链接", DEADLINK_COLUMNS, rows_, empty="没有失效链接",
                  extra={"note": "连续两次链接检查都失败才列出；内网或需登录的地址、被反爬拦截的地址不算失效。"})
    sort_rows(table, sort, desc)
    if page is not None:
        paginate(table, page)
    return table


# ----------------------------------------------------------------------------------- reachability

SITE_COLUMNS = [Column("site", "网站", "url"), Column("unit_name", "单位"), Column("label", "状态", "label"),
                Column("reason", "说明", sortable=False), Column("failures", "连续失败次数", "num"),
                Column("last_checked", "最近检查", "date")]


def sites_table(estate: Estate, db: Database, user: User,
                sort: str | None = None, desc: bool = False) -> Table:
    """Reachability of each configured site: unreachable only after repeated failures on several days."""
    found = site_status(db, estate.cfg)
    scope = _scope(user)
    if scope is not None:
        found = [r for r in found if (r["unit"] or "") == scope]
    rows_ = [{"site": r["site"], "unit_name": _owner(estate, r["unit"]), "status": r["status"],
              "label": r["label"], "reason": r["reason"], "failures": r["failures"],
              "last_checked": _minute(r["last_checked"]),
              "row_class": {"unreachable": "r-bad", "degraded": "r-warn"}.get(r["status"], "")} for r in found]
    table = Table("sites", "网站可访问性", SITE_COLUMNS, rows_, empty="还没有网站检查记录",
                  extra={"note": "偶尔一次超时不算无法访问：须连续多次、跨多天检查都失败。"})
    sort_rows(table, sort, desc)
    return table


RENDER_COLUMNS = [Column("site", "网站", "url"), Column("unit_name", "单位"), Column("reason_label", "原因", "label"),
                  Column("rendered", "经浏览器渲染的页面", "num"), Column("left", "需要浏览器但未渲染", "num")]


def render_table(estate: Estate, db: Database, user: User,
                 sort: str | None = None, desc: bool = False) -> Table:
    """Which sites needed a browser (crawl.render): pages rendered, and pages left as a plain fetch saw them."""
    from monitor.core.vocab import RENDER
    from monitor.store.history import render_by_site

    scope = _scope(user)
    rows_ = [{"site": r["site"], "unit_name": _owner(estate, r["unit"]), "reason": r["reason"],
              "reason_label": RENDER.label.get(r["reason"], r["reason"]), "rendered": r["rendered"], "left": r["left"],
              "row_class": "r-warn" if r["left"] else ""}
             for r in render_by_site(db) if scope is None or (r["unit"] or "") == scope]
    table = Table("rendering", "需要浏览器的网站", RENDER_COLUMNS, rows_, empty="没有需要浏览器才能读取的页面",
                  extra={"rendered": sum(r["rendered"] for r in rows_), "left": sum(r["left"] for r in rows_),
                         "note": "反爬虫验证页或由脚本加载列表的栏目，只有浏览器能读取（crawl.render，见配置说明）。"
                                 "未渲染的页面保持原样，相关事项显示为“无法访问”，不计为缺失或空白栏目。"})
    sort_rows(table, sort, desc)
    return table


# ------------------------------------------------------------------------------ blank/stale columns

COLUMN_COLUMNS = [Column("name", "栏目"), Column("url", "网址", "url"), Column("unit_name", "所属单位"),
                  Column("kind_label", "情况", "label"), Column("newest", "最新条目", "date"),
                  Column("reason", "说明", sortable=False)]


def columns_table(estate: Estate, db: Database, user: User, as_of: date, page: int | None,
                  sort: str | None = None, desc: bool = False) -> Table:
    """Columns that never had content, and columns not updated for longer than their rule allows
    (the national inspection rules: news 2 weeks, notices/policies 6 months)."""
    found = estate.cached(db, ("blank_columns", as_of.isoformat()),
                          lambda: blank_columns(db, estate.cfg, as_of=as_of))
    scope = _scope(user)
    rows_ = [{"name": c["name"] or "（无标题栏目）", "url": c["url"], "unit_name": _owner(estate, c["unit"]),
              "kind": c["kind"], "kind_label": COLUMN_FINDING.label.get(c["kind"], c["kind"]), "newest": c.get("newest"),
              "reason": c["reason"], "row_class": "r-bad" if c["kind"] == "blank" else "r-warn"}
             for c in found if scope is None or (c["unit"] or "") == scope]
    rows_.sort(key=lambda r: (r["kind"] != "blank", r["unit_name"], r["url"]))
    table = Table("blank", "空白栏目与长期未更新栏目", COLUMN_COLUMNS, rows_, empty="没有空白或长期未更新的栏目",
                  extra={"blank": sum(r["kind"] == "blank" for r in rows_),
                         "stale": sum(r["kind"] == "stale" for r in rows_),
                         "note": "空白栏目：从未发布过内容（尚无事件的事件类事项除外）。长期未更新：超过所对应事项的更新要求，"
                                 "或动态/要闻类超过 2 周、通知公告/政策文件类超过 6 个月（国办秘函〔2019〕19号）。"})
    sort_rows(table, sort, desc)
    if page is not None:
        paginate(table, page, PER_PAGE)
    return table


def summary(tables: dict[str, Table]) -> list[dict[str, Any]]:
    """The health page's headline figures, one per problem kind, linking to its section."""
    out = []

    def add(name: str, label: str, n: int, bad: bool = True) -> None:
        out.append({"anchor": name, "label": label, "n": n, "bad": bad and n > 0})

    if "sites" in tables:
        add("sites", "网站无法访问", sum(r["status"] == "unreachable" for r in tables["sites"].rows))
    if "findings" in tables:
        add("finding_pages" if "finding_pages" in tables else "findings", "个人信息泄露未处理",
            tables["findings"].extra.get("open", 0))
    if "deadlinks" in tables:
        t = tables["deadlinks"]
        add("deadlinks", "失效链接", t.total if t.total is not None else len(t.rows))
    if "blank" in tables:
        t = tables["blank"]
        if "stale" in t.extra:
            add("blank", "空白栏目", t.extra["blank"])
            add("blank", "长期未更新栏目", t.extra["stale"])
        else:
            add("blank", "空白栏目", t.total if t.total is not None else len(t.rows))
    for name, label in (("unreachable", "无法访问的页面"), ("undated", "没有发布日期的文章"), ("errors", "本次扫描抓取错误")):
        if name in tables:
            t = tables[name]
            add(name, label, t.total if t.total is not None else len(t.rows))
    return out


def overview_figures(estate: Estate, db: Database, user: User) -> list[dict[str, Any]]:
    """Compliance figures for the overview's scan box (what the health page details), scoped to the user."""
    scope = _scope(user)
    open_findings = len(list_findings(db, status="open", unit=scope))
    broken = sum(len(s["links"]) for s in link_report(db, unit=scope))
    down = sum(1 for s in site_status(db, estate.cfg)
               if s["status"] == "unreachable" and (scope is None or (s["unit"] or "") == scope))
    return [{"anchor": "finding_pages", "label": "个人信息泄露未处理", "n": open_findings, "unit": "条"},
            {"anchor": "deadlinks", "label": "失效链接", "n": broken, "unit": "个"},
            {"anchor": "sites", "label": "网站无法访问", "n": down, "unit": "个"}]
