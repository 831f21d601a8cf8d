"""The school's configuration file (YAML), validated with pydantic.

Errors are reported one line per problem as ``file:line: field.path: 中文说明`` so an office
clerk can fix the YAML without reading a stack trace: a small PyYAML loader records the line of
every mapping key and sequence item, and pydantic's error locations are mapped back to them.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
import sys
import types
import typing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import yaml
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, PrivateAttr, ValidationError
from pydantic_core import PydanticCustomError

from monitor.cli import config_option, now_option
from monitor.core import clock
from monitor.rules import Rule, RuleError, parse_rule

if TYPE_CHECKING:
    from monitor.catalog import Catalog

DEFAULT_CONFIG_NAME = "xxgk.yaml"
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
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


def _describe_input(value: Any) -> str:
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
                msg += f"，实际为 {_describe_input(err.get('input'))}"
        else:
            msg = f"取值无效（{err['msg']}）"
        msgs = by_loc.setdefault(loc, [])
        if msg not in msgs:
            msgs.append(msg)
    # one line per field: alternatives of a union are joined ("应为文本…；或 应为整数…")
    return [doc.problem(loc, "；或 ".join(msgs)) for loc, msgs in by_loc.items()]


# ---------------------------------------------------------------- field types

def _custom(message: str) -> PydanticCustomError:
    return PydanticCustomError("xxgk", message)


def check_url(value: Any) -> str:
    if not isinstance(value, str):
        raise _custom(f"应为网址文本，实际为 {_describe_input(value)}")
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise _custom(f"应为以 http:// 或 https:// 开头并带主机名的网址，实际为 {value!r}")
    try:
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        raise _custom(f"网址中的端口号无效：{value!r}") from None
    return text


def _check_rule(value: Any) -> Rule:
    try:
        return parse_rule(value)
    except RuleError as exc:
        raise _custom(f"更新规则无效：{exc}") from None


def _check_cron(value: Any) -> str:
    if not isinstance(value, str):
        raise _custom(f"应为 cron 表达式文本（如 \"30 2 * * *\"），实际为 {_describe_input(value)}")
    from apscheduler.triggers.cron import CronTrigger

    text = " ".join(value.split())
    try:
        if len(text.split()) != 5:
            raise ValueError("need 5 fields")
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError:
        raise _custom(f"不是有效的 cron 表达式（5 段：分 时 日 月 星期，如 \"30 2 * * *\"），实际为 {value!r}") from None
    return text


def _check_timezone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _custom(f"应为时区名称（如 Asia/Shanghai），实际为 {_describe_input(value)}")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise _custom(f"未知的时区 {value!r}（应为 IANA 时区名，如 Asia/Shanghai）") from None
    return value.strip()


def _check_regex(value: Any) -> str:
    if not isinstance(value, str):
        raise _custom(f"应为正则表达式文本，实际为 {_describe_input(value)}")
    try:
        re.compile(value)
    except re.error as exc:
        raise _custom(f"不是有效的正则表达式 {value!r}（{exc.msg}，位置 {exc.pos}）") from None
    return value


def _check_css(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _custom(f"应为 CSS 选择器文本，实际为 {_describe_input(value)}")
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(value)
    except SelectorError:
        raise _custom(f"不是有效的 CSS 选择器：{value!r}") from None
    return value


def _check_notify(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+", value.strip()):
        raise _custom(f"应为 Apprise 通知地址（如 mailto://user:pass@smtp.example.edu.cn?to=a@example.edu.cn），实际为 {value!r}")
    return value.strip()


def _check_network(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=False))
    except ValueError:
        raise _custom(f"应为 IP 地址段（如 10.0.0.0/8），实际为 {value!r}") from None


def _check_host(value: Any) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if not re.fullmatch(r"[a-z0-9.-]+(:\d{1,5})?", text):
        raise _custom(f"应为主机名（如 zsb.example.edu.cn，不带 http://），实际为 {value!r}")
    return text


def _check_nonempty(value: Any) -> str:
    if not isinstance(value, str):
        raise _custom(f"应为文本，实际为 {_describe_input(value)}")
    if not value.strip():
        raise _custom("不能为空")
    return value.strip()


def _check_unit_id(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9_-]+", value):
        raise _custom(f"单位 id 只能包含小写字母、数字、下划线和连字符（如 zsb），实际为 {value!r}")
    return value


Url = Annotated[str, PlainValidator(check_url)]
RuleField = Annotated[Rule, PlainValidator(_check_rule), PlainSerializer(lambda r: r.to_dict())]
Cron = Annotated[str, PlainValidator(_check_cron)]
Regex = Annotated[str, PlainValidator(_check_regex)]
Css = Annotated[str | None, PlainValidator(_check_css)]
NotifyUrl = Annotated[str, PlainValidator(_check_notify)]
Network = Annotated[str, PlainValidator(_check_network)]
Host = Annotated[str, PlainValidator(_check_host)]
Text = Annotated[str, PlainValidator(_check_nonempty)]
UnitId = Annotated[str, PlainValidator(_check_unit_id)]


# ---------------------------------------------------------------- models

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class Contact(_Model):
    name: Text
    notify: NotifyUrl | None = None        # Apprise URL; use ${ENV} for passwords


class Office(_Model):
    name: Text = "信息公开办公室"
    contacts: list[Contact] = []


class Unit(_Model):
    id: UnitId
    name: Text
    sites: list[Url] = []
    contacts: list[Contact] = []


class ItemOverride(_Model):
    """Per-item settings in the school config, applied on top of the catalog item."""

    unit: str | None = None
    columns: list[Url] = []
    rule: RuleField | None = None
    keywords: list[Text] = []              # added to the catalog's keywords
    synonyms: list[Text] = []
    exclude: list[Text] = []
    changes: list[date] = []               # known change dates (on_change items)
    ignore: bool = False                   # item does not apply to this school


class SiteSelectors(_Model):
    """CSS selectors for a site whose layout the generic extraction misreads."""

    title: Css = None
    date: Css = None
    content: Css = None
    list_item: Css = None
    list_date: Css = None


class Crawl(_Model):
    max_pages_per_site: int = Field(5000, ge=1)
    max_depth: int = Field(8, ge=0)
    max_download_mb: float = Field(20, gt=0)
    obey_robots: bool = True
    download_delay: float = Field(0.0, ge=0)
    concurrency_per_host: int = Field(4, ge=1, le=64)
    autothrottle: bool = True
    timeout: float = Field(30, gt=0)
    retries: int = Field(1, ge=0, le=10)
    user_agent: str | None = None
    contact: str = "https://github.com/xxgk-monitor/xxgk-monitor"
    extra_hosts: list[Host] = []
    ignore_urls: list[Regex] = []
    max_query_variants: int = Field(5000, ge=1)
    max_calendar_variants: int = Field(40, ge=1)
    fetch_attachments: bool = True
    revisit_days: int = Field(7, ge=0)
    selectors: dict[Host, SiteSelectors] = {}


class Schedule(_Model):
    scan: Cron = "30 2 * * *"
    digest: Cron = "0 8 * * *"
    scan_timeout_minutes: int = Field(120, ge=1)
    enabled: bool = True


class Notifications(_Model):
    dashboard_url: Url = "http://127.0.0.1:8000"
    escalate_after_days: int = Field(7, ge=0)
    due_soon_days: int = Field(14, ge=0)
    enabled: bool = True


def _check_proxy(value: Any) -> str:
    # A reverse proxy's address or address range; only its X-Forwarded-For / X-Real-IP is believed.
    try:
        if not isinstance(value, str):
            raise ValueError
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise _custom(f"应为反向代理的 IP 地址或地址段（如 127.0.0.1 或 10.0.0.0/24），实际为 {value!r}") from None


class Dashboard(_Model):
    host: Text = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key: str | None = None
    trusted_proxies: list[Annotated[str, PlainValidator(_check_proxy)]] = []


class Compliance(_Model):
    check_external_links: bool = False
    intranet_hosts: list[Host] = []
    intranet_ranges: list[Network] = []
    # Link checks after every scan (monitor.linkcheck): on by default, polite and bounded.
    check_links: bool = True
    max_link_checks: int = Field(2000, ge=1)                 # URLs per run; the rest waits for the next run
    link_check_delay: float | None = Field(None, ge=0)       # seconds per host; None: crawl.download_delay
    link_check_timeout: float | None = Field(None, gt=0)     # seconds per request; None: min(crawl.timeout, 30)
    link_check_seconds: float = Field(900, gt=0)             # time budget of one run
    # Site reachability (monitor.compliance.site_status): one bad night is not "down".
    unreachable_checks: int = Field(3, ge=1)                 # failed checks in a row
    unreachable_days: int = Field(2, ge=1)                   # ... falling on this many different days


class Report(_Model):
    inputs: str | None = None              # path (relative to the config) to hand-filled figures


@dataclass(frozen=True)
class SiteRef:
    url: str
    host: str                  # netloc (host[:port]) in lower case
    unit_id: str | None        # None for the disclosure site
    role: str = "unit"         # "disclosure" | "unit"


class Config(_Model):
    school: Text
    timezone: Annotated[str, PlainValidator(_check_timezone)] = clock.DEFAULT_TZ
    catalog: Text = "national"
    database: Text = "data/xxgk.db"
    disclosure_site: Url
    office: Office = Office()
    units: list[Unit] = []
    items: dict[str, ItemOverride] = {}
    crawl: Crawl = Crawl()
    schedule: Schedule = Schedule()
    notifications: Notifications = Notifications()
    dashboard: Dashboard = Dashboard()
    compliance: Compliance = Compliance()
    report: Report = Report()

    _path: Path = PrivateAttr(default_factory=lambda: Path(DEFAULT_CONFIG_NAME).absolute())
    _catalog: Any = PrivateAttr(default=None)

    @property
    def path(self) -> Path:
        """Absolute path of the configuration file."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Folder relative paths in the config are resolved against."""
        return self._path.parent

    @property
    def database_path(self) -> Path:
        return self.resolve(self.database)

    @property
    def report_inputs_path(self) -> Path | None:
        return self.resolve(self.report.inputs) if self.report.inputs else None

    def resolve(self, relative: str | Path) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def catalog_obj(self) -> "Catalog":
        """The loaded catalog with this config's ``items:`` overrides applied (cached)."""
        if self._catalog is None:
            from monitor.catalog import load_catalog

            self._catalog = load_catalog(self.catalog, self.base_dir).with_overrides(self.items)
        return self._catalog

    def unit(self, unit_id: str | None) -> Unit | None:
        for u in self.units:
            if u.id == unit_id:
                return u
        return None

    def unit_name(self, unit_id: str | None) -> str:
        """Display name of a unit; items without a unit belong to the office."""
        u = self.unit(unit_id)
        if u is not None:
            return u.name
        return self.office.name if not unit_id else unit_id

    def all_sites(self) -> list[SiteRef]:
        """The disclosure site then every unit site (each URL once)."""
        refs: list[SiteRef] = []
        seen: set[str] = set()

        def add(url: str, unit_id: str | None, role: str) -> None:
            key = url.rstrip("/").lower()
            if key in seen:
                return
            seen.add(key)
            refs.append(SiteRef(url=url, host=(urlsplit(url).netloc or "").lower(), unit_id=unit_id, role=role))

        add(self.disclosure_site, None, "disclosure")
        for u in self.units:
            for url in u.sites:
                add(url, u.id, "unit")
        return refs


