"""Date parsing for Chinese web pages: formats, labels, URL patterns, plausibility.

Everything here works on plain strings; ``crawler.extract`` decides *where* on a page to look.
All helpers return :class:`datetime.date` objects that are already plausible: not before 1990 and
not after ``today`` (a future "date" on a page is an event, a widget or a typo, never a
publication date).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator

from crawler.extract import cms

MIN_YEAR = 1990

# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------
_TRANSLATE = {0x00A0: " ", 0x3000: " ", 0x2002: " ", 0x2003: " ", 0x2009: " ", 0x200B: "", 0xFEFF: "",
              0x2013: "-", 0x2014: "-", 0x2212: "-", 0xFF0D: "-", 0x2010: "-", 0x2011: "-"}


def normalize(text: str) -> str:
    """NFKC (full-width digits/colons/brackets to ASCII) plus space and dash unification."""
    return unicodedata.normalize("NFKC", text).translate(_TRANSLATE)


# ---------------------------------------------------------------------------------------------
# Date formats
# ---------------------------------------------------------------------------------------------
_Y4 = r"((?:19|20)\d{2})"
# These patterns run on crawled text: each stays linear in its input. "Not followed by more digits"
# is written `(?!\.*+\d)`, not `(?![\d.]*\d)` (same meaning: the first digit of such a run follows
# only dots), which rescanned a whole run of digits from every start.
# 2019-10-31, 2019/10/31, 2019.10.31, 2019年10月31日, with optional spaces and times after.
FULL_DATE_RE = re.compile(
    _Y4 + r"\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})(?!\d)\s*[日号]?"
    r"|([-/.])\s*(\d{1,2})\s*\4\s*(\d{1,2})(?!\.*+\d))"
)
# 20191031 (meta values, file names) - only used where we know a date is expected.
COMPACT_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")
# 19-10-31 / 19.10.31 - only in labelled or list context.
SHORT_YEAR_RE = re.compile(r"(?<![\d./-])(\d{2})([-/.])(\d{1,2})\2(\d{1,2})(?![./-]*+\d)")
# 10-31, [10-31], 10/31, 10月31日 - list rows, the year comes from elsewhere.
MONTH_DAY_RE = re.compile(r"(?<![\d./-])(\d{1,2})\s*(?:([-/.])\s*(\d{1,2})|月\s*(\d{1,2})\s*[日号]?)(?![./-]*+\d)")
# 2019.10 / 2019-10 / 2019年10月 - the "year-month" half of split list dates.
YEAR_MONTH_RE = re.compile(_Y4 + r"\s*(?:年\s*(\d{1,2})\s*月?|[-/.]\s*(\d{1,2}))"
                           r"(?![\d]|\s*+[-/.]\s*\d|\s*+月?\s*+\d{1,2}\s*日)")
_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
CN_DATE_RE = re.compile(r"([〇○零O一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
_EN_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
# The month word is at most 9 letters ("September"): bounded, so a page of letters is not quadratic.
EN_DATE_RE = re.compile(
    r"(?:(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?,?\s+((?:19|20)\d{2}))"
    r"|(?:([A-Za-z]{3})[a-z]{0,6}\.?\s+(\d{1,2}),?\s+((?:19|20)\d{2}))")


@dataclass(frozen=True)
class DateHit:
    value: date
    start: int
    end: int


def make_date(y: int, m: int, d: int, today: date | None = None) -> date | None:
    """A real calendar date within [1990, today], else None."""
    try:
        value = date(y, m, d)
    except ValueError:
        return None
    if value.year < MIN_YEAR:
        return None
    if today is not None and value > today:
        return None
    return value


def _cn_number(text: str) -> int:
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return int("".join(str(_CN_DIGITS[c]) for c in text))


def _two_digit_year(yy: int, today: date | None) -> int:
    current = (today or date.today()).year
    year = 2000 + yy
    return year if year <= current else 1900 + yy


def iter_dates(text: str, today: date | None = None, *, short_year: bool = False,
               chinese: bool = True) -> Iterator[DateHit]:
    """Every complete, plausible date in ``text`` (already :func:`normalize`-d), in order."""
    hits: list[DateHit] = []
    for m in FULL_DATE_RE.finditer(text):
        y = int(m.group(1))
        mo, d = (m.group(2), m.group(3)) if m.group(2) else (m.group(5), m.group(6))
        value = make_date(y, int(mo), int(d), today)
        if value:
            hits.append(DateHit(value, m.start(), m.end()))
    if chinese and ("年" in text):
        for m in CN_DATE_RE.finditer(text):
            try:
                value = make_date(_cn_number(m.group(1)), _cn_number(m.group(2)), _cn_number(m.group(3)), today)
            except (KeyError, ValueError):
                value = None
            if value:
                hits.append(DateHit(value, m.start(), m.end()))
    if short_year and not hits:
        for m in SHORT_YEAR_RE.finditer(text):
            value = make_date(_two_digit_year(int(m.group(1)), today), int(m.group(3)), int(m.group(4)), today)
            if value:
                hits.append(DateHit(value, m.start(), m.end()))
    hits.sort(key=lambda h: h.start)
    return iter(hits)


def first_date(text: str, today: date | None = None, *, short_year: bool = False) -> date | None:
    for hit in iter_dates(normalize(text), today, short_year=short_year):
        return hit.value
    return None


def parse_machine_date(value: str, today: date | None = None) -> date | None:
    """Dates from meta tags / JSON-LD / <time datetime>: ISO, compact, Chinese, English, RFC 2822."""
    if not value:
        return None
    text = normalize(value).strip()
    # ISO with time zone: the local calendar day is the date part as written.
    for hit in iter_dates(text, today, chinese=True):
        return hit.value
    m = COMPACT_DATE_RE.search(text)
    if m:
        return make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    m = EN_DATE_RE.search(text)
    if m:
        if m.group(1):
            d, mon, y = m.group(1), m.group(2), m.group(3)
        else:
            mon, d, y = m.group(4), m.group(5), m.group(6)
        month = _EN_MONTHS.get(mon.lower())
        if month:
            return make_date(int(y), month, int(d), today)
    if text.isdigit() and len(text) in (10, 13):  # epoch seconds / milliseconds
        try:
            stamp = datetime.fromtimestamp(int(text[:10]) + 8 * 3600, tz=None).date()
        except (OverflowError, OSError, ValueError):
            return None
        return make_date(stamp.year, stamp.month, stamp.day, today)
    return None


# ---------------------------------------------------------------------------------------------
# Month-day dates in lists
# ---------------------------------------------------------------------------------------------
def month_day(text: str) -> tuple[int, int] | None:
    """``10-31`` / ``[10-31]`` / ``10月31日`` -> (10, 31) when it looks like a valid month/day."""
    m = MONTH_DAY_RE.search(text)
    if not m:
        return None
    mo = int(m.group(1))
    d = int(m.group(3) or m.group(4))
    if 1 <= mo <= 12 and 1 <= d <= 31:
        return mo, d
    return None


def year_month(text: str) -> tuple[int, int] | None:
    m = YEAR_MONTH_RE.search(text)
    if not m:
        return None
    y, mo = int(m.group(1)), int(m.group(2) or m.group(3))
    if 1 <= mo <= 12 and y >= MIN_YEAR:
        return y, mo
    return None


def resolve_year(mo: int, d: int, *, anchor: date | None, before_anchor: bool, today: date | None) -> date | None:
    """Give a month-day the year that keeps it next to ``anchor``.

    ``before_anchor``: the date is expected on or before the anchor (lists are newest first and
    the anchor is a row above) - otherwise on or after it.
    """
    ref = anchor or today or date.today()
    made = [make_date(y, mo, d, today) for y in (ref.year - 1, ref.year, ref.year + 1)]
    candidates = [c for c in made if c is not None]
    if not candidates:
        return None
    if anchor is None:
        past = [c for c in candidates if c <= ref]
        return max(past) if past else None
    if before_anchor:
        ok = [c for c in candidates if c <= anchor + timedelta(days=1)]
        return max(ok) if ok else min(candidates, key=lambda c: abs((c - anchor).days))
    ok = [c for c in candidates if c >= anchor - timedelta(days=1)]
    return min(ok) if ok else min(candidates, key=lambda c: abs((c - anchor).days))


# ---------------------------------------------------------------------------------------------
# Dates in URLs
# ---------------------------------------------------------------------------------------------
_URL_PATTERNS = (
    # the CMS families' shapes (WebPlus, TRS, Xinhua, Hanweb and generic /2019/10/31/), see ``cms``
    *cms.URL_DATE_RES,
    # /201910/31/ directories
    re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])/([0-3]\d)/"),
    # /20191031/ directory
    re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])([0-3]\d)/"),
    # /2019-10-31/ directory or 2019-10-31 in a file name
    re.compile(r"[/_-]((?:19|20)\d{2})-(0[1-9]|1[0-2])-([0-3]\d)(?=[/_.-])"),
)
# TRS attachment and image names: P020191031123456789.pdf, W020191031....jpg
_URL_FILE_PATTERN = cms.TRS_FILE_DATE_RE


def url_date(url: str, today: date | None = None) -> date | None:
    """Publication date encoded in a CMS URL (WebPlus, TRS, news portals), if any."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pat in _URL_PATTERNS:
        m = pat.search(path)
        if m:
            value = make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
            if value:
                return value
    m = _URL_FILE_PATTERN.search(path)
    if m:
        return make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), today)
    return None


