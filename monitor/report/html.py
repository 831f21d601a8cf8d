"""HTML and Markdown renderings of the annual report (Jinja2 templates in monitor/report/templates/).

Both are rendered from the same :class:`monitor.report.model.AnnualReport`; the templates only lay
out what the model holds, so they always agree with the DOCX and XLSX outputs.
"""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from monitor.core.safe_text import TITLE_MAX, URL_TEXT_MAX, md_block, md_inline, md_link, one_line, safe_url
from monitor.core.vocab import DATE_SOURCE, KIND
from monitor.report.model import PLACEHOLDER_RE, AnnualReport

TEMPLATES = Path(__file__).parent / "templates"


def _mark_placeholders(text: str) -> Markup:
    """Escape, then highlight 【待填写：…】 so nobody signs a report with gaps left in it."""
    out, pos = [], 0
    for m in PLACEHOLDER_RE.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup('<mark class="todo">') + escape(m.group(0)) + Markup("</mark>"))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _html_link(url: str | None, text: str | None = None) -> Markup:
    """``<a href>`` for an http(s) URL; any other scheme (``javascript:`` …) is shown as text only.
    Text is escaped here: this builds markup outside the template's autoescape."""
    shown = one_line(text, TITLE_MAX) if text else one_line(url, URL_TEXT_MAX)
    target = safe_url(url)
    if target is None:
        return escape(shown)
    return Markup('<a href="{}">{}</a>').format(target, shown)


def _env(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]) if autoescape else False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["todo"] = _mark_placeholders
    # Markdown has no autoescape: every value goes through md (inline, table cells), mdp (a
    # paragraph) or md_link; crawled text must not become a tag, a link, an image or a new table cell.
    env.filters["md"] = md_inline
    env.filters["mdp"] = md_block
    env.globals.update(md_link=md_link, link=_html_link,
                       kind_label=lambda k: KIND.formal.get(k, k or ""),
                       source_label=lambda s: DATE_SOURCE.label.get(s, s or ""))
    return env


def render_html(report: AnnualReport) -> str:
    """A self-contained HTML page (inline CSS, no external assets)."""
    return _env(True).get_template("report.html").render(r=report)


def render_markdown(report: AnnualReport) -> str:
    return _env(False).get_template("report.md").render(r=report)


def write_html(report: AnnualReport, path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path


def write_markdown(report: AnnualReport, path: Path) -> Path:
    path.write_text(render_markdown(report), encoding="utf-8")
    return path
