"""The testbed's browser-only site (`Testbed(browser_sites=True)`, monitor/testbed/cms/guarded.py): 科学技术研究院
behind a 瑞数-style JavaScript challenge, with one column whose rows a script loads from a JSON endpoint.

A plain HTTP client gets 412 and a script; the cookie that script computes (re-implemented here from the
page, independently of the testbed) unlocks the pages; real headless Chromium passes the challenge by itself
and shows the scripted column's rows. With the option off nothing changes (tests/test_testbed_generated.py
pins the fixed estate's hashes; here: no ninth site, no new truth keys)."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import deque
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml

from monitor.testbed import Testbed
from monitor.testbed.estate import Estate
from monitor.testbed.server import render
from monitor.testbed.truth import ground_truth, list_rows

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2019, 10, 15)
CHROMIUM = Path("/usr/bin/chromium")

# What the challenge script knows (it spells the key as character codes + 7 and writes hex digits in letters).
ALPHABET = "qEtlrADGVcpbWkaJ"
KEY = "kyc@shiyan"


# ----------------------------------------------------------------------------- helpers

def get(url: str, cookie: str | None = None) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def fnv1a(text: str) -> int:
    v = 0x811C9DC5
    for ch in text:
        v = ((v ^ ord(ch)) * 16777619) % 2**32
    return v


def solve(challenge: str) -> str:
    """The `xxgk_ts=…` cookie the page's script sets, computed without running it."""
    cd = re.search(r'\$_ts\.cd="([^"]+)"', challenge).group(1)
    nonce = "".join(format(ALPHABET.index(c), "x") for c in cd)
    return f"xxgk_ts={fnv1a(nonce + KEY):08x}{fnv1a(KEY + nonce[::-1]):08x}"


