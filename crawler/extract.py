"""One function turns a fetched page into a :class:`PageRecord` (see docs/extraction.md).

The page is parsed once with lxml and flattened into *blocks* (the text of each block-level
element, in document order). Every decision is made on that sequence:

* the title is the article's own heading (CMS title blocks, ``ArticleTitle`` meta, the heading
  nearest the body, else ``<title>`` without the site suffix);
* the main content is a known CMS body container or the densest text block;
* the publication date is chosen by evidence strength and *position*: a labelled date right under
  the title beats one after the body, which beats anything inside the body; footers, navigation,
  sidebars and "今天是…" widgets are never looked at;
* list pages are repeated rows (``li``/``tr``/``div``…) that each carry a link, usually a date.

Hot path: lxml only, no network, no BeautifulSoup.
"""
from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

from crawler import dates as D
from crawler.encoding import decode_html
from crawler.fingerprint import content_fingerprint, list_fingerprint

__all__ = ["Entry", "Link", "PageRecord", "SiteSelectors", "extract", "extract_attachment", "record_to_json",
           "is_attachment_link"]


# =============================================================================================
# Records
# =============================================================================================
@dataclass
class Entry:
    title: str
    url: str
    date: str | None
    date_source: str | None  # 'list' | 'url' | None


@dataclass
class Link:
    url: str
    text: str


@dataclass
class PageRecord:
    url: str
    title: str | None
    kind: str  # 'article' | 'list' | 'attachment' | 'other'
    published: str | None
    published_source: str | None  # 'meta' | 'label' | 'list' | 'url' | 'heading' | 'http' | 'observed'
    updated: str | None
    updated_source: str | None
    entries: list[Entry] = field(default_factory=list)
    column: str | None = None
    newest_entry: str | None = None
    pagination: list[str] = field(default_factory=list)
    fingerprint: str = ""
    text: str = ""
    attachments: list[Link] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    breadcrumb: list[str] = field(default_factory=list)
    encoding: str | None = None       # charset used to decode the body
    metadata: dict[str, Any] = field(default_factory=dict)  # attachments: pages, doc title, truncated…


@dataclass
class SiteSelectors:
    """Per-host overrides (CSS, or XPath when the expression starts with ``/`` or ``(``)."""
    title: str | None = None
    date: str | None = None
    content: str | None = None
    list_item: str | None = None
    list_date: str | None = None  # relative to a list item

    @classmethod
    def coerce(cls, value: Any) -> "SiteSelectors | None":
        if value is None or isinstance(value, SiteSelectors):
            return value
        if isinstance(value, Mapping):
            get = value.get
        else:
            def get(name: str, default: Any = None) -> Any:
                return getattr(value, name, default)
        return cls(**{k: get(k) or None for k in ("title", "date", "content", "list_item", "list_date")})


def record_to_json(rec: PageRecord) -> dict:
    """Plain-JSON view of a record (``xxgk inspect --json``)."""
    data = asdict(rec)
    ordered = {k: data.pop(k) for k in ("title", "kind", "published", "published_source", "updated",
                                        "updated_source", "entries", "fingerprint", "attachments", "links")}
    ordered.update(data)
    return ordered


# =============================================================================================
# Parsing and flattening
# =============================================================================================
_local = threading.local()
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CTRL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _parser() -> lxml.html.HTMLParser:
    p = getattr(_local, "parser", None)
    if p is None:
        p = _local.parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, recover=True)
    return p


def _parse(text: str) -> Any:
    text = _CTRL_RE.sub(" ", _XML_DECL_RE.sub("", text, count=1))
    if not text.strip():
        return None
    try:
        root = lxml.html.document_fromstring(text, parser=_parser())
    except (etree.ParserError, ValueError):
        return None
    return root


BLOCK_TAGS = frozenset("""p div li ul ol dl dt dd table tbody thead tfoot tr td th h1 h2 h3 h4 h5 h6 section article
aside header footer nav main form fieldset blockquote pre address center figure figcaption hr caption details
summary body html marquee menu legend""".split())
SKIP_TAGS = frozenset("script style noscript template select option textarea iframe object embed svg head "
                      "button map".split())
SEP_TAGS = frozenset("span a font em strong b i u label small big strike s sup sub cite abbr time ins".split())
_WS_RE = re.compile(r"\s+")


@dataclass
class Block:
    text: str          # display text (inline boundaries removed, spaces collapsed)
    search: str        # normalised text with inline boundaries as spaces (for dates/labels)
    el: Any            # owning block element
    link_chars: int
    index: int = 0


def _flatten(body: Any) -> list[Block]:
    blocks: list[Block] = []
    parts: list[tuple[str, bool]] = []
    owners = [body]
    link_depth = 0

    def flush() -> None:
        if not parts:
            return
        raw = "".join(p for p, _ in parts)
        link_chars = sum(len(p.strip()) for p, in_link in parts if in_link)
        parts.clear()
        text = _WS_RE.sub(" ", raw.replace("\x1f", "")).strip()
        if not text:
            return
        search = _WS_RE.sub(" ", D.normalize(raw.replace("\x1f", " "))).strip()
        blocks.append(Block(text, search, owners[-1], min(link_chars, len(text)), len(blocks)))

    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            if event == "end" and el.tail:
                parts.append((el.tail, link_depth > 0))
            continue
        tag = tag.lower()
        if event == "start":
            if tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag in BLOCK_TAGS:
                flush()
                owners.append(el)
            elif tag == "br":
                flush()
            elif tag in SEP_TAGS:
                parts.append(("\x1f", False))
            if tag == "a":
                link_depth += 1
            if el.text:
                parts.append((el.text, link_depth > 0))
        else:
            if tag in SKIP_TAGS:
                pass
            elif tag in BLOCK_TAGS:
                flush()
                if len(owners) > 1:
                    owners.pop()
            elif tag in SEP_TAGS:
                parts.append(("\x1f", False))
            if tag == "a" and link_depth:
                link_depth -= 1
            if el.tail and el is not body:
                parts.append((el.tail, link_depth > 0))
    flush()
    return blocks


class _Caches(threading.local):
    """Per-extract() memo tables (element -> tokens/text, href -> URL); emptied after each page."""

    def __init__(self) -> None:
        self.tokens: dict[Any, set[str]] = {}
        self.text: dict[Any, str] = {}
        self.urls: dict[tuple[str, str], str | None] = {}

    def clear(self) -> None:
        self.tokens.clear()
        self.text.clear()
        self.urls.clear()


_caches = _Caches()


def _text_of(el: Any) -> str:
    """Visible text of one element (scripts skipped), spaces collapsed."""
    cached = _caches.text.get(el)
    if cached is None:
        cached = _caches.text[el] = _text_of_uncached(el)
    return cached


def _text_of_uncached(el: Any) -> str:
    out: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            if tag.lower() in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if tag.lower() in BLOCK_TAGS or tag.lower() == "br":
                out.append(" ")
            if node.text and tag.lower() not in SKIP_TAGS:
                out.append(node.text)
        elif node is not el and node.tail:
            out.append(node.tail)
    return _WS_RE.sub(" ", "".join(out)).strip()


# =============================================================================================
# Regions: navigation, footers, sidebars
# =============================================================================================
_TOKEN_SPLIT_RE = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_NAV_TOKENS = {"nav", "navbar", "navi", "menu", "menus", "mainnav", "topnav", "subnav", "dh", "daohang", "breadcrumb",
               "crumb", "crumbs", "logo", "banner", "search", "login", "toolbar", "skip", "lanmu", "submenu", "dropdown",
               "wp_listcolumn", "listcolumn", "sub_columns", "subcolumn", "col_menu", "column-list", "leftnav",
               "left_nav", "sidenav", "subnav_list"}
_FOOTER_TOKENS = {"footer", "foot", "copyright", "copy", "banquan", "bq", "bottom", "links", "yqlj", "friendlink",
                  "flink", "link", "friend", "contact"}
_SIDE_TOKENS = {"sidebar", "side", "aside", "related", "relate", "xgxw", "xgwz", "xglj", "hot", "hots", "rank",
                "ranking", "paihang", "phb", "recommend", "tuijian", "latest", "marquee", "gundong", "scroll",
                "ticker", "prev", "next", "prevnext", "sxp", "sxy", "pre", "share", "bdshare", "comment",
                "comments", "pinglun", "tags", "weather", "date", "riqi", "today", "time", "others", "othernews",
                "qtxw", "more_news", "tjyd"}
_HEADER_TOKENS = {"header", "top", "topbar", "head", "masthead"}
_HEADER_WHOLE = {"header", "top", "topbar", "masthead", "site-header", "site_header", "head", "top_bar", "top-bar",
                 "headbox", "head_box", "top_box", "topbox"}
_PAGER_TOKENS = {"page", "pages", "paging", "pagination", "pager", "pagebar", "fenye", "page_nav", "wp_paging",
                 "pagenav", "p_pages", "pagelist", "pageinfo", "splitpage", "turnpage", "pagebox"}
_SIDE_SAFE_TOKENS = {"time", "date", "pre"}  # side tokens that only matter on a whole container


def _tokens(el: Any) -> set[str]:
    cached = _caches.tokens.get(el)
    if cached is None:
        cached = _caches.tokens[el] = _tokens_uncached(el)
    return cached


def _tokens_uncached(el: Any) -> set[str]:
    cls = el.get("class") or ""
    ident = el.get("id") or ""
    if not cls and not ident:
        return set()
    whole = f"{cls} {ident}".split()
    raw = _TOKEN_SPLIT_RE.split(f"{cls} {ident}")
    return {re.sub(r"\d+$", "", t.lower()) for t in raw + whole if t}


_REGION_RANK = {"footer": 4, "nav": 3, "side": 2, "header": 1}


class Regions:
    """Which part of the page an element sits in: 'nav', 'footer', 'side', 'header' or None."""

    def __init__(self) -> None:
        self.cache: dict[Any, str | None] = {}

    def own(self, el: Any) -> str | None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "nav":
            return None if _tokens(el) & _PAGER_TOKENS else "nav"
        if tag == "footer":
            return "footer"
        if tag == "aside":
            return "side"
        if tag == "marquee":
            return "side"
        toks = _tokens(el)
        if not toks:
            return None
        if toks & _PAGER_TOKENS:
            return None  # "page_nav" / "wp_paging" are list paging, not site navigation
        if toks & _FOOTER_TOKENS and not toks & {"content", "article", "main"}:
            return "footer"
        if toks & _NAV_TOKENS:
            return "nav"
        side = toks & _SIDE_TOKENS
        if side and (side - _SIDE_SAFE_TOKENS) and not toks & {"content", "article", "main", "arti", "detail"}:
            return "side"
        whole = {w.lower() for w in f"{el.get('class') or ''} {el.get('id') or ''}".split()}
        if (tag == "header" or whole & _HEADER_WHOLE) and self._near_top(el):
            return "header"
        return None

    @staticmethod
    def _near_top(el: Any) -> bool:
        """A site header sits right under <body> (maybe in one wrapper), an article's header deeper."""
        depth = 0
        for a in el.iterancestors():
            if a.tag in ("article", "main"):
                return False
            if a.tag == "body":
                return depth <= 2
            depth += 1
        return True

    def of(self, el: Any) -> str | None:
        chain = []
        node = el
        result: str | None = None
        while node is not None:
            if node in self.cache:
                result = self.cache[node]
                break
            chain.append(node)
            own = self.own(node)
            if own is not None:
                # nested regions: footer > nav > side > header ("nav" inside the site header is nav)
                parent_region = self.of(node.getparent()) if node.getparent() is not None else None
                result = max((own, parent_region), key=lambda r: _REGION_RANK.get(r, 0))
                break
            node = node.getparent()
        for n in chain:
            self.cache[n] = result
        return result


