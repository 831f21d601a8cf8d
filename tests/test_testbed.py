"""The simulated university keeps its promises over real HTTP on 127.0.0.1.

Encodings, every pagination style reachable from a column's first page, the time axis,
conditional requests, and a ground truth that matches what is actually served.
"""
from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
import yaml

from monitor.testbed import Testbed
from monitor.testbed.catalog import load_catalog
from monitor.testbed.estate import Estate
from monitor.testbed.truth import ground_truth

AS_OF = date(2019, 10, 15)
REFERENCE_DAYS = [date(2019, 6, 15), date(2019, 10, 15), date(2019, 11, 15), date(2020, 1, 10)]
ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- helpers

class Fetched:
    def __init__(self, status: int, body: bytes, headers, url: str):
        self.status, self.body, self.headers, self.url = status, body, headers, url

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener()
_no_redirect = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict | None = None, follow: bool = True) -> Fetched:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with (_opener if follow else _no_redirect).open(req, timeout=10) as r:
            return Fetched(r.status, r.read(), r.headers, r.url)
    except urllib.error.HTTPError as e:
        return Fetched(e.code, e.read(), e.headers, url)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])


def decode(tb: Testbed, url: str, body: bytes) -> str:
    site = next(k for k, v in tb.sites.items() if url.startswith(v))
    return body.decode("gb18030" if tb.estate.sites[site].encoding != "utf-8" else "utf-8")


def links_of(tb: Testbed, url: str, body: bytes) -> list[str]:
    html = decode(tb, url, body)
    p = Links()
    p.feed(html)
    out = [urldefrag(urljoin(url, h))[0] for h in p.hrefs]
    m = re.search(r'createPageHTML\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)', html)
    if m:   # TRS: further pages only exist in the script call
        n, name, ext = int(m.group(1)), m.group(3), m.group(4)
        out += [urljoin(url, f"{name}.{ext}")] + [urljoin(url, f"{name}_{i}.{ext}") for i in range(1, n)]
    return out


def date_forms(d: str) -> list[str]:
    y, m, dd = d.split("-")
    return [d, f"{y}年{int(m)}月{int(dd)}日", f"{y}/{m}/{dd}", f"{y}.{m}.{dd}", f"{y}-{int(m)}-{int(dd)}"]


@pytest.fixture(scope="module")
def tb():
    with Testbed(as_of=AS_OF) as bed:
        yield bed


@pytest.fixture
def clock(tb):
    """Tests that move the estate's clock put it back."""
    yield tb
    tb.set_as_of(AS_OF)


@pytest.fixture(scope="module")
def truth(tb):
    return tb.ground_truth()


# ----------------------------------------------------------------------------- catalog and truth

def test_school_catalog_has_61_items_owned_by_21_units():
    cat = load_catalog()
    assert len(cat.items) == 61
    assert all(it.unit for it in cat.items.values())
    assert len({it.unit for it in cat.items.values()}) == 21
    assert len(cat.categories) == 10
    # splits of the national items, a drop and school additions
    assert {"1.1", "1.2", "3.1", "3.2", "50.1", "50.2"} <= set(cat.items)
    assert not {"1", "3", "50", "17"} & set(cat.items)
    assert cat.items["3.1"].rule["kind"] == "static" and cat.items["50.2"].rule["kind"] == "event"


def test_truth_mirrors_the_2018_2019_report(truth):
    assert truth["school"] == "示例大学" and truth["as_of"] == "2019-10-15"
    assert len(truth["items"]) == 61 and len(truth["units"]) == 21
    period = truth["report_period"]
    assert (period["updated"], period["not_updated"]) == (53, 8)
    assert set(period["not_updated_items"]) == {"2", "3.1", "50.1", "50.2", "16", "22", "23", "34"}
    # static / event items: not updated, and not required
    for item in ("2", "3.1", "50.1", "50.2"):
        assert truth["items"][item]["status"] == "ok", item


