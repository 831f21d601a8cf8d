"""Dashboard over HTTP (Starlette TestClient = httpx): log-in, CSRF, rate limits, roles, numbers that
match the assessment, exports, JSON API, search, safe snapshots and diffs, match decisions."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml
from fastapi.testclient import TestClient

from monitor import auth, store
from monitor.config import load_config
from monitor.core import clock
from monitor.dashboard.app import create_app
from monitor.testbed.dashboard_bench import build_estate

AS_OF = date(2019, 10, 15)
# One worker builds the module's estate once (make test runs with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("dashboard_http")
PASSWORDS = {"admin": "admin-password", "office": "office-password", "unit1": "unit1-password",
             "viewer": "viewer-password"}
SECRET = "SMTPSECRET-9f3a"


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    work = tmp_path_factory.mktemp("dash")
    cfg_path = build_estate(work, pages=1500, units=6, days=20, as_of=AS_OF)
    # A notification URL with a password: it must never be rendered anywhere.
    data = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    data["units"][0]["contacts"] = [{"name": "王老师", "notify": f"mailto://wang:{SECRET}@smtp.example.edu.cn"}]
    data["office"] = {"name": "校长办公室", "contacts": [{"name": "李主任", "notify": "json://localhost/xxgk"}]}
    cfg_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    clock.set_now(AS_OF.isoformat())
    cfg = load_config(cfg_path)
    db = store.open_db(cfg.database_path)
    auth.add_user(db, "admin", PASSWORDS["admin"], "admin")
    auth.add_user(db, "office", PASSWORDS["office"], "office")
    auth.add_user(db, "unit1", PASSWORDS["unit1"], "unit", "u01")
    auth.add_user(db, "viewer", PASSWORDS["viewer"], "viewer")
    yield {"cfg": cfg, "cfg_path": cfg_path, "db": db}
    clock.set_now(None)


@pytest.fixture(scope="module")
def app(estate):
    return create_app(estate["cfg"])


def _nonce(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)


def login(app, username: str, password: str | None = None) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    resp = client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                       "nonce": _nonce(client), "next": "/"}, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return client


def csrf(client: TestClient) -> str:
    return client.get("/api/me").json()["csrf_token"]


def assessed(estate, as_of: date = AS_OF):
    from monitor.assess import assess_all

    return assess_all(estate["db"], estate["cfg"], as_of)


# ------------------------------------------------------------------------------------------ log-in

def test_pages_need_login(app) -> None:
    client = TestClient(app, base_url="https://testserver")
    resp = client.get("/units?sort=score", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=%2Funits%3Fsort%3Dscore"
    api = client.get("/api/overview")
    assert api.status_code == 401 and api.json()["error"] == "请先登录"
    assert client.get("/export/items.csv", follow_redirects=False).status_code == 303
    assert "登录" in client.get("/login").text


def test_login_sets_a_secure_session_cookie(app) -> None:
    client = TestClient(app, base_url="https://testserver")
    nonce = _nonce(client)
    resp = client.post("/login", data={"username": "office", "password": PASSWORDS["office"], "nonce": nonce,
                                       "next": "/units"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/units"
    cookie = next(v for k, v in resp.headers.multi_items() if k == "set-cookie" and v.startswith("xxgk_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/api/me").json()["role"] == "office"
    # An outside "next" is not followed after log-in (no open redirect).
    other = TestClient(app, base_url="https://testserver")
    resp = other.post("/login", data={"username": "office", "password": PASSWORDS["office"],
                                      "nonce": _nonce(other), "next": "//evil.example/"}, follow_redirects=False)
    assert resp.headers["location"] == "/"


def test_wrong_password_and_forged_form(app) -> None:
    client = TestClient(app, base_url="https://testserver")
    resp = client.post("/login", data={"username": "viewer", "password": "nope-nope", "nonce": _nonce(client)})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    fresh = TestClient(app, base_url="https://testserver")  # no log-in form cookie: a cross-site post
    resp = fresh.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"], "nonce": "x"})
    assert resp.status_code == 400 and "表单已过期" in resp.text
    assert fresh.get("/api/me").status_code == 401


def test_login_rate_limit(app, estate) -> None:
    auth.add_user(estate["db"], "victim", "victim-password", "viewer")
    client = TestClient(app, base_url="https://testserver")
    for _ in range(auth.LOGIN_MAX_FAILURES):
        r = client.post("/login", data={"username": "victim", "password": "guess-guess", "nonce": _nonce(client)})
        assert r.status_code == 401
    r = client.post("/login", data={"username": "victim", "password": "victim-password", "nonce": _nonce(client)})
    assert r.status_code == 429 and "登录失败次数过多" in r.text
    assert client.get("/api/me").status_code == 401


def test_logout_needs_csrf_and_ends_the_session(app) -> None:
    client = login(app, "viewer")
    r = client.post("/logout", data={"csrf_token": "forged"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/me").status_code == 401


# ------------------------------------------------------------------------------------------- numbers

def _headline(html: str) -> tuple[int, int]:
    m = re.search(r'id="headline">(\d+) 项中 (\d+) 项正常<', html)
    return int(m.group(1)), int(m.group(2))


def test_overview_numbers_equal_the_assessment(app, estate) -> None:
    client = login(app, "office")
    statuses = assessed(estate)
    html = client.get("/").text
    assert _headline(html) == (len(statuses), sum(s.status == "ok" for s in statuses))
    api = client.get("/api/overview").json()
    for status in ("ok", "due_soon", "overdue", "missing", "blank", "undated", "unreachable"):
        assert api["totals"]["counts"][status] == sum(s.status == status for s in statuses), status
    for row in api["categories"]:
        assert row["total"] == sum(s.category == row["category"] for s in statuses)
        assert row["overdue"] == sum(s.category == row["category"] and s.status == "overdue" for s in statuses)
    # The as-of filter recomputes for that day.
    earlier = assessed(estate, date(2019, 3, 1))
    html = client.get("/?as_of=2019-03-01").text
    assert _headline(html) == (len(earlier), sum(s.status == "ok" for s in earlier))
    assert "2019-03-01" in html
    # Scan health and the changes between the two latest stored assessments are shown.
    assert "最近一次扫描" in html and "单站页面上限" in client.get("/").text
    assert api["changes"]["from"] == "2019-10-14" and api["changes"]["to"] == "2019-10-15"
    bad = client.get("/?as_of=2019-13-45")
    assert bad.status_code == 400 and "日期格式" in bad.text


def test_items_filter_and_item_page(app, estate) -> None:
    client = login(app, "viewer")
    statuses = assessed(estate)
    overdue = [s for s in statuses if s.status == "overdue"]
    table = client.get("/api/tables/items?status=overdue").json()
    assert sorted(r["item_id"] for r in table["rows"]) == sorted(s.id for s in overdue)
    target = next(s for s in statuses if s.evidence)
    html = client.get(f"/items/{target.id}").text
    assert target.reason in html and target.rule_text in html
    assert f'data-status="{target.status}"' in html
    assert "证据" in html and "存档" in html
    item = client.get(f"/api/items/{target.id}").json()
    assert item["status"]["status"] == target.status and item["evidence"]
    missing = client.get("/items/999")
    assert missing.status_code == 404 and "没有编号为 999 的事项" in missing.text


def test_units_table_sorts_and_scores(app, estate) -> None:
    client = login(app, "office")
    rows = client.get("/api/tables/units?sort=score&dir=desc").json()["rows"]
    scores = [r["score"] for r in rows if r["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    assert sum(r["items"] for r in rows) == len(assessed(estate))
    html = client.get("/units?sort=overdue_days&dir=desc").text
    assert "逾期总天数 ▼" in html
    unit_page = client.get("/units/u01").text
    own = [s for s in assessed(estate) if s.unit == "u01"]
    assert re.search(rf'id="unit-summary">{len(own)} 项中 {sum(s.status == "ok" for s in own)} 项正常', unit_page)


# --------------------------------------------------------------------------------------------- roles

def test_unit_user_sees_only_own_unit(app, estate) -> None:
    client = login(app, "unit1")
    own = [s for s in assessed(estate) if s.unit == "u01"]
    other = next(s for s in assessed(estate) if s.unit != "u01")
    assert _headline(client.get("/").text)[0] == len(own)
    assert {r["item_id"] for r in client.get("/api/tables/items").json()["rows"]} == {s.id for s in own}
    refused = client.get(f"/items/{other.id}")
    assert refused.status_code == 403 and "不属于您的单位" in refused.text
    assert client.get(f"/api/items/{other.id}").status_code == 403
    assert client.get(f"/export/evidence.csv?item={other.id}").status_code == 403
    for path in ("/review", "/scans", "/units/u02", "/?unit=u02"):
        r = client.get(path)
        assert r.status_code == 403 and "没有权限" in r.text, path
    assert client.get(f"/items/{own[0].id}").status_code == 200


@pytest.fixture()
def unit_scan(estate):
    """A latest scan whose per-site counters and limits name three sites (u01, u02, the disclosure site)."""
    import json

    db = estate["db"]
    sites = {"http://u01.example.edu.cn/": {"pages": 111, "not_modified": 22, "errors": 3},
             "http://u02.example.edu.cn/": {"pages": 777, "not_modified": 88, "errors": 55},
             "http://xxgk.example.edu.cn/": {"pages": 999, "errors": 66}}
    limits = [{"limit": "max_pages_per_site", "site": "http://u02.example.edu.cn/", "value": 5000, "count": 1},
              {"limit": "trap", "site": "http://u01.example.edu.cn/", "value": "/calendar/", "count": 2},
              {"limit": "counter_urls", "site": "", "value": 9, "count": 9}]
    # 'interrupted', not 'done': the item statuses of the other tests stay as they are.
    sid = db.execute(
        "INSERT INTO scans (started_at, finished_at, status, trigger, pages_fetched, pages_new, pages_changed,"
        " not_modified, errors, limits_hit, sites, message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (f"{AS_OF}T04:00:00+08:00", f"{AS_OF}T04:30:00+08:00", "interrupted", "cli", 1887, 41, 42, 110, 124,
         json.dumps(limits), json.dumps(sites), "抓取中断；7 个页面保存失败")).lastrowid
    yield sid
    db.execute("DELETE FROM scans WHERE id = ?", (sid,))


def test_unit_user_sees_only_own_sites_scan_figures(app, estate, unit_scan) -> None:
    other = estate["cfg"].unit_name("u02")
    client = login(app, "unit1")
    box = client.get("/").text.split('id="scan-health"')[1].split("</dl>")[0]
    assert "133" in box and "（未变 22）" in box and ">3<" in box           # u01: 111 + 22 pages, 3 errors
    assert "疑似爬虫陷阱" in box and "/calendar/" in box
    for school_wide in ("1997", "124", "单站页面上限", other, "计数器", "保存失败", 'href="/scans"'):
        assert school_wide not in box, school_wide
    scan = client.get("/api/overview").json()["scan"]["scan"]
    assert scan["id"] == unit_scan and (scan["pages"], scan["errors"], scan["not_modified"]) == (133, 3, 22)
    assert scan["pages_new"] is None and scan["message"] == "" and len(scan["limits"]) == 1
    assert other not in str(client.get("/api/overview").json()["scan"])
    health = client.get("/health").text.split("<main>")[1].split('<section id=')[0]
    assert "本单位网站页面 133，错误 3" in health
    for school_wide in ("1997", "124", "单站页面上限", other, "计数器"):
        assert school_wide not in health, school_wide
    for path in ("/scans", "/api/tables/scans", "/export/scans.csv"):
        assert client.get(path).status_code == 403, path
    # The office still sees the whole school.
    office = login(app, "office")
    assert office.get("/api/overview").json()["scan"]["scan"]["pages"] == 1997
    box = office.get("/").text.split('id="scan-health"')[1].split("</dl>")[0]
    assert "1997" in box and "单站页面上限" in box and other in box


def test_roles_for_decisions_and_scans(app, estate) -> None:
    db = estate["db"]
    match_id = db.execute("SELECT id FROM matches WHERE state = 'review' ORDER BY id LIMIT 1").fetchone()[0]
    for user in ("viewer", "unit1"):
        client = login(app, user)
        r = client.post(f"/matches/{match_id}/confirm", data={"csrf_token": csrf(client)})
        assert r.status_code == 403 and "只有管理员和信息公开办公室" in r.text
        r = client.post("/scans/run", data={"csrf_token": csrf(client)})
        assert r.status_code == 403
    office = login(app, "office")
    assert office.post("/scans/run", data={"csrf_token": csrf(office)}).status_code == 403
    assert db.execute("SELECT state FROM matches WHERE id = ?", (match_id,)).fetchone()[0] == "review"


def test_confirm_and_reject_persist(app, estate) -> None:
    db = estate["db"]
    first, second = [r[0] for r in db.execute("SELECT id FROM matches WHERE state = 'review' ORDER BY id LIMIT 2")]
    client = login(app, "office")
    r = client.post(f"/matches/{first}/confirm", data={"csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post(f"/matches/{first}/confirm", data={"csrf_token": csrf(client), "back": "/review"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review?notice=confirmed"
    item_id, url = db.execute("SELECT item_id, url FROM matches WHERE id = ?", (first,)).fetchone()
    assert db.execute("SELECT state FROM matches WHERE id = ?", (first,)).fetchone()[0] == "confirmed"
    assert db.execute("SELECT decision, decided_by FROM match_decisions WHERE item_id = ? AND url = ?",
                      (item_id, url)).fetchone() == ("confirm", "office")
    assert "已确认" in client.get(f"/items/{item_id}").text
    client.post(f"/matches/{second}/reject", data={"csrf_token": csrf(client)})
    assert db.execute("SELECT state FROM matches WHERE id = ?", (second,)).fetchone()[0] == "rejected"
    # Assigning a column by hand from the unmapped list.
    col = db.execute("SELECT url FROM pages p WHERE kind = 'list' AND NOT EXISTS "
                     "(SELECT 1 FROM matches m WHERE m.page_id = p.id) LIMIT 1").fetchone()[0]
    assert col in {r["url"] for r in client.get("/api/tables/unmapped").json()["rows"]}
    r = client.post("/columns/assign", data={"csrf_token": csrf(client), "url": col, "item_id": "35"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert db.execute("SELECT state, method FROM matches WHERE item_id = '35' AND url = ?", (col,)).fetchone() == \
        ("confirmed", "manual")
    r = client.post("/items/35/assign", data={"csrf_token": csrf(client), "url": "ftp://nowhere"})
    assert r.status_code == 400 and "http://" in r.text


def test_unit_acknowledges_own_item(app, estate) -> None:
    own = next(s for s in assessed(estate) if s.unit == "u01")
    client = login(app, "unit1")
    r = client.post(f"/items/{own.id}/ack", data={"csrf_token": csrf(client), "note": "下周发布"},
                    follow_redirects=False)
    assert r.status_code == 303
    html = client.get(f"/items/{own.id}").text
    assert "unit1 已知悉" in html and "下周发布" in html
    viewer = login(app, "viewer")
    assert viewer.post(f"/items/{own.id}/ack", data={"csrf_token": csrf(viewer)}).status_code == 403


# ------------------------------------------------------------------------------ exports, API, search

def test_exports_match_the_table(app, estate) -> None:
    client = login(app, "office")
    rows = client.get("/api/tables/items").json()["rows"]
    resp = client.get("/export/items.csv")
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    assert resp.content.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert parsed[0][:3] == ["编号", "事项", "类别"] and len(parsed) - 1 == len(rows)
    statuses = {r[0]: r[4] for r in parsed[1:]}
    assert set(statuses.values()) <= {"正常", "即将到期", "逾期", "缺失", "空白栏目", "无日期", "无法访问", ""}
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/export/items.xlsx").content))
    assert wb.active.max_row - 1 == len(rows)
    for name in ("units", "heatmap", "changes", "upcoming", "review", "unmapped", "unreachable", "errors",
                 "undated", "blank", "scans", "sites", "deadlinks", "findings", "notifications"):
        r = client.get(f"/export/{name}.csv")
        assert r.status_code == 200, name
        assert client.get(f"/api/tables/{name}").status_code == 200, name
    assert client.get("/export/nope.csv").status_code == 404


def test_search_two_character_words(app, estate) -> None:
    client = login(app, "viewer")
    db = estate["db"]
    for word in ("招生", "决算"):
        expected = db.execute("SELECT COUNT(*) FROM pages WHERE title LIKE ? OR column_name LIKE ?",
                              (f"%{word}%", f"%{word}%")).fetchone()[0]
        assert expected > 0
        got = client.get(f"/api/tables/search?q={word}").json()
        assert got["total"] == expected and all(word in r["title"] for r in got["rows"])
        html = client.get(f"/search?q={word}").text
        assert f"共 {expected} 条" in html
    assert client.get("/api/tables/search?q=招生章程").json()["total"] == db.execute(
        "SELECT COUNT(*) FROM pages WHERE title LIKE '%招生章程%' OR column_name LIKE '%招生章程%'").fetchone()[0]
    # Item titles are searched too.
    assert "招生章程" in client.get("/search?q=招生").text


def test_api_docs_are_offline(app) -> None:
    client = login(app, "viewer")
    spec = client.get("/api/openapi.json").json()
    assert "/api/overview" in spec["paths"] and "/api/items/{item_id}" in spec["paths"]
    docs = client.get("/api/docs").text
    assert "/api/tables/{name}" in docs
    assert not re.search(r'(src|href)="https?://', docs)


def test_api_document_needs_login(app) -> None:
    anonymous = TestClient(app, base_url="https://testserver")
    r = anonymous.get("/api/openapi.json")
    assert r.status_code == 401 and r.json() == {"error": "请先登录"} and "paths" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    r = anonymous.get("/api/docs", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def _has_security_headers(r) -> bool:
    return ("script-src 'self'" in r.headers.get("content-security-policy", "")
            and r.headers.get("x-content-type-options") == "nosniff"
            and r.headers.get("x-frame-options") == "SAMEORIGIN" and "no-store" in r.headers.get("cache-control", ""))


HUGE = "99999999999999999999"   # past SQLite's 64-bit integers


def test_huge_numbers_in_urls_are_not_found_with_the_usual_headers(app) -> None:
    client = login(app, "admin")
    for path in (f"/versions/{HUGE}", f"/versions/{HUGE}/raw", f"/versions/{HUGE}/source", f"/versions/{HUGE}/text",
                 f"/versions/1/diff/{HUGE}", f"/versions/{HUGE}/diff/1", f"/notifications/{HUGE}",
                 f"/versions/{2 ** 63}", "/versions/-1"):
        r = client.get(path)
        assert r.status_code == 404 and "找不到" in r.text and _has_security_headers(r), (path, r.status_code)
    r = client.post(f"/matches/{HUGE}/confirm", data={"csrf_token": csrf(client)})
    assert r.status_code == 404 and _has_security_headers(r)
    r = client.get(f"/api/items/{HUGE}")
    assert r.status_code == 404 and r.json()["error"] and _has_security_headers(r)
    for path in (f"/units?page={HUGE}", f"/health?unreachable_page={HUGE}", f"/scans?page={HUGE}",
                 f"/api/tables/unreachable?page={HUGE}", f"/api/tables/scans?page={HUGE}",
                 f"/export/unreachable.csv?page={HUGE}"):
        r = client.get(path)
        assert r.status_code == 200 and _has_security_headers(r), (path, r.status_code)


def test_an_unexpected_error_is_a_chinese_500_with_the_usual_headers(app, monkeypatch) -> None:
    from monitor.dashboard import registry

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setitem(registry.TABLES, "units", broken)
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    client.cookies = login(app, "viewer").cookies
    page = client.get("/units")
    assert page.status_code == 500 and "服务器内部错误" in page.text and _has_security_headers(page)
    assert "simulated bug" not in page.text and "Traceback" not in page.text
    api = client.get("/api/tables/units")
    assert api.status_code == 500 and "服务器内部错误" in api.json()["error"] and _has_security_headers(api)


# ---------------------------------------------------------------------------- snapshots and diffs

def test_snapshots_never_run_scripts(app, estate) -> None:
    client = login(app, "office")
    vid = estate["db"].execute("SELECT id FROM versions WHERE content_type LIKE 'text/html%' LIMIT 1").fetchone()[0]
    page = client.get(f"/versions/{vid}").text
    assert re.search(rf'<iframe[^>]+src="/versions/{vid}/raw"[^>]+sandbox=""', page)
    raw = client.get(f"/versions/{vid}/raw")
    assert "<script>" in raw.text  # the archived body as stored …
    csp = raw.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "allow-scripts" not in csp and "default-src 'none'" in csp
    source = client.get(f"/versions/{vid}/source")
    assert source.headers["content-type"].startswith("text/plain")
    text = client.get(f"/versions/{vid}/text")
    assert text.headers["content-type"].startswith("text/plain") and "正文第" in text.text


def test_diff_between_versions(app, estate) -> None:
    client = login(app, "office")
    page_id = estate["db"].execute("SELECT page_id FROM versions GROUP BY page_id HAVING COUNT(*) > 1 LIMIT 1"
                                   ).fetchone()[0]
    old, new = [r[0] for r in estate["db"].execute("SELECT id FROM versions WHERE page_id = ? ORDER BY id",
                                                   (page_id,))]
    html = client.get(f"/versions/{old}/diff/{new}").text
    assert re.search(r'class="d-add">\+修订后的正文', html) and re.search(r'class="d-del">-', html)
    other = estate["db"].execute("SELECT id FROM versions WHERE page_id != ? LIMIT 1", (page_id,)).fetchone()[0]
    assert client.get(f"/versions/{old}/diff/{other}").status_code == 400


# ------------------------------------------------------------------------- site health: findings

def _xlsx(rows: list[list[str]], sheet: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _id_number(first17: str) -> str:
    from monitor.compliance.pii import id_check_char

    return first17 + id_check_char(first17)


ID_XXGK = _id_number("11010519900307123")
ID_UNIT = _id_number("32010220010512004")


@pytest.fixture(scope="module")
def findings(estate):
    """Two leaks found by the real check (monitor.compliance.check_pii) after a new scan: an ID number in an
    article on the disclosure site, and one in an Excel list on unit u01's site."""
    import zlib

    from monitor.compliance import findings as compliance

    db = estate["db"]
    scan = db.execute("INSERT INTO scans (started_at, finished_at, status, trigger) VALUES (?, ?, 'done', 'test')",
                      (f"{AS_OF}T03:00:00+08:00", f"{AS_OF}T03:10:00+08:00")).lastrowid
    article = ("<html><head><meta charset='utf-8'><title>奖学金公示</title></head><body><div class='wp_articlecontent'>"
               f"<p>获奖学生：赵六，身份证号 {ID_XXGK}，请于三日内确认。</p></div></body></html>").encode()
    files = [("http://xxgk.example.edu.cn/2019/1014/c9a1/page.htm", None, "article", "text/html; charset=utf-8",
              article, f"获奖学生：赵六，身份证号 {ID_XXGK}"),
             ("http://u01.example.edu.cn/_upload/files/lq.xlsx", "u01", "attachment",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              _xlsx([["序号", "姓名", "身份证号"], ["1", "张三", ID_UNIT]], "名单"), f"1 张三 {ID_UNIT}")]
    for url, unit, kind, ctype, body, text in files:
        pid = db.execute("INSERT INTO pages (url, site, unit, kind, title, first_seen_scan, last_seen_scan,"
                         " last_fetch_scan, last_status, content_type) VALUES (?,?,?,?,?,?,?,?,200,?)",
                         (url, "/".join(url.split("/")[:3]) + "/", unit, kind, "奖学金公示",
                          scan, scan, scan, ctype)).lastrowid
        db.execute("INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, status, content_type, snapshot,"
                   " text) VALUES (?,?,?,?,200,?,?,?)", (pid, scan, f"{AS_OF}T03:05:00+08:00", "f", ctype,
                                                         zlib.compress(body), zlib.compress(text.encode())))
    compliance.check_pii(db, scan)
    found = compliance.list_findings(db, status=None)
    assert len(found) == 2
    return found


