"""The school's configuration file (YAML), validated with pydantic.

Errors are reported one line per problem as ``file:line: field.path: 中文说明`` so an office
clerk can fix the YAML without reading a stack trace (``monitor.core.yamldoc`` keeps the line of
every key and maps pydantic's error locations back to them).
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Iterator
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr, ValidationError

from monitor.catalog import Catalog, CatalogError, RuleField, load_catalog
from monitor.core import clock, crontab, workdays
from monitor.core.dburl import PostgresTarget, is_database_url, parse_database_url
from monitor.core.yamldoc import ConfigError, Loc, Text, Url, YamlDoc, pydantic_problems, read_yaml
from monitor.core.yamldoc import custom_error as _custom
from monitor.core.yamldoc import describe_input as _describe_input

__all__ = ["Config", "ConfigError", "calendar_warning", "load_config", "notify_url_problems", "schedule_lines",
           "summary_lines"]  # ConfigError: re-exported for callers

DEFAULT_CONFIG_NAME = "xxgk.yaml"
# Set by a fleet worker (monitor/fleet) for a school whose file has no `database:`: its place in the shared store.
FLEET_DATABASE_ENV = "XXGK_DATABASE"


def fleet_place(fleet_database: str, key: str) -> str:
    """Where school ``key``'s own store is in a fleet's database: schema ``school_<key>`` of the PostgreSQL
    database, or ``school_<key>.db`` in the folder of SQLite files (docs/fleet.md)."""
    if is_database_url(fleet_database):
        sep = "&" if "?" in fleet_database else "?"
        return f"{fleet_database}{sep}schema=school_{key}"
    return str(Path(fleet_database) / f"school_{key}.db")


@contextmanager
def fleet_environment(place: str | None) -> Iterator[None]:
    """Load a school's config in this process as its fleet jobs' subprocesses do: with ``place`` (or nothing) as
    the fleet's place for its store (the school's own ``database:`` wins)."""
    saved = os.environ.pop(FLEET_DATABASE_ENV, None)
    if place is not None:
        os.environ[FLEET_DATABASE_ENV] = place
    try:
        yield
    finally:
        os.environ.pop(FLEET_DATABASE_ENV, None)
        if saved is not None:
            os.environ[FLEET_DATABASE_ENV] = saved
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


# ---------------------------------------------------------------- field types

def _check_cron(value: Any) -> str:
    if not isinstance(value, str):
        raise _custom(f"应为 cron 表达式文本（如 \"30 2 * * *\"），实际为 {_describe_input(value)}")
    try:
        return crontab.parse(value).text  # the parser the scheduler uses: what passes here is what runs
    except crontab.CrontabError as exc:
        raise _custom(f"不是有效的 cron 表达式（5 段：分 时 日 月 星期，如 \"30 2 * * *\"）：{exc}；"
                      f"实际为 {value!r}") from None


DIGEST_ON = ("every_day", "workdays")


def _check_digest_on(value: Any) -> str:
    if value not in DIGEST_ON:
        raise _custom(f"应为 every_day（每天）或 workdays（仅中国法定工作日，含调休上班日），"
                      f"实际为 {_describe_input(value)}")
    return str(value)


def _check_timezone(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _custom(f"应为时区名称（如 Asia/Shanghai），实际为 {_describe_input(value)}")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise _custom(f"未知的时区 {value!r}（应为 IANA 时区名，如 Asia/Shanghai）") from None
    return value.strip()


def _check_database(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _custom(f"应为数据库文件路径或 postgresql:// 地址，实际为 {_describe_input(value)}")
    if is_database_url(value.strip()) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value.strip()):
        try:
            parse_database_url(value)
        except ValueError as exc:
            raise _custom(str(exc)) from None
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
    # Only the shape here (every command loads the config; apprise is slow to import): `xxgk check`
    # has Apprise itself read every address (notify_url_problems).
    if not isinstance(value, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+", value.strip()):
        shown = _describe_input(value) if not isinstance(value, str) else "不含“协议://”的文本（内容已隐藏，可能含密码）"
        raise _custom(f"应为 Apprise 通知地址（如 mailto://user:pass@smtp.example.edu.cn?to=a@example.edu.cn），"
                      f"实际为 {shown}")
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


def _check_render(value: Any) -> str | list[str]:
    # off | auto | the hosts whose pages are always rendered (docs/configuration.md, "Browser rendering")
    if isinstance(value, bool) and not value:
        return "off"   # YAML reads a bare `off` as false
    if isinstance(value, str) and value.strip().lower() in ("off", "auto"):
        return value.strip().lower()
    if isinstance(value, list) and value:
        return [_check_host(v) for v in value]
    raise _custom(f"应为 off、auto 或主机名列表（如 [xsc.example.edu.cn]），实际为 {value!r}")


def _check_unit_id(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9_-]+", value):
        raise _custom(f"单位 id 只能包含小写字母、数字、下划线和连字符（如 zsb），实际为 {value!r}")
    return value


Cron = Annotated[str, PlainValidator(_check_cron)]
DigestOn = Annotated[str, PlainValidator(_check_digest_on)]
Regex = Annotated[str, PlainValidator(_check_regex)]
Css = Annotated[str | None, PlainValidator(_check_css)]
NotifyUrl = Annotated[str, PlainValidator(_check_notify)]
Network = Annotated[str, PlainValidator(_check_network)]
Host = Annotated[str, PlainValidator(_check_host)]
UnitId = Annotated[str, PlainValidator(_check_unit_id)]
Render = Annotated[str | list[str], PlainValidator(_check_render)]


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
    # Browser rendering (crawler/render.py): only pages that need it, bounded; off unless asked for.
    render: Render = "off"
    browser: str | None = None                 # Chromium executable; default: found on PATH
    render_max_pages: int = Field(200, ge=0)   # per scan
    render_max_pages_per_host: int = Field(50, ge=0)
    render_concurrency: int = Field(2, ge=1, le=4)
    render_timeout: float = Field(20, gt=0, le=120)   # seconds per rendered page


class Schedule(_Model):
    scan: Cron = "30 2 * * *"
    digest: Cron = "0 8 * * *"
    digest_on: DigestOn = "every_day"      # or "workdays": Chinese working days only (cron cannot say it)
    scan_timeout_minutes: int = Field(120, ge=1)
    enabled: bool = True

    def is_digest_day(self, day: date) -> bool:
        """Whether the digest goes out on ``day``; ``workdays``: Chinese working days, make-up days included.
        Raises :class:`monitor.core.workdays.WorkdayError` when the calendar does not know the year."""
        return self.digest_on != "workdays" or workdays.is_working_day(day)


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
    # Link checks after every scan (monitor.compliance.links): on by default, polite and bounded.
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


def _check_textfile(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _custom(f"应为文件路径（如 /var/lib/node_exporter/textfile_collector/xxgk.prom），实际为 {_describe_input(value)}")
    if not value.strip().endswith(".prom"):
        # node_exporter's textfile collector reads *.prom only: any other name would be silently ignored.
        raise _custom(f"文件名应以 .prom 结尾（node_exporter 只读取 *.prom 文件），实际为 {value.strip()!r}")
    return value.strip()


def _check_metrics_token(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) < 16:
        # The token itself is never echoed: it is a secret.
        raise _custom("应为至少 16 个字符的随机文本（建议写 ${XXGK_METRICS_TOKEN}，从环境变量读入）")
    return value.strip()


class Metrics(_Model):
    # node_exporter textfile written after every scan and digest (monitor.metrics); relative to the config
    textfile: Annotated[str | None, PlainValidator(_check_textfile)] = None
    # Bearer token Prometheus sends to the dashboard's /metrics (a logged-in session works too)
    token: Annotated[str | None, PlainValidator(_check_metrics_token)] = None


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
    database: Annotated[str, PlainValidator(_check_database)] = "data/xxgk.db"   # a file path, or postgresql://
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
    metrics: Metrics = Metrics()

    _path: Path = PrivateAttr(default_factory=lambda: Path(DEFAULT_CONFIG_NAME).absolute())
    _catalog: Any = PrivateAttr(default=None)
    _doc: YamlDoc | None = PrivateAttr(default=None)   # the file's lines, for checks after loading

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
        """The SQLite file; with a PostgreSQL ``database:`` a local name the scan and notify lock files sit next
        to (``data/<schema>.postgresql``): it is never a database itself."""
        target = self.database_target
        if isinstance(target, PostgresTarget):
            return self.resolve(f"data/{target.schema}.postgresql")
        return target

    @property
    def database_target(self) -> "Path | PostgresTarget":
        """What ``monitor.store.open_db`` opens: the SQLite file, or the PostgreSQL URL with the school's schema
        (the URL's ``schema``, else ``school_<key>`` from the config file's name, as the fleet names schools)."""
        if not is_database_url(self.database):
            return self.resolve(self.database)
        target = parse_database_url(self.database)
        if target.schema is None:
            key = re.sub(r"[^a-z0-9_]+", "_", self.path.stem.lower()).strip("_") or "default"
            target = PostgresTarget(target.url, target.conninfo, f"school_{key}"[:63])
        return target

    @property
    def uses_postgres(self) -> bool:
        return is_database_url(self.database)

    @property
    def database_label(self) -> str:
        """The database for messages: the file, or the PostgreSQL URL and schema without a password."""
        target = self.database_target
        if isinstance(target, PostgresTarget):
            parts = urlsplit(target.url)
            host = parts.hostname or ""
            netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
            return f"{parts.scheme}://{netloc}{parts.path}（schema {target.schema}）"
        return str(target)

    @property
    def report_inputs_path(self) -> Path | None:
        return self.resolve(self.report.inputs) if self.report.inputs else None

    def resolve(self, relative: str | Path) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def catalog_obj(self) -> Catalog:
        """The loaded catalog with this config's ``items:`` overrides applied (cached)."""
        if self._catalog is None:
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
    cfg._doc = doc
    fleet_db = os.environ.get(FLEET_DATABASE_ENV)
    if fleet_db and "database" not in cfg.model_fields_set:
        cfg.database = _check_database(fleet_db)
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
        f"数据库：{cfg.database_label}",
        f"扫描计划：{cfg.schedule.scan}（{'已启用' if cfg.schedule.enabled else '未启用'}）；"
        f"摘要推送：{cfg.schedule.digest}" + ("（仅工作日）" if cfg.schedule.digest_on == "workdays" else ""),
    ]
    return lines