# =============================================================================================
# Helpers
# =============================================================================================
ATTACHMENT_EXTS = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "rar", "7z", "wps", "et", "dps",
                   "ofd", "txt", "csv")
_ATT_EXT_RE = re.compile(r"\.(" + "|".join(ATTACHMENT_EXTS) + r")$", re.I)
_ATT_QUICK_RE = re.compile(r"\.(?:" + "|".join(ATTACHMENT_EXTS) + r")\b", re.I)
_DOWNLOAD_HINT_RE = re.compile(r"download|attach|upload|file|fujian|DownloadAttachUrl", re.I)


def is_attachment_link(url: str, text: str = "") -> bool:
    """PDF/DOC/XLS/… by path extension, by a file-name parameter, or by a download URL named like a file."""
    if not _ATT_QUICK_RE.search(url) and not (text and _ATT_QUICK_RE.search(text)):
        return False
    parts = urlsplit(url)
    path = unquote(parts.path)
    if _ATT_EXT_RE.search(path):
        return True
    if parts.query:
        for _k, v in parse_qsl(parts.query, keep_blank_values=True):
            if _ATT_EXT_RE.search(unquote(v).strip()):
                return True
    t = text.strip()
    if t and _ATT_EXT_RE.search(t.rstrip("）)]】").strip()) and _DOWNLOAD_HINT_RE.search(url):
        return True
    return False


def _abs_url(base: str, href: str | None) -> str | None:
    if not href:
        return None
    key = (base, href)
    if key in _caches.urls:
        return _caches.urls[key]
    url = _caches.urls[key] = _abs_url_uncached(base, href)
    return url


_ORIGIN_RE = re.compile(r"^(https?://[^/?#]+)", re.I)
_ABS_RE = re.compile(r"^(https?://[^/?#]+)([^#]*)", re.I)


def _abs_url_uncached(base: str, href: str) -> str | None:
    # fast paths for the two shapes that make up almost every link on CMS pages
    h = href.strip()
    if h.startswith("/") and not h.startswith("//") and "/." not in h and "\\" not in h and " " not in h:
        m = _ORIGIN_RE.match(base)
        if m:
            return m.group(1) + h.split("#", 1)[0]
    elif h[:7].lower() == "http://" or h[:8].lower() == "https://":
        m = _ABS_RE.match(h)
        if m and "/." not in m.group(2) and " " not in h and "\\" not in h:
            rest = m.group(2)
            if not rest.startswith("/"):
                rest = "/" + rest
            return m.group(1) + rest
    return _abs_url_slow(base, href)


def _abs_url_slow(base: str, href: str) -> str | None:
    href = href.strip().replace("\\", "/")
    if not href or href.startswith("#"):
        return None
    low = href[:11].lower()
    if low.startswith(("javascript:", "mailto:", "tel:", "data:", "about:", "sms:", "vbscript:")):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https", "ftp", "file"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    lname = name.lower()
    for k, v in headers.items():
        key = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if key.lower() == lname:
            if isinstance(v, (list, tuple)):
                v = v[0] if v else None
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            return v
    return None


def _clean_title(text: str | None) -> str | None:
    if not text:
        return None
    text = _WS_RE.sub(" ", text).strip().strip("·•●■◆▪►>»").strip()
    return text or None


_CSS_CACHE: dict[str, Any] = {}


def _select(root: Any, expr: str) -> list:
    """CSS or XPath selection with compiled expressions cached per process."""
    xp = _CSS_CACHE.get(expr)
    if xp is None:
        try:
            if expr.lstrip().startswith(("/", "(", "./")):
                xp = etree.XPath(expr)
            else:
                from lxml.cssselect import CSSSelector
                xp = CSSSelector(expr)
        except Exception:  # a bad selector in the config must not break the crawl
            xp = False
        _CSS_CACHE[expr] = xp
    if xp is False:
        return []
    try:
        found = xp(root)
    except Exception:
        return []
    return [f for f in found if isinstance(f, etree._Element)] if isinstance(found, list) else []


# =============================================================================================
# Meta dates and titles
# =============================================================================================
_META_PUBLISHED = {
    "pubdate", "publishdate", "publish_date", "publish-date", "publishtime", "publish_time", "article:published_time",
    "og:published_time", "og:article:published_time", "article:published", "datepublished", "dc.date",
    "dc.date.issued", "dcterms.issued", "dcterms.date", "dc.date.created", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "firstpublishedtime", "releasedate", "release_date", "pub_date", "date.release",
    "bytedance:published_time", "weibo:article:create_at", "og:release_date", "article.published", "cre", "date",
}
_META_UPDATED = {
    "article:modified_time", "og:updated_time", "datemodified", "lastmodified", "last-modified", "lastmodifiedtime",
    "dcterms.modified", "dc.date.modified", "revised", "article:modified", "modified", "updatedate", "og:modified_time",
}
_META_WEAK = {"date", "dc.date", "cre"}
_JSONLD_RE = re.compile(r'"date(Published|Created|Modified)"\s*:\s*"([^"]{6,40})"')


def _meta_dates(root: Any, today: date) -> tuple[tuple[date, str] | None, date | None]:
    published: tuple[int, date, str] | None = None
    updated: date | None = None
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        if not key:
            continue
        content = m.get("content") or ""
        if key in _META_PUBLISHED:
            value = D.parse_machine_date(content, today)
            if value:
                rank = 1 if key in _META_WEAK else 0
                if published is None or rank < published[0]:
                    published = (rank, value, key)
        elif key in _META_UPDATED:
            value = D.parse_machine_date(content, today)
            if value and updated is None:
                updated = value
    for el in root.xpath('//*[@itemprop="datePublished" or @itemprop="dateModified"][not(self::meta)]'):
        value = D.parse_machine_date(el.get("datetime") or el.get("content") or _text_of(el), today)
        if not value:
            continue
        if el.get("itemprop") == "datePublished" and (published is None or published[0] > 0):
            published = (0, value, "itemprop")
        elif el.get("itemprop") == "dateModified" and updated is None:
            updated = value
    for script in root.xpath('//script[@type="application/ld+json"]'):
        for kind, raw in _JSONLD_RE.findall(script.text or ""):
            value = D.parse_machine_date(raw, today)
            if not value:
                continue
            if kind in ("Published", "Created") and (published is None or published[0] > 0):
                published = (0, value, "ld+json")
            elif kind == "Modified" and updated is None:
                updated = value
    return ((published[1], published[2]) if published else None), updated


def _meta_content(root: Any, *names: str) -> str | None:
    wanted = {n.lower() for n in names}
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or "").strip().lower()
        if key in wanted and (m.get("content") or "").strip():
            return _WS_RE.sub(" ", m.get("content")).strip()
    return None


_TITLE_SPLIT_RE = re.compile(r"\s+[-–—|_·]+\s+|\s*(?:——|--|－－|｜|\||_|－|—)\s*|(?<=[^\d\s])-(?=[^\d\s])|\s*::\s*")
_SITE_WORDS_RE = re.compile(r"(大学|学院|学校|网|网站|首页|门户|政府|主页|平台|中心|官网|频道|信息公开|university|college)$",
                            re.I)


def _strip_site_name(title: str | None) -> str | None:
    """"关于…的通知 - 示例大学信息公开网" -> "关于…的通知" (also "示例大学_关于…的通知")."""
    if not title:
        return None
    title = _WS_RE.sub(" ", title).strip()
    parts = [p.strip() for p in _TITLE_SPLIT_RE.split(title) if p and p.strip()]
    if len(parts) <= 1:
        return title or None
    first = parts[0]
    if _SITE_WORDS_RE.search(first) and not _SITE_WORDS_RE.search(parts[-1]) and len(parts[-1]) >= 2:
        return parts[-1]
    if len(first) < 2 and len(parts) > 1:
        return max(parts, key=len)
    return first


# =============================================================================================
# Page analysis
# =============================================================================================
# Known CMS containers, strongest first: ("class"|"id"|"id^"|"class^", names).
_ARTICLE_BODY_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("class", ("wp_articlecontent",)),                       # WebPlus
    ("id^", ("vsb_content",)),                               # VSB
    ("class", ("v_news_content",)),
    ("id", ("zoom", "Zoom", "ZOOM", "UCAP-CONTENT")),         # TRS, gov.cn
    ("class", ("TRS_Editor", "TRS_UEDITOR", "pages_content")),
    ("itemprop", ("articleBody",)),
    ("class", ("field-name-body", "field--name-body")),      # Drupal
    ("class", ("article-content", "article_content", "articleContent", "news_content", "news-content",
               "entry-content", "post-content", "detail-content", "detail_content", "arti_content",
               "art_content", "content_text", "newscontent", "zw", "post_body", "article-body", "article_body",
               "text_con", "news_txt", "nr_content", "wznr", "show-content", "show_content", "news-body")),
    ("id", ("article_content", "articleContent", "article-content", "news_content", "newsContent", "zw",
            "fontzoom", "textContent", "ArticleContent", "artibody", "endText", "js_content", "rwb_zw", "detail")),
]
_TITLE_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("class", ("arti_title",)),
    ("class^", ("titlestyle",)),
    ("class", ("article-title", "article_title", "articleTitle", "news_title", "news-title", "newstitle",
               "detail-title", "detail_title", "content-title", "content_title", "pages-title", "art_title",
               "main-title", "post_title", "art-tit", "show-title", "wzbt", "article-tit")),
    ("id", ("ArticleTitle", "articleTitle", "title", "ti", "news_title", "artibodyTitle")),
]


def _rule_matches(page: "Page", rule: tuple[str, tuple[str, ...]]) -> list:
    kind, names = rule
    found: list = []
    if kind == "class":
        for n in names:
            found.extend(page.class_index.get(n, ()))
    elif kind == "class^":
        for key, els in page.class_index.items():
            if key.startswith(names):
                found.extend(els)
    elif kind == "id":
        for n in names:
            found.extend(page.id_index.get(n, ()))
    elif kind == "id^":
        for key, els in page.id_index.items():
            if key.startswith(names):
                found.extend(els)
    elif kind == "itemprop":
        found.extend(el for el in page.body.iter() if el.get("itemprop") in names)
    found.sort(key=lambda el: page.order.get(el, 0))
    return found