def test_health_shows_findings_in_chinese_and_masked(app, estate, findings) -> None:
    client = login(app, "admin")
    html = client.get("/health").text
    section = html.split('id="findings"')[1].split("</section>")[0]
    assert "身份证号" in section and "未处理" in section
    assert "网页正文" in section and "Excel 工作表“名单” C2 单元格" in section
    assert "所属单位" in section and "信息公开网" in section
    # Codes are for machines: never shown as such. Full numbers never leave monitor.compliance.pii.
    for raw in ("id_card", ">open<", "xlsx 名单!", ">html<"):
        assert raw not in section, raw
    for number in (ID_XXGK, ID_UNIT):
        assert number not in html
    assert re.search(r'id="health-summary".*?<b>2</b> 个人信息泄露未处理', html, re.S)
    rows = client.get("/api/tables/findings").json()["rows"]
    assert {r["kind_label"] for r in rows} == {"身份证号"} and {r["status_label"] for r in rows} == {"未处理"}
    assert all("*" in r["masked"] for r in rows)
    parsed = list(csv.reader(io.StringIO(client.get("/export/findings.csv").content.decode("utf-8-sig"))))
    assert parsed[0][:3] == ["处理状态", "类型", "内容（已脱敏）"] and len(parsed) == 3
    # Per page or file: what a unit has to take down.
    pages = client.get("/api/tables/finding_pages").json()["rows"]
    assert sorted(r["url"] for r in pages) == sorted(f["url"] for f in findings)
    assert all(r["open"] == 1 and r["kinds"] == "身份证号 1 处" for r in pages)
    assert 'id="finding_pages"' in html and "含个人信息的页面和文件" in html
    # A unit user sees its own unit's leak only.
    unit_rows = login(app, "unit1").get("/api/tables/findings").json()["rows"]
    assert [r["unit_name"] for r in unit_rows] == [estate["cfg"].unit_name("u01")]
    assert "Excel" in unit_rows[0]["location"]


