"""`xxgk testbed serve`: run the simulated university (monitor/testbed) until Ctrl-C."""
from __future__ import annotations

import errno
import json
import os
import signal
import threading
from datetime import date
from pathlib import Path

import click

from monitor.commands.options import fail
from monitor.core import clock

CONTENT_START, CONTENT_END = date(2016, 9, 1), date(2021, 12, 31)
DEFAULT_AS_OF = date(2019, 10, 15)


def _parse_day(value: str | None) -> date:
    if value is None:
        # The global --now / XXGK_NOW sets the estate's day too; otherwise the reference day.
        if clock._override is not None or os.environ.get("XXGK_NOW"):
            return clock.today()
        return DEFAULT_AS_OF
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"--as-of 日期格式应为 YYYY-MM-DD，收到 {value!r}")


@click.group("testbed")
def testbed_command() -> None:
    """模拟高校（示例大学）：在本机启动信息公开网及各部门网站，供演示与测试。"""


@testbed_command.command("serve")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="模拟站点所处的日期（默认 2019-10-15，或 --now 指定的日期）。")
@click.option("--profile", type=click.Choice(["default", "large"]), default="default", show_default=True,
              help="规模：default 约 900 个页面，large 5000 个以上（性能测试用）。")
@click.option("--config-out", type=click.Path(dir_okay=False), default="xxgk.yaml", show_default=True,
              help="写出指向模拟站点的学校配置文件。")
@click.option("--truth-out", type=click.Path(dir_okay=False), default=None, help="写出标准答案（JSON）。")
@click.option("--database", type=click.Path(dir_okay=False), default=None, help="写入配置的数据库路径。")
@click.option("--port-base", type=click.IntRange(1024, 65000), default=None,
              help="从该端口起为各站点依次分配端口（默认由系统分配）。")
@click.option("--seed", type=int, default=2019, show_default=True, help="随机种子（相同种子生成相同站点）。")
@click.option("--layouts", type=click.Choice(["fixed", "generated"]), default="fixed", show_default=True,
              help="版式：fixed 为演示用的固定模板；generated 按种子生成各站点的列表、正文版式、栏目名称和学校事项清单。")
@click.option("--browser-sites", is_flag=True, default=False,
              help="增加需要浏览器才能访问的科学技术研究院网站（反爬虫验证页 + 脚本加载的栏目列表），"
                   "事项 41、42 的栏目移至该站点。")
def serve_command(as_of: str | None, profile: str, config_out: str, truth_out: str | None, database: str | None,
                  port_base: int | None, seed: int, layouts: str, browser_sites: bool) -> None:
    """启动模拟站点，直到按 Ctrl-C。"""
    from monitor.testbed import Testbed

    day = _parse_day(as_of)
    if not CONTENT_START <= day <= CONTENT_END:
        click.echo(f"提示：模拟内容覆盖 {CONTENT_START} 至 {CONTENT_END}，{day} 超出此范围。", err=True)
    tb = Testbed(as_of=day, profile=profile, seed=seed, port_base=port_base, layouts=layouts,
                 browser_sites=browser_sites)
    try:
        tb.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            fail(f"端口已被占用（--port-base {port_base}），请换一个起始端口或不指定 --port-base。")
        fail(f"无法启动模拟站点：{exc.strerror or exc}")
    try:
        names = {k: s.name for k, s in tb.estate.sites.items()}
        shape = f"，版式按种子 {seed} 生成" if layouts == "generated" else ""
        click.echo(f"示例大学模拟站点已启动（日期 {day}，规模 {profile}{shape}）：")
        for key, url in tb.sites.items():
            wall = "（需浏览器：反爬虫验证页）" if tb.estate.sites[key].cms == "guarded" else ""
            click.echo(f"  {key:<5} {url:<26} {names[key]}{wall}")
        click.echo(f"  {'svc':<5} {tb.services_url:<26} {tb.estate.services.name}（仅供链接检查：不在学校配置中，不抓取）")
        try:
            cfg = tb.write_config(config_out, database=database)
        except OSError as exc:
            fail(f"无法写入配置文件 {config_out}：{exc.strerror or exc}")
        click.echo(f"学校配置已写入：{cfg}")
        if layouts == "generated":
            click.echo(f"学校事项清单已写入：{tb.estate.catalog_path}")
        if truth_out:
            try:
                Path(truth_out).parent.mkdir(parents=True, exist_ok=True)
                Path(truth_out).write_text(json.dumps(tb.ground_truth(), ensure_ascii=False, indent=1), encoding="utf-8")
            except OSError as exc:
                fail(f"无法写入标准答案 {truth_out}：{exc.strerror or exc}")
            click.echo(f"标准答案已写入：{truth_out}")
        # Handlers first, then the announcement: a Ctrl-C right after it must still stop cleanly.
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        click.echo("按 Ctrl-C 停止。")
        while not stop.wait(0.5):
            pass
    finally:
        tb.stop()
    click.echo("模拟站点已停止。")
