"""Further pages of a list (pager links, numbered ranges, TRS ``createPageHTML``) and where the
paging bar is.
"""
from __future__ import annotations

import bisect
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract.dom import WS_RE, abs_url, text_of
from crawler.extract.page import Page
from crawler.extract.regions import class_tokens

_PAGE_WORDS_RE = re.compile(r"^(下一页|下页|后一页|上一页|上页|前一页|首页|第一页|尾页|末页|最后一页|最末页|next|prev|previous|last|first|"
                            r">|>>|<|<<|»|«|›|‹|\d{1,4}|\[\d{1,4}\]|第\d{1,4}页|下一页>>|<<上一页|下一页>|<上一页)$", re.I)
_PAGE_CONTAINER_TOKENS = {"page", "pages", "paging", "pagination", "pager", "pagebar", "fenye", "fy",
                          *cms.PAGER_CLASSES, "page_nav", "pagenav", "p_pages", "pagelist", "pageinfo", "pgn", "pagediv", "splitpage",
                          "pagination-wrap", "turnpage", "pages_nav", "page-nav", "pagebox"}
_TOTAL_PAGES_RES = (
    re.compile(r"共\s*(\d{1,4})\s*页"),
    re.compile(r"分\s*(\d{1,4})\s*页"),
    re.compile(r"页次\s*[:：]?\s*\d{1,4}\s*/\s*(\d{1,4})"),
    re.compile(r"第\s*\d{1,4}\s*/\s*(\d{1,4})\s*页"),
    re.compile(r"(?<![\d/])\d{1,4}\s*/\s*(\d{1,4})\s*页"),
    re.compile(r"页码\s*[:：]?\s*\d{1,4}\s*/\s*(\d{1,4})"),
)
_CREATE_PAGE_RE = cms.TRS_PAGER_CALL_RE
_TRS_CALL = cms.TRS_PAGER_FUNC + "("
_VAR_RE = re.compile(r"\b([A-Za-z_$][\w$]*)\s*=\s*(\d{1,5})(?![\d.\w])")
_NUM_RE = re.compile(r"\d+")
_PAGE_PARAM_RE = re.compile(r"[?&][\w]*(?:page|pageno|pageindex|curpage|p|pn|pg|pagenum|start)=", re.I)
MAX_PAGE_DIGITS = 9  # a longer "page number" is no page number (and int() refuses thousands of digits)
MAX_PAGES = 500
_STRONG_PAGE_WORDS_RE = re.compile(r"(下一页|下页|后一页|上一页|上页|前一页|尾页|末页|最后一页|最末页|next|prev|previous|last|>>|<<|»|«)",
                                   re.I)


def _pagination_anchors(page: Page) -> tuple[list[tuple[str, str]], str]:
    """(url, text) of anchors that look like list paging, plus the paging area's text.

    An anchor counts when it sits in a pager container (class "page", "paging", "fenye"…) or next
    to a "下一页/尾页" word link: a lone "首页" in the navigation is not paging.
    """
    groups: dict[Any, list[tuple[str | None, str]]] = {}
    pager: dict[Any, bool] = {}
    for a in page.body.iter("a"):
        text = WS_RE.sub("", text_of(a))
        if not text or not _PAGE_WORDS_RE.match(text):
            continue
        if page.regions.of(a) in ("nav", "footer", "header"):
            continue
        container = None
        node = a.getparent()
        for _ in range(4):
            if node is None:
                break
            if class_tokens(node) & _PAGE_CONTAINER_TOKENS:
                container = node
                break
            node = node.getparent()
        in_pager = container is not None
        if container is None:
            parent = a.getparent()
            container = parent.getparent() if parent is not None and parent.tag in (
                "li", "span", "font", "b", "strong", "em") and parent.getparent() is not None else parent
        groups.setdefault(container, []).append((abs_url(page.base, a.get("href")), text))
        pager[container] = pager.get(container, False) or in_pager
    found: list[tuple[str, str]] = []
    area_text: list[str] = []
    for container, items in groups.items():
        if not pager[container] and not any(_STRONG_PAGE_WORDS_RE.search(t) for _, t in items):
            continue
        found.extend((u, t) for u, t in items if u)
        if container is not None:
            area_text.append(text_of(container))
    for el in page.root.xpath('//*[contains(@class, "all_pages")]'):
        area_text.append(f"共{text_of(el)}页")
    return found, " ".join(area_text)


