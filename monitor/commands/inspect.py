"""`xxgk inspect URL_OR_FILE`: print what the extractor makes of one page or file (crawler/inspect.py)."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import click

from crawler.extract import record_to_json
from crawler.inspect import FetchError, format_record, inspect_source
from monitor.commands.options import fail, now_option


@click.command("inspect")
@click.argument("source", metavar="URL_OR_FILE")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出完整记录。")
@click.option("--url", "page_url", metavar="URL", help="本地文件对应的原始网址（用于解析相对链接和网址日期）。")
@now_option
def inspect_command(source: str, as_json: bool, page_url: str | None) -> None:
    """查看一个网页或本地文件的抽取结果（标题、类型、日期及来源、列表条目、分页、附件）。"""
    if page_url and not urlsplit(page_url).scheme.startswith("http"):
        fail(f"--url 应为 http(s) 网址，收到 {page_url!r}")
    try:
        rec = inspect_source(source, url=page_url)
    except FetchError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(record_to_json(rec), ensure_ascii=False, indent=2))
    else:
        click.echo(format_record(rec))
