"""The school: units, sites and columns (who publishes what where). Pure data."""
from __future__ import annotations

from dataclasses import dataclass

SCHOOL = "示例大学"


@dataclass(frozen=True)
class UnitSpec:
    id: str
    name: str
    contact: str


UNITS: list[UnitSpec] = [
    UnitSpec("xb", "校长办公室", "陈老师"),
    UnitSpec("xxgkb", "信息公开办公室", "林老师"),
    UnitSpec("zsb", "招生办公室", "周老师"),
    UnitSpec("yjsy", "研究生院", "吴老师"),
    UnitSpec("cwc", "财务处", "郑老师"),
    UnitSpec("rsc", "人事处", "王老师"),
    UnitSpec("jwc", "教务处", "冯老师"),
    UnitSpec("xsc", "学生工作处", "陈老师"),
    UnitSpec("jyzx", "就业指导中心", "褚老师"),
    UnitSpec("gh", "校工会", "卫老师"),
    UnitSpec("kyc", "科学技术研究院", "蒋老师"),
    UnitSpec("zcc", "国有资产管理处", "沈老师"),
    UnitSpec("cgzx", "采购与招标管理中心", "韩老师"),
    UnitSpec("xwb", "学位评定委员会办公室", "杨老师"),
    UnitSpec("gjc", "国际交流与合作处", "朱老师"),
    UnitSpec("fzgh", "发展规划处", "秦老师"),
    UnitSpec("jjh", "教育发展基金会", "尤老师"),
    UnitSpec("xcb", "党委宣传部", "许老师"),
    UnitSpec("jw", "纪委办公室", "何老师"),
    UnitSpec("bwc", "保卫处", "吕老师"),
    UnitSpec("ysjy", "艺术教育中心", "施老师"),
]
UNIT_NAMES = {u.id: u.name for u in UNITS}


@dataclass(frozen=True)
class SiteSpec:
    key: str
    name: str
    unit: str | None
    cms: str


SITES: list[SiteSpec] = [
    SiteSpec("xxgk", "示例大学信息公开网", "xxgkb", "webplus"),
    SiteSpec("zsb", "示例大学本科招生网", "zsb", "vsb"),
    SiteSpec("yjsy", "示例大学研究生院", "yjsy", "trs"),
    SiteSpec("cwc", "示例大学财务处", "cwc", "jsp"),
    SiteSpec("rsc", "示例大学人事处", "rsc", "asp"),
    SiteSpec("jwc", "示例大学教务处", "jwc", "portal"),
    SiteSpec("xsc", "示例大学学生工作处", "xsc", "portal"),
    SiteSpec("jyzx", "示例大学就业指导中心", "jyzx", "portal"),
]

