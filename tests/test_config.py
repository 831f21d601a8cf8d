"""School configuration: defaults, helpers, and one clear Chinese line (with file:line) per mistake."""
from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import ConfigError, load_config
from monitor.core import clock

BASE = """\
school: 示例大学
disclosure_site: https://xxgk.example.edu.cn/
units:
  - id: zsb
    name: 招生办公室
    sites: [https://zsb.example.edu.cn/]
    contacts:
      - {name: 王老师, notify: "mailto://user:${XXGK_TEST_PW}@smtp.example.edu.cn?to=wang@example.edu.cn"}
  - id: cwc
    name: 财务处
    sites: [https://cwc.example.edu.cn/, https://xxgk.example.edu.cn/]
items:
  "7": {unit: zsb, columns: ["https://zsb.example.edu.cn/zszc/list.htm"], rule: "window 03-01..06-30",
        keywords: [招生信息网], changes: [2019-06-03]}
"""


def write(tmp_path: Path, text: str, name: str = "xxgk.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    return exc.value.problems


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("XXGK_TEST_PW", "s3cret")
    yield
    clock.set_timezone(clock.DEFAULT_TZ)


def test_valid_config_defaults_and_helpers(tmp_path):
    cfg = load_config(write(tmp_path, BASE))
    assert cfg.school == "示例大学" and cfg.timezone == "Asia/Shanghai"
    assert cfg.path == (tmp_path / "xxgk.yaml").absolute() and cfg.base_dir == tmp_path.absolute()
    assert cfg.database_path == tmp_path.absolute() / "data" / "xxgk.db"
    assert cfg.crawl.max_pages_per_site == 5000 and cfg.crawl.obey_robots is True
    assert cfg.schedule.scan == "30 2 * * *" and cfg.dashboard.port == 8000
    # secrets come from the environment
    assert cfg.units[0].contacts[0].notify == "mailto://user:s3cret@smtp.example.edu.cn?to=wang@example.edu.cn"
    sites = cfg.all_sites()
    assert [(s.url, s.host, s.unit_id, s.role) for s in sites] == [
        ("https://xxgk.example.edu.cn/", "xxgk.example.edu.cn", None, "disclosure"),
        ("https://zsb.example.edu.cn/", "zsb.example.edu.cn", "zsb", "unit"),
        ("https://cwc.example.edu.cn/", "cwc.example.edu.cn", "cwc", "unit"),
    ]
    assert cfg.unit("cwc").name == "财务处" and cfg.unit("nope") is None
    item = cfg.catalog_obj.item("7")
    assert item.unit == "zsb" and item.columns == ["https://zsb.example.edu.cn/zszc/list.htm"]
    assert item.rule.kind == "window" and "招生信息网" in item.keywords and "招生章程" in item.keywords
    assert item.changes == [date(2019, 6, 3)]
    assert cfg.catalog_obj is cfg.catalog_obj          # cached
    assert len(cfg.catalog_obj.items) == 50


def test_trusted_proxies(tmp_path):
    assert load_config(write(tmp_path, BASE)).dashboard.trusted_proxies == []
    cfg = load_config(write(tmp_path, BASE + "dashboard:\n  trusted_proxies: [127.0.0.1, 10.20.0.0/16, '::1']\n"))
    assert cfg.dashboard.trusted_proxies == ["127.0.0.1/32", "10.20.0.0/16", "::1/128"]


def test_timezone_is_applied_to_the_clock(tmp_path):
    load_config(write(tmp_path, BASE + "timezone: Asia/Urumqi\n"))
    assert str(clock.timezone()) == "Asia/Urumqi"


def test_database_and_catalog_paths_are_relative_to_the_config(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "school-catalog.yaml").write_text(
        "extends: national\nname: 测试大学清单\ndrop: ['34']\n", encoding="utf-8")
    cfg = load_config(write(tmp_path / "conf", BASE + "database: db/x.db\ncatalog: school-catalog.yaml\n"))
    assert cfg.database_path == (tmp_path / "conf" / "db" / "x.db").absolute()
    assert cfg.catalog_obj.name == "测试大学清单" and len(cfg.catalog_obj.items) == 49


@pytest.mark.parametrize("extra,expected", [
    # unknown field: which fields are allowed and the nearest one
    ("crawl:\n  max_page_per_site: 10\n",
     'xxgk.yaml:16: crawl.max_page_per_site: 未知字段 "max_page_per_site"，允许的字段：max_pages_per_site、'),
    ("crawl:\n  max_page_per_site: 10\n", '是不是想写 "max_pages_per_site"？'),
    ("scheduel: {scan: '0 1 * * *'}\n", '是不是想写 "schedule"？'),
    # wrong type
    ("crawl:\n  timeout: 半分钟\n", "xxgk.yaml:16: crawl.timeout: 应为数字，实际为 文本 '半分钟'"),
    ("crawl:\n  obey_robots: 也许\n", "xxgk.yaml:16: crawl.obey_robots: 应为 true 或 false"),
    ("dashboard: {port: 70000}\n", "xxgk.yaml:15: dashboard.port: 应不大于 65535"),
    ("dashboard:\n  trusted_proxies:\n    - 127.0.0.1\n    - proxy.example.edu.cn\n",
     "xxgk.yaml:18: dashboard.trusted_proxies[1]: 应为反向代理的 IP 地址或地址段（如 127.0.0.1 或 10.0.0.0/24），"
     "实际为 'proxy.example.edu.cn'"),
    ("dashboard: {trusted_proxies: [10.0.0.0/33]}\n", "xxgk.yaml:15: dashboard.trusted_proxies[0]: 应为反向代理的"),
    ("dashboard: {trusted_proxies: 127.0.0.1}\n", "xxgk.yaml:15: dashboard.trusted_proxies: 应为列表"),
    # bad cron, timezone, regex, selector, network
    ("schedule:\n  scan: '61 2 * * *'\n", "xxgk.yaml:16: schedule.scan: 不是有效的 cron 表达式"),
    ("timezone: Asia/Beijing\n", "xxgk.yaml:15: timezone: 未知的时区 'Asia/Beijing'"),
    ("crawl:\n  ignore_urls: ['([a-z]']\n", "xxgk.yaml:16: crawl.ignore_urls[0]: 不是有效的正则表达式"),
    ("crawl:\n  selectors:\n    zsb.example.edu.cn: {title: 'h1[class'}\n",
     'xxgk.yaml:17: crawl.selectors["zsb.example.edu.cn"].title: 不是有效的 CSS 选择器'),
    ("compliance: {intranet_ranges: [10.0.0.0/33]}\n", "compliance.intranet_ranges[0]: 应为 IP 地址段"),
    # bad rule
    ("items:\n  '6': {rule: {kind: annual, due: '10-32'}}\n", 'xxgk.yaml:13: items["6"].rule: 更新规则无效：due 不是有效的月日'),
])
def test_field_mistakes_name_line_and_field(tmp_path, extra, expected):
    text = BASE.replace('items:\n  "7"', 'itemsX:\n  "7"') if extra.startswith("items:") else BASE
    text = text.replace('itemsX:\n  "7": {unit: zsb, columns: ["https://zsb.example.edu.cn/zszc/list.htm"], '
                        'rule: "window 03-01..06-30",\n        keywords: [招生信息网], changes: [2019-06-03]}\n', "")
    found = problems(tmp_path, text + extra)
    assert any(expected in p for p in found), found


def test_bad_urls_duplicate_units_and_unknown_references(tmp_path):
    text = BASE.replace("sites: [https://zsb.example.edu.cn/]", "sites: [zsb.example.edu.cn]")
    text = text.replace("- id: cwc", "- id: zsb")
    text = text.replace('"7": {unit: zsb,', '"7": {unit: jwc,')
    text += '  "99": {unit: zsb}\n'
    found = problems(tmp_path, text)
    assert found == [
        "%s:6: units[0].sites[0]: 应为以 http:// 或 https:// 开头并带主机名的网址，实际为 'zsb.example.edu.cn'"
        % (tmp_path / "xxgk.yaml"),
    ]
    text = text.replace("sites: [zsb.example.edu.cn]", "sites: [https://zsb.example.edu.cn/]")
    found = problems(tmp_path, text)
    name = str(tmp_path / "xxgk.yaml")
    assert found[0] == f'{name}:9: units[1].id: 重复的单位 id "zsb"'
    assert found[1].startswith(f'{name}:13: items["7"].unit: 单位 "jwc" 未在 units 中定义（已定义：zsb）')
    assert found[2].startswith(f'{name}:15: items["99"]: 事项清单“高等学校信息公开事项清单”中没有 id 为 "99" 的事项')
    assert len(found) == 3


def test_missing_required_fields_and_bad_unit_id(tmp_path):
    found = problems(tmp_path, "school: 示例大学\nunits:\n  - {id: Zhao Sheng, name: 招生办}\n")
    assert any(p.endswith(": disclosure_site: 缺少必填字段") for p in found), found
    assert any(":3: units[0].id: 单位 id 只能包含小写字母、数字、下划线和连字符" in p for p in found), found


def test_unset_environment_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("XXGK_TEST_PW")
    found = problems(tmp_path, BASE)
    assert len(found) == 1 and ":8: units[0].contacts[0].notify: 环境变量 XXGK_TEST_PW 未设置" in found[0]


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    found = problems(tmp_path, "school: 示例大学\ndisclosure_site: https://x.edu.cn/\nunits: [\n  {id: a\n")
    assert len(found) == 1 and "YAML 语法错误" in found[0]
    assert found[0].startswith(str(tmp_path / "xxgk.yaml") + ":")
    line, col = found[0].split(":")[1:3]
    assert line.isdigit() and col.isdigit()
    found = problems(tmp_path, "school: a\nschool: b\ndisclosure_site: https://x.edu.cn/\n")
    assert found == [f'{tmp_path / "xxgk.yaml"}:2: school: 重复的键 "school"（同一层只能写一次）']


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "nope.yaml")
    assert "找不到配置文件" in str(exc.value)
    assert "配置文件是空的" in problems(tmp_path, "# nothing yet\n")[0]
    assert "顶层应为映射" in problems(tmp_path, "- a\n- b\n")[0]


