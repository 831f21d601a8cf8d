"""`xxgk init URL`: draft a school's config from its disclosure site (monitor.onboard)."""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("init")
@click.argument("url")
@click.option("-o", "--output", "output", default="xxgk.yaml", show_default=True, type=click.Path(dir_okay=False),
              help="写入的配置文件（已存在时不覆盖）。")
@click.option("--max-pages", default=150, show_default=True, type=click.IntRange(1, 5000),
              help="最多抓取的页面数（信息公开网本站；各单位网站只读首页）。")
@click.option("--force", is_flag=True, help="覆盖已存在的配置文件。")
def init_command(url: str, output: str, max_pages: int, force: bool) -> None:
    """抓取学校信息公开网（有限抓取，遵守 robots.txt），读取导航和信息公开目录页，起草学校配置文件。"""
    from monitor.onboard.run import InitError, draft_config

    try:
        result = draft_config(url, Path(output), max_pages=max_pages, force=force)
    except InitError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    d = result.draft
    unsure = sum(1 for a in d.assignments if not a.sure)
    click.echo(f"已起草：{result.written[0]}（读取 {d.pages_read} 个页面）")
    for extra in result.written[1:]:
        click.echo(f"  本校事项清单：{extra}（目录页上国家清单之外的 {len(d.own_items)} 项）")
    click.echo(f"  学校：{d.school}；责任单位 {len(d.units)} 个；已推测栏目的事项 {len(d.assignments)} 项"
               f"（其中待核对 {unsure} 项）；信息公开目录页 {len(d.directory_pages)} 个")
    click.echo("请核对文件中标有“待核对”的内容，然后运行：xxgk check --config " + str(result.written[0]))
