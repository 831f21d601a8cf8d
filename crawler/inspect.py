"""What the extractor makes of one page or file (`xxgk inspect URL_OR_FILE`, monitor/commands/inspect.py).

For a URL the page is fetched once with the product's user agent (timeout and size cap); for a
local file the bytes are read from disk and the encoding is detected. Output is a Chinese summary
or, with ``--json``, the record as JSON (keys of :func:`crawler.extract.record_to_json`).
"""
from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from crawler.extract import PageRecord, extract, extract_attachment, is_attachment_link
from crawler.scope import COUNTER_RE, CheckScope, Refusal, is_internal_address, parse_ip
from monitor.core import clock
from monitor.core.vocab import DATE_SOURCE, KIND

USER_AGENT = "xxgk-monitor/0.1 (+https://github.com/xxgk-monitor/xxgk-monitor)"
TIMEOUT = 20
MAX_BYTES = 20 * 1024 * 1024
_ATTACHMENT_TYPES = ("pdf", "msword", "officedocument", "ms-excel", "ms-powerpoint", "zip", "rar", "wps")


class FetchError(Exception):
    pass


class _ScopedRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed only where the link checker would go (crawler.scope.CheckScope): never to
    another host's internal address, an unusual port or a non-web scheme."""
    max_redirections = 5

    def __init__(self, scope: CheckScope) -> None:
        self.scope = scope

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 (urllib's signature)
        refusal = self.scope.refusal(newurl) or _resolves_internal(newurl, self.scope.configured_hosts)
        if refusal is not None:
            raise FetchError(f"重定向到检查范围以外的地址（{refusal.message}），未访问：{newurl[:300]}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _resolves_internal(url: str, configured: frozenset[str]) -> Refusal | None:
    host = (urlsplit(url).hostname or "").lower()
    if not host or host in configured or parse_ip(host) is not None:
        return None  # literal addresses were judged by the scope already
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return None  # the fetch itself reports the name as unknown
    for info in infos:
        ip = parse_ip(str(info[4][0]))
        if ip is None or is_internal_address(ip):
            return Refusal("address", f"{host} 解析到本机或内网地址")
    return None


def fetch(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> tuple[bytes, dict[str, str], str]:
    """GET one URL: (body, headers, final URL). Raises FetchError with a Chinese message.

    The whole exchange (connect, redirects, headers, body) has one deadline: a server that trickles its
    answer a byte at a time cannot hold the command. The URL given is fetched wherever it is (the user
    asked for it); its redirects stay within the link checker's scope."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["ok"] = _fetch(url, timeout, max_bytes)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="xxgk-inspect-fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():  # the daemon thread is abandoned; the command ends right after
        raise FetchError(f"读取超时（{timeout:g} 秒内未完成）：{url}")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["ok"]  # type: ignore[return-value]


def _fetch(url: str, timeout: float, max_bytes: int) -> tuple[bytes, dict[str, str], str]:
    scope = CheckScope(frozenset({(urlsplit(url).hostname or "").lower()}), COUNTER_RE)
    opener = urllib.request.build_opener(_ScopedRedirects(scope))
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with opener.open(req, timeout=timeout) as resp:
            body = resp.read(max_bytes + 1)
            headers = {k: v for k, v in resp.headers.items()}
            final = resp.geturl()
    except urllib.error.HTTPError as exc:
        raise FetchError(f"服务器返回 HTTP {exc.code}：{url}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, socket.timeout) or "timed out" in str(reason):
            raise FetchError(f"连接超时（{timeout:g} 秒）：{url}") from None
        raise FetchError(f"无法访问 {url}：{reason}") from None
    except (socket.timeout, TimeoutError):
        raise FetchError(f"读取超时（{timeout:g} 秒）：{url}") from None
    except (ValueError, OSError) as exc:
        raise FetchError(f"无法访问 {url}：{exc}") from None
    if len(body) > max_bytes:
        raise FetchError(f"内容超过 {max_bytes // (1024 * 1024)} MB 上限：{url}")
    return body, headers, final


def _looks_like_file(body: bytes, url: str, content_type: str | None) -> bool:
    ctype = (content_type or "").lower()
    if any(t in ctype for t in _ATTACHMENT_TYPES):
        return True
    if body[:4] in (b"%PDF", b"\xd0\xcf\x11\xe0") or (body[:2] == b"PK" and "html" not in ctype):
        return True
    return "html" not in ctype and is_attachment_link(url)


def inspect_source(source: str, *, url: str | None = None, today: date | None = None) -> PageRecord:
    """Fetch or read ``source`` and extract it (the work behind the command, usable from Python)."""
    today = today or clock.today()
    if source.startswith(("http://", "https://")):
        body, headers, final = fetch(source)
        page_url = url or final
    else:
        path = Path(source)
        if not path.is_file():
            raise FetchError(f"文件不存在：{source}")
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"无法读取文件 {source}：{exc.strerror}") from None
        headers = {}
        page_url = url or path.resolve().as_uri()
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    if _looks_like_file(body, page_url, ctype):
        return extract_attachment(body, page_url, ctype, headers, today=today)
    return extract(body, page_url, headers, today=today)


def format_record(rec: PageRecord, *, max_items: int = 10) -> str:
    """Human-readable Chinese summary of a record."""
    lines = [f"网址：{rec.url}", f"页面类型：{KIND.page.get(rec.kind, rec.kind)}", f"标题：{rec.title or '（无）'}"]
    if rec.column:
        lines.append(f"所属栏目：{rec.column}")
    if rec.breadcrumb:
        lines.append(f"当前位置：{' > '.join(rec.breadcrumb)}")
    if rec.published:
        lines.append(f"发布日期：{rec.published}（来源：{DATE_SOURCE.label.get(rec.published_source or '', rec.published_source)}）")
    else:
        lines.append("发布日期：未识别（页面未显示日期）")
    if rec.updated:
        lines.append(f"更新日期：{rec.updated}（来源：{DATE_SOURCE.label.get(rec.updated_source or '', rec.updated_source)}）")
    if rec.encoding:
        lines.append(f"编码：{rec.encoding}")
    if rec.kind == "list":
        lines.append(f"列表条目：{len(rec.entries)} 条" + (f"，最新 {rec.newest_entry}" if rec.newest_entry else ""))
        for e in rec.entries[:max_items]:
            src = f"，{DATE_SOURCE.label.get(e.date_source or '', '')}" if e.date_source else ""
            lines.append(f"  - {e.date or '（无日期）'}{src}  {e.title}  {e.url}")
        if len(rec.entries) > max_items:
            lines.append(f"  …… 另有 {len(rec.entries) - max_items} 条")
        if rec.pagination:
            lines.append(f"分页：{len(rec.pagination)} 页")
            for p in rec.pagination[:5]:
                lines.append(f"  - {p}")
            if len(rec.pagination) > 5:
                lines.append(f"  …… 另有 {len(rec.pagination) - 5} 页")
    if rec.attachments:
        lines.append(f"附件：{len(rec.attachments)} 个")
        for a in rec.attachments[:max_items]:
            lines.append(f"  - {a.text}  {a.url}")
    if rec.kind == "attachment" and rec.metadata:
        meta = rec.metadata
        if meta.get("pages"):
            lines.append(f"页数/工作表：{meta['pages']}")
        if meta.get("error"):
            lines.append(f"解析提示：{meta['error']}")
    if rec.metadata.get("challenge"):
        lines.append("提示：这是网站的反爬虫验证页（如瑞数 $_ts），没有返回页面内容")
    lines.append(f"链接：{len(rec.links)} 个")
    lines.append(f"内容指纹：{rec.fingerprint[:16]}…")
    excerpt = rec.text.strip().replace("\n", " ")
    if excerpt:
        lines.append(f"正文摘要：{excerpt[:120]}{'…' if len(excerpt) > 120 else ''}")
    return "\n".join(lines)

