"""`xxgk` command line. Commands are loaded lazily so `xxgk --help` stays fast and each
command lives in the module that does its job (the CLI only parses options)."""
from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from monitor.core import clock
from monitor.core.private_files import restrict_umask

# name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "check": "monitor.config:check_command",
    "scan": "monitor.scan:scan_command",
    "inspect": "crawler.inspect:inspect_command",
    "status": "monitor.status:status_command",
    "matches": "monitor.matching:matches_command",
    "match": "monitor.matching:match_command",
    "testbed": "monitor.testbed.cli:testbed_command",
    "demo": "monitor.testbed.demo:demo_command",
    "run": "monitor.service:run_command",
    "notify": "monitor.notify:notify_command",
    "serve": "monitor.dashboard.app:serve_command",
    "user": "monitor.auth:user_command",
    "report": "monitor.report:report_command",
    "findings": "monitor.compliance:findings_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        names = []
        for name, target in COMMANDS.items():
            if importlib.util.find_spec(target.split(":")[0]) is not None:
                names.append(name)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                return None
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--now", "now", metavar="YYYY-MM-DD[THH:MM]", envvar="XXGK_NOW",
              help="把“现在”设为此时间（也可用环境变量 XXGK_NOW；本选项优先）。")
@click.version_option(package_name="xxgk-monitor", message="%(prog)s %(version)s")
def main(now: str | None) -> None:
    """xxgk-monitor：高校信息公开网站监测（栏目匹配、更新时效、通知与年度报告）。"""
    # Set (or, without --now/XXGK_NOW, clear) the clock for this invocation. Subprocesses get it
    # through clock.env_for_child(); os.environ is left alone so nothing leaks past this command.
    restrict_umask()  # databases, logs, reports: private to this account (monitor.core.private_files)
    try:
        clock.set_now(now or None)
    except clock.ClockError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None


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


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line for a user mistake and exit (no stack trace)."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
