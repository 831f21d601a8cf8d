"""What each catalog item's owner published, when (2016-09 … 2021-12).

Designed so the ground truth mirrors one real school's 2018-2019 report: 53 of 61 items updated
between 2018-09-01 and 2019-08-31, 8 not (学校章程, 教代会制度, 突发事件应急处理, 重大事件调查处理 —
static/event, not required — plus 16 late, 22 undated, 23 missing, 34 blank). Around the as-of
days 2019-06-15 / 2019-10-15 / 2019-11-15 / 2020-01-10 every status occurs (see NOTES).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from monitor.testbed.model import Leak
from monitor.testbed.people import (
    admission_list,
    campus_card_list,
    hardship_list,
    insurance_notice,
    masked_decoys,
    masked_paragraph,
)


@dataclass
class A:
    fmt: str
    name: str
    added: str | None = None       # default: with the article
    removed: str | None = None
    lines: list[str] | None = None
    sheet: str = "Sheet1"
    leaks: list[Leak] = field(default_factory=list)
    decoys: list[str] = field(default_factory=list)


@dataclass
class DocSpec:
    where: tuple[str, str]          # (site, column alias/key)
    date: str
    title: str
    item: str | None
    atts: list[A] = field(default_factory=list)
    edits: list[tuple[str, str, str]] = field(default_factory=list)   # (date, old, new)
    fact: str | None = None
    login_wall: bool = False
    pii: list[str] = field(default_factory=list)   # personal data kinds it leaks (body or attachments)
    pii_masked: bool = False                         # shows only masked numbers (must not be flagged)
    paras: list[str] | None = None                   # the body as written (default: text.body)
    table: list[str] = field(default_factory=list)   # a table in the body ("a|b|c" rows)
    table_at: int = 1                                # the table and links follow this many paragraphs
    links: list[tuple[str, str, str]] = field(default_factory=list)   # (host, path, text), see model.Doc.links
    leaks: list[Leak] = field(default_factory=list)  # personal data in the body
    decoys: list[str] = field(default_factory=list)  # look-alikes in the body
    # Ids after every other document's, so adding it renumbers (and re-URLs) nothing else.
    appended: bool = False


# Short notes on each item's story (developer-facing; copied into the ground truth).
NOTES: dict[str, str] = {
    "1.1": "profile list + single-article column (机构设置) edited later",
    "1.2": "single-article column; leadership change 2019-09-20 published 2019-10-24 (due_soon on 2019-10-15)",
    "2": "static charter from 2016, not updated in 2018-2019 (not required)",
    "3.1": "static rules, not updated in 2018-2019 (not required)",
    "6": "guide/catalogue/report; 2018-2019 annual report published 2019-10-28 (due_soon on 2019-10-15)",
    "7": "lives on the admissions site (VSB); xxgk columns link off-site",
    "8": "VSB list over two pages; one entry behind a login wall (evidence from the list row)",
    "11": "TRS/GBK; 2020 brochure published 2019-10-18 (due_soon on 2019-10-15)",
    "16": "2018 report never published; 2018+2019 published 2020-03-18 (overdue on 2020-01-10)",
    "19": "2019 budget late (2019-06-20, overdue on 2019-06-15), attachment replaced 2019-07-05",
    "21": "updated only by new attachments on a 2017 article",
    "22": "undated single page",
    "23": "no column anywhere (missing)",
    "24": "policy change 2019-07-01 published 2019-11-20 (overdue on 2019-10-15/2019-11-15)",
    "30": "2019 figures late (2020-01-15): overdue on 2020-01-10",
    "33": "undated list, dates only in the articles; 2019 report late (2020-01-20)",
    "34": "blank column (never any content)",
    "35": "short [MM-DD] list dates, year only in the article URL",
    "48": "updated only by a new attachment",
    "13": "2018 list has an XLSX leaking full ID and mobile numbers",
    "37": "2018 hardship list (DOCX) leaks ID numbers and home addresses; 2019 list masks them properly",
    "50.1": "event item with one old plan (not required)",
    "50.2": "event item, blank column (ok)",
    "52": "article pages without a date label: date only in the URL; a year-end gap (due_soon on 2020-01-10)",
    "57": "window 09-01..12-31; 2020 brochure 2019-11-22 (due_soon on 2019-10-15)",
    "59": "annual due 06-30; due_soon on 2019-06-15",
}


def _years(first: int, last: int) -> range:
    return range(first, last + 1)


def item_docs() -> list[DocSpec]:  # noqa: C901 - one flat table is easier to audit
    S: list[DocSpec] = []
    add = lambda *a, **k: S.append(DocSpec(*a, **k))  # noqa: E731
    X = lambda alias: ("xxgk", alias)  # noqa: E731

    # --- 基本信息 -------------------------------------------------------------------------
    add(X("gk"), "2016-10-10", "示例大学简介（2016年）", "1.1")
    add(X("gk"), "2017-11-02", "示例大学2017年基本办学情况", "1.1")
    add(X("gk"), "2018-11-20", "示例大学2018年基本办学情况", "1.1", atts=[A("xlsx", "2018年基本办学数据.xlsx")])
    add(X("gk"), "2019-11-06", "示例大学2019年基本办学情况", "1.1", atts=[A("xlsx", "2019年基本办学数据.xlsx")])
    add(X("gk"), "2020-11-12", "示例大学2020年基本办学情况", "1.1")
    add(X("gk"), "2021-11-10", "示例大学2021年基本办学情况", "1.1")
    add(X("jgsz"), "2019-03-15", "示例大学机构设置", "1.1",
        fact="学校设党政管理机构18个、教学科研单位23个、直属单位6个。",
        edits=[("2019-07-10", "学校设党政管理机构18个", "学校设党政管理机构19个（新设国际教育学院）")])
    add(X("ldbz"), "2017-03-01", "校级领导班子简介及分工", "1.2",
        fact="校长：张建国，主持学校行政全面工作。副校长：李昇，分管教学、招生工作。",
        edits=[("2019-01-15", "副校长：李昇，分管教学、招生工作。",
                "副校长：李昇，分管教学、招生工作。副校长：赵文堃，分管科研、研究生工作。"),
               ("2019-10-24", "校长：张建国，主持学校行政全面工作。", "校长：王喆，主持学校行政全面工作。")])
    add(X("zc"), "2016-10-12", "示例大学章程", "2", atts=[A("pdf", "示例大学章程（教育部核准稿）.pdf")])
    add(X("gzzd"), "2017-06-30", "示例大学规章制度汇编（2017版）", "2", atts=[A("pdf", "规章制度汇编2017.pdf")])
    add(X("gzzd"), "2020-05-20", "示例大学规章制度汇编（2020版）", "2", atts=[A("pdf", "规章制度汇编2020.pdf")])
    add(X("jdhzd"), "2017-03-20", "示例大学教职工代表大会实施细则", "3.1")
    for y, d in [(2017, "03-28"), (2018, "04-12"), (2019, "04-10"), (2020, "05-20"), (2021, "04-15")]:
        add(X("jdhbg"), f"{y}-{d}", f"第七届教职工代表大会第{y - 2015}次会议工作报告", "3.2")
    add(X("xswyh"), "2017-01-10", "示例大学学术委员会章程", "4")
    for y in _years(2017, 2020):
        add(X("xswyh"), f"{y}-12-{20 + y % 7:02d}", f"学术委员会{y}年度工作报告", "4")
    add(X("fzgh"), "2016-11-01", "示例大学“十三五”发展规划", "5", atts=[A("pdf", "示例大学十三五发展规划.pdf")])
    for y, d in [(2017, "03-10"), (2018, "03-15"), (2019, "03-12"), (2020, "04-15"), (2021, "03-10")]:
        add(X("fzgh"), f"{y}-{d}", f"示例大学{y}年工作要点", "5")
    add(X("fzgh"), "2021-06-18", "示例大学“十四五”发展规划", "5", atts=[A("pdf", "示例大学十四五发展规划.pdf")])
    add(X("xkjs"), "2017-09-25", "示例大学“双一流”建设方案", "58")
    for y, d in [(2018, "12-20"), (2019, "12-26"), (2020, "12-22"), (2021, "12-20")]:
        add(X("xkjs"), f"{y}-{d}", f"示例大学{y}年学科建设进展报告", "58")
    add(X("gkzn"), "2016-09-20", "示例大学信息公开指南", "6",
        fact="信息公开办公室设在行政楼203室，受理时间为工作日8:30-11:30、14:00-17:00。",
        edits=[("2018-05-10", "行政楼203室", "行政楼105室")])
    add(X("gkml"), "2016-09-20", "示例大学信息公开目录", "6",
        atts=[A("xlsx", "示例大学信息公开目录.xlsx", removed="2019-03-01"),
              A("xlsx", "示例大学信息公开目录（2019年版）.xlsx", added="2019-03-01")])
    add(X("ysq"), "2016-09-20", "依申请公开办理流程及申请表", "6", atts=[A("docx", "示例大学信息公开申请表.docx")])
    for y, d in [(2016, "10-28"), (2017, "10-30"), (2018, "10-26"), (2019, "10-28"), (2020, "10-30"), (2021, "10-29")]:
        summary = None
        if y == 2019:
            summary = ("本学年学校按照《高等学校信息公开事项清单》逐项公开，应当公开10大类61项，53项完成更新，"
                       "8项无更新（其中学校章程、教职工代表大会相关制度、突发事件应急处理、重大事件调查处理4项长期有效或无事件发生）。"
                       "全年受理依申请公开12件，均在规定期限内答复。")
        add(X("ndbg"), f"{y}-{d}", f"示例大学{y - 1}-{y}学年信息公开工作年度报告", "6", fact=summary,
            atts=[A("pdf", f"示例大学{y - 1}-{y}学年信息公开工作年度报告.pdf",
                    lines=[f"示例大学{y - 1}-{y}学年信息公开工作年度报告", "一、概述", summary] if summary else None)])

    # --- 招生考试 (admissions site, graduate school) -------------------------------------
    Z = lambda key: ("zsb", key)  # noqa: E731
    for y, d in [(2017, "05-18"), (2018, "05-22"), (2019, "05-20"), (2020, "05-25"), (2021, "05-20")]:
        add(Z("zszc"), f"{y}-{d}", f"示例大学{y}年本科招生章程", "7")
        add(Z("zsjh"), f"{y}-06-{8 + y % 5:02d}", f"示例大学{y}年分省分专业招生计划", "7",
            atts=[A("xlsx", f"{y}年分省分专业招生计划.xlsx")])
    add(Z("tslx"), "2016-12-12", "示例大学2017年高水平运动队招生简章", "8")
    for y in _years(2017, 2021):
        add(Z("tslx"), f"{y - 1}-12-{5 + y % 6:02d}" if y > 2017 else "2017-01-05",
            f"示例大学{y}年艺术特长生招生简章", "8")
        add(Z("tslx"), f"{y}-03-{15 + y % 6:02d}", f"示例大学{y}年高水平运动队测试合格名单", "8",
            atts=[A("pdf", f"{y}年高水平运动队测试合格名单.pdf")])
        add(Z("tslx"), f"{y}-04-{8 + y % 5:02d}", f"示例大学{y}年艺术特长生专业测试结果", "8",
            login_wall=(y == 2019))
    for y in _years(2017, 2021):
        add(Z("lqcx"), f"{y}-07-{8 + y % 4:02d}", f"示例大学{y}年本科录取结果查询", "9")
        add(Z("lqcx"), f"{y}-08-{18 + y % 6:02d}", f"示例大学{y}年各省录取人数及最低分", "9",
            atts=[A("xlsx", f"{y}年各省录取人数及最低分.xlsx")])
    add(Z("zxss"), "2016-09-10", "招生咨询及考生申诉渠道", "10",
        fact="招生咨询电话：0571-88881234；申诉邮箱：zsjc@shiyan.edu.cn。",
        edits=[("2018-09-20", "0571-88881234", "0571-88886789")])
    for y in _years(2016, 2021):
        add(Z("zxss"), f"{y}-11-{20 + y % 6:02d}", f"{y}级本科新生入学资格复查结果公示", "10")

    Y = lambda key: ("yjsy", key)  # noqa: E731
    for y in _years(2017, 2021):
        add(Y("zsgz/zsjz"), f"{y - 1}-09-{24 + y % 4:02d}" if y != 2020 else "2019-10-18",
            f"示例大学{y}年硕士研究生招生简章", "11", atts=[A("pdf", f"{y}年硕士研究生招生专业目录.pdf")])
        add(Y("zsgz/zsjz"), f"{y - 1}-11-{10 + y % 5:02d}", f"示例大学{y}年博士研究生招生简章", "11")
        add(Y("zsgz/fscj"), f"{y}-03-{18 + y % 5:02d}", f"{y}年硕士研究生复试名单及初试成绩", "12",
            atts=[A("xlsx", f"{y}年硕士研究生复试名单.xlsx")])
        add(Y("zsgz/fscj"), f"{y}-05-{6 + y % 4:02d}", f"{y}年博士研究生复试（考核）成绩", "12")
        add(Y("zsgz/nlq"), f"{y}-04-{2 + y % 3:02d}", f"{y}年拟录取硕士研究生名单公示（第一批）", "13")
        add(Y("zsgz/nlq"), f"{y}-04-{22 + y % 5:02d}", f"{y}年拟录取硕士研究生名单公示（第二批）", "13",
            atts=[_listing_att("xlsx", f"{y}年拟录取硕士研究生名单（第二批）.xlsx", admission_list(f"nlq{y}"),
                               sheet="录取名单")] if y == 2018 else [],
            pii=["id_card", "mobile"] if y == 2018 else [])
        add(Y("zsgz/nlq"), f"{y}-06-{3 + y % 4:02d}", f"{y}年拟录取博士研究生名单公示", "13")
    add(Y("zsgz/zxss"), "2016-09-15", "研究生招生咨询及申诉渠道", "14",
        fact="研究生招生咨询电话：0571-88882345，申诉邮箱：yzb@shiyan.edu.cn。",
        edits=[("2019-03-05", "0571-88882345", "0571-88882345、0571-88882346")])

    # --- 财务、资产及收费 --------------------------------------------------------------------
    C = lambda key: ("cwc", key)  # noqa: E731
    add(C("1151"), "2016-12-01", "示例大学财务管理办法", "15")
    add(C("1151"), "2017-06-15", "示例大学国有资产管理办法", "15")
    add(C("1151"), "2018-10-22", "示例大学科研经费管理办法（修订）", "15")
    add(C("1151"), "2019-12-10", "示例大学差旅费管理办法（2019年修订）", "15")
    add(C("1151"), "2021-03-16", "示例大学公务接待管理办法", "15")
    rng = random.Random(18)
    d = date(2016, 9, 12)
    goods = ["实验室仪器设备", "图书馆中外文图书", "化学试剂及耗材", "学生公寓维修改造工程", "校园网升级改造",
             "教学楼空调设备", "多媒体教室设备", "食堂食材配送服务"]
    while d <= date(2021, 12, 31):
        g = rng.choice(goods)
        kind = rng.choice(["公开招标公告", "中标结果公告", "竞争性磋商公告", "成交结果公告"])
        add(X("zbcg"), d.isoformat(), f"示例大学{g}采购项目{kind}", "18")
        d += timedelta(days=rng.randint(20, 40))
    add(X("jzcc"), "2017-04-20", "示例大学2016年度受捐赠财产使用情况", "16")
    add(X("jzcc"), "2018-07-05", "示例大学2017年度受捐赠财产使用情况", "16")
    add(X("jzcc"), "2020-03-18", "示例大学2018年度和2019年度受捐赠财产使用情况", "16")
    add(X("jzcc"), "2021-04-22", "示例大学2020年度受捐赠财产使用情况", "16")
    budget = {2017: "04-18", 2018: "04-20", 2019: "06-20", 2020: "05-28", 2021: "04-16"}
    for y, d in budget.items():
        atts = [A("pdf", f"示例大学{y}年部门预算.pdf")]
        if y == 2019:
            atts = [A("pdf", "示例大学2019年部门预算.pdf", removed="2019-07-05"),
                    A("pdf", "示例大学2019年部门预算（更正）.pdf", added="2019-07-05")]
        add(C("1152"), f"{y}-{d}", f"示例大学{y}年部门预算公开", "19", atts=atts)
    for y, d in [(2017, "08-20"), (2018, "08-24"), (2019, "08-22"), (2020, "08-25"), (2021, "08-18")]:
        add(X("jsgk"), f"{y}-{d}", f"示例大学{y - 1}年度部门决算", "20", atts=[A("pdf", f"示例大学{y - 1}年度部门决算.pdf")])
    add(C("1154"), "2016-10-15", "教育收费投诉方式", "21")
    add(C("1154"), "2017-09-01", "示例大学收费项目及标准公示", "21",
        atts=[A("xlsx", "2017-2018学年收费标准.xlsx")] +
             [A("xlsx", f"{y}-{y + 1}学年收费标准.xlsx", added=f"{y}-08-{25 + y % 3:02d}") for y in (2018, 2019, 2020, 2021)])
    for y, d in [(2017, "06-12"), (2018, "07-20"), (2019, "05-16"), (2020, "06-30"), (2021, "06-10")]:
        add(X("zcgl"), f"{y}-{d}", f"示例大学{y}年国有资产处置情况公示", "54")
    for y, d in [(2017, "05-25"), (2018, "06-20"), (2019, "06-28"), (2020, "06-18"), (2021, "06-25")]:
        add(X("jjhbg"), f"{y}-{d}", f"示例大学教育发展基金会{y - 1}年度工作报告", "59",
            atts=[A("pdf", f"基金会{y - 1}年度审计报告.pdf")])

    # --- 人事师资 ----------------------------------------------------------------------------
    R = lambda key: ("rsc", key)  # noqa: E731
    add(R("2"), "2017-04-10", "示例大学岗位设置管理实施办法", "24")
    add(R("2"), "2018-12-14", "示例大学专业技术岗位聘用办法（修订）", "24")
    add(R("2"), "2019-11-20", "示例大学岗位设置管理实施办法（2019年修订）", "24")
    add(R("2"), "2021-05-11", "示例大学教职工聘期考核办法", "24")
    rng = random.Random(25)
    d = date(2016, 9, 20)
    kinds = ["专任教师", "专职辅导员", "管理岗位人员", "实验技术人员", "博士后研究人员"]
    while d <= date(2021, 12, 31):
        k = rng.choice(kinds)
        if rng.random() < 0.5:
            add(R("3"), d.isoformat(), f"示例大学{d.year}年公开招聘{k}公告", "25")
        else:
            add(R("3"), d.isoformat(), f"示例大学{d.year}年公开招聘{k}拟聘用人员名单公示", "25")
        d += timedelta(days=rng.randint(22, 45))
    for y in _years(2016, 2021):
        for md in ("01-12", "07-06") if y > 2016 else ("11-25",):
            add(R("4"), f"{y}-{md}", f"干部任前公示（{y}年第{1 if md < '07' else 2}批）", "25")
    add(X("jzgss"), "2018-10-15", "示例大学教职工申诉处理办法", "26")

    # --- 教学质量 ----------------------------------------------------------------------------
    J = lambda key: ("jwc", key)  # noqa: E731
    for y in _years(2016, 2021):
        late30 = "2020-01-15" if y == 2019 else None
        add(J("jxsj"), f"{y}-11-{26 + y % 3:02d}" if y != 2019 else "2019-12-05",
            f"{y}年本科生占全日制在校生比例及教师数量结构", "27")
        add(J("jxsj"), f"{y}-11-{26 + y % 3:02d}" if y != 2019 else "2019-12-05",
            f"{y}年全校开设课程及学分比例情况", "29")
        add(J("jxsj"), late30 or f"{y}-12-{2 + y % 3:02d}", f"{y}年教授主讲本科课程情况统计", "30")
    add(J("zysz"), "2016-10-01", "示例大学本科专业设置一览表", "28", atts=[A("xlsx", "本科专业设置一览表.xlsx")])
    for y, d in [(2017, "04-05"), (2018, "04-10"), (2019, "04-15"), (2020, "03-30"), (2021, "04-06")]:
        add(J("zysz"), f"{y}-{d}", f"关于公布{y}年度新增及停招本科专业的通知", "28")
    for y, d in [(2017, "11-28"), (2018, "11-26"), (2019, "11-27"), (2020, "11-30"), (2021, "11-26")]:
        add(J("zlbg"), f"{y}-{d}", f"示例大学{y - 1}-{y}学年本科教学质量报告", "35",
            atts=[A("pdf", f"示例大学{y - 1}-{y}学年本科教学质量报告.pdf")])
    add(J("xjgl"), "2017-09-01", "示例大学本科生学籍管理规定", "36", atts=[A("docx", "示例大学本科生学籍管理规定.docx")])
    add(J("xjgl"), "2019-07-05", "关于2018-2019学年学籍异动情况的公示", "36")
    add(J("xjgl"), "2020-07-08", "关于2019-2020学年学籍异动情况的公示", "36")

    E = lambda key: ("jyzx", key)  # noqa: E731
    for y, d in [(2016, "11-15"), (2017, "05-09"), (2018, "03-13"), (2018, "11-08"), (2019, "05-10"),
                 (2020, "04-21"), (2021, "03-30")]:
        add(E("8"), f"{y}-{d}", f"关于做好{y}届毕业生就业创业工作的若干意见" if d < "07" else f"{y}年毕业生就业指导服务安排", "31")
    for y, d in [(2017, "09-20"), (2018, "09-18"), (2019, "09-25"), (2020, "09-28"), (2021, "09-24")]:
        add(E("7"), f"{y}-{d}", f"示例大学{y}届毕业生就业基本情况", "32")
    for y, d in [(2016, "12-28"), (2017, "12-25"), (2018, "12-26"), (2019, "2020-01-20"), (2020, "12-29"), (2021, "12-27")]:
        when = d if d.startswith("20") else f"{y}-{d}"
        add(E("7"), when, f"示例大学{y}届毕业生就业质量年度报告", "33",
            atts=[A("pdf", f"示例大学{y}届毕业生就业质量年度报告.pdf")])

    # --- 学生管理服务 --------------------------------------------------------------------------
    S_ = lambda key: ("xsc", key)  # noqa: E731
    for y in _years(2016, 2021):
        add(S_("jzxj"), f"{y}-09-{22 + y % 5:02d}", f"关于开展{y}-{y + 1}学年国家奖学金评审工作的通知", "37")
        add(S_("jzxj"), f"{y}-10-{26 + y % 4:02d}", f"{y}-{y + 1}学年国家奖学金拟推荐名单公示", "37")
    add(S_("jzxj"), "2017-03-10", "示例大学家庭经济困难学生认定办法", "37")
    add(S_("jzxj"), "2018-11-16", "2018年家庭经济困难学生认定结果公示", "37",
        atts=[_listing_att("docx", "2018年家庭经济困难学生认定名单.docx", hardship_list("kn2018"))],
        pii=["id_card", "address"])
    add(S_("jzxj"), "2019-11-12", "2019-2020学年国家励志奖学金获奖学生名单公示", "37",
        fact=masked_paragraph("lz2019"), pii_masked=True, decoys=masked_decoys("lz2019"))
    add(S_("wjcf"), "2017-09-05", "示例大学学生违纪处分规定（2017年修订）", "38")
    add(S_("wjcf"), "2018-09-10", "示例大学学生奖励办法", "38")
    add(S_("xsss"), "2017-09-05", "示例大学学生申诉处理办法", "39",
        fact="学生申诉处理委员会办公室设在学生工作处，电话0571-88883456。",
        edits=[("2019-02-25", "电话0571-88883456", "电话0571-88883456，邮箱xsss@shiyan.edu.cn")])

    # --- 学风、学位、对外交流 --------------------------------------------------------------------
    add(X("xfjg"), "2016-11-20", "示例大学学风建设委员会组成", "40",
        fact="主任：张建国；副主任：李昇。",
        edits=[("2018-11-20", "副主任：李昇。", "副主任：李昇、赵文堃。")])
    add(X("xsgf"), "2016-12-05", "示例大学学术道德规范", "41")
    add(X("xsgf"), "2019-05-20", "示例大学科研诚信管理办法", "41")
    add(X("xsbd"), "2017-01-15", "示例大学学术不端行为处理办法", "42")
    add(X("xsbd"), "2019-04-22", "示例大学学术不端行为处理办法（2019年修订）", "42")
    add(X("xwsy"), "2016-10-20", "示例大学学位授予工作细则", "43")
    add(X("xwsy"), "2018-12-03", "示例大学硕士学位授予标准（2018年修订）", "43")
    for y in _years(2016, 2021):
        add(X("tdxl"), f"{y}-11-{14 + y % 5:02d}", f"{y}年同等学力人员申请硕士学位资格审查结果", "44")
    add(X("sqdsh"), "2017-05-10", "示例大学学位授权点审核办法", "45",
        fact="学位授权点申报材料在校内公示不少于5个工作日。",
        edits=[("2019-05-08", "不少于5个工作日", "不少于10个工作日")])
    add(X("nxz"), "2017-06-20", "2017年拟新增学位授权点论证材料公示", "46")
    add(X("nxz"), "2019-06-18", "2019年拟新增学位授权点论证材料公示", "46", atts=[A("pdf", "拟新增学位授权点论证材料.pdf")])
    for y, d in [(2017, "06-25"), (2018, "06-28"), (2019, "06-26"), (2020, "07-15"), (2021, "06-29")]:
        add(X("xwpd"), f"{y}-{d}", f"示例大学第{y - 2010}届学位评定委员会第{y % 3 + 1}次会议决议", "56")
    add(X("zwhz"), "2017-03-01", "示例大学中外合作办学项目情况", "47")
    add(X("zwhz"), "2019-01-10", "示例大学中外合作办学项目年度报告（2018年）", "47")
    add(X("zwhz"), "2020-01-16", "示例大学中外合作办学项目年度报告（2019年）", "47")
    add(X("lxs"), "2017-10-10", "示例大学来华留学生管理规定", "48",
        atts=[A("docx", "示例大学来华留学生管理规定.docx"),
              A("docx", "示例大学国际学生管理规定（2019年版）.docx", added="2019-04-01")])
    for y, d in [(2017, "10-20"), (2018, "10-25"), (2019, "11-22"), (2020, "10-28"), (2021, "10-26")]:
        add(X("gjxs"), f"{y}-{d}", f"示例大学{y + 1}年国际学生招生简章", "57")

    # --- 其他 -----------------------------------------------------------------------------------
    add(X("xszg"), "2018-09-28", "关于巡视整改进展情况的通报", "49")
    add(X("xszg"), "2019-01-18", "关于巡视整改情况的通报", "49")
    add(X("yjgl"), "2017-05-12", "示例大学突发事件总体应急预案", "50.1", atts=[A("pdf", "示例大学突发事件总体应急预案.pdf")])
    add(X("dwgk"), "2017-07-01", "中共示例大学委员会党务公开实施办法", "51")
    for y, d in [(2018, "03-10"), (2019, "03-15"), (2020, "03-20"), (2021, "03-12")]:
        add(X("dwgk"), f"{y}-{d}", f"中共示例大学委员会{y}年工作要点", "51")
    add(X("kyxm"), "2017-03-15", "示例大学科研项目管理办法", "53")
    for y, d in [(2017, "08-30"), (2018, "09-05"), (2019, "08-30"), (2020, "09-02"), (2021, "08-31")]:
        add(X("kyxm"), f"{y}-{d}", f"示例大学{y}年度国家自然科学基金立项情况", "53")
    for y in _years(2017, 2021):
        add(X("xyaq"), f"{y}-03-{12 + y % 9:02d}", f"示例大学{y}年春季学期校园安全检查情况通报", "55")
        add(X("xyaq"), f"{y}-09-{5 + y % 7:02d}", f"示例大学{y}年秋季学期校园安全隐患排查整治情况", "55")
    S.extend(compliance_docs())
    return S


def _listing_att(fmt: str, name: str, listing, **kw) -> A:
    """A name-list attachment (its text, sheet title) with the ground truth of what it leaks."""
    title = name.rsplit(".", 1)[0]
    lines = listing.lines if fmt == "pdf" else [title] + listing.lines
    return A(fmt, name, lines=lines, leaks=listing.leaks, decoys=listing.decoys, **kw)


def compliance_docs() -> list[DocSpec]:
    """Notices in news columns that are no catalog item (so no item's evidence changes): personal data in
    an HTML table and on page 2 of a PDF, with look-alikes next to them, and links to the school's other
    systems (anti-bot challenge, rate limit, a slow one, a persistent 500). Published after 2019-10-15 /
    2019-11-15, so the earlier reference days show the estate as it was."""
    paras, table = insurance_notice("yb2019")
    card = campus_card_list("xyk2019")
    return [
        DocSpec(("jwc", "tzgg"), "2019-10-21", "关于启用网上办事大厅及教务系统迁移的通知", None, appended=True,
                paras=["为推进“一网通办”，学校网上办事大厅已正式上线，教务相关业务将陆续迁移至新系统，现将有关事项通知如下。",
                       "一、以下系统的访问地址如下，请师生收藏：",
                       "二、旧版教务管理系统将于本学期末停止服务，请及时导出个人历史数据。",
                       "如有疑问，请与教务处联系，联系电话：0571-88884567。",
                       "教务处",
                       "2019年10月21日"],
                table_at=2, links=[("svc", "/ehall/index.html", "网上办事大厅"),
                                   ("svc", "/lib/eresources.htm", "图书馆电子资源"),
                                   ("svc", "/xk/", "本科生选课系统"), ("svc", "/cjcx/", "成绩查询系统"),
                                   ("svc", "/jwxt/", "旧版教务管理系统（停用前可查询历史数据）"),
                                   ("self", "/jxpj/", "学生评教系统")]),
        DocSpec(("xsc", "xgdt"), "2019-12-04", "关于2019级新生城乡居民医疗保险参保信息核对的公示", None, appended=True,
                paras=paras, table=table.lines, pii=["id_card", "mobile"], leaks=table.leaks, decoys=table.decoys),
        DocSpec(("yjsy", "tzgg"), "2019-12-16", "关于2019级研究生新生校园卡信息核对的通知", None, appended=True,
                paras=["研究生新生校园卡已制作完成，请各位新生核对附件名单中的本人信息，信息有误的请于12月27日前到研究生院更正。",
                       "附件：2019级研究生新生校园卡信息核对名单",
                       "研究生院",
                       "2019年12月16日"],
                atts=[_listing_att("pdf", "2019级研究生新生校园卡信息核对名单.pdf", card)], pii=["id_card"]),
    ]


def news_dates() -> list[date]:
    """Item 52 (新闻发布): a briefing every 7–12 days, with a winter-break gap at the end of 2019."""
    out, d = [], date(2016, 9, 8)
    step = [7, 9, 12, 8, 10, 11, 7, 12, 9, 10]
    i = 0
    while d <= date(2021, 12, 31):
        if not (date(2019, 12, 29) <= d <= date(2020, 2, 20)):
            out.append(d)
        d = date.fromordinal(d.toordinal() + step[i % len(step)])
        i += 1
    # the last briefing before the break
    if date(2019, 12, 28) not in out:
        out.append(date(2019, 12, 28))
    return sorted(out)
