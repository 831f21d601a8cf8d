"""The fleet file: which schools a fleet runs, where their jobs queue and where their data goes.

```yaml
name: 某省教育厅                   # optional; keys in Redis are prefixed with it
broker: redis://127.0.0.1:6379/0   # Celery broker, also the school locks and job records
database: postgresql://xxgk@db.example.edu.cn:5432/xxgk   # schema school_<key> per school
# database: /srv/xxgk/schools     # or a folder: one SQLite file school_<key>.db per school (one machine)
time_limit_minutes: 120           # default: each school's schedule.scan_timeout_minutes
queue: xxgk                       # the Celery queue of the fleet's jobs
lock_ttl_seconds: 60              # a dead worker's school lock lapses after this
busy_retry_seconds: 60            # a job whose school is busy comes back after this
visibility_timeout_seconds: 7800  # default: the longest time limit + 10 minutes
schools:
  - schools/hnu.yaml              # key from the file name: hnu
  - {config: schools/csu-main.yaml, key: csu, time_limit_minutes: 60}
folder: schools/more              # every *.yaml in it (a list of folders is fine too)
```

Errors name the file, the line and the field (``monitor.core.yamldoc``); every school's config is loaded with
the school loader, with the fleet's database in place when the school's file has no ``database:``.
"""
from __future__ import annotations

import re
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError

from monitor.config import FLEET_DATABASE_ENV, Config, ConfigError, fleet_environment, fleet_place, load_config
from monitor.core.dburl import is_database_url, parse_database_url
from monitor.core.yamldoc import YamlDoc, custom_error, describe_input, pydantic_problems, read_yaml

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
_KEY_RE = re.compile(r"^[a-z0-9_]{1,40}$")


def key_from_path(path: Path) -> str:
    """A school's default key: its config file's name, as ``Config.database_target`` names its schema."""
    return re.sub(r"[^a-z0-9_]+", "_", path.stem.lower()).strip("_")[:40] or "default"