_POSITIVE_TOKENS = {"article", "arti", "body", "content", "contents", "entry", "main", "post", "text", "story",
                    "zoom", "detail", "details", "news", "read", "wenzhang", "zhengwen", "zw", "nr", "neirong",
                    "con", "cont", "info", "xl", "show", "view"}
_NEGATIVE_TOKENS = (_NAV_TOKENS | _FOOTER_TOKENS | _SIDE_TOKENS | _HEADER_TOKENS) - {"date", "time", "pre"}
_PUNCT_RE = re.compile(r"[，。；、！？,;]")
_CONTAINER_TAGS = frozenset("div td article section main form body blockquote center table tbody".split())


class Page:
    """Everything extract() needs about one parsed HTML page."""

    def __init__(self, root: Any, url: str, today: date, selectors: SiteSelectors | None) -> None:
        self.root = root
        self.url = url
        self.today = today
        self.selectors = selectors
        base = root.find(".//base")
        self.base = _abs_url(url, base.get("href")) if base is not None and base.get("href") else url
        body = root.find("body")
        self.body = body if body is not None else root
        self.blocks = _flatten(self.body)
        self.regions = Regions()
        self.order: dict[Any, int] = {}
        self.class_index: dict[str, list] = {}
        self.id_index: dict[str, list] = {}
        for i, el in enumerate(self.body.iter()):
            self.order[el] = i
            cls = el.get("class")
            if cls:
                for name in cls.split():
                    self.class_index.setdefault(name, []).append(el)
            ident = el.get("id")
            if ident:
                self.id_index.setdefault(ident.strip(), []).append(el)
        self.first_block: dict[Any, int] = {}
        for b in self.blocks:
            self.first_block.setdefault(b.el, b.index)
        title_el = root.find(".//title")
        self.doc_title = _WS_RE.sub(" ", title_el.text_content()).strip() if title_el is not None else ""
        self.crumb_plain_last = False  # set by _breadcrumb: the last item is plain text (the current page)
        self._spans: dict[Any, list[int]] | None = None
        self.year_headings: list[tuple[int, int, Any]] | None = None  # see _year_headings

    # --- element <-> blocks ---------------------------------------------------------------
    def span(self, el: Any) -> tuple[int, int] | None:
        """First and last block index owned by ``el`` or its descendants."""
        if self._spans is None:
            # one pass: every block widens the span of its owner and of all the owner's ancestors
            spans: dict[Any, list[int]] = {}
            for b in self.blocks:
                node = b.el
                while node is not None:
                    sp = spans.get(node)
                    if sp is None:
                        spans[node] = [b.index, b.index]
                    else:
                        sp[1] = b.index
                    node = node.getparent()
            self._spans = spans
        sp = self._spans.get(el)
        return (sp[0], sp[1]) if sp else None

    def inside(self, el: Any, container: Any) -> bool:
        node = el
        while node is not None:
            if node is container:
                return True
            node = node.getparent()
        return False


# --- main content ------------------------------------------------------------------------------
def _main_content(page: Page) -> tuple[Any | None, bool]:
    """The article body element and whether it came from a known CMS container/selector."""
    sel = page.selectors
    if sel and sel.content:
        found = _select(page.root, sel.content)
        if found:
            return found[0], True
    for rule in _ARTICLE_BODY_RULES:
        found = [el for el in _rule_matches(page, rule) if page.regions.of(el) not in ("nav", "footer")]
        if found:
            best = max(found, key=lambda el: len(el.text_content() or ""))
            if (best.text_content() or "").strip() or best.find(".//a") is not None or best.find(".//img") is not None:
                return best, True
    return _densest(page), False


def _densest(page: Page) -> Any | None:
    """Readability-style scoring over the flattened blocks."""
    scores: dict[Any, float] = {}
    text_len: dict[Any, int] = {}
    link_len: dict[Any, int] = {}
    for b in page.blocks:
        n = len(b.text)
        node = b.el
        depth = 0
        while node is not None and depth < 40:
            text_len[node] = text_len.get(node, 0) + n
            link_len[node] = link_len.get(node, 0) + b.link_chars
            node = node.getparent()
            depth += 1
        plain = n - b.text.count(" ") - b.link_chars  # spaces between pager links are not text
        if plain < 20:
            continue
        s = 1 + len(_PUNCT_RE.findall(b.text)) + min(plain / 100, 3)
        el = b.el
        container = el if el.tag in _CONTAINER_TAGS else el.getparent()
        if container is None:
            continue
        scores[container] = scores.get(container, 0) + s
        parent = container.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + s / 2
            grand = parent.getparent()
            if grand is not None:
                scores[grand] = scores.get(grand, 0) + s / 4
    best, best_score = None, 0.0
    for el, s in scores.items():
        if el.tag in ("html",):
            continue
        toks = _tokens(el)
        weight = 0.0
        if toks & _POSITIVE_TOKENS:
            weight += 25
        if toks & _NEGATIVE_TOKENS:
            weight -= 25
        if toks & _PAGER_TOKENS:
            weight -= 50  # a paging bar ("第58页/共58页 上一页 1 2 …") is never the article
        region = page.regions.of(el)
        if region in ("nav", "footer", "side"):
            weight -= 50
        density = link_len.get(el, 0) / max(text_len.get(el, 1), 1)
        final = (s + weight) * (1 - density)
        if final > best_score:
            best, best_score = el, final
    return best


# --- title -------------------------------------------------------------------------------------
def _heading_ok(page: Page, el: Any, text: str) -> bool:
    if not (2 <= len(text) <= 160):
        return False
    if page.regions.of(el) in ("nav", "footer"):
        return False
    # a heading that is only a link (logo, "通知公告" box title) is not the article title
    links = el.findall(".//a")
    if links:
        link_text = sum(len(_text_of(a)) for a in links)
        if link_text >= 0.8 * len(text):
            return False
    return True


_HEADING_RANK = {"h1": 0, "h2": 1, "title-class": 1, "h3": 2, "h4": 3}
_TITLE_BOX_TAGS = frozenset("div td p span strong b font li th".split())
_TITLE_TOKENS = {"title", "tit", "bt", "biaoti", "newstitle", "news_title", "arttitle", "atitle", "wzbt", "show_title",
                 "headline", "xwbt", "nrbt", "heading", "title_main", "main_title", "tt"}


def _title_box_text(el: Any) -> tuple[Any, str | None]:
    """The title inside a title box: its heading if it has one, else its text before any date line."""
    for h in el.iter("h1", "h2", "h3", "h4"):
        text = _clean_title(_text_of(h))
        if text:
            return h, text
    text = _clean_title(_text_of(el) or el.get("title"))
    if text and (D.FULL_DATE_RE.search(D.normalize(text)) or D.label_dates(D.normalize(text))):
        # "标题 发布时间：2023-05-10 作者：…" in one box: keep the first child that is not the meta line
        for part in [el.text or ""] + [_text_of(c) for c in el if isinstance(c.tag, str)]:
            part = _clean_title(part)
            if part and len(part) >= 4 and not D.FULL_DATE_RE.search(D.normalize(part)) and not _META_WORDS_RE.search(
                    part):
                return el, part
    return el, text


_META_WORDS_RE = re.compile(r"(发布|来源|作者|点击|浏览|编辑|日期|时间|阅读)\s*[:：]")


def _heads_a_box(el: Any, box_parents: set) -> bool:
    """True when the element right after the heading (or after its wrapper) holds a list of links."""
    for node in (el, el.getparent()):
        if node is None:
            return False
        nxt = node.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        if nxt is not None:
            if nxt in box_parents:
                return True
            for child in nxt:
                if child in box_parents:
                    return True
                if any(g in box_parents for g in child):
                    return True
        if node is el:
            siblings = [c for c in el.getparent() if isinstance(c.tag, str) and c is not el]
            if any(c.tag not in ("a", "span", "em", "i", "img") for c in siblings):
                break  # the heading is not alone in a title bar: its wrapper's neighbours are not its box
    return False


def _find_title(page: Page, main: Any | None, box_parents: set | None = None) -> tuple[str | None, Any | None]:
    sel = page.selectors
    if sel and sel.title:
        for el in _select(page.root, sel.title):
            text = _clean_title(_text_of(el))
            if text:
                return text, el
    for rule in _TITLE_RULES:
        for el in _rule_matches(page, rule):
            el, text = _title_box_text(el)
            if text and _heading_ok(page, el, text) and not D.FULL_DATE_RE.fullmatch(D.normalize(text)):
                return text, el
    meta = _meta_content(page.root, "ArticleTitle", "articletitle")
    if meta:
        return meta, None
    # the heading nearest to (before or at the top of) the body
    main_span = page.span(main) if main is not None else None
    main_start = main_span[0] if main_span else None
    doc_title = D.normalize(page.doc_title)
    best: tuple[tuple, str, Any] | None = None
    for el in page.body.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag not in _HEADING_RANK:
            if tag not in _TITLE_BOX_TAGS or not (_tokens(el) & _TITLE_TOKENS):
                continue
            tag = "title-class"
        text = _clean_title(_text_of(el))
        if not text or not _heading_ok(page, el, text):
            continue
        if page.regions.of(el) in ("side", "header"):
            continue
        if box_parents and _heads_a_box(el, box_parents):
            continue  # "热点新闻" over a list of links is a box title, not the article's
        idx = page.first_block.get(el)
        if idx is None:
            sp = page.span(el)
            idx = sp[0] if sp else None
        if idx is None:
            continue
        in_title = bool(doc_title) and D.normalize(text) in doc_title and len(text) >= 4
        if main_start is not None:
            dist = main_start - idx
            if dist < -3:
                dist = 1000 + abs(dist)  # far below the body start: sidebar or footer heading
            elif dist < 0:
                dist = 0
        else:
            dist = idx
        rank = _HEADING_RANK[tag]
        key = (0 if in_title else 1, dist, rank)
        if best is None or key < best[0]:
            best = (key, text, el)
    if best is not None and best[0][0] == 0:
        return best[1], best[2]
    # no heading repeats <title>: the <title> text itself, when the page shows it in a block of its own
    stripped = _strip_site_name(page.doc_title)
    if stripped and len(stripped) >= 4 and not _SITE_WORDS_RE.search(stripped):
        norm = D.normalize(stripped)
        for b in page.blocks:
            if (norm in b.search and len(b.search) <= len(norm) * 1.3 + 4 and b.link_chars < 0.5 * len(b.text)
                    and page.regions.of(b.el) not in ("nav", "footer", "header", "side")):
                return stripped, b.el
    if best is not None and best[0][1] < 1000:
        return best[1], best[2]
    og = _meta_content(page.root, "og:title", "twitter:title")
    if og:
        return _strip_site_name(og), None
    return _strip_site_name(page.doc_title), None


