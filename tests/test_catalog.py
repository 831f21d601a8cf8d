"""National and school catalogs: extends, drop, rename, split, overrides, added items, errors with lines."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from monitor.catalog import CatalogError, load_catalog, national_path
from monitor.rules import parse_rule


def write(tmp_path: Path, text: str, name: str = "school-catalog.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_national_catalog():
    cat = load_catalog("national", Path("."))
    assert len(cat.items) == 50 and len(cat.categories) == 10
    assert [it.id for it in cat.items] == [str(i) for i in range(1, 51)]
    six = cat.item("6")
    assert six.category == "1" and six.category_name == "基本信息"
    assert six.title == "信息公开指南、依申请公开信息和不予公开信息目录、信息公开年度报告"
    assert six.rule == parse_rule({"kind": "annual", "due": "10-31", "opens": "09-01"})
    assert "公开招聘" in six.exclude and six.parent is None
    groups = cat.by_category()
    assert [c.name for c, _ in groups][:2] == ["基本信息", "招生考试信息"]
    assert sum(len(items) for _, items in groups) == 50
    assert cat.item("99") is None and "7" in cat
    assert national_path().is_file()
    # every item has a rule whose description is Chinese
    assert all(it.rule.describe() for it in cat.items)


def test_loaded_catalogs_are_independent_copies():
    a = load_catalog("national", Path("."))
    a.item("1").keywords.append("改动")
    assert "改动" not in load_catalog("national", Path(".")).item("1").keywords


def test_school_catalog_extends_national(tmp_path):
    write(tmp_path, """\
        name: 示例大学信息公开事项清单
        extends: national
        categories:
          - {id: "10", name: 其他信息}          # rename a category
          - {id: "11", name: 学校特色信息}      # add one
        drop: ["34"]
        rename: {"2": 学校章程及各项规章制度汇编}
        split:
          "50":
            - {id: "50.1", title: 突发事件应急处理预案、预警信息和处置情况}
            - {id: "50.2", title: 涉及学校的重大事件的调查和处理情况, keywords: [重大事件调查], unit: dwb}
        items:
          - id: "7"                      # override: only the fields written change
            unit: zsb
            rule: "window 03-01..05-31"
          - id: "5.1"
            category: "1"
            title: 学校年度工作要点
            rule: {kind: annual, due: "03-31", opens: "01-01"}
          - id: "51"
            category: "11"
            title: 学校年鉴
            keywords: [年鉴]
        """)
    cat = load_catalog("school-catalog.yaml", tmp_path)
    ids = [it.id for it in cat.items]
    assert cat.name == "示例大学信息公开事项清单"
    assert "34" not in ids and "50" not in ids
    assert len(cat.items) == 50 - 1 - 1 + 2 + 2
    assert cat.item("2").title == "学校章程及各项规章制度汇编"
    seven = cat.item("7")
    assert seven.unit == "zsb" and seven.rule.end == "05-31"
    assert seven.title.startswith("招生章程") and "招生计划" in seven.keywords   # untouched fields kept
    # split items inherit category, keywords and rule unless given
    s1, s2 = cat.item("50.1"), cat.item("50.2")
    assert s1.parent == "50" and s2.parent == "50"
    assert s1.category == "10" and s1.category_name == "其他信息"
    assert s1.keywords == load_catalog("national", tmp_path).item("50").keywords
    assert s2.keywords == ["重大事件调查"] and s2.unit == "dwb"
    assert s1.rule.kind == "event" and s2.rule.kind == "event"
    assert ids.index("50.1") + 1 == ids.index("50.2")
    # added items: grouped with their category; a new item without rule gets on_change
    assert ids.index("5.1") == ids.index("5") + 1
    assert cat.item("5.1").rule.due == "03-31"
    assert cat.item("51").category_name == "学校特色信息" and cat.item("51").rule.kind == "on_change"
    assert [c.id for c, _ in cat.by_category()][-1] == "11"


def test_chained_extends_keeps_national_parent(tmp_path):
    write(tmp_path, "extends: national\nsplit:\n  '1': [{id: '1.1', title: 办学规模}, {id: '1.2', title: 领导班子}]\n",
          "base.yaml")
    write(tmp_path, "extends: base.yaml\nsplit:\n  '1.2': [{id: '1.2.1', title: 校领导简介}]\n")
    cat = load_catalog(str(tmp_path / "school-catalog.yaml"), Path("/"))
    assert cat.item("1.2.1").parent == "1" and cat.item("1.1").parent == "1"


def test_standalone_catalog(tmp_path):
    write(tmp_path, """\
        name: 小清单
        categories: [{id: a, name: 甲类}]
        items:
          - {id: 1, category: a, title: 第一项, rule: static}
        """)
    cat = load_catalog("school-catalog.yaml", tmp_path)
    assert [it.id for it in cat.items] == ["1"] and cat.item("1").rule.kind == "static"


@pytest.mark.parametrize("text,expected", [
    ("extends: national\ndrop: ['34', '88']\n", ':2: drop[1]: 没有 id 为 "88" 的事项'),
    ("extends: national\nrename: {'99': 新标题}\n", ':2: rename["99"]: 没有 id 为 "99" 的事项'),
    ("extends: national\nsplit:\n  '77': [{id: '77.1', title: x}]\n", ':3: split["77"]: 没有 id 为 "77" 的事项'),
    ("extends: national\nitems:\n  - {id: '60', title: 新事项}\n", ':3: items[0]: 新增事项 "60" 缺少 category'),
    ("extends: national\nitems:\n  - {id: '60', category: '12', title: 新事项}\n",
     ':3: items[0].category: 事项 "60" 的类别 "12" 不存在'),
    ("extends: national\nitems:\n  - {id: '7', rule: {kind: annual}}\n", ":3: items[0].rule: 更新规则无效：annual 规则需要 due"),
    ("extends: national\nitems:\n  - {id: '7', keyword: [x]}\n", ':3: items[0].keyword: 未知字段 "keyword"'),
    ("extends: national\nitems:\n  - {id: '7', keyword: [x]}\n", '是不是想写 "keywords"？'),
    ("extends: nation\n", ':1: extends: 找不到被继承的清单 "nation"'),
    ("extends: national\nitems:\n  - {id: '60', category: '1', title: a}\n  - {id: '60', category: '1', title: b}\n",
     ':4: items[1].id: 重复的事项 id "60"'),
    ("extends: national\nsplit:\n  '50': [{id: '49', title: 重复}]\n", '重复的事项 id "49"'),
    ("items: [\n", "YAML 语法错误"),
])
def test_catalog_errors_name_file_line_and_field(tmp_path, text, expected):
    write(tmp_path, text)
    with pytest.raises(CatalogError) as exc:
        load_catalog("school-catalog.yaml", tmp_path)
    assert any("school-catalog.yaml" in p and expected in p for p in exc.value.problems), exc.value.problems


def test_missing_catalog_and_cycles(tmp_path):
    with pytest.raises(CatalogError) as exc:
        load_catalog("nope.yaml", tmp_path)
    assert "找不到事项清单文件" in str(exc.value)
    write(tmp_path, "extends: b.yaml\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(CatalogError) as exc:
        load_catalog("a.yaml", tmp_path)
    assert "循环继承" in str(exc.value)


def test_config_reports_catalog_errors_at_its_catalog_line(tmp_path):
    from monitor.config import ConfigError, load_config

    write(tmp_path, "extends: national\ndrop: ['99']\n")
    cfg = tmp_path / "xxgk.yaml"
    cfg.write_text("school: 测试大学\ndisclosure_site: http://x.edu.cn/\ncatalog: school-catalog.yaml\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert exc.value.problems[0].startswith(f"{cfg}:3: catalog: 无法加载事项清单：")
    assert 'drop[0]: 没有 id 为 "99" 的事项' in exc.value.problems[0]


def test_catalog_unit_must_exist_in_config(tmp_path):
    from monitor.config import ConfigError, load_config

    write(tmp_path, "extends: national\nitems:\n  - {id: '7', unit: zsb}\n")
    cfg = tmp_path / "xxgk.yaml"
    cfg.write_text("school: 测试大学\ndisclosure_site: http://x.edu.cn/\ncatalog: school-catalog.yaml\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert '事项清单中事项 7 的负责单位 "zsb" 未在 units 中定义' in str(exc.value)
    cfg.write_text(cfg.read_text(encoding="utf-8") + "units: [{id: zsb, name: 招生办}]\n", encoding="utf-8")
    assert load_config(cfg).catalog_obj.item("7").unit == "zsb"