# A path segment that is only a year ("/content/2017/10264.html", "/tzgg/2019/list.htm"), or a
# year= query parameter: enough to give a month-day list row its year.
_YEAR_SEGMENT_RE = re.compile(r"/((?:19|20)\d{2})(?=/)")
_YEAR_PARAM_RE = re.compile(r"[?&](?:year|nian|nd|yyyy)=((?:19|20)\d{2})(?:&|$)", re.I)
# VSB "/info/<columnId>/<newsId>.htm": the column id may look like a year.
_ID_BEFORE_RE = cms.COLUMN_ID_FOLDER_RE


def url_year(url: str, today: date | None = None) -> int | None:
    """The year a URL names without a full date (a ``/2017/`` folder or ``?year=2017``), if plausible."""
    path, _, query = url.split("#", 1)[0].partition("?")
    for m in _YEAR_SEGMENT_RE.finditer(path):
        if _ID_BEFORE_RE.search(path[:m.start()]):
            continue
        year = int(m.group(1))
        if MIN_YEAR <= year <= (today or date.today()).year:
            return year
    param = _YEAR_PARAM_RE.search("?" + query) if query else None
    if param:
        year = int(param.group(1))
        if MIN_YEAR <= year <= (today or date.today()).year:
            return year
    return None


_YEAR_HEADING_RE = re.compile(r"^\s*+[\[【(（]?\s*+((?:19|20)\d{2})\s*+(?:年度?)?\s*+[\]】)）]?\s*+$")


