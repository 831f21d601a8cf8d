"""YAML with line numbers and Chinese error messages, shared by the school config and the catalog.

A small PyYAML loader records the line of every mapping key and sequence item, so every problem can be
reported as ``file:line: field.path: 中文说明``; pydantic's errors are mapped back to those lines and put
in Chinese. No project imports: ``monitor.config`` and ``monitor.catalog`` both build on this.
"""
from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Iterable
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

Loc = tuple[Any, ...]


class ConfigError(ValueError):
    """One or more problems in a configuration (or catalog) file; ``str()`` is one line per problem."""

    def __init__(self, problems: str | Iterable[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------- YAML with line numbers

@dataclass
class YamlDoc:
    """Parsed YAML plus the line (1-based) of every key / sequence item, by location path."""

    name: str                       # how the file is named in messages (as the user gave it)
    data: Any
    lines: dict[Loc, int]

    def line(self, loc: Loc) -> int:
        """Line of the longest known prefix of ``loc`` (1 if nothing matches)."""
        loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return 1

    def problem(self, loc: Loc, message: str) -> str:
        where = format_loc(loc)
        return f"{self.name}:{self.line(loc)}: {where + ': ' if where else ''}{message}"


def format_loc(loc: Loc) -> str:
    """('units', 1, 'id') → units[1].id ; ('items', '7', 'rule') → items["7"].rule"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += f'["{part}"]'
    return out


_YAML_PROBLEMS = {
    "mapping values are not allowed here": "此处不能出现“键: 值”（可能缩进不对，或值中含冒号需要加引号）",
    "could not find expected ':'": "缺少冒号“:”",
    "did not find expected key": "缺少键（可能缩进不对）",
    "did not find expected '-' indicator": "缺少列表项“- ”（可能缩进不对）",
    "found character '\\t' that cannot start any token": "不能使用 Tab 缩进，请改用空格",
    "found unexpected end of stream": "文件意外结束（引号或括号未闭合）",
    "found undefined alias": "引用了未定义的锚点",
    "expected <block end>, but found '-'": "列表项缩进不一致",
    "expected <block end>, but found '<block mapping start>'": "缩进不一致",
    "expected <block end>, but found '<scalar>'": "缩进不一致",
    "while scanning a quoted scalar": "引号未闭合",
}


def read_yaml(path: str | Path, *, name: str | None = None) -> YamlDoc:
    """Read a YAML file keeping node lines; syntax errors become a ConfigError with line:column."""
    path = Path(path)
    shown = name or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{shown}: 找不到文件") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown}: 这是一个目录，不是 YAML 文件") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: 文件不是 UTF-8 编码，请另存为 UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{shown}: 无法读取（{exc.strerror}）") from None
    return parse_yaml(text, shown)


def parse_yaml(text: str, name: str) -> YamlDoc:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or exc.context or "").strip()
        text_cn = _YAML_PROBLEMS.get(problem) or _YAML_PROBLEMS.get((exc.context or "").strip())
        detail = text_cn or f"无法解析（{problem}）"
        raise ConfigError(f"{name}:{line}:{col}: YAML 语法错误：{detail}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}:1: YAML 语法错误：{exc}") from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    dups: list[str] = []
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _walk(node, (), lines, dups, name)
    if dups:
        raise ConfigError(dups)
    return YamlDoc(name, data, lines)


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], dups: list[str], name: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = str(key_node.value)
            sub = loc + (key,)
            if key in seen:
                dups.append(f"{name}:{key_node.start_mark.line + 1}: {format_loc(sub)}: 重复的键 \"{key}\"（同一层只能写一次）")
            seen.add(key)
            lines.setdefault(sub, key_node.start_mark.line + 1)
            _walk(value_node, sub, lines, dups, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = loc + (i,)
            lines.setdefault(sub, item.start_mark.line + 1)
            _walk(item, sub, lines, dups, name)


# ---------------------------------------------------------------- pydantic errors in Chinese

_TYPE_NAMES = {str: "文本", int: "整数", float: "数字", bool: "布尔值", list: "列表", dict: "映射",
               type(None): "空值", date: "日期"}

_MESSAGES = {
    "missing": "缺少必填字段",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表（如 [a, b] 或每行一个“- ”）",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期 YYYY-MM-DD（不含时间）",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
}


def describe_input(value: Any) -> str:
    kind = _TYPE_NAMES.get(type(value), type(value).__name__)
    text = repr(value) if not isinstance(value, (dict, list)) else ("映射" if isinstance(value, dict) else "列表")
    if len(text) > 60:
        text = text[:57] + "…"
    return f"{kind} {text}" if not isinstance(value, (dict, list)) else text


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model class reached by following ``loc`` from ``model`` (for allowed-field hints)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin in (list, tuple) and args:
                current = args[0]
            elif origin is dict and len(args) == 2:
                current = args[1]
            else:
                return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else tp
            if len(args) != 1:
                return tp
        else:
            return tp


def pydantic_problems(exc: ValidationError, doc: YamlDoc, model: type[BaseModel]) -> list[str]:
    """Turn pydantic errors into ``file:line: path: 中文`` lines."""
    by_loc: dict[Loc, list[str]] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or not str(p).startswith(("function-", "union[")))
        etype = err["type"]
        if etype not in ("missing", "extra_forbidden"):
            # union members add their type name to the path ("version.str"): cut back to the
            # part of the path that exists in the file
            while loc and tuple(str(p) if not isinstance(p, int) else p for p in loc) not in doc.lines:
                loc = loc[:-1]
        if etype == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = list(parent.model_fields) if parent else []
            msg = f"未知字段 \"{loc[-1]}\""
            if allowed:
                msg += f"，允许的字段：{'、'.join(allowed)}"
                near = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
                if near:
                    msg += f"；是不是想写 \"{near[0]}\"？"
        elif etype == "xxgk":
            msg = err["msg"]
        elif etype == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            ctx = err.get("ctx", {})
            words = {"greater_than_equal": ("ge", "不小于"), "greater_than": ("gt", "大于"),
                     "less_than_equal": ("le", "不大于"), "less_than": ("lt", "小于")}[etype]
            bound = ctx.get(words[0])
            if isinstance(bound, float) and bound.is_integer():
                bound = int(bound)          # "应大于 0", not "应大于 0.0"
            msg = f"应{words[1]} {bound}，实际为 {err.get('input')!r}"
        elif etype == "string_pattern_mismatch":
            msg = f"格式不对，应匹配 {err.get('ctx', {}).get('pattern')}，实际为 {err.get('input')!r}"
        elif etype == "literal_error":
            msg = f"应为以下之一：{err.get('ctx', {}).get('expected')}，实际为 {err.get('input')!r}"
        elif etype in _MESSAGES:
            msg = _MESSAGES[etype]
            if etype not in ("missing", "string_too_short", "too_short"):
                msg += f"，实际为 {describe_input(err.get('input'))}"
        else:
            msg = f"取值无效（{err['msg']}）"
        msgs = by_loc.setdefault(loc, [])
        if msg not in msgs:
            msgs.append(msg)
    # one line per field: alternatives of a union are joined ("应为文本…；或 应为整数…")
    return [doc.problem(loc, "；或 ".join(msgs)) for loc, msgs in by_loc.items()]


# ---------------------------------------------------------------- shared field types

def custom_error(message: str) -> PydanticCustomError:
    return PydanticCustomError("xxgk", message)


def check_url(value: Any) -> str:
    if not isinstance(value, str):
        raise custom_error(f"应为网址文本，实际为 {describe_input(value)}")
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise custom_error(f"应为以 http:// 或 https:// 开头并带主机名的网址，实际为 {value!r}")
    try:
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        raise custom_error(f"网址中的端口号无效：{value!r}") from None
    return text


def check_text(value: Any) -> str:
    if not isinstance(value, str):
        raise custom_error(f"应为文本，实际为 {describe_input(value)}")
    if not value.strip():
        raise custom_error("不能为空")
    return value.strip()


Url = Annotated[str, PlainValidator(check_url)]
Text = Annotated[str, PlainValidator(check_text)]
