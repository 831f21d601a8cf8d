"""Compliance checks beyond freshness: personal-data leaks, broken links, site reachability, blank columns.

``check_scan`` runs after every scan (``monitor.scan.post_scan``):

* personal data — every page or attachment fetched in the scan whose newest stored version has not been
  checked yet is searched with :mod:`monitor.compliance.pii`. A finding is keyed by (page, kind, salted hash of the
  value), so the same leak is recognised across scans without the value ever being stored. Findings are
  ``open`` → ``fixed`` (gone from a newer version of the page, or the page answers 404/410) and may be
  ``accepted`` by a person (``xxgk findings accept ID``). A fixed leak that reappears is opened again.
* links — :func:`monitor.compliance.links.check_links` (one check run per scan);
* site reachability and blank columns — :mod:`monitor.compliance.sites`.

Only masked values and masked excerpts are ever written, logged or printed.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from monitor.compliance.links import LinkSettings, check_links, link_report
from monitor.compliance.pii import Segment, document_segments, find_pii, fingerprint, redact
from monitor.compliance.sites import blank_columns, config_sites, record_site_checks, site_status
from monitor.config import Config
from monitor.core import clock
from monitor.core.vocab import FINDING_STATE, LINK_CATEGORY, PII_KIND
from monitor.store import decompress, history, pages, rows


# ---- salt ------------------------------------------------------------------------------------------
def pii_salt(db: Any) -> str:
    """The per-database random salt of finding hashes (created on first use)."""
    found = db.execute("SELECT value FROM meta WHERE key = 'pii_salt'").fetchone()
    if found:
        return found[0]
    db.execute("INSERT INTO meta (key, value) VALUES ('pii_salt', ?) ON CONFLICT (key) DO NOTHING",
               (secrets.token_hex(16),))
    return db.execute("SELECT value FROM meta WHERE key = 'pii_salt'").fetchone()[0]


# ---- personal data -----------------------------------------------------------------------------------
@dataclass
class ComplianceStats:
    pages_checked: int = 0
    findings_new: int = 0
    findings_reopened: int = 0
    findings_fixed: int = 0
    findings_open: int = 0
    links: dict[str, Any] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)      # site url -> ok|degraded|unreachable|unknown
    blank_columns: int = 0
    stale_columns: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _segments(url: str, kind: str | None, content_type: str | None, snapshot: bytes | None,
              text: bytes | None) -> list[Segment]:
    if snapshot:
        segs = document_segments(snapshot, url, content_type)
        if segs is not None:
            return segs
    plain = (text or b"").decode("utf-8", "replace")
    if kind != "attachment":
        return [Segment(plain, "html")]
    ext = url.lower().split("?")[0].rsplit(".", 1)[-1]
    return [Segment(plain, ext if len(ext) <= 5 else "attachment")]


def scan_page_for_pii(text_segments: Iterable[Segment], salt: str) -> dict[tuple[str, str], dict]:
    """(kind, hash) -> {masked, excerpt, location, occurrences} for one page's segments."""
    found: dict[tuple[str, str], dict] = {}
    for seg in text_segments:
        for hit in find_pii(seg.text):
            key = (hit.kind, fingerprint(hit.kind, seg.text[hit.start:hit.end], salt))
            if key in found:
                found[key]["occurrences"] += 1
                continue
            found[key] = {"masked": hit.masked, "excerpt": hit.context_masked, "location": seg.where_at(hit.start),
                          "occurrences": 1}
    return found


def check_pii(db: Any, scan_id: int, stats: ComplianceStats | None = None) -> ComplianceStats:
    """Search what the scan fetched for personal data and move findings through their lifecycle."""
    stats = stats or ComplianceStats()
    salt = pii_salt(db)
    now = clock.now_iso()
    for page in history.pages_to_check_pii(db, scan_id):
        v = history.version(db, page["version_id"])
        assert v is not None  # the newest version of the page, just selected
        snapshot, text = decompress(v["snapshot"]), decompress(v["text"])
        found = scan_page_for_pii(
            _segments(page["url"], page["kind"], v["content_type"] or page["content_type"], snapshot, text), salt)
        _record_page(db, page, found, scan_id, now, stats)
        if found:
            _reencode(db, page["version_id"], snapshot, text)
        db.execute("""INSERT INTO pii_checks (page_id, version_id, scan_id, checked_at, hits) VALUES (?,?,?,?,?)
                      ON CONFLICT(page_id) DO UPDATE SET version_id=excluded.version_id, scan_id=excluded.scan_id,
                      checked_at=excluded.checked_at, hits=excluded.hits""",
                   (page["id"], page["version_id"], scan_id, now, len(found)))
        stats.pages_checked += 1
    _redact_excerpts(db, scan_id)
    # A page that is gone (404/410) no longer discloses anything.
    for finding_id in history.findings_on_gone_pages(db, scan_id):
        db.execute("UPDATE findings SET status='fixed', fixed_scan=?, fixed_at=?, note=COALESCE(note, ?) WHERE id=?",
                   (scan_id, now, "页面已删除", finding_id))
        stats.findings_fixed += 1
    stats.findings_open = db.execute("SELECT COUNT(*) FROM findings WHERE status = 'open'").fetchone()[0]
    return stats


