"""Personal-data (隐私泄露) detection in page and attachment text: pure functions.

Detected kinds (``PiiHit.kind``):

* ``id_card`` – 18-digit resident ID numbers (valid province code, real birth date, ISO 7064 MOD 11-2
  check digit), and 15-digit legacy IDs only when an ID label (身份证 …) is next to them or heads
  their table column;
* ``mobile`` – mainland mobile numbers (real 1[3-9]x prefixes, optional ``+86``/``86-``, ``138 0013 8000``
  or ``138-0013-8000`` separators);
* ``bank_card`` – 16–19 digit Luhn-valid numbers with a card BIN prefix; a card label (银行卡/卡号/账号 …)
  is required except for the unmistakable 19-digit UnionPay ``62…`` numbers;
* ``address`` – a home address (省/市/区/县 … 路/号/室) in the same table row or line as a person's name.

Precision over recall: a number is never taken out of a longer digit or letter run, out of a URL,
or when its nearest label says it is something else (学号, 准考证号, 订单号, 文号 …).

Masking (the only form that may ever be stored, logged or shown):

* ID numbers keep the first 4 (province + city) and last 2 characters: ``1101************34``;
* mobile numbers keep the first 3 and last 4 digits: ``138****8000``;
* bank cards keep the first 6 (BIN) and last 4 digits: ``622202*********1234``;
* addresses keep the text up to the district/county: ``北京市海淀区****``.

The lower part of this module gives documents as text segments that know where each offset is
("pdf page 3", "xlsx Sheet1!C7"), so a finding can point at the cell: HTML here, files through the
crawler's bounded reader (``crawler.extract.documents``), never a reader of its own.
"""
from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from crawler.extract import documents as _documents
from crawler.extract.encoding import decode_html
from monitor.core.vocab import PII_KIND

# Province-level codes actually in use (GB/T 2260) plus Taiwan, Hong Kong, Macau.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# ---- labels ---------------------------------------------------------------------------------------
# A label tells what the number next to it (or the column below it) is. The nearest label wins.
_LABELS: list[tuple[str, str]] = []


def _add_labels(kind: str, words: Iterable[str]) -> None:
    for w in words:
        _LABELS.append((w, kind))


_add_labels("id_card", ["公民身份号码", "身份证号码", "身份证件号", "身份证号", "身份证", "身份号码", "证件号码",
                        "证件号", "身份证明"])
_add_labels("mobile", ["手机号码", "手机号", "手机", "移动电话", "联系电话", "联系方式", "电话号码", "电话", "Tel",
                       "TEL", "tel", "Mobile", "mobile"])
_add_labels("bank_card", ["银行卡号", "银行卡", "银行账号", "银行帐号", "银行账户", "开户账号", "开户行", "借记卡",
                          "工资卡", "卡号", "账号", "帐号"])
_add_labels("address", ["家庭住址", "家庭地址", "家庭所在地", "现住址", "户籍地址", "户籍所在地", "居住地址",
                        "通讯地址", "通信地址", "联系地址", "家住", "住址"])
_add_labels("name", ["学生姓名", "考生姓名", "姓名", "名字"])
# Labels of numbers that look like personal data but are not.
_add_labels("other", ["学号", "考生号", "考生编号", "准考证号", "准考证", "报名号", "考号", "学籍号", "工号",
                      "职工号", "教工号", "编号", "序号", "订单号", "订单", "单号", "流水号", "交易号", "文号",
                      "证书编号", "证书号", "档案号", "合同号", "项目编号", "项目号", "批次", "代码", "信用代码",
                      "邮编", "邮政编码", "发票", "登记号", "备案号", "许可证", "ICP", "No.", "NO.", "编码",
                      "传真", "座机", "办公电话", "固定电话", "QQ", "qq"])
