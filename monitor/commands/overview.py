"""`xxgk overview publish|serve|user`: the provincial overview across a fleet's schools (monitor/overview/).

The command reads the fleet file and passes plain values down: the fleet's ``database:`` (where the summary
store is), its school keys and config paths, its name."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from monitor.commands.options import fail, now_option, password_options, user_errors
from monitor.commands.user import add_account, change_password, remove_account
from monitor.config import ConfigError
from monitor.fleet.fleetfile import Fleet, load_fleet
from monitor.overview.accounts import OVERVIEW, OVERVIEW_ROLE
from monitor.store.engine import Database

FLEET_HELP = "集群文件（YAML，列出各校配置和 database:）。"


def _fleet(path: str) -> Fleet:
    try:
        fleet = load_fleet(path, check_schools=False)
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(f"错误：{line}", err=True)
        sys.exit(2)
    if fleet.database is None:
        fail("集群文件没有 database:：总览的汇总库在集群的数据库里（postgresql:// 地址或存放 SQLite 文件的文件夹）")
    return fleet


def _title(fleet: Fleet) -> str:
    return "信息公开监测总览" if fleet.name == "xxgk" else f"{fleet.name} · 信息公开监测总览"


@click.group("overview")
def overview_command() -> None:
    """各校信息公开总览（publish / serve / user）。"""


@overview_command.command("publish")
@now_option
@click.argument("fleet_path", metavar="FLEET.yaml", type=click.Path(dir_okay=False))
@click.option("--school", "only", default=None, help="只发布这所学校（学校代号）")
def publish_command(fleet_path: str, only: str | None) -> None:
    """把各校已有的评估结果发布到汇总库（不经 Celery；扫描后的集群任务会自动发布）。"""
    from monitor.overview.summary import publish, summary_label

    fleet = _fleet(fleet_path)
    assert fleet.database is not None
    schools = list(fleet.schools)
    if only is not None:
        schools = [s for s in schools if s.key == only]
        if not schools:
            fail(f"集群文件中没有学校 {only!r}，可选：{'、'.join(fleet.keys)}")
    published = errors = 0
    for school in schools:
        try:
            result = publish(fleet.database, school.key, school.config_path)
        except ConfigError as exc:
            errors += 1
            click.echo(f"错误：学校 {school.key} 的配置有误：", err=True)
            for line in exc.problems:
                click.echo(f"  {line}", err=True)
            continue
        if result.as_of is None:
            click.echo(f"跳过 {school.key}（{result.name}）：还没有评估结果（先运行 xxgk scan）")
            continue
        published += 1
        click.echo(f"已发布 {school.key}（{result.name}）：评估日期 {result.as_of}，{result.items} 项，"
                   f"月度快照 {result.months} 个")
    click.echo(f"共发布 {published} 所学校到 {summary_label(fleet.database)}")
    if errors:
        sys.exit(2)


@overview_command.command("serve")
@now_option
@click.argument("fleet_path", metavar="FLEET.yaml", type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", type=int, default=8100, show_default=True, help="端口")
def serve_command(fleet_path: str, host: str, port: int) -> None:
    """启动总览网页（FastAPI + uvicorn）。"""
    from monitor.dashboard.app import check_port, is_loopback, serve
    from monitor.overview.app import create_app
    from monitor.overview.web import Settings

    fleet = _fleet(fleet_path)
    assert fleet.database is not None
    if not 1 <= port <= 65535:
        fail(f"端口应在 1–65535 之间，收到 {port}")
    with user_errors():
        check_port(host, port)
    app = create_app(Settings(fleet.database, _title(fleet), tuple(fleet.keys)))
    if OVERVIEW.count_users(app.state.connections.get()) == 0:
        click.echo("还没有总览账号。先创建省级账号：")
        click.echo(f"  xxgk overview user add 用户名 --role province --fleet {fleet_path}")
    if not is_loopback(host):
        click.echo(f"注意：总览监听 {host}，局域网内其他电脑也能访问；登录 Cookie 仅经 HTTPS 发送，"
                   "请在前面加 HTTPS 反向代理。")
    click.echo(f"总览地址：http://{host if ':' not in host else '[' + host + ']'}:{port}/  （Ctrl-C 停止）")
    try:
        with user_errors():
            serve(app, host, port)
    finally:
        app.state.connections.close()


# ---------------------------------------------------------------- accounts

def fleet_option(f):
    return click.option("--fleet", "fleet_path", default="fleet.yaml", show_default=True, envvar="XXGK_FLEET",
                        type=click.Path(dir_okay=False), help=FLEET_HELP)(f)


@contextmanager
def _summary(fleet_path: str) -> Iterator[tuple[Fleet, Database]]:
    """The fleet and its summary store (closed afterwards), where the overview's accounts live."""
    from monitor.overview.summary import open_summary

    fleet = _fleet(fleet_path)
    assert fleet.database is not None
    db = open_summary(fleet.database)
    try:
        yield fleet, db
    finally:
        db.close()


@overview_command.group("user")
def user_group() -> None:
    """管理总览账号（add / passwd / remove / list）；账号保存在汇总库中。"""


@user_group.command("add")
@fleet_option
@click.argument("username")
@click.option("--role", type=click.Choice(list(OVERVIEW_ROLE.order)), required=True,
              help="province：查看全部学校；school：仅本校")
@click.option("--school", default=None, help="学校代号（角色 school 必填）")
@password_options
def user_add(fleet_path: str, username: str, role: str, school: str | None, password_stdin: bool,
             generate: bool) -> None:
    """新建总览账号。"""
    with _summary(fleet_path) as (fleet, db):
        user, password, generated = add_account(OVERVIEW, db, username, role, school, set(fleet.keys),
                                                password_stdin, generate)
    where = f"，学校 {user.school}" if user.school else ""
    click.echo(f"已创建总览账号 {user.username}（{OVERVIEW_ROLE.explain[user.role]}{where}）")
    if generated:
        click.echo(f"密码：{password}")


@user_group.command("passwd")
@fleet_option
@click.argument("username")
@password_options
def user_passwd(fleet_path: str, username: str, password_stdin: bool, generate: bool) -> None:
    """修改密码（同时注销该账号的所有会话）。"""
    with _summary(fleet_path) as (_, db):
        password, generated = change_password(OVERVIEW, db, username, password_stdin, generate)
    click.echo(f"已修改总览账号 {username} 的密码")
    if generated:
        click.echo(f"密码：{password}")


@user_group.command("remove")
@fleet_option
@click.argument("username")
def user_remove(fleet_path: str, username: str) -> None:
    """删除总览账号。"""
    with _summary(fleet_path) as (_, db):
        remove_account(OVERVIEW, db, username)
    click.echo(f"已删除总览账号 {username}")


@user_group.command("list")
@fleet_option
def user_list(fleet_path: str) -> None:
    """列出总览账号。"""
    with _summary(fleet_path) as (_, db):
        users = OVERVIEW.list_users(db)
    if not users:
        click.echo(f"还没有总览账号。创建省级账号：xxgk overview user add 用户名 --role province --fleet {fleet_path}")
        return
    for u in users:
        click.echo(f"{u.username}\t{OVERVIEW_ROLE.label[u.role]}\t{u.school or ''}")
