"""The dashboard in real headless Chromium, served by uvicorn on 127.0.0.1 (synthetic estate).

Screenshots of the main pages go to tests/artifacts/ (gitignored)."""
from __future__ import annotations

import csv
import io
import re
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import uvicorn

from monitor import auth, store
from monitor.config import load_config
from monitor.core import clock
from monitor.dashboard.app import create_app
from monitor.testbed.dashboard_bench import build_estate

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
AS_OF = date(2019, 10, 15)
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USERS = {"admin": ("admin", None), "office": ("office", None), "unit1": ("unit", "u01"), "viewer": ("viewer", None)}

pytestmark = [pytest.mark.xdist_group("dashboard_browser"), pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")]


def password(name: str) -> str:
    return f"{name}-pass-123"


class Server:
    """uvicorn in a thread on a free 127.0.0.1 port."""

    def __init__(self, app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("dash-browser")
    cfg_path = build_estate(work, pages=1500, units=6, days=30, as_of=AS_OF)
    clock.set_now(AS_OF.isoformat())
    cfg = load_config(cfg_path)
    db = store.open_db(cfg.database_path)
    for name, (role, unit) in USERS.items():
        auth.add_user(db, name, password(name), role, unit)
    app = create_app(cfg)
    with Server(app) as base:
        yield {"base": base, "cfg": cfg, "db": db}
    clock.set_now(None)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


def login(browser, site, name: str):
    context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(site["base"] + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password(name))
    page.click("button[type=submit]")
    page.wait_for_url(site["base"] + "/")
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def statuses(site, as_of: date = AS_OF):
    from monitor.assess import assess_all

    return assess_all(site["db"], site["cfg"], as_of)


def test_each_role_logs_in_and_sees_its_scope(browser, site) -> None:
    all_items = statuses(site)
    for name, (role, unit) in USERS.items():
        page = login(browser, site, name)
        assert name in page.inner_text("header .who")
        expected = [s for s in all_items if unit is None or s.unit == unit]
        ok = sum(s.status == "ok" for s in expected)
        assert page.inner_text("#headline") == f"{len(expected)} 项中 {ok} 项正常"
        nav = page.inner_text("header nav")
        assert ("审核" in nav) == (role != "unit")
        page.context.close()


def test_overview_matches_assessment_and_screenshots(browser, site) -> None:
    page = login(browser, site, "admin")
    items = statuses(site)
    for status in ("ok", "due_soon", "overdue", "missing", "blank", "undated", "unreachable"):
        count = page.inner_text(f'.counts a[data-status="{status}"] b')
        assert int(count) == sum(s.status == status for s in items), status
    # Heat-map cell → the filtered item list shows exactly those items.
    row = page.locator('#heatmap tr[data-category="2"]')
    cell = row.locator('td[data-status="overdue"] a')
    expected = sorted(s.id for s in items if s.category == "2" and s.status == "overdue")
    if expected:
        cell.click()
        page.wait_for_url(re.compile(r".*/items\?.*status=overdue"))
        ids = page.locator('table[data-table="items"] tbody tr td:first-child').all_inner_texts()
        assert sorted(i.strip() for i in ids) == expected
    page.goto(site["base"] + "/")
    assert page.locator("#calendar").is_visible() and page.locator("svg.chart").count() == 1
    assert "最近一次扫描" in page.inner_text("#scan-health")
    shot(page, "overview")
    for path, name in (("/items", "items"), ("/units", "units"), ("/review", "review"), ("/health", "health"),
                       ("/scans", "scans"), ("/trends", "trends"), ("/search?q=决算", "search"),
                       ("/api/docs", "api-docs")):
        resp = page.goto(site["base"] + path)
        assert resp.status == 200, path
        shot(page, name)
    page.context.close()


def test_item_evidence_snapshot_and_diff(browser, site) -> None:
    page = login(browser, site, "office")
    target = next(s for s in statuses(site) if s.evidence)
    page.goto(site["base"] + "/items")
    page.click(f'table[data-table="items"] a[href="/items/{target.id}"] >> nth=0')
    page.wait_for_url(site["base"] + f"/items/{target.id}")
    assert page.inner_text("#item-reason") == target.reason
    assert page.locator("#basis tbody tr").count() == min(30, len(target.evidence))
    assert page.locator('table[data-table="evidence"] tbody tr').count() > 0
    shot(page, "item")
    # An archived version renders in a sandboxed frame where its script does not run.
    page.click("table.versions a:text-is('存档') >> nth=0")
    page.wait_for_url(re.compile(r".*/versions/\d+$"))
    frame_el = page.locator("iframe.snapshot")
    assert frame_el.get_attribute("sandbox") == ""
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_load_state()
    assert frame.locator("h1").inner_text()
    assert frame.evaluate("document.title") != "x"  # the stored <script> set it to "x" if it ran
    shot(page, "version")
    # The diff between two versions of a page.
    page_id = site["db"].execute("SELECT page_id FROM versions GROUP BY page_id HAVING COUNT(*) > 1 LIMIT 1"
                                 ).fetchone()[0]
    old, new = [r[0] for r in site["db"].execute("SELECT id FROM versions WHERE page_id=? ORDER BY id", (page_id,))]
    page.goto(site["base"] + f"/versions/{old}/diff/{new}")
    assert "修订后的正文" in page.locator("#diff .d-add").first.inner_text()
    shot(page, "diff")
    page.context.close()


def test_confirm_a_match_and_see_it_persist(browser, site) -> None:
    db = site["db"]
    match_id, item_id = db.execute("SELECT id, item_id FROM matches WHERE state='review' ORDER BY id LIMIT 1"
                                   ).fetchone()
    page = login(browser, site, "office")
    page.goto(site["base"] + f"/items/{item_id}")
    row = page.locator(f'#matches tr[data-match-id="{match_id}"]')
    assert row.get_attribute("data-state") == "review"
    row.locator("button:has-text('确认')").click()
    page.wait_for_url(re.compile(rf".*/items/{item_id}\?notice=confirmed"))
    assert "已确认该匹配" in page.inner_text(".notice")
    page.reload()
    row = page.locator(f'#matches tr[data-match-id="{match_id}"]')
    assert row.get_attribute("data-state") == "confirmed" and "office" in row.inner_text()
    assert db.execute("SELECT state FROM matches WHERE id=?", (match_id,)).fetchone()[0] == "confirmed"
    # Rejecting asks for confirmation first (dialog), then persists.
    other = db.execute("SELECT id, item_id FROM matches WHERE state='review' ORDER BY id LIMIT 1").fetchone()
    page.goto(site["base"] + "/review")
    page.once("dialog", lambda d: d.accept())
    page.locator(f'form[action="/matches/{other[0]}/reject"] button').click()
    page.wait_for_url(re.compile(r".*/review\?notice=rejected"))
    assert db.execute("SELECT state FROM matches WHERE id=?", (other[0],)).fetchone()[0] == "rejected"
    page.context.close()


def test_unit_user_is_refused_other_units_item(browser, site) -> None:
    other = next(s for s in statuses(site) if s.unit != "u01")
    own = next(s for s in statuses(site) if s.unit == "u01")
    page = login(browser, site, "unit1")
    resp = page.goto(site["base"] + f"/items/{other.id}")
    assert resp.status == 403
    assert "该事项不属于您的单位" in page.inner_text(".error-message")
    shot(page, "forbidden")
    resp = page.goto(site["base"] + f"/items/{own.id}")
    assert resp.status == 200
    page.fill("form.ack input[name=note]", "已安排发布")
    page.click("form.ack button")
    page.wait_for_url(re.compile(r".*notice=acked"))
    assert "unit1 已知悉" in page.inner_text("#acks")
    page.context.close()


def test_export_a_csv(browser, site) -> None:
    page = login(browser, site, "viewer")
    page.goto(site["base"] + "/units")
    with page.expect_download() as info:
        page.click(".exports a:has-text('CSV')")
    download = info.value
    assert download.suggested_filename.startswith("xxgk-units-") and download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "单位" and len(rows) - 1 == len({s.unit for s in statuses(site)})
    page.context.close()