# ---------------------------------------------------------------- loading

def _substitute_env(data: Any, loc: Loc, doc: YamlDoc, problems: list[str]) -> Any:
    """Replace ``${NAME}`` in every string from the environment (secrets stay out of the file)."""
    if isinstance(data, dict):
        return {k: _substitute_env(v, loc + (str(k),), doc, problems) for k, v in data.items()}
    if isinstance(data, list):
        return [_substitute_env(v, loc + (i,), doc, problems) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data:
        def repl(m: re.Match) -> str:
            value = os.environ.get(m.group(1))
            if value is None:
                problems.append(doc.problem(loc, f"环境变量 {m.group(1)} 未设置（配置中引用了 ${{{m.group(1)}}}）"))
                return m.group(0)
            return value
        return _ENV_RE.sub(repl, data)
    return data


def _normalise_keys(data: Any) -> Any:
    """YAML reads `7:` as an integer key; item ids are strings."""
    if isinstance(data, dict) and isinstance(data.get("items"), dict):
        data = dict(data)
        data["items"] = {str(k): v for k, v in data["items"].items()}
    return data


def load_config(path: str | Path) -> Config:
    """Load and validate the school configuration; raises :class:`ConfigError` (one line per problem)."""
    path = Path(path)
    shown = str(path)
    if not path.exists():
        raise ConfigError(f"{shown}: 找不到配置文件（用 --config 指定路径；带注释的示例见 config/examples/school.yaml）")
    doc = read_yaml(path, name=shown)
    if doc.data is None:
        raise ConfigError(f"{shown}:1: 配置文件是空的（至少需要 school 和 disclosure_site）")
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{shown}:1: 配置文件顶层应为映射（school: …、disclosure_site: … 等）")
    problems: list[str] = []
    data = _normalise_keys(_substitute_env(doc.data, (), doc, problems))
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_by_line(problems + pydantic_problems(exc, doc, Config))) from None
    if problems:
        raise ConfigError(problems)
    cfg._path = path.absolute()
    problems.extend(_cross_checks(cfg, doc))
    if problems:
        raise ConfigError(_by_line(problems))
    clock.set_timezone(cfg.timezone)
    return cfg


