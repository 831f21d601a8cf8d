"""AutoThrottle that counts a 304 as a normal answer.

Scrapy's AutoThrottle never lowers a host's delay on a non-200 response (error pages are small and
fast and would otherwise speed the crawl up against a failing server). A 304 Not Modified is the
opposite of an error: it is the cheap answer our conditional re-scans ask for. Treated as an error,
the delay stays at its start value for a whole re-scan and makes it many times slower.
"""
from __future__ import annotations

from typing import Any

from scrapy.extensions.throttle import AutoThrottle


class ConditionalAwareThrottle(AutoThrottle):
    def _adjust_delay(self, slot: Any, latency: float, response: Any) -> None:
        if response.status == 304:
            response = response.replace(status=200)
        super()._adjust_delay(slot, latency, response)