# Labels strong enough to veto even a checksum-valid 18-digit ID (schools do put IDs under 编号/考生号).
_NOT_PERSON_ID = ("订单", "单号", "流水号", "交易号", "信用代码", "合同号", "发票", "登记号", "备案号", "许可证")
_LABELS.sort(key=lambda kv: -len(kv[0]))  # longest first so 身份证号码 beats 身份证
_LABEL_RE = re.compile("|".join(re.escape(w) for w, _ in _LABELS))
_LABEL_KIND = dict(_LABELS)
_LABEL_WINDOW = 14  # characters before a number searched for an inline label

# ---- candidates -----------------------------------------------------------------------------------
_B = r"(?<![0-9A-Za-z])"   # not glued to a longer digit/letter run
_E = r"(?![0-9A-Za-z])"
_ID18_RE = re.compile(_B + r"(\d{17}[0-9Xx])" + _E)
_ID15_RE = re.compile(_B + r"(\d{15})" + _E)
_MOBILE_PREFIX = r"(?:13\d|14[5-9]|15[0-35-9]|16[2567]|17[0-8]|18\d|19\d)"
_MOBILE_RE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)86[\s-]?|86-)?"
    r"(" + _MOBILE_PREFIX + r"(?P<sep>[ -]?)\d{4}(?P=sep)\d{4})" + _E
)
_MOBILE_NEAR_RE = re.compile(r"(?<![0-9A-Za-z+])(?:\+|00)?86[\s-]?$|86-$")
_CARD_RE = re.compile(_B + r"(\d{16,19}|\d{4}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{4}(?:(?P=sep)?\d{1,3})?)" + _E)
# URL-ish runs: an ASCII token with a letter and a URL delimiter (scheme, path, query).
# Linear in its input (hostile pages carry megabytes of run-together links and base64): the token
# only starts where a token starts (the lookbehind), the part before its first letter cannot hold a
# letter, and nothing is given back (possessive). It matches exactly what the older, cubic form
# `[A-Za-z0-9_.~%+-]*[A-Za-z][A-Za-z0-9_.~%+-]*(?:[/?=&#][…]*)+` matched.
_TOKEN = "A-Za-z0-9_.~%+-"
_URL_RE = re.compile(r"(?:https?://|ftp://|www\.)[^\s\"'<>，。；）】]+"
                     r"|(?<![" + _TOKEN + r"])[0-9_.~%+-]*+[A-Za-z][" + _TOKEN + r"]*+"
                     r"[/?=&#][A-Za-z0-9_.~%+=&#/?:;-]*+")


@dataclass(frozen=True)
class PiiHit:
    kind: str            # id_card | mobile | bank_card | address
    start: int           # offsets into the text that was searched
    end: int
    masked: str          # the masked value (safe to store and show)
    context_masked: str  # a short excerpt around it, every personal number in it masked

    @property
    def label(self) -> str:
        return PII_KIND.label.get(self.kind, self.kind)


# ---- validators -----------------------------------------------------------------------------------
def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def _real_date(y: int, m: int, d: int, today: date | None = None) -> bool:
    try:
        born = date(y, m, d)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= (today or date.today())


