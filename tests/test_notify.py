"""Notifications: digests to units, the office's summary, no spam, escalation, retries — delivered for
real through Apprise to a local HTTP receiver (json://) and a local SMTP server (mailto://)."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from monitor import notify
from monitor.assess import ItemStatus
from monitor.config import load_config
from monitor.rules import parse_rule
from monitor.store import open_db, rows

D = date.fromisoformat


# ---------------------------------------------------------------- real receivers

class Receiver:
    """A local webhook: records every JSON POST per path; can be told to fail."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict]] = []
        self.fail = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.messages.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def to(self, path: str) -> list[dict]:
        return [m for p, m in self.messages if p == f"/{path}"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


class _Mailbox:
    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.mails.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    box = _Mailbox()

    def auth(server, session, envelope, mechanism, auth_data):
        box.logins.append(auth_data.login.decode())
        return AuthResult(success=auth_data.password == b"s3cret-pw")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = Controller(box, hostname="127.0.0.1", port=port, authenticator=auth, auth_require_tls=False)
    ctl.start()
    box.port = port
    yield box
    ctl.stop()


# ---------------------------------------------------------------- config and statuses

def write_config(tmp_path: Path, receiver: Receiver, smtp_port: int | None = None, escalate: int = 7) -> Path:
    mail = (f'"mailto://mailer:${{SMTP_PW}}@127.0.0.1:{smtp_port}?to=liu@example.edu.cn&from=xxgk@example.edu.cn"'
            if smtp_port else receiver.url("cwc"))
    path = tmp_path / "school.yaml"
    path.write_text(f"""
school: 示例大学
disclosure_site: http://127.0.0.1:9/
database: data/xxgk.db
office:
  name: 校长办公室
  contacts:
    - {{name: 赵主任, notify: "{receiver.url('office')}"}}
units:
  - id: zsb
    name: 招生办公室
    contacts:
      - {{name: 王老师, notify: "{receiver.url('zsb')}"}}
  - id: cwc
    name: 财务处
    contacts:
      - {{name: 刘老师, notify: {mail}}}
notifications:
  dashboard_url: http://dash.example.edu.cn/
  escalate_after_days: {escalate}
""", encoding="utf-8")
    return path


RULES = {"7": "window 03-01..06-30", "19": "annual 06-30 opens 03-01", "15": "on_change", "12": "periodic 6m"}
UNITS = {"7": ("zsb", "招生办公室"), "12": ("zsb", "招生办公室"), "15": ("cwc", "财务处"), "19": ("cwc", "财务处")}


def item(iid: str, status: str, due: str | None = None, last: str | None = "2019-01-10",
         reason: str = "") -> ItemStatus:
    rule = parse_rule(RULES[iid])
    unit, unit_name = UNITS[iid]
    return ItemStatus(id=iid, category="2", category_name="招生考试信息", title=f"事项{iid}的完整标题",
                      short=f"事项{iid}", unit=unit, unit_name=unit_name, rule=rule.to_dict(),
                      rule_text=rule.describe(), status=status, reason=reason or f"事项{iid}的状态说明",
                      last_changed=last, last_changed_source="label" if last else None, due=due)


@pytest.fixture
def setup(tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("SMTP_PW", "unused")
    cfg = load_config(write_config(tmp_path, receiver))
    db = open_db(cfg.database_path)
    return cfg, db


def run(db, cfg, day: str, statuses):
    return notify.run_notifications(db, cfg, as_of=D(day), statuses=statuses)


# ---------------------------------------------------------------- unit digests

def test_unit_gets_one_digest_with_due_rule_and_link_and_no_resend(setup, receiver):
    cfg, db = setup
    day1 = [item("7", "ok", due="2020-06-30"), item("12", "overdue", due="2019-07-10", reason="应于2019-07-10前更新，已逾期5天"),
            item("15", "ok"), item("19", "ok", due="2020-06-30")]
    result = run(db, cfg, "2019-07-15", day1)
    assert not result.failed
    zsb = receiver.to("zsb")
    assert len(zsb) == 1
    msg = zsb[0]
    assert "招生办公室" in msg["title"] and "1 项" in msg["title"]
    assert "【12】事项12" in msg["message"] and "逾期" in msg["message"]
    assert "2019-07-10" in msg["message"]                                  # the due day
    assert "每6个月更新" in msg["message"]                                  # the rule text
    assert "应于2019-07-10前更新，已逾期5天" in msg["message"]                 # the reason
    assert "http://dash.example.edu.cn/items/12" in msg["message"]         # link to the item
    assert "【7】" not in msg["message"]                                     # ok items are not mentioned
    assert receiver.to("cwc") == []                                        # nothing new for finance
    # the same day again, and the next days with the same state: nothing more for the unit
    run(db, cfg, "2019-07-15", day1)
    run(db, cfg, "2019-07-16", day1)
    run(db, cfg, "2019-07-17", day1)
    assert len(receiver.to("zsb")) == 1
    logged = rows(db, "SELECT * FROM notifications WHERE recipient='unit:zsb:王老师'")
    assert len(logged) == 1
    assert logged[0]["status"] == "sent" and logged[0]["attempts"] == 1
    assert logged[0]["contact_name"] == "王老师" and logged[0]["unit"] == "zsb" and logged[0]["day"] == "2019-07-15"
    assert json.loads(logged[0]["items"])[0]["item"] == "12"


def test_quiet_day_sends_nothing_and_one_digest_per_day(setup, receiver):
    cfg, db = setup
    quiet = [item("7", "ok", due="2020-06-30"), item("12", "ok", due="2019-12-01"), item("15", "ok"),
             item("19", "ok", due="2020-06-30")]
    run(db, cfg, "2019-07-15", quiet)
    assert receiver.to("zsb") == [] and receiver.to("cwc") == []
    assert len(receiver.to("office")) == 1          # the office's first summary is the baseline
    run(db, cfg, "2019-07-16", quiet)
    assert len(receiver.to("office")) == 1          # quiet day: nothing, not even for the office
    # two items become due soon / overdue on the same day, one after the morning digest
    run(db, cfg, "2019-07-17", [item("12", "due_soon", due="2019-07-20")] + quiet[2:])
    later = [item("7", "overdue", due="2019-06-30"), item("12", "due_soon", due="2019-07-20")] + quiet[2:]
    run(db, cfg, "2019-07-17", later)
    zsb = receiver.to("zsb")
    assert len(zsb) == 1 and "【12】" in zsb[0]["message"] and "【7】" not in zsb[0]["message"]
    # the next day the item 7 news arrives, and item 12 is not repeated
    run(db, cfg, "2019-07-18", later)
    zsb = receiver.to("zsb")
    assert len(zsb) == 2 and "【7】" in zsb[1]["message"] and "【12】" not in zsb[1]["message"]


def test_status_change_and_relapse_are_told_again(setup, receiver):
    cfg, db = setup
    rest = [item("15", "ok"), item("19", "ok", due="2020-06-30"), item("7", "ok", due="2020-06-30")]
    run(db, cfg, "2019-07-01", [item("12", "due_soon", due="2019-07-05")] + rest)
    run(db, cfg, "2019-07-06", [item("12", "overdue", due="2019-07-05")] + rest)      # due soon -> overdue
    run(db, cfg, "2019-07-08", [item("12", "ok", due="2020-01-08", last="2019-07-08")] + rest)
    run(db, cfg, "2020-01-09", [item("12", "overdue", due="2020-01-08", last="2019-07-08")] + rest)
    msgs = receiver.to("zsb")
    assert [("即将到期" in m["message"], "逾期" in m["message"]) for m in msgs] == [
        (True, False), (False, True), (False, True)]
    assert "2020-01-08" in msgs[2]["message"]


def test_unreachable_missing_blank_are_alerts(setup, receiver):
    cfg, db = setup
    run(db, cfg, "2019-07-15", [item("15", "unreachable", last=None, reason="对应的1个页面最近2次访问均失败（HTTP 503）"),
                               item("19", "blank", last=None), item("12", "missing", last=None),
                               item("7", "undated", last=None)])
    cwc = receiver.to("cwc")[0]["message"]
    assert "无法访问" in cwc and "HTTP 503" in cwc and "空白栏目" in cwc
    zsb = receiver.to("zsb")[0]["message"]
    assert "缺失" in zsb and "【7】" not in zsb        # undated is not an alert


def test_window_opening_reminder_once(setup, receiver):
    cfg, db = setup
    before = [item("7", "ok", due="2019-06-30", last="2018-04-01"), item("12", "ok", due="2019-12-01"),
              item("15", "ok"), item("19", "ok", due="2019-06-30", last="2018-05-01")]
    run(db, cfg, "2019-02-27", before)
    assert receiver.to("zsb") == []
    opened = [item("7", "due_soon", due="2019-06-30", last="2018-04-01"), item("12", "ok", due="2019-12-01"),
              item("15", "ok"), item("19", "ok", due="2019-06-30", last="2018-05-01")]
    run(db, cfg, "2019-03-01", opened)
    zsb = receiver.to("zsb")
    assert len(zsb) == 1
    assert "公开时段已开始" in zsb[0]["message"] and "2019-03-01 至 2019-06-30" in zsb[0]["message"]
    # annual with an explicit `opens`: the finance unit is reminded too
    cwc = receiver.to("cwc")
    assert len(cwc) == 1 and "【19】" in cwc[0]["message"] and "公开时段已开始" in cwc[0]["message"]
    office = receiver.to("office")[-1]["message"]
    assert "公开时段已开始" in office and "【7】" in office
    run(db, cfg, "2019-03-02", opened)
    assert len(receiver.to("zsb")) == 1 and len(receiver.to("cwc")) == 1


def test_window_already_published_is_not_reminded(setup, receiver):
    cfg, db = setup
    run(db, cfg, "2019-03-05", [item("7", "ok", due="2019-06-30", last="2019-03-02"), item("12", "ok", due="2019-12-01"),
                               item("15", "ok"), item("19", "ok", due="2019-06-30", last="2019-03-03")])
    assert receiver.to("zsb") == [] and receiver.to("cwc") == []


def test_new_compliance_findings_reach_the_unit_masked_once(setup, receiver):
    cfg, db = setup
    db.execute("INSERT INTO findings (kind, url, unit, location, masked, hash, status) VALUES "
               "('mobile', 'http://zsb.example.edu.cn/info/1.htm', 'zsb', 'pdf 第2页', '138****5678', 'h1', 'open')")
    quiet = [item("7", "ok", due="2020-06-30"), item("12", "ok", due="2019-12-01"), item("15", "ok"),
             item("19", "ok", due="2020-06-30")]
    run(db, cfg, "2019-07-15", quiet)
    zsb = receiver.to("zsb")
    assert len(zsb) == 1
    assert "合规问题" in zsb[0]["message"] and "138****5678" in zsb[0]["message"]
    assert "http://zsb.example.edu.cn/info/1.htm" in zsb[0]["message"]
    assert receiver.to("cwc") == []                  # another unit's finding is not theirs
    run(db, cfg, "2019-07-16", quiet)
    assert len(receiver.to("zsb")) == 1              # told once
    # a leak on the disclosure site itself (no unit) is the office's
    db.execute("INSERT INTO findings (kind, url, unit, location, masked, hash, status) VALUES "
               "('id_card', 'http://xxgk.example.edu.cn/2019/0701/c1a2/page.htm', '', 'html', '110***********1234', "
               "'h2', 'open')")
    run(db, cfg, "2019-07-17", quiet)
    office = receiver.to("office")[-1]["message"]
    assert "信息公开网新发现的合规问题" in office and "110***********1234" in office
    assert len(receiver.to("zsb")) == 1


# ---------------------------------------------------------------- the office

def test_office_summary_counts_changes_and_escalation_on_time(setup, receiver):
    cfg, db = setup   # escalate_after_days: 7
    rest = [item("7", "ok", due="2020-06-30"), item("15", "ok"), item("19", "ok", due="2020-06-30")]
    run(db, cfg, "2019-07-10", [item("12", "due_soon", due="2019-07-12")] + rest)
    first = receiver.to("office")[0]
    assert "示例大学" in first["title"] and "共 4 项" in first["message"] and "即将到期 1" in first["message"]
    run(db, cfg, "2019-07-13", [item("12", "overdue", due="2019-07-12")] + rest)
    second = receiver.to("office")[1]["message"]
    assert "较上次日报的变化" in second and "即将到期 → 逾期" in second and "招生办公室" in second
    assert "逾期升级" not in second
    for day in ("2019-07-14", "2019-07-19"):        # overdue 2..7 days: no escalation yet
        run(db, cfg, day, [item("12", "overdue", due="2019-07-12")] + rest)
    assert len(receiver.to("office")) == 2
    run(db, cfg, "2019-07-20", [item("12", "overdue", due="2019-07-12")] + rest)   # 8 days > 7
    office = receiver.to("office")
    assert len(office) == 3
    assert "逾期升级" in office[2]["message"] and "已逾期 8 天" in office[2]["message"]
    assert "http://dash.example.edu.cn/items/12" in office[2]["message"]
    run(db, cfg, "2019-07-21", [item("12", "overdue", due="2019-07-12")] + rest)
    assert len(receiver.to("office")) == 3           # escalated once per overdue episode
    assert len(receiver.to("zsb")) == 2              # the unit: due soon, then overdue — no more


def test_office_hears_about_failed_scans(setup, receiver):
    cfg, db = setup
    statuses = [item("7", "ok", due="2020-06-30"), item("12", "ok", due="2019-12-01"), item("15", "ok"),
                item("19", "ok", due="2020-06-30")]
    db.execute("INSERT INTO scans (started_at, finished_at, status) VALUES ('2019-07-15T02:30:00+08:00', "
               "'2019-07-15T03:00:00+08:00', 'done')")
    run(db, cfg, "2019-07-15", statuses)
    db.execute("INSERT INTO scans (started_at, status, message) VALUES ('2019-07-16T02:30:00+08:00', 'timeout', "
               "'扫描超过时限（120.0 分钟），已被服务终止')")
    run(db, cfg, "2019-07-16", statuses)
    office = receiver.to("office")
    assert len(office) == 2
    assert "超时" in office[1]["message"] and "已被服务终止" in office[1]["message"]


# ---------------------------------------------------------------- delivery, retries, email

def test_failed_delivery_is_recorded_retried_with_backoff_and_reported(setup, receiver):
    cfg, db = setup
    rest = [item("7", "ok", due="2020-06-30"), item("15", "ok"), item("19", "ok", due="2020-06-30")]
    receiver.fail = True
    result = run(db, cfg, "2019-07-15", [item("12", "overdue", due="2019-07-10")] + rest)
    assert len(result.failed) == 2                   # the unit digest and the office summary
    row = rows(db, "SELECT * FROM notifications WHERE recipient='unit:zsb:王老师'")[0]
    assert row["status"] == "failed" and row["attempts"] == notify.TRIES_PER_RUN and row["last_error"]
    # next run: still failing -> second failed run, then it waits one run (backoff)
    run(db, cfg, "2019-07-16", [item("12", "overdue", due="2019-07-10")] + rest)
    row = rows(db, "SELECT * FROM notifications WHERE id=?", (row["id"],))[0]
    assert row["failed_runs"] == 2 and row["skip_runs"] == 1
    receiver.fail = False
    r3 = run(db, cfg, "2019-07-17", [item("12", "overdue", due="2019-07-10")] + rest)
    assert row["id"] in r3.waiting and receiver.to("zsb") == []
    r4 = run(db, cfg, "2019-07-18", [item("12", "overdue", due="2019-07-10")] + rest)
    assert row["id"] in r4.retried
    zsb = receiver.to("zsb")
    assert len(zsb) == 1 and "【12】" in zsb[0]["message"]   # the original digest, delivered late, once
    row = rows(db, "SELECT * FROM notifications WHERE id=?", (row["id"],))[0]
    assert row["status"] == "sent" and row["attempts"] == 2 * notify.TRIES_PER_RUN + 1
    # the office was told about the failed delivery in a summary that got through
    assert any("通知发送失败" in m["message"] and "王老师" in m["message"] for m in receiver.to("office"))


def test_gives_up_after_max_runs_and_says_so(setup, receiver):
    cfg, db = setup
    receiver.fail = True
    statuses = [item("12", "overdue", due="2019-07-10"), item("7", "ok", due="2020-06-30"), item("15", "ok"),
                item("19", "ok", due="2020-06-30")]
    day = D("2019-07-15")
    for _ in range(40):
        notify.run_notifications(db, cfg, as_of=day, statuses=statuses)
        if rows(db, "SELECT status FROM notifications WHERE recipient='unit:zsb:王老师'")[0]["status"] == "gave_up":
            break
    row = rows(db, "SELECT * FROM notifications WHERE recipient='unit:zsb:王老师'")[0]
    assert row["status"] == "gave_up" and row["failed_runs"] == notify.MAX_FAILED_RUNS
    assert len(receiver.to("zsb")) == 0
    # never silently: the next summary that gets through names the message that was given up
    receiver.fail = False
    notify.run_notifications(db, cfg, as_of=D("2019-07-16"), statuses=statuses)
    office = receiver.to("office")[-1]["message"]
    assert "通知发送失败" in office and "王老师" in office and "已放弃重试" in office


def test_email_via_smtp_with_masked_secret(tmp_path, receiver, smtp, monkeypatch):
    monkeypatch.setenv("SMTP_PW", "s3cret-pw")
    cfg = load_config(write_config(tmp_path, receiver, smtp_port=smtp.port))
    db = open_db(cfg.database_path)
    statuses = [item("15", "overdue", due="2019-07-01", reason="变动后20个工作日内未更新"), item("19", "ok", due="2020-06-30"),
                item("7", "ok", due="2020-06-30"), item("12", "ok", due="2019-12-01")]
    result = notify.run_notifications(db, cfg, as_of=D("2019-07-15"), statuses=statuses)
    assert not result.failed
    assert len(smtp.mails) == 1 and smtp.logins == ["mailer"]
    mail = smtp.mails[0]
    assert mail["To"] == "liu@example.edu.cn" and "财务处" in str(mail["Subject"])
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "【15】事项15" in text and "变动后20个工作日内未更新" in text and "http://dash.example.edu.cn/items/15" in text
    stored = rows(db, "SELECT target, body FROM notifications WHERE unit='cwc'")[0]
    assert "s3cret-pw" not in stored["target"] and "127.0.0.1" in stored["target"]
    dump = "\n".join(str(v) for r in rows(db, "SELECT * FROM notifications") for v in r.values())
    assert "s3cret-pw" not in dump


def test_removed_contact_gives_up_instead_of_failing_forever(tmp_path, receiver, monkeypatch):
    monkeypatch.setenv("SMTP_PW", "x")
    path = write_config(tmp_path, receiver)
    cfg = load_config(path)
    db = open_db(cfg.database_path)
    receiver.fail = True
    statuses = [item("12", "overdue", due="2019-07-10")]
    notify.run_notifications(db, cfg, as_of=D("2019-07-15"), statuses=statuses)
    path.write_text(path.read_text(encoding="utf-8").replace("王老师", "李老师"), encoding="utf-8")
    receiver.fail = False
    notify.run_notifications(db, load_config(path), as_of=D("2019-07-16"), statuses=statuses)
    old = rows(db, "SELECT status, last_error FROM notifications WHERE recipient='unit:zsb:王老师'")[0]
    assert old["status"] == "gave_up" and "配置中删除" in old["last_error"]


# ---------------------------------------------------------------- CLI

def test_cli_dry_run_prints_and_records_nothing_then_send(tmp_path, receiver, monkeypatch):
    from monitor.cli import main

    monkeypatch.setenv("SMTP_PW", "x")
    path = write_config(tmp_path, receiver)
    statuses = [item("12", "overdue", due="2019-07-10"), item("7", "ok", due="2020-06-30")]
    # the estate's own assessment needs a crawl; here the statuses are given
    monkeypatch.setattr(notify.deliver, "current_statuses", lambda db, cfg, as_of: statuses)
    runner = CliRunner()
    # before any complete scan every item would look missing: nothing is sent
    res = runner.invoke(main, ["notify", "--config", str(path), "--now", "2019-07-15"])
    assert res.exit_code == 0 and "尚无成功完成的扫描" in res.output and receiver.messages == []
    db = open_db(load_config(path).database_path)
    db.execute("INSERT INTO scans (started_at, finished_at, status) VALUES ('2019-07-15T02:30:00+08:00', "
               "'2019-07-15T03:00:00+08:00', 'done')")
    res = runner.invoke(main, ["notify", "--config", str(path), "--now", "2019-07-15", "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "收件人：招生办公室 王老师" in res.output and "【12】事项12" in res.output
    assert "收件人：校长办公室 赵主任" in res.output
    assert rows(db, "SELECT COUNT(*) AS n FROM notifications")[0]["n"] == 0
    assert rows(db, "SELECT COUNT(*) AS n FROM notification_state")[0]["n"] == 0
    assert receiver.messages == []
    res = runner.invoke(main, ["notify", "--config", str(path), "--now", "2019-07-15"])
    assert res.exit_code == 0, res.output
    assert "已发送 → 招生办公室 王老师" in res.output
    assert len(receiver.to("zsb")) == 1
    res = runner.invoke(main, ["notify", "--config", str(path), "--now", "2019-07-15", "--dry-run"])
    assert "今天没有需要发送的通知" in res.output


def test_cli_bad_config_is_one_chinese_line(tmp_path):
    from monitor.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("school: 示例大学\nunits: 5\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["notify", "--config", str(bad), "--dry-run"])
    assert res.exit_code != 0
    assert res.output.startswith("错误：") and "Traceback" not in res.output


def test_cli_honours_digest_on_workdays_and_writes_metrics(tmp_path, receiver, monkeypatch):
    """A crontab line running `xxgk notify` every day sends on Chinese working days only
    (schedule.digest_on: workdays); --force sends anyway; the node_exporter textfile follows each send."""
    from monitor.cli import main

    monkeypatch.setenv("SMTP_PW", "x")
    path = write_config(tmp_path, receiver)
    path.write_text(path.read_text(encoding="utf-8") + "schedule:\n  digest_on: workdays\n"
                    "metrics:\n  textfile: metrics/xxgk.prom\n", encoding="utf-8")
    (tmp_path / "metrics").mkdir()
    statuses = [item("12", "overdue", due="2019-07-10")]
    monkeypatch.setattr(notify.deliver, "current_statuses", lambda db, cfg, as_of: statuses)
    db = open_db(load_config(path).database_path)
    db.execute("INSERT INTO scans (started_at, finished_at, status) VALUES ('2019-07-12T02:30:00+08:00', "
               "'2019-07-12T03:00:00+08:00', 'done')")
    runner = CliRunner()
    # 2019-07-13 is a Saturday
    res = runner.invoke(main, ["notify", "--config", str(path), "--now", "2019-07-13"])
    assert res.exit_code == 0, res.output
    assert "2019-07-13 不是工作日" in res.output and "--force" in res.output
    assert receiver.messages == [] and not (tmp_path / "metrics" / "xxgk.prom").exists()
    res = runner.invoke(main, ["notify", "--config", str(path), "--now", "2019-07-13", "--force"])
    assert res.exit_code == 0, res.output
    assert len(receiver.to("zsb")) == 1
    prom = (tmp_path / "metrics" / "xxgk.prom").read_text(encoding="utf-8")
    assert "xxgk_" in prom


def test_cli_sends_on_a_make_up_working_day(tmp_path, receiver, monkeypatch):
    """2019-09-29 is a Sunday the State Council made a working day (National Day make-up)."""
    from monitor.cli import main

    monkeypatch.setenv("SMTP_PW", "x")
    path = write_config(tmp_path, receiver)
    path.write_text(path.read_text(encoding="utf-8") + "schedule:\n  digest_on: workdays\n", encoding="utf-8")
    statuses = [item("12", "overdue", due="2019-07-10")]
    monkeypatch.setattr(notify.deliver, "current_statuses", lambda db, cfg, as_of: statuses)
    db = open_db(load_config(path).database_path)
    db.execute("INSERT INTO scans (started_at, finished_at, status) VALUES ('2019-09-28T02:30:00+08:00', "
               "'2019-09-28T03:00:00+08:00', 'done')")
    res = CliRunner().invoke(main, ["notify", "--config", str(path), "--now", "2019-09-29"])
    assert res.exit_code == 0, res.output
    assert "不是工作日" not in res.output and len(receiver.to("zsb")) == 1


def test_cli_sends_and_records_on_postgresql(tmp_path, receiver, monkeypatch):
    """A fleet school's digest: the same command on a PostgreSQL schema (the notification log's ids come back
    from the insert), once a day."""
    import uuid

    from monitor.cli import main
    from tests.conftest import PG_URL as pg
    from tests.conftest import postgres_admin

    admin = postgres_admin()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    try:
        monkeypatch.setenv("SMTP_PW", "x")
        path = write_config(tmp_path, receiver)
        path.write_text(path.read_text(encoding="utf-8").replace("database: data/xxgk.db",
                                                                 f"database: {pg}?schema={schema}"), encoding="utf-8")
        statuses = [item("12", "overdue", due="2019-07-10")]
        monkeypatch.setattr(notify.deliver, "current_statuses", lambda db, cfg, as_of: statuses)
        db = open_db(load_config(path).database_target)
        db.execute("INSERT INTO scans (started_at, finished_at, status) VALUES ('2019-07-15T02:30:00+08:00', "
                   "'2019-07-15T03:00:00+08:00', 'done')")
        for _ in range(2):
            res = CliRunner().invoke(main, ["notify", "--config", str(path), "--now", "2019-07-15"])
            assert res.exit_code == 0, res.output
        assert len(receiver.to("zsb")) == 1
        sent = rows(db, "SELECT id, status FROM notifications WHERE recipient = 'unit:zsb:王老师'")
        assert [r["status"] for r in sent] == ["sent"] and sent[0]["id"] > 0
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()
