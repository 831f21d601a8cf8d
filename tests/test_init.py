"""`xxgk init URL` (issue 16): a starter config drafted from a school's disclosure site.

Real parts: the real command in a subprocess, crawling over real HTTP on 127.0.0.1 — the built-in simulated
university (monitor/testbed), and a small school served here with http.server that has a 信息公开目录 table,
a unit site on another port, a robots.txt, and a hostile page. The drafted file is loaded with the product's
own loader (monitor.config.load_config) and checked with `xxgk check`, unedited. The directory-table reader
is tested on small HTML strings.
"""
from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from monitor.config import load_config
from monitor.onboard.emit import comment
from monitor.onboard.read import directory_rows, parse
from tests.conftest import run_xxgk

CONFIG_KEYS = {"school", "timezone", "catalog", "database", "disclosure_site", "office", "units", "items"}


# ------------------------------------------------------------------ the directory-table reader (pure)

def _rows(html: str, base: str = "http://xxgk.example.edu.cn/gkml/"):
    return directory_rows(parse(html), base)


def test_directory_header_is_recognised_by_meaning_in_any_column_order():
    html = """<table>
      <tr><td>栏目链接</td><td>责任单位</td><td>序号</td><td>事项名称</td></tr>
      <tr><td><a href="../zsxx/zszc/">招生章程</a></td><td>招生办公室</td><td>7</td><td>招生章程及特殊类型招生办法</td></tr>
      <tr><td><a href="https://cwc.example.edu.cn/ysgk/">预算公开</a></td><td>财务处</td><td>19</td>
          <td>收支预算总表、收入预算表</td></tr>
    </table>"""
    rows = _rows(html)
    assert [(r.row, r.item, r.unit) for r in rows] == [(7, "招生章程及特殊类型招生办法", "招生办公室"),
                                                      (19, "收支预算总表、收入预算表", "财务处")]
    assert rows[0].links == (("招生章程", "http://xxgk.example.edu.cn/zsxx/zszc/"),)
    assert rows[1].links == (("预算公开", "https://cwc.example.edu.cn/ysgk/"),)


def test_directory_with_th_header_and_other_wording():
    html = """<table><thead><tr><th>编号</th><th>公开内容</th><th>公开网址</th><th>负责部门</th></tr></thead>
      <tbody><tr><td>一</td><td>学籍管理办法</td><td><a href="/xjgl/">查看</a></td><td>教务处</td></tr>
      <tr><td></td><td>  </td><td></td><td>教务处</td></tr></tbody></table>"""
    rows = _rows(html)
    assert len(rows) == 1                    # the row without an item is not a row of the directory
    assert (rows[0].item, rows[0].unit, rows[0].links) == ("学籍管理办法", "教务处",
                                                           (("查看", "http://xxgk.example.edu.cn/xjgl/"),))


def test_a_table_that_is_not_a_directory_gives_no_rows():
    html = """<table><tr><th>标题</th><th>发布日期</th></tr>
      <tr><td><a href="/a.htm">关于2019年招生工作的通知</a></td><td>2019-05-01</td></tr></table>"""
    assert _rows(html) == []


def test_directory_cells_are_one_line_and_unusable_links_are_dropped():
    html = """<table><tr><th>公开事项</th><th>责任部门</th><th>栏目链接</th></tr>
      <tr><td>学生申诉\nschool: 黑客大学</td><td>学生处<script>alert(1)</script></td>
          <td><a href="javascript:alert(1)">x</a><a href="http://127.0.0.1:99999/">y</a>
              <a href="http://xxgk.example.edu.cn/a b/">z</a><a href="/xsss/">学生申诉</a></td></tr></table>"""
    (row,) = _rows(html)
    assert row.item == "学生申诉 school: 黑客大学" and row.unit == "学生处"
    assert row.links == (("学生申诉", "http://xxgk.example.edu.cn/xsss/"),)


def test_a_comment_is_one_printable_line():
    text = comment("依据：导航「a\nschool: x\u2028b\x85c\rd」" + "长" * 500)
    assert text.startswith("# ") and "\n" not in text and "\r" not in text
    assert all(ch.isprintable() for ch in text) and len(text) <= 162


# ------------------------------------------------------------------ a small school served here

