"""The report's text: its sections in Chinese, figures filled in from the model, 【待填写：…】 where only
people know (the office's inputs file supplies what it can)."""
from __future__ import annotations

from typing import Callable

from monitor.core.vocab import CONFIRMATION, STATUS
from monitor.report.model import AnnualReport, ReportInputs, ScanCoverage, Section, cn_date

TextOr = Callable[[str, str], str]


def _cn_list(names: list[str], limit: int = 0) -> str:
    shown = names[:limit] if limit and len(names) > limit else names
    return "、".join(shown)


def draft_sections(rep: AnnualReport) -> list[Section]:
    """The report's sections in Chinese, figures filled in, 【待填写：…】 where only people know."""
    s, y = rep.summary, rep.year
    texts = rep.inputs.texts if rep.inputs else {}

    def text_or(key: str, placeholder: str) -> str:
        return texts.get(key, "").strip() or f"【待填写：{placeholder}】"

    overview = [
        f"根据《高等学校信息公开办法》（教育部令第29号）、《高等学校信息公开事项清单》（教办函〔2014〕23号）"
        f"和教育部办公厅有关通知要求，现将{rep.school}{y.label}学年（{y.span_cn}）信息公开工作情况报告如下。",
        text_or("overview", "本学年信息公开工作概况：组织领导、制度建设、工作机制、信息员队伍等"),
        f"本报告中主动公开情况的数据由信息公开监测系统根据{_scan_span(rep.scans)}{rep.scans.count}次网站扫描"
        "所存档的页面统计，每项证据均附存档编号，可在证据包中核对。",
    ]
    if not rep.year_complete:
        overview.append(f"注意：本学年尚未结束，各项数据统计截至{cn_date(rep.as_of)}。")

    active = []
    head = (f"按照学校信息公开事项清单，学校应当公开共{s.categories}大类办学信息，涉及具体条目{s.items}项。"
            f"本学年完成了{s.updated}项条目的信息更新")
    if s.not_updated:
        not_up = [r.item_id for r in rep.items if not r.updated_in_year]
        head += f"，{_cn_list(rep.names(not_up))}等{s.not_updated}项信息无更新。"
        parts = []
        if s.not_required:
            kinds = {rep.item(i).rule_kind for i in s.not_required}
            what = "、".join(label for kind, label in (("static", "长期有效"), ("event", "事件类"),
                                                       ("on_change", "变动即更类")) if kind in kinds)
            parts.append(f"其中{_cn_list(rep.names(s.not_required))}等{len(s.not_required)}项属于{what}信息，"
                         "本学年未发生变化或相关事件，无需更新")
        if s.due_not_updated:
            parts.append(f"{_cn_list(rep.names(s.due_not_updated))}等{len(s.due_not_updated)}项应当更新但本学年未见更新")
        if parts:
            head += "；".join(parts) + "。"
    else:
        head += "，所有条目均有更新。"
    active.append(head)
    if s.provisional:
        active.append(f"以上统计中，{_cn_list(rep.names(s.provisional))}等{len(s.provisional)}项的对应栏目由监测系统找到、"
                      "尚待信息公开办公室确认，其更新情况依据待确认的候选栏目暂定"
                      f"（附表中标注“{CONFIRMATION.formal['provisional']}”），确认后以确认结果为准。")
    if rep.channels:
        parts = [f"通过{c.name}发布信息{c.articles}条" for c in rep.channels]
        active.append(f"本学年学校{'，'.join(parts)}，合计{s.articles_total}条。")
    active.append(f"各条目本学年的公开内容、责任单位和栏目链接见附表《信息公开事项逐项说明》"
                  f"（共引用证据{len(rep.citations)}项，其中{sum(c.archived for c in rep.citations)}项已存档）。")
    active.append(text_or("active", "主动公开的主要途径（信息公开网、校园网、新闻媒体、宣传栏等）及重点领域公开情况"))

    requests = _requests_paragraphs(rep.inputs, text_or)
    complaints = _complaints_paragraphs(rep.inputs, text_or)

    problems = []
    overdue = [r.item_id for r in rep.items if r.status == "overdue"]
    bad = {k: [r.item_id for r in rep.items if r.status == k] for k in ("missing", "blank", "unreachable", "undated")}
    if s.due_not_updated:
        problems.append(f"部分事项更新不及时：{_cn_list(rep.names(s.due_not_updated))}等"
                        f"{len(s.due_not_updated)}项应在本学年更新但未见更新。")
    if overdue:
        problems.append(f"截至{cn_date(rep.as_of)}，{_cn_list(rep.names(overdue))}等{len(overdue)}项{STATUS.formal['overdue']}。")
    for key, ids in bad.items():
        if ids:
            problems.append(f"{_cn_list(rep.names(ids))}等{len(ids)}项{STATUS.formal[key]}。")
    if s.provisional:
        problems.append(f"{_cn_list(rep.names(s.provisional))}等{len(s.provisional)}项的对应栏目尚未经人工确认，"
                        "相关状态为暂定，需尽快确认。")
    if not problems:
        problems.append("监测未发现事项更新方面的问题。")
    problems.append(text_or("problems", "其他存在的问题（如公开内容的规范性、时效性、解读回应等）"))
    problems.append(text_or("measures", "下一步改进措施（如督查督办、责任单位信息员培训、栏目建设等）"))

    return [
        Section("overview", "一、概述", overview),
        Section("active", "二、主动公开情况", active),
        Section("requests", "三、依申请公开情况", requests),
        Section("complaints", "四、因学校信息公开工作受到举报、复议、诉讼的情况", complaints),
        Section("problems", "五、存在的主要问题和改进措施", problems),
    ]


