"""Rendering pages in a real browser (``crawl.render``): which pages, how many, and with what browser.

Rendering is scrapy-playwright's download handler driving the system's Chromium (never a downloaded
browser). A page is rendered only when the plain fetch showed it needs a browser — an anti-bot
challenge (瑞数 ``$_ts`` …) or a column whose rows are filled in by script — or when its host is listed
in ``crawl.render``. Everything here is bounded: pages per scan and per host, pages at a time, a
time limit per page; the browser may fetch only from the configured hosts and never images, fonts,
media or downloads.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any
from urllib.parse import urlsplit

# Where Debian, Ubuntu, Fedora and Google ship the browser; the first one found is used.
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# What a rendered page may load besides its documents, scripts, styles and the XHR/fetch calls its rows come from.
BLOCKED_RESOURCES = frozenset({"image", "media", "font", "texttrack", "eventsource", "websocket", "manifest", "other"})

# Why a page is rendered: the codes of monitor.core.vocab.RENDER (challenge, scripted_list, configured).


def find_browser(configured: str | None = None) -> str | None:
    """The Chromium executable to drive: ``crawl.browser`` when given (and executable), else the first
    of :data:`BROWSER_NAMES` on PATH. None: no browser on this machine."""
    if configured:
        path = shutil.which(configured) or configured
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_installed() -> bool:
    return find_spec("scrapy_playwright") is not None and find_spec("playwright") is not None


@dataclass(frozen=True)
class RenderPlan:
    """What ``crawl.render`` asks for and what this machine can do."""
    mode: str                              # off | auto | hosts
    hosts: frozenset[str] = frozenset()    # mode "hosts": every page of these is rendered
    browser: str | None = None             # the executable, when found
    installed: bool = False                # scrapy-playwright importable
    max_pages: int = 200
    max_pages_per_host: int = 50
    concurrency: int = 2
    timeout: float = 20.0

    @property
    def wanted(self) -> bool:
        return self.mode != "off"

    @property
    def possible(self) -> bool:
        return self.wanted and self.browser is not None and self.installed

    def why_not(self) -> str | None:
        """Why a page that needs a browser is not rendered (Chinese, for reports); None when it can be."""
        if not self.wanted:
            return "未启用浏览器渲染（crawl.render: off）"
        if not self.installed:
            return "未安装 scrapy-playwright"
        if self.browser is None:
            return "本机未找到 Chromium 浏览器"
        return None

    def always(self, url: str) -> bool:
        return self.mode == "hosts" and _listed(url, self.hosts)


def _listed(url: str, hosts: frozenset[str]) -> bool:
    """A URL on one of ``hosts`` (host names, or host:port when a port is written)."""
    parts = urlsplit(url)
    return (parts.hostname or "").lower() in hosts or parts.netloc.lower() in hosts


def plan_from_config(crawl: Any) -> RenderPlan:
    value = getattr(crawl, "render", "off")
    if isinstance(value, (list, tuple)):
        mode, hosts = ("hosts", frozenset(str(h).lower() for h in value)) if value else ("off", frozenset())
    else:
        mode, hosts = str(value), frozenset()
    return RenderPlan(mode=mode, hosts=hosts, browser=find_browser(getattr(crawl, "browser", None)) if mode != "off"
                      else None, installed=playwright_installed() if mode != "off" else False,
                      max_pages=int(getattr(crawl, "render_max_pages", 200)),
                      max_pages_per_host=int(getattr(crawl, "render_max_pages_per_host", 50)),
                      concurrency=int(getattr(crawl, "render_concurrency", 2)),
                      timeout=float(getattr(crawl, "render_timeout", 20.0)))


@dataclass
class Budget:
    """Rendered pages per scan and per host (what is refused is reported as a limit by the spider)."""
    plan: RenderPlan
    used: int = 0
    per_host: dict[str, int] = field(default_factory=dict)

    def take(self, url: str) -> bool:
        host = urlsplit(url).netloc
        if (self.plan.possible and self.used < self.plan.max_pages
                and self.per_host.get(host, 0) < self.plan.max_pages_per_host):
            self.used += 1
            self.per_host[host] = self.per_host.get(host, 0) + 1
            return True
        return False

    def limit_hit(self, url: str) -> str | None:
        """Which limit refused a page the plan could render (None: not a limit; no browser, or room left)."""
        if not self.plan.possible:
            return None
        host = urlsplit(url).netloc
        if self.used >= self.plan.max_pages:
            return "render_max_pages"
        if self.per_host.get(host, 0) >= self.plan.max_pages_per_host:
            return "render_max_pages_per_host"
        return None


class BrowserGuard:
    """scrapy-playwright's abort predicate: the rendered page may load only from the configured hosts,
    and nothing heavy (images, fonts, media …). Navigations elsewhere are aborted too."""

    def __init__(self, hosts: frozenset[str]):
        self.hosts = hosts

    def __call__(self, request: Any) -> bool:
        if request.resource_type in BLOCKED_RESOURCES:
            return True
        scheme = urlsplit(request.url).scheme
        if scheme in ("data", "blob", "about"):
            return False
        return scheme not in ("http", "https") or not _listed(request.url, self.hosts)


def handler_class() -> type:
    """The download handler: scrapy-playwright's, with our :class:`BrowserGuard` (it needs the
    configured hosts, which an import-path setting cannot carry)."""
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

    class GuardedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
        def __init__(self, crawler: Any) -> None:
            super().__init__(crawler)
            self.abort_request = BrowserGuard(frozenset(crawler.settings.getlist("XXGK_RENDER_HOSTS")))

    return GuardedPlaywrightHandler


class RenderHandler:
    """Import path for DOWNLOAD_HANDLERS: builds :func:`handler_class` lazily (scrapy-playwright is
    only imported when rendering is configured and possible). Not lazy: the handler starts Playwright when
    the engine starts, so it must exist by then."""

    lazy = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return handler_class()(crawler)


def settings(plan: RenderPlan, hosts: set[str] | frozenset[str], user_agent: str) -> dict[str, Any]:
    """Scrapy settings that route rendered requests (meta ``playwright``) through the browser; plain
    requests keep Scrapy's own handler. Empty when rendering is off or impossible here."""
    if not plan.possible:
        return {}
    args = ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")   # Chromium refuses to start its sandbox as root (containers, CI)
    return {
        "DOWNLOAD_HANDLERS": {"http": "crawler.render.RenderHandler", "https": "crawler.render.RenderHandler"},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": plan.browser, "headless": True, "args": args},
        # the context is made at the first rendered page (a startup context would launch Chromium with every
        # scan, also when nothing needs it): its settings travel with each rendered request
        "XXGK_RENDER_CONTEXT": {"accept_downloads": False, "service_workers": "block", "user_agent": user_agent,
                                "java_script_enabled": True},
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max(1, plan.concurrency),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": int(plan.timeout * 1000),
        "XXGK_RENDER_HOSTS": sorted(hosts),
    }


