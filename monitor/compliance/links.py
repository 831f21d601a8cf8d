"""Link checks: every link on the school's sites gets one status per check run.

What the crawl already fetched is taken from ``pages``/``fetch_errors`` (never fetched twice); the
rest goes to a small Scrapy spider (``spiders.linkcheck``) in a subprocess, politely: at most two
requests per host at a time, a delay, a timeout, a cap on URLs and on total time, HEAD first and GET
only when HEAD is not enough.

Categories (``link_checks.category``): ``ok``, ``dead`` (404/410, unknown host), ``server_error``
(5xx), ``blocked`` (403/429, anti-bot challenge pages such as 瑞数 ``$_ts``), ``intranet`` (a
configured intranet host/range, a login wall or a redirect to CAS/SSO), ``timeout``, ``skipped``
(robots.txt, counters, not http). Only ``dead`` and ``server_error`` are *broken*, and only once two
check runs in a row agree: one bad night is not a broken link.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from crawler.extract.encoding import decode_html
from crawler.scope import Scope, canonical_url, is_counter_url
from crawler.settings import resolver_settings, user_agent
from monitor.config import Config
from monitor.core import clock
from monitor.core.vocab import LINK_CATEGORY
from monitor.store import decompress, history, rows

log = logging.getLogger(__name__)

BROKEN = frozenset({"dead", "server_error"})
FAILED = frozenset({"dead", "server_error", "timeout"})  # a site home page that did not answer

DEFAULT_INTRANET_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")

_LOGIN_URL_RE = re.compile(
    r"/cas/|/cas$|/authserver/|/sso/|/idp/|/uias?/|/oauth2?/authorize|passport\.|/login(?:\.\w+)?(?:$|[/?])|"
    r"/logon|/signin|/user/login|[?&](?:service|returnurl|redirect_uri)=", re.I)
_LOGIN_BODY_RE = re.compile(r"统一身份认证|统一认证|请登录|用户登录|登录系统|单点登录|CAS\s*Login", re.I)
_PASSWORD_RE = re.compile(r"type\s*=\s*[\"']?password", re.I)
_CHALLENGE_RE = re.compile(
    r"\$_ts\s*=|\$_ts\[|window\.\$_ts|_\$[a-zA-Z]{2}\(|cf-browser-verification|cf_chl_|__jsluid|acw_sc__v2|"
    r"waf_tokens|安全验证|人机验证|滑动验证|访问验证|请开启JavaScript", re.I)
# A refusal that says it is for campus users only (or a link labelled so) is an intranet page, not a block.
_INTRANET_HINT_RE = re.compile(r"校内|内网|校园网|内部|VPN|仅限.{0,8}(?:访问|IP)|IP.{0,6}(?:限制|不允许)|intranet", re.I)
_SOFT_404_RE = re.compile(r"<title>[^<]*(?:404|页面不存在|页面未找到|找不到页面|文章不存在|信息不存在|已被删除|Not Found)",
                          re.I)


@dataclass
class LinkSettings:
    check_external: bool = False
    intranet_hosts: list[str] = field(default_factory=list)
    intranet_ranges: list[str] = field(default_factory=lambda: list(DEFAULT_INTRANET_RANGES))
    max_urls: int = 2000             # per run; the rest waits for the next run
    concurrency_per_host: int = 2
    delay: float = 0.5
    timeout: float = 20.0
    total_seconds: float = 900.0
    obey_robots: bool = True
    autothrottle: bool = True        # adapt the delay to the server's latency (as the crawl does)
    user_agent: str = "xxgk-monitor"
    enabled: bool = True
    # hosts of the configured sites: the only ones checked on internal addresses or unusual ports
    configured_hosts: list[str] = field(default_factory=list)

    @classmethod
    def from_config(cls, cfg: Config) -> "LinkSettings":
        comp, crawl = cfg.compliance, cfg.crawl
        delay = comp.link_check_delay if comp.link_check_delay is not None else crawl.download_delay
        timeout = comp.link_check_timeout if comp.link_check_timeout is not None else min(float(crawl.timeout), 30)
        return cls(
            check_external=comp.check_external_links,
            intranet_hosts=[h.lower() for h in comp.intranet_hosts],
            intranet_ranges=list(comp.intranet_ranges) or list(DEFAULT_INTRANET_RANGES),
            max_urls=comp.max_link_checks,
            concurrency_per_host=max(1, min(2, crawl.concurrency_per_host)),
            delay=float(delay),
            timeout=float(timeout),
            total_seconds=float(comp.link_check_seconds),
            obey_robots=crawl.obey_robots,
            autothrottle=crawl.autothrottle,
            user_agent=user_agent(crawl),
            enabled=comp.check_links,
            configured_hosts=sorted(Scope.from_config(cfg).configured_hosts),
        )

    def scrapy_settings(self) -> dict[str, Any]:
        return {
            "BOT_NAME": "xxgk-monitor-linkcheck",
            "USER_AGENT": self.user_agent,
            "ROBOTSTXT_OBEY": self.obey_robots,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrency_per_host,
            "DOWNLOAD_DELAY": self.delay,
            "AUTOTHROTTLE_ENABLED": self.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(self.delay, 0.5),
            "AUTOTHROTTLE_MAX_DELAY": 30.0,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
            "DOWNLOAD_TIMEOUT": self.timeout,
            "DNS_TIMEOUT": min(self.timeout, 20),
            "DOWNLOAD_MAXSIZE": 2 * 1024 * 1024,
            "DOWNLOAD_WARNSIZE": 0,
            "RETRY_ENABLED": False,       # the second check run is the retry
            "REDIRECT_MAX_TIMES": 6,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": os.environ.get("XXGK_SCRAPY_LOG", "ERROR"),
            "CLOSESPIDER_TIMEOUT": self.total_seconds,
            "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.SafetyMiddleware": 50},
            **resolver_settings(self.configured_hosts),
        }


# ---- classification (pure) ------------------------------------------------------------------------
def is_intranet(url: str, settings: LinkSettings) -> bool:
    """Configured intranet host (glob) or address range, or a bare host name with no dot."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return False
    for pattern in settings.intranet_hosts:
        if parts.netloc.lower() == pattern or host == pattern or fnmatch.fnmatch(host, pattern) or host.endswith("." + pattern.lstrip("*.")):
            return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host and host != "localhost"
    for net in settings.intranet_ranges:
        try:
            if addr in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def is_login_url(url: str) -> bool:
    parts = urlsplit(url)
    return bool(_LOGIN_URL_RE.search(parts.path + ("?" + parts.query if parts.query else "")) or
                _LOGIN_URL_RE.search(parts.netloc + "/"))