def _number_template(url: str, others: list[str]) -> tuple[str, int, int] | None:
    """Split ``url`` around the page number: (prefix, number, suffix_index) using its siblings."""
    nums = list(_NUM_RE.finditer(url))
    if not nums:
        return None
    skel = _NUM_RE.sub("#", url)
    for other in others:
        if other == url:
            continue
        onums = list(_NUM_RE.finditer(other))
        if len(onums) != len(nums):
            continue
        if skel != _NUM_RE.sub("#", other):
            continue
        diff = [i for i, (m, o) in enumerate(zip(nums, onums)) if m.group() != o.group()]
        if len(diff) == 1:
            return url, diff[0], len(nums)
    # single link: a page= parameter, WebPlus listN / TRS index_N, or the last number in the path
    query_start = url.find("?")
    if query_start != -1:
        # A query parameter that names the page ("?page=3", "&a2p=3"): the number right after the first
        # "=" of its parameter, the name made of word characters. Each parameter is looked at once, so
        # a hostile URL of many numbers stays linear (a search of the whole prefix per number did not).
        starts = [i for i, ch in enumerate(url) if ch in "?&" and i >= query_start]
        for i, m in enumerate(nums):
            if m.start() <= query_start or url[m.start() - 1] != "=":
                continue
            param = url[starts[bisect.bisect_right(starts, m.start() - 1) - 1]:m.start()]
            if "=" in param[:-1]:
                continue
            if _PAGE_PARAM_RE.fullmatch(param) or any(r.fullmatch(param) for r in cms.PAGE_PARAM_RES):
                return url, i, len(nums)
    path_nums = [i for i, m in enumerate(nums) if query_start == -1 or m.start() < query_start]
    if path_nums:
        i = path_nums[-1]
        m = nums[i]
        seg_start = url.rfind("/", 0, m.start()) + 1
        seg = url[seg_start:]
        if re.match(r"^(?:list|index|default|page|p|more|news|\w*_)?\d+\.\w+", seg, re.I) or re.match(r"^\d+\.s?html?$",
                                                                                                          seg):
            return url, i, len(nums)
    return None


def _with_number(url: str, index: int, value: int) -> str:
    nums = list(_NUM_RE.finditer(url))
    m = nums[index]
    return url[:m.start()] + str(value) + url[m.end():]


def pagination_urls(page: Page) -> list[str]:
    anchors, area = _pagination_anchors(page)
    current = page.url.split("#")[0]
    host = urlsplit(current).netloc
    urls: list[str] = []
    seen = {current}

    def add(u: str) -> None:
        if u not in seen and urlsplit(u).netloc == host:
            seen.add(u)
            urls.append(u)

    total = None
    for rx in _TOTAL_PAGES_RES:
        m = rx.search(area)
        if m:
            total = int(m.group(1))
            break
    cand = [u for u, _ in anchors if urlsplit(u).netloc == host]
    for u in cand:
        add(u)
    # fill the numbered range between the links we saw (VSB counts backwards, WebPlus forwards)
    numbered: dict[tuple[str, int], tuple[str, set[int]]] = {}
    for u in cand:
        tpl = _number_template(u, cand + [current])
        if tpl is None:
            continue
        idx = tpl[1]
        digits = list(_NUM_RE.finditer(u))[idx].group()
        if len(digits) > MAX_PAGE_DIGITS:
            continue
        key = (_NUM_RE.sub("#", u), idx)
        numbered.setdefault(key, (u, set()))[1].add(int(digits))
    for (skeleton, idx), (sample, nums) in numbered.items():
        lo, hi = min(nums), max(nums)
        cur_tpl = _NUM_RE.sub("#", current) == skeleton
        cur_digits = list(_NUM_RE.finditer(current))[idx].group() if cur_tpl else ""
        if cur_tpl and len(cur_digits) <= MAX_PAGE_DIGITS:
            cur_num = int(cur_digits)
            lo, hi = min(lo, cur_num), max(hi, cur_num)
        if total and lo == 2 and hi < total and not cur_tpl:
            hi = total  # only "下一页" is a link: the page count says how far the list goes
        elif total and cur_tpl and "?" in sample and sample.index("?") < list(_NUM_RE.finditer(sample))[idx].start():
            # a query-numbered list seen from a later page: the page count gives the whole range
            lo, hi = min(lo, 2), max(hi, total)
        hi = min(hi, lo + MAX_PAGES)
        for n in range(lo, hi + 1):
            add(_with_number(sample, idx, n))
    # TRS: pages exist only in a script call createPageHTML(total, current, "index", "html")
    scripts = " ".join(s.text or "" for s in page.root.iter("script") if s.text and cms.TRS_PAGER_FUNC in s.text)
    if scripts:
        variables = {k: int(v) for k, v in _VAR_RE.findall(" ".join(s.text or "" for s in page.root.iter("script")))}
        for m in _CREATE_PAGE_RE.finditer(scripts):
            args = [a.strip() for a in m.group(1).split(",")]
            ints: list[int] = []
            strs: list[str] = []
            for a in args:
                if re.fullmatch(r"\d+", a):
                    ints.append(int(a))
                elif re.fullmatch(r"[\"'][^\"']*[\"']", a):
                    if len(ints) >= 2:
                        strs.append(a.strip("\"'"))
                elif re.fullmatch(r"[A-Za-z_$][\w$]*", a) and a in variables:
                    ints.append(variables[a])
            if len(ints) < 2:
                continue
            count = min(ints[0], MAX_PAGES)
            name, ext = (strs + ["index", "html"])[:2] if len(strs) >= 2 else ("index", "html")
            for n in range(0, count):
                add(urljoin(current, f"{name}.{ext}" if n == 0 else f"{name}_{n}.{ext}"))
    return sorted(urls, key=_natural_key)