def test_check_command(tmp_path):
    path = write(tmp_path, BASE)
    res = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert res.exit_code == 0, res.output
    assert "配置检查通过" in res.output and "示例大学" in res.output
    assert "10 类 50 项" in res.output and "责任单位：2 个" in res.output and "监测站点：3 个" in res.output

    bad = write(tmp_path, BASE + "crawl: {timeout: -1}\n", "bad.yaml")
    res = CliRunner().invoke(main, ["check", "--config", str(bad)])
    assert res.exit_code == 2
    assert "bad.yaml:15: crawl.timeout: 应大于 0" in res.output and "Traceback" not in res.output

    res = CliRunner().invoke(main, ["check", "--config", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2 and "找不到配置文件" in res.output


def test_example_config_is_valid(monkeypatch):
    example = Path(__file__).resolve().parent.parent / "config" / "examples" / "school.yaml"
    monkeypatch.setenv("SMTP_PASSWORD", "x")
    monkeypatch.setenv("WECOM_KEY", "x")
    cfg = load_config(example)
    assert cfg.school and len(cfg.catalog_obj.items) == 50
    assert cfg.units and all(u.sites for u in cfg.units)


def test_compliance_settings_defaults_overrides_and_mistakes(tmp_path):
    from monitor.compliance.links import LinkSettings
    from monitor.compliance.sites import UNREACHABLE_CHECKS, UNREACHABLE_DAYS

    cfg = load_config(write(tmp_path, BASE + "crawl: {download_delay: 1.5, timeout: 45}\n"))
    comp = cfg.compliance
    assert (comp.check_links, comp.max_link_checks, comp.link_check_delay, comp.link_check_timeout,
            comp.link_check_seconds) == (True, 2000, None, None, 900)
    assert (comp.unreachable_checks, comp.unreachable_days) == (UNREACHABLE_CHECKS, UNREACHABLE_DAYS) == (3, 2)
    # unset delay/timeout follow the crawl's (the timeout capped at 30 s)
    ls = LinkSettings.from_config(cfg)
    assert (ls.enabled, ls.max_urls, ls.delay, ls.timeout, ls.total_seconds) == (True, 2000, 1.5, 30.0, 900.0)

    cfg = load_config(write(tmp_path, BASE + textwrap.dedent("""\
        compliance:
          check_links: false
          max_link_checks: 300
          link_check_delay: 2
          link_check_timeout: 10
          link_check_seconds: 120
          unreachable_checks: 5
          unreachable_days: 3
        """)))
    ls = LinkSettings.from_config(cfg)
    assert (ls.enabled, ls.max_urls, ls.delay, ls.timeout, ls.total_seconds) == (False, 300, 2.0, 10.0, 120.0)
    assert (cfg.compliance.unreachable_checks, cfg.compliance.unreachable_days) == (5, 3)

    found = problems(tmp_path, BASE + "compliance:\n  max_link_checks: 0\n  link_check_timeout: 0\n"
                                      "  unreachable_days: 两天\n  check_link: true\n")
    name = str(tmp_path / "xxgk.yaml")
    assert f"{name}:16: compliance.max_link_checks: 应不小于 1，实际为 0" in found
    assert f"{name}:17: compliance.link_check_timeout: 应大于 0，实际为 0" in found
    assert any(p.startswith(f"{name}:18: compliance.unreachable_days: 应为整数") for p in found), found
    assert any(p.startswith(f"{name}:19: compliance.check_link: 未知字段") and '是不是想写 "check_links"' in p
               for p in found), found


def test_site_status_reads_the_reachability_thresholds_from_the_config(tmp_path):
    from monitor.compliance.sites import site_status
    from monitor.store import open_db

    cfg = load_config(write(tmp_path, BASE + "database: x.db\ncompliance: {unreachable_checks: 2, unreachable_days: 1}\n"))
    db = open_db(cfg.database_path)
    home = "https://zsb.example.edu.cn/"
    for i, day in enumerate(("2019-10-14", "2019-10-15")):
        db.execute("INSERT INTO site_checks (scan_id, site, unit, checked_at, ok, status, category, reason) "
                   "VALUES (?,?,?,?,?,?,?,?)", (i + 1, home, "zsb", f"{day}T03:00:00+08:00", 0, 503,
                                                "server_error", "HTTP 503"))
    db.conn.commit()
    by_site = {s["site"]: s for s in site_status(db, cfg)}
    assert by_site[home]["status"] == "unreachable"
    strict = load_config(write(tmp_path, BASE + "database: x.db\n"))   # defaults: 3 checks on 2 days
    assert {s["site"]: s for s in site_status(db, strict)}[home]["status"] == "degraded"
