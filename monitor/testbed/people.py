"""Synthetic people for the personal-data scenarios: names, resident ID numbers with a valid
check digit, mobile numbers and home addresses. All invented; seeded, so the same every run.

Each published list comes with its leaks (`Leak`: kind, full value, masked form as docs/compliance.md
defines it) and its decoys: numbers that look like personal data but are not (a student number shaped
like a mobile, an ID with a wrong check digit or an impossible birth date, an order number that passes
the ID checksum, a document number 〔2019〕12号, a landline, an office's published contact mobile, an
already-masked ID). A compliance check must report every leak and none of the decoys."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from monitor.testbed.model import Leak

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["晓明", "雨桐", "子涵", "浩然", "思远", "欣怡", "梓轩", "佳琪", "宇航", "诗涵", "文博", "若曦"]
REGIONS = [("330106", "浙江省杭州市西湖区"), ("330203", "浙江省宁波市海曙区"), ("320102", "江苏省南京市玄武区"),
           ("340104", "安徽省合肥市蜀山区"), ("360102", "江西省南昌市东湖区")]
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    mobile: str
    address: str
    student_no: str
    region: str = ""              # province + city + district of the home address

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)


def mask_id(number: str) -> str:
    """First 4 (province + city) and last 2: 3301************12."""
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def mask_address(region: str) -> str:
    """Up to the district or county: 浙江省杭州市西湖区****."""
    return region + "****"


@dataclass
class Listing:
    """A published name list: its lines ("a|b|c" rows are table rows), what it leaks, its decoys."""
    lines: list[str]
    leaks: list[Leak] = field(default_factory=list)
    decoys: list[str] = field(default_factory=list)


def id_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _W)) % 11]


def people(n: int, seed: str) -> list[Person]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        code, region = rng.choice(REGIONS)
        born = date(1995, 1, 1) + timedelta(days=rng.randint(0, 365 * 7))
        first17 = f"{code}{born:%Y%m%d}{rng.randint(10, 99)}{rng.randint(0, 9)}"
        out.append(Person(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            id_number=first17 + id_check(first17),
            mobile=rng.choice(["139", "138", "150", "187", "133"]) + f"{rng.randint(0, 99999999):08d}",
            address=f"{region}{rng.choice(['文三路', '天目山路', '中山路', '人民路'])}{rng.randint(1, 300)}号"
                    f"{rng.randint(1, 12)}幢{rng.randint(1, 6)}0{rng.randint(1, 4)}室",
            student_no=f"2018{rng.randint(10, 99)}{i:04d}",
            region=region,
        ))
    return out


def admission_rows(seed: str, n: int = 12) -> list[str]:
    """An XLSX admission list that leaks full ID and mobile numbers (a real, common mistake)."""
    return admission_list(seed, n).lines


def admission_list(seed: str, n: int = 12) -> Listing:
    out = Listing(["序号|姓名|考生编号|身份证号|联系电话|拟录取专业"])
    for i, p in enumerate(people(n, seed), 1):
        out.lines.append(f"{i}|{p.name}|1033{p.student_no}|{p.id_number}|{p.mobile}|计算机科学与技术")
        out.leaks += [Leak("id_card", p.id_number, mask_id(p.id_number)), Leak("mobile", p.mobile, mask_mobile(p.mobile))]
        out.decoys.append(f"1033{p.student_no}")      # 考生编号: a labelled 14-digit number
    return out


def hardship_lines(seed: str, n: int = 8) -> list[str]:
    """A DOCX table of students with financial hardship, with ID numbers and home addresses."""
    return hardship_list(seed, n).lines


def hardship_list(seed: str, n: int = 8) -> Listing:
    out = Listing(["经学院审核、学校复核，现将认定结果公示如下：", "序号|姓名|学号|身份证号|家庭住址|认定等级"])
    for i, p in enumerate(people(n, seed), 1):
        out.lines.append(f"{i}|{p.name}|{p.student_no}|{p.id_number}|{p.address}|{'特别困难' if i % 3 == 0 else '一般困难'}")
        out.leaks += [Leak("id_card", p.id_number, mask_id(p.id_number)),
                      Leak("address", p.address, mask_address(p.region))]
        out.decoys.append(p.student_no)
    return out


def masked_paragraph(seed: str, n: int = 6) -> str:
    """A scholarship notice done right: masked ID numbers and student numbers only."""
    return "；".join(f"{p.name}（学号{p.student_no}，身份证号{p.masked_id}）" for p in people(n, seed)) + "。"


def masked_decoys(seed: str, n: int = 6) -> list[str]:
    return [x for p in people(n, seed) for x in (p.student_no, p.masked_id)]


# ---- look-alikes ------------------------------------------------------------------------------
def wrong_check_digit(number: str) -> str:
    """The same ID with a check character that does not fit (a typo in a name list)."""
    right = number[-1]
    return number[:-1] + next(c for c in "0123456789X" if c != right and c != id_check(number[:17]))


def impossible_birth_date(number: str) -> str:
    """An ID whose birth date does not exist (30 February), with a check character that fits the digits."""
    first17 = number[:10] + "0230" + number[14:17]
    return first17 + id_check(first17)


def checksum_valid_order_number(prefix: str, day: date) -> str:
    """An 18-character order/transaction number that happens to pass every ID test (region code,
    a real date, the MOD 11-2 check): only its label says it is not an ID. Digit-only, so the
    sequence is bumped until the check character is a digit."""
    for seq in range(1, 1000):
        first17 = f"{prefix}{day:%Y%m%d}{seq:03d}"
        if id_check(first17) != "X":
            return first17 + id_check(first17)
    raise ValueError(prefix)


def insurance_notice(seed: str, n: int = 6) -> tuple[list[str], Listing]:
    """An HTML 公示 of students' medical-insurance registration: a table with 姓名 / 学号 / 身份证号 /
    手机号码 (every ID and mobile a leak, except the last row's mistyped ID), around it the look-alikes a
    real notice has. Returns (paragraphs, table listing); the table follows the first paragraph."""
    rows = Listing(["序号|姓名|学号|身份证号|手机号码|学院"])
    for i, p in enumerate(people(n, seed), 1):
        # 2019 intake, college 301, class 02: eleven digits starting 193, shaped like a mobile number
        student_no = f"193010201{i:02d}"
        number = p.id_number if i < n else wrong_check_digit(p.id_number)
        rows.lines.append(f"{i}|{p.name}|{student_no}|{number}|{p.mobile}|计算机学院")
        rows.decoys.append(student_no)
        if i < n:
            rows.leaks.append(Leak("id_card", number, mask_id(number)))
        else:
            rows.decoys.append(number)
        rows.leaks.append(Leak("mobile", p.mobile, mask_mobile(p.mobile)))
    order = checksum_valid_order_number("320102", date(2019, 12, 2))
    masked_example = mask_id(people(1, seed + ":example")[0].id_number)
    paras = [
        "根据《示例市城乡居民基本医疗保险实施办法》（示医保发〔2019〕12号）要求，现将2019级新生城乡居民医疗保险参保信息"
        "予以公示，请本人认真核对：",
        "如信息有误，请于2019年12月13日前到学生资助管理中心更正。医保经办机构咨询电话：010-63018001；"
        "学生工作处咨询电话：13957101234（王老师）。",
        f"已在户籍地参保的学生（名单中身份证号显示为{masked_example}形式者）无需重复登记。"
        f"学校已统一代缴本学年参保费用，缴费订单号：{order}。",
        "学生工作处",
        "2019年12月4日",
    ]
    rows.decoys += ["〔2019〕12号", "010-63018001", "13957101234", masked_example, order]
    return paras, rows


def campus_card_list(seed: str, n: int = 6) -> Listing:
    """A PDF name list for the graduate school's campus cards: page 1 the notice with contact numbers,
    a document number and a payment order number; page 2 (after the form feed) a table whose ID
    column leaks full numbers, except one impossible birth date and one row masked by the uploader."""
    order = checksum_valid_order_number("330106", date(2019, 12, 10))
    out = Listing([
        "2019级研究生新生校园卡信息核对名单",
        "示例大学研究生院",
        "依据《示例大学校园卡管理办法》（示大研〔2019〕12号），",
        "请新生核对本人校园卡信息，有误的请及时更正。",
        "咨询电话：13957112345（吴老师）",
        "办公电话：0571-88882345",
        "校园卡统一充值订单号：" + order,
        "\f",
        "序号|姓名|学号|身份证号",
    ])
    out.decoys += ["〔2019〕12号", "13957112345", "0571-88882345", order]
    for i, p in enumerate(people(n, seed), 1):
        student_no = f"2019110{i:03d}"
        if i == n - 1:
            number = impossible_birth_date(p.id_number)
            out.decoys.append(number)
        elif i == n:
            number = p.masked_id
            out.decoys.append(number)
        else:
            number = p.id_number
            out.leaks.append(Leak("id_card", number, mask_id(number)))
        out.lines.append(f"{i}|{p.name}|{student_no}|{number}")
        out.decoys.append(student_no)
    out.lines.append("编制日期：2019年12月")
    return out
