"""Candidates awaiting review are not absence (issue 13, cause 2).

A school splits national item 2 into 学校章程 / 学校规章制度 and item 6 into 信息公开指南 / 信息公开年度报告, the
parts without keywords of their own: the matcher finds their columns but cannot tell the parts apart and leaves
the matches for review. Those items were reported 缺失 to everyone. Now they are judged provisionally from the
candidates (已找到·待确认): the status, the dashboard, the office's digest and the annual report say so; the unit is
told nothing until the office confirms.

The store is written by hand the way the crawler and the matcher write it (``review`` rows inserted directly),
so nothing here depends on how the matcher breaks ties.
"""
from __future__ import annotations

import json
import re
import textwrap
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from monitor import auth, notify
from monitor.assess import assess_all, store_assessments
from monitor.cli import main
from monitor.config import load_config
from monitor.core import clock
from monitor.dashboard.app import create_app
from monitor.report import AcademicYear, build_report, write_outputs
from monitor.store import open_db, rows

D = date
X = "http://xxgk.test.edu.cn"
ZSB = "http://zsb.test.edu.cn"
CHARTER_COL = f"{X}/xxzc/list.htm"          # titled 学校章程: ties between the parts 2.1 and 2.2
RULES_COL = f"{X}/gzzd/list.htm"            # 规章制度: an empty column, a second candidate of 2.2
REPORT_COL = f"{X}/ndbg/list.htm"           # 年度报告: the only candidate of 6.2
GUIDE_COL = f"{X}/xxgkzn/list.htm"          # 信息公开指南: an empty column, the only candidate of 6.1
CHARTER = f"{X}/2019/0620/c11a1/page.htm"
ADMISSIONS = f"{ZSB}/2019/0401/c7a1/page.htm"   # listed in the charter column too, but item 7's

CATALOG = """\
name: 测试大学信息公开目录
extends: national
split:
  "2":
    - {id: "2.1", title: 学校章程, unit: fgc}
    - {id: "2.2", title: 学校规章制度, unit: fgc}
  "6":
    - {id: "6.1", title: 信息公开指南, rule: on_change}
    - {id: "6.2", title: 信息公开年度报告, unit: fgc, rule: "annual 10-31 opens 09-01"}
"""