# Disclosure-site navigation: per catalog category, columns as (alias, title, items, mode, target).
# Titles are how the school words its columns, not the catalog's item titles.
# mode: list | page (undated single page) | offsite (the nav links the unit site) | pointer
XXGK_NAV: list[tuple[str, list[tuple[str, str, list[str], str, tuple[str, str] | None]]]] = [
    ("1", [
        ("gk", "学校概况", ["1.1"], "list", None),
        ("jgsz", "机构设置", ["1.1"], "list", None),
        ("ldbz", "领导班子", ["1.2"], "list", None),
        ("zc", "学校章程", ["2"], "list", None),
        ("gzzd", "规章制度", ["2"], "list", None),
        ("jdhzd", "教代会制度", ["3.1"], "list", None),
        ("jdhbg", "教代会工作报告", ["3.2"], "list", None),
        ("xswyh", "学术委员会", ["4"], "list", None),
        ("fzgh", "发展规划与工作要点", ["5"], "list", None),
        ("xkjs", "学科建设", ["58"], "list", None),
        ("gkzn", "信息公开指南", ["6"], "list", None),
        ("gkml", "信息公开目录", ["6"], "list", None),
        ("ysq", "依申请公开", ["6"], "list", None),
        ("ndbg", "信息公开年度报告", ["6"], "list", None),
    ]),
    ("2", [
        ("zszc", "招生章程", ["7"], "offsite", ("zsb", "zszc")),
        ("zsjh", "招生计划", ["7"], "offsite", ("zsb", "zsjh")),
        ("tslx", "特殊类型招生", ["8"], "offsite", ("zsb", "tslx")),
        ("lqxx", "录取信息", ["9"], "offsite", ("zsb", "lqcx")),
        ("zxss", "招生咨询及申诉", ["10"], "offsite", ("zsb", "zxss")),
        ("yjszs", "研究生招生简章", ["11"], "offsite", ("yjsy", "zsgz/zsjz")),
        ("fscj", "研究生复试成绩", ["12"], "offsite", ("yjsy", "zsgz/fscj")),
        ("nlq", "拟录取研究生名单", ["13"], "offsite", ("yjsy", "zsgz/nlq")),
        ("yzzx", "研究生招生咨询与申诉", ["14"], "offsite", ("yjsy", "zsgz/zxss")),
    ]),
    ("3", [
        ("cwzd", "财务管理制度", ["15"], "offsite", ("cwc", "1151")),
        ("jzcc", "受捐赠财产使用", ["16"], "list", None),
        ("zbcg", "招标采购", ["18"], "list", None),
        ("ysgk", "预算公开", ["19"], "pointer", ("cwc", "1152")),
        ("jsgk", "决算公开", ["20"], "list", None),
        ("sfbz", "收费标准", ["21"], "offsite", ("cwc", "1154")),
        ("zcgl", "国有资产处置", ["54"], "list", None),
        ("jjhbg", "基金会年度报告", ["59"], "list", None),
    ]),
    ("4", [
        ("shjz", "校领导社会兼职", ["22"], "page", None),
        ("gwsz", "岗位设置与聘用", ["24"], "offsite", ("rsc", "2")),
        ("rczp", "人员招聘", ["25"], "offsite", ("rsc", "3")),
        ("gbrm", "干部任免", ["25"], "offsite", ("rsc", "4")),
        ("jzgss", "教职工申诉", ["26"], "list", None),
    ]),
    ("5", [
        ("jxsj", "教学基本数据", ["27", "29", "30"], "offsite", ("jwc", "jxsj")),
        ("zysz", "专业设置", ["28"], "offsite", ("jwc", "zysz")),
        ("jyzc", "就业政策与服务", ["31"], "offsite", ("jyzx", "8")),
        ("jysj", "毕业生就业", ["32", "33"], "offsite", ("jyzx", "7")),
        ("ysjy", "艺术教育", ["34"], "list", None),
        ("zlbg", "本科教学质量报告", ["35"], "offsite", ("jwc", "zlbg")),
    ]),
    ("6", [
        ("xjgl", "学籍管理", ["36"], "offsite", ("jwc", "xjgl")),
        ("jzxj", "奖助学金", ["37"], "offsite", ("xsc", "jzxj")),
        ("jlcf", "学生奖惩", ["38"], "offsite", ("xsc", "wjcf")),
        ("xsss", "学生申诉", ["39"], "offsite", ("xsc", "xsss")),
    ]),
    ("7", [
        ("xfjg", "学风建设机构", ["40"], "list", None),
        ("xsgf", "学术规范", ["41"], "list", None),
        ("xsbd", "学术不端查处", ["42"], "list", None),
    ]),
    ("8", [
        ("xwsy", "学位授予", ["43"], "list", None),
        ("tdxl", "同等学力", ["44"], "list", None),
        ("sqdsh", "学位授权点审核", ["45"], "list", None),
        ("nxz", "拟新增学位授权点", ["46"], "list", None),
        ("xwpd", "学位评定委员会", ["56"], "list", None),
    ]),
    ("9", [
        ("zwhz", "中外合作办学", ["47"], "list", None),
        ("lxs", "留学生管理", ["48"], "list", None),
        ("gjxs", "国际学生招生", ["57"], "list", None),
    ]),
    ("10", [
        ("xszg", "巡视整改", ["49"], "list", None),
        ("yjgl", "应急管理", ["50.1"], "list", None),
        ("zdsj", "重大事件调查处理", ["50.2"], "list", None),
        ("dwgk", "党务公开", ["51"], "list", None),
        ("xwfb", "新闻发布", ["52"], "list", None),
        ("kyxm", "科研项目", ["53"], "list", None),
        ("xyaq", "校园安全", ["55"], "list", None),
    ]),
]