def schedule_lines(cfg: Config, now: datetime) -> list[str]:
    """When the service (`xxgk run`) next scans and sends the digest, as of ``now`` (the product clock), in
    the school's timezone and with the weekday, so a user sees what the cron lines mean."""
    now = now.astimezone(ZoneInfo(cfg.timezone))
    sched = cfg.schedule
    if sched.enabled:
        scan = crontab.parse(sched.scan).next_run(now)
        lines = ["下次扫描：" + (crontab.describe_run(scan) if scan else "两年内没有符合该 cron 表达式的时间")]
    else:
        lines = ["下次扫描：计划扫描未启用（schedule.enabled: false），需手动运行 xxgk scan 开始扫描"]
    if not cfg.notifications.enabled:
        return lines + ["下次摘要推送：通知已关闭（notifications.enabled: false）"]
    if sched.digest_on != "workdays":
        digest = crontab.parse(sched.digest).next_run(now)
        return lines + ["下次摘要推送：" + (crontab.describe_run(digest) if digest else "两年内没有符合该 cron 表达式的时间")]
    try:
        digest = crontab.parse(sched.digest).next_run(now, accept=workdays.is_working_day)
    except workdays.WorkdayError as exc:
        return lines + [f"下次摘要推送：无法确定（仅工作日推送，但{exc}）"]
    if digest is None:
        return lines + ["下次摘要推送：两年内没有落在工作日的推送时间（schedule.digest_on: workdays）"]
    text = crontab.describe_run(digest)
    if digest.weekday() >= 5:  # a Saturday or Sunday that is a working day: a make-up day
        text = text.replace("）", "，调休上班日）")
    return lines + [f"下次摘要推送：{text}，仅在工作日推送"]


