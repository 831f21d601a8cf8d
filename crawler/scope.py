"""Which URLs a scan may fetch, and which site/unit a URL belongs to.

Configured sites (disclosure site, unit sites, column overrides, extra hosts) are in scope. A host that
the disclosure site links to is added as a *linked* site when it belongs to the school (same hostname
on another port, or the same registrable suffix such as ``example.edu.cn``): catalog columns often
live on a unit site the config does not list. Everything else stays out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

_SESSION_RE = re.compile(r";jsessionid=[^?#]*", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def netloc_of(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and port != _DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{port}"
    return host


def canonical_url(url: str) -> str:
    """Stable key for a URL: fragment and session ids dropped, host lower-cased, default port removed,
    unsafe characters percent-encoded. The query keeps its order: the URL we store is the URL a person
    clicks (evidence links in reports), and sites link a page with one order anyway."""
    url = _SESSION_RE.sub("", url.strip())
    parts = urlsplit(safe_url_string(url))
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc_of(url), path, parts.query, ""))


def school_suffix(host: str) -> str:
    """``xxgk.example.edu.cn`` -> ``example.edu.cn``; IPs and short names stay whole."""
    if re.fullmatch(r"[\d.]+", host) or host.count(".") < 2:
        return host
    labels = host.split(".")
    # keep edu.cn / gov.cn / com.cn style second-level suffixes plus the school label
    if len(labels) >= 3 and labels[-2] in {"edu", "gov", "com", "org", "ac", "net"}:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


@dataclass
class Site:
    url: str
    netloc: str
    unit: str | None  # None for the disclosure site (the office)
    role: str          # disclosure | unit | column | linked | extra
    path_prefix: str = "/"


@dataclass
class Scope:
    sites: list[Site] = field(default_factory=list)
    linked_allowed_suffixes: set[str] = field(default_factory=set)
    linked_hostnames: set[str] = field(default_factory=set)

    @classmethod
    def from_config(cls, cfg) -> "Scope":
        scope = cls()
        for ref in cfg.all_sites():
            role = getattr(ref, "role", "unit")
            scope.add(ref.url, getattr(ref, "unit_id", None), role)
        for item in cfg.catalog_obj.items:
            for col in getattr(item, "columns", None) or []:
                if scope.site_for(col) is None:
                    scope.add(_root(col), getattr(item, "unit", None), "column")
        for host in cfg.crawl.extra_hosts:
            scope.add(f"http://{host}/" if "://" not in host else host, None, "extra")
        disclosure = netloc_of(cfg.disclosure_site)
        hostname = disclosure.split(":")[0]
        scope.linked_hostnames.add(hostname)
        scope.linked_allowed_suffixes.add(school_suffix(hostname))
        return scope

    def add(self, url: str, unit: str | None, role: str) -> Site:
        parts = urlsplit(url)
        prefix = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
        site = Site(url=url, netloc=netloc_of(url), unit=unit, role=role, path_prefix=prefix or "/")
        self.sites.append(site)
        return site

    def site_for(self, url: str) -> Site | None:
        """The configured site a URL belongs to: same netloc, longest path prefix."""
        netloc = netloc_of(url)
        path = urlsplit(url).path or "/"
        best = None
        for site in self.sites:
            if site.netloc != netloc:
                continue
            if best is None or (path.startswith(site.path_prefix) and len(site.path_prefix) > len(best.path_prefix)):
                best = site
        return best

    def allows(self, url: str) -> bool:
        if not url.startswith(("http://", "https://")):
            return False
        return self.site_for(url) is not None

    def may_link(self, url: str) -> bool:
        """Whether an off-site link from the disclosure site may add a new linked site."""
        host = (urlsplit(url).hostname or "").lower()
        return host in self.linked_hostnames or school_suffix(host) in self.linked_allowed_suffixes


def _root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
