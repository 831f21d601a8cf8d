"""The Markdown of a planned digest (Apprise renders it per channel: HTML e-mail, chat, webhook).

Every value that is not this module's own wording goes through ``_md`` (``md_block`` where it opens a
list item), so a crawled reason, finding or error message can neither become a tag, link or image nor
break a list line.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.assess import ItemStatus
from monitor.core.clock import as_date
from monitor.core.safe_text import EXCERPT_MAX, TITLE_MAX, URL_TEXT_MAX, md_block, md_inline
from monitor.core.vocab import CONFIRMATION, KIND, SCAN_STATE, STATUS, STATUS_DIGEST_ORDER
from monitor.notify.plan import NOTIFY_STATUSES, Digest, Finding, OfficeDigest, Recipient, ScanHealth, UnitDigest


@dataclass
class Message:
    recipient: Recipient
    kind: str                   # unit_digest | office_summary
    title: str
    body: str
    items: list[dict[str, Any]]


def render(digest: Digest) -> Message:
    if isinstance(digest, UnitDigest):
        return _unit_message(digest)
    return _office_message(digest)


def _md(value: Any, limit: int | None = TITLE_MAX) -> str:
    return md_inline(value, limit)


def _label(status: str | None) -> str | None:
    return STATUS.label.get(status, status) if status is not None else None


def _item_label(s: ItemStatus) -> str:
    return f"【{_md(s.id)}】{_md(s.short or s.title)}"


def _item_lines(s: ItemStatus, dashboard_url: str, *, extra: str | None = None) -> list[str]:
    due = as_date(s.due)
    head = f"{_item_label(s)} —— {_label(s.status)}"
    if due:
        head += f"（{'应于' if s.status != 'ok' else '下次'} {due.isoformat()} 前）"
    lines = [head]
    if extra:
        lines.append(extra)
    if s.rule_text:
        lines.append(f"更新要求：{_md(s.rule_text)}")
    if s.reason:
        lines.append(f"说明：{_md(s.reason, EXCERPT_MAX)}")
    last = as_date(s.last_changed)
    if last:
        lines.append(f"最近更新：{last.isoformat()}")
    if dashboard_url:
        lines.append(f"查看：{dashboard_url}/items/{s.id}")
    return lines


def _short_lines(s: ItemStatus, dashboard_url: str, text: str) -> list[str]:
    lines = [f"{_item_label(s)}：{text}"]
    due = as_date(s.due)
    if due and s.status != "ok":
        lines.append(f"截止日期：{due.isoformat()}")
    if s.reason:
        lines.append(f"说明：{_md(s.reason, EXCERPT_MAX)}")
    if dashboard_url:
        lines.append(f"查看：{dashboard_url}/items/{s.id}")
    return lines


def _awaiting_lines(s: ItemStatus, dashboard_url: str) -> list[str]:
    """An item found only as candidates awaiting review: what they are, their newest dates, where to decide."""
    lines = [f"{_item_label(s)}：暂定{_label(s.status)}；责任单位：{_unit_of(s)}"]
    for c in s.candidates:
        title = _md(c.title) if c.title else "（无标题）"
        lines.append(f"候选{KIND.label.get(c.target, c.target)}：{title}（最新 {c.newest or '无日期'}）"
                     f" {_md(c.url, URL_TEXT_MAX)}")
    if s.reason:
        lines.append(f"说明：{_md(s.reason, EXCERPT_MAX)}")
    if dashboard_url:
        lines.append(f"确认或排除：{dashboard_url}/items/{s.id}")
    else:
        lines.append(f"确认或排除：在看板该事项页面，或 xxgk match confirm {_md(s.id)} 网址")
    return lines


def _finding_lines(f: Finding) -> list[str]:
    # md_block: the text opens a list item, where a leading "#" or "-" would be markup too
    return [md_block(f.text, EXCERPT_MAX)] + ([f"页面：{_md(f.url, URL_TEXT_MAX)}"] if f.url else [])


def _render_list(entries: list[list[str]]) -> list[str]:
    out: list[str] = []
    for n, lines in enumerate(entries, 1):
        out.append(f"{n}. {lines[0]}")
        out.extend(f"    - {line}" for line in lines[1:])
    return out


def _section(heading: str, entries: list[list[str]]) -> list[str]:
    """One '### heading (n 项…)' section: the numbered entries, then a blank line."""
    return [f"### {heading}", *_render_list(entries), ""]


def _unit_of(s: ItemStatus) -> str:
    return _md(s.unit_name or s.unit or "信息公开办公室")


def _unit_message(d: UnitDigest) -> Message:
    rcp, as_of = d.recipient, d.as_of
    n_items = len({n["item"] for n in d.items})
    title = f"【信息公开提醒】{rcp.unit_name}：{n_items} 项需要处理（{as_of.isoformat()}）"
    body = [f"{_md(rcp.name)}，您好：", "",
            f"截至 {as_of.isoformat()}，{_md(rcp.unit_name)}负责的以下信息公开事项需要处理。", ""]
    for status in NOTIFY_STATUSES:
        group = d.alerts.get(status) or []
        if group:
            body += _section(f"{_label(status)}（{len(group)} 项）", [_item_lines(s, d.dashboard_url) for s in group])
    if d.windows:
        body += _section(f"公开时段已开始（{len(d.windows)} 项）", [
            _item_lines(w.item, d.dashboard_url,
                        extra=f"本年度公开时段：{w.opens.isoformat()} 至 {w.due.isoformat()}，请在截止前发布")
            for w in d.windows])
    if d.findings:
        body += _section(f"新发现的合规问题（{len(d.findings)} 项，敏感信息已遮盖）", [_finding_lines(f) for f in d.findings])
    body.append("本消息由信息公开监测系统自动发送；同一状态只提醒一次，每天至多一封。")
    return Message(rcp, d.kind, title, "\n".join(body), d.items)


def _scan_lines(scans: ScanHealth) -> list[str]:
    lines: list[str] = []
    if scans.runs:
        bad = [r for r in scans.runs if r["status"] != "done"]
        done = [r for r in scans.runs if r["status"] == "done"]
        lines.append(f"自上次日报以来扫描 {len(scans.runs)} 次：成功 {len(done)} 次，失败 {len(bad)} 次")
        for r in bad:
            lines.append(f"扫描 #{r['id']}（{str(r['started_at'])[:16].replace('T', ' ')}）"
                         f"{SCAN_STATE.label.get(r['status'], r['status'])}：{_md(r['message'] or '无详细信息', EXCERPT_MAX)}")
        if done:
            r = done[-1]
            lines.append(f"最近一次成功扫描 #{r['id']}：页面 {(r['pages_fetched'] or 0) + (r['not_modified'] or 0)}，"
                         f"错误 {r['errors'] or 0}")
    else:
        lines.append("自上次日报以来没有新的扫描")
    if scans.stale:
        lines.append("已超过 2 天没有成功的扫描，事项状态可能已过时" if scans.ever_done else "尚无成功的扫描")
    return lines


def _office_message(d: OfficeDigest) -> Message:
    as_of, url = d.as_of, d.dashboard_url
    order = STATUS_DIGEST_ORDER
    count_text = "，".join(f"{_label(k)} {d.counts[k]}" for k in sorted(
        d.counts, key=lambda k: order.index(k) if k in order else len(order)))
    changes = []
    for c in d.changes:
        change = f"{_label(c.before)} → {_label(c.item.status)}" if c.before else _label(c.item.status)
        if c.item.provisional:
            change = f"{change}（{CONFIRMATION.label['provisional']}）"
        changes.append(_short_lines(c.item, url, f"{change}；责任单位：{_unit_of(c.item)}"))
    body = [f"{_md(d.school)}信息公开监测日报（{as_of.isoformat()}）", "",
            f"**事项状态**：共 {d.total} 项；{count_text or '暂无评估结果'}", ""]
    if changes:
        body += _section(f"{'当前需关注的事项' if d.first_summary else '较上次日报的变化'}（{len(changes)} 项）", changes)
    elif not d.first_summary:
        body += ["### 较上次日报的变化", "无", ""]
    if d.awaiting:
        body += [*_section(f"{CONFIRMATION.label['provisional']}（{len(d.awaiting)} 项，请确认匹配）",
                           [_awaiting_lines(s, url) for s in d.awaiting]),
                 "以上事项只找到系统未能确定的候选栏目，状态为暂定；确认前不会通知责任单位。", ""]
    if d.escalations:
        body += _section(f"逾期升级（{len(d.escalations)} 项，请督办）", [
            _short_lines(e.item, url, f"已逾期 {e.days} 天（超过 {e.threshold} 天）；责任单位：{_unit_of(e.item)}")
            for e in d.escalations])
    if d.windows:
        body += _section(f"公开时段已开始（{len(d.windows)} 项，重点督查）", [
            _short_lines(w.item, url, f"公开时段 {w.opens.isoformat()} 至 {w.due.isoformat()}；责任单位：{_unit_of(w.item)}")
            for w in d.windows])
    if d.findings:
        body += _section(f"信息公开网新发现的合规问题（{len(d.findings)} 项，敏感信息已遮盖）", [_finding_lines(f) for f in d.findings])
    body.append("### 扫描情况")
    body.extend(f"- {line}" for line in _scan_lines(d.scans))
    body.append("")
    if d.failures:
        body.append(f"### 通知发送失败（{len(d.failures)} 条）")
        for f in d.failures:
            what = "已放弃重试" if f.status == "gave_up" else "将在下次发送时重试"
            body.append(f"- {_md(f.day)} 发给 {_md(f.unit_name)} {_md(f.contact_name)}（{_md(f.target)}）："
                        f"{_md(f.last_error or '发送失败', EXCERPT_MAX)}；{what}")
        body.append("")
    if url:
        body.append(f"详情：{url}/")
    title = f"【信息公开日报】{d.school}（{as_of.isoformat()}）"
    return Message(d.recipient, d.kind, title, "\n".join(body).rstrip() + "\n", d.items)
