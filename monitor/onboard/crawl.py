"""The bounded discovery crawl: spiders.discover in a subprocess (Scrapy's reactor runs once per process),
with the scan's politeness settings (robots.txt, user agent, throttle, timeouts) built from a default config."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crawler.settings import build_settings
from monitor.config import Config


class CrawlFailed(Exception):
    """The site could not be read at all (message in Chinese, for the user)."""


@dataclass(frozen=True)
class FetchedPage:
    url: str
    depth: int
    status: int
    html: str
    unit_site: bool


def discovery_settings(url: str) -> dict:
    cfg = Config.model_validate({"school": "待定", "disclosure_site": url})
    settings = build_settings(cfg, log_level="WARNING")
    settings.pop("ITEM_PIPELINES", None)           # pages go to a feed file, not the store
    # the host asked for may be on an intranet address; the spider's scope adds the unit sites it finds
    settings["XXGK_INTERNAL_HOSTS_ALLOWED"] = [urlsplit(url).hostname or ""]
    return {k: v for k, v in settings.items() if isinstance(v, (str, int, float, bool, list, dict, type(None)))}


def run_discovery(url: str, *, max_pages: int, max_depth: int = 3, timeout: float = 600) -> list[FetchedPage]:
    with tempfile.TemporaryDirectory(prefix="xxgk-init-") as tmp:
        job, out = Path(tmp) / "job.json", Path(tmp) / "pages.jsonl"
        job.write_text(json.dumps({"start_url": url, "max_pages": max_pages, "max_depth": max_depth,
                                   "settings": discovery_settings(url)}), encoding="utf-8")
        try:
            proc = subprocess.run([sys.executable, "-m", "spiders.discover", "--input", str(job), "--output",
                                   str(out)], capture_output=True, text=True, timeout=timeout,
                                  cwd=str(Path(__file__).resolve().parents[2]))
        except subprocess.TimeoutExpired:
            raise CrawlFailed(f"抓取 {url} 超过 {int(timeout)} 秒仍未结束") from None
        if proc.returncode != 0:
            tail = (proc.stderr or "").strip().splitlines()[-1:] or ["（无输出）"]
            raise CrawlFailed(f"抓取进程出错：{tail[0][:300]}")
        pages: list[FetchedPage] = []
        if out.exists():
            # "\n" only: a page's text may hold U+2028 and other characters str.splitlines() breaks at
            for line in out.read_text(encoding="utf-8").split("\n"):
                if line.strip():
                    d = json.loads(line)
                    pages.append(FetchedPage(str(d["url"]), int(d["depth"]), int(d["status"]), str(d["html"]),
                                             bool(d["unit_site"])))
    return pages
