"""Generated estates (`layouts="generated"`): every seed draws its own templates, column names and
school catalog, and its ground truth stays what a person reads on its pages.

The fixed estate (the demo's, `layouts="fixed"`) is pinned byte for byte: a hash of its ground truth and
of every page it serves, computed before the generator existed.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections import Counter, deque
from datetime import date
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import pytest

from monitor.testbed import Testbed
from monitor.testbed.estate import Estate
from monitor.testbed.server import render
from monitor.testbed.truth import ground_truth, list_rows

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2019, 9, 1)
SEEDS = (1000, 1001, 1002, 1003)

# sha256 of the fixed estate's ground truth (catalog path reduced to its file name) and of every page it
# serves (url, status, headers, body), computed on the tree before the layout generator was added.
FIXED_PINS = {
    ("default", 2019, "2019-10-15"): ("0248b48f9906dfa246fc8bcc965d60086543dfa27c7dee0262187eaf3adeab83",
                                      "2b34c39572c43313e138a05f12f3a882424812aaac1377695dfd043aff85372c"),
    ("default", 2019, "2020-01-10"): ("3238631a1e39c06ee404b48a5e001a654efe42f2ec8567fe59b6830c1f81ca07",
                                      "38b9f86c673790cf85e9bc2997224eaab15cbf36e55b43520423dba685878425"),
    ("default", 7, "2019-10-15"): ("7f551a3236cc94e956077159f72f2fde6e9fddb29bed3f6a9d02a97f573a6c50",
                                   "722a895c6b1bd11276533f2694897f479ba94a79be10eb5d3f6cea1d831676ee"),
}
# openpyxl stamps the save time into docProps/core.xml (the pin predates the fix that fixes it).
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")


def _body_digest(body: bytes) -> str:
    if body[:2] != b"PK":
        return hashlib.sha256(body).hexdigest()
    z = zipfile.ZipFile(io.BytesIO(body))
    h = hashlib.sha256()
    for name in sorted(z.namelist()):
        data = z.read(name)
        if name == "docProps/core.xml":
            data = _MODIFIED.sub(b"", data)
        h.update(name.encode() + b"\0" + data)
    return h.hexdigest()


def estate_digest(estate: Estate, day: date) -> tuple[str, str]:
    truth = ground_truth(estate, day)
    truth["catalog"] = truth["catalog"].rsplit("/", 1)[-1]
    truth_hash = hashlib.sha256(json.dumps(truth, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    h = hashlib.sha256()
    for p in truth["pages"]:
        parts = urlsplit(p["url"])
        r = render(estate.sites[p["site"]], parts.path + ("?" + parts.query if parts.query else ""), day)
        zipped = r.body[:2] == b"PK"
        headers = {k: v for k, v in r.headers.items() if not (zipped and k == "ETag")}
        h.update(f"{p['url']}|{r.status}|{json.dumps(headers, sort_keys=True)}|{_body_digest(r.body)}\n".encode())
    return truth_hash, h.hexdigest()


def get(url: str) -> tuple[int, bytes, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read(), dict(r.headers), r.url
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers), url


def decode(tb: Testbed, url: str, body: bytes) -> str:
    site = next(k for k, v in tb.sites.items() if url.startswith(v))
    return body.decode("utf-8" if tb.estate.sites[site].encoding == "utf-8" else "gb18030")


@pytest.fixture(scope="module")
def beds():
    out = {}
    try:
        for seed in SEEDS:
            out[seed] = Testbed(as_of=AS_OF, seed=seed, layouts="generated").start()
        yield out
    finally:
        for tb in out.values():
            tb.stop()


# ----------------------------------------------------------------------------- the fixed estate

@pytest.mark.parametrize("key", sorted(FIXED_PINS), ids=lambda k: f"{k[1]}-{k[2]}")
def test_fixed_estate_is_byte_identical_to_before(key):
    profile, seed, day = key
    assert estate_digest(Estate(profile, seed), date.fromisoformat(day)) == FIXED_PINS[key]
    assert estate_digest(Estate(profile, seed, layouts="fixed"), date.fromisoformat(day)) == FIXED_PINS[key]


def test_fixed_is_the_default_and_unknown_layouts_are_refused():
    assert Estate().layouts == "fixed" and Estate().look_of("xxgk") is None
    with pytest.raises(ValueError):
        Estate(layouts="random")
    with pytest.raises(ValueError):
        Testbed(layouts="random")


# ----------------------------------------------------------------------------- layouts differ

def _skeleton(html: str) -> str:
    """Tags and classes of a page's list or article markup, without any text (so content differences
    between seeds do not count)."""
    root = lxml.html.fromstring(html)
    return " ".join(f"{el.tag}.{el.get('class', '')}" for el in root.iter() if isinstance(el.tag, str)
                    and el.tag not in ("script", "head", "meta", "title", "link"))


def _signature(estate: Estate) -> dict[str, tuple[str, str]]:
    """Per site: the skeleton of the first list page of a column the scenarios fill (the same rows in
    every seed) and of its newest article."""
    out = {}
    for key, site in estate.sites.items():
        col = next(c for c in site.columns if c.items and c.mode == "list" and len(c.visible_docs(AS_OF)) > 1)
        lst = render(site, site.column_path(col, 1, AS_OF), AS_OF).body
        art = render(site, col.visible_docs(AS_OF)[0].path, AS_OF).body
        enc = "utf-8" if site.encoding == "utf-8" else "gb18030"
        out[key] = (_skeleton(lst.decode(enc)), _skeleton(art.decode(enc)))
    return out


def test_two_seeds_differ_in_layout_from_the_fixed_estate_and_from_each_other():
    fixed = _signature(Estate())
    a, b = _signature(Estate(seed=1000, layouts="generated")), _signature(Estate(seed=1001, layouts="generated"))
    assert sum(fixed[k][0] != a[k][0] for k in fixed) >= 6 and sum(fixed[k][0] != b[k][0] for k in fixed) >= 6
    assert sum(a[k][0] != b[k][0] for k in a) >= 6, "list markup"
    assert sum(a[k][1] != b[k][1] for k in a) >= 5, "article markup"
    # the same seed is the same estate
    assert _signature(Estate(seed=1000, layouts="generated")) == a
    ga, gb = ground_truth(Estate(seed=1000, layouts="generated"), AS_OF), ground_truth(
        Estate(seed=1001, layouts="generated"), AS_OF)
    titles = lambda t: {p["title"] for p in t["pages"] if p["kind"] == "list"}  # noqa: E731
    assert titles(ga) != titles(gb)        # columns named differently


def test_the_grammar_covers_the_variations_over_a_few_seeds():
    seen: dict[str, Counter] = {k: Counter() for k in ("shape", "date", "pager", "article", "charset", "label")}
    for seed in range(1000, 1030):
        e = Estate(seed=seed, layouts="generated")
        for key in e.sites:
            look = e.look_of(key)
            for lst in [look.list, *look.columns.values()]:
                seen["shape"][lst.shape] += 1
                seen["date"][lst.date_fmt + ("+heading" if lst.year_heading else "")] += 1
                seen["pager"][lst.pager] += 1
            seen["article"][look.article.kind] += 1
            seen["charset"][look.charset] += 1
            if look.article.kind == "label":
                seen["label"][look.article.label] += 1
    assert set(seen["shape"]) == {"li_after", "li_before", "li_in_link", "table", "dl", "div_row", "split", "summary"}
    assert {"iso", "loose", "slash", "dot", "cn", "bracket+heading", "bracket", "short+heading"} <= set(seen["date"])
    assert {"numbered", "chain", "count", "cms"} <= set(seen["pager"])
    assert {"label", "heading", "byline", "meta", "none", "cms"} <= set(seen["article"])
    assert {"both", "meta", "header", "wrong"} <= set(seen["charset"])
    assert {"发布时间：", "发布日期:", "时间：", "日期："} <= set(seen["label"])


# ----------------------------------------------------------------------------- what a person reads

_FULL = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_SPLIT = re.compile(r"(?<!\d)(\d{1,2})\s+((?:19|20)\d{2})[-/.](\d{1,2})(?!\d)")
_SHORT = re.compile(r"(?<![\d-])(\d{2})-(\d{2})(?![\d-])")
_YEAR_HEADING = re.compile(r"^((?:19|20)\d{2})(?:年|年度)?$")
_URL_YEAR = re.compile(r"/((?:19|20)\d{2})/|/t((?:19|20)\d{2})\d{4}_|/((?:19|20)\d{2})\d{2}/")


def _row_of(a: lxml.html.HtmlElement, url: str) -> lxml.html.HtmlElement:
    """The largest element around a row link that holds no other row's link."""
    row = a
    while row.getparent() is not None:
        parent = row.getparent()
        if any(x.get("href") != url for x in parent.iter("a")):
            break
        row = parent
    return row