# Unit sites: (site, column key, title, items, style, per_page)
UNIT_COLUMNS: list[tuple[str, str, str, list[str], str, int]] = [
    ("zsb", "tzgg", "通知公告", [], "", 10),
    ("zsb", "zszc", "招生章程", ["7"], "", 10),
    ("zsb", "zsjh", "招生计划", ["7"], "", 10),
    ("zsb", "tslx", "特殊类型招生", ["8"], "", 10),
    ("zsb", "lqcx", "录取查询", ["9"], "", 10),
    ("zsb", "zxss", "咨询与申诉", ["10"], "", 10),
    ("yjsy", "tzgg", "通知公告", [], "", 10),
    ("yjsy", "zsgz/zsjz", "招生简章与专业目录", ["11"], "", 10),
    ("yjsy", "zsgz/fscj", "复试名单及成绩", ["12"], "", 10),
    ("yjsy", "zsgz/nlq", "拟录取名单", ["13"], "", 10),
    ("yjsy", "zsgz/zxss", "招生咨询与申诉", ["14"], "", 10),
    ("cwc", "1150", "通知公告", [], "", 10),
    ("cwc", "1151", "财务制度", ["15"], "", 10),
    ("cwc", "1152", "部门预算", ["19"], "", 10),
    ("cwc", "1154", "收费公示", ["21"], "", 10),
    ("rsc", "1", "人事新闻", [], "", 12),
    ("rsc", "2", "岗位设置", ["24"], "", 12),
    ("rsc", "3", "招聘信息", ["25"], "", 12),
    ("rsc", "4", "干部任免", ["25"], "", 12),
    ("jwc", "tzgg", "通知公告", [], "yeargroup", 12),
    ("jwc", "zlbg", "质量报告", ["35"], "short", 12),
    ("jwc", "jxsj", "教学基本数据", ["27", "29", "30"], "short", 12),
    ("jwc", "zysz", "专业设置", ["28"], "iso", 12),
    ("jwc", "xjgl", "学籍管理", ["36"], "cn", 12),
    ("xsc", "xgdt", "学工动态", [], "split", 10),
    ("xsc", "jzxj", "奖助学金", ["37"], "slash", 10),
    ("xsc", "wjcf", "违纪处分与奖励", ["38"], "dot", 10),
    ("xsc", "xsss", "学生申诉", ["39"], "slash", 10),
    ("jyzx", "9", "招聘信息", [], "iso", 10),
    ("jyzx", "7", "就业数据与报告", ["32", "33"], "undated", 10),
    ("jyzx", "8", "就业政策", ["31"], "cn", 10),
]

# Sites that need a browser (`Estate(browser_sites=True)`, cms/guarded.py): every page sits behind a 瑞数-style
# challenge, and one column loads its rows by script. Items 41 and 42 move there from the disclosure site,
# whose navigation then drops their columns (alias on xxgk -> column key on the guarded site).
BROWSER_SITES: list[SiteSpec] = [SiteSpec("kyc", "示例大学科学技术研究院", "kyc", "guarded")]
BROWSER_COLUMNS: list[tuple[str, str, str, list[str], str, int]] = [
    ("kyc", "xsgf", "学术规范", ["41"], "", 15),
    ("kyc", "xsbd", "学术不端行为查处", ["42"], "scripted", 50),
]
BROWSER_MOVED: dict[str, tuple[str, str]] = {"xsgf": ("kyc", "xsgf"), "xsbd": ("kyc", "xsbd")}

# Which column of each site holds its filler news (no catalog item).
FILLER_COLUMNS = {"xxgk": "gkdt", "zsb": "tzgg", "yjsy": "tzgg", "cwc": "1150", "rsc": "1",
                  "jwc": "tzgg", "xsc": "xgdt", "jyzx": "9"}