def _by_line(problems: list[str]) -> list[str]:
    """Problems in file order (stable for the same line)."""
    def line(p: str) -> int:
        m = re.match(r"^.*?:(\d+):", p)
        return int(m.group(1)) if m else 0
    return sorted(problems, key=line)


def _cross_checks(cfg: Config, doc: YamlDoc) -> list[str]:
    """Checks that span fields: unique unit ids, references to units and catalog items."""
    from monitor.catalog import CatalogError, load_catalog

    problems: list[str] = []
    unit_ids: list[str] = []
    for i, u in enumerate(cfg.units):
        if u.id in unit_ids:
            problems.append(doc.problem(("units", i, "id"), f"重复的单位 id \"{u.id}\""))
        unit_ids.append(u.id)
    known_units = "、".join(dict.fromkeys(unit_ids)) or "（尚未定义任何单位）"

    def unit_problem(loc: Loc, unit_id: str) -> str:
        near = difflib.get_close_matches(unit_id, unit_ids, n=1)
        hint = f"；是不是 \"{near[0]}\"？" if near else ""
        return doc.problem(loc, f"单位 \"{unit_id}\" 未在 units 中定义（已定义：{known_units}）{hint}")

    for item_id, ov in cfg.items.items():
        if ov.unit is not None and ov.unit not in unit_ids:
            problems.append(unit_problem(("items", item_id, "unit"), ov.unit))
    try:
        catalog = load_catalog(cfg.catalog, cfg.base_dir)
    except CatalogError as exc:
        problems.append(doc.problem(("catalog",), f"无法加载事项清单：{'；'.join(exc.problems)}"))
        return problems
    ids = [it.id for it in catalog.items]
    for item_id in cfg.items:
        if catalog.item(item_id) is None:
            near = difflib.get_close_matches(item_id, ids, n=1)
            hint = f"；是不是 \"{near[0]}\"？" if near else ""
            problems.append(doc.problem(("items", item_id),
                                        f"事项清单“{catalog.name}”中没有 id 为 \"{item_id}\" 的事项{hint}"))
    # one line per unknown unit of the catalog, naming its items
    orphans: dict[str, list[str]] = {}
    for it in catalog.items:
        if it.unit and it.unit not in unit_ids and cfg.items.get(it.id, ItemOverride()).unit is None:
            orphans.setdefault(it.unit, []).append(it.id)
    for unit_id, item_ids in orphans.items():
        listed = "、".join(item_ids[:8]) + ("等" if len(item_ids) > 8 else "")
        problems.append(doc.problem(("catalog",), f"事项清单中事项 {listed} 的负责单位 \"{unit_id}\" "
                                                  f"未在 units 中定义（已定义：{known_units}）"))
    if not problems:
        cfg._catalog = catalog.with_overrides(cfg.items)
    return problems