def test_every_status_occurs_on_the_reference_days():
    estate = Estate()
    seen: Counter = Counter()
    by_day = {}
    for day in REFERENCE_DAYS:
        t = ground_truth(estate, day)
        by_day[day] = {i: it["status"] for i, it in t["items"].items()}
        seen.update(by_day[day].values())
    assert {"ok", "due_soon", "overdue", "missing", "blank", "undated"} <= set(seen)
    oct15, nov15 = by_day[date(2019, 10, 15)], by_day[date(2019, 11, 15)]
    # the annual report: due soon before 2019-10-31, ok once the 2019-10-28 report is out
    assert oct15["6"] == "due_soon" and nov15["6"] == "ok"
    assert by_day[date(2019, 6, 15)]["19"] == "overdue" and oct15["19"] == "ok"   # late budget
    assert by_day[date(2020, 1, 10)]["16"] == "overdue"
    t = ground_truth(estate, date(2019, 11, 15))
    assert t["items"]["6"]["last_changed"] == "2019-10-28"
    assert t["items"]["6"]["due"] == "2020-10-31"


def test_truth_is_deterministic():
    a, b = ground_truth(Estate(), AS_OF), ground_truth(Estate(), AS_OF)
    assert a == b
    c = ground_truth(Estate(seed=7), AS_OF)
    assert [p["title"] for p in c["pages"]] != [p["title"] for p in a["pages"]]
    assert c["report_period"] == a["report_period"]     # the scenarios do not depend on the seed


def test_profiles_have_the_promised_size():
    default = ground_truth(Estate("default"), AS_OF)["pages"]
    assert 500 <= len(default) <= 900
    assert len(ground_truth(Estate("large"), AS_OF)["pages"]) >= 5000


# ----------------------------------------------------------------------------- encodings

def test_gbk_site_decodes_only_as_gb18030(tb, truth):
    page = next(p for p in truth["pages"] if p["site"] == "yjsy" and p["kind"] == "article")
    r = get(page["url"])
    assert r.status == 200 and r.headers["Content-Type"] == "text/html; charset=GBK"
    with pytest.raises(UnicodeDecodeError):
        r.body.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        r.body.decode("gb2312")           # characters outside GB2312 (昇) on every page
    text = r.body.decode("gb18030")
    assert "研究生院" in text and "昇平路" in text and page["title"] in text
    assert re.search(r'<meta name="PubDate" content="%s \d\d:\d\d:\d\d">' % page["published"], text)


def test_finance_site_has_a_wrong_charset_header(tb, truth):
    lists = [p for p in truth["pages"] if p["site"] == "cwc" and p["kind"] == "list"]
    r = get(lists[0]["url"])
    assert r.headers["Content-Type"].lower() == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        r.body.decode("utf-8")
    text = r.body.decode("gb18030")
    assert '<meta charset="gbk">' in text and "财务处" in text
    art = next(p for p in truth["pages"] if p["site"] == "cwc" and p["kind"] == "article")
    r = get(art["url"])
    assert r.headers["Content-Type"] == "text/html"        # no charset at all
    assert art["title"] in r.body.decode("gb18030")


# ----------------------------------------------------------------------------- pagination

def test_every_pagination_reachable_from_the_columns_first_page(tb, truth):
    by_column: dict[tuple[str, str], list[str]] = {}
    for p in truth["pages"]:
        if p["kind"] == "list":
            by_column.setdefault((p["site"], p["title"]), []).append(p["url"])
    multi = {k: v for k, v in by_column.items() if len(v) > 1}
    # every CMS has at least one paginated column
    assert {s for s, _ in multi} == set(tb.sites)
    for (site, title), urls in multi.items():
        expected = set(urls)
        seen, queue = {urls[0]}, deque([urls[0]])
        while queue:
            u = queue.popleft()
            r = get(u)
            assert r.status == 200, u
            for v in links_of(tb, u, r.body):
                if v in expected and v not in seen:
                    seen.add(v)
                    queue.append(v)
        assert seen == expected, (site, title, sorted(expected - seen))


def test_vsb_pages_are_numbered_backwards_and_trs_pages_only_in_script(tb, truth):
    col = tb.estate.sites["zsb"].column_by_key("tzgg")
    docs = col.visible_docs(AS_OF)
    total = col.page_count(AS_OF)
    oldest = get(tb.url("zsb", "/tzgg/1.htm")).text()
    assert docs[-1].title in oldest and docs[0].title not in oldest
    second = get(tb.url("zsb", f"/tzgg/{total - 1}.htm")).text()
    assert docs[col.per_page].title in second
    first = get(tb.url("yjsy", "/tzgg/index.html")).body.decode("gb18030")
    assert "index_1.html" not in re.sub(r"<script.*?</script>", "", first, flags=re.S)
    assert re.search(r'createPageHTML\(\d+, 0, "index", "html"\)', first)
    assert get(tb.url("yjsy", "/tzgg/index_1.html")).status == 200