def is_valid_id18(number: str, today: date | None = None) -> bool:
    """Province code, real birth date and check digit of an 18-character resident ID."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if int(number[:2]) not in PROVINCE_CODES:
        return False
    if not _real_date(int(number[6:10]), int(number[10:12]), int(number[12:14]), today):
        return False
    return id_check_char(number[:17]) == number[17].upper()


def is_valid_id15(number: str) -> bool:
    """Legacy 15-digit ID: province code and a real 19YYMMDD birth date (no check digit exists)."""
    if len(number) != 15 or not number.isdigit() or int(number[:2]) not in PROVINCE_CODES:
        return False
    return _real_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or len(number) < 2:
        return False
    total = 0
    for i, c in enumerate(reversed(number)):
        n = int(c)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _card_bin_ok(number: str) -> bool:
    # UnionPay 62, domestic debit 60/9x (ABC 95599, ICBC 9558), Visa 4, Mastercard 51-55 / 22-27.
    return bool(re.match(r"62|60|9[45]|4|5[1-5]|2[2-7]", number))


# ---- masking --------------------------------------------------------------------------------------
def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit() or c in "Xx").upper()


def mask_value(kind: str, raw: str) -> str:
    """Masked form of a detected value (see the module docstring for the rules)."""
    if kind == "id_card":
        d = _digits(raw)
        return d[:4] + "*" * (len(d) - 6) + d[-2:]
    if kind == "mobile":
        d = _digits(raw)[-11:]
        return d[:3] + "****" + d[-4:]
    if kind == "bank_card":
        d = _digits(raw)
        return d[:6] + "*" * (len(d) - 10) + d[-4:]
    if kind == "address":
        return _mask_address(raw)
    return "*" * len(raw)


_ADDR_KEEP_RE = re.compile(r"^.{1,12}?(?:区|县|旗)|^.{1,8}?市")


def _mask_address(addr: str) -> str:
    addr = re.sub(r"\s+", "", addr)
    m = _ADDR_KEEP_RE.match(addr)
    keep = m.group(0) if m and len(m.group(0)) < len(addr) else addr[: min(3, len(addr) // 3)]
    keep = re.sub(r"\d", "*", keep)
    return keep + "****"


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1)


_LONG_DIGITS_RE = re.compile(r"\d[\d\s-]{9,}\d|\d{11,}")


def _scrub(s: str) -> str:
    """Mask any long digit run left in an excerpt (typo'd IDs are still somebody's number)."""
    def repl(m: re.Match) -> str:
        d = m.group(0)
        n = sum(c.isdigit() for c in d)
        if n < 11:
            return d
        return d[:3] + "*" * max(4, n - 5) + d[-2:]
    return _LONG_DIGITS_RE.sub(repl, s)


def fingerprint(kind: str, raw: str, salt: str) -> str:
    """Salted sha256 of kind + normalised value: recognises the same leak without storing it."""
    value = re.sub(r"\s+", "", raw) if kind == "address" else _digits(raw)
    if kind == "mobile":
        value = value[-11:]
    return hashlib.sha256(f"{salt}\x00{kind}\x00{value}".encode("utf-8")).hexdigest()


def hit_fingerprint(text: str, hit: PiiHit, salt: str) -> str:
    return fingerprint(hit.kind, text[hit.start:hit.end], salt)


# ---- table structure ------------------------------------------------------------------------------
@dataclass
class _Line:
    start: int
    end: int
    cells: list[tuple[int, int]]  # (start, end) offsets of tab/| separated cells
    cell_starts: list[int] = field(default_factory=list)


# Cells are split at a tab, or at a `|` with the whitespace around it: what `\t|\s*\|\s*` found
# scanning left to right, which is quadratic on a long whitespace run. Done here token by token.
_WS_OR_PIPE_RE = re.compile(r"[^\S\n]+|\|")


def _separators(raw: str) -> list[tuple[int, int]]:
    """(start, end) of each cell separator in one line, exactly as ``re.finditer(r"\\t|\\s*\\|\\s*")``."""
    out: list[tuple[int, int]] = []
    toks = [m.span() for m in _WS_OR_PIPE_RE.finditer(raw)]
    n, i = len(toks), 0

    def pipe_end(j: int) -> tuple[int, int]:  # a `|` at toks[j] takes the whitespace right after it
        end = toks[j][1]
        if j + 1 < n and toks[j + 1][0] == end and raw[end] != "|":
            return toks[j + 1][1], j + 2
        return end, j + 1

    while i < n:
        a, b = toks[i]
        if raw[a] == "|":
            end, i = pipe_end(i)
            out.append((a, end))
            continue
        if b < len(raw) and raw[b] == "|":  # whitespace then a pipe: leading tabs alone, then the rest
            f = a
            while f < b and raw[f] == "\t":
                out.append((f, f + 1))
                f += 1
            end, i = pipe_end(i + 1)
            out.append((f, end))
            continue
        k = raw.find("\t", a, b)  # whitespace elsewhere: each tab separates
        while k != -1:
            out.append((k, k + 1))
            k = raw.find("\t", k + 1, b)
        i += 1
    return out


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        cells: list[tuple[int, int]] = []
        cpos = pos
        for a, b in _separators(raw):
            cells.append((cpos, pos + a))
            cpos = pos + b
        cells.append((cpos, pos + len(raw)))
        out.append(_Line(pos, pos + len(raw), cells, [c[0] for c in cells]))
        pos += len(raw) + 1
    return out


def _cell_label(text: str, s: int, e: int) -> str | None:
    """The kind a header cell announces ('other' for 学号 …), if it is a short label."""
    cell = text[s:e].strip().rstrip(":：")
    if not cell or len(cell) > 12:
        return None
    m = _LABEL_RE.search(cell)
    return _LABEL_KIND[m.group(0)] if m else None


class _Structure:
    """Column labels of tab/| separated tables: a header row labels the cells below it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _lines(text)
        self.line_starts = [ln.start for ln in self.lines]
        self.headers: list[dict[int, str] | None] = []
        self.header_of: list[int | None] = []  # index of the header line labelling each line
        current: dict[int, str] | None = None
        current_line: int | None = None
        for li, ln in enumerate(self.lines):
            if len(ln.cells) < 2 and text[ln.start:ln.end].strip():
                current, current_line = None, None  # a paragraph ends the table (blank rows do not)
            if len(ln.cells) >= 2:
                labels = {i: k for i, (s, e) in enumerate(ln.cells) if (k := _cell_label(text, s, e))}
                numbers = sum(bool(re.search(r"\d{6,}", text[s:e])) for s, e in ln.cells)
                if len(labels) >= 2 and numbers == 0:
                    current, current_line = labels, li
                    self.headers.append(None)  # a header row itself has no column labels
                    self.header_of.append(None)
                    continue
            table_row = len(ln.cells) >= 2
            self.headers.append(current if table_row else None)
            self.header_of.append(current_line if table_row else None)

    def header_text(self, pos: int) -> str:
        li, ci = self.locate(pos)
        hl = self.header_of[li]
        if hl is None or ci >= len(self.lines[hl].cells):
            return ""
        s, e = self.lines[hl].cells[ci]
        return self.text[s:e]

    def locate(self, pos: int) -> tuple[int, int]:
        li = bisect.bisect_right(self.line_starts, pos) - 1
        ln = self.lines[li]
        # cells are disjoint and in order: the one that can hold pos is the last starting at or before it
        ci = bisect.bisect_right(ln.cell_starts, pos) - 1
        if ci >= 0 and pos <= ln.cells[ci][1]:
            return li, ci
        return li, len(ln.cells) - 1

    def column_label(self, pos: int) -> str | None:
        li, ci = self.locate(pos)
        hdr = self.headers[li]
        return hdr.get(ci) if hdr else None

    def cell_start(self, pos: int) -> int:
        li, ci = self.locate(pos)
        return self.lines[li].cells[ci][0]

    def line_bounds(self, pos: int) -> tuple[int, int]:
        li, _ = self.locate(pos)
        return self.lines[li].start, self.lines[li].end


