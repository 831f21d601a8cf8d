"""The annual report's data model (`xxgk report --year 2018-2019`): the dataclass tree rooted at
:class:`AnnualReport`.

monitor.report.build fills it from the store and the year-end assessment; every output (DOCX, XLSX,
HTML, Markdown, WARC evidence archive: the renderers next to this module) is rendered from that same
object, so they cannot disagree. This module imports no renderer and no store.

Academic year ``2018-2019`` runs 2018-09-01 .. 2019-08-31. "Updated within the year" means the
item has evidence dated inside the year. Figures that are not on the web (依申请公开, 举报, 复议,
诉讼) come from the office's inputs YAML (see docs/report.md) and are stated with their source.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Iterable

from monitor.core.clock import as_date
from monitor.core.vocab import CONFIRMATION

PLACEHOLDER_RE = re.compile(r"【待填写：[^】]*】")

# Items whose rule never requires a new publication without a triggering event or change.
NO_DUTY_KINDS = {"static", "event"}


# --------------------------------------------------------------------------- model

class ReportError(Exception):
    """A condition the user must fix; the message is one Chinese sentence."""


@dataclass
class AcademicYear:
    label: str          # "2018-2019"
    start: date         # 2018-09-01
    end: date           # 2019-08-31

    @classmethod
    def parse(cls, text: str) -> "AcademicYear":
        m = re.fullmatch(r"\s*(\d{4})\s*[-–/～~至]\s*(\d{4})\s*", text or "")
        if not m:
            raise ReportError(f"学年格式应为 YYYY-YYYY（如 2018-2019），收到 {text!r}")
        first, second = int(m.group(1)), int(m.group(2))
        if second != first + 1 or not 1990 <= first <= 2100:
            raise ReportError(f"学年应为相邻两年（如 2018-2019），收到 {text!r}")
        return cls(f"{first}-{second}", date(first, 9, 1), date(second, 8, 31))

    @classmethod
    def last_completed(cls, today: date) -> "AcademicYear":
        first = today.year - 1 if today.month >= 9 else today.year - 2
        return cls.parse(f"{first}-{first + 1}")

    def contains(self, day: str | date | None) -> bool:
        d = as_date(day)
        return d is not None and self.start <= d <= self.end

    @property
    def span_cn(self) -> str:
        return f"{cn_date(self.start)}至{cn_date(self.end)}"


@dataclass
class Citation:
    """One piece of web evidence the report cites, with the stored capture that proves it."""
    id: str                          # "E001": the archive reference printed in every output
    url: str
    title: str
    kind: str                        # column|article|attachment|entry
    items: list[str] = field(default_factory=list)
    page_id: int | None = None
    version_id: int | None = None    # versions row archived (None: never captured)
    captured_url: str | None = None  # URL of that capture (for an entry: the list page showing it)
    captured_at: str | None = None   # versions.fetched_at

    @property
    def archived(self) -> bool:
        return self.version_id is not None


@dataclass
class ColumnLink:
    url: str
    title: str
    citation: str | None = None


@dataclass
class Publication:
    """Evidence of an item dated inside the year."""
    url: str
    title: str
    date: str                        # YYYY-MM-DD
    date_source: str | None
    kind: str
    page_id: int | None = None
    citation: str | None = None


@dataclass
class ItemRow:
    item_id: str
    category_id: str
    category_name: str
    title: str
    short: str
    unit_id: str | None
    unit_name: str
    rule_kind: str
    rule_text: str
    columns: list[ColumnLink]
    published: list[Publication]
    updated_in_year: bool
    status: str                      # year-end status (monitor.rules)
    status_label: str
    reason: str
    last_changed: str | None
    last_changed_source: str | None
    due: str | None
    no_update: str | None = None     # None (updated) | 'not_required' | 'due'
    no_update_reason: str | None = None
    # judged from match candidates awaiting review: status_label carries the mark (monitor.report.build)
    provisional: bool = False

    @property
    def name(self) -> str:
        return self.short or self.title

    @property
    def mark(self) -> str:
        """'（待确认）' after a figure that rests on unconfirmed candidates, else ''."""
        return f"（{CONFIRMATION.formal['provisional']}）" if self.provisional else ""

    @property
    def update_label(self) -> str:
        """本学年是否更新, as every output states it."""
        if self.updated_in_year:
            return "已更新"
        return "无需更新" if self.no_update == "not_required" else "未更新"


@dataclass
class CategoryRow:
    id: str
    name: str
    items: int
    updated: int
    not_updated: int


@dataclass
class Channel:
    """A publishing channel (the disclosure site or a unit site) and its articles in the year."""
    site: str
    name: str
    unit_id: str | None
    unit_name: str
    articles: int


@dataclass
class UnitRow:
    unit_id: str
    name: str
    items: list[str]                 # item ids the unit is responsible for
    updated: list[str]
    not_updated_due: list[str]
    not_updated_not_required: list[str]
    overdue_at_year_end: list[str]
    publications: int                # item evidence dated in the year
    articles: int                    # articles on the unit's own sites in the year


@dataclass
class RequestFigures:
    received: int
    carried_over: int
    outcomes: dict[str, int]
    pending: int
    channels: dict[str, int]
    fees: str | None


@dataclass
class ReportInputs:
    source: str                      # where the figures came from, as stated in the report
    path: str | None
    requests: RequestFigures | None
    complaints: int | None
    reconsiderations: int | None
    lawsuits: int | None
    texts: dict[str, str]

    def rows(self) -> list[tuple[str, int | str]]:
        """The 附表五 indicator rows (label, figure), the same in every output format."""
        out: list[tuple[str, int | str]] = []
        req = self.requests
        if req:
            out += [("收到申请（件）", req.received), ("上学年结转（件）", req.carried_over)]
            out += [(f"申请方式：{k}", v) for k, v in req.channels.items()]
            out += [(f"答复：{k}", v) for k, v in req.outcomes.items()]
            out.append(("结转下学年（件）", req.pending))
        for label, value in (("举报（件）", self.complaints), ("行政复议（件）", self.reconsiderations),
                             ("行政诉讼（件）", self.lawsuits)):
            out.append((label, "未填报" if value is None else value))
        return out


@dataclass
class Summary:
    categories: int
    items: int
    updated: int
    not_updated: int
    not_required: list[str]          # item ids: not updated, no duty in the year
    due_not_updated: list[str]       # item ids: not updated although due
    articles_total: int
    publications_total: int
    status_counts: dict[str, int]
    provisional: list[str] = field(default_factory=list)   # item ids judged from candidates awaiting review


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str]


@dataclass
class ScanCoverage:
    count: int
    first: str | None
    last: str | None


@dataclass
class AnnualReport:
    school: str
    year: AcademicYear
    as_of: str                       # statuses are as of this day (year end, or today)
    year_complete: bool
    generated_at: str
    scans: ScanCoverage
    summary: Summary
    categories: list[CategoryRow]
    items: list[ItemRow]
    channels: list[Channel]
    units: list[UnitRow]
    inputs: ReportInputs | None
    sections: list[Section]
    citations: list[Citation]

    @property
    def title(self) -> str:
        return f"{self.school}{self.year.label}学年信息公开工作年度报告"

    def item(self, item_id: str) -> ItemRow:
        for row in self.items:
            if row.item_id == item_id:
                return row
        raise KeyError(item_id)

    def names(self, item_ids: Iterable[str]) -> list[str]:
        by_id = {r.item_id: r.name for r in self.items}
        return [by_id.get(i, i) for i in item_ids]

    def citation(self, cid: str | None) -> Citation | None:
        for c in self.citations:
            if c.id == cid:
                return c
        return None

    def to_dict(self) -> dict:
        return asdict(self)


def cn_date(d: date | str | None) -> str:
    """2019年8月31日"""
    day = as_date(d)
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


# --------------------------------------------------------------------------- read-outs of a built report

def placeholders(report: AnnualReport) -> list[str]:
    """Every 【待填写：…】 left in the draft, in order."""
    return [m.group(0) for s in report.sections for p in s.paragraphs for m in PLACEHOLDER_RE.finditer(p)]


def summary_lines(report: AnnualReport) -> list[str]:
    s = report.summary
    lines = [f"{report.title}（状态截至 {report.as_of}）",
             f"  应公开 {s.categories} 大类 {s.items} 项；本学年完成更新 {s.updated} 项，无更新 {s.not_updated} 项"
             f"（无需更新 {len(s.not_required)} 项，应更新未更新 {len(s.due_not_updated)} 项）"]
    if s.not_updated:
        lines.append("  无更新：" + "、".join(report.names(r.item_id for r in report.items if not r.updated_in_year)))
    if s.provisional:
        lines.append(f"  依据待确认的候选栏目暂定 {len(s.provisional)} 项（表中标注“{CONFIRMATION.formal['provisional']}”）："
                     + "、".join(report.names(s.provisional)))
    lines.append(f"  各渠道发布信息 {s.articles_total} 条；引用证据 {len(report.citations)} 项，"
                 f"已存档 {sum(c.archived for c in report.citations)} 项")
    if report.inputs:
        lines.append(f"  依申请公开等数据来源：{report.inputs.source}")
    todo = placeholders(report)
    if todo:
        lines.append(f"  待人工填写 {len(todo)} 处（文中以【待填写：…】标出）")
    return lines