def test_an_accepted_finding_reads_as_such(app, estate, findings) -> None:
    from monitor.compliance import findings as compliance

    fid = next(f["id"] for f in findings if f["unit"] == "u01")
    assert compliance.accept_finding(estate["db"], fid, by="office", note="依法公示的录取名单")
    try:
        rows = login(app, "office").get("/api/tables/findings").json()["rows"]
        assert [r["status_label"] for r in rows] == ["未处理", "已确认可公开"]  # unresolved first
        assert '<b>1</b> 个人信息泄露未处理' in login(app, "office").get("/health").text
    finally:
        compliance.reopen_finding(estate["db"], fid)


# ------------------------------------------------------------------------------- notifications log

@pytest.fixture(scope="module")
def notified(estate):
    """A real digest run (monitor.notify) whose e-mail channel fails and whose JSON hook succeeds."""
    from monitor.notify import run_notifications

    def sender(url: str, title: str, body: str) -> tuple[bool, str | None]:
        if url.startswith("mailto://"):
            return False, "SMTP 登录失败（535 认证错误）"
        return True, None

    result = run_notifications(estate["db"], estate["cfg"], as_of=AS_OF, sender=sender)
    assert result.sent and result.failed, "the run should deliver one message and fail another"
    return result


def test_notifications_page_for_office_and_admin(app, estate, notified) -> None:
    db = estate["db"]
    total = db.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
    failed = db.execute("SELECT COUNT(*) FROM notifications WHERE status IN ('failed', 'gave_up')").fetchone()[0]
    for name in ("admin", "office"):
        client = login(app, name)
        html = client.get("/notifications").text
        assert 'href="/notifications"' in html.split("<main>")[0]          # in the menu
        assert f"共 {total} 条" in html and f"发送失败 {failed} 条" in html
        # Failed deliveries stand out: their rows are marked and say why.
        bad_rows = re.findall(r'<tr class="r-bad">(.*?)</tr>', html, re.S)
        assert len(bad_rows) == failed
        assert all("发送失败" in r and "535 认证错误" in r and "王老师" in r for r in bad_rows)
        assert "已发送" in html and "办公室日报" in html and "李主任" in html
        assert "mailto://wang:****@smtp.example.edu.cn" in html and SECRET not in html
    client = login(app, "office")
    only_failed = client.get("/api/tables/notifications?result=failed").json()
    assert only_failed["total"] == failed and {r["status_label"] for r in only_failed["rows"]} <= {
        "发送失败（稍后重试）", "发送失败（已放弃）"}
    parsed = list(csv.reader(io.StringIO(client.get("/export/notifications.csv").content.decode("utf-8-sig"))))
    assert "发送结果" in parsed[0] and "错误信息" in parsed[0] and len(parsed) - 1 == total
    assert SECRET not in client.get("/export/notifications.csv").content.decode("utf-8-sig")
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/export/notifications.xlsx?result=failed").content))
    assert wb.active.max_row - 1 == failed
    # One message in full.
    nid = db.execute("SELECT id FROM notifications WHERE status = 'failed' ORDER BY id LIMIT 1").fetchone()[0]
    detail = client.get(f"/notifications/{nid}").text
    body = db.execute("SELECT body FROM notifications WHERE id = ?", (nid,)).fetchone()[0]
    assert "535 认证错误" in detail and body.splitlines()[0] in detail and SECRET not in detail
    assert client.get("/notifications/999999").status_code == 404
    assert client.get("/api/tables/notifications?result=nope").status_code == 400