def classify(result: dict, settings: LinkSettings, hint: str | None = None) -> tuple[str, str]:
    """(category, Chinese reason) for one check result from ``spiders.linkcheck``; ``hint`` is the text of
    the links pointing at the URL (“内部文件（校内访问）” turns a 403 into an intranet page)."""
    url = result.get("url") or ""
    status = result.get("status")
    error = result.get("error") or ""
    body = result.get("body") or ""
    final = result.get("final_url") or url
    hops = [final, *(result.get("redirects") or [])[1:]]
    if is_intranet(url, settings) or is_intranet(final, settings):
        return "intranet", "内网地址，校外无法访问"
    refused = result.get("refused")
    if refused:  # the checker's scope (crawler.scope.CheckScope) kept it, or a redirect's target, unfetched
        redirected = bool(result.get("redirects"))
        if refused == "address":
            return "intranet", ("重定向到本机或内网地址，未检查" if redirected else "本机或内网地址，未检查")
        if refused == "port":
            return "skipped", ("重定向到非常用端口，未检查" if redirected else "非常用端口，未检查")
        if refused == "counter":
            return "skipped", "计数器地址，不访问"
        return "skipped", ("重定向到不支持的地址，未检查" if redirected else "按规则跳过，未检查")
    if error:
        if "robots.txt" in error.lower() or "Forbidden by robots" in error:
            return "skipped", "robots.txt 禁止访问，未检查"
        if "counter URL" in error:
            return "skipped", "计数器地址，不访问"
        if "max redirect" in error.lower() or "redirections" in error.lower():
            return "dead", "重定向次数过多（循环跳转）"
        if "IgnoreRequest" in error:
            return "skipped", "按规则跳过，未检查"
        if "DNSLookupError" in error or "getaddrinfo" in error or "No address" in error:
            return "dead", "域名无法解析"
        if "Timeout" in error or "TimedOut" in error or "timed out" in error:
            return "timeout", "访问超时"
        if "download max size" in error.lower() or "maxsize" in error.lower():
            return "ok", "文件可下载（超过检查大小上限，未完整下载）"
        if "ConnectionRefused" in error:
            return "dead", "连接被拒绝（服务器未开放）"
        return "server_error", f"连接异常（{error.split(':')[0]}）"
    if status is None:
        return "timeout", "没有响应"
    if any(is_login_url(u) for u in hops if u != url) or status == 401:
        return "intranet", "需要登录（统一身份认证），校外无法访问"
    if _CHALLENGE_RE.search(body):
        return "blocked", "反爬虫验证页面（如瑞数 $_ts），无法自动检查"
    if status in (404, 410):
        return "dead", f"页面不存在（HTTP {status}）"
    if status in (401, 403) and (_INTRANET_HINT_RE.search(body) or _INTRANET_HINT_RE.search(hint or "")
                                  or re.search(r"intranet|neiwang", urlsplit(url).path, re.I)):
        return "intranet", f"仅限校内访问（HTTP {status}），不计为死链"
    if status in (403, 429, 412, 418, 451):
        return "blocked", f"服务器拒绝自动访问（HTTP {status}），不计为死链"
    if status >= 500:
        return "server_error", f"服务器错误（HTTP {status}）"
    if status == 400:
        return "dead", "链接地址无效（HTTP 400）"
    if status >= 400:
        return "blocked", f"服务器拒绝访问（HTTP {status}）"
    if body and _PASSWORD_RE.search(body) and _LOGIN_BODY_RE.search(body):
        return "intranet", "需要登录（统一身份认证），校外无法访问"
    if body and _SOFT_404_RE.search(body):
        return "dead", "页面显示“不存在/已删除”（软 404）"
    return "ok", f"可访问（HTTP {status}）"


