"""End to end: the simulated university (testbed over HTTP on 127.0.0.1) scanned by the real CLI on four days
(the shared `scanned_estate`), the dashboard on uvicorn, headless Chromium. Numbers must equal `assess_all` and
the testbed's ground truth of the as-of day; site health must show what `monitor.compliance` found; a match
confirmed in the browser must survive a re-scan started from the dashboard (on a private copy, `estate_copy`).

The README screenshot `docs/images/overview.png` is written here when it is missing or when
XXGK_UPDATE_SCREENSHOTS=1."""
from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import struct
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from test_dashboard_browser import BROWSER_ARGS, CHROMIUM, Server, shot

from monitor import auth, store
from monitor.config import load_config
from monitor.core import clock
from monitor.dashboard.app import create_app

STATUSES = ("ok", "due_soon", "overdue", "missing", "blank", "undated", "unreachable")
README_SHOT = Path(__file__).resolve().parent.parent / "docs" / "images" / "overview.png"
README_SHOT_MAX = 300_000

pytestmark = [pytest.mark.xdist_group("estate"), pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")]


def _private_copy(estate, work: Path) -> tuple[Path, Path]:
    """The scanned database and a config pointing at it: the dashboard writes (accounts, its search index)."""
    db_path = work / "xxgk.db"
    src, dst = sqlite3.connect(estate.db_path), sqlite3.connect(db_path)
    src.backup(dst)
    src.close()
    dst.close()
    old_db = str(load_config(estate.config_path).database_path)
    cfg_path = work / "xxgk.yaml"
    cfg_path.write_text(estate.config_path.read_text(encoding="utf-8").replace(old_db, str(db_path)),
                        encoding="utf-8")
    assert load_config(cfg_path).database_path == db_path
    return cfg_path, db_path


def _assess(db, cfg, as_of: date):
    from monitor.assess import assess_all

    return assess_all(db, cfg, as_of)


class Site(dict):
    def statuses(self, as_of: str | None = None):
        return _assess(self["db"], self["cfg"], date.fromisoformat(as_of or self["today"]))


def _serve(cfg_path: Path, today: str):
    cfg = load_config(cfg_path)
    db = store.open_db(cfg.database_path)
    units = Counter(s.unit for s in _assess(db, cfg, date.fromisoformat(today)) if s.unit)
    unit_id = units.most_common(1)[0][0]
    for name, role, unit in (("admin", "admin", None), ("office", "office", None), ("unit1", "unit", unit_id),
                             ("viewer", "viewer", None)):
        auth.add_user(db, name, f"{name}-pass-123", role, unit)
    app = create_app(cfg, config_path=cfg_path)
    return Site(cfg=cfg, db=db, unit=unit_id, app=app, today=today)


@pytest.fixture(scope="module")
def site(scanned_estate, tmp_path_factory):
    """Read-only tests: the dashboard over a private copy of the shared scanned estate, as of its last scan."""
    today = scanned_estate.scan_dates[-1]
    clock.set_now(f"{today}T09:00")
    try:
        cfg_path, _ = _private_copy(scanned_estate, tmp_path_factory.mktemp("dash-e2e"))
        s = _serve(cfg_path, today)
        s["estate"] = scanned_estate
        with Server(s["app"]) as base:
            s["base"] = base
            yield s
    finally:
        clock.set_now(None)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --lang: date inputs render as 2020/01/10, as on a Chinese desktop.
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS + ["--lang=zh-CN"])
        yield b
        b.close()


