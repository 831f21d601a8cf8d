"""The provincial overview in real headless Chromium, served by uvicorn on 127.0.0.1 over a synthetic summary
store (monitor.testbed.overview_bench, written by the product's own writer). Screenshots go to tests/artifacts/."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from monitor.core import clock
from monitor.overview import accounts
from monitor.overview.app import create_app
from monitor.overview.summary import open_summary
from monitor.overview.web import Settings
from monitor.testbed.overview_bench import build_summary
from tests.test_dashboard_browser import (
    CHROMIUM,
    Server,
    browser,  # noqa: F401 (the headless Chromium fixture)
)
from tests.test_dashboard_browser import login as dashboard_login

ARTIFACTS = Path(__file__).parent / "artifacts"
AS_OF = date(2019, 10, 15)
HOSTILE = "<img src=x onerror=alert(1)>示范学院"
DASHBOARD = "https://dash.example.edu.cn"
USERS = {"prov": ("province", None), "office3": ("school", "s003")}

pytestmark = [pytest.mark.xdist_group("overview_browser"), pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")]


def password(name: str) -> str:
    return f"{name}-pass-123"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("overview-browser") / "data"
    keys = build_summary(folder, schools=6, months=3, as_of=AS_OF, dashboard_url=DASHBOARD)
    db = open_summary(str(folder))
    db.execute("UPDATE schools SET name = ? WHERE school = 's002'", (HOSTILE,))
    names = dict(db.execute("SELECT school, name FROM schools").fetchall())
    for name, (role, school) in USERS.items():
        accounts.add_user(db, name, password(name), role, school)
    db.close()
    clock.set_now(AS_OF.isoformat())
    app = create_app(Settings(str(folder), "测试省 · 信息公开监测总览", tuple(keys)))
    with Server(app) as base:
        yield {"base": base, "keys": keys, "names": names}
    app.state.connections.close()
    clock.set_now(None)


def login(browser, site, name: str):
    """Logged in through the log-in form as the dashboard's browser tests do (the same form and password
    scheme); the page then reloads with every JavaScript dialog recorded in ``page.dialogs``."""
    page = dashboard_login(browser, site, name)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.reload()
    page.dialogs = dialogs
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"overview-{name}.png"), full_page=True)


def test_province_sees_the_matrix_ranking_trends_and_drills_down(browser, site) -> None:
    page = login(browser, site, "prov")
    rows = page.locator("#matrix tbody tr")
    assert rows.count() == 6
    assert [rows.nth(i).get_attribute("data-school") for i in range(6)] == site["keys"]
    # Ten categories of the national catalog, each cell a share with the statuses in its tooltip.
    assert page.locator("#matrix thead th").count() == 1 + 10 + 2
    cell = page.locator("#matrix tr[data-school='s001'] td[data-category='2']")
    assert cell.inner_text().strip().endswith("%") and "按时率" in cell.get_attribute("title")
    # A hostile school name is shown as text and runs nothing.
    assert page.locator("#matrix tr[data-school='s002'] th a").inner_text() == HOSTILE
    assert page.dialogs == []
    assert "排名" in page.inner_text("header nav")
    shot(page, "matrix")

    page.click("header nav >> text=排名")
    page.wait_for_url(site["base"] + "/ranking")
    ranks = page.locator("table[data-table='ranking'] tbody tr td:first-child").all_inner_texts()
    assert len(ranks) == 6 and ranks[0].strip() == "1"
    shares = [float(t.strip().rstrip("%")) for t in
              page.locator("table[data-table='ranking'] tbody tr td:nth-child(4)").all_inner_texts()]
    assert shares == sorted(shares, reverse=True)
    shot(page, "ranking")

    page.click("header nav >> text=月度趋势")
    page.wait_for_url(site["base"] + "/trends")
    assert page.locator("svg.chart").count() == 1
    assert page.locator("table[data-table='trends'] tbody tr").count() == 3
    shot(page, "trends")

    # Drill down from a matrix cell: the school's items of that category, linking to its own dashboard.
    page.click("header nav >> text=各校概览")
    page.click("#matrix tr[data-school='s001'] td[data-category='2'] a")
    page.wait_for_url("**/schools/s001?category=2")
    assert page.inner_text("#school-name").startswith(site["names"]["s001"])
    items = page.locator("table[data-table='items'] tbody tr")
    assert items.count() >= 1
    assert set(page.locator("table[data-table='items'] tbody tr td:nth-child(3)").all_inner_texts()) == {"招生考试信息"}
    first = items.nth(0).locator("td:first-child a")
    assert first.get_attribute("href") == f"{DASHBOARD}/items/{first.inner_text().strip()}"
    # The status filter (auto-submitting select) narrows the table.
    page.select_option("select[name=category]", "")
    page.wait_for_url("**/schools/s001?as_of=*")
    page.select_option("select[name=status]", "ok")
    page.wait_for_url("**status=ok*")
    assert set(page.locator("table[data-table='items'] tbody tr td:nth-child(5)").all_inner_texts()) == {"正常"}
    shot(page, "school")
    page.context.close()


def test_a_school_account_sees_only_its_school(browser, site) -> None:
    page = login(browser, site, "office3")
    rows = page.locator("#matrix tbody tr")
    assert rows.count() == 1 and rows.nth(0).get_attribute("data-school") == "s003"
    nav = page.inner_text("header nav")
    assert "排名" not in nav and "本校事项" in nav
    assert "office3（学校·s003）" in page.inner_text("header .who")
    for other in ("s001", "s002"):
        assert site["names"][other] not in page.content()
    page.click("header nav >> text=本校事项")
    page.wait_for_url(site["base"] + "/schools/s003")
    assert page.inner_text("#school-name").startswith(site["names"]["s003"])
    # Another school's page, its export and the ranking are refused by the server.
    for path in ("/schools/s001", "/schools/s001/items.csv", "/ranking"):
        resp = page.goto(site["base"] + path)
        assert resp.status == 403, path
    assert "学校账号只能查看本校" in page.goto(site["base"] + "/schools/s001").text()
    # The matrix export a school office downloads holds its own row only.
    page.goto(site["base"] + "/")
    with page.expect_download() as info:
        page.click("text=CSV")
    rows_csv = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows_csv[1:]] == [site["names"]["s003"]]
    shot(page, "school-account")
    page.context.close()