def _reencode(db: Any, version_id: int, snapshot: bytes | None, text: bytes | None) -> None:
    """Store a leaking version so the numbers are not readable in the database file; the text used for
    diffs on the dashboard is masked as well (the raw snapshot stays byte-identical as evidence)."""
    masked_text = redact(text.decode("utf-8", "replace")).encode("utf-8") if text is not None else None
    pages.set_version_bodies(db, version_id, snapshot, masked_text)


_LONG_RUN = re.compile(r"\d[\d -]{9,}\d")


def _redact_excerpts(db: Any, scan_id: int) -> None:
    """The crawl keeps a plain-text excerpt of each page for search; mask personal numbers in it so the
    database file never holds them in clear (the compressed snapshots stay as evidence)."""
    db.secure_delete()  # overwritten text must not linger in free pages
    changed = False
    for r in history.excerpts_fetched_in(db, scan_id):
        text = r["text_excerpt"]
        if not _LONG_RUN.search(text) and "住址" not in text and "地址" not in text:
            continue
        clean = redact(text)
        if clean != text:
            pages.set_text_excerpt(db, r["id"], clean)
            changed = True
    if changed:
        db.checkpoint()  # move the clean pages into the main file so the WAL stops holding the old text


def _record_page(db: Any, page: history.PiiCandidate, found: dict[tuple[str, str], dict], scan_id: int, now: str,
                 stats: ComplianceStats) -> None:
    existing = {(r["kind"], r["hash"]): r for r in rows(
        db, "SELECT id, kind, hash, status, accepted_at FROM findings WHERE page_id = ?", (page["id"],))}
    parent = history.attachment_parent(db, page["id"], page["url"]) if page["kind"] == "attachment" else None
    unit = page["unit"] or (parent["unit"] if parent else "") or ""
    for key, hit in found.items():
        old = existing.get(key)
        if old is None:
            db.execute(
                """INSERT INTO findings (kind, page_id, url, parent_url, unit, site, location, masked, excerpt, hash,
                   occurrences, status, first_seen_scan, last_seen_scan, first_seen_at, last_seen_at, opened_at)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,'open',?,?,?,?,?)""",
                (key[0], page["id"], page["url"], parent["url"] if parent else None, unit, page["site"],
                 hit["location"], hit["masked"], hit["excerpt"], key[1], hit["occurrences"], scan_id, scan_id,
                 now, now, now))
            stats.findings_new += 1
            continue
        status, opened = old["status"], None
        if status == "fixed":  # the leak is back
            status = "accepted" if old["accepted_at"] else "open"
            opened = now
            stats.findings_reopened += 1
        db.execute(
            """UPDATE findings SET location=?, masked=?, excerpt=?, occurrences=?, last_seen_scan=?, last_seen_at=?,
               status=?, opened_at=COALESCE(?, opened_at), fixed_scan=CASE WHEN ? IS NULL THEN fixed_scan END,
               fixed_at=CASE WHEN ? IS NULL THEN fixed_at END, unit=? WHERE id=?""",
            (hit["location"], hit["masked"], hit["excerpt"], hit["occurrences"], scan_id, now, status, opened,
             opened, opened, unit, old["id"]))
    for key, old in existing.items():
        if key not in found and old["status"] in ("open", "accepted"):
            db.execute("UPDATE findings SET status='fixed', fixed_scan=?, fixed_at=? WHERE id=?",
                       (scan_id, now, old["id"]))
            stats.findings_fixed += 1


def accept_finding(db: Any, finding_id: int, *, by: str | None = None, note: str | None = None) -> bool:
    """Mark a finding as accepted by a person (e.g. a list that must be public by law)."""
    cur = db.execute("UPDATE findings SET status=CASE WHEN status='fixed' THEN 'fixed' ELSE 'accepted' END, "
                     "accepted_by=?, accepted_at=?, note=COALESCE(?, note) WHERE id=?",
                     (by, clock.now_iso(), note, finding_id))
    return cur.rowcount > 0


