"""`xxgk init` end to end: crawl, read, draft, write (the command only parses options and prints)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from monitor.catalog import load_catalog
from monitor.onboard.crawl import CrawlFailed, run_discovery
from monitor.onboard.draft import Draft, build_draft
from monitor.onboard.emit import write_draft


class InitError(Exception):
    """A problem the user must fix (message in Chinese)."""


@dataclass
class InitResult:
    draft: Draft
    written: list[Path]


def check_url(url: str) -> str:
    """The disclosure site's address as the draft will hold it (``/`` added when it has no path)."""
    text = url.strip()
    p = urlsplit(text)
    if p.scheme not in ("http", "https") or not p.hostname:
        raise InitError(f"网址应以 http:// 或 https:// 开头并带主机名（如 https://xxgk.example.edu.cn/），实际为 {url!r}")
    try:
        _ = p.port
    except ValueError:
        raise InitError(f"网址中的端口号无效：{url!r}") from None
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InitError(f"网址中不能有空格或控制字符：{url!r}")
    return text if p.path else text + "/"


def draft_config(url: str, out: Path, *, max_pages: int, force: bool = False) -> InitResult:
    url = check_url(url)
    targets = [out, out.with_name(f"{out.stem}-catalog.yaml")]
    if not force:
        for t in targets:
            if t.exists():
                raise InitError(f"{t} 已存在；不会覆盖已有文件（确需覆盖请加 --force，或用 -o 指定其他文件名）")
    try:
        pages = run_discovery(url, max_pages=max_pages)
    except CrawlFailed as exc:
        raise InitError(f"无法抓取 {url}：{exc}") from None
    good = [p for p in pages if 200 <= p.status < 300 and not p.unit_site]
    if not good:
        raise InitError(f"无法访问 {url}：没有取得任何页面（网址不可达、被 robots.txt 禁止，或返回了错误状态）。"
                        "请确认网址能在浏览器中打开")
    draft = build_draft(url, pages, load_catalog("national"))
    out.parent.mkdir(parents=True, exist_ok=True)
    return InitResult(draft, write_draft(draft, out))
