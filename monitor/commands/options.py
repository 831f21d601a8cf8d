"""What every command shares: the `--config` and `--now` options (and the account commands' password options),
and ending on a user mistake with one Chinese line and an exit code (``fail``; domain code raises ``UserError``
instead)."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from monitor.core import clock
from monitor.core.errors import UserError

if TYPE_CHECKING:
    from monitor.config import Config


def config_option(f):
    """The `--config PATH` option every command takes (default ./xxgk.yaml)."""
    return click.option("--config", "config_path", default="xxgk.yaml", show_default=True,
                        envvar="XXGK_CONFIG", type=click.Path(dir_okay=False),
                        help="学校配置文件（YAML）。")(f)


def now_option(f):
    """`--now` also accepted after the sub-command, as the README shows."""
    def _cb(ctx, param, value):
        if value:
            try:
                clock.set_now(value)
            except clock.ClockError as exc:
                raise click.BadParameter(str(exc)) from None
        return value
    return click.option("--now", metavar="YYYY-MM-DD[THH:MM]", expose_value=False, callback=_cb,
                        is_eager=True, help="把“现在”设为此时间（回放过去某天）。")(f)


def password_options(f):
    """`--password-stdin` and `--generate`: where the account commands take a new password from (else a prompt)."""
    f = click.option("--generate", is_flag=True, help="生成随机密码并打印")(f)
    return click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")(f)


def read_password(password_stdin: bool, generate: bool) -> tuple[str, bool]:
    """(the new password, whether it was generated and must be printed)."""
    from monitor.auth import generate_password

    if generate:
        return generate_password(), True
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码"), False


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line for a user mistake and exit (no stack trace)."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a ``UserError`` raised by domain code into ``fail`` (same text, same exit code)."""
    try:
        yield
    except UserError as exc:
        fail(exc.message, exc.code)


def load_config_or_exit(path: str | Path) -> Config:
    """Load the config or print each problem in Chinese and exit 2."""
    from monitor.config import ConfigError, load_config  # local: inspect/testbed never load pydantic
    try:
        return load_config(path)
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(f"错误：{line}", err=True)
        sys.exit(2)