# --- breadcrumb --------------------------------------------------------------------------------
_CRUMB_LABEL_RE = re.compile(r"(当前位置|您的位置|你的位置|您现在的位置|你现在的位置|现在位置|所在位置|当前页面|位置)\s*[:：]?")
_CRUMB_TOKENS = {"breadcrumb", "breadcrumbs", "crumb", "crumbs", "position", "location", "weizhi", "dqwz", "curpos",
                 "col_path", "mianbao", "wz", "place", "positions", "nowposition"}
_CRUMB_SEP_RE = re.compile(r"\s*(?:>>|>|＞|»|›|→|/|\\|-)\s*")
_NOT_COLUMN = {"正文", "详情", "正文内容", "内容", "文章", "查看内容", "阅读全文", "详细内容", "浏览文章", "内容页", "详细信息", "正文页"}


def _breadcrumb(page: Page) -> list[str]:
    candidates = []
    for el in page.body.iter():
        if not isinstance(el.tag, str) or el.tag in ("body", "main", "html", "form", "table"):
            continue
        toks = _tokens(el)
        if toks & _CRUMB_TOKENS:
            candidates.append(el)
            if len(candidates) > 5:
                break
    for b in page.blocks:
        if _CRUMB_LABEL_RE.match(b.search) and len(b.text) < 200:
            candidates.insert(0, b.el)
            break
    for el in candidates:
        text = _text_of(el)
        if not text or len(text) > 200:
            continue
        items: list[str] = []
        anchors = [a for a in el.iter("a")]
        if anchors:
            for a in anchors:
                t = _clean_title(_text_of(a))
                if t:
                    items.append(t)
            last = anchors[-1]
            tail = _WS_RE.sub(" ", "".join(_tail_texts(last, el))).strip()
            tail = _CRUMB_SEP_RE.sub(" ", tail).strip()
            if tail and len(tail) <= 40:
                items.append(tail.split(" ")[-1] if " " in tail else tail)
                page.crumb_plain_last = True
        else:
            body = _CRUMB_LABEL_RE.sub("", text, count=1)
            items = [p.strip() for p in _CRUMB_SEP_RE.split(body) if p.strip()]
            page.crumb_plain_last = True
        items = [_CRUMB_LABEL_RE.sub("", i).strip() for i in items]
        items = [i for i in items if i and i not in (">", "»")]
        if items and len(items) <= 12:
            return items
        page.crumb_plain_last = False
    return []


def _tail_texts(node: Any, stop: Any) -> Iterable[str]:
    """Text after ``node`` inside ``stop`` (for the plain last breadcrumb item)."""
    while node is not None and node is not stop:
        if node.tail:
            yield node.tail
        sib = node.getnext()
        while sib is not None:
            if isinstance(sib.tag, str) and sib.tag.lower() not in SKIP_TAGS:
                yield sib.text_content()
            if sib.tail:
                yield sib.tail
            sib = sib.getnext()
        node = node.getparent()
        break


def _column_from_crumb(crumb: list[str], title: str | None) -> str | None:
    for item in reversed(crumb):
        if item in _NOT_COLUMN or (title and (item == title or (len(item) > 12 and title.startswith(item[:12])))):
            continue
        if item in ("首页", "网站首页", "主页", "Home", "home"):
            return None
        return item
    return None


# =============================================================================================
# Dates on article pages
# =============================================================================================
@dataclass
class _Cand:
    value: date
    source: str      # 'label' | 'heading'
    kind: str        # published | bare | written | updated | heading
    prio: tuple


_META_LINE_RE = re.compile(r"(作者|来源|点击|浏览|编辑|发布|阅读|字号|访问|责任|审核|供稿|摄影|撰稿|单位|部门|出处|阅读量|次数)")
_EVENT_BEFORE_RE = re.compile(r"(时间|日期|期限|截止|截至|开始|结束|起止|至|到)\s*[:：]?\s*$")
_RANGE_AFTER_RE = re.compile(r"^\s*(\d{1,2}:\d{2}(:\d{2})?)?\s*(至|到|~|—|－|-\s*\d)")
_SPLIT_HEADING_DATE_RE = re.compile(r"^\s*((?:19|20)\d{2})\s+(\d{1,2})\s*[/-]\s*(\d{1,2})(?!\d)")
_KIND_RANK = {"published": 0, "bare": 1, "heading": 1, "written": 2, "updated": 0}


def _in_rows(el: Any, row_els: set) -> bool:
    node = el
    for _ in range(8):
        if node is None:
            return False
        if node in row_els:
            return True
        node = node.getparent()
    return False


def _article_dates(page: Page, title_idx: int | None, main_span: tuple[int, int] | None,
                   main_known: bool, row_els: set | None = None) -> tuple[list[_Cand], list[_Cand]]:
    """Published and updated candidates, best first."""
    blocks = page.blocks
    n = len(blocks)
    ms, me = main_span if main_span else (None, None)
    t = title_idx
    if t is None:
        t = max((ms or 0) - 1, 0) if ms is not None else None
    pubs: list[_Cand] = []
    upds: list[_Cand] = []

    def zone(i: int) -> int | None:
        if main_known and ms is not None and ms <= i <= me and not (t is not None and ms <= t <= me):
            return 4  # inside a CMS body container (that does not hold the title): the article text
        if t is not None:
            if ms is not None and ms > t:
                if t < i <= min(t + 15, ms + 2):
                    return 0
            elif t < i <= t + 8:
                return 0
        if me is not None and ms is not None and (t is None or me >= t) and me < i <= me + 12:
            return 2
        if t is not None and t - 3 <= i < t:
            return 3
        if ms is not None and ms <= i <= me:
            return 4
        return 5

    for b in blocks:
        text = b.search
        label_only = D.ends_with_label(text) and b.index + 1 < n
        if not label_only and not any(ch.isdigit() for ch in text):
            continue
        z = zone(b.index)
        if z is None:
            continue
        region = page.regions.of(b.el)
        if region in ("nav", "footer") or (region == "side" and z != 0):
            continue
        if region == "header" and z != 0:
            continue
        if D.looks_like_today_widget(text):
            continue
        search = text + " " + blocks[b.index + 1].search if label_only else text
        dist = abs(b.index - t) if t is not None else b.index
        if row_els and _in_rows(b.el, row_els):
            continue  # a row of a dated list (sidebar, related news) never dates the page
        found_label = False
        for hit in D.label_dates(search, page.today):
            found_label = True
            kind = hit.kind
            if kind == "updated":
                # after the body only right after it: lower down it is the site's "最后更新" line
                if z in (0, 3) or (z == 2 and me is not None and b.index <= me + 3):
                    upds.append(_Cand(hit.value, "label", kind, (z, 0, dist)))
                continue
            if z >= 4 and kind != "published":
                continue  # "一、时间：…" inside a notice is an event, not the page date
            if kind == "bare" and ms is not None and ms <= b.index <= me and (
                    hit.start > 1 or not _META_LINE_RE.search(search)):
                # in the body "时间：…" is an event ("时间：11月5日 地点：…") unless the line is a meta line
                continue
            if z == 5 and not main_known and t is None:
                continue
            pubs.append(_Cand(hit.value, "label", kind, (z if z != 0 else 0, _KIND_RANK[kind], dist)))
        if found_label or z not in (0, 3):
            continue
        # An unlabelled date line right under the title ("2019-10-31 10:20 来源：新华网").
        if b.link_chars > 0.5 * len(b.text) or len(b.text) > 140:
            continue
        if title_idx is None or any(p in b.text for p in "。，；！？"):
            continue  # a sentence of the body that mentions a date is not a date line
        if z == 3 and (b.index < t - 2 or D.has_weekday(text)):
            continue
        hit = next(D.iter_dates(text, page.today), None)
        value = hit.value if hit else None
        if hit is not None and (_EVENT_BEFORE_RE.search(text[max(0, hit.start - 8):hit.start])
                                or _RANGE_AFTER_RE.match(text[hit.end:])):
            continue  # "活动时间：2019-11-05" / "2019-11-01至11-05": an event, not the page date
        if value is None:
            m = _SPLIT_HEADING_DATE_RE.search(text)  # "2019 10/31 10:20:33" (year and day in separate spans)
            if m:
                value = D.make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), page.today)
        if value is not None:
            pubs.append(_Cand(value, "heading", "heading", (1 if z == 0 else 3.5, 1, dist)))
    pubs.sort(key=lambda c: c.prio)
    upds.sort(key=lambda c: c.prio)
    return pubs, upds


def _signature_day(page: Page, main_span: tuple[int, int] | None, row_els: set | None) -> date | None:
    """The 落款 date under the signer at the end of the main content (lowest-priority source)."""
    if main_span is None:
        return None
    lines: list[str] = []
    for b in reversed(page.blocks[main_span[0]:main_span[1] + 1]):
        if b.link_chars >= 0.5 * len(b.text) or page.regions.of(b.el) in ("nav", "footer", "side", "header"):
            continue  # attachment links, prev/next, share bars
        if row_els and _in_rows(b.el, row_els):
            continue
        lines.append(b.search)
        if len(lines) >= 4:
            break
    return D.signature_date(lines[::-1], page.today)


def _selector_date(page: Page) -> date | None:
    sel = page.selectors
    if not (sel and sel.date):
        return None
    for el in _select(page.root, sel.date):
        text = D.normalize(_text_of(el) or el.get("content") or el.get("datetime") or "")
        for hit in D.label_dates(text, page.today):
            if hit.kind != "updated":
                return hit.value
        for hit in D.iter_dates(text, page.today, short_year=True):
            return hit.value
        value = D.parse_machine_date(text, page.today)
        if value:
            return value
    return None


# =============================================================================================
# Lists
# =============================================================================================
_ITEM_TAGS = frozenset(("li", "tr", "dd", "div", "p", "dl", "article", "section", "dt", "h3", "h4", "table"))
_LIST_CLASS_TOKENS = {"list", "lists", "infolist", "newslist", "news_list", "news-list", "list_con", "lb", "liebiao",
                      "articlelist", "article-list", "article_list", "list-box", "listbox", "view-content", "newslist",
                      "winstyle"}
_NON_ENTRY_TEXT_RE = re.compile(r"^(更多|more|更多>>|更多>|more>>|more\+|\+more|查看更多|首页|上一页|下一页|尾页|末页|"
                                r"下页|上页|前一页|后一页|返回|返回首页|详细|详情|阅读全文|登录|注册|打印|关闭|收藏|English|"
                                r"\d+|>+|<+|»|«|\.\.\.)$", re.I)
_EMPTY_LIST_RE = re.compile(r"暂无(内容|信息|数据|记录|文章|相关|公开|新闻|公告)|没有(找到)?(相关|符合)|无相关(信息|内容)|"
                            r"该栏目(下)?(暂)?无")