SCHOOL_PAGES = {
    "/": """<html><head><title>测试大学信息公开网</title></head><body>
        <div class="nav"><a href="/">首页</a><a href="/gkml/">信息公开目录</a><a href="/zszc/">招生章程</a>
        <a href="/gzzd/">规章制度</a><a href="/notice/">通知公告</a><a href="/private/">内部资料</a>
        <a href="{unit}">财务处</a></div>
        <div class="footer">版权所有 测试大学</div></body></html>""",
    "/gkml/": """<html><head><title>信息公开目录-测试大学信息公开网</title></head><body>
        <table><tr><td>栏目链接</td><td>责任部门</td><td>序号</td><td>公开事项</td></tr>
        <tr><td><a href="/zszc/">招生章程</a></td><td>招生办公室</td><td>1</td><td>招生章程及特殊类型招生办法</td></tr>
        <tr><td><a href="{unit}ysgk/">预算公开</a></td><td>财务处</td><td>2</td><td>收支预算总表、收入预算表</td></tr>
        <tr><td><a href="/aqgl/">校园安全</a></td><td>保卫处</td><td>3</td><td>校园安全管理与隐患排查整治情况</td></tr>
        <tr><td><a href="/evil/">x</a></td><td>恶意单位\n- id: pwned</td><td>4</td>
            <td>恶意事项\nschool: 攻破大学\n<script>alert(1)</script></td></tr>
        </table></body></html>""",
    "/zszc/": """<html><head><title>招生章程-测试大学信息公开网</title></head><body><ul class="list">
        <li><a href="/zszc/1.htm">测试大学2019年本科招生章程</a><span>2019-05-20</span></li>
        <li><a href="/zszc/2.htm">测试大学2018年本科招生章程</a><span>2018-05-18</span></li></ul></body></html>""",
    "/gzzd/": """<html><head><title>规章制度-测试大学信息公开网</title></head><body><ul class="list">
        <li><a href="/gzzd/1.htm">测试大学章程</a><span>2015-06-01</span></li></ul></body></html>""",
    "/notice/": """<html><head><title>测试大学\nschool: 黑客大学\nunits: [{{id: x}}]</title>
        <script>document.write("<a href='/js-only/'>脚本链接</a>")</script></head><body>
        <a href="/evil/">规章制度\nitems: {{"99": {{columns: [http://evil.example/]}}}}</a>
        <a href="http://127.0.0.1:99999/">端口</a><a href="javascript:alert(1)">脚本</a></body></html>""",
    "/evil/": """<html><head><title>'; school: 黑客大学 # \u2028disclosure_site: http://evil.example/</title>
        </head><body><p>恶意页面</p></body></html>""",
}
UNIT_PAGES = {
    "/": """<html><head><title>测试大学财务处</title></head><body><a href="/ysgk/">预算公开</a></body></html>""",
    "/ysgk/": """<html><head><title>预算公开-测试大学财务处</title></head><body><ul class="list">
        <li><a href="/ysgk/1.htm">测试大学2019年部门预算</a><span>2019-04-10</span></li></ul></body></html>""",
}
ROBOTS = "User-agent: *\nDisallow: /private/\n"


class _Site:
    def __init__(self, pages: dict[str, str]):
        self.pages = pages
        self.requests: list[tuple[str, str]] = []      # (path, user agent)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.requests.append((self.path, self.headers.get("User-Agent", "")))
                if self.path == "/robots.txt":
                    body, ctype, status = ROBOTS.encode(), "text/plain", 200
                elif self.path in site.pages:
                    body, ctype, status = site.pages[self.path].encode("utf-8"), "text/html; charset=utf-8", 200
                else:
                    body, ctype, status = b"<html><title>404</title></html>", "text/html", 404
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def small_school() -> Iterator[tuple[_Site, _Site]]:
    unit = _Site(UNIT_PAGES)
    school = _Site({path: html.format(unit=unit.url) for path, html in SCHOOL_PAGES.items()})
    yield school, unit
    school.close()
    unit.close()


@pytest.fixture(scope="module")
def small_draft(small_school, tmp_path_factory) -> Path:
    school, _ = small_school
    out = tmp_path_factory.mktemp("small") / "xxgk.yaml"
    proc = run_xxgk("init", school.url, "-o", str(out))
    assert "已起草" in proc.stdout and "本校事项清单" in proc.stdout
    return out


