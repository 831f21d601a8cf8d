"""Update rules: the grammar (mapping or short string form) and the status engine for one item.

The semantics are exactly the table in docs/architecture.md ("Update rules"); docs/rules.md explains
them with examples. Everything here is a pure function of (rule, evidence dates, as-of date,
known changes): precedence statuses (missing/unreachable/blank/undated) are decided in
``monitor.assess`` before a rule is ever evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

from monitor.core import workdays

KINDS = ("static", "event", "periodic", "annual", "window", "on_change")   # their names: vocab.RULE_KIND
# Fields each kind accepts (besides `kind`); anything else is a mistake worth reporting.
FIELDS: dict[str, tuple[str, ...]] = {
    "static": ("review_years",),
    "event": (),
    "periodic": ("every", "due_soon_days"),
    "annual": ("due", "opens", "due_soon_days"),
    "window": ("start", "end"),
    "on_change": ("working_days", "review_years"),
}
DEFAULT_DUE_SOON = {"periodic": 7, "annual": 30}
DEFAULT_WORKING_DAYS = 20
DEFAULT_REVIEW_YEARS = 3
_KIND_ALIASES = {"on-change": "on_change", "onchange": "on_change", "change": "on_change"}
_MD_RE = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_EVERY_RE = re.compile(r"^(\d+)\s*(d|w|m|y|天|日|周|星期|个月|月|年)$", re.IGNORECASE)
_EVERY_UNITS = {"d": "d", "天": "d", "日": "d", "w": "w", "周": "w", "星期": "w",
                "m": "m", "个月": "m", "月": "m", "y": "y", "年": "y"}
_UNIT_TEXT = {"d": "天", "w": "周", "m": "个月", "y": "年"}


class RuleError(ValueError):
    """A rule that cannot be parsed; the message is Chinese and names the problem."""


@dataclass(frozen=True)
class Rule:
    """A parsed update rule with defaults filled in (see FIELDS for what each kind uses)."""

    kind: str
    due: str | None = None            # annual: "MM-DD"
    opens: str | None = None          # annual: "MM-DD" (default: the day after `due`)
    start: str | None = None          # window
    end: str | None = None            # window
    every: str | None = None          # periodic: "14d" | "2w" | "6m" | "1y"
    due_soon_days: int | None = None  # periodic (7), annual (30)
    working_days: int | None = None   # on_change (20)
    review_years: int | None = None   # on_change (3), static (none)

    def to_dict(self) -> dict[str, Any]:
        """Mapping form with every field this kind uses (defaults made explicit)."""
        out: dict[str, Any] = {"kind": self.kind}
        for name in FIELDS[self.kind]:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def describe(self) -> str:
        """Chinese one-liner for tables and reports, e.g. 每年10月31日前（自9月1日起）."""
        if self.kind == "static":
            return "长期有效" + (f"，每{self.review_years}年复核" if self.review_years else "")
        if self.kind == "event":
            return "事件发生时公开（无事件时无需更新）"
        if self.kind == "periodic":
            return f"每{every_text(self.every or '')}更新"
        if self.kind == "annual":
            return f"每年{_md_text(self.due)}前（自{_md_text(self.opens)}起）"
        if self.kind == "window":
            return f"每年{_md_text(self.start)}至{_md_text(self.end)}"
        return (f"变动后{self.working_days}个工作日内更新"
                f"（超过{self.review_years}年未更新视为逾期）")


@dataclass
class Verdict:
    status: str                 # ok | due_soon | overdue
    reason: str                 # Chinese sentence
    due: date | None            # the deadline the status refers to
    last_changed: date | None   # newest evidence date known by the as-of day


# ---------------------------------------------------------------- parsing

def parse_rule(obj: Any) -> Rule:
    """Parse a rule from its mapping form ({kind: annual, due: "10-31"}), a short string
    ("annual 10-31", "window 03-01..06-30", "periodic 14d", "on_change", "static", "event"),
    or return an already parsed :class:`Rule`."""
    if isinstance(obj, Rule):
        return obj
    if isinstance(obj, str):
        return _parse_short(obj)
    if not isinstance(obj, Mapping):
        raise RuleError(f"规则应为映射（如 {{kind: annual, due: \"10-31\"}}）或简写字符串（如 \"annual 10-31\"），"
                        f"实际为 {type(obj).__name__}")
    data = dict(obj)
    kind = _kind(data.pop("kind", None))
    unknown = [k for k in data if k not in FIELDS[kind]]
    if unknown:
        allowed = "、".join(FIELDS[kind]) or "（无其他字段）"
        raise RuleError(f"规则类型 {kind} 不支持字段 {', '.join(map(str, unknown))}；可用字段：{allowed}")
    return _build(kind, data)


def describe_rule(rule: Any) -> tuple[str, str]:
    """(kind, Chinese description) of a rule in any form a catalog holds (a :class:`Rule`, an object with
    ``to_dict``, the mapping or short form): the one describer behind status tables, the dashboard, the
    notifications and the report. A rule the engine rejects is described from its fields, not hidden."""
    if rule is None:
        return "", "未设定"
    try:
        parsed = parse_rule(rule.to_dict() if hasattr(rule, "to_dict") else rule)
    except Exception:  # RuleError, or a field of the wrong type
        return _describe_as_written(rule)
    return parsed.kind, parsed.describe()


def _describe_as_written(rule: Any) -> tuple[str, str]:
    if isinstance(rule, str):  # a short form the grammar rejects: shown as written
        return (rule.split()[0].lower() if rule.strip() else ""), (rule.strip() or "未设定")
    data = rule if isinstance(rule, Mapping) else getattr(rule, "__dict__", {})
    kind = str(data.get("kind") or "")
    if kind == "static":
        years = data.get("review_years")
        return kind, f"长期有效，每{years}年复核" if years else "长期有效（无变化无需更新）"
    if kind == "event":
        return kind, "事件触发（发生时公开）"
    if kind == "periodic":
        every = str(data.get("every") or "")
        m = re.fullmatch(r"(\d+)\s*([dwmy])", every)
        return kind, f"每{m.group(1)}{_UNIT_TEXT[m.group(2)]}更新" if m else f"定期更新（{every}）"
    if kind == "annual":
        due = _md_text_as_written(data.get("due"))
        return kind, f"每年{due}前更新" if due else "每年更新"
    if kind == "window":
        return kind, f"每年{_md_text_as_written(data.get('start'))}至{_md_text_as_written(data.get('end'))}公开"
    if kind == "on_change":
        return kind, f"变动后{data.get('working_days') or DEFAULT_WORKING_DAYS}个工作日内更新"
    return kind, kind or "未设定"


def _md_text_as_written(value: Any) -> str:
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value or ""))
    return f"{int(m.group(1))}月{int(m.group(2))}日" if m else ""


def _kind(value: Any) -> str:
    if value is None:
        raise RuleError(f"规则缺少 kind，可选：{', '.join(KINDS)}")
    text = str(value).strip().lower()
    text = _KIND_ALIASES.get(text, text)
    if text not in KINDS:
        raise RuleError(f"未知的规则类型 \"{value}\"，可选：{', '.join(KINDS)}")
    return text


def _build(kind: str, data: dict[str, Any]) -> Rule:
    if kind == "static":
        return Rule(kind, review_years=_opt_int(data, "review_years", None, minimum=1))
    if kind == "event":
        return Rule(kind)
    if kind == "periodic":
        if data.get("every") is None:
            raise RuleError("periodic 规则需要 every（如 \"14d\"、\"6m\"、\"1y\"）")
        return Rule(kind, every=parse_every(data["every"]),
                    due_soon_days=_opt_int(data, "due_soon_days", DEFAULT_DUE_SOON["periodic"], minimum=0))
    if kind == "annual":
        if data.get("due") is None:
            raise RuleError("annual 规则需要 due（截止日，\"MM-DD\"，如 \"10-31\"）")
        due = parse_month_day(data["due"], "due")
        opens = (parse_month_day(data["opens"], "opens") if data.get("opens") is not None
                 else _day_after(due))
        return Rule(kind, due=due, opens=opens,
                    due_soon_days=_opt_int(data, "due_soon_days", DEFAULT_DUE_SOON["annual"], minimum=0))
    if kind == "window":
        missing = [k for k in ("start", "end") if data.get(k) is None]
        if missing:
            raise RuleError(f"window 规则需要 start 和 end（\"MM-DD\"），缺少 {', '.join(missing)}")
        return Rule(kind, start=parse_month_day(data["start"], "start"), end=parse_month_day(data["end"], "end"))
    return Rule(kind, working_days=_opt_int(data, "working_days", DEFAULT_WORKING_DAYS, minimum=1),
                review_years=_opt_int(data, "review_years", DEFAULT_REVIEW_YEARS, minimum=1))


def _opt_int(data: Mapping[str, Any], name: str, default: int | None, *, minimum: int) -> int | None:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise RuleError(f"{name} 应为整数，实际为 {value!r}")
    text = str(value).strip().rstrip("年天y").strip()
    if not text.isdigit() or int(text) < minimum:
        raise RuleError(f"{name} 应为不小于 {minimum} 的整数，实际为 {value!r}")
    return int(text)


def parse_month_day(value: Any, name: str = "日期") -> str:
    """Validate "MM-DD" (also "M-D", "M月D日", "MM/DD") and return it zero-padded."""
    text = str(value).strip()
    text = re.sub(r"^(\d{1,2})月(\d{1,2})日?$", r"\1-\2", text).replace("/", "-")
    m = _MD_RE.match(text)
    if isinstance(value, bool) or not m:
        raise RuleError(f"{name} 应为 \"MM-DD\" 格式的月日（如 \"10-31\"），实际为 {value!r}")
    month, day = int(m.group(1)), int(m.group(2))
    try:
        date(2000, month, day)  # leap year: 02-29 is a valid month-day
    except ValueError:
        raise RuleError(f"{name} 不是有效的月日：{value!r}") from None
    return f"{month:02d}-{day:02d}"


def parse_every(value: Any) -> str:
    """"14d" / "2w" / "6m" / "1y" (also 14天, 6个月, 1年) → normalised "<n><unit>"."""
    text = str(value).strip().replace(" ", "")
    m = _EVERY_RE.match(text)
    if isinstance(value, bool) or not m or int(m.group(1)) <= 0:
        raise RuleError(f"every 应为正整数加单位 d/w/m/y（如 \"14d\"、\"6m\"、\"1y\"），实际为 {value!r}")
    return f"{int(m.group(1))}{_EVERY_UNITS[m.group(2).lower()]}"


def every_text(every: str) -> str:
    n, unit = int(every[:-1]), every[-1]
    if n == 1 and unit in ("y", "w"):
        return _UNIT_TEXT[unit]          # 每年 / 每周
    return f"{n}{_UNIT_TEXT[unit]}"


def _parse_short(text: str) -> Rule:
    """Short forms: "annual 10-31 [opens 09-01] [soon 30]", "window 03-01..06-30",
    "periodic 14d [soon 7]", "on_change [20] [review 3]", "static [review 5]", "event"."""
    tokens = text.replace("～", "..").replace("~", "..").split()
    if not tokens:
        raise RuleError("规则为空字符串，可选：" + ", ".join(KINDS))
    kind = _kind(tokens[0])
    args = tokens[1:]
    data: dict[str, Any] = {}
    positional: list[str] = []
    keymap = {"opens": "opens", "from": "opens", "soon": "due_soon_days", "due_soon_days": "due_soon_days",
              "review": "review_years", "review_years": "review_years", "every": "every", "due": "due",
              "working_days": "working_days", "wd": "working_days", "start": "start", "end": "end"}
    i = 0
    while i < len(args):
        tok = args[i]
        if "=" in tok:
            key, _, val = tok.partition("=")
            if key not in keymap:
                raise RuleError(f"规则 \"{text}\" 中有无法识别的参数 \"{key}\"")
            data[keymap[key]] = val
        elif tok in keymap and i + 1 < len(args):
            data[keymap[tok]] = args[i + 1]
            i += 1
        else:
            positional.append(tok)
        i += 1
    expected = {"annual": ["due"], "periodic": ["every"], "on_change": ["working_days"],
                "static": ["review_years"], "event": [], "window": []}[kind]
    if kind == "window" and positional:
        parts = re.split(r"\.\.|–|—|至|到", positional[0]) if len(positional) == 1 else positional
        if len(parts) != 2:
            raise RuleError(f"window 简写应为 \"window MM-DD..MM-DD\"，实际为 \"{text}\"")
        data["start"], data["end"] = parts
        positional = []
    if len(positional) > len(expected):
        raise RuleError(f"规则 \"{text}\" 中有多余的参数：{' '.join(positional[len(expected):])}")
    for name, value in zip(expected, positional):
        data[name] = value
    for key in list(data):
        if key not in FIELDS[kind]:
            raise RuleError(f"规则类型 {kind} 不支持参数 {key}（\"{text}\"）")
    return _build(kind, data)


# ---------------------------------------------------------------- dates

def _md(md: str) -> tuple[int, int]:
    m, d = md.split("-")
    return int(m), int(d)


def _on(year: int, md: str) -> date:
    """The month-day in a year; 02-29 falls on 02-28 in common years."""
    m, d = _md(md)
    try:
        return date(year, m, d)
    except ValueError:
        return date(year, m, d - 1)


def _day_after(md: str) -> str:
    nxt = date(2001, *_md(md)) + timedelta(days=1) if md != "02-29" else date(2001, 3, 1)
    return f"{nxt.month:02d}-{nxt.day:02d}"


def _md_text(md: str | None) -> str:
    m, d = _md(md or "01-01")
    return f"{m}月{d}日"


def latest_on_or_before(md: str, d: date) -> date:
    x = _on(d.year, md)
    return x if x <= d else _on(d.year - 1, md)


def latest_before(md: str, d: date) -> date:
    x = _on(d.year, md)
    return x if x < d else _on(d.year - 1, md)


def next_on_or_after(md: str, d: date) -> date:
    x = _on(d.year, md)
    return x if x >= d else _on(d.year + 1, md)


def add_every(d: date, every: str) -> date:
    n, unit = int(every[:-1]), every[-1]
    if unit == "d":
        return d + timedelta(days=n)
    if unit == "w":
        return d + timedelta(weeks=n)
    months = n * (12 if unit == "y" else 1)
    y, m = divmod(d.month - 1 + months, 12)
    return _clamped(d.year + y, m + 1, d.day)


def years_before(d: date, n: int) -> date:
    return _clamped(d.year - n, d.month, d.day)


def _clamped(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def _add_working_days(d: date, n: int) -> tuple[date, bool]:
    """Working-day deadline; if the holiday calendar lacks the year, estimate with Mon–Fri
    (flagged so the reason can say so) instead of failing the whole assessment."""
    try:
        return workdays.add_working_days(d, n), True
    except workdays.WorkdayError:
        cur, left = d, n
        while left:
            cur += timedelta(days=1)
            if cur.weekday() < 5:
                left -= 1
        return cur, False


def _working_days_left(a: date, b: date) -> int:
    try:
        return workdays.working_days_between(a, b)
    except workdays.WorkdayError:
        return sum(1 for i in range(1, (b - a).days + 1) if (a + timedelta(days=i)).weekday() < 5)


# ---------------------------------------------------------------- evaluation

def evaluate(rule: Rule | Mapping[str, Any] | str, evidence_dates: Iterable[date], as_of: date, *,
             changes: Iterable[date] = ()) -> Verdict:
    """Status of one item by its rule, from the dates of its evidence (only dates ≤ as_of count)."""
    rule = parse_rule(rule)
    known = sorted({d for d in evidence_dates if d is not None and d <= as_of})
    last = known[-1] if known else None
    A = as_of

    def any_in(lo: date, hi: date) -> bool:
        return any(lo <= e <= hi for e in known)

    if rule.kind == "event":
        return Verdict("ok", "事件类，无事件时无需更新" + (f"（最近更新{last}）" if last else ""), None, last)

    if rule.kind == "static":
        due = _clamped(last.year + rule.review_years, last.month, last.day) if (rule.review_years and last) else None
        if due is not None and A > due:
            return Verdict("overdue", f"长期有效事项超过{rule.review_years}年未复核更新（最近更新{last}）", due, last)
        return Verdict("ok", "长期有效，无需定期更新" + (f"（最近更新{last}）" if last else ""), due, last)

    if rule.kind == "periodic":
        period = every_text(rule.every or "1y")
        if last is None:
            return Verdict("overdue", f"应每{period}更新，但没有任何带日期的更新记录", None, None)
        due = add_every(last, rule.every or "1y")
        if A > due:
            return Verdict("overdue", f"应每{period}更新，最近更新{last}，应于{due}前再次更新，已逾期{(A - due).days}天",
                           due, last)
        left = (due - A).days
        if left <= (rule.due_soon_days if rule.due_soon_days is not None else 7):
            return Verdict("due_soon", f"应每{period}更新，最近更新{last}，须于{due}前再次更新，还剩{left}天", due, last)
        return Verdict("ok", f"最近更新{last}，下次应于{due}前更新", due, last)

    if rule.kind in ("annual", "window"):
        opens_md = rule.opens if rule.kind == "annual" else rule.start
        due_md = rule.due if rule.kind == "annual" else rule.end
        assert opens_md and due_md
        d_p = latest_before(due_md, A)
        o_p = latest_on_or_before(opens_md, d_p)
        if not any_in(o_p, A):
            late = (A - d_p).days
            if rule.kind == "window":
                why = f"应在{o_p}至{d_p}期间公开，" + (f"最近更新{last}，" if last else "") + f"此后未见更新，已逾期{late}天"
            else:
                why = f"应于{d_p}前完成本周期更新（自{o_p}起），" + (f"最近更新{last}，" if last else "") + f"已逾期{late}天"
            return Verdict("overdue", why, d_p, last)
        d_n = next_on_or_after(due_md, A)
        o_n = latest_on_or_before(opens_md, d_n)
        left = (d_n - A).days
        # window: due_soon during the whole window; annual: only within due_soon_days of the deadline
        soon = (rule.due_soon_days if rule.due_soon_days is not None else 30) if rule.kind == "annual" else None
        if o_n <= A and not any_in(o_n, A) and (soon is None or left <= soon):
            if rule.kind == "window":
                why = f"公开时段{o_n}至{d_n}已开始，尚未见本年度更新，还剩{left}天"
            else:
                why = f"本周期（自{o_n}起）尚未更新，应于{d_n}前完成，还剩{left}天"
            return Verdict("due_soon", why, d_n, last)
        if o_n <= A and any_in(o_n, A):
            why = f"本周期已于{max(e for e in known if o_n <= e <= A)}更新（本周期截止{d_n}）"
        else:
            why = f"上一周期已更新（最近更新{last}），本周期应于{d_n}前完成"
        return Verdict("ok", why, d_n, last)

    # on_change
    wd = rule.working_days or DEFAULT_WORKING_DAYS
    pending = []
    for c in sorted({c for c in changes if c is not None and c <= A}):
        if not any(e >= c for e in known):
            deadline, exact = _add_working_days(c, wd)
            pending.append((c, deadline, exact))
    known_changes = [c for c in changes if c is not None and c <= A]
    if pending:
        missed = [p for p in pending if A > p[1]]
        c, deadline, exact = missed[0] if missed else pending[0]
        note = "" if exact else "（该年节假日数据缺失，按周一至周五估算）"
        if missed:
            return Verdict("overdue", f"{c}发生变动，应在{wd}个工作日内（{deadline}前）更新，已逾期{(A - deadline).days}天{note}",
                           deadline, last)
        left = _working_days_left(A, deadline)
        return Verdict("due_soon", f"{c}发生变动，应在{wd}个工作日内（{deadline}前）更新，还剩{left}个工作日{note}",
                       deadline, last)
    # Every known change has been answered (or none is known): the item must still be reviewed
    # at least every `review_years` years.
    years = rule.review_years or DEFAULT_REVIEW_YEARS
    if last is None:
        return Verdict("overdue", "变动即更事项没有任何带日期的更新记录", None, None)
    due = _clamped(last.year + years, last.month, last.day)
    if A > due:
        return Verdict("overdue", f"超过{years}年未更新（最近更新{last}）", due, last)
    if known_changes:
        return Verdict("ok", f"{max(known_changes)}的变动已更新（最近更新{last}）", due, last)
    return Verdict("ok", f"变动即更，最近更新{last}", due, last)


__all__ = ["Rule", "Verdict", "RuleError", "parse_rule", "describe_rule", "evaluate", "KINDS",
           "parse_month_day", "parse_every", "every_text", "add_every"]
