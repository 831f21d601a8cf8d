"""Which URLs a scan may fetch, and which site/unit a URL belongs to.

Configured sites (disclosure site, unit sites, column overrides, extra hosts) are in scope. A host that
the disclosure site links to is added as a *linked* site when it belongs to the school (same hostname
on another port, or the same registrable domain such as ``example.edu.cn`` by the public suffix list):
catalog columns often live on a unit site the config does not list. Everything else stays out.

Every request of a scan or a link check — a link, a redirect, a meta refresh, an attachment, robots.txt —
passes one test here (``Scope.refusal`` / ``CheckScope.refusal``, applied by ``crawler.middlewares``);
names that resolve to internal addresses are refused by ``crawler.resolver``. docs/security.md says why.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

# URL patterns that must never be requested: CMS visit counters increment on every fetch.
COUNTER_PATTERNS = (
    r"/_visitcount",
    r"dynclicks\.jsp",
    r"/system/resource/code/news/click/",
    r"[?&]clickcount=",
    r"/counter\.(?:asp|jsp|php)",
)

COUNTER_RE = re.compile("|".join(COUNTER_PATTERNS), re.I)


def is_counter_url(url: str) -> bool:
    return bool(COUNTER_RE.search(url))

_SESSION_RE = re.compile(r";jsessionid=[^?#]*", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def netloc_of(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets, or the netloc reads as host:port
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: keep what was written, the scope refuses it as a bad URL
        return parts.netloc.lower()
    if port and port != _DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{port}"
    return host


# A URL canonical_url gives back unchanged: http(s), a lower-case host, a port that is not the default, a
# path without dot segments (plain or escaped), only characters that need no escaping and whole %XX escapes
# (the query escapes "'"), no fragment. Most links a scan meets are; the full parse (w3lib's safe_url_string)
# costs 15-50 µs of the reactor thread a URL. tests/test_scope_canonical.py holds the two to one answer.
_SAFE = r"A-Za-z0-9\-._~!$&()*+,;=:@/"
_CANONICAL_RE = re.compile(
    rf"(?P<scheme>https?)://[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?(?::(?P<port>[1-9][0-9]{{0,4}}))?"
    rf"/(?:[{_SAFE}']|%[0-9A-Fa-f]{{2}})*(?:\?(?:[{_SAFE}?]|%[0-9A-Fa-f]{{2}})+)?")


def _already_canonical(url: str) -> bool:
    m = _CANONICAL_RE.fullmatch(url)
    if m is None or "/." in url or "%2e" in url or "%2E" in url or ";" in url and _SESSION_RE.search(url):
        return False
    port = m.group("port")
    return port is None or (int(port) <= 65535 and int(port) != _DEFAULT_PORTS[m.group("scheme")])


def canonical_url(url: str) -> str:
    """Stable key for a URL: fragment and session ids dropped, host lower-cased, default port removed,
    unsafe characters percent-encoded. The query keeps its order: the URL we store is the URL a person
    clicks (evidence links in reports), and sites link a page with one order anyway."""
    return url if _already_canonical(url) else _canonical_parsed(url)


def _canonical_parsed(url: str) -> str:
    url = _SESSION_RE.sub("", url.strip())
    try:
        parts = urlsplit(safe_url_string(url))
        netloc = netloc_of(url)
    except ValueError:  # a malformed address (port "x", bad IPv6): kept as written, the scope refuses it
        return url
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def _extractor():
    # The bundled public suffix list snapshot only: never fetch it at run time (campus intranets are offline).
    import tldextract
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


_TLD = _extractor()


def registrable_domain(host: str) -> str:
    """``xxgk.example.edu.cn`` -> ``example.edu.cn``, ``xxgk.school.sh.cn`` -> ``school.sh.cn`` (public
    suffix list, offline); IP addresses and single labels stay whole."""
    host = host.lower().strip("[]").rstrip(".")
    if parse_ip(host) is not None:
        return host
    r = _TLD(host)
    top = getattr(r, "top_domain_under_public_suffix", None)
    if top is None:  # tldextract < 5.3
        top = r.registered_domain
    return top or host


# ---- the fetch policy: one test, on the parsed URL, for every request whatever produced it -------------
# Ports an unconfigured host may be fetched on (links, redirects): the web's own. Anything else is a
# port probe by whoever wrote the link.
WEB_PORTS = frozenset({80, 443, 8080, 8443})
_LEGACY_IPV4 = re.compile(r"^(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}$", re.I)


def parse_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally, including the legacy forms resolvers accept
    (``127.1``, ``0x7f.0.0.1``, ``2130706433``) that ``ipaddress`` refuses."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if not _LEGACY_IPV4.match(host):
            return None
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_internal_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, link-local (cloud metadata 169.254.169.254), private, shared (100.64/10), multicast,
    reserved or unspecified: never fetched unless a configured site lives there."""
    return not ip.is_global or ip.is_multicast