def test_the_directory_page_drafts_units_assignments_and_a_school_catalog(small_school, small_draft):
    school, unit = small_school
    cfg = load_config(small_draft)
    assert cfg.school == "测试大学" and cfg.disclosure_site == school.url
    units = {u.name: u for u in cfg.units}
    # the unit site (named by its home page's title) and the directory's 责任部门 without a site
    assert units["财务处"].sites == [unit.url]
    assert {"招生办公室", "保卫处"} <= set(units)
    assert units["招生办公室"].sites == [] and units["招生办公室"].id == "zsb"
    assert cfg.items["7"].columns == [school.url + "zszc/"] and cfg.items["7"].unit == units["招生办公室"].id
    assert cfg.items["19"].columns == [unit.url + "ysgk/"] and cfg.items["19"].unit == units["财务处"].id
    # the row no national item matches is the school's own item, in a catalog file next to the config
    own = [it for it in cfg.catalog_obj.items if it.title.startswith("校园安全管理")]
    assert len(own) == 1 and own[0].columns == [school.url + "aqgl/"] and own[0].unit == units["保卫处"].id
    assert cfg.catalog == "xxgk-catalog.yaml" and (small_draft.parent / "xxgk-catalog.yaml").exists()
    text = small_draft.read_text(encoding="utf-8")
    assert "# 依据：目录页第 1 行「招生章程及特殊类型招生办法」→ 栏目「招生章程」" in text
    assert "# 待核对：未找到该单位的网站" in text        # 招生办公室, 保卫处
    assert "没有找到信息公开目录页" not in text


def test_the_draft_passes_xxgk_check_unedited(small_draft):
    proc = run_xxgk("check", "--config", str(small_draft))
    assert "配置检查通过" in proc.stdout


def test_the_crawl_obeys_robots_txt_and_names_itself(small_school, small_draft):
    school, unit = small_school
    paths = [p for p, _ in school.requests]
    assert "/robots.txt" in paths and "/gkml/" in paths
    assert not any(p.startswith("/private/") for p in paths)
    assert all(ua.startswith("xxgk-monitor/") for _, ua in school.requests + unit.requests)
    assert "/" in [p for p, _ in unit.requests]            # a unit site: its home page only
    assert "/ysgk/1.htm" not in [p for p, _ in unit.requests]