def login(browser, site, name: str, width: int = 1360):
    page = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": width, "height": 900}
                               ).new_page()
    page.goto(site["base"] + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", f"{name}-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(site["base"] + "/")
    return page


def test_overview_equals_assessment_and_ground_truth_on_every_scan_day(browser, site) -> None:
    page = login(browser, site, "admin")
    estate = site["estate"]
    for day in estate.scan_dates:
        page.goto(site["base"] + f"/?as_of={day}")
        statuses = site.statuses(day)
        truth_items = estate.truth(day)["items"]
        truth = Counter(v["status"] for v in truth_items.values())
        shown = {s: int(page.inner_text(f'.counts a[data-status="{s}"] b')) for s in STATUSES}
        assert shown == {s: sum(x.status == s for x in statuses) for s in STATUSES}, day
        wrong = {s.id: (s.status, truth_items.get(s.id, {}).get("status")) for s in statuses
                 if s.status != truth_items.get(s.id, {}).get("status")}
        assert shown == {s: truth.get(s, 0) for s in STATUSES}, f"{day}: items (assessed, truth) differing: {wrong}"
        assert page.inner_text("#headline") == f"{len(truth_items)} 项中 {truth['ok']} 项正常"
        # Every category row adds up to the catalog's items of that category.
        for row in page.locator("#heatmap tbody tr").all():
            cat = row.get_attribute("data-category")
            assert int(row.locator("td.total").inner_text()) == sum(s.category == cat for s in statuses), (day, cat)
    page.goto(site["base"] + "/")
    shot(page, "e2e-overview")
    page.context.close()


def test_readme_screenshot_of_the_overview(browser, site) -> None:
    """docs/images/overview.png: the overview of the scanned simulated university, 1280 px wide."""
    if README_SHOT.exists() and os.environ.get("XXGK_UPDATE_SCREENSHOTS") != "1":
        pytest.skip("docs/images/overview.png exists (XXGK_UPDATE_SCREENSHOTS=1 regenerates it)")
    page = login(browser, site, "office", width=1280)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the overview must fit 1280 px"
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(full_page=True)
    page.context.close()
    # 256 colours without dithering: flat UI colours and text stay crisp at about a third of the size.
    from PIL import Image  # Pillow comes with reportlab (report dependency)

    with Image.open(io.BytesIO(png)) as img:
        img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
                                    ).save(README_SHOT, optimize=True)
    header = README_SHOT.read_bytes()[:24]   # PNG signature, then the IHDR chunk: width, height
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", header[16:20])[0] == 1280
    assert README_SHOT.stat().st_size < README_SHOT_MAX, f"{README_SHOT} is {README_SHOT.stat().st_size} bytes"


def test_item_evidence_from_the_scan(browser, site) -> None:
    truth_items = site["estate"].truth(site["today"])["items"]
    target = next(s for s in site.statuses() if s.status == "ok" and s.evidence and truth_items[s.id]["evidence"])
    page = login(browser, site, "office")
    page.goto(site["base"] + f"/items/{target.id}")
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


def test_unit_user_refused_and_csv_export(browser, site) -> None:
    unit = site["unit"]
    statuses = site.statuses()
    other = next(s for s in statuses if s.unit and s.unit != unit)
    page = login(browser, site, "unit1")
    own = [s for s in statuses if s.unit == unit]
    assert page.inner_text("#headline").startswith(f"{len(own)} 项中")
    resp = page.goto(site["base"] + f"/items/{other.id}")
    assert resp.status == 403 and "不属于您的单位" in page.inner_text(".error-message")
    page.goto(site["base"] + "/items")
    with page.expect_download() as info:
        page.click(".exports a:has-text('CSV')")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_bytes().decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == {s.id for s in own}
    page.context.close()


def _section_rows(page, name: str) -> list[str]:
    return page.locator(f'section#{name} table[data-table="{name}"] tbody tr').all_inner_texts()