_BULLET_RE = re.compile(r"^[\s·•●■◆▪►>»\-–]+")
_DAY_RE = re.compile(r"^\s*(0?[1-9]|[12]\d|3[01])\s*(?:日)?\s*$")
_MONTH_ONLY_RE = re.compile(r"^\s*(0?[1-9]|1[0-2])\s*月\s*$")


@dataclass
class _Row:
    title: str
    url: str
    date: date | None
    source: str | None
    md: tuple[int, int] | None  # month-day without a year
    el: Any


@dataclass
class _Group:
    parent: Any
    rows: list[_Row]
    known: bool = False

    @property
    def dated(self) -> int:
        return sum(1 for r in self.rows if r.date or r.md)

    @property
    def score(self) -> float:
        s = self.dated * 3 + len(self.rows)
        if self.known:
            s += 20
        return s


def _texts_outside(el: Any, skip: Any) -> list[str]:
    """Text nodes of ``el`` except those inside ``skip`` (the row's title link)."""
    out: list[str] = []
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if not isinstance(node.tag, str):
            if event == "end" and node.tail:
                out.append(node.tail)
            continue
        if event == "start":
            if node is skip or node.tag in SKIP_TAGS:
                walker.skip_subtree()
                continue
            if node.text:
                out.append(node.text)
        elif node is not el and node.tail:
            out.append(node.tail)
    return [t for t in (x.strip() for x in out) if t]


def _row_date(el: Any, link: Any, link_text: str, today: date) -> tuple[date | None, tuple[int, int] | None, str]:
    """Date shown in a row: full date, 2-digit year, split day/year-month, or month-day."""
    texts = [D.normalize(t) for t in _texts_outside(el, link)]
    joined = " ".join(texts)
    if D.looks_like_today_widget(joined):
        return None, None, link_text
    # a node that is only a date ("2019-10-31", "[2019-10-31]") beats a date inside a summary text
    for t in texts:
        if len(t) <= 30:
            hit = next(D.iter_dates(t, today, short_year=True), None)
            if hit and len(t) - (hit.end - hit.start) <= 14:
                return hit.value, None, link_text
    for hit in D.iter_dates(joined, today, short_year=True):
        return hit.value, None, link_text
    # split blocks: "31" in one node, "2019.10" / "2019-10" / "10月" in another
    ym = next((D.year_month(t) for t in texts if D.year_month(t)), None)
    day = next((int(m.group(1)) for t in texts if (m := _DAY_RE.match(t))), None)
    if ym and day:
        value = D.make_date(ym[0], ym[1], day, today)
        if value:
            return value, None, link_text
    month = next((int(m.group(1)) for t in texts if (m := _MONTH_ONLY_RE.match(t))), None)
    if month and day:
        return None, (month, day), link_text
    for t in texts:
        md = D.month_day(t)
        if md and len(t) <= 14:
            return None, md, link_text
    # a date at the end of the link text ("关于…的通知 2019-10-31"), not in the middle of a title
    norm = D.normalize(link_text)
    hits = list(D.iter_dates(norm, today, short_year=False))
    if hits and len(norm[hits[-1].end:].strip(" )]）】")) == 0 and hits[-1].start > 0:
        cut = link_text[:hits[-1].start].rstrip(" ([（【-·")
        return hits[-1].value, None, cut or link_text
    return None, None, link_text


def _row_link(el: Any) -> Any | None:
    best, best_len = None, 0
    count = 0
    for a in el.iter("a"):
        href = a.get("href")
        if not href:
            continue
        count += 1
        if count > 4:
            return None  # a layout cell holding a whole block of links, not one row
        text = _text_of(a)
        tlen = max(len(text), len(a.get("title") or "") if text else 0)
        if tlen > best_len:
            best, best_len = a, tlen
    return best


def _row_title(a: Any) -> str:
    text = _text_of(a)
    title_attr = _WS_RE.sub(" ", a.get("title") or "").strip()
    if title_attr and (text.endswith(("...", "…", "..")) or (len(title_attr) > len(text)
                                                                and title_attr[:4] == text[:4])):
        text = title_attr
    return _BULLET_RE.sub("", text).strip()


def _make_rows(page: Page, items: Iterable[Any], date_sel: str | None = None) -> list[_Row]:
    rows: list[_Row] = []
    for el in items:
        a = _row_link(el)
        if a is None:
            continue
        url = _abs_url(page.base, a.get("href"))
        if not url:
            continue
        title = _row_title(a)
        if len(title) < 2 or _NON_ENTRY_TEXT_RE.match(title):
            continue
        if len(_WS_RE.sub("", el.text_content() or "")) > 260 + len(title) or el.find(".//h1") is not None:
            continue  # a layout block holding a whole page section, not one row of a list
        value, md = None, None
        if date_sel:
            for d_el in _select(el, date_sel):
                txt = D.normalize(_text_of(d_el))
                hit = next(D.iter_dates(txt, page.today, short_year=True), None)
                if hit:
                    value = hit.value
                elif D.month_day(txt):
                    md = D.month_day(txt)
                break
        if value is None and md is None:
            value, md, title = _row_date(el, a, title, page.today)
        rows.append(_Row(title, url, value, "list" if value else None, md, el))
    return rows


def _candidate_groups(page: Page, paged: bool = False) -> list[_Group]:
    groups: list[_Group] = []
    sel = page.selectors
    if sel and sel.list_item:
        items = _select(page.root, sel.list_item)
        if items:
            groups.append(_Group(items[0].getparent(), _make_rows(page, items, sel.list_date), known=True))
            return groups
    seen_parents: set = set()
    known_xp = page.root.xpath('//ul[contains(concat(" ", normalize-space(@class), " "), " wp_article_list ")]'
                               ' | //*[li[starts-with(@id, "line_u")]]')
    for parent in known_xp:
        items = [c for c in parent if isinstance(c.tag, str) and c.tag in ("li", "div")]
        groups.append(_Group(parent, _make_rows(page, items), known=True))
        seen_parents.add(parent)
    for parent in page.body.iter():
        if (not isinstance(parent.tag, str) or parent in seen_parents or len(parent) < 1
                or parent.tag in ("body", "html", "form")):
            continue
        if page.regions.of(parent) in ("nav", "footer"):
            continue
        by_tag: dict[str, list] = {}
        for c in parent:
            if isinstance(c.tag, str) and c.tag in _ITEM_TAGS:
                by_tag.setdefault(c.tag, []).append(c)
        grand = parent.getparent()
        listy = paged or bool(_tokens(parent) & _LIST_CLASS_TOKENS) or (
            parent.tag in ("ul", "ol", "table", "tbody", "dl") and grand is not None
            and bool(_tokens(grand) & _LIST_CLASS_TOKENS))
        for tag, items in by_tag.items():
            if len(items) < (1 if listy else 2):
                continue
            linked = [c for c in items if c.find(".//a[@href]") is not None]
            if len(linked) < (1 if listy else 2):
                continue
            rows = _make_rows(page, linked)
            if len(rows) >= 2 or (listy and rows and (all(r.date or r.md for r in rows) or (
                    paged and len(rows) == 1 and _tokens(parent) & _LIST_CLASS_TOKENS))):
                groups.append(_Group(parent, rows, known=bool(_tokens(parent) & {"wp_article_list"})))
        # older pages: "·<a>title</a> 2019-6-8<br>" runs directly in a cell
        direct = [c for c in parent if isinstance(c.tag, str) and c.tag == "a" and c.get("href")]
        if len(direct) >= 3:
            rows = _flat_rows(page, parent, direct)
            if len(rows) >= 3:
                groups.append(_Group(parent, rows))
    groups = [g for g in groups if g.rows or g.known]
    headings = _year_headings(page)
    if headings:
        # "rows" that each hold a year heading are year groups (boxes of rows), not rows
        boxes = [h[2] for h in headings]
        groups = [g for g in groups if g.known or 2 * sum(1 for r in g.rows if any(page.inside(h, r.el) for h in boxes))
                  < len(g.rows)]
    # a "list" found inside one row of a bigger list (the cells of a table row) is part of that row
    row_set = {r.el for g in groups if len(g.rows) >= 2 for r in g.rows}
    return [g for g in groups if g.known or len(g.rows) >= 2 or not _in_rows(g.parent, row_set)]


def _flat_rows(page: Page, parent: Any, anchors: list) -> list[_Row]:
    rows = []
    for a in anchors:
        url = _abs_url(page.base, a.get("href"))
        title = _row_title(a)
        if not url or len(title) < 2 or _NON_ENTRY_TEXT_RE.match(title):
            continue
        texts = [a.tail or ""]
        sib = a.getnext()
        while sib is not None and not (sib.tag == "a" and sib.get("href")):
            if isinstance(sib.tag, str):
                if sib.tag == "br" and "".join(texts).strip():
                    break
                texts.append(sib.text_content() or "")
            texts.append(sib.tail or "")
            sib = sib.getnext()
        txt = D.normalize(" ".join(texts))
        hit = next(D.iter_dates(txt, page.today, short_year=True), None)
        md = None if hit else D.month_day(txt)
        rows.append(_Row(title, url, hit.value if hit else None, "list" if hit else None, md, a))
    return rows


def _year_headings(page: Page) -> list[tuple[int, int, Any]]:
    """(document position, year, element) of blocks that are only a year ("2017年"): year groups of a list."""
    if page.year_headings is not None:
        return page.year_headings
    out = page.year_headings = []
    for b in page.blocks:
        if len(b.search) <= 12 and b.link_chars == 0 and any(ch.isdigit() for ch in b.search):
            year = D.year_heading(b.search, page.today)
            if year and page.regions.of(b.el) not in ("nav", "footer", "side"):
                out.append((page.order.get(b.el, -1), year, b.el))
    return out


def _heading_year(page: Page, headings: list[tuple[int, int, Any]], el: Any) -> int | None:
    """The year of the nearest year heading before ``el`` that heads its group (a close common ancestor)."""
    pos = page.order.get(el)
    if pos is None:
        return None
    best = None
    for h in headings:
        if h[0] < pos and (best is None or h[0] > best[0]):
            best = h
    if best is None:
        return None
    ups = []
    node = best[2]
    for _ in range(3):
        node = node.getparent()
        if node is None:
            break
        ups.append(node)
    anc = el
    for _ in range(10):
        anc = anc.getparent()
        if anc is None:
            return None
        if anc in ups or anc is best[2]:
            return best[1]
    return None


def _url_years(rows: list[_Row], today: date) -> list[int | None]:
    """Years named by entry URLs (``/content/2017/…``) - dropped for the whole list when they cannot be years
    (a month-day in the future, or one constant 'year' over rows that wrap past New Year)."""
    years = [D.url_year(r.url, today) if r.md and r.date is None else None for r in rows]
    pairs = [(y, r.md) for y, r in zip(years, rows) if y is not None and r.md]
    if not pairs:
        return years
    if any(D.make_date(y, md[0], md[1], today) is None for y, md in pairs):
        return [None] * len(rows)
    if len({y for y, _ in pairs}) == 1 and any(b[1] > a[1] for a, b in zip(pairs, pairs[1:])):
        return [None] * len(rows)
    return years