# ----------------------------------------------------------------------------- time axis

def test_articles_appear_on_their_day_and_edits_show_later(clock):
    tb = clock
    report = next(d for d in tb.estate.item_docs("6") if d.published == date(2019, 10, 28))
    url = tb.url("xxgk", report.path)
    ndbg = tb.url("xxgk", "/" + tb.estate.aliases["ndbg"].key + "/list.htm")
    assert get(url).status == 404
    assert report.title not in get(ndbg).text()
    tb.set_as_of(date(2019, 10, 28))
    assert get(url).status == 200 and "发布时间：2019-10-28" in get(url).text()
    assert report.title in get(ndbg).text()
    for a in report.attachments:
        assert get(tb.url("xxgk", a.path)).status == 200

    leaders = tb.url("xxgk", "/" + tb.estate.aliases["ldbz"].key + "/list.htm")   # renders as its only article
    tb.set_as_of(date(2019, 10, 15))
    before = get(leaders).text()
    assert "更新时间：2019-01-15" in before and "校长：张建国" in before and "王喆" not in before
    tb.set_as_of(date(2019, 11, 15))
    after = get(leaders).text()
    assert "更新时间：2019-10-24" in after and "校长：王喆" in after and "发布时间：2017-03-01" in after


def test_replaced_attachment(clock):
    tb = clock
    doc = next(d for d in tb.estate.item_docs("19") if d.published.year == 2019)
    old, new = doc.attachments
    tb.set_as_of(date(2019, 6, 25))
    page = get(tb.url("cwc", doc.path)).body.decode("gb18030")
    assert old.name in page and new.name not in page
    tb.set_as_of(date(2019, 7, 10))
    page = get(tb.url("cwc", doc.path)).body.decode("gb18030")
    assert new.name in page and old.name not in page
    assert get(tb.url("cwc", old.path)).status == 404 and get(tb.url("cwc", new.path)).status == 200


# ----------------------------------------------------------------------------- HTTP semantics

def test_conditional_requests_get_304_and_pages_stay_identical_day_to_day(clock):
    tb = clock
    url = tb.url("xxgk", tb.estate.aliases["zc"].docs[0].path)       # the 2016 charter
    r = get(url)
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    assert lm == "Wed, 12 Oct 2016 00:00:00 GMT"
    assert get(url, {"If-None-Match": etag}).status == 304
    assert get(url, {"If-Modified-Since": lm}).status == 304
    assert get(url, {"If-None-Match": '"stale"'}).status == 200
    tb.set_as_of(date(2019, 10, 16))
    r2 = get(url)
    assert r2.body == r.body and get(url, {"If-None-Match": etag}).status == 304
    logged = [x for x in tb.requests if x.path == tb.estate.aliases["zc"].docs[0].path and x.status == 304]
    assert any(x.headers.get("If-None-Match") == etag for x in logged)
    # a daily "今天是…" widget changes the bytes of 学生工作处 pages without any new content
    xsc = tb.url("xsc", "/list/jzxj")
    day1 = get(xsc)
    tb.set_as_of(date(2019, 10, 17))
    day2 = get(xsc)
    assert "今天是2019年10月16日 星期三" in day1.text() and "今天是2019年10月17日 星期四" in day2.text()
    assert day1.headers["ETag"] != day2.headers["ETag"] and "Last-Modified" not in day2.headers


def test_rescan_next_day_is_mostly_unchanged(clock, truth):
    tb = clock
    urls = [p["url"] for p in truth["pages"] if p["kind"] != "attachment"][::3]   # a third of every site
    first = {u: get(u).headers.get("ETag") for u in urls}
    tb.set_as_of(date(2019, 10, 16))
    same = sum(get(u, {"If-None-Match": first[u]}).status == 304 for u in urls)
    assert same / len(urls) > 0.8


# ----------------------------------------------------------------------------- truth vs what is served