def year_heading(text: str, today: date | None = None) -> int | None:
    """A block that is only a year ("2017年", "【2019】"): the heading of a year group in a list."""
    m = _YEAR_HEADING_RE.match(text)
    if not m:
        return None
    year = int(m.group(1))
    return year if MIN_YEAR <= year <= (today or date.today()).year else None


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------
# Specific "published" labels; a stronger word wins over the bare 日期/时间.
PUBLISH_LABELS = (
    "发布时间", "发布日期", "发表时间", "发表日期", "发文时间", "发文日期", "发稿时间", "发稿日期", "公布时间", "公布日期",
    "公开时间", "公开日期", "上传时间", "上传日期", "上网时间", "上网日期", "录入时间", "录入日期", "添加时间", "添加日期",
    "创建时间", "创建日期", "撰稿时间", "刊发时间", "刊登时间", "印发日期", "印发时间", "发布于", "发表于", "发布",
    "published", "publish date", "posted",
)
WRITTEN_LABELS = ("成文日期", "成文时间", "签发日期")
BARE_LABELS = ("日期", "时间", "date", "time")
UPDATE_LABELS = ("更新时间", "更新日期", "修改时间", "修改日期", "最后更新", "最后修改", "最近更新", "最新更新", "更新于",
                 "修订日期", "维护时间", "last updated", "updated", "modified")

# Words before 时间/日期 that turn it into an event, not a publication label.
_ALLOWED_PREFIXES = ("信息", "文章", "新闻", "稿件", "内容", "本文", "网页", "页面", "本页", "文件", "文档", "公告", "通知",
                     "资讯", "消息")
_LABEL_RE = re.compile(
    "(" + "|".join(sorted((re.escape(x) for x in PUBLISH_LABELS + WRITTEN_LABELS + BARE_LABELS + UPDATE_LABELS),
                          key=len, reverse=True)) + r")\s*(?:[:：]\s*|\s+|(?=\d)|(?=[\[【(（]))\s*[\[【(（]?\s*",
    re.I,
)


@dataclass(frozen=True)
class LabelHit:
    value: date
    kind: str        # 'published' | 'written' | 'bare' | 'updated'
    label: str
    start: int       # offset of the label in the text


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _label_kind(label: str) -> str:
    low = label.lower()
    if low in UPDATE_LABELS:
        return "updated"
    if low in WRITTEN_LABELS:
        return "written"
    if low in BARE_LABELS:
        return "bare"
    return "published"


def label_dates(text: str, today: date | None = None) -> list[LabelHit]:
    """Labelled dates in one normalised text block ("发布时间：2019-10-31", "【日期:2019-10-31 | 点击数:")."""
    hits: list[LabelHit] = []
    for m in _LABEL_RE.finditer(text):
        label = m.group(1)
        kind = _label_kind(label)
        start = m.start(1)
        before = text[max(0, start - 2):start]
        if label.isascii():
            if start and text[start - 1].isalnum():
                continue
        elif before and _is_cjk(before[-1]):
            # "报名时间" / "考试日期" are events; "信息发布时间" is fine; bare labels need a clean start.
            if kind == "bare" and before not in ("发布", "发表", "更新", "发文", "成文"):
                if not before.endswith(_ALLOWED_PREFIXES) and before not in _ALLOWED_PREFIXES:
                    continue
            elif kind != "bare" and before not in _ALLOWED_PREFIXES and not any(
                    text[max(0, start - len(p)):start] == p for p in _ALLOWED_PREFIXES):
                continue
        rest = text[m.end():m.end() + 40]
        value = None
        for hit in iter_dates(rest, today, short_year=True):
            if hit.start <= 2:
                value = hit.value
            break
        if value is None:
            m_compact = COMPACT_DATE_RE.match(rest)  # "发布时间：20191031"
            if m_compact:
                value = make_date(int(m_compact.group(1)), int(m_compact.group(2)), int(m_compact.group(3)), today)
        if value is None:
            continue
        hits.append(LabelHit(value, kind, label, start))
    return hits


