"""The provincial overview (issue 16): school stores published into the fleet's summary store, and the overview
over HTTP (Starlette TestClient = httpx) — schools × categories, ranking, trends, drill-down, CSV/XLSX, roles.

The school stores are real: the simulated university scanned by the real `xxgk scan` on four days
(``scanned_estate``), copied into a fleet folder of SQLite files as two schools; the second school is then
assessed once more, as of a later day, by the product's own assessment. `xxgk overview publish` runs as a
subprocess. One test repeats the publish on PostgreSQL (skipped when no server answers).
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import lxml.html
import openpyxl
import pytest
from fastapi.testclient import TestClient

from monitor import store
from monitor.assess import assess_all, store_assessments
from monitor.core.vocab import STATUS
from monitor.overview import accounts
from monitor.overview import queries as q
from monitor.overview import routes as overview_routes
from monitor.overview.app import create_app
from monitor.overview.summary import load_school_config, open_summary, publish_school
from monitor.overview.web import Settings
from tests.conftest import PG_URL, ROOT, postgres_admin, run_xxgk
from tests.test_dashboard import _nonce
from tests.test_dashboard import login as dashboard_login

pytestmark = pytest.mark.xdist_group("estate")

HOSTILE = "<script>alert(1)</script>中南示范大学"
HOSTILE_UNIT = "招生<img src=x onerror=alert(1)>办公室"
DASHBOARD = "https://xxgk.hnu.example.edu.cn/dash"
LATER = date(2020, 3, 2)          # csu is assessed once more on this day
KEYS = ("hnu", "csu", "fresh")
PASSWORDS = {"prov": "province-pass-1", "csu_office": "csu-office-pass", "hnu_office": "hnu-office-pass"}


def _copy_db(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def _school_yaml(text: str, *, name: str | None = None, extra: str = "") -> str:
    lines = [line for line in text.splitlines() if not line.startswith("database:")]
    out = "\n".join(lines) + "\n" + extra
    if name is not None:
        out = out.replace("school: 示例大学", f"school: '{name}'", 1).replace("name: 招生办公室", f"name: '{HOSTILE_UNIT}'")
    return out


@pytest.fixture(scope="module")
def fleet(scanned_estate, tmp_path_factory):
    """fleet.yaml with three schools over a folder of SQLite files: hnu and csu have stores, fresh has none."""
    work = tmp_path_factory.mktemp("overview-fleet")
    (work / "schools").mkdir()
    data = work / "data"
    data.mkdir()
    text = scanned_estate.config_path.read_text(encoding="utf-8")
    (work / "schools" / "hnu.yaml").write_text(
        _school_yaml(text, extra=f"notifications:\n  dashboard_url: {DASHBOARD}\n"), encoding="utf-8")
    (work / "schools" / "csu.yaml").write_text(_school_yaml(text, name=HOSTILE), encoding="utf-8")
    (work / "schools" / "fresh.yaml").write_text(_school_yaml(text, name="新建学院"), encoding="utf-8")
    (work / "fleet.yaml").write_text("name: 测试省教育厅\ndatabase: data\nschools:\n"
                                     + "".join(f"  - schools/{k}.yaml\n" for k in KEYS), encoding="utf-8")
    _copy_db(scanned_estate.db_path, data / "school_hnu.db")
    _copy_db(scanned_estate.db_path, data / "school_csu.db")
    # The product's assessment on csu's scanned store, as of a later day (a fifth month, other statuses).
    cfg = load_school_config(str(data), "csu", work / "schools" / "csu.yaml")
    db = store.open_db(cfg.database_target)
    store_assessments(db, assess_all(db, cfg, LATER), LATER, None)
    db.close()
    proc = run_xxgk("overview", "publish", str(work / "fleet.yaml"))
    return {"dir": work, "data": data, "fleet": work / "fleet.yaml", "output": proc.stdout}


def school_rows(fleet, key: str, as_of: str) -> list[dict]:
    """The school's own stored assessment of a day, with each item's category from its catalog."""
    cfg = load_school_config(str(fleet["data"]), key, fleet["dir"] / "schools" / f"{key}.yaml")
    db = store.open_db(cfg.database_target)
    found = store.rows(db, "SELECT item_id, status, last_changed, due FROM assessments WHERE as_of = ?", (as_of,))
    db.close()
    cats = {it.id: it.category for it in cfg.catalog_obj.items}
    return [dict(r, category=cats[r["item_id"]]) for r in found]


def newest_day(fleet, key: str) -> str:
    return max(r[0] for r in sqlite3.connect(fleet["data"] / f"school_{key}.db").execute(
        "SELECT DISTINCT as_of FROM assessments"))


def on_time(rows: list[dict]) -> float:
    return sum(r["status"] in ("ok", "due_soon") for r in rows) / len(rows)


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


@pytest.fixture(scope="module")
def app(fleet):
    db = open_summary(str(fleet["data"]))
    accounts.add_user(db, "prov", PASSWORDS["prov"], "province")
    accounts.add_user(db, "csu_office", PASSWORDS["csu_office"], "school", "csu")
    accounts.add_user(db, "hnu_office", PASSWORDS["hnu_office"], "school", "hnu")
    db.close()
    application = create_app(Settings(str(fleet["data"]), "测试省教育厅 · 信息公开监测总览", KEYS))
    yield application
    application.state.connections.close()


def login(app, username: str, password: str | None = None) -> TestClient:
    """A client logged in through the log-in form (the school dashboard's helper: the same form)."""
    return dashboard_login(app, username, password or PASSWORDS[username])


def tree(resp) -> lxml.html.HtmlElement:
    assert resp.status_code == 200, resp.text[:500]
    return lxml.html.fromstring(resp.text)


# ---------------------------------------------------------------- publishing

def test_publish_brings_every_assessed_school_with_one_snapshot_per_month(fleet) -> None:
    out = fleet["output"]
    assert "已发布 hnu（示例大学）：评估日期 2020-01-10" in out
    assert f"已发布 csu（{HOSTILE}）：评估日期 {LATER.isoformat()}" in out
    assert "跳过 fresh（新建学院）：还没有评估结果" in out
    assert "共发布 2 所学校" in out
    db = sqlite3.connect(fleet["data"] / "fleet.db")
    months = {k: [m for (m,) in db.execute("SELECT month FROM snapshots WHERE school = ? ORDER BY month", (k,))]
              for k in KEYS}
    assert months["hnu"] == ["2019-06", "2019-10", "2019-11", "2020-01"]
    assert months["csu"] == months["hnu"] + ["2020-03"]
    assert months["fresh"] == []
    current = dict(db.execute("SELECT school, current_as_of FROM schools"))
    assert current == {"hnu": "2020-01-10", "csu": LATER.isoformat()}
    assert dict(db.execute("SELECT school, dashboard_url FROM schools")) == {"hnu": DASHBOARD, "csu": None}


@pytest.mark.parametrize("key", ["hnu", "csu"])
def test_every_snapshot_is_the_school_stored_assessment_of_its_day(fleet, key) -> None:
    db = open_summary(str(fleet["data"]))
    try:
        for (day,) in db.execute("SELECT as_of FROM snapshots WHERE school = ?", (key,)).fetchall():
            mine = {r["item_id"]: (r["status"], r["last_changed"], r["due"], r["category"])
                    for r in school_rows(fleet, key, day)}
            published = {r["item_id"]: (r["status"], r["last_changed"], r["due"], r["category"])
                         for r in store.rows(db, "SELECT * FROM snapshot_items WHERE school = ? AND as_of = ?",
                                             (key, day))}
            assert published == mine, day
            counts = Counter((v[3], v[0]) for v in mine.values())
            stored = {(c, s): n for c, s, n in db.execute(
                "SELECT category, status, n FROM snapshot_counts WHERE school = ? AND as_of = ?", (key, day))}
            assert stored == dict(counts), day
    finally:
        db.close()


def test_publishing_again_replaces_the_current_month_and_keeps_the_earlier_ones(fleet, tmp_path) -> None:
    work = tmp_path / "fleet"
    shutil.copytree(fleet["dir"], work)
    data, cfg_path = work / "data", work / "schools" / "hnu.yaml"
    summary = sqlite3.connect(data / "fleet.db")
    before = summary.execute("SELECT COUNT(*) FROM snapshot_items").fetchone()[0]
    db = open_summary(str(data))
    accounts.add_user(db, "viewer2", "viewer2-password", "province")
    db.close()
    served = create_app(Settings(str(data), "副本", KEYS))
    client = login(served, "viewer2", "viewer2-password")
    as_of = "//table[@id='matrix']/tbody/tr[@data-school='hnu']/td[contains(@class, 'as-of')]"
    assert tree(client.get("/")).xpath(as_of)[0].text_content() == "2020-01-10"
    publish_school(str(data), "hnu", cfg_path)        # what the fleet job calls after a scan: idempotent
    assert summary.execute("SELECT COUNT(*) FROM snapshot_items").fetchone()[0] == before
    # A later assessment in the same month (January) replaces January's snapshot.
    cfg = load_school_config(str(data), "hnu", cfg_path)
    db = store.open_db(cfg.database_target)
    store_assessments(db, assess_all(db, cfg, date(2020, 1, 20)), date(2020, 1, 20), None)
    db.close()
    publish_school(str(data), "hnu", cfg_path)
    days = [d for (d,) in summary.execute("SELECT as_of FROM snapshots WHERE school = 'hnu' ORDER BY as_of")]
    assert days == ["2019-06-15", "2019-10-15", "2019-11-15", "2020-01-20"]
    assert summary.execute("SELECT COUNT(*) FROM snapshot_items WHERE as_of = '2020-01-10' AND school = 'hnu'"
                           ).fetchone()[0] == 0
    assert summary.execute("SELECT current_as_of FROM schools WHERE school = 'hnu'").fetchone()[0] == "2020-01-20"
    assert summary.execute("SELECT COUNT(*) FROM snapshot_items").fetchone()[0] == before
    # The running overview shows the new snapshot at once (its page cache follows the store's generation).
    assert tree(client.get("/")).xpath(as_of)[0].text_content() == "2020-01-20"
    served.state.connections.close()
    # Without a fleet database there is no summary store: nothing to write.
    assert publish_school(None, "hnu", cfg_path) is None
    assert summary.execute("SELECT COUNT(*) FROM snapshot_items").fetchone()[0] == before


def test_publish_names_an_unknown_school_and_a_fleet_without_database(fleet, tmp_path) -> None:
    proc = run_xxgk("overview", "publish", str(fleet["fleet"]), "--school", "nowhere", check=False)
    assert proc.returncode == 2 and "集群文件中没有学校 'nowhere'" in proc.stderr
    bare = tmp_path / "fleet.yaml"
    bare.write_text(f"schools:\n  - {fleet['dir'] / 'schools' / 'hnu.yaml'}\n", encoding="utf-8")
    proc = run_xxgk("overview", "publish", str(bare), check=False)
    assert proc.returncode == 2 and "集群文件没有 database:" in proc.stderr


# ---------------------------------------------------------------- the pages

def test_pages_need_login_and_wrong_passwords_are_refused(app) -> None:
    client = TestClient(app, base_url="https://testserver")
    for path in ("/", "/ranking", "/trends", "/schools/hnu", "/export/ranking.csv", "/schools/hnu/items.xlsx"):
        resp = client.get(path, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next="), path
    resp = client.post("/login", data={"username": "prov", "password": "wrong-password", "nonce": _nonce(client)})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    resp = client.post("/login", data={"username": "prov", "password": PASSWORDS["prov"], "nonce": "forged"})
    assert resp.status_code == 400


def test_login_is_throttled_after_repeated_failures(app) -> None:
    client = TestClient(app, base_url="https://testserver")
    codes = [client.post("/login", data={"username": "hnu_office", "password": f"guess-{i}",
                                          "nonce": _nonce(client)}).status_code for i in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    resp = client.post("/login", data={"username": "hnu_office", "password": PASSWORDS["hnu_office"],
                                       "nonce": _nonce(client)})
    assert resp.status_code == 429 and "后再试" in resp.text   # the right password waits out the back-off too


def test_logout_needs_the_csrf_token_and_ends_the_session(app) -> None:
    client = login(app, "prov")
    assert client.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_matrix_shows_each_school_and_category_share_on_time(app, fleet) -> None:
    client = login(app, "prov")
    resp = client.get("/")
    page = tree(resp)
    rows = page.xpath("//table[@id='matrix']/tbody/tr")
    assert [r.get("data-school") for r in rows] == ["hnu", "csu"]     # fleet order; fresh has nothing yet
    for key in ("hnu", "csu"):
        mine = school_rows(fleet, key, newest_day(fleet, key))
        by_cat: dict[str, list[dict]] = {}
        for r in mine:
            by_cat.setdefault(r["category"], []).append(r)
        row = page.xpath(f"//table[@id='matrix']/tbody/tr[@data-school='{key}']")[0]
        for cat, members in by_cat.items():
            cell = row.xpath(f"td[@data-category='{cat}']")[0]
            assert cell.text_content().strip() == pct(on_time(members)), (key, cat)
            overdue = sum(m["status"] == "overdue" for m in members)
            if overdue:
                assert f"{STATUS.label['overdue']} {pct(overdue / len(members))}" in cell.get("title")
        assert row.xpath("td[contains(@class, 'total')]")[0].text_content().strip() == pct(on_time(mine))
    # The school's name is text, never markup.
    assert "<script>alert(1)</script>" not in resp.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in resp.text
    assert page.xpath("//table[@id='matrix']//tr[@data-school='csu']/th/a")[0].text_content() == HOSTILE
    headline = page.get_element_by_id("headline").text_content()
    assert headline.startswith("2 所学校 ") and f"{2 * len(school_rows(fleet, 'hnu', '2020-01-10'))} 项" in headline


def test_ranking_orders_schools_by_share_on_time(app, fleet) -> None:
    client = login(app, "prov")
    page = tree(client.get("/ranking"))
    names = [a.text_content() for a in page.xpath("//table[@data-table='ranking']/tbody/tr/td[2]/a")]
    mine = {k: school_rows(fleet, k, newest_day(fleet, k)) for k in ("hnu", "csu")}
    shares = {k: on_time(rows) for k, rows in mine.items()}
    display = {"hnu": "示例大学", "csu": HOSTILE}

    def rank_key(k: str) -> tuple:
        share = {s: sum(r["status"] == s for r in mine[k]) / len(mine[k]) for s in ("overdue", "missing")}
        return (-shares[k], share["overdue"], share["missing"], display[k])

    expected = sorted(("hnu", "csu"), key=rank_key)
    assert names == [display[k] for k in expected]
    cells = [td.text_content().strip() for td in page.xpath("//table[@data-table='ranking']/tbody/tr/td[4]")]
    assert cells == [pct(shares[k]) for k in expected]


def test_trends_by_month(app, fleet) -> None:
    client = login(app, "prov")
    page = tree(client.get("/trends"))
    months = [td.text_content().strip() for td in page.xpath("//table[@data-table='trends']/tbody/tr/td[1]")]
    assert months == ["2020-03", "2020-01", "2019-11", "2019-10", "2019-06"]
    counts = [td.text_content().strip() for td in page.xpath("//table[@data-table='trends']/tbody/tr/td[2]")]
    assert counts == ["1", "2", "2", "2", "2"]            # only csu was assessed in March
    jan = school_rows(fleet, "hnu", "2020-01-10") + school_rows(fleet, "csu", "2020-01-10")
    row = page.xpath("//table[@data-table='trends']/tbody/tr[td[1]='2020-01']")[0]
    assert row.xpath("td[4]")[0].text_content().strip() == pct(on_time(jan))
    assert page.xpath("//svg[contains(@class, 'chart')]")


def test_drill_down_shows_the_school_items_as_its_dashboard_does(app, fleet) -> None:
    client = login(app, "prov")
    page = tree(client.get("/schools/hnu"))
    mine = {r["item_id"]: r for r in school_rows(fleet, "hnu", "2020-01-10")}
    rows = page.xpath("//table[@data-table='items']/tbody/tr")
    assert len(rows) == len(mine)
    for tr in rows:
        item_id = tr.xpath("td[1]")[0].text_content().strip()
        assert tr.xpath("td[5]")[0].text_content().strip() == STATUS.label[mine[item_id]["status"]]
        assert tr.xpath("td[1]/a")[0].get("href") == f"{DASHBOARD}/items/{item_id}"
        assert tr.xpath("td[8]")[0].text_content().strip() == (mine[item_id]["last_changed"] or "")
    assert page.get_element_by_id("school-dashboard").get("href") == DASHBOARD + "/"
    # Filters and an earlier monthly snapshot.
    overdue = tree(client.get("/schools/hnu?status=overdue"))
    statuses = {td.text_content().strip() for td in overdue.xpath("//table[@data-table='items']/tbody/tr/td[5]")}
    assert statuses <= {STATUS.label["overdue"]}
    june = tree(client.get("/schools/hnu?as_of=2019-06-15"))
    assert len(june.xpath("//table[@data-table='items']/tbody/tr")) == len(school_rows(fleet, "hnu", "2019-06-15"))
    assert client.get("/schools/hnu?as_of=2018-01-01").status_code == 400
    assert client.get("/schools/hnu?status=bogus").status_code == 400
    assert client.get("/schools/fresh").status_code == 404
    assert client.get("/schools/nowhere").status_code == 404
    # A school without a dashboard_url: no links out; its hostile unit name is text.
    csu = client.get("/schools/csu")
    assert not tree(csu).xpath("//table[@data-table='items']//a[starts-with(@href, 'http')]")
    assert "<img src=x" not in csu.text and "招生&lt;img src=x onerror=alert(1)&gt;办公室" in csu.text


def test_a_school_account_sees_only_its_own_school(app, fleet) -> None:
    client = login(app, "csu_office")
    page = tree(client.get("/"))
    assert [r.get("data-school") for r in page.xpath("//table[@id='matrix']/tbody/tr")] == ["csu"]
    assert "示例大学" not in client.get("/").text
    assert "排名" not in page.xpath("//header/nav")[0].text_content()
    assert client.get("/schools/csu").status_code == 200
    for path in ("/schools/hnu", "/schools/hnu?as_of=2019-06-15", "/schools/hnu/items.csv", "/schools/hnu/items.xlsx",
                 "/ranking", "/export/ranking.csv", "/export/ranking.xlsx"):
        assert client.get(path).status_code == 403, path
    trends = tree(client.get("/trends"))
    names = [a.text_content() for a in trends.xpath("//table[@data-table='school_trends']/tbody/tr/td[1]/a")]
    assert names == [HOSTILE]
    for name in ("matrix", "trends", "school_trends"):
        body = client.get(f"/export/{name}.csv").content.decode("utf-8-sig")
        assert "示例大学" not in body, name
    rows = list(csv.reader(io.StringIO(client.get("/export/matrix.csv").content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == HOSTILE


def test_every_route_naming_a_school_refuses_another_school(app) -> None:
    # A walk over the app's routes, so a route added later cannot forget the check.
    client = login(app, "csu_office")
    naming = [r.path for r in overview_routes.router.routes
              if "{key}" in getattr(r, "path", "") and "GET" in getattr(r, "methods", ())]
    assert len(naming) >= 2
    for path in naming:
        url = path.replace("{key}", "hnu").replace("{fmt}", "csv")
        assert client.get(url).status_code == 403, url
        assert client.get(url.replace("hnu", "csu")).status_code == 200, url


def test_exports_are_the_tables_in_csv_and_xlsx(app, fleet) -> None:
    client = login(app, "prov")
    resp = client.get("/export/ranking.csv")
    assert resp.headers["content-type"].startswith("text/csv") and "attachment" in resp.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["排名", "学校", "事项数", "按时率(%)"]
    assert {r[1] for r in rows[1:]} == {"示例大学", HOSTILE}
    shares = {("示例大学" if k == "hnu" else HOSTILE): on_time(school_rows(fleet, k, newest_day(fleet, k)))
              for k in ("hnu", "csu")}
    for r in rows[1:]:
        assert float(r[3]) == round(shares[r[1]] * 100, 1)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/export/ranking.xlsx").content))
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert sheet[0][:4] == ["排名", "学校", "事项数", "按时率(%)"] and len(sheet) == 3
    matrix = list(csv.reader(io.StringIO(client.get("/export/matrix.csv").content.decode("utf-8-sig"))))
    assert matrix[0][0] == "学校" and matrix[0][2].startswith("1. ") and len(matrix) == 3
    items = openpyxl.load_workbook(io.BytesIO(client.get("/schools/hnu/items.xlsx").content)).active
    values = [list(r) for r in items.iter_rows(values_only=True)]
    mine = school_rows(fleet, "hnu", "2020-01-10")
    assert values[0][:5] == ["编号", "事项", "类别", "责任单位", "状态"] and len(values) == len(mine) + 1
    assert Counter(v[4] for v in values[1:]) == Counter(STATUS.label[r["status"]] for r in mine)
    overdue = list(csv.reader(io.StringIO(client.get("/schools/hnu/items.csv?status=overdue")
                                          .content.decode("utf-8-sig"))))
    assert len(overdue) - 1 == sum(r["status"] == "overdue" for r in mine)
    assert client.get("/export/nothing.csv").status_code == 404
    assert client.get("/export/ranking.pdf").status_code == 404


def test_user_commands(fleet, tmp_path) -> None:
    work = tmp_path / "fleet"
    shutil.copytree(fleet["dir"], work)
    path = str(work / "fleet.yaml")
    proc = run_xxgk("overview", "user", "add", "x1", "--role", "school", "--generate", "--fleet", path, check=False)
    assert proc.returncode == 2 and "必须用 --school" in proc.stderr
    proc = run_xxgk("overview", "user", "add", "x1", "--role", "school", "--school", "zzz", "--generate",
                    "--fleet", path, check=False)
    assert proc.returncode == 2 and "集群文件中没有学校 'zzz'" in proc.stderr
    proc = run_xxgk("overview", "user", "add", "x1", "--role", "school", "--school", "hnu", "--generate",
                    "--fleet", path)
    assert "已创建总览账号 x1" in proc.stdout and "密码：" in proc.stdout
    listed = run_xxgk("overview", "user", "list", "--fleet", path).stdout
    assert "x1\t学校\thnu" in listed
    run_xxgk("overview", "user", "remove", "x1", "--fleet", path)
    assert "x1" not in run_xxgk("overview", "user", "list", "--fleet", path).stdout


def test_serve_runs_the_overview_as_a_real_server(fleet) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, XXGK_PROGRESS="0")
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "overview", "serve", str(fleet["fleet"]),
                             "--port", str(port)], cwd=str(ROOT), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert json.loads(resp.read()) == {"status": "ok"}
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as resp:
            page = resp.read().decode("utf-8")
        assert "测试省教育厅 · 信息公开监测总览" in page and "default-src 'self'" in resp.headers["Content-Security-Policy"]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert f"总览地址：http://127.0.0.1:{port}/" in out


# ---------------------------------------------------------------- PostgreSQL

@pytest.mark.xdist_group("postgres")
def test_the_summary_store_on_postgresql_gives_the_same_overview(fleet, app) -> None:
    admin = postgres_admin()
    name = f"xxgk_overview_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0] + "/" + name
    pg_app = None
    try:
        # The schools keep their SQLite stores (their own database: wins); the summary goes to schema fleet.
        for key in ("hnu", "csu"):
            cfg_path = fleet["dir"] / "schools" / f"{key}.yaml"
            own = cfg_path.with_name(f"{key}-own.yaml")
            own.write_text(cfg_path.read_text(encoding="utf-8")
                           + f"database: {fleet['data'] / f'school_{key}.db'}\n", encoding="utf-8")
            publish_school(base, key, own)
            publish_school(base, key, own)             # idempotent on PostgreSQL too
        pg = open_summary(base)
        lite = open_summary(str(fleet["data"]))
        try:
            assert pg.schema == "fleet"
            for query in ("SELECT school, as_of, item_id, status, category FROM snapshot_items ORDER BY 1, 2, 3",
                          "SELECT school, as_of, category, status, n FROM snapshot_counts ORDER BY 1, 2, 3, 4",
                          "SELECT school, month, items FROM snapshots ORDER BY 1, 2"):
                assert [tuple(r) for r in pg.execute(query).fetchall()] == \
                       [tuple(r) for r in lite.execute(query).fetchall()], query
            keys = ["hnu", "csu"]
            assert q.ranking(pg, keys).rows == q.ranking(lite, keys).rows
            t_pg, t_lite = q.trends(pg, keys), q.trends(lite, keys)
            assert (t_pg.months, t_pg.on_time) == (t_lite.months, t_lite.on_time)
            accounts.add_user(pg, "prov", PASSWORDS["prov"], "province")
        finally:
            pg.close()
            lite.close()
        pg_app = create_app(Settings(base, "PostgreSQL", ("hnu", "csu")))
        client = login(pg_app, "prov")
        page = tree(client.get("/"))
        assert [r.get("data-school") for r in page.xpath("//table[@id='matrix']/tbody/tr")] == ["hnu", "csu"]
        assert client.get("/schools/csu/items.csv").status_code == 200
        bad = TestClient(pg_app, base_url="https://testserver")
        assert bad.post("/login", data={"username": "prov", "password": "nope-nope",
                                        "nonce": _nonce(bad)}).status_code == 401
    finally:
        if pg_app is not None:
            pg_app.state.connections.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
