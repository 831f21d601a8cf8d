"""Scrapy settings: the project's, and a scan's built from the school config.

The upper-case names of this module are the project settings (``scrapy.cfg`` points here), which Scrapy's own
tools load — ``scrapy crawl school -a config=xxgk.yaml``, ``scrapy shell URL``, ``scrapy list``: the product's
user agent, robots.txt, the scope and DNS guards, no cookies, no telnet console or remote control. Nothing else
is in upper case here. :func:`scan_settings` adds what the school config decides (politeness, limits, the
store); the crawl process of ``xxgk scan`` (``crawler.worker``) gets :func:`build_settings`, and ``scrapy crawl
school`` gets the same from the spider (``SchoolSpider.from_crawler``).

Importing this module loads no Scrapy (the dashboard's link report imports it): the one setting whose name
depends on the installed Scrapy is looked up when Scrapy reads the module (``__dir__``/``__getattr__``).
"""
from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

from monitor import __version__ as _version

default_contact = "https://github.com/xxgk-monitor/xxgk-monitor"  # lower case: not a setting

# ---- project settings ------------------------------------------------------------------------------------------
BOT_NAME = "xxgk-monitor"
SPIDER_MODULES = ["spiders"]
USER_AGENT = f"xxgk-monitor/{_version} (+{default_contact})"
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control runs any Python code sent to a local HTTP port: never in a campus service.
REMOTE_CONTROL_ENABLED = False
REDIRECT_MAX_TIMES = 5
LOG_LEVEL = "INFO"  # Scrapy's tools: progress and the stats dump, not a line per item (-L DEBUG for those)
# Scrapy starts this many tasks per response to process its output; our items only go to the store's writer,
# so a few are plenty (100, the default, costs ~1 ms a page).
CONCURRENT_ITEMS = 4
# Host names (configured sites) that may resolve to internal addresses; the scan settings fill it in.
XXGK_INTERNAL_HOSTS_ALLOWED: list[str] = []
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SafetyMiddleware": 50,  # before robots.txt and everything else
    # scope, auth and proxies are ours to decide: the spider and SafetyMiddleware keep scope
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
    # redirects keep the spider's Referer (Scrapy's own would drop it and warn: no RefererMiddleware here)
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.RedirectMiddleware": 600,
    # cookies are off (COOKIES_ENABLED); the spider sends a challenge's cookie itself. Listed off, the
    # module is never imported (2.5 MB of the crawl's memory)
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
}
# Depth, scope, Referer and URL-length are handled by the spider itself (pagination must not count as depth;
# the trap guard caps URL shapes), so these per-output middlewares only cost time.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}
EXTENSIONS = {
    "crawler.progress.Progress": 500,
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.ConditionalAwareThrottle": 0,
    # off by REMOTE_CONTROL_ENABLED too, but only listed off is its module (and aiohttp with it, ~10 MB of the
    # crawl's peak memory) never imported
    "scrapy.extensions.remote_control.RemoteControl": None,
}
# (and, under the name this Scrapy reads, the DNS guard: see __getattr__)
guarded_resolver = "crawler.resolver.GuardedResolver"  # names resolving to internal addresses are refused


def _resolver_setting() -> str:
    """Scrapy renamed DNS_RESOLVER (deprecated) to TWISTED_DNS_RESOLVER; the one this Scrapy reads."""
    from scrapy.settings import default_settings
    return "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"


def __dir__() -> list[str]:
    # Scrapy reads a settings module through dir(); only Scrapy asks, so importing it here costs nothing extra.
    return sorted([*globals(), _resolver_setting()])


def __getattr__(name: str) -> Any:
    if name in ("DNS_RESOLVER", "TWISTED_DNS_RESOLVER") and name == _resolver_setting():
        return guarded_resolver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def project_settings() -> dict[str, Any]:
    """The project settings above, as a dict (what ``scrapy.cfg`` gives Scrapy's tools)."""
    module = sys.modules[__name__]
    return {name: getattr(module, name) for name in __dir__() if name.isupper()}


# ---- a scan's settings ----------------------------------------------------------------------------------------
def resolver_settings(configured_hosts) -> dict[str, Any]:
    """Settings that make a crawl refuse names resolving to internal addresses (``crawler.resolver``)."""
    return {_resolver_setting(): guarded_resolver, "XXGK_INTERNAL_HOSTS_ALLOWED": sorted(configured_hosts)}


def user_agent(crawl: Any) -> str:
    if getattr(crawl, "user_agent", None):
        return crawl.user_agent
    contact = getattr(crawl, "contact", None) or default_contact
    return f"xxgk-monitor/{_version} (+{contact})"


def scan_settings(cfg: Any, *, time_limit: float | None = None) -> dict[str, Any]:
    """What the school config decides: politeness, limits, the DNS guard's hosts, the store pipelines; and
    ``time_limit`` seconds of crawling (``CLOSESPIDER_TIMEOUT``: the crawl then ends cleanly, its last batch
    committed and its counters written)."""
    from crawler.scope import Scope

    c = cfg.crawl
    max_bytes = int(c.max_download_mb * 1024 * 1024)
    settings: dict[str, Any] = {
        "USER_AGENT": user_agent(c),
        "ROBOTSTXT_OBEY": bool(c.obey_robots),
        "CONCURRENT_REQUESTS": max(8, c.concurrency_per_host * 4),
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency_per_host,
        "DOWNLOAD_DELAY": c.download_delay,
        "AUTOTHROTTLE_ENABLED": bool(c.autothrottle),
        "AUTOTHROTTLE_START_DELAY": max(c.download_delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": max(1.0, c.concurrency_per_host / 2),
        "DOWNLOAD_TIMEOUT": c.timeout,
        "DNS_TIMEOUT": min(c.timeout, 20),
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": max_bytes // 2,
        "RETRY_ENABLED": c.retries > 0,
        "RETRY_TIMES": c.retries,
        # names resolving to internal addresses are refused unless they are a configured site's host
        **resolver_settings(Scope.from_config(cfg).configured_hosts),
        # Back-pressure: past this many bytes of responses whose items the store's writer has not taken yet (or
        # files still being read), Scrapy sends no new request (crawler.pipelines.StorePipeline). A file as large
        # as the download limit still fits, so one big file never stalls the crawl on its own.
        "SCRAPER_SLOT_MAX_ACTIVE_SIZE": max(32 * 1024 * 1024, max_bytes + 1024 * 1024),
        # files are read (in worker processes) before the store writes them
        "ITEM_PIPELINES": {"crawler.pipelines.DocumentPipeline": 200, "crawler.pipelines.StorePipeline": 300},
    }
    if time_limit:
        settings["CLOSESPIDER_TIMEOUT"] = float(time_limit)
    # Browser rendering (crawl.render): scrapy-playwright's handler for rendered requests only, when asked for
    # and possible here; the browser may load from the configured sites' hosts only.
    from crawler import render

    plan = render.plan_from_config(c)
    if plan.possible:
        hosts = {urlsplit(s.url).netloc.lower() for s in Scope.from_config(cfg).sites}
        settings.update(render.settings(plan, hosts, settings["USER_AGENT"]))
    return settings


def build_settings(cfg: Any, *, log_level: str = "WARNING", time_limit: float | None = None) -> dict[str, Any]:
    """Every setting of a scan's crawl process: the project's, the config's, the log level."""
    return {**project_settings(), **scan_settings(cfg, time_limit=time_limit), "LOG_LEVEL": log_level}