_LABEL_ONLY_RE = re.compile(r"(" + "|".join(re.escape(x) for x in PUBLISH_LABELS + WRITTEN_LABELS + BARE_LABELS
                                            + UPDATE_LABELS) + r")\s*[:：]?\s*$", re.I)


def ends_with_label(text: str) -> bool:
    """True when a block is only the label of a date that sits in the next cell."""
    return bool(_LABEL_ONLY_RE.search(text[-12:]))


# ---------------------------------------------------------------------------------------------
# Signatures (落款): "党政办公室" then "2019年12月24日" as the last lines of a notice
# ---------------------------------------------------------------------------------------------
_ORG_SUFFIX_RE = re.compile(
    r"(办公室|办|处|部|院|系|中心|委员会|委|大学|学院|学校|局|厅|会|组|室|馆|所|站|队|团委|党委|总支|支部|工会|政府|公司|"
    r"集团|协会|学会|社|科|股|班子)\s*(?:[(（][^()（）]{1,8}[)）])?$")
_SENTENCE_RE = re.compile(r"[。，；！？,;!?：:、]")
_AFTER_SIGNATURE = ("", "印发", "发布", "发", "制", "制定", "修订")
SIGNATURE_MAX_LINE = 40


def is_organisation_line(text: str) -> bool:
    """"示例大学党政办公室", "中共示例大学委员会", "学生工作部（处）": a signer, not a sentence."""
    text = text.strip()
    return (2 <= len(text) <= SIGNATURE_MAX_LINE and not _SENTENCE_RE.search(text)
            and not any(ch.isdigit() for ch in text) and bool(_ORG_SUFFIX_RE.search(text)))


def signature_date(lines: list[str], today: date | None = None) -> date | None:
    """The date of a notice's signature block (落款) from the last lines of its main content.

    ``lines`` are the main content's text lines in order, links and blank lines already removed.
    A date counts only as its own line under an organisation line, or after an organisation on the
    same line ("示例大学党政办公室 2019年12月24日", "…2019年12月24日印发"), and only among the
    last three lines, with nothing longer than a short line after it: dates in body prose, in
    "今天是…星期六" widgets or followed by more text are never signatures.
    """
    found = find_signature(lines, today)
    return found[0] if found else None


def find_signature(lines: list[str], today: date | None = None) -> tuple[date, int] | None:
    """:func:`signature_date` plus the index in ``lines`` of the line holding the date."""
    tail = [(i, normalize(x).strip()) for i, x in enumerate(lines) if x and x.strip()][-4:]
    for k in range(len(tail) - 1, max(len(tail) - 4, -1), -1):
        index, line = tail[k]
        value = _signature_line(line, tail[k - 1][1] if k > 0 else None, today)
        if value:
            return value, index
        if len(line) > SIGNATURE_MAX_LINE:
            return None  # prose after any candidate: the notice does not end with a signature
    return None


def _signature_line(line: str, previous: str | None, today: date | None) -> date | None:
    if len(line) > SIGNATURE_MAX_LINE + 20 or has_weekday(line) or looks_like_today_widget(line):
        return None
    hits = list(iter_dates(line, today))
    if len(hits) != 1:
        return None
    hit = hits[0]
    before = line[:hit.start].strip(" :：,，(（[【")
    after = line[hit.end:].strip(" )）]】")
    if after not in _AFTER_SIGNATURE:
        return None
    if before:
        return hit.value if is_organisation_line(before) else None
    return hit.value if previous is not None and is_organisation_line(previous) else None


_TODAY_WIDGET_RE = re.compile(r"(今天是|今天|今日是|当前时间|现在时间|现在是|当前日期|北京时间)")
_WEEKDAY_RE = re.compile(r"(星期|礼拜)[一二三四五六日天]")


def looks_like_today_widget(text: str) -> bool:
    """"今天是2026年11月21日 星期六" and friends: the date of the visit, not of the page."""
    return bool(_TODAY_WIDGET_RE.search(text))


def has_weekday(text: str) -> bool:
    return bool(_WEEKDAY_RE.search(text))


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
