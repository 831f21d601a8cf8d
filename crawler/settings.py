"""Scrapy settings for a scan: polite defaults, every limit taken from the school config."""
from __future__ import annotations

from typing import Any

from monitor import __version__ as _version

DEFAULT_CONTACT = "https://github.com/xxgk-monitor/xxgk-monitor"

ATTACHMENT_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".et", ".zip", ".rar", ".7z", ".txt", ".csv",
)
# Files we never download (but still record as links).
SKIP_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".svg", ".ico", ".css", ".js", ".mp4", ".mp3", ".avi", ".flv",
    ".wmv", ".mov", ".swf", ".exe", ".apk", ".iso", ".woff", ".woff2", ".ttf",
)


def _resolver_setting() -> str:
    """Scrapy renamed DNS_RESOLVER (deprecated) to TWISTED_DNS_RESOLVER; the one this Scrapy reads. Looked up
    when settings are built, so importing this module (the dashboard's link report does) loads no Scrapy."""
    from scrapy.settings import default_settings
    return "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"


def resolver_settings(configured_hosts) -> dict[str, Any]:
    """Settings that make a crawl refuse names resolving to internal addresses (``crawler.resolver``)."""
    return {_resolver_setting(): "crawler.resolver.GuardedResolver",
            "XXGK_INTERNAL_HOSTS_ALLOWED": sorted(configured_hosts)}


def user_agent(crawl: Any) -> str:
    if getattr(crawl, "user_agent", None):
        return crawl.user_agent
    contact = getattr(crawl, "contact", None) or DEFAULT_CONTACT
    return f"xxgk-monitor/{_version} (+{contact})"


def build_settings(cfg: Any, *, log_level: str = "WARNING") -> dict[str, Any]:
    from crawler.scope import Scope

    c = cfg.crawl
    max_bytes = int(c.max_download_mb * 1024 * 1024)
    return {
        "BOT_NAME": "xxgk-monitor",
        "SPIDER_MODULES": ["spiders"],
        "USER_AGENT": user_agent(c),
        "ROBOTSTXT_OBEY": bool(c.obey_robots),
        "CONCURRENT_REQUESTS": max(8, c.concurrency_per_host * 4),
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency_per_host,
        # Scrapy starts this many asyncio tasks per response to process its output; our items only
        # go onto the store's queue, so a few are plenty (100, the default, costs ~1 ms a page).
        "CONCURRENT_ITEMS": 4,
        "DOWNLOAD_DELAY": c.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if c.download_delay > 0 else 0,
        "AUTOTHROTTLE_ENABLED": bool(c.autothrottle),
        "AUTOTHROTTLE_START_DELAY": max(c.download_delay, 1.0),
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": max(1.0, c.concurrency_per_host / 2),
        "DOWNLOAD_TIMEOUT": c.timeout,
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": max_bytes // 2,
        "RETRY_ENABLED": c.retries > 0,
        "RETRY_TIMES": c.retries,
        "REDIRECT_MAX_TIMES": 5,
        "DEPTH_LIMIT": 0,  # depth is counted by the spider: pagination must not use it up
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,  # change detection uses our validators, never Scrapy's cache policy
        "LOG_LEVEL": log_level,
        "LOG_ENABLED": True,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DNS_TIMEOUT": min(c.timeout, 20),
        # names resolving to internal addresses are refused unless they are a configured site's host
        **resolver_settings(Scope.from_config(cfg).configured_hosts),
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.SafetyMiddleware": 50,  # before robots.txt and everything else
            # scope, auth and proxies are ours to decide: the spider and SafetyMiddleware keep scope
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
            "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
        },
        # Depth, scope, Referer and URL-length are handled by the spider itself (pagination must not
        # count as depth; the trap guard caps URL shapes), so these per-output middlewares only cost time.
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
            "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
        },
        # files are read (in worker processes) before the store writes them
        "ITEM_PIPELINES": {"crawler.pipelines.DocumentPipeline": 200, "crawler.pipelines.StorePipeline": 300},
        "EXTENSIONS": {
            "crawler.progress.Progress": 500,
            "scrapy.extensions.throttle.AutoThrottle": None,
            "crawler.throttle.ConditionalAwareThrottle": 0,
        },
    }