def _scan_span(scans: ScanCoverage) -> str:
    if scans.first == scans.last:
        return f"{cn_date(scans.first)}"
    return f"{cn_date(scans.first)}至{cn_date(scans.last)}间"


def _requests_paragraphs(inputs: ReportInputs | None, text_or: TextOr) -> list[str]:
    req = inputs.requests if inputs else None
    if inputs is None or req is None:
        return ["【待填写：本学年收到依申请公开申请的数量、申请方式及答复情况（未提供填报文件）】"]
    line = f"本学年学校共收到依申请公开申请{req.received}件"
    if req.channels:
        line += "（" + "、".join(f"{k}{v}件" for k, v in req.channels.items()) + "）"
    if req.carried_over:
        line += f"，另有上学年结转申请{req.carried_over}件"
    answered = sum(req.outcomes.values())
    if req.outcomes:
        line += f"。已答复{answered}件，其中" + "，".join(f"{k}{v}件" for k, v in req.outcomes.items())
    if req.pending:
        line += f"；结转下学年办理{req.pending}件"
    line += "。"
    out = [line]
    if req.fees:
        out.append(f"收费情况：{req.fees}。")
    out.append(f"（数据来源：{inputs.source}）")
    return out


def _complaints_paragraphs(inputs: ReportInputs | None, text_or: TextOr) -> list[str]:
    if inputs is None or all(v is None for v in (inputs.complaints, inputs.reconsiderations, inputs.lawsuits)):
        return ["【待填写：本学年因信息公开工作受到举报、申请行政复议、提起行政诉讼的数量及处理结果（未提供填报文件）】"]
    figures = [("举报", inputs.complaints), ("行政复议", inputs.reconsiderations), ("行政诉讼", inputs.lawsuits)]
    known = [(k, v) for k, v in figures if v is not None]
    if all(v == 0 for _, v in known):
        line = f"本学年学校未发生因信息公开工作引起的{'、'.join(k for k, _ in known)}。"
    else:
        line = "本学年学校因信息公开工作" + "，".join(
            f"{'收到' if k == '举报' else '被申请' if k == '行政复议' else '被提起'}{k}{v}件" for k, v in known) + "。"
    out = [line]
    missing = [k for k, v in figures if v is None]
    if missing:
        out.append(f"【待填写：{'、'.join(missing)}情况（填报文件未提供）】")
    if any(v for _, v in known):
        out.append(text_or("complaints", "举报、复议、诉讼的具体事由及处理结果"))
    out.append(f"（数据来源：{inputs.source}）")
    return out


# --------------------------------------------------------------------------- the office's inputs file