def calendar_warning(today: date) -> str | None:
    """A warning when the installed chinese-calendar does not know next year's holidays yet: working-day
    deadlines that run into next year, and workday digests there, cannot be worked out."""
    first, last = workdays.known_years()
    if today.year + 1 <= last:
        return None
    missing = "今年和明年" if today.year > last else "明年"
    return (f"已安装的节假日日历（chinese-calendar，含 {first}–{last} 年）还没有{missing}（{today.year + 1} 年）"
            "的节假日安排：跨年的工作日期限和仅工作日的摘要推送将无法计算。国务院公布次年安排（通常在 11 月）"
            "后请升级：pip install -U chinese-calendar")


def notify_url_problems(cfg: Config) -> list[str]:
    """Every contact's ``notify`` address read by Apprise itself (`xxgk check`): one line per address Apprise
    cannot use, naming the file, line, field and contact; the address is shown with everything after the
    scheme hidden (tokens and passwords sit anywhere in an Apprise URL)."""
    import apprise  # slow to import: only `xxgk check` (and sending) pays for it

    known = apprise.NotificationManager()
    doc = cfg._doc or read_yaml(cfg.path)
    contacts: list[tuple[Loc, Contact]] = [(("office", "contacts", i), c) for i, c in enumerate(cfg.office.contacts)]
    for u, unit in enumerate(cfg.units):
        contacts += [(("units", u, "contacts", i), c) for i, c in enumerate(unit.contacts)]
    problems: list[str] = []
    for loc, contact in contacts:
        if not contact.notify or apprise.Apprise().add(contact.notify):
            continue
        scheme = contact.notify.partition("://")[0].lower()
        why = (f"Apprise 不支持 {scheme}:// 这种通知方式" if scheme not in known
               else "Apprise 无法使用该地址（缺少或写错了必需部分，如令牌、主机、账号或收件人）")
        problems.append(doc.problem(loc + ("notify",), f"联系人“{contact.name}”的通知地址 {scheme}://**** 无效：{why}"))
    return problems