def test_evidence_answers_200_and_shows_its_date(tb, truth):
    source = {p["url"]: p["published_source"] for p in truth["pages"]}
    checked = 0
    for item, it in truth["items"].items():
        for ev in it["evidence"]:
            if ev["kind"] == "entry":   # behind a login wall: only the list row shows it
                listing = get(ev["list"])
                assert any(f in decode(tb, ev["list"], listing.body) for f in date_forms(ev["date"])), ev
                assert get(ev["url"], follow=False).status == 302
                continue
            r = get(ev["url"])
            assert r.status == 200, (item, ev["url"])
            if ev["kind"] == "article" and ev["date"] and source[ev["url"]] == "url":
                y, m, d = ev["date"].split("-")
                assert f"/{y}/{m}{d}/" in ev["url"], (item, ev)
            elif ev["kind"] == "article" and ev["date"]:
                html = decode(tb, ev["url"], r.body)
                assert any(f in html for f in date_forms(ev["date"])), (item, ev)
            checked += 1
    assert checked > 300


def test_pages_in_truth_are_exactly_what_a_crawler_reaches(tb, truth):
    skip = set(truth["never_fetch"]) | set(truth["robots_disallowed"])
    hosts = tuple(tb.sites.values())
    start = [tb.url(k, tb.estate.sites[k].home_path) for k in tb.sites]
    seen, queue, ok, failed = set(start), deque(start), set(), {}
    while queue:
        u = queue.popleft()
        r = get(u)
        if r.status != 200:
            failed[u] = r.status
            continue
        ok.add(r.url)
        if "html" not in r.headers.get("Content-Type", ""):
            continue
        for v in links_of(tb, r.url, r.body):
            if v.startswith(hosts) and v not in seen and v not in skip and not v.startswith(tuple(truth["traps"])):
                seen.add(v)
                queue.append(v)
    assert ok == {p["url"] for p in truth["pages"]}
    assert failed == {**{u: 404 for u in truth["broken_links"]}, **{u: 403 for u in truth["intranet"]}}


def test_published_sources_follow_each_cms(truth):
    sources = {(p["site"], p["published_source"]) for p in truth["pages"] if p["kind"] == "article"}
    assert {("xxgk", "label"), ("xxgk", "url"), ("yjsy", "meta"), ("jyzx", "heading"), ("zsb", "label")} <= sources
    assert {p["published_source"] for p in truth["pages"] if p["kind"] == "attachment"} == {"meta"}
    assert any(p["kind"] == "article" and p["published"] is None and p["item"] == "22" for p in truth["pages"])


