"""What a school sees of its schedule: the service fires cron lines as crontab(5) reads them (also after an
upgrade from jobs saved with APScheduler's own reading), `xxgk check` prints the next scan and digest with their
weekday as of the product clock, `schedule.digest_on: workdays` keeps digests to Chinese working days (make-up
days included), and every Apprise address is read by Apprise itself, with its secrets never printed."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.core import clock, workdays
from tests.test_service import FAKE_SCAN, ServiceProc

TZ = ZoneInfo("Asia/Shanghai")
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)

BASE = """\
school: 示例大学
disclosure_site: https://xxgk.example.edu.cn/
database: data/xxgk.db
"""


@pytest.fixture(autouse=True)
def _timezone():
    yield
    clock.set_timezone(clock.DEFAULT_TZ)   # a config in another timezone must not leak into later tests


def write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "xxgk.yaml"
    path.write_text(BASE + textwrap.dedent(extra), encoding="utf-8")
    return path


def check(path: Path, now: str | None = None, env: dict | None = None):
    args = ["check", "--config", str(path)] + (["--now", now] if now else [])
    return CliRunner().invoke(main, args, env=env)


# ---------------------------------------------------------------- the service's triggers

def test_the_service_fires_weekdays_as_crontab_means_them():
    from monitor.service import make_trigger

    trig, spec = make_trigger("0 8 * * 1-5", None, TZ)
    assert trig.get_next_fire_time(None, SATURDAY) == datetime(2026, 11, 30, 8, 0, tzinfo=TZ)      # Monday
    assert spec == "crontab 0 8 * * 1-5 Asia/Shanghai"
    for sunday in ("0", "7"):
        trig, _ = make_trigger(f"* * * * {sunday}", None, TZ)
        assert trig.get_next_fire_time(None, SATURDAY) == datetime(2026, 11, 29, 0, 0, tzinfo=TZ)
    trig, _ = make_trigger("0 8 1 * 1", None, TZ)
    monday = trig.get_next_fire_time(None, SATURDAY)
    assert monday == datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
    assert trig.get_next_fire_time(monday, monday.replace(minute=1)) == datetime(2026, 12, 1, 8, 0, tzinfo=TZ)


def test_a_job_saved_with_the_old_weekday_reading_is_replaced(tmp_path):
    from apscheduler.triggers.cron import CronTrigger

    from monitor.config import load_config
    from monitor.service import Service, build_scheduler

    cfg = load_config(write(tmp_path, "schedule: {digest: '0 8 * * 1-5'}\n"))
    service = Service(config_path=str(cfg.path), cfg=cfg, db_path=str(cfg.database_path), scan_timeout=60)
    scheduler = build_scheduler(service)
    # what an installation before the fix has in its job store: APScheduler's reading, under the old name
    scheduler.modify_job("digest", name="cron 0 8 * * 1-5 Asia/Shanghai")
    scheduler.reschedule_job("digest", trigger=CronTrigger.from_crontab("0 8 * * 1-5", timezone=TZ))
    assert scheduler.get_job("digest").trigger.get_next_fire_time(None, SATURDAY).weekday() == 1   # Tuesday
    scheduler.shutdown(wait=False)

    scheduler = build_scheduler(service)
    try:
        job = scheduler.get_job("digest")
        assert job.name == "crontab 0 8 * * 1-5 Asia/Shanghai"
        assert job.trigger.get_next_fire_time(None, SATURDAY) == datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
    finally:
        scheduler.shutdown(wait=False)


# ---------------------------------------------------------------- xxgk check: next runs

def test_check_prints_the_next_scan_and_digest_with_their_weekday(tmp_path):
    path = write(tmp_path)
    res = check(path, env={"XXGK_NOW": "2026-12-01T12:00"})
    assert res.exit_code == 0, res.output
    assert "下次扫描：2026-12-02 02:30（星期三）" in res.output
    assert "下次摘要推送：2026-12-02 08:00（星期三）" in res.output

    path = write(tmp_path, "schedule: {scan: '0 8 * * 1-5', digest: '0 9 1 * 1'}\n")
    res = check(path, now="2026-11-28T12:00")        # a Saturday
    assert "下次扫描：2026-11-30 08:00（星期一）" in res.output
    assert "下次摘要推送：2026-11-30 09:00（星期一）" in res.output
    res = check(path, now="2026-11-30T10:00")        # after Monday's run: the 1st, a Tuesday, is next
    assert "下次扫描：2026-12-01 08:00（星期二）" in res.output
    assert "下次摘要推送：2026-12-01 09:00（星期二）" in res.output


def test_check_reads_the_clock_in_the_configs_timezone(tmp_path):
    # 2026-12-02 08:00 in Shanghai is midnight in London: London's 02:30 scan is still ahead today.
    now = {"XXGK_NOW": "2026-12-02T08:00+08:00"}
    assert "下次扫描：2026-12-03 02:30（星期四）" in check(write(tmp_path), env=now).output
    res = check(write(tmp_path, "timezone: Europe/London\n"), env=now)
    assert "下次扫描：2026-12-02 02:30（星期三）" in res.output, res.output


def test_check_says_scans_are_started_by_hand_when_the_schedule_is_off(tmp_path):
    res = check(write(tmp_path, "schedule: {enabled: false}\nnotifications: {enabled: false}\n"), now="2026-12-01")
    assert res.exit_code == 0, res.output
    assert "下次扫描：计划扫描未启用（schedule.enabled: false），需手动运行 xxgk scan 开始扫描" in res.output
    assert "下次摘要推送：通知已关闭（notifications.enabled: false）" in res.output


# ---------------------------------------------------------------- digest_on: workdays

def test_workday_digests_skip_holidays_and_keep_make_up_days(tmp_path):
    path = write(tmp_path, "schedule: {digest_on: workdays}\n")
    # 2019: National Day 10-01..10-07; Sunday 09-29 and Saturday 10-12 are make-up working days.
    res = check(path, now="2019-09-28T12:00")                     # Saturday, not a working day
    assert "下次摘要推送：2019-09-29 08:00（星期日，调休上班日），仅在工作日推送" in res.output, res.output
    assert "摘要推送：0 8 * * *（仅工作日）" in res.output
    res = check(path, now="2019-09-30T09:00")                     # the holiday week is skipped
    assert "下次摘要推送：2019-10-08 08:00（星期二），仅在工作日推送" in res.output
    assert "下次扫描：2019-10-01 02:30（星期二）" in res.output      # scans run every night regardless
    res = check(path, now="2019-10-11T09:00")
    assert "下次摘要推送：2019-10-12 08:00（星期六，调休上班日）" in res.output

    # every_day (the default) keeps the holiday
    res = check(write(tmp_path, "schedule: {digest_on: every_day}\n"), now="2019-09-30T09:00")
    assert "下次摘要推送：2019-10-01 08:00（星期二）" in res.output and "仅在工作日" not in res.output


def test_a_bad_digest_on_names_the_field_and_line(tmp_path):
    res = check(write(tmp_path, "schedule:\n  scan: '30 2 * * *'\n  digest_on: weekdays\n"))
    assert res.exit_code == 2
    assert (f"{tmp_path / 'xxgk.yaml'}:6: schedule.digest_on: 应为 every_day（每天）或 workdays"
            "（仅中国法定工作日，含调休上班日），实际为 文本 'weekdays'") in res.output, res.output


def test_check_warns_when_next_years_holidays_are_not_known(tmp_path):
    first, last = workdays.known_years()
    path = write(tmp_path, "schedule: {digest_on: workdays}\n")
    res = check(path, now=f"{last - 1}-06-01")
    assert res.exit_code == 0 and "警告" not in res.output, res.output
    res = check(path, now=f"{last}-06-01")
    assert res.exit_code == 0, res.output
    assert f"警告：已安装的节假日日历（chinese-calendar，含 {first}–{last} 年）还没有明年（{last + 1} 年）的节假日安排" \
        in res.output
    # on the last evening of the known calendar the next workday digest cannot be placed: said, not guessed
    res = check(path, now=f"{last}-12-31T20:00")
    assert f"下次摘要推送：无法确定（仅工作日推送，但节假日日历不包含 {last + 1} 年" in res.output, res.output


def test_the_digest_job_skips_days_that_are_not_working_days(tmp_path):
    config = write(tmp_path, "schedule: {digest_on: workdays}\n")
    fake = tmp_path / "fake_scan.py"
    fake.write_text(FAKE_SCAN, encoding="utf-8")
    mode = tmp_path / "mode"
    mode.write_text("ok", encoding="utf-8")
    clock_file = tmp_path / "clock"
    clock_file.write_text("2019-10-01T08:00", encoding="utf-8")         # National Day
    svc = ServiceProc(tmp_path, config, "--clock-file", str(clock_file), "--scan-command",
                      f"{sys.executable} {fake} {{config}} {mode}",
                      "--scan-every", "3600", "--digest-every", "1")
    try:
        skipped = svc.wait_for(lambda e: e.get("event") == "digest.not_workday", what="a skipped holiday digest")
        assert skipped["as_of"] == "2019-10-01"
        assert skipped["msg"] == "2019-10-01 不是工作日（schedule.digest_on: workdays），今天不发送摘要"
        assert svc.count("digest.done") == 0

        clock_file.write_text("2019-10-12T08:00", encoding="utf-8")     # a make-up Saturday: sent
        svc.wait_for(lambda e: e.get("event") == "digest.done" and e.get("as_of") == "2019-10-12",
                     what="the make-up day's digest")
        assert svc.count("digest.not_workday", as_of="2019-10-12") == 0

        clock_file.write_text("2019-10-13T08:00", encoding="utf-8")     # an ordinary Sunday: skipped
        svc.wait_for(lambda e: e.get("event") == "digest.not_workday" and e.get("as_of") == "2019-10-13",
                     what="the Sunday skipped")

        # a year the calendar does not know: sent anyway, with a warning that says why
        unknown = f"{workdays.known_years()[1] + 2}-01-05"
        clock_file.write_text(f"{unknown}T08:00", encoding="utf-8")
        warned = svc.wait_for(lambda e: e.get("event") == "digest.calendar_unknown", what="the calendar warning")
        assert warned["level"] == "WARNING" and "请升级 chinese-calendar" in warned["msg"]
        svc.wait_for(lambda e: e.get("event") == "digest.done" and e.get("as_of") == unknown,
                     what="the digest sent despite the unknown year")
        assert svc.count("digest.done", as_of="2019-10-01") == svc.count("digest.done", as_of="2019-10-13") == 0
        assert svc.stop() == 0
    finally:
        svc.kill()


# ---------------------------------------------------------------- Apprise addresses

CONTACTS = """\
office:
  contacts:
    - {name: 李老师, notify: "tgram://${TOKEN}"}