def _nearest_label(text: str, struct: _Structure, start: int) -> str | None:
    """Inline label just before the number (same cell/line), else the column's header label."""
    floor = max(struct.cell_start(start), struct.line_bounds(start)[0], start - _LABEL_WINDOW)
    window = text[floor:start]
    found = None
    for m in _LABEL_RE.finditer(window):
        found = _LABEL_KIND[m.group(0)]
    if found is not None:
        return found
    return struct.column_label(start)


def _strong_other(text: str, struct: _Structure, start: int) -> bool:
    floor = max(struct.line_bounds(start)[0], start - _LABEL_WINDOW)
    before, header = text[floor:start], struct.header_text(start)
    return any(w in before or w in header for w in _NOT_PERSON_ID)


# An office's published contact (咨询电话, 联系人：王老师 …) is not a personal-data leak; a phone in a list
# of people (a table with a 姓名 column) always is.
_CONTACT_RE = re.compile(r"咨询|热线|值班|监督|举报|投诉|服务电话|办公|报名电话|招生办|联系人|老师|主任|书记|干事|"
                         r"科长|处长|办公室|微信同号")
_CONTACT_WINDOW = 24


def _official_contact(text: str, struct: _Structure, start: int) -> bool:
    li, _ci = struct.locate(start)
    hdr = struct.headers[li]
    if hdr and "name" in hdr.values():
        return False
    line_start, line_end = struct.line_bounds(start)
    before = text[max(line_start, start - _CONTACT_WINDOW):start]
    after = text[start:min(line_end, start + 30)]
    return bool(_CONTACT_RE.search(before) or re.search(r"[（(]\s*微信同号", after))


