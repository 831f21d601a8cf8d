"""The layers: data flows fetch -> extract -> store -> match -> assess -> present, and imports point the
same way. An AST walk of every import (function-local ones included: an import inside a function still
couples the modules) checks three rules:

1. a module imports only its own stage, earlier stages and ``monitor.core`` (``RANKS``);
2. only the command layer (``monitor.cli``, the ``*_command`` modules) imports click;
3. no import cycle between modules.

``KNOWN`` lists the violations that exist today and that the restructure (issue "One house") is removing:
the test fails on any *new* violation, and on a listed one that is gone (so the list only shrinks).
docs/architecture.md says where a new module goes.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "spiders", "monitor")

# Lower ranks may be imported by higher ones; the longest matching prefix decides a module's rank.
RANKS: dict[str, int] = {
    "monitor.core": 0,                      # clock, workdays, locks, logging, private files, safe text
    "monitor": 0,                           # the package itself (__version__)
    "crawler.extract": 1,                   # pure bytes -> PageRecord
    "monitor.rules": 2, "monitor.catalog": 2, "monitor.config": 2,   # the school's inputs
    "monitor.store": 3,                     # page history
    "monitor.pii": 3,                       # pure detection and masking (the store redacts with it)
    "crawler": 4, "spiders": 4,             # the Scrapy runtime writes into the store
    "monitor.textsim": 5, "monitor.matching": 5,
    "monitor.assess": 6,
    "monitor.linkcheck": 7, "monitor.compliance": 7,
    "monitor.status": 8, "monitor.notify": 8, "monitor.report": 8, "monitor.report_docx": 8,
    "monitor.report_html": 8, "monitor.report_xlsx": 8, "monitor.warc_export": 8, "monitor.auth": 8,
    "monitor.dashboard": 9,
    "monitor.scan": 10, "monitor.service": 10,      # the spine and the scheduler
    "monitor.cli": 11, "monitor.testbed": 11,       # commands; the simulated university, demo, bench
}

# Violations present today (module -> imported module), to be removed by the restructure.
# Domain modules that still import click options and `fail` from monitor.cli: they move to monitor/commands/.
_CLI_USERS = ("crawler.inspect", "monitor.auth", "monitor.compliance", "monitor.config", "monitor.dashboard.app",
              "monitor.dashboard.estate", "monitor.matching", "monitor.notify", "monitor.report", "monitor.scan",
              "monitor.service", "monitor.status")
KNOWN_BACKWARD: set[tuple[str, str]] = {(m, "monitor.cli") for m in _CLI_USERS} | {
    ("monitor.auth", "monitor.dashboard.estate"),   # labels: go to the one vocabulary
    ("monitor.dashboard.scanrun", "monitor.scan"),  # the dashboard's scan button: goes through the service
}
KNOWN_CLICK: set[str] = set(_CLI_USERS) - {"monitor.dashboard.estate"}
KNOWN_CYCLES: set[frozenset[str]] = {
    frozenset({"monitor.catalog", "monitor.config"}),   # YAML-with-lines and Chinese errors: to monitor/core
    frozenset({"monitor.report", "monitor.report_docx", "monitor.report_html", "monitor.report_xlsx",
               "monitor.warc_export"}),                 # the report model, split from its renderers
    frozenset({"monitor.testbed", "monitor.testbed.server"}),
    frozenset({"monitor.testbed.cms.asp", "monitor.testbed.cms.base", "monitor.testbed.cms.jsp",
               "monitor.testbed.cms.portal", "monitor.testbed.cms.services", "monitor.testbed.cms.simple",
               "monitor.testbed.cms.trs", "monitor.testbed.cms.vsb", "monitor.testbed.cms.webplus",
               "monitor.testbed.estate", "monitor.testbed.text"}),
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Project modules ``module`` imports (``from pkg import mod`` resolved to the module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                     for a in node.names]
        for name in names:
            if name.split(".")[0] in PACKAGES and name != module:
                found.add(name if name in known else _owner(name, known))
    return found


def _owner(name: str, known: set[str]) -> str:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def _imports_click(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "click" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click":
            return True
    return False


def rank(module: str) -> int:
    best = ""
    for prefix in RANKS:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    assert best, f"{module}: no layer in tests/test_layers.py RANKS — say where it belongs"
    return RANKS[best]


def graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {m: {i for i in _imports(p, m, known) if i} for m, p in mods.items()}


def backward_imports(g: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(m, i) for m, deps in g.items() for i in deps
            if rank(i) > rank(m) and not (i == "monitor" or m.startswith(i + "."))}


def click_users() -> set[str]:
    return {m for m, p in _modules().items()
            if _imports_click(p) and rank(m) < RANKS["monitor.cli"] and not m.endswith("_command")}


def cycles(g: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: set[frozenset[str]] = set()
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in g:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.add(frozenset(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def _report(new: set, gone: set, what: str) -> str:
    lines = []
    if new:
        lines.append(f"new {what} (against the arrows in docs/architecture.md):")
        lines += [f"  {x}" for x in sorted(map(str, new))]
    if gone:
        lines.append(f"fixed {what}: remove them from KNOWN in tests/test_layers.py:")
        lines += [f"  {x}" for x in sorted(map(str, gone))]
    return "\n".join(lines)


def test_every_module_has_a_layer() -> None:
    for module in _modules():
        rank(module)


def test_core_and_extraction_import_nothing_later() -> None:
    g = graph()
    for module, deps in g.items():
        if rank(module) == 0 and module != "monitor":
            assert {d for d in deps if rank(d) > 0} == set(), module
        if module.startswith("crawler.extract"):
            assert {d for d in deps if rank(d) > 1} == set(), module


def test_no_stage_imports_a_later_stage() -> None:
    found = backward_imports(graph())
    new, gone = found - KNOWN_BACKWARD, KNOWN_BACKWARD - found
    assert not new and not gone, _report(new, gone, "backward imports")


def test_only_commands_import_click() -> None:
    found = click_users()
    new, gone = found - KNOWN_CLICK, KNOWN_CLICK - found
    assert not new and not gone, _report(new, gone, "click users outside the command layer")


def test_no_import_cycles() -> None:
    found = cycles(graph())
    new, gone = found - KNOWN_CYCLES, KNOWN_CYCLES - found
    assert not new and not gone, _report({tuple(sorted(c)) for c in new}, {tuple(sorted(c)) for c in gone},
                                         "import cycles")