def classify_crawled(status: int | None, error: str | None, title: str | None, url: str,
                     settings: LinkSettings, hint: str | None = None) -> tuple[str, str]:
    """Classify a URL the crawl itself fetched, from what the crawl stored."""
    if is_intranet(url, settings):
        return "intranet", "内网地址，校外无法访问"
    err = error or ""
    if err.startswith(("附件解析失败", "解析失败")):
        return "ok", "可访问（内容无法解析）"
    if err.startswith("blocked"):
        # the crawl answered 200 but saw only an anti-bot challenge (spiders/school.py): not ok
        return "blocked", "反爬虫验证页面（如瑞数 $_ts），无法自动检查"
    if status in (200, 203, 206, 304) or (status and 200 <= status < 400 and not err):
        if title and _LOGIN_BODY_RE.search(title):
            return "intranet", "需要登录（统一身份认证），校外无法访问"
        if title and re.search(r"404|页面不存在|页面未找到|找不到页面|Not Found", title, re.I):
            return "dead", "页面显示“不存在/已删除”（软 404）"
        return "ok", f"可访问（HTTP {status}）"
    if not status and not err:
        return "timeout", "没有响应"
    m = re.match(r"HTTP (\d{3})", err)
    return classify({"url": url, "status": int(m.group(1)) if m else (status or None),
                     "error": None if (m or status) else err}, settings, hint)


