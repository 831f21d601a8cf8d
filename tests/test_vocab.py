"""The one vocabulary (monitor/core/vocab.py): every code the product produces has words in every variant, and
no module outside monitor/core keeps its own table of Chinese words for these codes (so they cannot drift)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from monitor import notify, rules
from monitor.core import vocab
from monitor.dashboard import notifications as notify_view

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def _consts(node: ast.AST | None) -> set[str]:
    """The string constants an expression can evaluate to (through ``a if c else b`` and ``x or "y"``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _consts(node.body) | _consts(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_consts(v) for v in node.values))
    return set()


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def produced(paths: list[str], *, names: tuple[str, ...] = (), calls: dict[str, int] | None = None,
             suffix: str = "") -> set[str]:
    """String constants the code puts into a field: assigned to a variable or attribute in ``names`` (or,
    in a tuple assignment, one ending in ``suffix``), passed as such a keyword, or as argument ``i`` of ``calls``."""
    found: set[str] = set()
    for rel in paths:
        for path in sorted(ROOT.glob(rel)):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if _name(target) in names:
                            found |= _consts(node.value)
                        if suffix and isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                            for t, v in zip(target.elts, node.value.elts):
                                if _name(t).endswith(suffix):
                                    found |= _consts(v)
                elif isinstance(node, ast.Call):
                    found |= set().union(*(_consts(k.value) for k in node.keywords if k.arg in names))
                    index = (calls or {}).get(_name(node.func))
                    if index is not None and len(node.args) > index:
                        found |= _consts(node.args[index])
    return found


PRODUCED: dict[str, set[str]] = {
    "STATUS": produced(["monitor/rules.py"], calls={"Verdict": 0})
    | produced(["monitor/assess.py"], calls={"result": 0}) | set(notify.NOTIFY_STATUSES),
    "KIND": produced(["crawler/extract/*.py", "monitor/assess.py", "monitor/matching/*.py"], names=("kind", "target")),
    "DATE_SOURCE": produced(["crawler/extract/*.py", "crawler/pipelines.py"], names=("date_source",), suffix="_source",
                            calls={"_Cand": 1})
    | produced(["monitor/assess.py"], names=("date_source",)) | {"linking", "observed"},
    "MATCH_METHOD": produced(["monitor/matching/*.py"], names=("method",), calls={"Candidate": 2}),
    "RULE_KIND": set(rules.KINDS),
    "NOTIFY_STATE": {s for states in notify_view.RESULTS.values() for s in states},
}


def test_codes_were_found_where_they_are_made() -> None:
    # The harvest itself: if these go missing, the producers moved and PRODUCED must follow them.
    assert {"ok", "due_soon", "overdue", "missing", "blank", "undated", "unreachable"} <= PRODUCED["STATUS"]
    assert {"article", "list", "attachment", "other", "entry", "column"} <= PRODUCED["KIND"]
    assert {"meta", "label", "url", "heading", "signature", "http", "list"} <= PRODUCED["DATE_SOURCE"]
    assert {"override", "navigation", "offsite", "similarity", "inherited", "manual"} <= PRODUCED["MATCH_METHOD"]


@pytest.mark.parametrize("name", sorted(PRODUCED))
def test_every_produced_code_has_words_in_every_variant(name: str) -> None:
    v = vocab.ALL[name]
    missing = PRODUCED[name] - set(v.label)
    assert not missing, f"{name}: codes without a label: {missing}"
    for variant in v.variants:
        assert set(getattr(v, variant)) == set(v.label), (name, variant)


@pytest.mark.parametrize("name", sorted(vocab.ALL))
def test_words_are_chinese_and_every_variant_complete_and_in_order(name: str) -> None:
    v = vocab.ALL[name]
    assert v.order == tuple(v.label) and len(set(v.order)) == len(v.order)
    for variant in ("label", *v.variants):
        words = getattr(v, variant)
        assert tuple(words) == v.order, (name, variant)
        assert all(isinstance(w, str) and w.strip() and CJK.search(w) for w in words.values()), (name, variant)


def test_the_other_status_orders_list_every_status_once() -> None:
    for order in (vocab.STATUS_BY_URGENCY, vocab.STATUS_DIGEST_ORDER):
        assert sorted(order) == sorted(vocab.STATUS.order)
    assert vocab.RULE_KIND.order == rules.KINDS


def test_an_unknown_variant_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        vocab.STATUS.notice  # noqa: B018
    with pytest.raises(ValueError):
        vocab.Vocabulary({"a": "甲", "b": "乙"}, formal={"a": "甲"})


def _label_tables(path: Path) -> list[tuple[int, str]]:
    """Dict literals that give Chinese words to two or more codes of one vocabulary (messages ending in 。 are
    notices, not labels)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict):
            continue
        pairs = {k.value: v.value for k, v in zip(node.keys, node.values)
                 if isinstance(k, ast.Constant) and isinstance(k.value, str)
                 and isinstance(v, ast.Constant) and isinstance(v.value, str) and CJK.search(v.value)
                 and not v.value.endswith("。")}
        for name, v in vocab.ALL.items():
            if len(set(pairs) & set(v.label)) >= 2:
                out.append((node.lineno, name))
                break
    return out


def test_no_label_table_outside_the_vocabulary() -> None:
    # monitor/testbed is the simulated school: its words are the school's pages and the ground truth's, not ours.
    found = [f"{p.relative_to(ROOT)}:{line}: words for {name} codes (use monitor.core.vocab.{name})"
             for pkg in ("monitor", "crawler") for p in sorted((ROOT / pkg).rglob("*.py"))
             if "core" not in p.relative_to(ROOT).parts[:2] and "testbed" not in p.parts
             for line, name in _label_tables(p)]
    assert not found, "\n".join(found)


def test_the_templates_name_no_status_by_a_table_of_their_own() -> None:
    # Templates read words from ``vocab`` (a Jinja global) or the ``labels`` the page passes.
    for path in (ROOT / "monitor" / "dashboard" / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for old in ("STATUSES", "ROLE_LABELS", "match_state", "target_labels", "evidence_kinds"):
            assert old not in text, (path.name, old)


def test_one_rule_describer_for_every_form() -> None:
    # Status tables, the dashboard and the report all call monitor.rules.describe_rule.
    parsed = rules.parse_rule("annual 10-31 opens 09-01")
    assert rules.describe_rule(parsed) == rules.describe_rule({"kind": "annual", "due": "10-31", "opens": "09-01"}) \
        == rules.describe_rule("annual 10-31 opens 09-01") == ("annual", "每年10月31日前（自9月1日起）")
    assert rules.describe_rule(None) == ("", "未设定")
    # A rule the grammar rejects is described from what it says, not hidden.
    assert rules.describe_rule({"kind": "periodic", "every": "6m", "typo": 1}) == ("periodic", "每6个月更新")
    assert rules.describe_rule("annual 13-45") == ("annual", "annual 13-45")