def host_is_internal(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = parse_ip(host)
    return ip is not None and is_internal_address(ip)


@dataclass(frozen=True)
class Refusal:
    """Why a URL is not fetched: a stable ``code`` for code, a Chinese ``message`` for people."""
    code: str      # bad_url | scheme | counter | ignored | outside | address | port
    message: str


def _basic_refusal(url: str, counter_re: re.Pattern | None) -> tuple[Refusal | None, str, int]:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    except ValueError:
        return Refusal("bad_url", "地址无效"), "", 0
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return Refusal("scheme", f"不支持的协议（{scheme or '无'}），不抓取"), host, port
    if not host:
        return Refusal("bad_url", "地址无效（没有主机名）"), host, port
    if counter_re is not None and counter_re.search(url):
        return Refusal("counter", "计数器地址，从不抓取"), host, port
    return None, host, port


def address_refusal(host: str, port: int, configured_hosts: frozenset[str] | set[str]) -> Refusal | None:
    """The address rules for a host that is not one of the configured sites' hosts."""
    if host in configured_hosts:
        return None
    if host_is_internal(host):
        return Refusal("address", f"本机、内网或链路本地地址（{host}），未配置的网站不访问")
    if port not in WEB_PORTS:
        return Refusal("port", f"非常用端口（{host}:{port}），未配置的网站不访问")
    return None


@dataclass
class CheckScope:
    """The link checker's scope: any web address a page links to, but never an internal address or an
    unusual port unless the host is one of the configured sites' hosts (redirects included)."""
    configured_hosts: frozenset[str] = frozenset()
    counter_re: re.Pattern | None = None

    def refusal(self, url: str) -> Refusal | None:
        refusal, host, port = _basic_refusal(url, self.counter_re)
        return refusal or address_refusal(host, port, self.configured_hosts)


@dataclass
class Site:
    url: str
    netloc: str
    unit: str | None  # None for the disclosure site (the office)
    role: str          # disclosure | unit | column | linked | extra
    path_prefix: str = "/"


@dataclass
class Scope:
    """The crawl's scope: the configured sites plus the school's sites the disclosure site links to.
    ``refusal`` is the single test every request passes (SafetyMiddleware), whatever produced it."""
    sites: list[Site] = field(default_factory=list)
    linked_allowed_domains: set[str] = field(default_factory=set)
    linked_hostnames: set[str] = field(default_factory=set)
    # hosts of configured sites: only these may live on internal addresses or unusual ports
    configured_hosts: set[str] = field(default_factory=set)
    counter_re: re.Pattern | None = None
    ignore_re: re.Pattern | None = None

    @classmethod
    def from_config(cls, cfg, *, counter_re: re.Pattern | None = None) -> "Scope":
        crawl = cfg.crawl
        ignore = "|".join(f"(?:{p})" for p in crawl.ignore_urls) if crawl.ignore_urls else None
        scope = cls(counter_re=counter_re, ignore_re=re.compile(ignore) if ignore else None)
        for ref in cfg.all_sites():
            role = getattr(ref, "role", "unit")
            scope.add(ref.url, getattr(ref, "unit_id", None), role)
        for item in cfg.catalog_obj.items:
            for col in getattr(item, "columns", None) or []:
                if scope.site_for(col) is None:
                    scope.add(_root(col), getattr(item, "unit", None), "column")
        for host in crawl.extra_hosts:
            scope.add(f"http://{host}/" if "://" not in host else host, None, "extra")
        disclosure = netloc_of(cfg.disclosure_site)
        hostname = disclosure.split(":")[0]
        scope.linked_hostnames.add(hostname)
        scope.linked_allowed_domains.add(registrable_domain(hostname))
        return scope

    def add(self, url: str, unit: str | None, role: str) -> Site:
        parts = urlsplit(url)
        prefix = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
        site = Site(url=url, netloc=netloc_of(url), unit=unit, role=role, path_prefix=prefix or "/")
        self.sites.append(site)
        if role != "linked":
            self.configured_hosts.add((parts.hostname or "").lower())
        return site

    def site_for(self, url: str) -> Site | None:
        """The configured site a URL belongs to: same netloc, longest path prefix."""
        try:
            netloc = netloc_of(url)
        except ValueError:  # a port that is not a number
            return None
        path = urlsplit(url).path or "/"
        best = None
        for site in self.sites:
            if site.netloc != netloc:
                continue
            if best is None or (path.startswith(site.path_prefix) and len(site.path_prefix) > len(best.path_prefix)):
                best = site
        return best

    def refusal(self, url: str) -> Refusal | None:
        """None if the crawl may fetch ``url``, else why not."""
        refusal, host, port = _basic_refusal(url, self.counter_re)
        if refusal is not None:
            return refusal
        if self.ignore_re is not None and self.ignore_re.search(url):
            return Refusal("ignored", "按 crawl.ignore_urls 跳过")
        if self.site_for(url) is None:
            return Refusal("outside", f"不在配置的网站范围内（{netloc_of(url)}）")
        return address_refusal(host, port, self.configured_hosts)

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None

    def may_link(self, url: str) -> bool:
        """Whether an off-site link from the disclosure site may add a new linked site: the school's own
        host or registrable domain, and never an internal address or port probe (``address_refusal``)."""
        refusal, host, port = _basic_refusal(url, self.counter_re)
        if refusal is not None or address_refusal(host, port, self.configured_hosts) is not None:
            return False
        return host in self.linked_hostnames or registrable_domain(host) in self.linked_allowed_domains


def _root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
