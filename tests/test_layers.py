"""The layers: data flows fetch -> extract -> store -> match -> assess -> present, and imports point the
same way. An AST walk of every import (function-local ones included: an import inside a function still
couples the modules) checks three rules:

1. a module imports only its own stage, earlier stages and ``monitor.core`` (``RANKS``);
2. only the command layer (``monitor.cli`` and ``monitor/commands/``) imports click;
3. no import cycle between modules.

Imports inside ``if TYPE_CHECKING:`` count for rule 1 but not for rule 3 (they never run). Project imports
are never guarded by ``except ImportError`` and never hidden in ``importlib`` strings (only the CLI's lazy
command table loads modules by name), so the walk sees every arrow. ``KNOWN`` sets are empty: the
restructure (issue "One house") removed every violation; a new one fails the test.
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
    "monitor.compliance.pii": 3,            # pure detection and masking (the store redacts with it)
    "crawler": 4, "spiders": 4,             # the Scrapy runtime writes into the store
    "monitor.matching": 5,
    "monitor.assess": 6,
    "monitor.compliance": 7,                # links, sites, findings
    "monitor.status": 8, "monitor.notify": 8, "monitor.report": 8, "monitor.auth": 8, "monitor.metrics": 8,
    "monitor.dashboard": 9,
    "monitor.overview": 9,                  # the provincial overview (presentation over the summary store)
    "monitor.scan": 10, "monitor.service": 10,      # the spine and the scheduler
    "monitor.onboard": 10,                          # xxgk init: a discovery crawl read with the matcher
    "monitor.fleet": 10,                            # many schools: Celery jobs, school locks, the scheduler
    "monitor.cli": 11, "monitor.commands": 11,      # the command layer: the only users of click
    "monitor.testbed": 11,                          # the simulated university, demo, bench
}

# Violations present today (module -> imported module), to be removed by the restructure.
KNOWN_BACKWARD: set[tuple[str, str]] = set()
KNOWN_CLICK: set[str] = set()
KNOWN_CYCLES: set[frozenset[str]] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _nodes(tree: ast.Module, *, typing: bool) -> list[ast.AST]:
    """Every node, or without the bodies of ``if TYPE_CHECKING:`` (annotations only: never run)."""
    if typing:
        return list(ast.walk(tree))
    skip: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and ast.unparse(n.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            skip.update(id(x) for stmt in n.body for x in ast.walk(stmt))
    return [n for n in ast.walk(tree) if id(n) not in skip]


def _imports(path: Path, module: str, known: set[str], *, typing: bool = True) -> set[str]:
    """Project modules ``module`` imports (``from pkg import mod`` resolved to the module)."""
    found: set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8")), typing=typing):
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


def graph(*, typing: bool = True) -> dict[str, set[str]]:
    """Module -> project modules it imports. ``typing=False``: only imports that run (the cycle rule: a
    type-only import of a sibling for an annotation cannot make an import-time cycle)."""
    mods = _modules()
    known = set(mods)
    return {m: {i for i in _imports(p, m, known, typing=typing) if i} for m, p in mods.items()}


def backward_imports(g: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(m, i) for m, deps in g.items() for i in deps
            if rank(i) > rank(m) and not (i == "monitor" or m.startswith(i + "."))}


def click_users() -> set[str]:
    return {m for m, p in _modules().items()
            if _imports_click(p) and not _is_command_layer(m)}


def _is_command_layer(module: str) -> bool:
    return module == "monitor.cli" or module == "monitor.commands" or module.startswith("monitor.commands.")


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
    found = cycles(graph(typing=False))
    new, gone = found - KNOWN_CYCLES, KNOWN_CYCLES - found
    assert not new and not gone, _report({tuple(sorted(c)) for c in new}, {tuple(sorted(c)) for c in gone},
                                         "import cycles")


def _project_name(node: ast.AST) -> str | None:
    """The project module a Import/ImportFrom node names, or None."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name.split(".")[0] in PACKAGES:
                return a.name
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
        return node.module
    return None


def guarded_imports() -> set[tuple[str, str]]:
    """Project imports inside ``try: ... except ImportError`` (as if a sibling module might not exist)."""
    found = set()
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            caught = set()
            for h in node.handlers:
                for t in ([h.type] if not isinstance(h.type, ast.Tuple) else h.type.elts):
                    if isinstance(t, ast.Name):
                        caught.add(t.id)
            if not caught & {"ImportError", "ModuleNotFoundError"}:
                continue
            for stmt in node.body:
                for sub in ast.walk(stmt):
                    name = _project_name(sub)
                    if name:
                        found.add((module, name))
    return found


def hidden_imports() -> set[tuple[str, str]]:
    """``importlib.import_module("monitor....")`` / ``__import__`` with a project name: invisible to the walk.
    Only the CLI's lazy command table may load modules by name."""
    found = set()
    for module, path in _modules().items():
        if module == "monitor.cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            arg = node.args[0]
            if name in {"import_module", "__import__", "find_spec"} and isinstance(arg, ast.Constant) \
                    and isinstance(arg.value, str) and arg.value.split(".")[0] in PACKAGES:
                found.add((module, arg.value))
    return found


def test_no_guarded_project_imports() -> None:
    assert guarded_imports() == set(), "import project modules directly: they exist"


def test_no_imports_hidden_from_the_walk() -> None:
    assert hidden_imports() == set(), "import project modules with import statements (the layers test sees them)"