class Receiver:
    """A local webhook (Apprise json://) that records every message per path."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.messages.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.server.server_port}/{path}"

    def to(self, path: str) -> list[dict]:
        return [m for p, m in self.messages if p == f"/{path}"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class School:
    """A school config with a split catalog and a store written the way crawler and matcher write it."""

    def __init__(self, tmp_path: Path, receiver: Receiver) -> None:
        (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
        self.path = tmp_path / "xxgk.yaml"
        self.path.write_text(textwrap.dedent(f"""\
            school: 测试大学
            catalog: catalog.yaml
            disclosure_site: {X}/
            office:
              name: 校长办公室
              contacts:
                - {{name: 赵主任, notify: "{receiver.url('office')}"}}
            units:
              - id: fgc
                name: 法规处
                contacts:
                  - {{name: 李老师, notify: "{receiver.url('fgc')}"}}
              - id: zsb
                name: 招生办公室
                sites: ["{ZSB}/"]
                contacts:
                  - {{name: 王老师, notify: "{receiver.url('zsb')}"}}
            items:
              "7": {{unit: zsb}}
            notifications:
              dashboard_url: http://dash.test.edu.cn/
            """), encoding="utf-8")
        self.cfg = load_config(self.path)
        self.db = open_db(self.cfg.database_path)
        sid = self.db["scans"].insert({"started_at": "2019-10-01T02:30:00+08:00",
                                       "finished_at": "2019-10-01T02:50:00+08:00", "status": "done"}).last_pk
        self.scan = sid
        charter_col = self.page(CHARTER_COL, "list", "学校章程")
        self.page(CHARTER, "article", "测试大学章程（2019年修订）", published="2019-06-20")
        self.entry(charter_col, CHARTER, "测试大学章程（2019年修订）", "2019-06-20")
        # the admissions charter is listed in the same column; matching gave it to item 7 (counted)
        self.entry(charter_col, ADMISSIONS, "2019年本科招生章程", "2019-09-30")
        rules_col = self.page(RULES_COL, "list", "规章制度")
        report_col = self.page(REPORT_COL, "list", "年度报告")
        self.entry(report_col, f"{X}/2018/1020/c14a1/page.htm", "2017-2018学年信息公开年度报告", "2018-10-20")
        guide_col = self.page(GUIDE_COL, "list", "信息公开指南")
        zs = self.page(f"{ZSB}/zszc/list.htm", "list", "招生章程", unit="zsb")
        self.entry(zs, ADMISSIONS, "2019年本科招生章程", "2019-09-30")
        # The matcher's output: ties and middling scores wait for review.
        tie = "栏目「学校章程」与两个拆分事项得分相同，需人工确认"
        self.match("2.1", CHARTER_COL, charter_col, "review", 0.62, tie)
        self.match("2.2", CHARTER_COL, charter_col, "review", 0.62, tie)
        self.match("2.2", RULES_COL, rules_col, "review", 0.55, "栏目名称「规章制度」与事项标题部分相同")
        self.match("6.2", REPORT_COL, report_col, "review", 0.58, "栏目名称「年度报告」与事项标题部分相同")
        self.match("6.1", GUIDE_COL, guide_col, "review", 0.57, "栏目名称「信息公开指南」与两个拆分事项相近")
        self.match("7", f"{ZSB}/zszc/list.htm", zs, "auto", 0.9, "导航栏目名称匹配")
        self.match("7", ADMISSIONS, None, "auto", 0.9, "条目标题含「招生章程」", target="entry")
        self.match("7", CHARTER_COL, charter_col, "review", 0.4, "栏目标题含「章程」")   # counted item: ignored

    def page(self, url: str, kind: str, title: str, *, published: str | None = None, unit: str = "") -> int:
        return self.db["pages"].insert({
            "url": url, "site": X + "/" if url.startswith(X) else ZSB + "/", "unit": unit, "kind": kind,
            "title": title, "column_name": title if kind == "list" else None, "published": published,
            "published_source": "label" if published else None, "first_seen_scan": self.scan,
            "last_seen_scan": self.scan, "last_status": 200, "fail_count": 0}).last_pk

    def entry(self, list_id: int, url: str, title: str, day: str) -> None:
        self.db["entries"].insert({"list_page_id": list_id, "source_page_id": list_id, "url": url, "title": title,
                                   "date": day, "date_source": "list", "first_seen_scan": self.scan,
                                   "last_seen_scan": self.scan})

    def match(self, item: str, url: str, page_id: int | None, state: str, score: float, reason: str, *,
              target: str = "column") -> None:
        self.db["matches"].insert({"item_id": item, "url": url, "page_id": page_id, "target": target,
                                   "score": score, "reason": reason, "method": "navigation", "state": state})

    def status(self, day: date) -> dict:
        return {s.id: s for s in assess_all(self.db, self.cfg, day)}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def school(tmp_path, receiver):
    s = School(tmp_path, receiver)
    yield s
    s.db.conn.close()


# ---------------------------------------------------------------- assessment

def test_items_found_only_as_candidates_are_judged_provisionally_not_missing(school):
    st = school.status(D(2019, 10, 15))
    charter, rules, guide, annual = st["2.1"], st["2.2"], st["6.1"], st["6.2"]
    for s in (charter, rules, guide, annual):
        assert s.provisional and s.status != "missing", s.id
        assert s.reason.startswith("依据待确认的候选栏目暂定："), s.reason
    # 学校章程 (static) from the charter column; the admissions charter listed there is item 7's, not its evidence
    assert (charter.status, charter.last_changed) == ("ok", "2019-06-20")
    assert [e.url for e in charter.evidence] == [CHARTER]
    assert [(c.url, c.newest, c.score, c.method) for c in charter.candidates] == [
        (CHARTER_COL, "2019-06-20", 0.62, "navigation")]
    assert charter.candidates[0].title == "学校章程" and "得分相同" in charter.candidates[0].reason
    # two candidates, each with its own newest date (the empty one has none)
    assert [(c.url, c.newest) for c in rules.candidates] == [(CHARTER_COL, "2019-06-20"), (RULES_COL, None)]
    assert rules.columns == [CHARTER_COL, RULES_COL]
    # the rule is judged on the candidates' dates: the 2018 report, the 2019 one due by 10-31
    assert (annual.status, annual.due, annual.last_changed) == ("due_soon", "2019-10-31", "2018-10-20")
    assert school.status(D(2019, 11, 5))["6.2"].status == "overdue"
    # a candidate column without content: what the page shows (blank), still provisional, never missing
    assert guide.status == "blank" and guide.reason == "依据待确认的候选栏目暂定：栏目（1个）没有任何内容"
    # an item with counted matches ignores its review rows as before; an item with nothing stays missing
    assert not st["7"].provisional and st["7"].candidates == []
    assert CHARTER not in {e.url for e in st["7"].evidence}
    assert (st["1"].status, st["1"].provisional) == ("missing", False)


def test_a_candidate_counted_for_another_item_or_unknown_on_the_day_is_no_candidate(school):
    # The office gives the charter column to 2.1: 2.2 is left with its own column only.
    from monitor.matching import confirm_match

    confirm_match(school.db, "2.1", CHARTER_COL, "office")
    st = school.status(D(2019, 10, 15))
    assert (st["2.1"].status, st["2.1"].last_changed, st["2.1"].provisional) == ("ok", "2019-06-20", False)
    assert not st["2.1"].reason.startswith("依据待确认")
    assert [c.url for c in st["2.2"].candidates] == [RULES_COL]
    assert (st["2.2"].status, st["2.2"].provisional) == ("blank", True)
    # before the scan that found them, the candidates were not known: the item was missing then
    assert school.status(D(2019, 9, 1))["6.2"].status == "missing"


def test_provisional_flag_is_stored_and_in_the_json(school):
    statuses = assess_all(school.db, school.cfg, D(2019, 10, 15))
    store_assessments(school.db, statuses, D(2019, 10, 15), school.scan)
    stored = {r["item_id"]: r for r in rows(school.db, "SELECT item_id, status, provisional FROM assessments")}
    assert (stored["6.2"]["status"], stored["6.2"]["provisional"]) == ("due_soon", 1)
    assert stored["7"]["provisional"] == 0 and stored["1"]["provisional"] == 0

    res = CliRunner().invoke(main, ["status", "--config", str(school.path), "--as-of", "2019-10-15", "--json"])
    assert res.exit_code == 0, res.output
    doc = {x["id"]: x for x in json.loads(res.output)}
    assert doc["6.2"]["provisional"] is True and doc["6.2"]["status"] == "due_soon"
    assert doc["6.2"]["candidates"] == [{
        "match_id": doc["6.2"]["candidates"][0]["match_id"], "url": REPORT_COL, "title": "年度报告",
        "target": "column", "score": 0.58, "method": "navigation", "reason": "栏目名称「年度报告」与事项标题部分相同",
        "newest": "2018-10-20", "newest_source": "list"}]
    assert doc["7"]["provisional"] is False and doc["7"]["candidates"] == []


def test_status_command_marks_the_items_and_lists_their_candidates(school):
    res = CliRunner().invoke(main, ["status", "--config", str(school.path), "--as-of", "2019-10-15"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "其中 4 项已找到·待确认" in out
    assert "状态后带 * 的事项：已找到·待确认" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("6.2 "))
    assert "即将到期*" in row and "依据待确认的候选栏目暂定" in row
    assert f"〔栏目〕年度报告 最新 2018-10-20 {REPORT_COL}" in out
    assert f"〔栏目〕规章制度 最新 无日期 {RULES_COL}" in out
    assert "xxgk match confirm/reject 6.2 网址" in out
    missing_count = re.search(r"缺失 (\d+)", out).group(1)
    assert int(missing_count) == sum(s.status == "missing" for s in school.status(D(2019, 10, 15)).values())


# ---------------------------------------------------------------- notifications

def test_the_unit_is_told_nothing_and_the_office_is_asked_to_confirm(school, receiver):
    statuses = assess_all(school.db, school.cfg, D(2019, 11, 5))   # 6.2 now provisionally overdue
    assert {s.id: s.status for s in statuses if s.provisional} == {"2.1": "ok", "2.2": "ok", "6.1": "blank",
                                                                   "6.2": "overdue"}
    result = notify.run_notifications(school.db, school.cfg, as_of=D(2019, 11, 5), statuses=statuses)
    assert not result.failed
    # 法规处 owns only provisional items: no message at all (no 缺失, no 逾期 from unconfirmed evidence)
    assert receiver.to("fgc") == []
    office = receiver.to("office")
    assert len(office) == 1
    text = office[0]["message"]
    section = text.split("### 已找到·待确认（4 项，请确认匹配）")[1].split("###")[0]
    assert "【6.2】信息公开年度报告：暂定逾期；责任单位：法规处" in section
    assert f"候选栏目：年度报告（最新 2018-10-20） {REPORT_COL}" in section
    assert f"候选栏目：规章制度（最新 无日期） {RULES_COL}" in section
    assert "确认或排除：http://dash.test.edu.cn/items/6.2" in section
    assert "确认前不会通知责任单位" in section
    assert "【1】" not in section
    # the next day nothing new: no second digest; once 6.2 is confirmed the unit hears about it
    notify.run_notifications(school.db, school.cfg, as_of=D(2019, 11, 6),
                             statuses=assess_all(school.db, school.cfg, D(2019, 11, 6)))
    assert len(receiver.to("office")) == 1 and receiver.to("fgc") == []
    from monitor.matching import confirm_match

    confirm_match(school.db, "6.2", REPORT_COL, "office")
    notify.run_notifications(school.db, school.cfg, as_of=D(2019, 11, 7),
                             statuses=assess_all(school.db, school.cfg, D(2019, 11, 7)))
    fgc = receiver.to("fgc")
    assert len(fgc) == 1 and "【6.2】" in fgc[0]["message"] and "逾期" in fgc[0]["message"]
    assert "【2.1】" not in fgc[0]["message"] and "待确认" not in fgc[0]["message"]


# ---------------------------------------------------------------- the annual report

def test_the_report_counts_candidates_marked_and_says_how_many_rest_on_them(school, tmp_path):
    clock.set_now("2019-10-20")
    try:
        report = build_report(school.db, school.cfg, AcademicYear.parse("2018-2019"))
    finally:
        clock.set_now(None)
    annual = report.item("6.2")
    assert annual.updated_in_year and annual.provisional
    assert annual.status != "missing" and annual.status_label == "正常（待确认）"
    assert [p.date for p in annual.published] == ["2018-10-20"]
    assert report.item("2.1").status_label == "正常（待确认）" and report.item("2.1").updated_in_year
    assert report.item("1").status_label == "缺失" and not report.item("1").provisional
    assert sorted(report.summary.provisional) == ["2.1", "2.2", "6.1", "6.2"]
    note = "等4项的对应栏目由监测系统找到、尚待信息公开办公室确认，其更新情况依据待确认的候选栏目暂定"
    assert any(note in p for sec in report.sections for p in sec.paragraphs)

    out = write_outputs(report, school.db, tmp_path / "out", ["docx", "xlsx", "html", "md"])
    html = out["html"].read_text(encoding="utf-8")
    row = html.split('id="item-6.2"')[1].split("</tr>")[0]
    assert 'data-provisional="yes"' in row and "正常（待确认）" in row and REPORT_COL in row
    assert 'data-provisional' not in html.split('id="item-7"')[1].split("</tr>")[0]
    md_row = next(line for line in out["md"].read_text(encoding="utf-8").splitlines() if line.startswith("| 6.2 |"))
    assert "正常（待确认）" in md_row
    sheet = {r[0]: r for r in load_workbook(out["xlsx"])["逐项说明"].iter_rows(min_row=2, values_only=True)}
    assert sheet["6.2"][11] == "正常（待确认）" and sheet["6.2"][9] == "是"
    assert sheet["1"][11] == "缺失"
    doc = Document(str(out["docx"]))
    items = next(t for t in doc.tables if t.rows[0].cells[0].text == "序号" and len(t.columns) == 8)
    docx_row = next(r for r in items.rows if r.cells[0].text == "6.2")
    assert docx_row.cells[6].text.startswith("正常（待确认）")
    assert note in "\n".join(p.text for p in doc.paragraphs)


# ---------------------------------------------------------------- the dashboard

PASSWORDS = {"office": "office-password", "fgc": "fgc-user-password"}


@pytest.fixture
def client_for(school):
    clock.set_now("2019-10-15")
    auth.add_user(school.db, "office", PASSWORDS["office"], "office")
    auth.add_user(school.db, "fgc", PASSWORDS["fgc"], "unit", "fgc")
    store_assessments(school.db, assess_all(school.db, school.cfg, D(2019, 10, 15)), D(2019, 10, 15), school.scan)
    app = create_app(school.cfg)

    def login(name: str) -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        nonce = re.search(r'name="nonce" value="([^"]+)"', client.get("/login").text).group(1)
        resp = client.post("/login", data={"username": name, "password": PASSWORDS[name], "nonce": nonce,
                                           "next": "/"}, follow_redirects=False)
        assert resp.status_code == 303, resp.text
        return client

    yield login
    clock.set_now(None)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dashboard_shows_found_awaiting_confirmation_and_confirms_from_the_item_page(school, client_for):
    office = client_for("office")
    statuses = school.status(D(2019, 10, 15))
    # summary counts: these items are not 缺失; a link lists them
    api = office.get("/api/overview").json()
    assert api["totals"]["counts"]["missing"] == sum(s.status == "missing" for s in statuses.values())
    assert api["totals"]["provisional"] == 4
    overview = office.get("/").text
    assert "其中 4 项已找到·待确认" in _text(overview)
    assert 'href="/items?provisional=1&as_of=2019-10-15"' in overview
    missing = re.search(r'data-status="missing"><b>(\d+)</b>', overview).group(1)
    assert int(missing) == sum(s.status == "missing" for s in statuses.values())

    # the filter lists exactly the items awaiting confirmation, marked beside their status
    table = office.get("/api/tables/items?provisional=1").json()
    assert sorted(r["item_id"] for r in table["rows"]) == ["2.1", "2.2", "6.1", "6.2"]
    assert {r["confirmation"] for r in table["rows"]} == {"已找到·待确认"}
    assert {r["status"] for r in table["rows"]} == {"ok", "blank", "due_soon"}
    listing = office.get("/items?provisional=1").text
    assert listing.count("已找到·待确认") >= 4 and "/items/6.2" in listing and "/items/7" not in listing
    full = {r["item_id"]: r for r in office.get("/api/tables/items").json()["rows"]}
    assert full["7"]["confirmation"] == "" and full["1"]["status"] == "missing"
    assert "待确认的候选" not in full["1"]["reason"]
    assert "/items?provisional=1" in office.get("/review").text

    # the item page: status with the mark, the candidates with their dates and the confirm/reject actions
    page = office.get("/items/6.2").text
    status_box = page.split('id="item-status"')[1].split("</dd>")[0]
    assert "即将到期" in status_box and "已找到·待确认" in status_box
    candidates = page.split('id="candidates"')[1].split("</section>")[0]
    assert "年度报告" in candidates and "2018-10-20" in candidates and REPORT_COL in candidates
    match_id = school.db.execute("SELECT id FROM matches WHERE item_id = '6.2' AND url = ?",
                                 (REPORT_COL,)).fetchone()[0]
    assert f'action="/matches/{match_id}/confirm"' in candidates
    assert f'action="/matches/{match_id}/reject"' in candidates
    rules_page = office.get("/items/2.2").text.split('id="candidates"')[1].split("</section>")[0]
    assert "规章制度" in rules_page and "无日期" in rules_page and "2019-06-20" in rules_page

    # the unit sees the mark, is not told its item is missing, and cannot decide
    unit = client_for("fgc")
    unit_page = unit.get("/items/6.2").text
    assert "已找到·待确认" in unit_page and "待信息公开办公室确认" in unit_page
    assert "/matches/" not in unit_page.split('id="candidates"')[1].split("</section>")[0]

    # confirming from the item page ends the provisional judgement
    csrf = office.get("/api/me").json()["csrf_token"]
    resp = office.post(f"/matches/{match_id}/confirm", data={"csrf_token": csrf}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/items/6.2?notice=confirmed"
    after = office.get("/items/6.2").text
    assert 'id="candidates"' not in after
    assert "已找到·待确认" not in after.split('id="item-status"')[1].split("</dd>")[0]
    assert office.get("/api/overview").json()["totals"]["provisional"] == 3


# ---------------------------------------------------------------- the dashboard in headless Chromium

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_the_office_finds_and_confirms_awaiting_items_in_the_browser(school, client_for):
    import time

    import uvicorn
    from playwright.sync_api import sync_playwright

    client_for("office")   # users, stored assessments, the clock
    server = uvicorn.Server(uvicorn.Config(create_app(school.cfg), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
            page = browser.new_page(locale="zh-CN", viewport={"width": 1360, "height": 900})
            page.goto(base + "/")
            page.fill("input[name=username]", "office")
            page.fill("input[name=password]", PASSWORDS["office"])
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            assert "其中 4 项已找到·待确认" in page.inner_text("#provisional-count")
            page.click("#provisional-count a")
            page.wait_for_url(re.compile(r".*/items\?provisional=1.*"))
            rows_ = page.locator('table[data-table="items"] tbody tr')
            assert sorted(t.strip() for t in rows_.locator("td:first-child").all_inner_texts()) == \
                ["2.1", "2.2", "6.1", "6.2"]
            assert all("已找到·待确认" in t for t in rows_.all_inner_texts())
            # the link set the filter form's own select (匹配确认)
            assert page.locator("select[name=provisional]").input_value() == "1"
            page.click('table[data-table="items"] a[href="/items/6.2"] >> nth=0')
            page.wait_for_url(base + "/items/6.2")
            assert page.inner_text("#item-status").startswith("即将到期")
            assert "已找到·待确认" in page.inner_text("#item-status")
            cand = page.locator("#candidates tr.candidate")
            assert cand.count() == 1 and "2018-10-20" in cand.inner_text() and "年度报告" in cand.inner_text()
            cand.locator("button:has-text('确认')").click()
            page.wait_for_url(re.compile(r".*/items/6\.2\?notice=confirmed"))
            assert "已确认该匹配" in page.inner_text(".notice")
            assert page.locator("#candidates").count() == 0
            assert "已找到·待确认" not in page.inner_text("#item-status")
            assert not page.inner_text("#item-reason").startswith("依据待确认")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