units:
  - id: zsb
    name: 招生办公室
    contacts:
      - {name: 王老师, notify: "mailto://user:${SMTP_PW}@smtp.example.edu.cn?to=wang@example.edu.cn"}
      - {name: 张老师, notify: "wxwork://${TOKEN}/x"}
      - {name: 赵老师, notify: "wecombot://${TOKEN}"}
"""
SECRETS = {"TOKEN": "tok-9f8e7d6c5b", "SMTP_PW": "pw-1a2b3c4d"}


def test_apprise_reads_every_address_and_secrets_stay_hidden(tmp_path):
    path = write(tmp_path, CONTACTS)
    res = check(path, env=SECRETS)
    assert res.exit_code == 2, res.output
    name = str(tmp_path / "xxgk.yaml")
    lines = [line for line in res.output.splitlines() if line.startswith("错误：")]
    assert lines == [
        f"错误：{name}:6: office.contacts[0].notify: 联系人“李老师”的通知地址 tgram://**** 无效："
        "Apprise 无法使用该地址（缺少或写错了必需部分，如令牌、主机、账号或收件人）",
        f"错误：{name}:12: units[0].contacts[1].notify: 联系人“张老师”的通知地址 wxwork://**** 无效："
        "Apprise 不支持 wxwork:// 这种通知方式",
    ]
    assert "配置检查通过" not in res.output
    assert not any(secret in res.output for secret in SECRETS.values())

    fixed = CONTACTS.replace("tgram://${TOKEN}", "tgram://123456789:${TOKEN}/-100123").replace(
        "wxwork://${TOKEN}/x", "json://127.0.0.1:8080/hook?token=${TOKEN}")
    res = check(write(tmp_path, fixed), env=SECRETS)
    assert res.exit_code == 0, res.output
    assert "配置检查通过" in res.output
    assert not any(secret in res.output for secret in SECRETS.values())


def test_an_address_that_is_not_an_url_is_refused_without_showing_it(tmp_path):
    path = write(tmp_path, CONTACTS.replace("mailto://user:${SMTP_PW}@smtp.example.edu.cn?to=wang@example.edu.cn",
                                            "user:${SMTP_PW}@smtp.example.edu.cn"))
    res = check(path, env=SECRETS)
    assert res.exit_code == 2
    assert ":11: units[0].contacts[0].notify: 应为 Apprise 通知地址" in res.output, res.output
    assert "实际为 不含“协议://”的文本（内容已隐藏，可能含密码）" in res.output
    assert SECRETS["SMTP_PW"] not in res.output


def test_loading_a_config_does_not_import_apprise(tmp_path):
    # Every command loads the config; only `xxgk check` (and sending) pays for Apprise.
    path = write(tmp_path, CONTACTS)
    code = ("import sys; from monitor.config import load_config; load_config(sys.argv[1]); "
            "print('apprise' in sys.modules, 'apscheduler' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                         env={**os.environ, **SECRETS}, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.split() == ["False", "False"]