# ---- detection ------------------------------------------------------------------------------------
class _Spans:
    """Disjoint (start, end) spans kept in order: containment and overlap tests by bisection, not a
    scan of every span (a page of a hundred thousand links or numbers must stay linear)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.spans = sorted(spans)
        self.starts = [a for a, _ in self.spans]

    def add(self, s: int, e: int) -> None:
        i = bisect.bisect_left(self.starts, s)
        self.starts.insert(i, s)
        self.spans.insert(i, (s, e))

    def inside(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s) - 1
        return i >= 0 and e <= self.spans[i][1]

    def overlaps(self, s: int, e: int) -> bool:
        i = bisect.bisect_left(self.starts, e) - 1  # the last span starting before e ends last of those
        return i >= 0 and self.spans[i][1] > s


def _url_spans(text: str) -> _Spans:
    return _Spans(m.span() for m in _URL_RE.finditer(text))


def _inside(spans: _Spans, s: int, e: int) -> bool:
    return spans.inside(s, e)


def _overlaps(taken: _Spans, s: int, e: int) -> bool:
    return taken.overlaps(s, e)


_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
    "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁"
    "岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤"
    "阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞"
    "敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖"
    "漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈"
    "湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
                      "夏侯", "令狐", "端木", "轩辕", "独孤", "南宫", "西门", "百里", "呼延", "万俟")
_NAME_RE = re.compile(r"[\u4e00-\u9fa5]{2,4}(?:·[\u4e00-\u9fa5]{1,6})?")
_NOT_NAME_CHARS = set("省市区县路号室街道镇乡村学院系部处办校大班级专业年月日男女汉族")


def looks_like_name(s: str) -> bool:
    s = s.strip()
    if not _NAME_RE.fullmatch(s):
        return False
    if any(c in _NOT_NAME_CHARS for c in s[1:]):
        return False
    return s[0] in _SURNAMES or s.startswith(_COMPOUND_SURNAMES)


_ADDR_RE = re.compile(
    r"(?:[\u4e00-\u9fa5]{2,8}(?:省|自治区))?(?:[\u4e00-\u9fa5]{2,9}(?:市|自治州|州|盟|地区))?"
    r"[\u4e00-\u9fa5]{1,9}(?:区|县|旗|市)"
    r"[\u4e00-\u9fa50-9A-Za-z\-－#（）()]{2,40}?"
    r"(?:\d{1,8}(?:号楼|号院|号|室|栋|幢|单元|组|弄|户)|[\u4e00-\u9fa5]{1,8}(?:村|组|屯))"
    r"(?:[\u4e00-\u9fa50-9\-－]{0,12}?\d{1,8}(?:号|室|户|组)){0,8}"
)  # every part bounded (no house number has 9 digits): one attempt costs the same on any input
_ADDR_SLACK = 3          # an address starts within this many characters of its label or cell
_ADDR_CANDIDATES = 16    # address labels tried per line (a line of 住址住址… is not a list of homes)
_ADDR_FORBIDDEN = ("大学", "学院", "学校", "校区", "研究所", "研究院", "医院", "公司", "中学", "小学", "政府", "委员会")
_NAME_INLINE_RE = re.compile(r"(?:学生姓名|考生姓名|姓名)\s*+[:：]?\s*+([\u4e00-\u9fa5]{2,4})")


def _address_hits(text: str, struct: _Structure, taken: _Spans) -> list[tuple[int, int, str, str]]:
    """(start, end, address, name) for home addresses in a person's row or line."""
    out = []
    for li, ln in enumerate(struct.lines):
        line = text[ln.start:ln.end]
        if not re.search(r"(?:区|县|旗|市)", line):
            continue
        hdr = struct.headers[li]
        candidates: list[tuple[int, int]] = []
        name = None
        if hdr and "address" in hdr.values() and "name" in hdr.values():
            for ci, kind in hdr.items():
                if ci >= len(ln.cells):
                    continue
                s, e = ln.cells[ci]
                if kind == "name" and looks_like_name(text[s:e]):
                    name = text[s:e].strip()
                elif kind == "address":
                    candidates.append((s, e))
        else:
            m = _NAME_INLINE_RE.search(line)
            if m and looks_like_name(m.group(1)):
                name = m.group(1)
            elif len(ln.cells) >= 2 and looks_like_name(text[ln.cells[0][0]:ln.cells[0][1]]):
                name = text[ln.cells[0][0]:ln.cells[0][1]].strip()
            else:
                first = re.match(r"\s*(?:\d+[.、\s]\s*)?([\u4e00-\u9fa5]{2,4})[\s,，、]", line)
                if first and looks_like_name(first.group(1)):
                    name = first.group(1)
            for lm in _LABEL_RE.finditer(line):
                if _LABEL_KIND[lm.group(0)] == "address":
                    candidates.append((ln.start + lm.end(), ln.end))
                    if len(candidates) >= _ADDR_CANDIDATES:
                        break
        if not name:
            continue
        for s, e in candidates:
            # the leftmost match within the slack, as a search would find it, without scanning the rest
            m = next((m for p in range(s, min(s + _ADDR_SLACK + 1, e)) if (m := _ADDR_RE.match(text, p, e))), None)
            if not m:
                continue
            addr = m.group(0)
            if any(w in addr for w in _ADDR_FORBIDDEN) or _overlaps(taken, m.start(), m.end()):
                continue
            out.append((m.start(), m.end(), addr, name))
    return out