def _year_above(row: lxml.html.HtmlElement) -> int | None:
    """The year heading a person sees above a row: inside the row's own box (a group of one row),
    else the nearest heading before it."""
    for el in row.iter():
        m = _YEAR_HEADING.match((el.text or "").strip()) if len(el) == 0 else None
        if m:
            return int(m.group(1))
    for el in [row, *row.iterancestors()]:
        for prev in el.itersiblings(preceding=True):
            m = _YEAR_HEADING.match(prev.text_content().strip())
            if m:
                return int(m.group(1))
    return None


def read_row_date(a: lxml.html.HtmlElement, url: str) -> date | None:
    """The date a person reads on a list row: in the row, or MM-DD with the year heading above it or,
    failing that, the year in the row's URL."""
    row = _row_of(a, url)
    title = a.get("title") or ""
    text = " ".join(t.strip() for t in row.itertext() if t.strip() and t.strip() != title)
    m = _FULL.search(text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _SPLIT.search(text)
    if m:
        return date(int(m.group(2)), int(m.group(3)), int(m.group(1)))
    m = _SHORT.search(text)
    if m:
        year = _year_above(row)
        if year is None:
            u = _URL_YEAR.search(url)
            year = int(next(g for g in u.groups() if g)) if u else None
        return date(year, int(m.group(1)), int(m.group(2))) if year else None
    return None


@pytest.mark.parametrize("seed", SEEDS)
def test_every_list_row_shows_its_truth_date(beds, seed):
    tb = beds[seed]
    rows = list_rows(tb.estate, AS_OF)
    by_list: dict[str, list[dict]] = {}
    for r in rows:
        by_list.setdefault(r["list"], []).append(r)
    assert len(by_list) >= 60 and sum(1 for r in rows if r["date"]) >= 500
    wrong = []
    for list_url, want in by_list.items():
        status, body, _, final = get(list_url)
        assert status == 200, list_url
        root = lxml.html.fromstring(decode(tb, final, body))
        root.make_links_absolute(final)
        links = {}
        for a in root.iter("a"):
            links.setdefault(urldefrag(a.get("href", ""))[0], a)
        for r in want:
            a = links.get(r["url"])
            assert a is not None, (list_url, r["url"])
            shown = read_row_date(a, r["url"])
            if (shown.isoformat() if shown else None) != r["date"]:
                wrong.append((list_url, r["url"], r["date"], shown))
    assert not wrong, wrong[:10]


BODY_AND_SIDEBARS = ("//script | //style | //*[@id='zoom' or @id='vsb_content'] | //td[@class='content']"
                     " | //*[contains(@class, 'articlecontent') or contains(@class, 'article-content')"
                     " or starts-with(@class, 'contentstyle')] | //aside | //div[@class='side']")


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_every_article_shows_its_truth_dates(beds, seed):
    tb = beds[seed]
    truth = tb.ground_truth()
    checked = Counter()
    for p in truth["pages"]:
        if p["kind"] != "article" or not p["published"]:
            continue
        status, body, _, final = get(p["url"])
        assert status == 200
        html = decode(tb, final, body)
        d = date.fromisoformat(p["published"])
        if p["published_source"] == "meta":
            assert re.search(r'<meta name="(?:PubDate|publishdate)" content="%s' % p["published"], html), p["url"]
        elif p["published_source"] != "url":
            forms = {f"{d:%Y-%m-%d}", f"{d.year}-{d.month}-{d.day}", f"{d.year}/{d.month}/{d.day}", f"{d:%Y/%m/%d}",
                     f"{d:%Y.%m.%d}", f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日"}
            root = lxml.html.fromstring(html)
            # the header is what counts: not the body (its dates are decoys), not sidebars of newer news
            for bad in root.xpath(BODY_AND_SIDEBARS):
                bad.drop_tree()
            text = root.text_content()
            assert any(f in text for f in forms), (p["url"], p["published"], p["published_source"])
            if p["updated"]:
                u = date.fromisoformat(p["updated"])
                assert any(f in text for f in (f"{u:%Y-%m-%d}", f"{u.year}-{u.month}-{u.day}", f"{u:%Y/%m/%d}",
                                               f"{u:%Y.%m.%d}", f"{u.year}年{u.month}月{u.day}日",
                                               f"{u.year}/{u.month}/{u.day}", f"{u.year}年{u.month:02d}月{u.day:02d}日")), p
        checked[p["published_source"]] += 1
    assert sum(checked.values()) >= 400, checked


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_truth_pages_are_exactly_what_a_crawler_reaches(beds, seed):
    tb = beds[seed]
    truth = tb.ground_truth()
    skip = set(truth["never_fetch"]) | set(truth["robots_disallowed"])
    hosts = tuple(tb.sites.values())
    start = [tb.url(k, tb.estate.sites[k].home_path) for k in tb.sites]
    seen, queue, ok, failed = set(start), deque(start), set(), {}
    while queue:
        u = queue.popleft()
        status, body, headers, final = get(u)
        if status != 200:
            failed[u] = status
            continue
        ok.add(final)
        if "html" not in headers.get("Content-Type", ""):
            continue
        html = decode(tb, final, body)
        out = [urldefrag(urljoin(final, a.get("href")))[0] for a in lxml.html.fromstring(html).iter("a")
               if a.get("href")]
        m = re.search(r'createPageHTML\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)', html)
        if m:   # TRS: further pages only in the script call
            n, name, ext = int(m.group(1)), m.group(3), m.group(4)
            out += [urljoin(final, f"{name}.{ext}")] + [urljoin(final, f"{name}_{i}.{ext}") for i in range(1, n)]
        for v in out:
            if v.startswith(hosts) and v not in seen and v not in skip and not v.startswith(tuple(truth["traps"])):
                seen.add(v)
                queue.append(v)
    assert ok == {p["url"] for p in truth["pages"]}
    assert failed == {**{u: 404 for u in truth["broken_links"]}, **{u: 403 for u in truth["intranet"]}}


def test_charset_is_declared_as_drawn(beds):
    """Header and <meta> per site: both, only <meta>, only the header, or a header that lies (GBK bytes,
    header UTF-8, a truthful <meta charset=gbk>)."""
    checked = set()
    for tb in beds.values():
        truth = tb.ground_truth()
        for key, site in tb.estate.sites.items():
            mode = tb.estate.look_of(key).charset
            page = next(p for p in truth["pages"] if p["site"] == key and p["kind"] == "list")
            _, body, headers, _ = get(page["url"])
            ctype = headers["Content-Type"].lower()
            head = body[:body.find(b"</head>")].lower()
            declared = re.search(rb"<meta[^>]+charset=\"?([\w-]+)", head)
            if mode == "header":
                assert "charset=utf-8" in ctype and declared is None
            elif mode == "meta":
                assert "charset" not in ctype and declared is not None
            elif mode == "wrong":
                assert "charset=utf-8" in ctype and declared.group(1) == b"gbk" and site.encoding == "gbk"
                with pytest.raises(UnicodeDecodeError):
                    body.decode("utf-8")
            else:
                assert "charset=" in ctype and declared is not None
            body.decode("utf-8" if site.encoding == "utf-8" else "gb18030")
            checked.add((site.encoding, mode))
    assert len(checked) >= 4, checked


# ----------------------------------------------------------------------------- the school catalog

def test_generated_catalogs_load_with_the_product_and_the_truth_follows_their_splits(tmp_path):
    from monitor.catalog import load_catalog as product_catalog

    shapes: Counter = Counter()
    for seed in range(1000, 1020):
        e = Estate(seed=seed, layouts="generated")
        path = e.write_catalog(tmp_path / f"catalog-{seed}.yaml")
        cat = product_catalog(str(path), tmp_path)      # no validation error
        # the same items with the same titles and owners (the product orders new items by category)
        assert {it.id: (it.title, it.unit) for it in cat.items} == \
            {i: (it.title, it.unit) for i, it in e.catalog.items.items()}, seed
        for parent in e.plan.parts:
            for raw in e.plan.data["split"][parent]:
                shapes["own" if "keywords" in raw else "bare"] += 1
                if "keywords" not in raw:       # a bare part inherits its parent's keywords
                    assert set(cat.item(raw["id"]).keywords) >= set(product_catalog("national", tmp_path)
                                                                    .item(parent).keywords)
        truth = ground_truth(e, AS_OF)
        assert set(truth["items"]) == set(e.catalog.items)
        if "6" in e.plan.parts:    # 指南 / 目录 / 年度报告: each part has its own columns and evidence
            cols = {i: truth["items"][i]["columns"] for i in ("6.1", "6.2", "6.3")}
            assert [len(cols["6.1"]), len(cols["6.2"]), len(cols["6.3"])] == [1, 2, 1]
            assert all("年度报告" in ev["title"] for ev in truth["items"]["6.3"]["evidence"] if ev["kind"] == "article")
        else:
            assert len(truth["items"]["6"]["columns"]) == 4
        assert sum(truth["report_period"][k] for k in ("updated", "not_updated")) == len(truth["items"])
    assert shapes["own"] and shapes["bare"]


def test_written_config_names_the_catalog_next_to_it(beds, tmp_path):
    import yaml

    from monitor.config import load_config

    tb = beds[SEEDS[0]]
    cfg_path = tb.write_config(tmp_path / "school.yaml", database=tmp_path / "x.db")
    raw = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    assert Path(raw["catalog"]) == tmp_path / "school-catalog.yaml" and Path(raw["catalog"]).exists()
    cfg = load_config(cfg_path)
    assert {it.id for it in cfg.catalog_obj.items} == set(tb.estate.catalog.items)
    assert tb.ground_truth()["catalog"] == str(tmp_path / "school-catalog.yaml")
    for item, dates in raw["items"].items():
        assert item in tb.estate.catalog.items and dates["changes"]


# ----------------------------------------------------------------------------- the evaluate command

def test_evaluate_runs_one_seed_end_to_end(tmp_path):
    out = tmp_path / "eval.json"
    proc = subprocess.run([sys.executable, "-m", "monitor.testbed.evaluate", "--seeds", "1000", "-j", "1", "-v",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["seed", "evid.P", "evid.R", "last-chg"]
    assert any(line.startswith("1000 ") for line in lines) and any(line.startswith("all ") for line in lines)
    assert "layout xxgk" in proc.stdout and "--- seed 1000" in proc.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    seed = data["seeds"][0]
    assert seed["seed"] == 1000 and seed["scan"] == "done" and seed["seconds"] < 60
    for key in ("evid.P", "evid.R", "last-chg", "rows", "art-date"):
        assert 0.0 <= data["overall"][key] <= 1.0, key
    truth = seed["report"]["truth"]
    assert truth["updated"] + truth["not_updated"] == seed["last_changed"]["items"]
    assert seed["list_rows"]["rows"] > 400 and seed["article_dates"]["articles"] > 400


def test_cli_serves_a_generated_estate(tmp_path):
    cfg, truth_file = tmp_path / "xxgk.yaml", tmp_path / "truth.json"
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "testbed", "serve", "--layouts", "generated",
                             "--seed", "1003", "--as-of", "2019-09-01", "--config-out", str(cfg),
                             "--truth-out", str(truth_file)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for _ in range(40):
            line = proc.stdout.readline()
            lines.append(line)
            if "按 Ctrl-C 停止" in line or not line:
                break
        out = "".join(lines)
        assert "版式按种子 1003 生成" in out and "学校事项清单已写入" in out, out
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "xxgk-catalog.yaml").exists()
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    assert set(truth["items"]) == set(Estate(seed=1003, layouts="generated").catalog.items)
