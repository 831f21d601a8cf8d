"""Links of a page: every anchor (plus frames and script redirects) and the attachment links."""
from __future__ import annotations

import re
from typing import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

from lxml.html import HtmlElement

from crawler.extract import cms
from crawler.extract.dom import abs_url, text_of
from crawler.extract.page import Page
from crawler.extract.records import Link

ATTACHMENT_EXTS = ("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "rar", "7z", "wps", "et", "dps",
                   "ofd", "txt", "csv")
ATT_EXT_RE = re.compile(r"\.(" + "|".join(ATTACHMENT_EXTS) + r")$", re.I)
_ATT_QUICK_RE = re.compile(r"\.(?:" + "|".join(ATTACHMENT_EXTS) + r")\b", re.I)
_DOWNLOAD_HINT_RE = re.compile(r"download|attach|upload|file|fujian|DownloadAttachUrl", re.I)


def is_attachment_link(url: str, text: str = "") -> bool:
    """PDF/DOC/XLS/… by path extension, by a file-name parameter, or by a download URL named like a file."""
    if not _ATT_QUICK_RE.search(url) and not (text and _ATT_QUICK_RE.search(text)):
        return False
    parts = urlsplit(url)
    path = unquote(parts.path)
    if ATT_EXT_RE.search(path):
        return True
    if parts.query:
        for _k, v in parse_qsl(parts.query, keep_blank_values=True):
            if ATT_EXT_RE.search(unquote(v).strip()):
                return True
    t = text.strip()
    if t and ATT_EXT_RE.search(t.rstrip("）)]】").strip()) and _DOWNLOAD_HINT_RE.search(url):
        return True
    return False


def page_links(page: Page) -> list[Link]:
    out: dict[str, str] = {}
    for a in page.body.iter("a", "area"):
        url = abs_url(page.base, a.get("href"))
        if not url:
            continue
        text = text_of(a) or (a.get("title") or "").strip()
        if url not in out or (not out[url] and text):
            out[url] = text
    # old sites: framesets and script redirects ("window.location.href='main.htm'") lead to the content
    for frame in page.root.iter("frame", "iframe"):
        url = abs_url(page.base, frame.get("src"))
        if url and url not in out:
            out[url] = (frame.get("name") or frame.get("title") or "").strip()
    if len(page.blocks) < 5:
        for script in page.root.iter("script"):
            for m in _JS_REDIRECT_RE.finditer(script.text or ""):
                url = abs_url(page.base, m.group(1) or m.group(2))
                if url and url not in out:
                    out[url] = ""
    return [Link(u, t) for u, t in out.items()]


_JS_REDIRECT_RE = re.compile(r"""(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']"""
                             r"""|location\.(?:replace|assign)\(\s*["']([^"']+)["']""")


def attachment_links(page: Page, links_scope: Iterable[HtmlElement]) -> list[Link]:
    out: dict[str, str] = {}
    for a in links_scope:
        url = abs_url(page.base, a.get("href"))
        if not url:
            continue
        text = text_of(a) or (a.get("title") or "").strip()
        if not is_attachment_link(url, text):
            continue
        if page.regions.of(a) in ("nav", "footer", "header"):
            continue
        if url not in out or (not out[url] and text):
            out[url] = text or unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    # embedded files: WebPlus PDF players (pdfsrc + sudyfile-attr title), <iframe>/<embed>/<object> viewers
    for el in page.body.iter("div", "span", "p", "iframe", "embed", "object"):
        src = el.get(cms.WEBPLUS_PDF_SRC_ATTR) or el.get("src") or el.get("data")
        if not src:
            continue
        url = abs_url(page.base, src)
        if not url or not is_attachment_link(url) or url in out:
            continue
        if page.regions.of(el) in ("nav", "footer", "header"):
            continue
        m = cms.WEBPLUS_PDF_TITLE_RE.search(el.get(cms.WEBPLUS_PDF_INFO_ATTR) or "")
        out[url] = m.group(1) if m else unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return [Link(u, t) for u, t in out.items()]

