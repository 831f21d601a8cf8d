"""The demo (`xxgk demo`, monitor/commands/demo.py; what `make demo` runs): the whole product on the
built-in simulated university.

Starts the testbed on 127.0.0.1, writes its config, scans it twice with the clock moved between
the scans (so history, changes and 304s show), prints the statuses, and serves the dashboard with
a demo admin account until Ctrl-C (`--no-serve` for scripts).
"""
from __future__ import annotations

import secrets
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from monitor.core import clock


def _scan(cfg_path: Path, day: date) -> list[str]:
    from monitor.config import load_config
    from monitor.scan import run_scan, summary_lines

    clock.set_now(f"{day.isoformat()}T03:00")  # the scan subprocess gets it via clock.env_for_child()
    result = run_scan(load_config(cfg_path), trigger="demo")
    return summary_lines(result)


def _status_table(cfg_path: Path, as_of: date) -> list[str]:
    from monitor.assess import assess_all
    from monitor.config import load_config
    from monitor.core.vocab import STATUS
    from monitor.store import open_db

    cfg = load_config(cfg_path)
    statuses = assess_all(open_db(cfg.database_target), cfg, as_of)
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.status] = counts.get(s.status, 0) + 1
    lines = [f"{cfg.school}：清单 {len(statuses)} 项，截至 {as_of}："
             + "，".join(f"{STATUS.label[k]} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))]
    for s in statuses:
        if s.status != "ok":
            lines.append(f"  [{STATUS.label[s.status]}] {s.id} {s.short or s.title}（{s.unit_name or s.unit or '未指定'}）"
                         f"：{s.reason}")
    return lines


def run_demo(day: date, workdir: str | Path, *, echo: Callable[[str], None], serve: bool = True,
             host: str = "127.0.0.1", port: int = 8000) -> None:
    """Rebuild ``workdir``, scan the testbed twice up to ``day``, print the statuses through ``echo`` and,
    with ``serve``, run the dashboard until Ctrl-C."""
    import json

    from monitor.testbed import Testbed

    work = Path(workdir).absolute()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    started = time.monotonic()
    with Testbed(as_of=day - timedelta(days=45)) as tb:
        tb.start()
        cfg_path = tb.write_config(work / "xxgk.yaml", database=str(work / "xxgk.db"))
        echo("模拟大学网站已启动（127.0.0.1）：")
        for key, url in tb.sites.items():
            echo(f"  {key:6} {url}")
        echo(f"配置文件：{cfg_path}")
        for scan_day in (day - timedelta(days=45), day):
            tb.set_as_of(scan_day)
            for line in _scan(cfg_path, scan_day):
                echo(line)
        (work / "ground-truth.json").write_text(json.dumps(tb.ground_truth(day), ensure_ascii=False, indent=1),
                                               encoding="utf-8")
        echo("")
        for line in _status_table(cfg_path, day):
            echo(line)
        echo(f"\n演示用时 {time.monotonic() - started:.1f} 秒。以后可以用 `xxgk status --config {cfg_path} --now {day}`"
             f" 查看，或 `xxgk report --config {cfg_path} --now {day} --year 2018-2019` 生成年度报告。")
        if not serve:
            return
        _serve(cfg_path, host, port, echo)


def _serve(cfg_path: Path, host: str, port: int, echo: Callable[[str], None]) -> None:
    import uvicorn

    from monitor import auth
    from monitor.config import load_config
    from monitor.dashboard.app import create_app
    from monitor.store import open_db

    cfg = load_config(cfg_path)
    db = open_db(cfg.database_target)
    password = secrets.token_urlsafe(9)
    if auth.get_user(db, "admin") is None:
        auth.add_user(db, "admin", password, "admin")
    else:
        auth.set_password(db, "admin", password)
    app = create_app(cfg, config_path=cfg_path)
    echo(f"\n看板：http://{host}:{port}/   账号 admin   密码 {password}   （Ctrl-C 停止）")
    uvicorn.run(app, host=host, port=port, log_level="warning")