def reopen_finding(db: Any, finding_id: int) -> bool:
    cur = db.execute("UPDATE findings SET status='open', accepted_by=NULL, accepted_at=NULL, opened_at=? "
                     "WHERE id=? AND status='accepted'", (clock.now_iso(), finding_id))
    return cur.rowcount > 0


_FINDING_COLS = ("id, kind, url, parent_url, unit, site, location, masked, excerpt, occurrences, status, "
                 "first_seen_scan, last_seen_scan, first_seen_at, last_seen_at, opened_at, fixed_at, accepted_by, "
                 "accepted_at, note")


def list_findings(db: Any, *, status: str | None = "open", unit: str | None = None,
                  kind: str | None = None) -> list[dict]:
    """Findings (masked), newest first; ``status=None`` for every status."""
    sql, params = f"SELECT {_FINDING_COLS} FROM findings WHERE 1=1", []
    if status:
        sql += " AND status = ?"
        params.append(status)
    if unit is not None:
        sql += " AND COALESCE(unit, '') = ?"
        params.append(unit)
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    out = rows(db, sql + " ORDER BY unit, url, id", params)
    for f in out:
        f["kind_label"] = PII_KIND.label.get(f["kind"], f["kind"])
        f["status_label"] = FINDING_STATE.label.get(f["status"], f["status"])
    return out


def new_findings_since(db: Any, ts: str | None) -> list[dict]:
    """Open findings first seen (or seen again after a fix) after ``ts`` (ISO time; None = all)."""
    out = list_findings(db, status="open")
    return [f for f in out if ts is None or (f["opened_at"] or "") > ts]


def findings_for_notification(db: Any, cfg: Config | None, *, unit: str | None = None) -> list[dict]:
    """What a unit (``''`` = the disclosure office, None = everyone) should hear about, each as
    ``{id, url, text}`` with a one-line Chinese ``text`` (masked): open personal-data findings, confirmed
    broken links on its pages, and its sites that are unreachable. Ids are stable, so a notifier that
    remembers what it sent does not repeat itself."""
    out = []
    for f in list_findings(db, status="open", unit=unit):
        where = f"（{f['location']}）" if f["location"] and f["location"] != "html" else ""
        out.append({"id": f"pii-{f['id']}", "url": f["url"],
                    "text": f"页面含{f['kind_label']} {f['masked']}{where}，请删除或遮盖后重新发布"})
    for site in link_report(db, unit=unit):
        for link in site["links"]:
            page = link["pages"][0]
            more = f"等 {link['page_count']} 个页面" if link["page_count"] > 1 else ""
            key = hashlib.sha1(link["url"].encode("utf-8")).hexdigest()[:12]
            out.append({"id": f"link-{key}", "url": page["url"],
                        "text": f"{link['label']}：{link['url']}（{link['reason']}），出现在 {page['url']} {more}".strip()})
    for s in site_status(db, cfg):
        if s["status"] == "unreachable" and (unit is None or s["unit"] == unit):
            key = hashlib.sha1(f"{s['site']}|{s['since']}".encode("utf-8")).hexdigest()[:12]
            out.append({"id": f"site-{key}", "url": s["site"], "text": f"网站无法访问：{s['site']}，{s['reason']}"})
    return out


def counts_by_unit(db: Any, *, status: str | None = "open") -> dict[str, int]:
    sql = "SELECT COALESCE(unit, '') AS unit, COUNT(*) AS n FROM findings"
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    return {r["unit"]: r["n"] for r in rows(db, sql + " GROUP BY COALESCE(unit, '') ORDER BY n DESC", params)}


# ---- the whole check ---------------------------------------------------------------------------------------
def check_scan(db: Any, cfg: Config, scan_id: int, *, link_settings: LinkSettings | None = None) -> ComplianceStats:
    """Every compliance check for one finished scan (called by ``monitor.scan.post_scan``)."""
    stats = check_pii(db, scan_id)
    homes = [s["url"] for s in config_sites(cfg)]
    links = check_links(db, cfg, scan_id, extra_urls=homes, settings=link_settings)
    stats.links = {"run_id": links.run_id, "links": links.links, "from_crawl": links.from_crawl,
                   "checked": links.checked, "deferred": links.deferred, "categories": links.categories,
                   "broken": links.broken}
    record_site_checks(db, cfg, scan_id, links.results)
    stats.sites = {s["site"]: s["status"] for s in site_status(db, cfg)}
    cols = blank_columns(db, cfg)
    stats.blank_columns = sum(c["kind"] == "blank" for c in cols)
    stats.stale_columns = sum(c["kind"] == "stale" for c in cols)
    return stats