def find_pii(text: str, *, today: date | None = None) -> list[PiiHit]:
    """Every personal-data hit in ``text``, in order of position, each masked."""
    if not text:
        return []
    struct = _Structure(text)
    urls = _url_spans(text)
    found: list[tuple[int, int, str]] = []  # (start, end, kind)
    taken = _Spans()

    def take(s: int, e: int, kind: str) -> None:
        found.append((s, e, kind))
        taken.add(s, e)

    for m in _ID18_RE.finditer(text):
        s, e = m.span(1)
        if _inside(urls, s, e) or not is_valid_id18(m.group(1), today):
            continue
        if _nearest_label(text, struct, s) == "other" and _strong_other(text, struct, s):
            continue
        take(s, e, "id_card")
    for m in _ID15_RE.finditer(text):
        s, e = m.span(1)
        if _overlaps(taken, s, e) or _inside(urls, s, e) or not is_valid_id15(m.group(1)):
            continue
        if _nearest_label(text, struct, s) == "id_card":
            take(s, e, "id_card")
    for m in _CARD_RE.finditer(text):
        s, e = m.span(1)
        number = _digits(m.group(1))
        if _overlaps(taken, s, e) or _inside(urls, s, e) or not 16 <= len(number) <= 19:
            continue
        if not luhn_valid(number) or not _card_bin_ok(number):
            continue
        label = _nearest_label(text, struct, s)
        if label == "bank_card" or (label is None and len(number) == 19 and number.startswith("62")):
            take(s, e, "bank_card")
    for m in _MOBILE_RE.finditer(text):
        s, e = m.span(1)
        if _overlaps(taken, s, e) or _inside(urls, m.start(), m.end()):
            continue
        prefix_start = m.start()
        if _nearest_label(text, struct, prefix_start) == "other":
            continue
        if _official_contact(text, struct, prefix_start):
            continue
        take(s, e, "mobile")
    for s, e, _addr, _name in _address_hits(text, struct, taken):
        take(s, e, "address")

    found.sort()
    mask_of = {(s, e): mask_value(k, text[s:e]) for s, e, k in found}
    masks = _Masks(mask_of)
    names = {n for _s, _e, _a, n in _address_hits(text, struct, _Spans())}
    return [PiiHit(kind, s, e, mask_of[(s, e)], _context(text, s, e, masks, names)) for s, e, kind in found]