def _check_broker(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise custom_error(f"应为 Redis 地址（如 {DEFAULT_BROKER}），实际为 {describe_input(value)}")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise custom_error(f"应为 redis:// 或 rediss:// 开头并带主机名的地址，实际为 {value!r}")
    try:
        _ = parts.port
        int(parts.path.strip("/") or 0)
    except ValueError:
        raise custom_error(f"Redis 地址的端口或库号应为数字：{value!r}") from None
    return value.strip()


def _check_database(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise custom_error(f"应为 postgresql:// 地址或存放 SQLite 文件的文件夹，实际为 {describe_input(value)}")
    text = value.strip()
    if is_database_url(text):
        try:
            target = parse_database_url(text)
        except ValueError as exc:
            raise custom_error(str(exc)) from None
        if target.schema is not None:
            raise custom_error("集群的数据库地址不能带 schema 参数：每所学校使用自己的 schema school_<key>")
    elif "://" in text:
        raise custom_error(f"不支持的数据库地址 {text!r}（应为 postgresql:// 或文件夹路径）")
    return text


def _check_key(value: Any) -> str:
    if not isinstance(value, str) or not _KEY_RE.match(value):
        raise custom_error(f"应为 1–40 个小写字母、数字或下划线，实际为 {describe_input(value)}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SchoolEntry(_Model):
    config: Annotated[str, Field(min_length=1)]
    key: Annotated[str, PlainValidator(_check_key)] | None = None
    time_limit_minutes: Annotated[float, Field(gt=0)] | None = None


def _entry(value: Any) -> Any:
    """A bare path is short for ``{config: path}`` (one model, so errors name the field, not a union member)."""
    return {"config": value} if isinstance(value, str) else value


class FleetModel(_Model):
    name: Annotated[str, Field(min_length=1, max_length=60)] = "xxgk"
    broker: Annotated[str, PlainValidator(_check_broker)] = DEFAULT_BROKER
    database: Annotated[str, PlainValidator(_check_database)] | None = None
    queue: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,60}$")] = "xxgk"
    time_limit_minutes: Annotated[float, Field(gt=0)] | None = None
    # How long Redis keeps a delivered, unacknowledged job before giving it to another worker. It must exceed the
    # longest job (a running job past it is delivered again; the job record then stops the copy); default: the
    # longest time limit plus 10 minutes.
    visibility_timeout_seconds: Annotated[float, Field(gt=0)] | None = None
    lock_ttl_seconds: Annotated[float, Field(ge=2)] = 60.0       # a killed holder's school lock lapses after it
    busy_retry_seconds: Annotated[float, Field(gt=0)] = 60.0     # a job that finds its school busy comes back then
    schools: list[Annotated[SchoolEntry, BeforeValidator(_entry)]] = []
    folder: str | list[str] | None = None


@dataclass(frozen=True)
class School:
    key: str
    config_path: Path
    time_limit: float                 # seconds: the whole job (scan, assessment, publish) ends by then
    line: int                         # where the fleet file names it (for messages)
    # Environment of the school's processes: the fleet's place for it (the school's own `database:` wins).
    env: tuple[tuple[str, str], ...] = ()


def load_school(school: School) -> Config:
    """The school's config, loaded as its own processes will load it (fleet database in place)."""
    with school_environment(school):
        return load_config(school.config_path)


@dataclass(frozen=True)
class Fleet:
    path: Path
    name: str
    broker: str
    database: str | None               # postgresql:// URL, or an absolute folder of SQLite files
    queue: str
    visibility_timeout: float
    lock_ttl: float
    busy_retry: float
    schools: tuple[School, ...]

    def school(self, key: str) -> School:
        for s in self.schools:
            if s.key == key:
                return s
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.schools]

    def redis_prefix(self) -> str:
        return f"xxgk:fleet:{self.name}"


def school_environment(school: School) -> AbstractContextManager[None]:
    """Load a school's config in this process with the environment its subprocesses get."""
    return fleet_environment(dict(school.env).get(FLEET_DATABASE_ENV))


def load_fleet(path: str | Path, *, check_schools: bool = True) -> Fleet:
    """Read and check the fleet file (and, by default, every school's config); :class:`ConfigError` lists every
    problem as ``file:line: field: 中文``."""
    path = Path(path)
    shown = str(path)
    doc = read_yaml(path, name=shown)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{shown}:1: 集群文件顶层应为映射（broker: …、schools: … 等）")
    try:
        model = FleetModel.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigError(_by_line(pydantic_problems(exc, doc, FleetModel))) from None
    base = path.absolute().parent
    problems: list[str] = []
    entries = _entries(model, doc, base, problems)
    database = model.database
    if database is not None and not is_database_url(database):
        folder = Path(database).expanduser()
        database = str(folder if folder.is_absolute() else base / folder)
    fleet_limit = model.time_limit_minutes
    schools: list[School] = []
    seen: dict[str, int] = {}
    for cfg_path, key, limit, loc in entries:
        line = doc.line(loc)
        if key in seen:
            problems.append(doc.problem(loc, f"学校代号 {key!r} 重复（第 {seen[key]} 行已使用）；请用 key: 指定不同的代号"))
            continue
        seen[key] = line
        env = ((FLEET_DATABASE_ENV, fleet_place(database, key)),) if database is not None else ()
        school = School(key, cfg_path, 0.0, line, env)
        minutes = limit or fleet_limit
        if check_schools or minutes is None:
            try:
                cfg = load_school(school)
            except ConfigError as exc:
                problems.append(doc.problem(loc, f"学校 {key} 的配置有误："))
                problems.extend("  " + p for p in exc.problems)
                continue
            minutes = minutes or float(cfg.schedule.scan_timeout_minutes)
        schools.append(School(key, cfg_path, float(minutes or 120) * 60, line, env))
    if not entries and not problems:
        problems.append(doc.problem(("schools",), "没有列出任何学校（schools: 列出配置文件，或 folder: 指定文件夹）"))
    if problems:
        raise ConfigError(problems)
    longest = max(s.time_limit for s in schools)
    visibility = model.visibility_timeout_seconds or longest + 600
    return Fleet(path.absolute(), model.name, model.broker, database, model.queue, float(visibility),
                 float(model.lock_ttl_seconds), float(model.busy_retry_seconds), tuple(schools))


def _by_line(problems: list[str]) -> list[str]:
    """Problems in file order (stable for the same line), as the school loader sorts them."""
    def line(p: str) -> int:
        m = re.match(r"^.*?:(\d+):", p)
        return int(m.group(1)) if m else 0
    return sorted(problems, key=line)


def _entries(model: FleetModel, doc: YamlDoc, base: Path, problems: list[str]
             ) -> list[tuple[Path, str, float | None, tuple[Any, ...]]]:
    """(config path, key, time limit in minutes, location in the file) of every school, in file order."""
    out: list[tuple[Path, str, float | None, tuple[Any, ...]]] = []
    raw = doc.data.get("schools") if isinstance(doc.data, dict) else None
    for i, item in enumerate(model.schools):
        cfg_path = Path(item.config).expanduser()
        cfg_path = (cfg_path if cfg_path.is_absolute() else base / cfg_path).resolve()
        bare = isinstance(raw, list) and i < len(raw) and isinstance(raw[i], str)
        loc: tuple[Any, ...] = ("schools", i) if bare else ("schools", i, "config")
        if not cfg_path.is_file():
            problems.append(doc.problem(loc, f"找不到学校配置文件 {item.config}"))
            continue
        out.append((cfg_path, item.key or key_from_path(cfg_path), item.time_limit_minutes, ("schools", i)))
    folders = [model.folder] if isinstance(model.folder, str) else list(model.folder or [])
    for j, name in enumerate(folders):
        loc = ("folder",) if isinstance(model.folder, str) else ("folder", j)
        folder = Path(name).expanduser()
        folder = folder if folder.is_absolute() else base / folder
        if not folder.is_dir():
            problems.append(doc.problem(loc, f"找不到文件夹 {name}"))
            continue
        listed = {p for p, *_ in out}
        # a generated school's own catalog (<name>-catalog.yaml) sits next to its config: not a school
        for cfg_path in sorted(p.resolve() for p in folder.glob("*.yaml") if not p.stem.endswith("-catalog")):
            if cfg_path not in listed:
                out.append((cfg_path, key_from_path(cfg_path), None, loc))
                listed.add(cfg_path)
    return out
