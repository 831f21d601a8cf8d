"""Writing the report: the renderer registry, the evidence pack (zip) and the ``report_runs`` log, and
`xxgk report`'s whole run (monitor/commands/report.py).

The model never imports a renderer; this module picks one per format from ``RENDERERS``.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable

from monitor.config import Config
from monitor.core.errors import UserError
from monitor.report import docx, html, warc, xlsx
from monitor.report.build import build_report
from monitor.report.inputs import load_inputs, save_inputs, stored_inputs
from monitor.report.model import AcademicYear, AnnualReport, ReportError
from monitor.store import dumps, open_db
from monitor.store.engine import Database

Renderer = Callable[[AnnualReport, Path], Path]

# format -> renderer writing one file; "zip" (the evidence pack) is built from all of them.
RENDERERS: dict[str, Renderer] = {"docx": docx.write_docx, "xlsx": xlsx.write_xlsx, "html": html.write_html,
                                  "md": html.write_markdown}
ALL_FORMATS = ("docx", "xlsx", "html", "md", "zip")


def parse_formats(text: str) -> list[str]:
    wanted = [f.strip().lower().lstrip(".") for f in (text or "").split(",") if f.strip()]
    wanted = ["md" if f in ("markdown",) else f for f in wanted]
    bad = [f for f in wanted if f not in ALL_FORMATS]
    if bad or not wanted:
        raise ReportError(f"不支持的格式 {'、'.join(bad) or '（空）'}；可选：{','.join(ALL_FORMATS)}")
    return [f for f in ALL_FORMATS if f in wanted]


def write_outputs(report: AnnualReport, db: Database, out_dir: str | Path,
                  formats: Iterable[str] = ALL_FORMATS) -> dict[str, Path]:
    """Render the requested formats into out_dir; ``zip`` is the full evidence pack
    (report.docx/.xlsx/.html/.md, evidence/*.warc.gz, files/…, manifest.json/.csv)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"report-{report.year.label}"
    formats = list(formats)
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt in RENDERERS:
            written[fmt] = RENDERERS[fmt](report, out_dir / f"{base}.{fmt}")
    if "zip" in formats:
        with tempfile.TemporaryDirectory(prefix=".stage-", dir=out_dir) as tmp:
            stage = Path(tmp)
            for fmt, render in RENDERERS.items():
                render(report, stage / f"report.{fmt}")
            entries = warc.export_evidence(db, report, stage)
            warc.write_manifest(stage, report, entries)
            written["zip"] = warc.zip_dir(stage, out_dir / f"{base}.zip")
    db.execute("INSERT INTO report_runs(year, generated_at, as_of, out_dir, formats, files, summary) "
               "VALUES (?,?,?,?,?,?,?)",
               (report.year.label, report.generated_at, report.as_of, str(out_dir), dumps(formats),
                dumps({f: {"path": str(p), "sha256": warc.sha256_file(p)} for f, p in written.items()}),
                dumps(asdict(report.summary))))
    return written


def _from_cwd(path: str | None) -> Path | None:
    return Path(path).expanduser().absolute() if path else None


def generate(cfg: Config, year: AcademicYear, formats: Iterable[str], *, out_dir: str | None = None,
             inputs_path: str | None = None) -> tuple[AnnualReport, dict[str, Path]]:
    """Build the year's report and write it in ``formats``; ``report.inputs`` in the config is taken from the
    config's folder, the paths given here from the working directory. ``UserError``: no database (exit 3), the
    report cannot be built (exit 3), a file cannot be written (exit 2)."""
    db_path = cfg.database_path
    if not db_path.exists():
        raise UserError(f"数据库 {db_path} 不存在：还没有任何扫描记录，请先运行 xxgk scan", code=3)
    db = open_db(db_path)
    try:
        inputs_file = _from_cwd(inputs_path) or cfg.report_inputs_path
        loaded = load_inputs(inputs_file, year) if inputs_file is not None else None
        report = build_report(db, cfg, year, inputs=stored_inputs(db, year) if loaded is None else loaded)
        if loaded is not None:
            save_inputs(db, year, loaded)
        written = write_outputs(report, db, _from_cwd(out_dir) or Path("reports"), formats)
    except ReportError as exc:
        raise UserError(str(exc), code=3) from None
    except OSError as exc:
        raise UserError(f"无法写入报告文件：{exc}") from None
    return report, written