def _natural_key(url: str) -> list:
    # numbers compare by digit count, then value; a hostile run of thousands of digits is never int()-ed
    return [(len(p.lstrip("0")), int(p) if len(p) <= 18 else p) if p.isdigit() else p
            for p in re.split(r"(\d+)", url)]


_PAGER_TEXT_RE = re.compile(r"(共\s*\d+\s*页|第\s*\d+\s*页|\d+\s*/\s*\d+\s*页|共\s*\d+\s*条(记录)?|页次|每页\s*\d+|"
                            r"下一页|尾页|末页)")


def pager_present(page: Page) -> bool:
    """A paging bar, even one without links ("共2条记录 第1/1页"), marks a column list."""
    for script in page.body.iter("script"):
        if script.text and _TRS_CALL in script.text:
            return True
    for b in page.blocks:
        if len(b.text) <= 80 and _PAGER_TEXT_RE.search(b.text) and page.regions.of(b.el) not in ("nav", "footer"):
            return True
    return False


def pager_elements(page: Page) -> list:
    """Elements that are a list's paging bar (links or "共N页" text or a createPageHTML script)."""
    found = []
    for b in page.blocks:
        if len(b.text) <= 120 and _PAGER_TEXT_RE.search(b.text):
            found.append(b.el)
    for el in page.body.iter("script"):
        if el.text and _TRS_CALL in el.text:
            parent = el.getparent()
            found.append(parent if parent is not None else el)
    for name in (*cms.PAGER_CLASSES, "pagination", "pager", "page", "pages", "fenye", "p_pages", "pagebar", "paging"):
        found.extend(page.class_index.get(name, ()))
    return found


def near_pager(page: Page, parent: HtmlElement, pagers: list) -> bool:
    """The paging bar follows the list closely (same container, a few siblings later)."""
    close: set = set()
    for p in pagers:  # the pager element, and its wrapper when that holds nothing else
        close.add(p)
        size = len(text_of(p))
        wrapper = p.getparent()
        while wrapper is not None and wrapper.tag != "body" and len(text_of(wrapper)) <= size + 20:
            close.add(wrapper)
            wrapper = wrapper.getparent()
    if any(page.inside(p, parent) for p in pagers):
        return True   # the paging bar is the list's own last row ("共48条记录 页次：1/5")
    node: HtmlElement | None = parent
    for _ in range(2):
        if node is None:
            return False
        sib = node.getnext()
        for _ in range(3):
            if sib is None:
                break
            if sib in close:
                return True
            sib = sib.getnext()
        node = node.getparent()
    return False
