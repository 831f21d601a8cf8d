"""Synthetic people for the personal-data scenarios: names, resident ID numbers with a valid
check digit, mobile numbers and home addresses. All invented; seeded, so the same every run."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

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

    @property
    def masked_id(self) -> str:
        return self.id_number[:4] + "*" * 12 + self.id_number[-2:]


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
        ))
    return out


def admission_rows(seed: str, n: int = 12) -> list[str]:
    """An XLSX admission list that leaks full ID and mobile numbers (a real, common mistake)."""
    rows = ["序号|姓名|考生编号|身份证号|联系电话|拟录取专业"]
    for i, p in enumerate(people(n, seed), 1):
        rows.append(f"{i}|{p.name}|1033{p.student_no}|{p.id_number}|{p.mobile}|计算机科学与技术")
    return rows


def hardship_lines(seed: str, n: int = 8) -> list[str]:
    """A DOCX table of students with financial hardship, with ID numbers and home addresses."""
    lines = ["经学院审核、学校复核，现将认定结果公示如下：", "序号|姓名|学号|身份证号|家庭住址|认定等级"]
    for i, p in enumerate(people(n, seed), 1):
        lines.append(f"{i}|{p.name}|{p.student_no}|{p.id_number}|{p.address}|{'特别困难' if i % 3 == 0 else '一般困难'}")
    return lines


def masked_paragraph(seed: str, n: int = 6) -> str:
    """A scholarship notice done right: masked ID numbers and student numbers only."""
    return "；".join(f"{p.name}（学号{p.student_no}，身份证号{p.masked_id}）" for p in people(n, seed)) + "。"
