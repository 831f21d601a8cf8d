"""`xxgk` command line. Commands are loaded lazily so `xxgk --help` stays fast; each lives in its own
module under ``monitor.commands`` (option parsing and printing only; the work is in the domain modules)."""
from __future__ import annotations

import importlib
import importlib.util

import click

from monitor.core import clock
from monitor.core.private_files import restrict_umask

# name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "check": "monitor.commands.check:check_command",
    "scan": "monitor.commands.scan:scan_command",
    "inspect": "monitor.commands.inspect:inspect_command",
    "status": "monitor.commands.status:status_command",
    "matches": "monitor.commands.matches:matches_command",
    "match": "monitor.commands.matches:match_command",
    "testbed": "monitor.commands.testbed:testbed_command",
    "demo": "monitor.commands.demo:demo_command",
    "run": "monitor.commands.run:run_command",
    "notify": "monitor.commands.notify:notify_command",
    "serve": "monitor.commands.serve:serve_command",
    "user": "monitor.commands.user:user_command",
    "report": "monitor.commands.report:report_command",
    "findings": "monitor.commands.findings:findings_command",
    "init": "monitor.commands.init:init_command",
    "overview": "monitor.commands.overview:overview_command",
    "fleet": "monitor.commands.fleet:fleet_command",
    "worker": "monitor.commands.worker:worker_command",
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


if __name__ == "__main__":
    main()