def summary_lines(stats: ComplianceStats) -> list[str]:
    """Chinese summary lines for `xxgk scan` output."""
    lines = [f"  隐私检查：检查页面 {stats.pages_checked}，新发现 {stats.findings_new}，已整改 {stats.findings_fixed}，"
             f"未处理共 {stats.findings_open}"]
    if stats.links:
        cats = stats.links.get("categories") or {}
        parts = [f"{LINK_CATEGORY.label.get(k, k)} {v}" for k, v in sorted(cats.items(), key=lambda kv: -kv[1])]
        lines.append(f"  链接检查：{stats.links.get('links', 0)} 个链接（{'，'.join(parts) or '无'}），"
                     f"确认死链 {stats.links.get('broken', 0)}")
    bad = [s for s, st in stats.sites.items() if st == "unreachable"]
    if bad:
        lines.append(f"  无法访问的网站：{'，'.join(bad)}")
    lines.append(f"  空白栏目 {stats.blank_columns}，超期未更新栏目 {stats.stale_columns}")
    return lines


# ---- for `xxgk findings` (monitor/commands/findings.py) ------------------------------------------------------
def _unit_name(cfg: Config | None, unit: str | None) -> str:
    if not unit:
        return "信息公开网"
    return cfg.unit_name(unit) if cfg is not None else unit


def findings_data(db: Any, cfg: Config | None, *, status: str = "open", unit: str | None = None) -> dict[str, Any]:
    """Every finding of ``status`` ("all" for any) for ``unit`` ("" or "office": the disclosure site), with
    broken links, site reachability and blank or stale columns (the `--json` document)."""
    if unit == "office":
        unit = ""
    found = list_findings(db, status=None if status == "all" else status, unit=unit)
    counts = counts_by_unit(db, status=None if status == "all" else status)
    links = link_report(db, unit=unit)
    sites = [s for s in site_status(db, cfg) if unit is None or s["unit"] == unit]
    columns = [c for c in blank_columns(db, cfg) if unit is None or c["unit"] == unit]
    return {"findings": found, "counts_by_unit": counts, "broken_links": links, "sites": sites, "columns": columns}


def findings_lines(data: dict[str, Any], cfg: Config | None, status: str) -> list[str]:
    """``findings_data`` as Chinese text, one section per kind of check."""
    found, counts, links = data["findings"], data["counts_by_unit"], data["broken_links"]
    sites, columns = data["sites"], data["columns"]
    lines: list[str] = []
    label = "全部" if status == "all" else FINDING_STATE.label[status]
    lines.append(f"隐私信息泄露（{label}）：{len(found)} 条")
    for f in found:
        where = f["location"] or ""
        lines.append(f"  #{f['id']} [{f['status_label']}] {f['kind_label']} {f['masked']}  "
                     f"{_unit_name(cfg, f['unit'])}  {f['url']}（{where}）")
        if f["excerpt"]:
            lines.append(f"      上下文：{f['excerpt']}")
        if f["parent_url"]:
            lines.append(f"      所在页面：{f['parent_url']}")
    if counts:
        lines.append("  按单位：" + "，".join(f"{_unit_name(cfg, u)} {n}" for u, n in counts.items()))
    total = sum(s["broken"] for s in links)
    lines.append(f"死链（连续两次检查失败）：{total} 个")
    for s in links:
        lines.append(f"  {_unit_name(cfg, s['unit'])} {s['site']}：{s['broken']} 个")
        for link in s["links"]:
            lines.append(f"    {link['url']}「{link['text'] or ''}」{link['label']}：{link['reason']}")
            shown = link["pages"][:3]
            more = f" 等 {link['page_count']} 个页面" if link["page_count"] > len(shown) else ""
            lines.append("      所在页面：" + "，".join(("首页 " if p["is_home"] else "") + p["url"] for p in shown)
                         + more)
    bad = [s for s in sites if s["status"] in ("unreachable", "degraded")]
    lines.append(f"网站可访问性：{len(sites)} 个网站，无法访问 {sum(s['status'] == 'unreachable' for s in sites)} 个")
    for s in bad:
        lines.append(f"  [{s['label']}] {_unit_name(cfg, s['unit'])} {s['site']}：{s['reason']}")
    lines.append(f"空白或超期栏目：{len(columns)} 个")
    for c in columns:
        tag = "空白栏目" if c["kind"] == "blank" else "超期未更新"
        lines.append(f"  [{tag}] {_unit_name(cfg, c['unit'])} {c['name'] or ''} {c['url']}：{c['reason']}")
    return lines