def test_hostile_page_text_cannot_inject_yaml(small_draft):
    data = yaml.safe_load(small_draft.read_text(encoding="utf-8"))
    assert set(data) <= CONFIG_KEYS
    assert data["school"] == "测试大学" and "evil.example" not in str(data["disclosure_site"])
    assert "99" not in data.get("items", {}) and "pwned" not in {u["id"] for u in data["units"]}
    for path in (small_draft, small_draft.parent / "xxgk-catalog.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if any(bad in line for bad in ("黑客", "攻破", "<script>", "evil.example", "pwned")):
                # site text only ever inside a comment or as a quoted/plain scalar value, never as a key
                stripped = line.strip()
                assert stripped.startswith("#") or stripped.startswith(("- ", "title:", "name:")), line
    catalog = yaml.safe_load((small_draft.parent / "xxgk-catalog.yaml").read_text(encoding="utf-8"))
    assert set(catalog) == {"name", "extends", "items"}
    assert all(set(it) <= {"id", "category", "title", "keywords", "unit", "columns"} for it in catalog["items"])


# ------------------------------------------------------------------ the simulated university

@pytest.fixture(scope="module")
def testbed():
    from monitor.testbed import Testbed

    # a generated school (seed 1000): its own templates, column names and extra columns
    with Testbed(as_of=date(2019, 9, 1), seed=1000, layouts="generated") as tb:
        yield tb


def test_init_drafts_a_working_config_for_a_generated_school(testbed, tmp_path):
    out = tmp_path / "xxgk.yaml"
    proc = run_xxgk("init", testbed.sites["xxgk"], "-o", str(out))
    assert "学校：示例大学" in proc.stdout and "待核对" in proc.stdout
    cfg = load_config(out)
    assert cfg.school == "示例大学"
    sites = {s for u in cfg.units for s in u.sites}
    assert sites == {url for key, url in testbed.sites.items() if key != "xxgk"}   # every unit site it links
    names = {u.name: u.id for u in cfg.units}
    assert {"财务处": "cwc", "人事处": "rsc", "教务处": "jwc", "研究生院": "yjsy"}.items() <= names.items()
    text = out.read_text(encoding="utf-8")
    assert "# 待核对：没有找到信息公开目录页" in text and "# 待核对：督办部门名称和联系人" in text
    # every assignment carries its evidence; every column is a column of the site, never a file or an article
    assigned = {iid: ov for iid, ov in cfg.items.items() if ov.columns}
    assert len(assigned) >= 35
    lines = text.splitlines()
    for iid in assigned:
        at = lines.index(f"  '{iid}':")
        notes = []
        while lines[at - 1].startswith("  # "):
            at -= 1
            notes.append(lines[at])
        assert any(n.startswith("  # 依据：导航「") for n in notes), iid
    columns = [c for ov in assigned.values() for c in ov.columns]
    assert not [c for c in columns if c.lower().endswith((".pdf", ".doc", ".docx", ".xls", ".xlsx"))]
    assert not [c for c in columns if "/page.htm" in c]          # this site's articles
    assert cfg.items["21"].unit == "cwc" and cfg.items["19"].columns
    # columns the site files under a category that no national item names: the school's own catalog
    own = {it.title: it for it in cfg.catalog_obj.items if it.id.isdigit() and int(it.id) > 50}
    assert {"学位评定委员会", "党务信息", "新闻发言人"} <= set(own)
    assert own["学位评定委员会"].category == "8" and "新闻发布会" in own["新闻发言人"].keywords
    check = run_xxgk("check", "--config", str(out))
    assert "配置检查通过" in check.stdout


def _init(*args: str):
    from click.testing import CliRunner

    from monitor.cli import main

    return CliRunner().invoke(main, ["init", *args])


def test_an_existing_file_is_not_overwritten_without_force(small_school, tmp_path):
    school, _ = small_school
    out = tmp_path / "xxgk.yaml"
    out.write_text("school: 已有的配置\n", encoding="utf-8")
    again = _init(school.url, "-o", str(out))
    assert again.exit_code == 2 and "已存在" in again.output and "--force" in again.output
    assert out.read_text(encoding="utf-8") == "school: 已有的配置\n"
    (tmp_path / "xxgk-catalog.yaml").write_text("name: 旧清单\n", encoding="utf-8")
    out.unlink()
    assert _init(school.url, "-o", str(out)).exit_code == 2          # nor the school catalog next to it
    forced = _init(school.url, "-o", str(out), "--force")
    assert forced.exit_code == 0 and "已起草" in forced.output
    assert load_config(out).school == "测试大学"


@pytest.mark.parametrize("url, words", [("ftp://xxgk.example.edu.cn/", "http://"),
                                        ("xxgk.example.edu.cn", "http://"),
                                        ("http://xxgk.example.edu.cn:99999/", "端口")])
def test_not_a_web_address_is_refused_in_chinese(url, words, tmp_path):
    result = _init(url, "-o", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2 and result.output.startswith("错误：") and words in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_an_unreachable_site_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:          # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_xxgk("init", f"http://127.0.0.1:{port}/", "-o", str(tmp_path / "x.yaml"), check=False, timeout=120)
    assert proc.returncode == 2 and "无法访问" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_the_evaluation_pairs_own_items_by_the_urls_they_share():
    from monitor.testbed.init_eval import align_own_items

    hand = {("1", "u1", True), ("52", "a", False), ("52", "b", False), ("53", "c", False)}
    draft = {("1", "u1", True), ("55", "a", False), ("55", "b", False), ("51", "b", False), ("51", "c", False),
             ("54", "z", False)}
    got = align_own_items(hand, draft)
    # 55 shares two URLs with 52 (paired first), 51 then pairs with 53; 54 matches nothing of the hand's
    assert got == {("1", "u1", True), ("52", "a", False), ("52", "b", False), ("53", "b", False),
                   ("53", "c", False), ("draft:54", "z", False)}