_CONTEXT = 16


class _Masks:
    """The masked hits of a text in order, for excerpts: what lies in or across a window is found by
    bisection (a sheet of ten thousand IDs must not cost ten thousand steps per excerpt)."""

    def __init__(self, masks: dict[tuple[int, int], str]) -> None:
        self.items = sorted(masks.items())
        self.starts = [a for (a, _b), _m in self.items]
        self.reach: list[int] = []  # the furthest end among hits so far (hits of one line may overlap)
        for (_a, b), _m in self.items:
            self.reach.append(max(b, self.reach[-1]) if self.reach else b)

    def first_ending_after(self, pos: int) -> int:
        return bisect.bisect_right(self.reach, pos)


def _context(text: str, s: int, e: int, masks: _Masks, names: set[str]) -> str:
    lo, hi = max(0, s - _CONTEXT), min(len(text), e + _CONTEXT)
    items, starts = masks.items, masks.starts
    # widen the window so no other hit is cut in half (a cut number could escape masking)
    i = masks.first_ending_after(lo)
    if i < len(items) and items[i][0][0] < lo:
        lo = items[i][0][0]
    i = masks.first_ending_after(hi)
    while i < len(items) and items[i][0][0] < hi:
        if items[i][0][1] > hi:
            hi = items[i][0][1]
        i += 1
    parts, pos = [], lo
    for (a, b), masked in items[masks.first_ending_after(lo):bisect.bisect_left(starts, hi)]:
        if b <= lo or a >= hi:
            continue
        parts.append(_scrub(text[pos:a]))
        parts.append(masked)
        pos = b
    parts.append(_scrub(text[pos:hi]))
    out = _mask_names("".join(parts), names)
    out = re.sub(r"\s+", " ", out).strip()
    return ("…" if lo > 0 else "") + out + ("…" if hi < len(text) else "")


def _mask_names(out: str, names: set[str]) -> str:
    """Every occurrence of a listed person's name in an excerpt masked (``mask_name``), by set lookup:
    a list of ten thousand people must not cost ten thousand replaces per excerpt."""
    if not names:
        return out
    lengths = sorted({len(n) for n in names}, reverse=True)
    chars: list[str] | None = None
    for i in range(len(out)):
        for n in lengths:
            if out[i:i + n] in names:
                chars = chars or list(out)
                chars[i + 1:i + n] = "*" * (n - 1)
                break  # the longest name starting here covers the shorter ones
    return "".join(chars) if chars is not None else out


def redact(text: str) -> str:
    """The text with every detected personal value replaced by its masked form (for excerpts)."""
    hits = find_pii(text)
    out, pos = [], 0
    for h in hits:
        out.append(text[pos:h.start])
        out.append(h.masked)
        pos = h.end
    out.append(text[pos:])
    return "".join(out)


