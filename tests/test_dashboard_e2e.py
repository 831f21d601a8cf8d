"""End to end: a real scan of the simulated university (testbed over HTTP on 127.0.0.1), the dashboard on
uvicorn, headless Chromium. Numbers must equal `assess_all` and the testbed's ground truth; a match confirmed in
the browser must survive a re-scan started from the dashboard."""
from __future__ import annotations

import csv
import io
import os
import re
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from monitor import auth, clock, store
from monitor.config import load_config
from monitor.dashboard.app import create_app
from test_dashboard_browser import BROWSER_ARGS, CHROMIUM, Server, shot

AS_OF = date(2019, 10, 15)
STATUSES = ("ok", "due_soon", "overdue", "missing", "blank", "undated", "unreachable")

pytestmark = [pytest.mark.xdist_group("dashboard_e2e"), pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    from monitor.scan import run_scan
    from monitor.testbed import Testbed

    work = tmp_path_factory.mktemp("dash-e2e")
    old_env = os.environ.get("XXGK_NOW")
    os.environ["XXGK_NOW"] = f"{AS_OF.isoformat()}T03:00"
    clock.set_now(f"{AS_OF.isoformat()}T03:00")
    try:
        with Testbed(as_of=AS_OF) as tb:
            cfg_path = tb.write_config(work / "xxgk.yaml", database=work / "xxgk.db")
            cfg = load_config(cfg_path)
            result = run_scan(cfg, trigger="test")
            assert result.status == "done", result.row
            truth = tb.ground_truth()
            db = store.open_db(cfg.database_path)
            from monitor.assess import assess_all

            statuses = assess_all(db, cfg, AS_OF)
            units = Counter(s.unit for s in statuses if s.unit)
            unit_id = units.most_common(1)[0][0]
            for name, role, unit in (("admin", "admin", None), ("office", "office", None),
                                     ("unit1", "unit", unit_id), ("viewer", "viewer", None)):
                auth.add_user(db, name, f"{name}-pass-123", role, unit)
            app = create_app(cfg, config_path=cfg_path)
            with Server(app) as base:
                yield {"base": base, "cfg": cfg, "db": db, "truth": truth, "statuses": statuses, "unit": unit_id,
                       "app": app}
            runner = app.state.scan_runner
            if runner.proc is not None and runner.proc.poll() is None:
                runner.proc.terminate()
                runner.proc.wait(30)
    finally:
        clock.set_now(None)
        if old_env is None:
            os.environ.pop("XXGK_NOW", None)
        else:
            os.environ["XXGK_NOW"] = old_env


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield b
        b.close()


def login(browser, site, name: str):
    page = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900}).new_page()
    page.goto(site["base"] + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", f"{name}-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(site["base"] + "/")
    return page


def test_overview_equals_assessment_and_ground_truth(browser, scanned) -> None:
    page = login(browser, scanned, "admin")
    statuses = scanned["statuses"]
    truth = Counter(v["status"] for v in scanned["truth"]["items"].values())
    shown = {s: int(page.inner_text(f'.counts a[data-status="{s}"] b')) for s in STATUSES}
    assert shown == {s: sum(x.status == s for x in statuses) for s in STATUSES}
    wrong = {s.id: (s.status, scanned["truth"]["items"].get(s.id, {}).get("status")) for s in statuses
             if s.status != scanned["truth"]["items"].get(s.id, {}).get("status")}
    assert shown == {s: truth.get(s, 0) for s in STATUSES}, f"items (assessed, truth) differing: {wrong}"
    assert page.inner_text("#headline") == f"{len(scanned['truth']['items'])} 项中 {truth['ok']} 项正常"
    # Every category row adds up to the catalog's items of that category.
    for row in page.locator("#heatmap tbody tr").all():
        cat = row.get_attribute("data-category")
        assert int(row.locator("td.total").inner_text()) == sum(s.category == cat for s in statuses)
    shot(page, "e2e-overview")
    page.context.close()


def test_item_evidence_from_the_scan(browser, scanned) -> None:
    truth_items = scanned["truth"]["items"]
    target = next(s for s in scanned["statuses"] if s.status == "ok" and s.evidence and truth_items[s.id]["evidence"])
    page = login(browser, scanned, "office")
    page.goto(scanned["base"] + f"/items/{target.id}")
    assert page.locator("#item-status").get_attribute("data-status") == truth_items[target.id]["status"]
    assert target.last_changed in page.inner_text("#item-last-changed")
    basis_urls = {a.get_attribute("href") for a in page.locator("#basis tbody a").all()}
    assert {e.url for e in target.evidence[:30]} <= basis_urls
    assert any(u.startswith("http://127.0.0.1:") for u in basis_urls)
    # An archived version of a matched page opens in the sandboxed frame.
    link = page.locator("table.versions a:text-is('存档')").first
    if link.count():
        link.click()
        frame = page.locator("iframe.snapshot")
        assert frame.get_attribute("sandbox") == ""
        assert frame.element_handle().content_frame().locator("body").inner_text()
    shot(page, "e2e-item")
    page.context.close()


def test_unit_user_refused_and_csv_export(browser, scanned) -> None:
    unit = scanned["unit"]
    other = next(s for s in scanned["statuses"] if s.unit and s.unit != unit)
    page = login(browser, scanned, "unit1")
    own = [s for s in scanned["statuses"] if s.unit == unit]
    assert page.inner_text("#headline").startswith(f"{len(own)} 项中")
    resp = page.goto(scanned["base"] + f"/items/{other.id}")
    assert resp.status == 403 and "不属于您的单位" in page.inner_text(".error-message")
    page.goto(scanned["base"] + "/items")
    with page.expect_download() as info:
        page.click(".exports a:has-text('CSV')")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == {s.id for s in own}
    page.context.close()


def test_confirmed_match_survives_a_rescan_started_from_the_dashboard(browser, scanned) -> None:
    db = scanned["db"]
    found = db.execute("SELECT id, item_id, url FROM matches WHERE state = 'review' ORDER BY score DESC LIMIT 1"
                       ).fetchone()
    assert found, "the testbed scan should leave some matches for review"
    match_id, item_id, url = found
    page = login(browser, scanned, "admin")
    page.goto(scanned["base"] + "/review")
    page.locator(f'form[action="/matches/{match_id}/confirm"] button').click()
    page.wait_for_url(re.compile(r".*/review\?notice=confirmed"))
    before = db.execute("SELECT MAX(id) FROM scans").fetchone()[0]
    page.goto(scanned["base"] + "/scans")
    page.click("button:has-text('立即扫描')")
    page.wait_for_url(re.compile(r".*/scans\?notice=scan_started"))
    assert scanned["app"].state.scan_runner.wait(240) == 0
    scan = db.execute("SELECT id, status, trigger FROM scans ORDER BY id DESC LIMIT 1").fetchone()
    assert scan[0] > before and scan[1:] == ("done", "dashboard")
    page.reload()
    assert "看板" in page.inner_text('table[data-table="scans"] tbody tr:first-child')
    # After the re-scan re-derived every match, the person's decision still holds.
    assert db.execute("SELECT state FROM matches WHERE item_id = ? AND url = ?", (item_id, url)).fetchone() == \
        ("confirmed",)
    page.goto(scanned["base"] + f"/items/{item_id}")
    row = page.locator("#matches tr.match", has=page.locator(f'a[href="{url}"]')).first
    assert row.get_attribute("data-state") == "confirmed"
    shot(page, "e2e-after-rescan")
    page.context.close()
