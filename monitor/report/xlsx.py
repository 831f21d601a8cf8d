"""XLSX rendering of the annual report (openpyxl).

Sheets: 概览 (headline figures), 逐项说明 (the item table, hyperlinked), 本学年公开内容 (one row per
publication, hyperlinked), 栏目链接 (one row per column link), 发布渠道, 各单位汇总, 各单位事项
(per-unit appendix), 依申请公开, 证据存档. Every value comes from the same report model; every text
cell is a string cell, so a crawled title such as ``=HYPERLINK(…)`` is shown, never evaluated.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from monitor.core.safe_text import HYPERLINK_MAX, safe_url, set_text_cell
from monitor.core.vocab import KIND
from monitor.report.model import AnnualReport

HEADER_FONT = Font(name="黑体", bold=True)
BODY_FONT = Font(name="宋体")
LINK_FONT = Font(name="宋体", color="0563C1", underline="single")
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
WRAP = Alignment(wrap_text=True, vertical="top")


def _sheet(wb: Workbook, title: str, header: list[str], widths: list[int]) -> Worksheet:
    ws = wb.create_sheet(title)
    ws.append(header)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
    ws.freeze_panes = "A2"
    return ws


def _append(ws: Worksheet, values: list, links: dict[int, str | None] | None = None) -> None:
    """Append a row; ``links`` maps 1-based column -> URL for a working hyperlink.

    Titles, names and URLs are crawled: every text goes in as a string cell (never a formula, see
    monitor.core.safe_text.set_text_cell), and only http(s) addresses become hyperlinks.
    """
    ws.append([None] * len(values))   # allocates the row (an empty list still leaves a blank row)
    row = ws.max_row
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col)
        set_text_cell(cell, value)
        cell.font, cell.alignment = BODY_FONT, WRAP
    for col, url in (links or {}).items():
        target = safe_url(url)
        if target and len(target) <= HYPERLINK_MAX:
            cell = ws.cell(row=row, column=col)
            cell.hyperlink = target
            cell.font = LINK_FONT


def build_workbook(report: AnnualReport) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    s = report.summary

    ws = _sheet(wb, "概览", ["指标", "数值"], [34, 70])
    for label, value in (
        ("报告", report.title), ("学校", report.school), ("学年", report.year.label),
        ("统计期间", f"{report.year.start} 至 {report.year.end}"), ("状态截至", report.as_of),
        ("生成时间", report.generated_at),
        ("扫描记录", f"{report.scans.count}次（{report.scans.first} 至 {report.scans.last}）"),
        ("应公开大类", s.categories), ("应公开条目", s.items), ("本学年完成更新的条目", s.updated),
        ("本学年无更新的条目", s.not_updated), ("其中：无需更新", len(s.not_required)),
        ("其中：应更新未更新", len(s.due_not_updated)),
        ("无更新条目（无需更新）", "、".join(report.names(s.not_required))),
        ("无更新条目（应更新未更新）", "、".join(report.names(s.due_not_updated))),
        ("本学年各渠道发布信息合计", s.articles_total), ("本学年各事项公开内容合计", s.publications_total),
    ):
        _append(ws, [label, value])
    _append(ws, [])
    _append(ws, ["类别", "条目数", "已更新", "无更新"])
    for c in report.categories:
        _append(ws, [f"{c.id}. {c.name}", c.items, c.updated, c.not_updated])
    _append(ws, [])
    for sec in report.sections:
        _append(ws, [sec.title, "\n".join(sec.paragraphs)])

    ws = _sheet(wb, "逐项说明", ["序号", "类别", "事项", "责任单位", "更新规则", "栏目链接", "栏目数",
                                "本学年公开内容（条）", "本学年公开内容", "本学年是否更新", "无更新原因",
                                "学年末状态", "状态说明", "最近更新日期", "日期来源"],
                [7, 14, 40, 14, 18, 40, 7, 10, 60, 10, 30, 12, 36, 12, 10])
    for it in report.items:
        first_col = it.columns[0] if it.columns else None
        pubs = "\n".join(f"{p.date} {p.title} {p.url} [{p.citation}]" for p in it.published)
        _append(ws, [it.item_id, it.category_name, it.title, it.unit_name, it.rule_text,
                     first_col.url if first_col else "未找到栏目", len(it.columns), len(it.published), pubs,
                     "是" if it.updated_in_year else "否",
                     it.no_update_reason or "", it.status_label, it.reason, it.last_changed or "",
                     it.last_changed_source or ""],
                links={6: first_col.url if first_col else None})

    ws = _sheet(wb, "本学年公开内容", ["序号", "事项", "责任单位", "发布日期", "标题", "网址", "类型", "日期来源", "存档编号"],
                [7, 30, 14, 12, 50, 60, 10, 10, 10])
    for it in report.items:
        for p in it.published:
            _append(ws, [it.item_id, it.name, it.unit_name, p.date, p.title, p.url,
                         KIND.formal.get(p.kind, p.kind), p.date_source or "", p.citation], links={6: p.url})

    ws = _sheet(wb, "栏目链接", ["序号", "事项", "栏目", "网址", "存档编号"], [7, 30, 30, 70, 10])
    for it in report.items:
        for column in it.columns:
            _append(ws, [it.item_id, it.name, column.title, column.url, column.citation], links={4: column.url})

    ws = _sheet(wb, "发布渠道", ["发布渠道", "所属单位", "网址", "本学年发布信息（条）"], [24, 20, 50, 14])
    for ch in report.channels:
        _append(ws, [ch.name, ch.unit_name, ch.site, ch.articles], links={3: ch.site})

    ws = _sheet(wb, "各单位汇总", ["责任单位", "负责条目", "已更新", "应更新未更新", "无需更新", "学年末逾期",
                                  "本学年公开内容（条）", "单位网站发布信息（条）", "未更新事项"],
                [20, 10, 10, 12, 10, 10, 14, 14, 50])
    for u in report.units:
        _append(ws, [u.name, len(u.items), len(u.updated), len(u.not_updated_due), len(u.not_updated_not_required),
                     len(u.overdue_at_year_end), u.publications, u.articles,
                     "、".join(report.names(u.not_updated_due))])

    ws = _sheet(wb, "各单位事项", ["责任单位", "序号", "事项", "本学年公开内容（条）", "本学年是否更新",
                                  "学年末状态", "最近更新日期", "栏目链接"], [20, 7, 36, 12, 12, 12, 12, 60])
    for u in report.units:
        for iid in u.items:
            it = report.item(iid)
            done = it.update_label
            link = it.columns[0].url if it.columns else ""
            _append(ws, [u.name, it.item_id, it.name, len(it.published), done, it.status_label,
                         it.last_changed or "", link], links={8: link})

    ws = _sheet(wb, "依申请公开", ["指标", "数量"], [30, 60])
    inp = report.inputs
    if inp:
        for indicator, figure in inp.rows():
            _append(ws, [indicator, figure])
        _append(ws, ["数据来源", inp.source])
    else:
        _append(ws, ["数据来源", "【待填写：未提供填报文件，依申请公开及举报、复议、诉讼数据需人工填写】"])

    ws = _sheet(wb, "证据存档", ["存档编号", "类型", "标题", "网址", "涉及条目", "存档时间", "存档页面"],
                [10, 10, 40, 60, 16, 22, 60])
    for cit in report.citations:
        _append(ws, [cit.id, KIND.formal.get(cit.kind, cit.kind), cit.title, cit.url, "、".join(cit.items),
                     cit.captured_at or "未存档", cit.captured_url or ""], links={4: cit.url})
    wb.properties.title = report.title
    wb.properties.creator = report.school
    return wb


def write_xlsx(report: AnnualReport, path: Path) -> Path:
    build_workbook(report).save(str(path))
    return path
