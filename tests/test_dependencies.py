"""Declared dependencies match the code (issue 15): every third-party module the product imports is declared in
pyproject.toml (optional features in their extra), every declared runtime dependency is imported somewhere (or
says why not), the tests' imports are in the dev extra, and the installed versions meet the declared floors."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("monitor", "crawler", "spiders")
FIRST_PARTY = {"monitor", "crawler", "spiders", "config", "tests"}

# Distributions whose import name is not their name with "-" read as "_".
IMPORT_NAMES: dict[str, set[str]] = {
    "pyyaml": {"yaml"},
    "argon2-cffi": {"argon2"},
    "python-docx": {"docx"},
    "pillow": {"PIL"},
    "twisted": {"twisted"},
}
# Declared and needed, but never imported by our code (say why).
NOT_IMPORTED = {
    "python-multipart": "FastAPI parses the log-in form with it",
    "pytest-xdist": "pytest plugin (make test runs -n 2)",
    "pytest-timeout": "pytest plugin (timeout = 300 in pyproject.toml)",
    "ruff": "make lint",
    "mypy": "make lint",
    "types-lxml": "type stubs for mypy",
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def _floor(requirement: str) -> tuple[int, ...] | None:
    m = re.search(r">=\s*([0-9][0-9.]*)", requirement)
    return tuple(int(p) for p in m.group(1).rstrip(".").split(".")) if m else None


def _imports_of(dist: str) -> set[str]:
    return IMPORT_NAMES.get(dist, {dist.replace("-", "_")})


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _third_party_imports(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Top-level third-party module -> the files importing it (function-local imports included)."""
    local = {p.stem for p in (ROOT / "tests").glob("*.py")}
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY or top in local or top == "__future__":
                        continue
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_import_of_the_product_is_declared() -> None:
    project = _project()
    runtime = {m for r in project["dependencies"] for m in _imports_of(_name(r))}
    optional = {m for extra, reqs in project["optional-dependencies"].items() if extra != "dev"
                for r in reqs for m in _imports_of(_name(r))}
    undeclared = {m: sorted(files) for m, files in _third_party_imports(PRODUCT).items()
                  if m not in runtime | optional}
    assert not undeclared, f"declare these in pyproject.toml (dependencies, or an extra for an optional feature): {undeclared}"


def test_every_runtime_dependency_is_imported_by_the_product() -> None:
    imported = set(_third_party_imports(PRODUCT))
    unused = [r for r in _project()["dependencies"]
              if _name(r) not in NOT_IMPORTED and not _imports_of(_name(r)) & imported]
    assert not unused, f"declared but never imported by monitor/, crawler/, spiders/: {unused}"


def test_the_tests_imports_are_declared_and_dev_tools_are_used() -> None:
    project = _project()
    declared = {m for r in project["dependencies"] for m in _imports_of(_name(r))}
    declared |= {m for reqs in project["optional-dependencies"].values() for r in reqs for m in _imports_of(_name(r))}
    test_imports = _third_party_imports(("tests",))
    undeclared = {m: sorted(files) for m, files in test_imports.items() if m not in declared}
    assert not undeclared, f"add these to the dev extra: {undeclared}"
    everything = set(test_imports) | set(_third_party_imports(PRODUCT))
    unused = [r for r in project["optional-dependencies"]["dev"]
              if _name(r) not in NOT_IMPORTED and not _imports_of(_name(r)) & everything]
    assert not unused, f"dev dependencies nothing imports: {unused}"


def test_installed_versions_meet_the_declared_floors() -> None:
    """The floors are the versions the code needs (e.g. Scrapy 2.14 for async pipeline hooks, chinese-calendar
    1.11 for 2026's holidays); a venv below one would fail at run time, not at install time."""
    project = _project()
    for req in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        floor = _floor(req)
        try:
            installed = metadata.version(_name(req))
        except metadata.PackageNotFoundError:
            continue
        have = tuple(int(p) for p in re.findall(r"\d+", installed)[:len(floor or ())])
        assert floor is None or have >= floor, f"{req}: {installed} is installed"
    names = {_name(r): r for r in project["dependencies"]}
    assert _floor(names["scrapy"]) >= (2, 14) and _floor(names["chinese-calendar"]) >= (1, 11)
    assert "parsel" not in names and "beautifulsoup4" not in names   # Scrapy brings parsel; nothing uses bs4