# ---- documents -> located text segments ------------------------------------------------------------
# Files are read by crawler.extract.documents, the crawler's own bounded reader (inflated-size, ratio, cell,
# time and memory limits, in a worker process); only HTML pages are turned into text here.
Segment = _documents.Segment


def document_kind(url: str, content_type: str | None, body: bytes | None = None) -> str:
    """'pdf' | 'docx' | 'xlsx' | 'html' | 'other' from the content type, the URL and magic bytes."""
    ct = (content_type or "").lower()
    path = url.lower().split("?")[0]
    head = (body or b"")[:8]
    if "pdf" in ct or path.endswith(".pdf") or head.startswith(b"%PDF"):
        return "pdf"
    if "wordprocessingml" in ct or path.endswith(".docx"):
        return "docx"
    if "spreadsheetml" in ct or path.endswith(".xlsx"):
        return "xlsx"
    if head.startswith(b"PK"):
        if b"word/" in (body or b"")[:4000]:
            return "docx"
        if b"xl/" in (body or b"")[:4000]:
            return "xlsx"
    if "html" in ct or path.endswith((".htm", ".html", ".shtml", ".jsp", ".asp", ".aspx", ".php", "/")):
        return "html"
    return "other"


def document_segments(body: bytes, url: str, content_type: str | None = None) -> list[Segment] | None:
    """Located text of a fetched document, or None when it cannot be read here (damaged, past a
    limit, a format without locations): the caller falls back to the crawler's extracted text."""
    kind = document_kind(url, content_type, body)
    if kind in _documents.SEGMENT_FORMATS:
        name = url.split("?")[0].rsplit("/", 1)[-1]
        doc = _documents.read(body, name, content_type, segments=True)
        if doc.limit or doc.error:
            return None
        return _documents.segments_from(doc)
    if kind == "html":
        try:
            return [Segment(html_text(body, content_type), "html")]
        except Exception:  # noqa: BLE001 - a page lxml cannot walk: the crawler's text is used instead
            return None
    return None


_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
               "header", "footer", "table", "tbody", "thead", "tr", "dd", "dt", "dl", "pre", "blockquote", "form",
               "nav", "aside", "main"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "iframe", "object", "svg"}


def html_text(body: bytes | str, content_type: str | None = None) -> str:
    """Visible text of a whole page (personal data in a footer leaks too): table rows become
    tab-separated lines so column headers can label the cells below them."""
    import lxml.html

    if isinstance(body, bytes):
        body = _decode(body, content_type)
    if not body.strip():
        return ""
    try:
        root = lxml.html.document_fromstring(body)
    except Exception:
        return body
    out: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS:
            if el.tail:
                out.append(el.tail)
            return
        if tag == "tr":
            cells = [_cell_plain(c) for c in el if isinstance(c.tag, str) and c.tag in ("td", "th")]
            out.append("\n" + "\t".join(cells) + "\n")
            if el.tail:
                out.append(el.tail)
            return
        if tag in _BLOCK_TAGS:
            out.append("\n")
        if el.text and tag:
            out.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCK_TAGS:
            out.append("\n")
        if el.tail:
            out.append(el.tail)

    walk(root)
    text = "".join(out).replace("\xa0", " ").replace("\u3000", " ")
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \r\f\v]+", " ", line).strip(" ")
        line = re.sub(r" *\t *", "\t", line)
        if line.strip():
            lines.append(line)
    return "\n".join(lines)


def _cell_plain(cell) -> str:
    for bad in list(cell.iter(*_SKIP_TAGS)):
        if bad.getparent() is not None:
            bad.drop_tree()
    return re.sub(r"\s+", " ", cell.text_content()).strip()


def _decode(body: bytes, content_type: str | None) -> str:
    # The crawler's decoder (crawler.extract.encoding): a declared charset counts only when the bytes decode
    # cleanly with it, so a UTF-8 page that says gb2312 keeps its 身份证号/手机 labels.
    return decode_html(body, content_type)[0]