def _resolve_rows(rows: list[_Row], page: Page) -> None:
    """Give month-day rows a year: the entry URL's date or year folder, a year heading over the rows, the
    page URL's year; else the neighbouring dated rows (newest first), else the last such day up to today."""
    today = page.today
    if not any(r.md and r.date is None for r in rows):
        return
    url_years = _url_years(rows, today)
    headings = _year_headings(page)
    page_year = D.url_year(page.url, today)
    for r, uy in zip(rows, url_years):
        if not (r.md and r.date is None):
            continue
        u = D.url_date(r.url, today)
        if u:
            r.date = D.resolve_year(r.md[0], r.md[1], anchor=u, before_anchor=False, today=today)
        for year in (uy, _heading_year(page, headings, r.el) if headings else None, page_year):
            if r.date is None and year:
                r.date = D.make_date(year, r.md[0], r.md[1], today)
        if r.date:
            r.source = "list"
    prev: date | None = None
    for i, r in enumerate(rows):
        if r.md and r.date is None:
            if prev is not None:
                r.date = D.resolve_year(r.md[0], r.md[1], anchor=prev, before_anchor=True, today=today)
            else:
                nxt = next((x.date for x in rows[i + 1:] if x.date and x.source == "list"), None)
                if nxt is not None:
                    r.date = D.resolve_year(r.md[0], r.md[1], anchor=nxt, before_anchor=False, today=today)
                else:
                    r.date = D.resolve_year(r.md[0], r.md[1], anchor=None, before_anchor=True, today=today)
            if r.date:
                r.source = "list"
        if r.date and r.source == "list":
            prev = r.date


def _entries(rows: list[_Row], page: Page) -> list[Entry]:
    today = page.today
    _resolve_rows(rows, page)
    out: list[Entry] = []
    seen: set[str] = set()
    for r in rows:
        if r.url in seen:
            continue
        seen.add(r.url)
        value, source = r.date, r.source
        if value is None:
            value = D.url_date(r.url, today)
            source = "url" if value else None
        out.append(Entry(r.title, r.url, D.iso(value), source))
    return out


def _list_heading(page: Page, parent: Any) -> str | None:
    """A short heading just before the list (the column name when there is no breadcrumb)."""
    sp = page.span(parent)
    if not sp:
        return None
    start = sp[0]
    for i in range(start - 1, max(start - 6, -1), -1):
        b = page.blocks[i]
        text = b.text.strip()
        if not text or _NON_ENTRY_TEXT_RE.match(text) or _CRUMB_LABEL_RE.match(text):
            continue
        if D.year_heading(b.search, page.today):
            continue  # "2019年" over a year group names the year, not the column
        if 2 <= len(text) <= 20 and not any(ch.isdigit() for ch in text[:1]):
            if page.regions.of(b.el) in ("nav", "footer"):
                return None
            return text.replace("更多", "").replace("MORE", "").replace("more", "").strip(" >+»") or None
        break
    return None


# =============================================================================================
# Pagination
# =============================================================================================
_PAGE_WORDS_RE = re.compile(r"^(下一页|下页|后一页|上一页|上页|前一页|首页|第一页|尾页|末页|最后一页|最末页|next|prev|previous|last|first|"
                            r">|>>|<|<<|»|«|›|‹|\d{1,4}|\[\d{1,4}\]|第\d{1,4}页|下一页>>|<<上一页|下一页>|<上一页)$", re.I)
_PAGE_CONTAINER_TOKENS = {"page", "pages", "paging", "pagination", "pager", "pagebar", "fenye", "fy", "wp_paging",
                          "page_nav", "pagenav", "p_pages", "pagelist", "pageinfo", "pgn", "pagediv", "splitpage",
                          "pagination-wrap", "turnpage", "pages_nav", "page-nav", "pagebox"}
_TOTAL_PAGES_RES = (
    re.compile(r"共\s*(\d{1,4})\s*页"),
    re.compile(r"分\s*(\d{1,4})\s*页"),
    re.compile(r"页次\s*[:：]?\s*\d{1,4}\s*/\s*(\d{1,4})"),
    re.compile(r"第\s*\d{1,4}\s*/\s*(\d{1,4})\s*页"),
    re.compile(r"(?<![\d/])\d{1,4}\s*/\s*(\d{1,4})\s*页"),
    re.compile(r"页码\s*[:：]?\s*\d{1,4}\s*/\s*(\d{1,4})"),
)
_CREATE_PAGE_RE = re.compile(r"createPageHTML\s*\(([^)]*)\)")
_VAR_RE = re.compile(r"\b([A-Za-z_$][\w$]*)\s*=\s*(\d{1,5})(?![\d.\w])")
_NUM_RE = re.compile(r"\d+")
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
        text = _WS_RE.sub("", _text_of(a))
        if not text or not _PAGE_WORDS_RE.match(text):
            continue
        if page.regions.of(a) in ("nav", "footer", "header"):
            continue
        container = None
        node = a.getparent()
        for _ in range(4):
            if node is None:
                break
            if _tokens(node) & _PAGE_CONTAINER_TOKENS:
                container = node
                break
            node = node.getparent()
        in_pager = container is not None
        if container is None:
            parent = a.getparent()
            container = parent.getparent() if parent is not None and parent.tag in (
                "li", "span", "font", "b", "strong", "em") and parent.getparent() is not None else parent
        groups.setdefault(container, []).append((_abs_url(page.base, a.get("href")), text))
        pager[container] = pager.get(container, False) or in_pager
    found: list[tuple[str, str]] = []
    area_text: list[str] = []
    for container, items in groups.items():
        if not pager[container] and not any(_STRONG_PAGE_WORDS_RE.search(t) for _, t in items):
            continue
        found.extend((u, t) for u, t in items if u)
        if container is not None:
            area_text.append(_text_of(container))
    for el in page.root.xpath('//*[contains(@class, "all_pages")]'):
        area_text.append(f"共{_text_of(el)}页")
    return found, " ".join(area_text)


def _number_template(url: str, others: list[str]) -> tuple[str, int, int] | None:
    """Split ``url`` around the page number: (prefix, number, suffix_index) using its siblings."""
    nums = list(_NUM_RE.finditer(url))
    if not nums:
        return None
    for other in others:
        if other == url:
            continue
        onums = list(_NUM_RE.finditer(other))
        if len(onums) != len(nums):
            continue
        skel = _NUM_RE.sub("#", url)
        if skel != _NUM_RE.sub("#", other):
            continue
        diff = [i for i, (m, o) in enumerate(zip(nums, onums)) if m.group() != o.group()]
        if len(diff) == 1:
            return url, diff[0], len(nums)
    # single link: a page= parameter, WebPlus listN / TRS index_N, or the last number in the path
    query_start = url.find("?")
    for i, m in enumerate(nums):
        before = url[:m.start()]
        if query_start != -1 and m.start() > query_start and re.search(r"(?:^|[?&])[\w]*(?:page|pageno|pageindex|"
                                                                      r"curpage|p|pn|pg|pagenum|start)=$",
                                                                      before, re.I):
            return url, i, len(nums)
        if query_start != -1 and m.start() > query_start and re.search(r"[?&]a\d+p=$", before):
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


def _pagination(page: Page) -> list[str]:
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
        key = (_NUM_RE.sub("#", u), idx)
        value = int(list(_NUM_RE.finditer(u))[idx].group())
        numbered.setdefault(key, (u, set()))[1].add(value)
    for (skeleton, idx), (sample, nums) in numbered.items():
        lo, hi = min(nums), max(nums)
        cur_tpl = _NUM_RE.sub("#", current) == skeleton
        if cur_tpl:
            cur_num = int(list(_NUM_RE.finditer(current))[idx].group())
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
    scripts = " ".join(s.text or "" for s in page.root.iter("script") if s.text and "createPageHTML" in s.text)
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
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", url)]


# =============================================================================================
# extract()
# =============================================================================================
_ROOT_PATH_RE = re.compile(r"^/(?:(?:index|default|main|home|portal)\.(?:s?html?|jsp|asp|aspx|php))?$", re.I)
_MORE_RE = re.compile(r"^(更多|more|查看更多|更多>>|more>>|>>|更多\+|\+更多|更多»|more\+|\+more|more»|更多>|MORE>)$", re.I)


def _links(page: Page) -> list[Link]:
    out: dict[str, str] = {}
    for a in page.body.iter("a", "area"):
        url = _abs_url(page.base, a.get("href"))
        if not url:
            continue
        text = _text_of(a) or (a.get("title") or "").strip()
        if url not in out or (not out[url] and text):
            out[url] = text
    # old sites: framesets and script redirects ("window.location.href='main.htm'") lead to the content
    for frame in page.root.iter("frame", "iframe"):
        url = _abs_url(page.base, frame.get("src"))
        if url and url not in out:
            out[url] = (frame.get("name") or frame.get("title") or "").strip()
    if len(page.blocks) < 5:
        for script in page.root.iter("script"):
            for m in _JS_REDIRECT_RE.finditer(script.text or ""):
                url = _abs_url(page.base, m.group(1) or m.group(2))
                if url and url not in out:
                    out[url] = ""
    return [Link(u, t) for u, t in out.items()]


_JS_REDIRECT_RE = re.compile(r"""(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']"""
                             r"""|location\.(?:replace|assign)\(\s*["']([^"']+)["']""")


def _attachments(page: Page, links_scope: Iterable[Any]) -> list[Link]:
    out: dict[str, str] = {}
    for a in links_scope:
        url = _abs_url(page.base, a.get("href"))
        if not url:
            continue
        text = _text_of(a) or (a.get("title") or "").strip()
        if not is_attachment_link(url, text):
            continue
        if page.regions.of(a) in ("nav", "footer", "header"):
            continue
        if url not in out or (not out[url] and text):
            out[url] = text or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    # embedded files: WebPlus PDF players (pdfsrc + sudyfile-attr title), <iframe>/<embed>/<object> viewers
    for el in page.body.iter("div", "span", "p", "iframe", "embed", "object"):
        src = el.get("pdfsrc") or el.get("src") or el.get("data")
        if not src:
            continue
        url = _abs_url(page.base, src)
        if not url or not is_attachment_link(url) or url in out:
            continue
        if page.regions.of(el) in ("nav", "footer", "header"):
            continue
        m = _SUDY_TITLE_RE.search(el.get("sudyfile-attr") or "")
        out[url] = m.group(1) if m else unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return [Link(u, t) for u, t in out.items()]


_SUDY_TITLE_RE = re.compile(r"""['"]title['"]\s*:\s*['"]([^'"]+)['"]""")


