"""A unit site that only a browser can read (科学技术研究院, `Estate(browser_sites=True)`).

Every request without the right cookie (robots.txt aside) answers 412 with a 瑞数-style `$_ts` page: no
text, only a script that decodes a nonce hidden in `$_ts.cd`, hashes it with a key it spells out in
character codes, sets `xxgk_ts=<hash>` and reloads. The nonce, hence the cookie, is fixed for a day, so
one rendered page unlocks plain fetches for the rest of a scan. Behind the wall the pages are ordinary
(200, UTF-8), except one column whose list page is an empty `<ul>` that its script fills from
`/api/list?col=<key>&page=<n>` (a JSON array of {"title", "url", "date"}), itself behind the wall.

Cookie formula (what the page's script computes; tests re-implement it):
    nonce  = md5("kyc-ts|<YYYY-MM-DD>")[:16]           shown as `$_ts.cd`, each hex digit d written CD_ALPHABET[d]
    cookie = fnv1a32(nonce + SALT) ‖ fnv1a32(SALT + reversed(nonce))    two 8-digit lower-case hex words
"""
from __future__ import annotations

import json
from datetime import date

from monitor.testbed.cms.base import SITE_LAUNCH, Resp, h, hexid, iso
from monitor.testbed.cms.simple import ListSite
from monitor.testbed.model import Attachment, Column, Doc

COOKIE = "xxgk_ts"
SALT = "kyc@shiyan"
CD_ALPHABET = "qEtlrADGVcpbWkaJ"       # hex digit d is written CD_ALPHABET[d] in $_ts.cd
SCRIPTED = "scripted"                  # Column.style of a list filled in by script from the JSON endpoint
NO_STORE = {"Cache-Control": "no-cache, no-store"}
ROBOTS = "User-agent: *\nDisallow:\n"     # served without the challenge; allows everything


def nonce(as_of: date) -> str:
    return hexid("kyc-ts", as_of.isoformat(), n=16)


def fnv1a32(text: str) -> int:
    value = 0x811C9DC5
    for ch in text:
        value = ((value ^ ord(ch)) * 0x01000193) & 0xFFFFFFFF
    return value


def cookie_value(as_of: date) -> str:
    """The `xxgk_ts` cookie the challenge script computes on `as_of`."""
    n = nonce(as_of)
    return f"{fnv1a32(n + SALT):08x}{fnv1a32(SALT + n[::-1]):08x}"


