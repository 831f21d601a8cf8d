"""The simulated university (示例大学): a seeded estate of eight CMS-styled sites served over real
HTTP on 127.0.0.1, with a clock (`as_of`) and a ground truth of what a perfect monitor should find.

    from monitor.testbed import Testbed
    with Testbed(as_of=date(2019, 10, 15)) as tb:
        tb.sites["xxgk"]            # http://127.0.0.1:PORT/
        tb.write_config("xxgk.yaml")
        truth = tb.ground_truth()
"""
from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

from monitor.testbed.estate import Estate
from monitor.testbed.layout import SITES
from monitor.testbed.server import RenderCache, RequestLog, RequestRecord, SiteHTTPServer, serve_site
from monitor.testbed.variants import LAYOUTS  # "fixed" (the demo's templates) or "generated" (per seed)

__all__ = ["Testbed", "RequestRecord", "PROFILES", "LAYOUTS"]
PROFILES = ("default", "large")


def _as_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class Testbed:
    """A running simulated estate. Ports stay fixed for its lifetime; `set_as_of` moves its clock."""

    __test__ = False   # not a pytest test class despite the name

    def __init__(self, as_of: date | str = date(2019, 10, 15), profile: str = "default", *,
                 seed: int = 2019, port_base: int | None = None, latency: float = 0.0, layouts: str = "fixed",
                 browser_sites: bool = False):
        if profile not in PROFILES:
            raise ValueError(f"未知的模拟规模 {profile!r}（可选：{'、'.join(PROFILES)}）")
        if layouts not in LAYOUTS:
            raise ValueError(f"未知的版式 {layouts!r}（可选：{'、'.join(LAYOUTS)}）")
        self.profile, self.layouts = profile, layouts
        # browser_sites: a ninth site (科学技术研究院) behind a JavaScript challenge, see cms/guarded.py
        self.browser_sites = browser_sites
        self.estate = Estate(profile, seed, layouts, browser_sites=browser_sites)
        self._as_of = _as_date(as_of)
        self._lock = threading.Lock()
        self._log = RequestLog()
        self._cache = RenderCache()
        self._servers: dict[str, SiteHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self.port_base = port_base
        # Seconds each response waits before it is sent: a campus network and a busy CMS, for
        # benchmarks that should measure a crawl the way it runs against real servers.
        self.latency = latency

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "Testbed":
        if self._servers:
            return self
        try:
            # the eight sites, then the host of the school's other systems (linked, never configured), then
            # the browser-only site when there is one (so --port-base keeps the services host at N+8)
            servers = [*self.estate.sites.items()]
            servers.insert(len(SITES), (self.estate.services.key, self.estate.services))
            for i, (key, site) in enumerate(servers):
                port = (self.port_base + i) if self.port_base else 0
                httpd, thread = serve_site(site, self, port)
                self._servers[key] = httpd
                self._threads.append(thread)
        except OSError:
            self.stop()
            raise
        self.estate.set_urls({k: f"http://127.0.0.1:{s.server_address[1]}/" for k, s in self._servers.items()})
        return self

    def stop(self) -> None:
        # shut the servers down in parallel: each shutdown waits for its poll interval
        stoppers = [threading.Thread(target=h.shutdown) for h in self._servers.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(timeout=5)
        for httpd in self._servers.values():
            httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> "Testbed":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- clock ------------------------------------------------------------------------------
    @property
    def as_of(self) -> date:
        with self._lock:
            return self._as_of

    def set_as_of(self, value: date | str) -> None:
        with self._lock:
            self._as_of = _as_date(value)

    # -- views ------------------------------------------------------------------------------
    @property
    def sites(self) -> dict[str, str]:
        if not self._servers:
            raise RuntimeError("testbed not started: call start() first")
        return {k: self.estate.base_url(k) for k in self.estate.sites}

    @property
    def services_url(self) -> str:
        """The host of the school's other systems (网上办事大厅, 选课 …): linked from notices, not a
        configured site, so only the link check visits it."""
        if not self._servers:
            raise RuntimeError("testbed not started: call start() first")
        return self.estate.base_url(self.estate.services.key)

    @property
    def requests(self) -> RequestLog:
        return self._log

    def url(self, site: str, path: str = "/") -> str:
        return self.estate.sites[site].url(path)

    def ground_truth(self, as_of: date | str | None = None) -> dict:
        from monitor.testbed.truth import ground_truth
        return ground_truth(self.estate, _as_date(as_of) if as_of is not None else self.as_of)

    def warm(self, as_of: date | str | None = None) -> int:
        """Render every page and file of the day into the cache (e.g. before timing a crawl, so
        the first crawler does not pay for rendering); returns the number of responses."""
        from urllib.parse import urlsplit

        day = _as_date(as_of) if as_of is not None else self.as_of
        n = 0
        for page in self.ground_truth(day)["pages"]:
            parts = urlsplit(page["url"])
            target = parts.path + ("?" + parts.query if parts.query else "")
            self._cache.get(self.estate.sites[page["site"]], target, day)
            n += 1
        return n

    def write_config(self, path: str | Path, database: str | Path | None = None, **crawl_overrides: Any) -> Path:
        from monitor.testbed.schoolconfig import build_config, write_config
        units = {k: s.unit for k, s in self.estate.sites.items()}
        changes = {k: [d.isoformat() for d in v] for k, v in self.estate.changes.items()}
        catalog = None
        if self.estate.layouts == "generated":
            # a next/previous chain over small pages is deep: let a crawl follow it to the end
            crawl_overrides.setdefault("max_depth", 200)
            # the school's own catalog file, next to the config (as a school keeps them)
            path = Path(path)
            catalog = str(self.estate.write_catalog(path.with_name(f"{path.stem}-catalog.yaml")))
        return write_config(path, build_config(self.sites, units, changes, database, catalog=catalog,
                                               **crawl_overrides))