# Markers of an anti-bot challenge in the raw bytes (the extractor's ``_is_challenge`` says the same
# of a parsed page; a 412/403 answer is not parsed, so the bytes are looked at here).
_CHALLENGE_MARKS = (b"$_ts", b"__jsl_clearance", b"acw_sc__v2", b" r='m'", b' r="m"')


def looks_like_challenge(body: bytes) -> bool:
    # challenge pages are a script and no content: small
    return len(body) < 50000 and any(m in body for m in _CHALLENGE_MARKS)


def rendered_meta(meta: dict[str, Any], reason: str, timeout: float,
                  context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The meta of the same request sent through the browser: wait until the page (and the requests
    filling its list) went quiet, then read the cookies its scripts set (they unlock plain fetches)."""
    from scrapy_playwright.page import PageMethod

    return {**meta, "playwright": True, "render_reason": reason, "playwright_context": "xxgk",
            "playwright_context_kwargs": dict(context or {}),
            "playwright_page_goto_kwargs": {"wait_until": "load", "timeout": timeout * 1000},
            "playwright_page_methods": [
                PageMethod("wait_for_load_state", "networkidle", timeout=timeout * 1000),
                PageMethod("evaluate", "document.cookie")]}


def cookies_of(meta: dict[str, Any]) -> str | None:
    """``document.cookie`` of a rendered page (the last page method's result), if any."""
    methods = meta.get("playwright_page_methods") or []
    value = getattr(methods[-1], "result", None) if methods else None
    return value if isinstance(value, str) and value.strip() else None