# The look of services.ts_challenge (head only, r='m' scripts, an empty body); the solver is inline here.
_CHALLENGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta http-equiv="Pragma" content="no-cache"><meta http-equiv="Cache-Control" content="no-cache, no-store">
<script type="text/javascript" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts=window['$_ts']={};$_ts.nsd={nsd};\
$_ts.cd="{cd}";</script>
<script type="text/javascript" r='m'>(function(){var a="{alphabet}",c=$_ts.cd,n="",i;\
for(i=0;i<c.length;i++)n+=a.indexOf(c.charAt(i)).toString(16);\
var k=String.fromCharCode.apply(null,[{key}].map(function(x){return x-7;}));\
function f(s){var v=0x811c9dc5,j;for(j=0;j<s.length;j++){v^=s.charCodeAt(j);v=Math.imul(v,0x01000193)>>>0;}\
return("0000000"+v.toString(16)).slice(-8);}\
document.cookie="{cookie}="+f(n+k)+f(k+n.split("").reverse().join(""))+"; path=/";location.reload();})();</script>
</head><body></body></html>
"""


def challenge_page(as_of: date) -> str:
    n = nonce(as_of)
    return (_CHALLENGE.replace("{nsd}", str(int(n[:5], 16))).replace("{cd}", "".join(CD_ALPHABET[int(x, 16)] for x in n))
            .replace("{alphabet}", CD_ALPHABET).replace("{key}", ",".join(str(ord(c) + 7) for c in SALT))
            .replace("{cookie}", COOKIE))


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name.strip()] = value.strip()
    return out


# Fills the empty list box from the JSON endpoint, the way newer VSB/WebPlus templates and Vue pages do.
_LIST_SCRIPT = """<script type="text/javascript">
fetch('{api}').then(function (r) { return r.json(); }).then(function (rows) {
  var box = document.getElementById('list');
  rows.forEach(function (row) {
    var li = document.createElement('li'), a = document.createElement('a'), s = document.createElement('span');
    a.href = row.url; a.textContent = row.title; s.className = 'date'; s.textContent = row.date;
    li.appendChild(a); li.appendChild(s); box.appendChild(li);
  });
});
</script>"""


class GuardedSite(ListSite):
    cms = "guarded"
    encoding = "utf-8"
    header_charset = "utf-8"
    challenge = True          # the ground truth's sites.<key>.challenge

    # -- the wall -------------------------------------------------------------------------
    def gate(self, target: str, cookie: str, as_of: date) -> Resp | None:
        if target.split("?", 1)[0] == "/robots.txt":
            return None
        if _cookies(cookie).get(COOKIE) == cookie_value(as_of):
            return None
        return Resp(412, challenge_page(as_of), headers=dict(NO_STORE))

    def robots(self) -> str | None:
        return ROBOTS

    # -- URLs -----------------------------------------------------------------------------
    def column_path(self, col: Column, page: int = 1, as_of: date | None = None) -> str:
        return f"/{col.key}/index.htm" if page == 1 else f"/{col.key}/index_{page}.htm"

    def api_path(self, col: Column, page: int) -> str:
        return f"/api/list?{self.qs(col=col.key, page=page)}"

    def doc_path(self, col: Column, d: Doc) -> str:
        return f"/info/{col.key}/{d.id}.htm"

    def att_path(self, d: Doc, a: Attachment, i: int) -> str:
        return f"/upload/{a.added:%Y%m}/{hexid(self.key, a.key, n=20)}.{a.fmt}"

    # -- chrome ---------------------------------------------------------------------------
    def _page(self, title: str, body: str) -> str:
        nav = "".join(f'<li><a href="{h(self.column_path(c))}">{h(c.title)}</a></li>' for c in self.columns)
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{h(title)}</title>
</head>
<body>
<div class="header"><a class="logo" href="/">{h(self.name)}</a>
<ul class="nav"><li><a href="/">首页</a></li>{nav}</ul></div>
<div class="main">{body}</div>
<div class="footer">版权所有 © 2019 {h(self.name)}　地址：示例市大学路1号</div>
</body>
</html>
"""

    def _pager(self, col: Column, page: int, as_of: date) -> str:
        total = col.page_count(as_of)
        if total == 1:
            return ""
        links = [f'<span class="current">{n}</span>' if n == page
                 else f'<a href="{h(self.column_path(col, n))}">{n}</a>' for n in range(1, total + 1)]
        return (f'<div class="pager">共{len(col.visible_docs(as_of))}条 第{page}/{total}页 '
                + " ".join(links) + "</div>")

    # -- pages ----------------------------------------------------------------------------
    def render_home(self, as_of: date) -> Resp:
        blocks = "".join(f'<li><a href="{h(self.column_path(c))}">{h(c.title)}</a></li>' for c in self.columns)
        body = ('<div class="intro"><h1>科学技术研究院</h1><p>科学技术研究院负责学校科研项目、科研平台与科研诚信建设的'
                f'管理与服务，学术规范与学术不端行为查处信息在此公开。</p></div><ul class="columns">{blocks}</ul>')
        newest = max([SITE_LAUNCH] + [c.newest(as_of) or SITE_LAUNCH for c in self.columns])
        return Resp(200, self._page(self.name, body), changed=newest)

    def render_list(self, col: Column, page: int, as_of: date) -> Resp:
        if col.style == SCRIPTED:
            rows = '<ul class="news-list" id="list"></ul>' + _LIST_SCRIPT.replace("{api}", self.api_path(col, page))
        else:
            rows = '<ul class="news-list">' + "".join(
                f'<li><a href="{h(d.path)}">{h(d.title)}</a><span class="date">{iso(d.published)}</span></li>'
                for d in col.chunk(as_of, page)) + "</ul>"
        body = (f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; {h(col.title)}</div>'
                f'<div class="column"><h2 class="column-title">{h(col.title)}</h2>{rows}{self._pager(col, page, as_of)}</div>')
        return Resp(200, self._page(f"{col.title} - {self.name}", body), changed=col.newest(as_of) or SITE_LAUNCH)

    def render_article(self, d: Doc, as_of: date) -> Resp:
        col = d.column
        assert col is not None
        upd = d.updated(as_of)
        meta = f'<div class="meta">发布日期：{iso(d.published)}　来源：{h(d.source or "科学技术研究院")}'
        meta += f"　更新日期：{iso(upd)}" if upd else ""
        meta += "</div>"
        files = "".join(f'<li><a href="{h(a.path)}">{h(a.name)}</a></li>' for a in d.attachments_at(as_of))
        files = f'<ul class="attachments">{files}</ul>' if files else ""
        body = (f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="{h(self.column_path(col))}">'
                f'{h(col.title)}</a> &gt; 正文</div><div class="article"><h1>{h(d.title)}</h1>{meta}'
                f'<div class="content">{self.body_html(d, as_of)}</div>{files}</div>')
        return Resp(200, self._page(f"{d.title} - {self.name}", body), changed=d.last_change(as_of))

    def route_special(self, path: str, query: dict[str, str], raw_query: str, as_of: date) -> Resp | None:
        if path == "/robots.txt":
            return Resp(200, ROBOTS, "text/plain", changed=SITE_LAUNCH)
        if path == "/api/list":
            return self._api(query, as_of)
        return None

    def _api(self, query: dict[str, str], as_of: date) -> Resp | None:
        try:
            col = self.column_by_key(query.get("col", ""))
            page = int(query.get("page", "1"))
        except (KeyError, ValueError):
            return None
        if col.style != SCRIPTED or not 1 <= page <= col.page_count(as_of):
            return None
        rows = [{"title": d.title, "url": d.path, "date": iso(d.published)} for d in col.chunk(as_of, page)]
        return Resp(200, json.dumps(rows, ensure_ascii=False), "application/json; charset=utf-8",
                    changed=col.newest(as_of) or SITE_LAUNCH, charset_header=None)

    # -- ground truth ---------------------------------------------------------------------
    def needs_browser(self, as_of: date) -> dict[str, str]:
        """Every page of the day a plain fetch cannot read: "challenge" (behind the wall), or
        "scripted_list" for a list page whose rows its script loads (behind the wall too)."""
        scripted = {self.column_path(c, n, as_of) for c in self.columns if c.style == SCRIPTED
                    for n in range(1, c.page_count(as_of) + 1)}
        return {self.url(p.path): "scripted_list" if p.path in scripted else "challenge" for p in self.pages(as_of)}
