"""`xxgk check`: validate the school's config and print its summary."""
from __future__ import annotations

import sys

import click

from monitor.commands.options import config_option, load_config_or_exit, now_option
from monitor.config import Config, calendar_warning, notify_url_problems, schedule_lines, summary_lines
from monitor.core import clock


@click.command("check")
@config_option
@now_option
def check_command(config_path: str) -> None:
    """检查配置文件（含每个通知地址）并显示摘要（学校、事项清单、单位、站点、下次扫描和推送时间）。"""
    cfg = load_config_or_exit(config_path)
    problems = notify_url_problems(cfg)
    if problems:
        for line in problems:
            click.echo(f"错误：{line}", err=True)
        sys.exit(2)
    click.echo("配置检查通过。")
    for line in summary_lines(cfg) + schedule_lines(cfg, clock.now()):
        click.echo("  " + line)
    warning = calendar_warning(clock.today())
    if warning:
        click.echo(f"警告：{warning}", err=True)
    shown, problem = render_line(cfg)
    if shown:
        click.echo("  " + shown)
    if problem:
        click.echo(f"警告：{problem}", err=True)


def render_line(cfg: Config) -> tuple[str | None, str | None]:
    """What `crawl.render` asks for, and whether this machine can do it (a browser, scrapy-playwright)."""
    from crawler.render import plan_from_config

    plan = plan_from_config(cfg.crawl)
    if not plan.wanted:
        return None, None
    what = "按需渲染（反爬虫验证页、由脚本加载的栏目）" if plan.mode == "auto" else f"总是渲染：{'、'.join(sorted(plan.hosts))}"
    if not plan.possible:
        return (f"浏览器渲染：{what}，但无法使用",
                f"已配置浏览器渲染（crawl.render），但{plan.why_not()}：需要浏览器的页面将保持原样，扫描结果中会列出"
                "（安装方法见 docs/configuration.md“浏览器渲染”）")
    return (f"浏览器渲染：{what}；浏览器 {plan.browser}；每次扫描最多 {plan.max_pages} 页、每站 "
            f"{plan.max_pages_per_host} 页，同时 {plan.concurrency} 页，每页限时 {plan.timeout:g} 秒"), None
