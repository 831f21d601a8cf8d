"""Read fetched pages: the school's name, menu labels → links, and 信息公开目录 tables (pure, no I/O).

Everything here comes from the site and is hostile: text is collapsed to one line and capped, scripts and
styles are dropped before any text is read."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from monitor.matching.textsim import normalize

LABEL_CHARS = 40        # a menu label or a 公开事项 cell is short; longer text is a paragraph, not a label
CELL_CHARS = 200
URL_CHARS = 2000
_WS = re.compile(r"\s+")
_SCHOOL_RE = re.compile(r"([\u4e00-\u9fff]{2,16}?(?:大学|学院|学校))")

# Header cells of a directory table, recognised by meaning (any of these words), not by position.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "序"),
    "item": ("公开事项", "事项名称", "公开内容", "事项", "内容", "名称", "清单"),
    "unit": ("责任部门", "责任单位", "负责部门", "负责单位", "公开部门", "牵头部门", "部门", "单位"),
    "link": ("栏目链接", "公开网址", "公开地址", "链接", "网址", "栏目", "地址", "公开途径"),
}


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    page: str           # where the link was seen


@dataclass(frozen=True)
class DirectoryRow:
    page: str
    row: int            # 序号 as printed, else the row's position
    item: str
    unit: str
    links: tuple[tuple[str, str], ...]   # (label, url)


def absolute_url(base: str, href: str) -> str | None:
    """``href`` resolved against ``base`` when it is a web address a config may hold (http/https, a host, a
    valid port, no spaces or control characters, not absurdly long), else None."""
    try:
        url = urldefrag(urljoin(base, href.strip()))[0]
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > URL_CHARS:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    return url


def one_line(text: str | None, cap: int) -> str:
    text = _WS.sub(" ", text or "").strip()
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:cap]


def parse(html: str) -> lxml.html.HtmlElement | None:
    try:
        doc = lxml.html.document_fromstring(html or "<html></html>")
    except (ValueError, lxml.etree.ParserError):
        return None
    for bad in doc.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    return doc


def page_title(doc: lxml.html.HtmlElement | None) -> str:
    if doc is None:
        return ""
    t = doc.xpath("string(//title)")
    return one_line(t, 120)


def school_name(titles: list[str], texts: list[str]) -> tuple[str | None, str]:
    """The school's name and where it was read: page titles first (most frequent), then logo alt / footer text."""
    for source, pool in (("页面标题", titles), ("页脚/标志文字", texts)):
        counts: dict[str, int] = {}
        for t in pool:
            for m in _SCHOOL_RE.findall(t or ""):
                counts[m] = counts.get(m, 0) + 1
        if counts:
            return max(counts, key=lambda k: (counts[k], -len(k))), source
    return None, ""


def footer_texts(doc: lxml.html.HtmlElement | None) -> list[str]:
    if doc is None:
        return []
    out = [one_line(a, 80) for a in doc.xpath("//img/@alt")]
    for el in doc.xpath("//*[contains(@class,'foot') or contains(@id,'foot') or self::footer]"):
        out.append(one_line(el.text_content(), 300))
    return out


def nav_links(doc: lxml.html.HtmlElement | None, base: str) -> list[NavLink]:
    """Every short-labelled link of the page (menus, sidebars, column lists), in page order."""
    if doc is None:
        return []
    out: list[NavLink] = []
    for a in doc.xpath("//a[@href]")[:3000]:
        label = one_line(a.text_content() or a.get("title"), LABEL_CHARS + 1)
        href = (a.get("href") or "").strip()
        if not label or len(label) > LABEL_CHARS or href.lower().startswith(("javascript:", "mailto:", "#")):
            continue
        url = absolute_url(base, href)
        if url:
            out.append(NavLink(label, url, base))
    return out


def _header_roles(cells: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for role, words in HEADER_WORDS.items():
        for i, cell in enumerate(cells):
            n = normalize(cell)
            if i not in roles.values() and n and len(n) <= 8 and any(w in n for w in words):
                roles[role] = i
                break
    return roles


def directory_rows(doc: lxml.html.HtmlElement | None, base: str) -> list[DirectoryRow]:
    """Rows of every table whose header names at least a 公开事项 column and a 责任部门 or 栏目链接 column."""
    if doc is None:
        return []
    out: list[DirectoryRow] = []
    for table in doc.xpath("//table")[:50]:
        rows = table.xpath(".//tr")[:1000]
        roles: dict[str, int] = {}
        for pos, tr in enumerate(rows):
            cells = tr.xpath("./th|./td")
            texts = [one_line(c.text_content(), CELL_CHARS) for c in cells]
            if not roles:
                found = _header_roles(texts)
                if "item" in found and ("unit" in found or "link" in found):
                    roles = found
                continue
            if len(cells) <= roles["item"]:
                continue
            item = texts[roles["item"]][:LABEL_CHARS * 2]
            if not normalize(item):
                continue
            unit = texts[roles["unit"]][:LABEL_CHARS] if "unit" in roles and len(cells) > roles["unit"] else ""
            link_cells = [cells[roles["link"]]] if "link" in roles and len(cells) > roles["link"] else cells
            links = []
            for cell in link_cells:
                for a in cell.xpath(".//a[@href]")[:5]:
                    url = absolute_url(base, a.get("href") or "")
                    if url:
                        links.append((one_line(a.text_content(), LABEL_CHARS), url))
            seq_text = texts[roles["seq"]] if "seq" in roles and len(cells) > roles["seq"] else ""
            seq = int(m.group()) if (m := re.search(r"\d{1,4}", seq_text)) else pos
            out.append(DirectoryRow(base, seq, item, unit, tuple(links)))
    return out
