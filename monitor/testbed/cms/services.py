"""The school's other systems (网上办事大厅, 图书馆, 选课, 成绩查询, 旧教务系统) on a host of their own.

Unit-site notices link them; they are not sites the school configures for monitoring, so a scan does not
crawl them and only the link check visits them. They answer the way such systems answer visitors from
outside: a 瑞数-style `$_ts` anti-bot challenge (412 on the first request, or 200 with only the
challenge script), 429 from a rate limiter, a 500 that never goes away, and one that answers only after
`SLOW_SECONDS` (longer than the link-check timeout the generated config sets).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from monitor.testbed.cms.base import SITE_LAUNCH, Resp, SiteBase

SLOW_SECONDS = 6.0

# A 瑞数 (Riversecurity) challenge: the page is a script that computes a cookie and reloads itself.
_TS_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta http-equiv="Pragma" content="no-cache"><meta http-equiv="Cache-Control" content="no-cache, no-store">
<script type="text/javascript" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts=window['$_ts']={};$_ts.nsd={nsd};\
$_ts.cd="qEtlrrAlDGVqcqqEpbWqcqLEqEVqcq9lDGAEkaLqqqaqrGVrqAArqAWlrrGEJGWrqqr";</script>
<script type="text/javascript" charset="utf-8" src="/{path}/x8ndfW5zs6Ts.b4c45da.js" r='m'></script>
</head><body></body></html>
"""
_RATE_LIMITED = ("<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests"
                 "</h1></center><hr><center>访问过于频繁，请稍后再试</center></body></html>")
_TOMCAT_500 = ("<!doctype html><html lang=\"en\"><head><title>HTTP Status 500 – Internal Server Error</title></head>"
               "<body><h1>HTTP Status 500 – Internal Server Error</h1><hr class=\"line\" /><p><b>Type</b> Exception "
               "Report</p><p><b>Message</b> Request processing failed; nested exception is "
               "java.lang.NullPointerException</p><hr class=\"line\" /><h3>Apache Tomcat/7.0.76</h3></body></html>")


def ts_challenge(nsd: int, script_dir: str) -> str:
    """The page a 瑞数-protected path answers with: a script that sets a cookie and reloads."""
    return _TS_PAGE.replace("{nsd}", str(nsd)).replace("{path}", script_dir)


@dataclass(frozen=True)
class Service:
    path: str
    name: str
    category: str         # what a link check must report for a link to it


SERVICES: list[Service] = [
    Service("/ehall/index.html", "网上办事大厅", "blocked"),        # 412 + $_ts challenge
    Service("/lib/eresources.htm", "图书馆电子资源", "blocked"),     # 200 + $_ts challenge only
    Service("/xk/", "本科生选课系统", "blocked"),                     # 429 rate limited
    Service("/cjcx/", "成绩查询系统", "timeout"),                     # answers after SLOW_SECONDS
    Service("/jwxt/", "旧版教务管理系统", "server_error"),             # 500, every time
]
CATEGORY_OF = {s.path: s.category for s in SERVICES}


class ServicesSite(SiteBase):
    cms = "services"
    encoding = "utf-8"
    header_charset = "utf-8"

    def __init__(self) -> None:
        super().__init__("svc", "示例大学公共服务平台", None, [])

    def assign_paths(self, next_id) -> None:
        return None

    def column_path(self, col, page: int = 1, as_of: date | None = None) -> str:
        raise KeyError(col)

    def pages(self, as_of: date) -> list:
        return []

    def delay_for(self, target: str) -> float:
        return SLOW_SECONDS if target.split("?")[0] == "/cjcx/" else 0.0

    def route(self, path: str, query: dict[str, str], raw_query: str, as_of: date) -> Resp | None:
        nocache = {"Cache-Control": "no-cache, no-store"}
        if path == "/ehall/index.html":
            return Resp(412, ts_challenge(48213, "ehall"), headers=nocache)
        if path == "/lib/eresources.htm":
            # no Cache-Control here: a 200 with validators, as 瑞数's second stage is often served
            return Resp(200, ts_challenge(73105, "lib"), changed=SITE_LAUNCH)
        if path == "/xk/":
            return Resp(429, _RATE_LIMITED, headers={"Retry-After": "3600"})
        if path == "/cjcx/":
            return Resp(200, "<html><head><title>成绩查询系统</title></head><body><h1>示例大学成绩查询系统</h1>"
                             "<form method=\"post\"><input name=\"xh\"><input type=\"submit\" value=\"查询\"></form>"
                             "</body></html>", changed=SITE_LAUNCH)
        if path == "/jwxt/":
            return Resp(500, _TOMCAT_500)
        return None