def load_config_or_exit(path: str | Path) -> Config:
    """For CLI commands: load the config or print each problem in Chinese and exit 2."""
    try:
        return load_config(path)
    except ConfigError as exc:
        for line in exc.problems:
            click.echo(f"错误：{line}", err=True)
        sys.exit(2)


# ---------------------------------------------------------------- xxgk check

def summary_lines(cfg: Config) -> list[str]:
    cat = cfg.catalog_obj
    active = [it for it in cat.items if not it.ignore]
    sites = cfg.all_sites()
    columns = sum(len(it.columns) for it in active)
    owned = sum(1 for it in active if it.unit)
    lines = [
        f"学校：{cfg.school}（时区 {cfg.timezone}）",
        f"信息公开网：{cfg.disclosure_site}",
        f"事项清单：{cat.name}，{len(cat.categories)} 类 {len(active)} 项"
        + (f"（另有 {len(cat.items) - len(active)} 项设为不适用）" if len(active) != len(cat.items) else ""),
        f"责任单位：{len(cfg.units)} 个；已指定责任单位的事项 {owned} 项；已指定栏目地址 {columns} 个",
        f"监测站点：{len(sites)} 个" + ("" if not sites else "（" + "、".join(s.host for s in sites[:6])
                                      + ("等" if len(sites) > 6 else "") + "）"),
        f"数据库：{cfg.database_path}",
        f"扫描计划：{cfg.schedule.scan}（{'已启用' if cfg.schedule.enabled else '未启用'}）；"
        f"摘要推送：{cfg.schedule.digest}",
    ]
    return lines


@click.command("check")
@config_option
@now_option
def check_command(config_path: str) -> None:
    """检查配置文件并显示摘要（学校、事项清单、单位、站点）。"""
    cfg = load_config_or_exit(config_path)
    click.echo("配置检查通过。")
    for line in summary_lines(cfg):
        click.echo("  " + line)