class Page(HTMLParser):
    """Links, the text outside scripts, and the scripts of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])
        self._in_script = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)

    @property
    def words(self) -> str:
        return "".join(self.text).strip()


@pytest.fixture(scope="module")
def tb():
    with Testbed(as_of=AS_OF, browser_sites=True) as bed:
        yield bed


@pytest.fixture(scope="module")
def truth(tb):
    return tb.ground_truth()


@pytest.fixture(scope="module")
def cookie(tb):
    status, body, _ = get(tb.url("kyc"))
    assert status == 412
    return solve(body.decode("utf-8"))


def kyc_pages(truth) -> dict[str, dict]:
    return {p["url"]: p for p in truth["pages"] if p["site"] == "kyc"}


# ----------------------------------------------------------------------------- option off

def test_without_the_option_there_is_no_ninth_site_and_the_truth_keeps_its_shape():
    with Testbed(as_of=AS_OF) as bed:
        assert "kyc" not in bed.sites
        truth = bed.ground_truth()
    assert "needs_browser" not in truth and not any("challenge" in s for s in truth["sites"].values())
    titles = {c.title for c in Estate().sites["xxgk"].columns}
    assert {"学术规范", "学术不端查处"} <= titles


def test_the_option_changes_nothing_on_the_other_unit_sites_and_keeps_xxgk_urls():
    plain, guarded = Estate(), Estate(browser_sites=True)
    t_plain, t_guarded = ground_truth(plain, AS_OF), ground_truth(guarded, AS_OF)
    for site in ("zsb", "yjsy", "cwc", "rsc", "jwc", "xsc", "jyzx"):
        paths = [urlsplit(p["url"]) for p in t_plain["pages"] if p["site"] == site]
        assert paths == [urlsplit(p["url"]) for p in t_guarded["pages"] if p["site"] == site]
        for u in paths:
            target = u.path + ("?" + u.query if u.query else "")
            assert render(plain.sites[site], target, AS_OF).body == render(guarded.sites[site], target, AS_OF).body
    # the disclosure site drops the two moved columns and nothing else moves
    moved = set(t_plain["items"]["41"]["columns"] + t_plain["items"]["42"]["columns"])
    xxgk_plain = {p["url"] for p in t_plain["pages"] if p["site"] == "xxgk"}
    xxgk_guarded = {p["url"] for p in t_guarded["pages"] if p["site"] == "xxgk"}
    assert moved <= xxgk_plain and xxgk_guarded <= xxgk_plain
    gone = {p["url"] for p in t_plain["pages"] if p["site"] == "xxgk" and p["item"] in ("41", "42")}
    assert xxgk_plain - xxgk_guarded == gone
    assert {c.title for c in guarded.sites["xxgk"].columns}.isdisjoint({"学术规范", "学术不端查处"})


# ----------------------------------------------------------------------------- a plain client

def test_a_plain_get_gets_412_and_only_the_challenge_script(tb, truth):
    for url in [tb.url("kyc"), *kyc_pages(truth), tb.url("kyc", "/api/list?col=xsbd&page=1"), tb.url("kyc", "/nope.htm")]:
        status, body, headers = get(url)
        html = body.decode("utf-8")
        page = Page(html)
        assert status == 412, url
        assert "no-store" in headers["Cache-Control"] and "ETag" not in headers
        assert "$_ts" in html and "document.cookie" in html and "location.reload()" in html
        assert page.words == "" and page.links == []
        assert "学术" not in html and "科学技术研究院" not in html
    # robots.txt is answered and lets everything through
    status, body, _ = get(tb.url("kyc", "/robots.txt"))
    assert status == 200
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(body.decode().splitlines())
    assert all(robots.can_fetch("xxgk-monitor", u) for u in kyc_pages(truth))


def test_the_cookie_the_script_computes_unlocks_every_page(tb, truth, cookie):
    status, body, headers = get(tb.url("kyc"), cookie)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    home = Page(body.decode("utf-8"))
    assert "科学技术研究院" in home.words
    columns = {truth["items"][i]["columns"][0] for i in ("41", "42")}
    assert columns <= {urljoin(tb.url("kyc"), h) for h in home.links}
    # with another cookie, or none, the wall stays; another client with the same cookie passes
    assert get(tb.url("kyc"), "xxgk_ts=0123456789abcdef")[0] == 412
    assert get(tb.url("kyc"), "other=1; " + cookie + "; more=2")[0] == 200
    # the cookie holds for the day: the same challenge on every request of it
    assert solve(get(tb.url("kyc", "/xsgf/index.htm"))[1].decode()) == cookie


def test_the_cookie_is_the_days_and_a_new_day_asks_again(tb, cookie):
    try:
        tb.set_as_of(AS_OF + timedelta(days=1))
        status, body, _ = get(tb.url("kyc"), cookie)
        assert status == 412
        tomorrow = solve(body.decode())
        assert tomorrow != cookie and get(tb.url("kyc"), tomorrow)[0] == 200
    finally:
        tb.set_as_of(AS_OF)


def test_behind_the_wall_lists_show_dated_rows_and_articles_their_date(tb, truth, cookie):
    rows = [r for r in list_rows(tb.estate, AS_OF) if r["list"].startswith(tb.url("kyc"))]
    column_a = truth["items"]["41"]["columns"][0]
    html = get(column_a, cookie)[1].decode()
    for r in (r for r in rows if r["list"] == column_a):
        path = urlsplit(r["url"]).path
        assert re.search(rf'<a href="{re.escape(path)}">[^<]+</a><span class="date">{r["date"]}</span>', html)
    for url, p in kyc_pages(truth).items():
        if p["kind"] == "article":
            status, body, _ = get(url, cookie)
            assert status == 200 and f"发布日期：{p['published']}" in body.decode() and p["title"] in body.decode()


def test_the_scripted_column_is_an_empty_list_filled_from_json_behind_the_wall(tb, truth, cookie):
    column_b = truth["items"]["42"]["columns"][0]
    html = get(column_b, cookie)[1].decode()
    assert '<ul class="news-list" id="list"></ul>' in html and "fetch('/api/list?col=xsbd&page=1')" in html
    assert not any("/info/" in h for h in Page(html).links)      # no row in the static HTML
    status, body, headers = get(tb.url("kyc", "/api/list?col=xsbd&page=1"), cookie)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    expected = [r for r in list_rows(tb.estate, AS_OF) if r["list"] == column_b]
    assert [(tb.url("kyc", d["url"]), d["date"]) for d in data] == [(r["url"], r["date"]) for r in expected]
    assert len(data) == 2 and all(d["title"] for d in data)


def test_truth_pages_are_what_a_crawler_with_the_cookie_reaches(tb, truth, cookie):
    """Following links, and the JSON rows of the scripted list (what a browser shows)."""
    base = tb.url("kyc")
    seen, queue, ok = {base}, deque([base]), set()
    while queue:
        url = queue.popleft()
        status, body, headers = get(url, cookie)
        if status != 200:
            continue
        ok.add(url)
        if "html" not in headers["Content-Type"]:
            continue
        html = body.decode()
        found = [urljoin(url, h) for h in Page(html).links]
        for api in re.findall(r"fetch\('([^']+)'\)", html):
            found += [urljoin(url, row["url"]) for row in json.loads(get(urljoin(url, api), cookie)[1])]
        for v in found:
            if v.startswith(base) and v not in seen:
                seen.add(v)
                queue.append(v)
    assert ok == set(kyc_pages(truth))


# ----------------------------------------------------------------------------- the truth and the config

def test_truth_marks_what_needs_a_browser_and_puts_items_41_42_on_kyc_only(tb, truth):
    pages = kyc_pages(truth)
    assert truth["sites"]["kyc"]["challenge"] is True and truth["sites"]["kyc"]["unit"] == "kyc"
    assert truth["units"]["kyc"]["sites"] == ["kyc"]
    column_b = truth["items"]["42"]["columns"][0]
    assert truth["needs_browser"] == {u: "scripted_list" if u == column_b else "challenge" for u in pages}
    for item, title in (("41", "学术规范"), ("42", "学术不端行为查处")):
        it = truth["items"][item]
        assert len(it["columns"]) == 1 and it["columns"][0].startswith(tb.sites["kyc"])
        assert pages[it["columns"][0]]["kind"] == "list" and pages[it["columns"][0]]["title"] == title
        assert it["evidence"] and all(e["url"].startswith(tb.sites["kyc"]) for e in it["evidence"])
        assert it["status"] == "ok" and it["last_changed"] == max(e["date"] for e in it["evidence"])
    assert sum(p["site"] == "xxgk" and p["item"] in ("41", "42") for p in truth["pages"]) == 0


def test_written_config_lists_the_guarded_site_under_its_unit(tb, tmp_path):
    cfg = yaml.safe_load(tb.write_config(tmp_path / "xxgk.yaml").read_text(encoding="utf-8"))
    sites = {u["id"]: u.get("sites", []) for u in cfg["units"]}
    assert sites["kyc"] == [tb.sites["kyc"]] and sites["zsb"] == [tb.sites["zsb"]]


def test_generated_layouts_take_the_option_too():
    estate = Estate(seed=1000, layouts="generated", browser_sites=True)
    truth = ground_truth(estate, AS_OF)
    for item in ("41", "42"):
        assert [urlsplit(u).netloc for u in truth["items"][item]["columns"]] == ["kyc.invalid"]
    assert set(truth["needs_browser"]) == {p["url"] for p in truth["pages"] if p["site"] == "kyc"}


def test_cli_serves_the_guarded_site_after_the_services_host(tmp_path):
    port = 30000 + int(time.time() * 1000) % 20000
    cfg = tmp_path / "xxgk.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "testbed", "serve", "--browser-sites",
                             "--port-base", str(port), "--config-out", str(cfg)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            lines.append(proc.stdout.readline())
            if "按 Ctrl-C 停止" in lines[-1]:
                break
        out = "".join(lines)
        if proc.poll() is not None and "端口已被占用" in proc.stderr.read():
            pytest.skip("the drawn port range is taken")
        assert f"kyc   http://127.0.0.1:{port + 9}/" in out and "需浏览器" in out
        assert f"svc   http://127.0.0.1:{port + 8}/" in out
        assert get(f"http://127.0.0.1:{port + 9}/")[0] == 412
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    units = {u["id"]: u.get("sites") for u in yaml.safe_load(cfg.read_text(encoding="utf-8"))["units"]}
    assert units["kyc"] == [f"http://127.0.0.1:{port + 9}/"]


# ----------------------------------------------------------------------------- a real browser

@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
def test_chromium_passes_the_challenge_and_shows_the_scripted_rows(tb, truth, cookie):
    from playwright.sync_api import sync_playwright

    column_b = truth["items"]["42"]["columns"][0]
    tb.requests.clear()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(tb.url("kyc"))
            page.wait_for_selector("ul.nav a[href='/xsbd/index.htm']", timeout=15000)
            assert "科学技术研究院" in page.title()
            jar = {c["name"]: c["value"] for c in page.context.cookies()}
            assert f"xxgk_ts={jar['xxgk_ts']}" == cookie
            page.goto(column_b)
            page.wait_for_selector("#list li", timeout=15000)
            shown = page.eval_on_selector_all(
                "#list li", "lis => lis.map(li => [li.querySelector('a').href, li.querySelector('a').textContent,"
                            " li.querySelector('span').textContent])")
        finally:
            browser.close()
    pages = kyc_pages(truth)
    expected = [r for r in list_rows(tb.estate, AS_OF) if r["list"] == column_b]
    assert [(u, d) for u, _t, d in shown] == [(r["url"], r["date"]) for r in expected]
    assert [t for u, t, _d in shown] == [pages[u]["title"] for u, _t, _d in shown]
    assert {e["url"] for e in truth["items"]["42"]["evidence"]} == {u for u, _t, _d in shown}
    # the first visit met the wall, the reload the script triggered got the page, the list's fetch its rows
    # (a loaded machine may see Chromium ask for the wall page twice before its script runs)
    log = [(r.path, r.status) for r in tb.requests.filter(site="kyc")]
    assert log[0] == ("/", 412) and ("/", 200) in log
    passed = log.index(("/", 200))
    assert set(log[:passed]) == {("/", 412)}
    assert ("/xsbd/index.htm", 200) in log and ("/api/list?col=xsbd&page=1", 200) in log
    assert all(s != 412 for _p, s in log[passed:])     # one pass of the challenge held for the rest of the visit
