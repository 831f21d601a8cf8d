"""`xxgk user add|passwd|remove|list`: dashboard accounts (monitor/auth.py keeps them)."""
from __future__ import annotations

import sys

import click

from monitor import store
from monitor.auth import (
    AuthError,
    add_user,
    generate_password,
    get_user,
    list_users,
    remove_user,
    set_password,
    validate_role,
    validate_username,
)
from monitor.commands.options import config_option, fail, user_errors
from monitor.core.vocab import ROLE
from monitor.store.engine import Database


def _open_from_config(config_path: str) -> tuple[Database, set[str] | None]:
    from monitor.dashboard.estate import load_estate_config

    with user_errors():
        cfg = load_estate_config(config_path)
    return store.open_db(cfg.database_target), {u.id for u in cfg.units}


def _read_password(password_stdin: bool, generate: bool) -> tuple[str, bool]:
    if generate:
        return generate_password(), True
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码"), False


@click.group("user")
def user_command() -> None:
    """管理仪表盘账号（add / passwd / remove / list）。"""


@user_command.command("add")
@config_option
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLE.order)), required=True, help="角色：admin/office/unit/viewer")
@click.option("--unit", default=None, help="所属单位 ID（角色 unit 必填）")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")
@click.option("--generate", is_flag=True, help="生成随机密码并打印")
def user_add(config_path: str, username: str, role: str, unit: str | None, password_stdin: bool,
             generate: bool) -> None:
    """新建账号。"""
    db, units = _open_from_config(config_path)
    try:
        validate_username(username)
        validate_role(role, unit, units)
        if get_user(db, username.strip()) is not None:
            raise AuthError(f"用户 {username} 已存在")
        password, generated = _read_password(password_stdin, generate)
        user = add_user(db, username, password, role, unit, known_units=units)
    except AuthError as exc:
        fail(str(exc))
    click.echo(f"已创建用户 {user.username}（{ROLE.label[user.role]}{'，单位 ' + user.unit if user.unit else ''}）")
    if generated:
        click.echo(f"密码：{password}")


@user_command.command("passwd")
@config_option
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")
@click.option("--generate", is_flag=True, help="生成随机密码并打印")
def user_passwd(config_path: str, username: str, password_stdin: bool, generate: bool) -> None:
    """修改密码（同时注销该账号的所有会话）。"""
    db, _ = _open_from_config(config_path)
    if get_user(db, username) is None:
        fail(f"没有用户 {username}")
    password, generated = _read_password(password_stdin, generate)
    try:
        set_password(db, username, password)
    except AuthError as exc:
        fail(str(exc))
    click.echo(f"已修改用户 {username} 的密码")
    if generated:
        click.echo(f"密码：{password}")


@user_command.command("remove")
@config_option
@click.argument("username")
def user_remove(config_path: str, username: str) -> None:
    """删除账号。"""
    db, _ = _open_from_config(config_path)
    try:
        remove_user(db, username)
    except AuthError as exc:
        fail(str(exc))
    click.echo(f"已删除用户 {username}")


@user_command.command("list")
@config_option
def user_list(config_path: str) -> None:
    """列出账号。"""
    db, _ = _open_from_config(config_path)
    users = list_users(db)
    if not users:
        click.echo("还没有账号。创建管理员：xxgk user add admin --role admin")
        return
    for u in users:
        click.echo(f"{u.username}\t{ROLE.label[u.role]}\t{u.unit or ''}")
