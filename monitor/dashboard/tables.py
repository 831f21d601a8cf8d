"""One table model for every list the dashboard shows, so HTML, CSV, XLSX and JSON never disagree."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from openpyxl import Workbook

# Page titles are untrusted text: formula-like cells are neutralised by the rule shared with the report.
from monitor.core.safe_text import sheet_value as _safe

PER_PAGE = 50


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"          # text | num | date | status | link | pct | url | label (short, no wrap) | channel
    href: str | None = None     # row key holding the link target (kind 'link')
    sortable: bool = True


@dataclass
class Table:
    name: str                   # machine name (export file name, API path)
    title: str                  # Chinese caption
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int | None = None    # rows before pagination (None: all rows are here)
    page: int = 1
    per_page: int | None = None
    sort: str | None = None
    desc: bool = False
    empty: str = "暂无数据"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        if not self.per_page or self.total is None:
            return 1
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{c.key: r.get(c.key) for c in self.columns} | _links(self, r) for r in self.rows],
            "total": self.total if self.total is not None else len(self.rows),
            "page": self.page, "per_page": self.per_page, "sort": self.sort, "desc": self.desc,
        }


def _links(table: Table, row: dict) -> dict[str, Any]:
    return {c.href: row.get(c.href) for c in table.columns if c.href and c.href not in {x.key for x in table.columns}}


def sort_rows(table: Table, sort: str | None, desc: bool) -> None:
    """Sort in memory (small tables); None sorts last whichever the direction."""
    keys = {c.key for c in table.columns if c.sortable}
    if not sort or sort not in keys:
        return
    present = [r for r in table.rows if r.get(sort) is not None]
    absent = [r for r in table.rows if r.get(sort) is None]
    present.sort(key=lambda r: _sort_key(r.get(sort)), reverse=desc)
    table.rows = present + absent
    table.sort, table.desc = sort, desc


def _sort_key(value: Any) -> tuple:
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value))


def paginate(table: Table, page: int, per_page: int = PER_PAGE) -> None:
    """Cut an in-memory table to one page."""
    table.total = len(table.rows)
    table.per_page = per_page
    table.page = max(1, min(page, max(1, -(-table.total // per_page))))
    start = (table.page - 1) * per_page
    table.rows = table.rows[start:start + per_page]


def _cell(column: Column, row: dict, labels: Mapping[str, str]) -> Any:
    value = row.get(column.key)
    if column.kind == "status" and value is not None:
        return labels.get(value, value)
    if column.kind == "pct" and value is not None:
        return round(float(value) * 100, 1)
    return value


def to_csv(table: Table, labels: Mapping[str, str]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c.label + ("(%)" if c.kind == "pct" else "") for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if (v := _cell(c, row, labels)) is None else _safe(v) for c in table.columns])
    # UTF-8 with BOM: Excel on Chinese Windows opens it without mojibake.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: Table, labels: Mapping[str, str]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(table.title))
    ws.append([c.label + ("(%)" if c.kind == "pct" else "") for c in table.columns])
    for row in table.rows:
        ws.append([_safe(_cell(c, row, labels)) for c in table.columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    bad = set('[]:*?/\\')
    return "".join(ch for ch in title if ch not in bad)[:31] or "Sheet1"


Builder = Callable[..., Table]
