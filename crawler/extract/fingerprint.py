"""Main-content fingerprints that ignore what changes on every visit.

A page counts as *changed* only when its content changes: an edited sentence, a removed
paragraph, a replaced attachment. Visit counters, "今天是…" widgets, prev/next links, copyright
years, markup and whitespace must not move the fingerprint (they are the false alarms users of
URL-watchers complain about most).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable

# Whole lines that are navigation or widgets, not content.
_DROP_LINE_RE = re.compile(
    r"(上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇|前一篇|后一篇|返回列表|返回顶部|打印本页|关闭窗口|"
    r"今天是|当前时间|现在时间|版权所有|copyright|©|ICP备|ICP证|公网安备|技术支持)", re.I)
# Counters inside otherwise meaningful lines: keep the words, drop the number. Linear on any line:
# a bare count has at most 24 digits and commas (from every digit of a long run, `\d[\d,]*` rescanned
# the rest of the run), and nothing is given back between the optional parts.
_COUNTER_RE = re.compile(
    r"((?:点击|浏览|阅读|访问|查看|围观|阅览)(?:数|次数|量|人次|总数)?|人气|热度)\s*+[:：]?\s*+[\[【(（]?\s*+\d[\d,]*+\s*+[\]】)）]?\s*次?"
    r"|\d[\d,]{0,23}+\s*+(?:人|次)(?:阅读|浏览|访问|点击|查看)"
    r"|(?:已有|共有)\s*+\d[\d,]*+\s*+(?:人|次)")
_SPACE_RE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Text with widget lines and counters removed; used for fingerprints only."""
    out = []
    for line in text.splitlines():
        if not line.strip() or _DROP_LINE_RE.search(line):
            continue
        out.append(_COUNTER_RE.sub(lambda m: re.sub(r"[\d,\[\]【】()（）:：\s]+", "", m.group(0)), line))
    return "\n".join(out)


def canonical(text: str) -> str:
    """Whitespace-free NFKC text: markup, indentation and &nbsp; changes do not count."""
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", clean_text(text)))


def _digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def content_fingerprint(title: str | None, text: str, attachment_urls: Iterable[str] = ()) -> str:
    """Fingerprint of an article/other page: title, cleaned main text, the set of attachment URLs."""
    return _digest(["v1", canonical(title or ""), canonical(text), *sorted(set(attachment_urls))])


def list_fingerprint(entries: Iterable[tuple[str, str, str | None]]) -> str:
    """Fingerprint of a list page: the *set* of (url, title, date) rows, order-insensitive."""
    rows = sorted({(u, _SPACE_RE.sub("", unicodedata.normalize("NFKC", t or "")), d or "") for u, t, d in entries})
    return _digest(["list-v1", *("\x01".join(r) for r in rows)])


def bytes_fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
