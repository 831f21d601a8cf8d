"""`xxgk user add|passwd|remove|list`: dashboard accounts (monitor/auth.py keeps them).

``add_account`` and ``change_password`` serve the overview's account commands too (`xxgk overview user`,
monitor/commands/overview.py): the same checks and prompts over another store's ``auth.Accounts``."""
from __future__ import annotations

from typing import TypeVar

import click

from monitor import store
from monitor.auth import DASHBOARD, Accounts, AccountUser, AuthError, validate_username
from monitor.commands.options import config_option, fail, password_options, read_password, user_errors
from monitor.core.vocab import ROLE
from monitor.store.engine import Database

U = TypeVar("U", bound=AccountUser)


def add_account(accounts: Accounts[U], db: Database, username: str, role: str, scope: str | None,
                known: set[str] | None, password_stdin: bool, generate: bool) -> tuple[U, str, bool]:
    """Check the name and role before asking for a password, then create the account: (user, password,
    whether it was generated). A problem ends the command with one line (``fail``)."""
    try:
        validate_username(username)
        accounts.validate_role(role, scope, known)
        if accounts.get_user(db, username.strip()) is not None:
            raise AuthError(f"用户 {username} 已存在")
        password, generated = read_password(password_stdin, generate)
        return accounts.add_user(db, username, password, role, scope, known=known), password, generated
    except AuthError as exc:
        fail(str(exc))


def change_password(accounts: Accounts[U], db: Database, username: str, password_stdin: bool,
                    generate: bool) -> tuple[str, bool]:
    """Set a new password (ending the account's sessions): (password, whether it was generated)."""
    if accounts.get_user(db, username) is None:
        fail(f"没有用户 {username}")
    password, generated = read_password(password_stdin, generate)
    try:
        accounts.set_password(db, username, password)
    except AuthError as exc:
        fail(str(exc))
    return password, generated


def remove_account(accounts: Accounts[U], db: Database, username: str) -> None:
    try:
        accounts.remove_user(db, username)
    except AuthError as exc:
        fail(str(exc))


def _open_from_config(config_path: str) -> tuple[Database, set[str] | None]:
    from monitor.dashboard.estate import load_estate_config

    with user_errors():
        cfg = load_estate_config(config_path)
    return store.open_db(cfg.database_target), {u.id for u in cfg.units}


@click.group("user")
def user_command() -> None:
    """管理仪表盘账号（add / passwd / remove / list）。"""


@user_command.command("add")
@config_option
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLE.order)), required=True, help="角色：admin/office/unit/viewer")
@click.option("--unit", default=None, help="所属单位 ID（角色 unit 必填）")
@password_options
def user_add(config_path: str, username: str, role: str, unit: str | None, password_stdin: bool,
             generate: bool) -> None:
    """新建账号。"""
    db, units = _open_from_config(config_path)
    user, password, generated = add_account(DASHBOARD, db, username, role, unit, units, password_stdin, generate)
    click.echo(f"已创建用户 {user.username}（{ROLE.label[user.role]}{'，单位 ' + user.unit if user.unit else ''}）")
    if generated:
        click.echo(f"密码：{password}")


@user_command.command("passwd")
@config_option
@click.argument("username")
@password_options
def user_passwd(config_path: str, username: str, password_stdin: bool, generate: bool) -> None:
    """修改密码（同时注销该账号的所有会话）。"""
    db, _ = _open_from_config(config_path)
    password, generated = change_password(DASHBOARD, db, username, password_stdin, generate)
    click.echo(f"已修改用户 {username} 的密码")
    if generated:
        click.echo(f"密码：{password}")


@user_command.command("remove")
@config_option
@click.argument("username")
def user_remove(config_path: str, username: str) -> None:
    """删除账号。"""
    db, _ = _open_from_config(config_path)
    remove_account(DASHBOARD, db, username)
    click.echo(f"已删除用户 {username}")


@user_command.command("list")
@config_option
def user_list(config_path: str) -> None:
    """列出账号。"""
    db, _ = _open_from_config(config_path)
    users = DASHBOARD.list_users(db)
    if not users:
        click.echo("还没有账号。创建管理员：xxgk user add admin --role admin")
        return
    for u in users:
        click.echo(f"{u.username}\t{ROLE.label[u.role]}\t{u.unit or ''}")
