"""A DNS resolver that refuses names resolving to internal addresses (loopback, link-local such as cloud
metadata, private ranges) unless the name is a configured site's host: a link or a redirect to a
harmless-looking name must not reach the intranet either (``crawler.scope`` checks literal addresses)."""
from __future__ import annotations

from typing import Any, Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.scope import is_internal_address, parse_ip

# Setting: the host names (configured sites) that may resolve to internal addresses.
SETTING = "XXGK_INTERNAL_HOSTS_ALLOWED"


class InternalAddress(DNSLookupError):
    """A name that resolved to an internal address and is not a configured site."""


class GuardedResolver(CachingThreadedResolver):
    allowed: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "GuardedResolver":
        resolver = super().from_crawler(crawler, reactor)
        resolver.allowed = frozenset(h.lower() for h in crawler.settings.getlist(SETTING))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:  # noqa: N802 (Twisted's name)
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        if name.lower().rstrip(".") in self.allowed:
            return address
        ip = parse_ip(address)
        if ip is None or is_internal_address(ip):
            raise InternalAddress(f"{name} 解析到本机、内网或链路本地地址（{address}），未配置的网站不访问")
        return address


def allow_hosts(hosts: Any) -> None:
    """Let the DNS guard on this process's reactor resolve these hosts (a scan's configured sites) to internal
    addresses too. ``scrapy crawl school`` builds the guard from the project settings, before the spider has
    read the config; ``crawler.worker`` gives it the hosts up front, and this changes nothing there."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    if isinstance(resolver, GuardedResolver):
        resolver.allowed = resolver.allowed | frozenset(h.lower() for h in hosts)