def _block_text(page: Page, span: tuple[int, int] | None, *, exclude_regions: bool = False) -> str:
    if span is None:
        return ""
    lines = []
    for b in page.blocks[span[0]:span[1] + 1]:
        if exclude_regions and page.regions.of(b.el) in ("nav", "footer", "side", "header"):
            continue
        lines.append(b.text)
    return "\n".join(lines)


def _fingerprint_text(page: Page, span: tuple[int, int] | None, row_els: set | None = None) -> str:
    """Main text without prev/next links, related lists and other navigation inside the body."""
    if span is None:
        return ""
    lines = []
    skip_next = False
    for b in page.blocks[span[0]:span[1] + 1]:
        text = b.text
        linky = b.link_chars >= 0.8 * len(text)
        if skip_next and linky:
            skip_next = False
            continue
        skip_next = False
        if page.regions.of(b.el) in ("nav", "footer", "side", "header"):
            continue
        if row_els and _in_rows(b.el, row_els):
            continue  # a dated list of other pages inside the body ("相关文章") changes with them
        if re.match(r"^\s*(上一篇|下一篇|上一条|下一条|上篇|下篇|上一页|下一页)\s*[:：]?\s*$", text):
            skip_next = True
            continue
        lines.append(text)
    return "\n".join(lines)


def extract(body: bytes | str, url: str, headers: Mapping[str, str] | None = None, *,
            selectors: SiteSelectors | None = None, today: date | None = None) -> PageRecord:
    """Turn one fetched HTML response into a :class:`PageRecord` (no network access)."""
    if today is None:
        from monitor import clock
        today = clock.today()
    selectors = SiteSelectors.coerce(selectors)
    if isinstance(body, bytes):
        text, encoding = decode_html(body, _header(headers, "Content-Type"))
    else:
        text, encoding = body, None
    root = _parse(text)
    if root is None:
        return PageRecord(url=url, title=None, kind="other", published=None, published_source=None, updated=None,
                          updated_source=None, fingerprint=content_fingerprint(None, ""), encoding=encoding)
    try:
        page = Page(root, url, today, selectors)
        return _analyse(page, encoding)
    finally:
        _caches.clear()


_PAGER_TEXT_RE = re.compile(r"(共\s*\d+\s*页|第\s*\d+\s*页|\d+\s*/\s*\d+\s*页|共\s*\d+\s*条(记录)?|页次|每页\s*\d+|"
                            r"下一页|尾页|末页)")


def _pager_present(page: Page) -> bool:
    """A paging bar, even one without links ("共2条记录 第1/1页"), marks a column list."""
    for script in page.body.iter("script"):
        if script.text and "createPageHTML(" in script.text:
            return True
    for b in page.blocks:
        if len(b.text) <= 80 and _PAGER_TEXT_RE.search(b.text) and page.regions.of(b.el) not in ("nav", "footer"):
            return True
    return False


def _pager_elements(page: Page) -> list:
    """Elements that are a list's paging bar (links or "共N页" text or a createPageHTML script)."""
    found = []
    for b in page.blocks:
        if len(b.text) <= 120 and _PAGER_TEXT_RE.search(b.text):
            found.append(b.el)
    for el in page.body.iter("script"):
        if el.text and "createPageHTML(" in el.text:
            found.append(el.getparent() if el.getparent() is not None else el)
    for name in ("wp_paging", "pagination", "pager", "page", "pages", "fenye", "p_pages", "pagebar", "paging"):
        found.extend(page.class_index.get(name, ()))
    return found


def _near_pager(page: Page, parent: Any, pagers: list) -> bool:
    """The paging bar follows the list closely (same container, a few siblings later)."""
    close: set = set()
    for p in pagers:  # the pager element, and its wrapper when that holds nothing else
        close.add(p)
        size = len(_text_of(p))
        wrapper = p.getparent()
        while wrapper is not None and wrapper.tag != "body" and len(_text_of(wrapper)) <= size + 20:
            close.add(wrapper)
            wrapper = wrapper.getparent()
    if any(page.inside(p, parent) for p in pagers):
        return True   # the paging bar is the list's own last row ("共48条记录 页次：1/5")
    node = parent
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


_ZERO_COUNT_RE = re.compile(r"(?:共|总共|总计|合计)\s*0(?![\d.])\s*(?:条|篇|项)?\s*(?:记录|信息|文章|数据|内容)?"
                            r"(?!\s*(?:评论|回复|留言|点评))")
_EMPTY_CONTAINER_TAGS = ("ul", "ol", "table", "tbody", "dl", "div")


def _empty_list_container(page: Page, pagers: list) -> Any | None:
    """An empty list box right before the paging bar ("<ul class=news-list></ul>", an empty winstyle table):
    the column exists but has no rows yet."""
    if not pagers:
        return None
    for el in page.body.iter(*_EMPTY_CONTAINER_TAGS):
        listy = bool(_tokens(el) & _LIST_CLASS_TOKENS)
        if not listy and el.tag in ("ul", "ol"):
            parent = el.getparent()
            listy = parent is not None and bool(_tokens(parent) & _LIST_CLASS_TOKENS)
        if not listy or el.find(".//a[@href]") is not None or len(_text_of(el)) > 30:
            continue
        if page.regions.of(el) in ("nav", "footer", "side", "header"):
            continue
        if _near_pager(page, el, pagers):
            return el
    return None


_WEBPLUS_COLUMN_RE = re.compile(r"/(\d+)/list\d*\.(?:htm|psp|jsp)")


def _affinity(page: Page, group: _Group) -> float:
    """Share of rows whose URL belongs to this column (WebPlus c<id>a…, or under the list's folder)."""
    path = urlsplit(page.url).path
    m = _WEBPLUS_COLUMN_RE.search(path)
    marker = f"c{m.group(1)}a" if m else None
    folder = path.rsplit("/", 1)[0] + "/" if path.count("/") >= 2 else None
    if not group.rows:
        return 0.0
    hits = 0
    for r in group.rows:
        rpath = urlsplit(r.url).path
        if (marker and marker in rpath) or (folder and rpath.startswith(folder) and rpath != path):
            hits += 1
    return hits / len(group.rows)


def _headed_by_column(page: Page, group: _Group, column: str) -> bool:
    """The list sits under a heading that names the page's column (breadcrumb or <title>)."""
    heading = _list_heading(page, group.parent)
    if not (column and heading):
        return False
    heading = D.normalize(heading)
    return column in heading or heading in column


def _page_column(page: Page, crumb: list[str]) -> str:
    return D.normalize(_column_from_crumb(crumb, None) or _strip_site_name(page.doc_title) or "")


def _best_group(page: Page, groups: list[_Group], crumb: list[str], pagers: list) -> _Group | None:
    """The column's own list among all link lists: known markup, next to the pager, under the column
    heading, rows inside the column's folder; sidebars and news boxes lose."""
    if not groups:
        return None
    column = _page_column(page, crumb)

    def score(g: _Group) -> float:
        s = g.score
        if pagers and _near_pager(page, g.parent, pagers):
            s += 20
        if _headed_by_column(page, g, column):
            s += 20
        s += 10 * _affinity(page, g)
        if page.regions.of(g.parent) == "side":
            s -= 30
        return s

    return max(groups, key=score)


def _with_year_groups(page: Page, best: _Group, groups: list[_Group]) -> _Group:
    """A column split into year groups ("2020年" list, "2019年" list …) is one list: merge the sibling groups
    that share the best group's markup and each sit under a year heading."""
    headings = _year_headings(page)
    if not headings or not best.rows or _heading_year(page, headings, best.rows[0].el) is None:
        return best
    cls = best.parent.get("class")
    scope = best.parent
    for _ in range(3):
        scope = scope.getparent() if scope is not None else None
    if scope is None:
        return best
    members = [g for g in groups if g is best or (
        g.rows and g.parent.tag == best.parent.tag and g.parent.get("class") == cls and page.inside(g.parent, scope)
        and not page.inside(g.parent, best.parent) and not page.inside(best.parent, g.parent)
        and _heading_year(page, headings, g.rows[0].el) is not None)]
    if len(members) < 2:
        return best
    members.sort(key=lambda g: page.order.get(g.parent, 0))
    return _Group(members[0].parent, [r for g in members for r in g.rows], known=best.known)


def _is_challenge(page: Page) -> bool:
    """Anti-bot challenge pages (瑞数 `$_ts`, JS cookie checks) carry scripts and no text."""
    if sum(len(b.text) for b in page.blocks) > 200:
        return False
    for script in page.root.iter("script"):
        text = script.text or ""
        if "$_ts" in text or script.get("r") == "m" or "__jsl_clearance" in text or "acw_sc__v2" in text:
            return True
    return False


def _plain_column(page: Page, group: _Group, groups: list[_Group]) -> bool:
    """One undated list of real titles on a non-home page (several such lists make a hub)."""
    if _ROOT_PATH_RE.match(urlsplit(page.url).path or "/"):
        return False
    if sum(len(r.title) for r in group.rows) / len(group.rows) < 6:
        return False
    others = [g for g in groups if g is not group and len(g.rows) >= 3 and not page.inside(g.parent, group.parent)
              and not page.inside(group.parent, g.parent)]
    return not others or _headed_by_column(page, group, _page_column(page, []))