def test_site_health_shows_what_compliance_found(browser, site) -> None:
    from monitor.compliance.findings import list_findings
    from monitor.compliance.links import link_report
    from monitor.compliance.sites import blank_columns, site_status
    from monitor.core.vocab import SITE_STATE

    db, cfg = site["db"], site["cfg"]
    findings = list_findings(db, status=None)
    links = [link for s in link_report(db) for link in s["links"]]
    sites = site_status(db, cfg)
    columns = blank_columns(db, cfg, as_of=date.fromisoformat(site["today"]))
    assert findings and links and sites and columns, "the simulated university has leaks, dead links, blank columns"
    page = login(browser, site, "office")
    page.goto(site["base"] + "/health")
    summary = page.inner_text("#health-summary")
    assert f"{sum(f['status'] == 'open' for f in findings)} 个人信息泄露未处理" in summary
    assert f"{len(links)} 失效链接" in summary
    assert f"{sum(s['status'] == 'unreachable' for s in sites)} 网站无法访问" in summary
    assert f"{sum(c['kind'] == 'blank' for c in columns)} 空白栏目" in summary
    # Sites: one row per configured site, state in Chinese.
    site_rows = _section_rows(page, "sites")
    assert len(site_rows) == len(sites)
    assert all(any(label in r for label in SITE_STATE.label.values()) for r in site_rows)
    # Findings: Chinese kinds, statuses and places; masked values only; first page of 20, unresolved first.
    text = page.inner_text("section#findings")
    assert f"共 {len(findings)} 条" in text
    for raw in ("id_card", "mobile", "bank_card", "pdf page", "docx paragraph", "xlsx "):
        assert raw not in text, raw
    assert "未处理" in text and any(f["kind_label"] in text for f in findings)
    shown = _section_rows(page, "findings")
    assert len(shown) == min(20, len(findings)) and all("*" in r for r in shown)
    # The same findings per page or file, most unresolved first.
    page_rows = _section_rows(page, "finding_pages")
    assert len(page_rows) == min(20, len({f["url"] for f in findings}))
    per_url = Counter(f["url"] for f in findings if f["status"] == "open")
    top_url, top_open = per_url.most_common(1)[0]
    first = page.locator('section#finding_pages table[data-table="finding_pages"] tbody tr').first
    assert first.locator("td").first.locator("a").get_attribute("href") == top_url
    assert str(top_open) in page_rows[0]
    # Broken links: each once, with the number of pages it appears on.
    link_rows = _section_rows(page, "deadlinks")
    assert len(link_rows) == len(links)
    link_cells = page.locator('section#deadlinks table[data-table="deadlinks"] tbody tr')
    hrefs = [row.locator("td").first.locator("a").get_attribute("href") for row in link_cells.all()]
    for link in links:
        row = link_rows[hrefs.index(link["url"])]
        assert link["label"] in row and str(link["page_count"]) in row
    # Blank and stale columns with their reasons.
    col_rows = _section_rows(page, "blank")
    assert len(col_rows) == len(columns)
    assert all(any(c["reason"] in r for r in col_rows) for c in columns)
    shot(page, "e2e-health")
    # A unit user sees only its own unit's findings.
    unit_page = login(browser, site, "unit1")
    unit_page.goto(site["base"] + "/health")
    own = list_findings(db, status=None, unit=site["unit"])
    if own:
        assert f"共 {len(own)} 条" in unit_page.inner_text("section#findings")
    else:
        assert "没有发现个人信息泄露" in unit_page.inner_text("section#findings")
    unit_page.context.close()
    page.context.close()


def test_confirmed_match_survives_a_rescan_started_from_the_dashboard(browser, estate_copy) -> None:
    """On a private copy: the re-scan (of the same running testbed, clock at its last day) writes."""
    today = estate_copy.scan_dates[-1]
    clock.set_now(f"{today}T09:00")
    try:
        site = _serve(estate_copy.config_path, today)
        db = site["db"]
        found = db.execute("SELECT id, item_id, url FROM matches WHERE state = 'review' ORDER BY score DESC LIMIT 1"
                           ).fetchone()
        assert found, "the testbed scans should leave some matches for review"
        match_id, item_id, url = found
        with Server(site["app"]) as base:
            site["base"] = base
            page = login(browser, site, "admin")
            page.goto(base + "/review")
            page.locator(f'form[action="/matches/{match_id}/confirm"] button').click()
            page.wait_for_url(re.compile(r".*/review\?notice=confirmed"))
            before = db.execute("SELECT MAX(id) FROM scans").fetchone()[0]
            page.goto(base + "/scans")
            page.click("button:has-text('立即扫描')")
            page.wait_for_url(re.compile(r".*/scans\?notice=scan_started"))
            runner = site["app"].state.scan_runner
            try:
                assert runner.wait(240) == 0
            finally:
                if runner.proc is not None and runner.proc.poll() is None:
                    runner.proc.terminate()
                    runner.proc.wait(30)
            scan = db.execute("SELECT id, status, trigger FROM scans ORDER BY id DESC LIMIT 1").fetchone()
            assert scan[0] > before and tuple(scan[1:]) == ("done", "dashboard")
            page.reload()
            assert "看板" in page.inner_text('table[data-table="scans"] tbody tr:first-child')
            # After the re-scan re-derived every match, the person's decision still holds.
            assert tuple(db.execute("SELECT state FROM matches WHERE item_id = ? AND url = ?", (item_id, url)
                                    ).fetchone()) == ("confirmed",)
            page.goto(base + f"/items/{item_id}")
            row = page.locator("#matches tr.match", has=page.locator(f'a[href="{url}"]')).first
            assert row.get_attribute("data-state") == "confirmed"
            shot(page, "e2e-after-rescan")
            page.context.close()
    finally:
        clock.set_now(None)
