"""Annual report evidence pack (`xxgk report --year 2018-2019`, monitor/commands/report.py).

One data model (``model``: the dataclass tree rooted at :class:`AnnualReport`) is built once from the
store and the year-end assessment (``build``, with the text drafted by ``draft`` and the office's figures
read by ``inputs``); every output is rendered from that same object by a renderer (``docx``, ``xlsx``,
``html`` for HTML and Markdown, ``warc`` for the evidence archive), so they cannot disagree. Imports go
one way: renderers import the model, ``pack`` picks the renderers (``RENDERERS``) and writes the files;
nothing in the model or the building imports a renderer. This facade names what the rest uses.
"""
from __future__ import annotations

from monitor.report.build import build_report, scan_coverage, url_key, year_end_statuses
from monitor.report.draft import draft_sections
from monitor.report.inputs import TEXT_KEYS, load_inputs, save_inputs, stored_inputs
from monitor.report.model import (
    NO_DUTY_KINDS,
    PLACEHOLDER_RE,
    AcademicYear,
    AnnualReport,
    CategoryRow,
    Channel,
    Citation,
    ColumnLink,
    ItemRow,
    Publication,
    ReportError,
    ReportInputs,
    RequestFigures,
    ScanCoverage,
    Section,
    Summary,
    UnitRow,
    placeholders,
    summary_lines,
)
from monitor.report.pack import ALL_FORMATS, RENDERERS, Renderer, generate, parse_formats, write_outputs

__all__ = [
    "ALL_FORMATS", "NO_DUTY_KINDS", "PLACEHOLDER_RE", "RENDERERS", "TEXT_KEYS", "AcademicYear", "AnnualReport",
    "CategoryRow", "Channel", "Citation", "ColumnLink", "ItemRow", "Publication", "Renderer", "ReportError",
    "ReportInputs", "RequestFigures", "ScanCoverage", "Section", "Summary", "UnitRow", "build_report",
    "draft_sections", "generate", "load_inputs", "parse_formats", "placeholders", "save_inputs", "scan_coverage",
    "stored_inputs", "summary_lines", "url_key", "write_outputs", "year_end_statuses",
]
