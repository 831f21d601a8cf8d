"""A school catalog that splits national items into parts with only an id, a title and a unit
(docs/configuration.md, ``split``): each part inherits the parent's keywords, and still every
column of the family must go to the part it is about, not tie between all of them (issue 13)."""
from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.matching import match_all
from monitor.matching.context import build_index, catalog_items
from monitor.store import open_db, rows
from tests.test_matching import Estate

G = "http://gk.split.edu.cn"

CATALOG = """\
name: 拆分大学信息公开目录
extends: national
split:
  '1':
    - {id: '1.1', title: 办学基本情况, unit: xb}
    - {id: '1.2', title: 校级领导班子简介及分工, unit: xb}
  '2':
    - {id: '2.1', title: 学校章程, unit: xb}
    - {id: '2.2', title: 学校规章制度, unit: xb}
  '6':
    - {id: '6.1', title: 信息公开指南, unit: xxgkb}
    - {id: '6.2', title: 依申请公开和不予公开信息目录, unit: xxgkb}
    - {id: '6.3', title: 信息公开年度报告, unit: xxgkb}
"""
CONFIG = f"""\
school: 拆分大学
disclosure_site: {G}/
database: x.db
catalog: cat.yaml
units:
  - {{id: xb, name: 校长办公室}}
  - {{id: xxgkb, name: 信息公开办公室}}
"""


@pytest.fixture()
def cfg(tmp_path: Path):
    (tmp_path / "cat.yaml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "x.yaml").write_text(CONFIG, encoding="utf-8")
    return load_config(tmp_path / "x.yaml")


@pytest.mark.parametrize("label,part", [
    ("学校章程", "2.1"), ("大学章程", "2.1"), ("章程", "2.1"), ("规章制度", "2.2"), ("规章制度汇编", "2.2"),
    ("制度汇编", "2.2"), ("信息公开指南", "6.1"), ("公开指南", "6.1"), ("依申请公开", "6.2"), ("不予公开信息目录", "6.2"),
    ("信息公开年度报告", "6.3"), ("年度报告", "6.3"), ("学校概况", "1.1"), ("学校简介", "1.1"), ("机构设置", "1.1"),
    ("领导班子", "1.2"), ("拆分大学章程（2018年修订）", "2.1"), ("拆分大学2018-2019学年信息公开工作年度报告", "6.3"),
])
def test_inherited_words_go_to_the_part_they_are_about(cfg, label: str, part: str) -> None:
    best = build_index(catalog_items(cfg)).score(label, limit=2)
    assert best and best[0].item_id == part, best
    siblings = {"1": ("1.1", "1.2"), "2": ("2.1", "2.2"), "6": ("6.1", "6.2", "6.3")}[part.split(".")[0]]
    assert not [s for s in best[1:] if s.item_id in siblings and best[0].score - s.score < 0.1], best


def test_parts_with_their_own_keywords_keep_them(tmp_path: Path) -> None:
    (tmp_path / "cat.yaml").write_text(CATALOG.replace(
        "{id: '2.2', title: 学校规章制度, unit: xb}", "{id: '2.2', title: 学校规章制度, unit: xb, keywords: [章程, 制度]}"),
        encoding="utf-8")
    (tmp_path / "x.yaml").write_text(CONFIG, encoding="utf-8")
    index = build_index(catalog_items(load_config(tmp_path / "x.yaml")))
    # 2.2 says 章程 is its own word too: the label names both parts, as the school wrote it
    got = {s.item_id: s.score for s in index.score("章程", limit=3)}
    assert {"2.1", "2.2"} <= set(got)


def test_split_family_columns_are_matched_without_review(cfg) -> None:
    db = open_db(cfg.database_path)
    e = Estate(db)
    cols = [("xxzc", "学校章程", "拆分大学章程（2018年修订）", "2.1"), ("gzzd", "规章制度", "拆分大学学生手册", "2.2"),
            ("gkzn", "信息公开指南", "拆分大学信息公开指南", "6.1"),
            ("ysq", "依申请公开", "依申请公开信息申请表", "6.2"),
            ("ndbg", "信息公开年度报告", "拆分大学2018-2019学年信息公开工作年度报告", "6.3"),
            ("xxjj", "学校简介", "拆分大学简介", "1.1"), ("ldbz", "领导班子", "现任校领导", "1.2")]
    e.page(f"{G}/", "other", "拆分大学信息公开网")
    e.links(f"{G}/", [(f"{G}/{key}/list.htm", label) for key, label, _, _ in cols])
    for n, (key, label, title, _) in enumerate(cols):
        e.column(f"{G}/{key}/list.htm", label, [(f"{G}/2019/0101/c{n}a{n}/page.htm", title)])
        e.article(f"{G}/2019/0101/c{n}a{n}/page.htm", title)
    match_all(db, cfg, 1)
    for n, (key, label, _title, part) in enumerate(cols):
        for url in (f"{G}/{key}/list.htm", f"{G}/2019/0101/c{n}a{n}/page.htm"):
            got = [(r["item_id"], r["state"]) for r in rows(db, "SELECT * FROM matches WHERE url=?", (url,))]
            assert got == [(part, "auto")], (label, url, got)


def test_a_word_sharing_a_settled_word_goes_with_it(tmp_path: Path) -> None:
    """「领导分工」 inherits to both parts; the leadership part is titled only 校级领导班子 (no 分工), but it
    already holds 「领导班子」: a word sharing 「领导」 with it belongs there, not to the part keeping the
    parent's name. 「学校简介」 shares nothing with it and stays with 办学基本情况."""
    (tmp_path / "cat.yaml").write_text(CATALOG.replace("title: 校级领导班子简介及分工", "title: 校级领导班子"),
                                       encoding="utf-8")
    (tmp_path / "x.yaml").write_text(CONFIG, encoding="utf-8")
    index = build_index(catalog_items(load_config(tmp_path / "x.yaml")))
    assert index.score("领导分工", limit=1)[0].item_id == "1.2"
    assert index.score("学校简介", limit=1)[0].item_id == "1.1"


def test_a_label_is_matched_by_its_head_when_nothing_else_fits(cfg, tmp_path: Path) -> None:
    # Chinese puts the head noun last: 主动公开目录 is a 公开目录, inside part 6.2's own word 信息公开目录
    (tmp_path / "cat.yaml").write_text(CATALOG.replace(
        "{id: '6.2', title: 依申请公开和不予公开信息目录, unit: xxgkb}",
        "{id: '6.2', title: 依申请公开和不予公开信息目录, unit: xxgkb, keywords: [依申请公开, 不予公开, 信息公开目录]}"),
        encoding="utf-8")
    (tmp_path / "x.yaml").write_text(CONFIG, encoding="utf-8")
    best = build_index(catalog_items(load_config(tmp_path / "x.yaml"))).score("主动公开目录", limit=2)
    assert best and best[0].item_id == "6.2" and best[0].score >= 0.6, best
    # a label that fits on its own is not re-read by its head
    assert build_index(catalog_items(cfg)).score("学生申诉处理", limit=1)[0].item_id == "39"