# ---- running the checker ----------------------------------------------------------------------------
def run_checker(urls: Iterable[str], settings: LinkSettings) -> list[dict]:
    """Check URLs with the Scrapy spider in a subprocess; returns one result dict per URL checked."""
    urls = list(dict.fromkeys(urls))[: settings.max_urls]
    if not urls:
        return []
    with tempfile.TemporaryDirectory(prefix="xxgk-linkcheck-") as tmp:
        job, out = os.path.join(tmp, "job.json"), os.path.join(tmp, "out.jsonl")
        with open(job, "w", encoding="utf-8") as fh:
            json.dump({"urls": urls, "configured_hosts": settings.configured_hosts,
                       "settings": settings.scrapy_settings()}, fh, ensure_ascii=False)
        cmd = [sys.executable, "-m", "spiders.linkcheck", "--input", job, "--output", out]
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout
        env = clock.env_for_child()
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            proc = subprocess.run(cmd, env=env, cwd=root, timeout=settings.total_seconds + 60, check=False,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if proc.returncode != 0:
                tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
                log.warning("链接检查进程异常退出（%s）：%s", proc.returncode, " | ".join(tail))
        except subprocess.TimeoutExpired:
            log.warning("链接检查超过时限，已停止；已检查的结果保留")  # the rest waits for the next run
        results: dict[str, dict] = {}
        if os.path.exists(out):
            with open(out, encoding="utf-8") as fh:
                for line in fh:
                    line = line.strip()
                    if line:
                        r = json.loads(line)
                        results[r["url"]] = r
    return list(results.values())


@dataclass
class LinkStats:
    run_id: int | None = None
    links: int = 0              # distinct link targets considered
    from_crawl: int = 0         # answered by the crawl's own fetches
    checked: int = 0            # fetched by the checker
    deferred: int = 0           # over the per-run cap, left for the next run
    categories: dict[str, int] = field(default_factory=dict)
    broken: int = 0             # confirmed broken (two runs in a row)
    results: dict[str, tuple[str, str, int | None]] = field(default_factory=dict, repr=False)


def _internal_test(cfg: Config) -> Callable[[str], bool]:
    """A predicate for 'this URL is on one of the school's sites'."""
    scope = Scope.from_config(cfg)
    return lambda url: scope.site_for(url) is not None or scope.may_link(url)


def check_links(db: Any, cfg: Config, scan_id: int, *, extra_urls: Iterable[str] = (),
                settings: LinkSettings | None = None) -> LinkStats:
    """Check every link currently on the school's pages (and ``extra_urls``, e.g. site home pages),
    store one ``link_checks`` row per URL for a new check run, and return the counts."""
    settings = settings or LinkSettings.from_config(cfg)
    internal = _internal_test(cfg)
    stats = LinkStats()
    extra = list(dict.fromkeys(extra_urls))
    targets: dict[str, bool] = {u: True for u in extra}
    hints: dict[str, str] = {}
    if settings.enabled:
        # each URL's link texts joined in Python (GROUP_CONCAT is SQLite's, string_agg PostgreSQL's)
        texts: dict[str, list[str]] = {}
        for r in rows(db, "SELECT url, text FROM links WHERE last_seen_scan = ? ORDER BY url, id", (scan_id,)):
            texts.setdefault(r["url"], [])
            if r["text"] is not None:
                texts[r["url"]].append(r["text"])
        for url, parts in texts.items():
            hints[url] = " ".join(parts)[:500]
            if url not in targets:
                targets[url] = internal(url)
    now = clock.now_iso()
    cur = db.execute("INSERT INTO link_runs (scan_id, started_at) VALUES (?, ?) RETURNING id", (scan_id, now))
    run_id = int(cur.fetchall()[0][0])
    stats.run_id = run_id
    crawled = {r["url"]: r for r in history.crawled_in(db, scan_id)}
    errors = {r["url"]: r for r in history.fetch_errors_in(db, scan_id)}
    results: list[tuple] = []
    to_check: list[str] = []
    for url, is_internal in targets.items():
        if not url.startswith(("http://", "https://")):
            continue
        if not is_internal and not settings.check_external and not is_intranet(url, settings):
            continue  # configured intranet hosts are the school's own, whatever their domain
        stats.links += 1
        if is_counter_url(url):
            results.append((url, is_internal, "crawl", None, None, "skipped", "计数器地址，不访问", None, None))
            continue
        key = canonical_url(url)
        crawled_page = crawled.get(key) or crawled.get(url)
        if crawled_page is not None and _unfollowed_redirect(crawled_page["last_status"]):
            # The crawl keeps a redirect as it got it (its target unknown here): a redirect to the login
            # page is a login wall, not ok. The checker follows it.
            to_check.append(url)
        elif crawled_page is not None:
            p = crawled_page
            cat, reason = classify_crawled(p["last_status"], p["last_error"], p["title"], url, settings,
                                           hints.get(url))
            if cat == "ok" and (p["text_len"] or 0) < 80:
                cat, reason = _recheck_empty_page(db, p["id"], url, p["last_status"], settings) or (cat, reason)
            results.append((url, is_internal, "crawl", "GET", p["last_status"], cat, reason, None, None))
            stats.from_crawl += 1
        elif key in errors or url in errors:
            e = errors.get(key) or errors[url]
            cat, reason = classify_crawled(e["status"], e["error"], None, url, settings, hints.get(url))
            results.append((url, is_internal, "crawl", "GET", e["status"], cat, reason, None, None))
            stats.from_crawl += 1
        elif is_intranet(url, settings):
            results.append((url, is_internal, "rule", None, None, "intranet", "内网地址，校外无法访问", None, None))
        else:
            to_check.append(url)
    # Home pages first, then internal links, then external ones: the cap cuts the least useful.
    to_check.sort(key=lambda u: (u not in extra, not targets[u]))
    stats.deferred = max(0, len(to_check) - settings.max_urls)
    for r in run_checker(to_check, settings):
        cat, reason = classify(r, settings, hints.get(r["url"]))
        results.append((r["url"], targets.get(r["url"], True), "check", r.get("method"), r.get("status"), cat,
                        reason, r.get("final_url") if r.get("final_url") != r["url"] else None, r.get("elapsed_ms")))
        stats.checked += 1
    checked_at = clock.now_iso()
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        db.conn.executemany(
            """INSERT INTO link_checks (run_id, scan_id, url, host, internal, source, method, status, category,
               reason, final_url, elapsed_ms, checked_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(run_id, url) DO UPDATE SET category=excluded.category, reason=excluded.reason""",
            [(run_id, scan_id, url, urlsplit(url).netloc.lower(), int(bool(internal_)), source, method, status,
              cat, reason, final, elapsed, checked_at)
             for url, internal_, source, method, status, cat, reason, final, elapsed in results])
        db.conn.execute("UPDATE link_runs SET finished_at=?, urls=?, checked=?, from_crawl=?, deferred=? WHERE id=?",
                        (clock.now_iso(), stats.links, stats.checked, stats.from_crawl, stats.deferred, run_id))
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    for url, _i, _s, _m, status, cat, reason, _f, _e in results:
        stats.categories[cat] = stats.categories.get(cat, 0) + 1
        stats.results[url] = (cat, reason, status)
    stats.broken = len({b["url"] for b in broken_links(db)})  # rows are (link, page) pairs
    return stats


def _unfollowed_redirect(status: int | None) -> bool:
    return status is not None and 300 <= status < 400 and status != 304


def _recheck_empty_page(db: Any, page_id: int, url: str, status: int | None,
                        settings: LinkSettings) -> tuple[str, str] | None:
    """A crawled page with (almost) no text may be an anti-bot challenge or a login form answered with 200:
    look at the stored snapshot rather than fetching it again."""
    snapshot = history.latest_snapshot(db, page_id)
    if not snapshot:
        return None
    try:
        # decoded whole, as the crawl decoded it (a cut in the middle of a character would mislead the detector)
        body = decode_html(decompress(snapshot) or b"", None)[0][:20000]
    except Exception:  # an unreadable snapshot: keep the crawl's verdict
        return None
    cat, reason = classify({"url": url, "status": status or 200, "body": body}, settings)
    return (cat, reason) if cat != "ok" else None


# ---- reading results --------------------------------------------------------------------------------
def _last_two(db: Any) -> tuple[int | None, int | None]:
    runs = [r["id"] for r in rows(db, "SELECT id FROM link_runs WHERE finished_at IS NOT NULL "
                                      "ORDER BY id DESC LIMIT 2")]
    return (runs[0] if runs else None, runs[1] if len(runs) > 1 else None)


def broken_links(db: Any, *, unit: str | None = None) -> list[dict]:
    """Links broken in the latest check run *and* the run before it, with the pages linking them."""
    last, prev = _last_two(db)
    if last is None or prev is None:
        return []
    sql = """
        SELECT c.url, c.category, c.reason, c.status, c.internal, c.checked_at, c.final_url,
               p.id AS page_id, p.url AS page_url, p.title AS page_title, p.site AS site, p.unit AS unit,
               p.depth AS depth, l.text AS link_text
        FROM link_checks c
        JOIN link_checks o ON o.url = c.url AND o.run_id = ? AND o.category IN ('dead', 'server_error')
        JOIN links l ON l.url = c.url
        JOIN pages p ON p.id = l.page_id
        WHERE c.run_id = ? AND c.category IN ('dead', 'server_error')
          AND l.last_seen_scan = (SELECT scan_id FROM link_runs WHERE id = ?)
    """
    params: list[Any] = [prev, last, last]
    if unit is not None:
        sql += " AND COALESCE(p.unit, '') = ?"
        params.append(unit)
    return rows(db, sql + " ORDER BY p.unit, p.site, p.depth, p.url, c.url", params)


def latest_results(db: Any, *, categories: Iterable[str] | None = None) -> list[dict]:
    last, _ = _last_two(db)
    if last is None:
        return []
    sql = "SELECT * FROM link_checks WHERE run_id = ?"
    params: list[Any] = [last]
    if categories:
        cats = list(categories)
        sql += f" AND category IN ({','.join('?' * len(cats))})"
        params += cats
    return rows(db, sql + " ORDER BY url", params)


def link_report(db: Any, *, unit: str | None = None) -> list[dict]:
    """Broken links per unit site, two views of the same facts:

    ``[{unit, site, broken, links: [{url, text, category, label, reason, page_count, pages: [...]}],
    pages: [{url, title, is_home, depth, links: [...]}]}]`` — ``links`` lists each broken URL once with the pages
    linking it (home page first: a broken link in a site-wide menu is one problem, not one per page);
    ``pages`` lists the pages with the broken links on them, home page first, then by depth."""
    sites: dict[tuple[str, str], dict] = {}
    for b in broken_links(db, unit=unit):
        site = b["site"] or ""
        key = (b["unit"] or "", site)
        entry = sites.setdefault(key, {"unit": b["unit"] or "", "site": site, "links": {}, "pages": {}})
        page_ref = {"url": b["page_url"], "title": b["page_title"], "depth": b["depth"],
                    "is_home": _is_home(b["page_url"], site)}
        link = entry["links"].setdefault(b["url"], {
            "url": b["url"], "text": b["link_text"], "category": b["category"],
            "label": LINK_CATEGORY.label[b["category"]], "reason": b["reason"], "pages": []})
        link["pages"].append(page_ref)
        page = entry["pages"].setdefault(b["page_url"], {**page_ref, "links": []})
        page["links"].append({k: link[k] for k in ("url", "text", "category", "label", "reason")} |
                             {"text": b["link_text"]})
    out = []

    def order(p: dict) -> tuple:
        return (not p["is_home"], p["depth"] if p["depth"] is not None else 99, p["url"])

    for key in sorted(sites):
        entry = sites[key]
        links = []
        for link in entry["links"].values():
            link["pages"].sort(key=order)
            link["page_count"] = len(link["pages"])
            links.append(link)
        links.sort(key=lambda l: (order(l["pages"][0]), l["url"]))
        pages = sorted(entry["pages"].values(), key=order)
        out.append({"unit": entry["unit"], "site": entry["site"], "broken": len(links), "links": links,
                    "pages": pages})
    return out


def _is_home(url: str, site: str) -> bool:
    if not site:
        return urlsplit(url).path in ("", "/", "/index.htm", "/index.html", "/main.htm")
    u, s = urlsplit(url), urlsplit(site)
    return u.netloc == s.netloc and u.path.rstrip("/") in ("", s.path.rstrip("/"), s.path.rstrip("/") + "/index.htm",
                                                           s.path.rstrip("/") + "/index.html",
                                                           s.path.rstrip("/") + "/main.htm")