def test_attachments_have_real_content(tb, truth):
    import docx
    import openpyxl
    import pypdf

    atts = {p["url"].rsplit(".", 1)[-1]: p for p in truth["pages"] if p["kind"] == "attachment"
            and p["site"] == "xxgk"}
    pdf = get(atts["pdf"]["url"])
    assert pdf.headers["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.body))
    assert "示例大学" in reader.pages[0].extract_text()
    assert reader.metadata.creation_date.date().isoformat() == atts["pdf"]["published"]
    doc = docx.Document(io.BytesIO(get(atts["docx"]["url"]).body))
    assert doc.core_properties.created.date().isoformat() == atts["docx"]["published"]
    assert any("示例大学" in p.text for p in doc.paragraphs)
    wb = openpyxl.load_workbook(io.BytesIO(get(atts["xlsx"]["url"]).body))
    assert "示例大学" in str([c.value for row in wb.active.iter_rows() for c in row])
    # VSB serves files through download.jsp with the name in Content-Disposition
    vsb = next(p for p in truth["pages"] if p["kind"] == "attachment" and p["site"] == "zsb")
    r = get(vsb["url"])
    assert "download.jsp" in vsb["url"] and "filename*=UTF-8''" in r.headers["Content-Disposition"]


def test_counters_robots_traps_and_dead_links(tb, truth):
    home = get(tb.sites["xxgk"])
    p = Links()
    p.feed(home.text())
    counters = [urljoin(tb.sites["xxgk"], h) for h in p.hrefs + p.scripts if "_visitcount" in h]
    assert counters and set(counters) <= set(truth["never_fetch"])
    art = next(x for x in truth["pages"] if x["site"] == "zsb" and x["kind"] == "article")
    page = get(art["url"]).text()
    assert "_showDynClicks(" in page and "dynclicks.jsp" in page
    assert any("dynclicks.jsp" in u for u in truth["never_fetch"])
    robots = get(tb.url("jwc", "/robots.txt"))
    assert robots.status == 200 and "Disallow: /admin/" in robots.text() and "Disallow: /search" in robots.text()
    jwc_home = get(tb.sites["jwc"])
    assert all(any(u == v for v in links_of(tb, jwc_home.url, jwc_home.body)) for u in truth["robots_disallowed"])
    # the calendar never ends
    url = truth["traps"][0]
    for _ in range(6):
        r = get(url)
        assert r.status == 200
        nxt = [v for v in links_of(tb, url, r.body) if "date=" in v and "下个月" in r.text()]
        url = nxt[-1]
    assert "date=2020-04" in url


# ----------------------------------------------------------------------------- config and CLI

def test_written_config_points_at_the_running_sites(tb, tmp_path):
    path = tb.write_config(tmp_path / "xxgk.yaml", database=tmp_path / "x.db", max_pages_per_site=50)
    cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert cfg["disclosure_site"] == tb.sites["xxgk"]
    assert cfg["database"] == str(tmp_path / "x.db") and cfg["crawl"]["max_pages_per_site"] == 50
    unit_sites = {u["id"]: u.get("sites", []) for u in cfg["units"]}
    assert len(unit_sites) == 21 and unit_sites["zsb"] == [tb.sites["zsb"]]
    assert Path(cfg["catalog"]).exists() and cfg["items"]["1.2"]["changes"] == ["2019-09-20"]


def test_cli_serves_until_interrupted(tmp_path):
    cfg, truth_file = tmp_path / "xxgk.yaml", tmp_path / "truth.json"
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "testbed", "serve", "--as-of", "2019-11-15",
                             "--config-out", str(cfg), "--truth-out", str(truth_file)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "按 Ctrl-C 停止" in line:
                break
        out = "".join(lines)
        assert "信息公开网" in out and "学校配置已写入" in out
        url = re.search(r"xxgk\s+(http://127\.0\.0\.1:\d+/)", out).group(1)
        assert get(url).status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "模拟站点已停止" in proc.stdout.read()
    assert yaml.safe_load(cfg.read_text(encoding="utf-8"))["disclosure_site"] == url
    assert '"as_of": "2019-11-15"' in truth_file.read_text(encoding="utf-8")


def test_cli_rejects_a_bad_date_with_one_chinese_line():
    r = subprocess.run([sys.executable, "-m", "monitor.cli", "testbed", "serve", "--as-of", "2019-13-01"],
                       cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("错误：") and len(r.stderr.strip().splitlines()) == 1


def test_warm_renders_the_whole_day_into_the_cache(tb, truth):
    assert tb.warm() == len(truth["pages"])
    before = len(tb.requests)
    assert get(truth["pages"][-1]["url"]).status == 200
    assert len(tb.requests) == before + 1      # warming does not count as a visit


def test_request_log_records_unpack_as_tuples(tb):
    get(tb.sites["jwc"])
    site, method, path, status, headers = tb.requests.filter(site="jwc")[-1]
    assert (site, method, path, status) == ("jwc", "GET", "/", 200) and "User-Agent" in headers


def test_personal_data_leaks_are_real_and_the_masked_list_is_clean(clock):
    import docx
    import openpyxl

    from monitor.testbed.people import id_check

    tb = clock
    tb.set_as_of(date(2019, 11, 15))
    t = tb.ground_truth()
    ids = re.compile(r"(?<!\d)(\d{17}[\dX])(?!\d)")

    def valid_ids(text: str) -> list[str]:
        return [m for m in ids.findall(text) if id_check(m[:17]) == m[17]]

    assert {tuple(x["kinds"]) for x in t["pii"]} == {("id_card", "mobile"), ("id_card", "address")}
    for leak in t["pii"]:
        body = get(leak["url"]).body
        if leak["url"].endswith(".xlsx"):
            cells = [str(c.value) for row in openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows() for c in row]
            text = "\n".join(cells)
            assert len(re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)) == leak["people"]
        else:
            table = docx.Document(io.BytesIO(body)).tables[0]
            text = "\n".join(c.text for row in table.rows for c in row.cells)
            assert sum("室" in c.text and "省" in c.text for row in table.rows for c in row.cells) == leak["people"]
        assert len(valid_ids(text)) == leak["people"]
        assert get(leak["article"]).status == 200
    masked = get(t["pii_masked"][0]).text()
    assert "************" in masked and not valid_ids(masked)