def test_notifications_are_refused_to_units_and_viewers(app, notified) -> None:
    for name in ("unit1", "viewer"):
        client = login(app, name)
        assert 'href="/notifications"' not in client.get("/").text.split("<main>")[0]
        for path in ("/notifications", "/notifications/1", "/export/notifications.csv"):
            r = client.get(path)
            assert r.status_code == 403 and "只有管理员和信息公开办公室" in r.text, (name, path)
        assert client.get("/api/tables/notifications").status_code == 403


def test_no_secret_is_ever_rendered(app, estate) -> None:
    client = login(app, "admin")
    paths = ["/", "/items", "/units", "/units/u01", "/review", "/health", "/scans", "/trends", "/api/docs",
             "/api/overview", "/api/openapi.json", "/export/units.csv", "/items/7", "/notifications",
             "/export/notifications.csv", "/api/tables/notifications"]
    for path in paths:
        r = client.get(path)
        assert r.status_code == 200, path
        assert SECRET not in r.text, path
    assert "bench-secret-key" not in client.get("/").text


def test_security_headers(app) -> None:
    client = login(app, "viewer")
    r = client.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "SAMEORIGIN" and r.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r'(src|href)="https?://', r.text.split("<main>")[0])


def test_bench_runs_every_page(tmp_path: Path) -> None:
    from monitor.testbed import dashboard_bench as bench

    result = bench.run(tmp_path, pages=1500, units=8, repeat=2)
    assert set(result["pages_ms"]) == set(bench.BENCH_PAGES)
    assert all(v["p95"] > 0 for v in result["pages_ms"].values())


def test_serve_command(estate, tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # An empty database: the command says how to create the first account.
    cfg = yaml.safe_load(estate["cfg_path"].read_text(encoding="utf-8"))
    cfg["database"] = str(tmp_path / "fresh.db")
    cfg_path = tmp_path / "fresh.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = dict(os.environ, XXGK_NOW=AS_OF.isoformat(), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "serve", "--config", str(cfg_path), "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.2)
        assert resp.status_code == 200 and "还没有看板账号" in resp.text
        # The same port again: one Chinese line, non-zero exit.
        busy = subprocess.run([sys.executable, "-m", "monitor.cli", "serve", "--config", str(cfg_path), "--port",
                               str(port)], capture_output=True, text=True, env=env, timeout=60)
        assert busy.returncode != 0 and "无法监听" in busy.stderr and "Traceback" not in busy.stderr
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "xxgk user add admin --role admin" in out and f"127.0.0.1:{port}" in out
