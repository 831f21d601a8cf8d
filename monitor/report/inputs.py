"""The office's report inputs file (docs/report.md): figures that are not on the web (依申请公开, 举报,
复议, 诉讼) and hand-written paragraphs, validated, and kept in ``report_inputs`` so a re-run needs no file."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError

from monitor.core import clock
from monitor.report.model import AcademicYear, ReportError, ReportInputs, RequestFigures
from monitor.store import rows
from monitor.store.engine import Database

TEXT_KEYS = ("overview", "active", "problems", "measures", "complaints")


class _Requests(BaseModel):
    model_config = ConfigDict(extra="forbid")
    received: NonNegativeInt
    carried_over: NonNegativeInt = 0
    outcomes: dict[str, NonNegativeInt] = Field(default_factory=dict)
    pending: NonNegativeInt = 0
    channels: dict[str, NonNegativeInt] = Field(default_factory=dict)
    fees: str | None = None


class _InputsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: str | None = None
    source: str | None = None
    filled_by: str | None = None
    requests: _Requests | None = None
    complaints: NonNegativeInt | None = None
    reconsiderations: NonNegativeInt | None = None
    lawsuits: NonNegativeInt | None = None
    texts: dict[str, str] = Field(default_factory=dict)

def _yaml_line(text: str, loc: tuple) -> int | None:
    """Line (1-based) of the YAML node at a pydantic error location, for the error message."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if k.value == str(key):
                line, node = k.start_mark.line + 1, v
                break
        else:
            break
    return line


def load_inputs(path: str | Path, year: AcademicYear) -> ReportInputs:
    """Read and validate the office's YAML (docs/report.md); errors name file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"填报文件不存在：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"无法读取填报文件 {path}：{exc}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise ReportError(f"填报文件 {path} {where}不是有效的 YAML") from None
    if not isinstance(data, dict):
        raise ReportError(f"填报文件 {path} 的内容应为键值对（见 docs/report.md）")
    try:
        parsed = _InputsFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _yaml_line(text, loc)
        field_name = ".".join(str(p) for p in loc)
        what = {"missing": "缺少必填项", "extra_forbidden": "不认识的字段"}.get(
            err["type"], "应为非负整数" if "int" in err["type"] or "greater_than" in err["type"] else "取值无效")
        raise ReportError(f"填报文件 {path}{f' 第{line}行' if line else ''} 字段 {field_name}：{what}") from None
    if parsed.year and AcademicYear.parse(parsed.year).label != year.label:
        raise ReportError(f"填报文件 {path} 写的是 {parsed.year} 学年，与要生成的 {year.label} 学年不符")
    unknown = sorted(set(parsed.texts) - set(TEXT_KEYS))
    if unknown:
        raise ReportError(f"填报文件 {path} 字段 texts.{unknown[0]}：不认识的段落（可用：{'、'.join(TEXT_KEYS)}）")
    req = parsed.requests
    figures = None
    if req is not None:
        if req.outcomes and sum(req.outcomes.values()) + req.pending != req.received + req.carried_over:
            raise ReportError(
                f"填报文件 {path} 依申请公开数字不平衡：答复{sum(req.outcomes.values())}件 + 结转下学年{req.pending}件"
                f" ≠ 收到{req.received}件 + 上学年结转{req.carried_over}件")
        figures = RequestFigures(req.received, req.carried_over, dict(req.outcomes), req.pending,
                                 dict(req.channels), req.fees)
    source = parsed.source or "学校信息公开工作机构填报"
    if parsed.filled_by:
        source += f"，填报人：{parsed.filled_by}"
    source += f"；填报文件 {path.name}"
    return ReportInputs(source=source, path=str(path), requests=figures, complaints=parsed.complaints,
                        reconsiderations=parsed.reconsiderations, lawsuits=parsed.lawsuits,
                        texts={k: v for k, v in parsed.texts.items() if v and v.strip()})


def save_inputs(db: Database, year: AcademicYear, inputs: ReportInputs) -> None:
    # Not store.dumps: it sorts keys, and the office's order of outcomes is the report's order.
    db.execute("INSERT INTO report_inputs(year, data, source, loaded_at) VALUES (?,?,?,?) ON CONFLICT (year) DO UPDATE"
               " SET data = excluded.data, source = excluded.source, loaded_at = excluded.loaded_at",
               (year.label, json.dumps(asdict(inputs), ensure_ascii=False), inputs.path, clock.now_iso()))


def stored_inputs(db: Database, year: AcademicYear) -> ReportInputs | None:
    """Inputs imported by an earlier run for this year (so re-running needs no file)."""
    found = rows(db, "SELECT data, loaded_at FROM report_inputs WHERE year = ?", (year.label,))
    if not found:
        return None
    data = json.loads(found[0]["data"])
    req = data.get("requests")
    return ReportInputs(source=f"{data['source']}（导入于{found[0]['loaded_at'][:10]}）", path=data.get("path"),
                        requests=RequestFigures(**req) if req else None, complaints=data.get("complaints"),
                        reconsiderations=data.get("reconsiderations"), lawsuits=data.get("lawsuits"),
                        texts=data.get("texts") or {})