def _analyse(page: Page, encoding: str | None) -> PageRecord:
    today = page.today
    main, main_known = _main_content(page)
    pagination = _pagination(page)
    paged = bool(pagination) or _pager_present(page)
    groups = _candidate_groups(page, paged)
    groups = [g for g in groups if page.regions.of(g.parent) not in ("nav", "footer", "header")]
    box_parents = {g.parent for g in groups if len(g.rows) >= 2}
    title, title_el = _find_title(page, main, box_parents)
    main_span = page.span(main) if main is not None else None
    title_idx = None
    if title_el is not None:
        sp = page.span(title_el)
        title_idx = sp[0] if sp else None
    elif title:
        norm = D.normalize(title)
        for b in page.blocks[: (main_span[1] + 1) if main_span else len(page.blocks)]:
            if (len(b.search) <= len(norm) + 10 and norm in b.search and b.link_chars < 0.5 * len(b.text)
                    and page.regions.of(b.el) not in ("nav", "footer", "header")):
                title_idx = b.index
                break
    crumb = _breadcrumb(page)
    meta_pub, meta_upd = _meta_dates(page.root, today)
    # rows of dated lists (sidebars, "related news", the list itself) never date the page
    anchors_of_page = [e for e in (title_el, main) if e is not None]
    row_els = {r.el for g in groups if g.dated >= 2 or (g.dated and (g.known or paged)) for r in g.rows
               if not any(page.inside(e, r.el) for e in anchors_of_page)}
    pubs, upds = _article_dates(page, title_idx, main_span, main_known, row_els)
    url_day = D.url_date(page.url, today)

    # --- what kind of page is it? --------------------------------------------------------------
    main_plain = 0
    if main_span:
        main_plain = sum(len(b.text) - b.link_chars for b in page.blocks[main_span[0]:main_span[1] + 1]
                         if page.regions.of(b.el) not in ("nav", "footer", "header"))
    near_title = [c for c in pubs if c.prio[0] in (0, 1)]
    pagers = _pager_elements(page) if paged else []
    best_group = _best_group(page, groups, crumb, pagers)
    if paged and (best_group is None or not best_group.rows or not _near_pager(page, best_group.parent, pagers)):
        empty = _empty_list_container(page, pagers)
        if empty is not None:  # the column's own list is empty (空白栏目); other boxes are not the column
            best_group = _Group(empty, [], known=True)
    article_strong = (main_known and not (best_group and best_group.known and best_group.rows)) or (
        bool(near_title) and title_idx is not None and main_plain >= 30) or (
        main_plain >= 400 and (best_group is None or main_plain > 2 * sum(len(r.title) for r in best_group.rows)))
    if (not article_strong and title_el is not None and main is not None and best_group is not None
            and main_plain >= 60 and main_plain > sum(len(r.title) for r in best_group.rows)
            and not page.inside(best_group.parent, main) and not page.inside(main, best_group.parent)):
        article_strong = True  # a titled body with a news box beside it ("其他新闻")
    if page.selectors and page.selectors.list_item and best_group and best_group.known:
        article_strong = False
    group_strong = best_group is not None and (
        best_group.known or best_group.dated >= 3 or (best_group.dated >= 1 and paged)
        or (len(best_group.rows) >= 5 and paged))
    blank_list = not group_strong and not article_strong and (bool(
        _EMPTY_LIST_RE.search(_block_text(page, main_span) if main_span else page.body.text_content()[:5000]))
        or any(_ZERO_COUNT_RE.search(_text_of(p)) for p in pagers))

    kind = "other"
    if article_strong:
        kind = "article"
    elif group_strong:
        kind = "list"
        comparable = [g for g in groups if g is not best_group and g.dated >= max(3, 0.5 * best_group.dated)
                      and not page.inside(g.parent, best_group.parent) and not page.inside(best_group.parent, g.parent)]
        more_links = sum(1 for a in page.body.iter("a") if _MORE_RE.match(_WS_RE.sub("", _text_of(a))))
        is_root = bool(_ROOT_PATH_RE.match(urlsplit(page.url).path or "/"))
        headed = _headed_by_column(page, best_group, _page_column(page, crumb))
        if not best_group.known and not pagination and not headed and (
                len(comparable) >= 2 or (comparable and (more_links >= 2 or not crumb)) or (is_root and comparable)):
            kind = "other"  # a home page / navigation hub with several news boxes
        elif is_root and not pagination and not best_group.known and comparable:
            kind = "other"
    elif blank_list or (best_group is not None and (pagination or (
            paged and best_group.rows and _near_pager(page, best_group.parent, pagers)))):
        kind = "list"
    elif main_plain >= 150 or (title_idx is not None and near_title) or (
            title_el is not None and main_plain >= 60 and not group_strong):
        kind = "article"
    elif best_group is not None and len(best_group.rows) >= 3 and _plain_column(page, best_group, groups):
        kind = "list"  # a column of documents without dates (规章制度, 办事指南…)

    if kind == "article" and not (pubs or upds or meta_pub or url_day) and main_plain < 100 and main is not None:
        # a column page that only points to another site ("请访问：财务处—部门预算") is a signpost
        host = urlsplit(page.url).netloc
        away = [a for a in main.iter("a") if (u := _abs_url(page.base, a.get("href"))) and urlsplit(u).netloc != host]
        if away and not any(is_attachment_link(_abs_url(page.base, a.get("href")) or "") for a in main.iter("a")):
            kind = "other"
    if kind in ("list", "other") and _ROOT_PATH_RE.match(urlsplit(page.url).path or "/") and not pagination:
        kind = "other"  # a site's home page: news boxes, not one column

    rec = PageRecord(url=page.url, title=title, kind=kind, published=None, published_source=None, updated=None,
                     updated_source=None, encoding=encoding, breadcrumb=crumb, pagination=pagination)
    rec.links = _links(page)
    if _is_challenge(page):
        rec.kind = kind = "other"
        rec.metadata["challenge"] = True  # an anti-bot script page (瑞数 $_ts …): no content was served

    if kind == "list":
        if best_group is not None:
            best_group = _with_year_groups(page, best_group, groups)
        rows = best_group.rows if best_group is not None else []
        rec.entries = _entries(rows, page)
        column = _column_from_crumb(crumb, None)
        if not column and best_group is not None:
            column = _list_heading(page, best_group.parent)
        rec.column = column or _strip_site_name(page.doc_title)
        rec.title = rec.column
        dated = [e for e in rec.entries if e.date]
        if dated:
            # a list page has no publication date of its own; its newest row is reported separately
            rec.newest_entry = max(e.date for e in dated)
        rec.text = "\n".join(e.title for e in rec.entries)
        rec.fingerprint = list_fingerprint((e.url, e.title, e.date) for e in rec.entries)
        scope = best_group.parent.iter("a") if best_group is not None else []
        rec.attachments = _attachments(page, scope)
        return rec

    if kind == "article":
        # on an article the plain-text last crumb is the article itself ("正文" or its title)
        rec.column = _column_from_crumb(crumb[:-1] if page.crumb_plain_last else crumb, title)
        sel_day = _selector_date(page)
        visible = next((c for c in pubs if c.prio[0] <= 3), None)
        deep = next((c for c in pubs if c.prio[0] > 3), None)
        if sel_day:
            rec.published, rec.published_source = sel_day.isoformat(), "label"
        elif visible and meta_pub and visible.value == meta_pub[0]:
            rec.published, rec.published_source = meta_pub[0].isoformat(), "meta"
        elif visible:
            rec.published, rec.published_source = visible.value.isoformat(), visible.source
        elif meta_pub:
            rec.published, rec.published_source = meta_pub[0].isoformat(), "meta"
        elif deep:
            rec.published, rec.published_source = deep.value.isoformat(), deep.source
        elif url_day:
            rec.published, rec.published_source = url_day.isoformat(), "url"
        if upds:
            rec.updated, rec.updated_source = upds[0].value.isoformat(), "label"
        elif meta_upd:
            rec.updated, rec.updated_source = meta_upd.isoformat(), "meta"
        if rec.published is None and upds and upds[0].prio[0] in (0, 3):
            # only an "updated" line under the title: that is the date the page shows
            rec.published, rec.published_source = rec.updated, rec.updated_source
        if rec.published is None and (sig_day := _signature_day(page, main_span, row_els)):
            rec.published, rec.published_source = sig_day.isoformat(), "signature"  # 落款, the weakest source
        body_span = main_span
        rec.text = _block_text(page, body_span)
        fp_text = _fingerprint_text(page, body_span, row_els)
        att_scope = list(page.body.iter("a"))
        rec.attachments = _attachments(page, att_scope)
        rec.fingerprint = content_fingerprint(title, fp_text, (a.url for a in rec.attachments))
        return rec

    # other: home pages, hubs, login walls, challenge pages
    rec.title = title if title_el is not None and kind != "other" else (_strip_site_name(page.doc_title) or title)
    if meta_pub:
        rec.published, rec.published_source = meta_pub[0].isoformat(), "meta"
    all_span = (0, len(page.blocks) - 1) if page.blocks else None
    rec.text = _block_text(page, all_span, exclude_regions=True)
    rec.attachments = _attachments(page, page.body.iter("a"))
    rec.fingerprint = content_fingerprint(rec.title, _fingerprint_text(page, all_span), (a.url for a in rec.attachments))
    return rec


# =============================================================================================
# Attachments
# =============================================================================================
def _filename(url: str, headers: Mapping[str, Any] | None) -> str:
    cd = _header(headers, "Content-Disposition") or ""
    m = re.search(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)", cd) or re.search(r'filename\s*=\s*"?([^";]+)"?', cd)
    if m:
        raw = m.group(1).strip()
        name = unquote(raw)
        try:  # servers often send raw UTF-8/GBK bytes decoded as latin-1
            name = name.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            try:
                name = name.encode("latin-1").decode("gb18030")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
        return name
    parts = urlsplit(url)
    for _k, v in parse_qsl(parts.query):
        if _ATT_EXT_RE.search(v):
            return unquote(v).rsplit("/", 1)[-1]
    return unquote(parts.path.rsplit("/", 1)[-1]) or url


_FORMAT_EXT = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "pptx": "pptx"}


def extract_attachment(body: bytes, url: str, content_type: str | None = None,
                       headers: Mapping[str, Any] | None = None, *, today: date | None = None) -> PageRecord:
    """A PDF/DOCX/XLSX/… file as a record: text, title, date from the document (else Last-Modified)."""
    from crawler.attachments import extract_text
    from crawler.fingerprint import bytes_fingerprint

    if today is None:
        from monitor import clock
        today = clock.today()
    name = _filename(url, headers)
    doc = extract_text(body, name, content_type)
    # the title is the file's name as people see it ("招生章程.pdf"): the document title when it has one
    ext_m = re.search(r"\.([A-Za-z0-9]{1,5})$", name)
    ext = ext_m.group(1).lower() if ext_m else _FORMAT_EXT.get(doc.format, "")
    title = doc.title or (re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name) if ext_m else name) or None
    if title and ext and not re.search(r"\.[A-Za-z0-9]{1,5}$", title):
        title = f"{title}.{ext}"
    rec = PageRecord(url=url, title=title, kind="attachment", published=None, published_source=None, updated=None,
                     updated_source=None, text=doc.text)
    created = doc.created if doc.created and D.make_date(doc.created.year, doc.created.month, doc.created.day, today) \
        else None
    modified = doc.modified if doc.modified and D.make_date(doc.modified.year, doc.modified.month, doc.modified.day,
                                                            today) else None
    last_mod = None
    lm = _header(headers, "Last-Modified")
    if lm:
        try:
            dt = parsedate_to_datetime(lm)
            last_mod = D.make_date(dt.year, dt.month, dt.day, today)
        except (TypeError, ValueError, IndexError):
            last_mod = None
    url_day = D.url_date(url, today)
    if created:
        rec.published, rec.published_source = created.isoformat(), "meta"
    elif url_day:
        rec.published, rec.published_source = url_day.isoformat(), "url"
    elif last_mod:
        # A static file's Last-Modified is its upload time: good enough for a file, never for HTML.
        rec.published, rec.published_source = last_mod.isoformat(), "http"
    if modified and (not created or modified > created):
        rec.updated, rec.updated_source = modified.isoformat(), "meta"
    rec.fingerprint = content_fingerprint(title, doc.text) if doc.text.strip() else bytes_fingerprint(body)
    rec.metadata = {"format": doc.format, "pages": doc.pages, "doc_title": doc.title, "truncated": doc.truncated,
                    "error": doc.error, "filename": name, "size": len(body)}
    return rec
