"""The documentation's examples are run, so they stay true: every YAML example loads with the loader
it documents, every `xxgk …` command line names a real command and real options, and every
`from … import …` in a Python example imports."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK_RE = re.compile(r"```(\w*)\n(.*?)```", re.S)


def blocks(lang: str | None = None) -> list[tuple[str, str, str]]:
    found = []
    for path in DOCS:
        for m in BLOCK_RE.finditer(path.read_text(encoding="utf-8")):
            if lang is None or m.group(1) == lang:
                found.append((path.name, m.group(1), _dedent(m.group(2))))
    return found


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[indent:] for l in lines) + "\n"


YAML_BLOCKS = blocks("yaml")


@pytest.mark.parametrize("name,lang,text", YAML_BLOCKS, ids=[f"{b[0]}#{i}" for i, b in enumerate(YAML_BLOCKS)])
def test_yaml_examples_load(name, lang, text, tmp_path, monkeypatch):
    data = yaml.safe_load(text)
    assert isinstance(data, dict), f"{name}: a YAML example should be a mapping"
    monkeypatch.setenv("SMTP_PASSWORD", "example-secret")
    if "school" in data:
        from monitor.config import load_config
        path = tmp_path / "xxgk.yaml"
        path.write_text(text, encoding="utf-8")
        cfg = load_config(path)
        assert cfg.school == data["school"]
    elif "items" in data or "extends" in data:
        from monitor.catalog import load_catalog
        path = tmp_path / "catalog.yaml"
        path.write_text(text, encoding="utf-8")
        catalog = load_catalog(str(path), tmp_path)
        assert catalog.items
    elif "schools" in data or "folder" in data:
        # a fleet file (docs/fleet.md): every school it names exists as a minimal school config
        from monitor.fleet.fleetfile import load_fleet
        entries = [e if isinstance(e, str) else e["config"] for e in data.get("schools") or []]
        folders = data.get("folder") or []
        for folder in [folders] if isinstance(folders, str) else folders:
            (tmp_path / folder).mkdir(parents=True, exist_ok=True)
            entries.append(f"{folder}/example.yaml")
        for entry in entries:
            school = tmp_path / entry
            school.parent.mkdir(parents=True, exist_ok=True)
            school.write_text("school: 示例大学\ndisclosure_site: http://127.0.0.1:9/\n", encoding="utf-8")
        path = tmp_path / "fleet.yaml"
        path.write_text(text, encoding="utf-8")
        assert len(load_fleet(path).schools) == len(entries)
    elif set(data) == {"rule"}:
        from monitor.rules import parse_rule
        assert parse_rule(data["rule"]).describe()
    elif "year" in data:
        from monitor.report import AcademicYear, load_inputs
        path = tmp_path / "inputs.yaml"
        path.write_text(text, encoding="utf-8")
        load_inputs(path, AcademicYear.parse(str(data["year"])))
    else:
        pytest.fail(f"{name}: a YAML example no test knows how to load: {sorted(data)}")


def test_example_files_load(tmp_path, monkeypatch):
    from monitor.config import load_config

    for secret in ("SMTP_PASSWORD", "WECOM_KEY", "XXGK_SECRET_KEY"):
        monkeypatch.setenv(secret, "example-secret")
    from monitor.report import AcademicYear, load_inputs

    load_config(ROOT / "config" / "examples" / "school.yaml")
    for path in (ROOT / "docs" / "examples").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "year" in data:
            load_inputs(path, AcademicYear.parse(str(data["year"])))


def _command_lines() -> list[tuple[str, list[str]]]:
    lines = []
    for path in DOCS:
        for m in BLOCK_RE.finditer(path.read_text(encoding="utf-8")):
            for line in m.group(2).splitlines():
                line = line.split("#")[0].strip()
                at = line.find("xxgk ")
                if at == -1 or (at > 0 and line[at - 1] not in " /|`(&;"):
                    continue
                words = shlex.split(line[at:].replace("[", " ").replace("]", " ").replace("|", " "), posix=True)
                lines.append((path.name, words))
        for m in re.finditer(r"`(xxgk [^`]+)`", path.read_text(encoding="utf-8")):
            text = m.group(1).replace("[", " ").replace("]", " ").replace("|", " ").replace("…", " ")
            lines.append((path.name, shlex.split(text)))
    return lines


def test_documented_commands_and_options_exist():
    runner = CliRunner()
    helps: dict[tuple[str, ...], str] = {}
    problems = []
    for name, words in _command_lines():
        words = [w for w in words[1:] if w not in ("/", ",", "…", "...")]
        if not words or not re.fullmatch(r"[a-z]+", words[0]):
            continue
        path: list[str] = []
        for w in words:  # the command and its sub-commands are the leading bare words
            if w.startswith("-") or not re.fullmatch(r"[a-z]+", w):
                break
            key = tuple(path + [w])
            if key not in helps:
                result = runner.invoke(main, [*key, "--help"])
                helps[key] = result.output if result.exit_code == 0 else ""
            if not helps[key]:
                break
            path.append(w)
        if not path:
            problems.append(f"{name}: `xxgk {' '.join(words)}` names no command")
            continue
        text = helps[tuple(path)] + runner.invoke(main, ["--help"]).output
        for opt in (w.split("=")[0] for w in words if w.startswith("--")):
            if opt not in text:
                problems.append(f"{name}: `xxgk {' '.join(path)}` has no option {opt}")
    assert not problems, "\n".join(sorted(set(problems)))


def test_python_examples_import():
    problems = []
    for name, _, text in blocks("python"):
        for m in re.finditer(r"^from ([\w.]+) import ([\w, ()\n]+?)$", text, re.M):
            module, names = m.group(1), [n.strip(" ()") for n in m.group(2).split(",") if n.strip(" ()")]
            try:
                mod = __import__(module, fromlist=names)
            except ImportError as exc:
                problems.append(f"{name}: {exc}")
                continue
            problems += [f"{name}: {module} has no {n}" for n in names if not hasattr(mod, n)]
    assert not problems, problems
