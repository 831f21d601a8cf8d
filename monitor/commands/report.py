"""`xxgk report`: the annual report and its evidence pack (monitor/report/ builds and writes them)."""
from __future__ import annotations

from pathlib import Path

import click

from monitor.commands.options import config_option, fail, now_option, user_errors
from monitor.core import clock
from monitor.report import ALL_FORMATS, AcademicYear, ReportError, generate, parse_formats, summary_lines


@click.command("report")
@config_option
@now_option
@click.option("--year", "year_text", metavar="YYYY-YYYY",
              help="Academic year, e.g. 2018-2019 (1 Sep – 31 Aug). Default: the last completed one.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output directory (default: ./reports).")
@click.option("--inputs", "inputs_path", type=click.Path(dir_okay=False), default=None,
              help="The office's YAML with request/complaint figures (default: report.inputs in the config).")
@click.option("--format", "formats_text", default=",".join(ALL_FORMATS), show_default=True,
              help="Comma-separated: docx,xlsx,html,md,zip (zip = full evidence pack).")
def report_command(year_text: str | None, out_dir: str | None, inputs_path: str | None,
                   formats_text: str, config_path: str) -> None:
    """生成信息公开工作年度报告及证据包（DOCX、XLSX、HTML、Markdown 与 WARC 存档 zip）。"""
    try:
        formats = parse_formats(formats_text)
        year = AcademicYear.parse(year_text) if year_text else AcademicYear.last_completed(clock.today())
    except ReportError as exc:
        fail(str(exc))
    if not Path(config_path).exists():
        fail(f"找不到配置文件 {config_path}（用 --config 指定）")
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    with user_errors():
        report, written = generate(cfg, year, formats, out_dir=out_dir, inputs_path=inputs_path)
    for line in summary_lines(report):
        click.echo(line)
    click.echo("  文件：")
    for path in written.values():
        click.echo(f"    {path}")
