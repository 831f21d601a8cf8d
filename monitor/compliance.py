"""Compliance checks beyond freshness: personal-data leaks, broken links, site reachability, blank columns.

``check_scan`` runs after every scan (``monitor.scan.post_scan``):

* personal data — every page or attachment fetched in the scan whose newest stored version has not been
  checked yet is searched with :mod:`monitor.pii`. A finding is keyed by (page, kind, salted hash of the
  value), so the same leak is recognised across scans without the value ever being stored. Findings are
  ``open`` → ``fixed`` (gone from a newer version of the page, or the page answers 404/410) and may be
  ``accepted`` by a person (``xxgk findings accept ID``). A fixed leak that reappears is opened again.
* links — :func:`monitor.linkcheck.check_links` (one check run per scan);
* site reachability — each configured site's home page result per scan in ``site_checks``; a site is
  ``unreachable`` only after failures in ≥ 3 checks in a row on ≥ 2 different days (one timeout is not "down");
* blank columns — list pages that never had an entry, and columns whose newest entry is older than their rule.

Only masked values and masked excerpts are ever written, logged or printed.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import sys
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Iterable

import click

from monitor.cli import config_option, fail, now_option
from monitor.core import clock
from monitor.linkcheck import CATEGORY_LABELS, FAILED, LinkSettings, check_links, link_report
from monitor.pii import KIND_LABELS, Segment, document_segments, find_pii, fingerprint, redact
from monitor.store import compress, decompress, register_migration, rows

STATUS_LABELS: dict[str, str] = {"open": "未处理", "fixed": "已整改", "accepted": "已确认可公开"}
SITE_STATUS_LABELS: dict[str, str] = {"ok": "正常", "degraded": "偶发失败", "unreachable": "无法访问",
                                      "unknown": "未检查"}
UNREACHABLE_CHECKS = 3
UNREACHABLE_DAYS = 2


def _m5_compliance(db: Any) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        CREATE TABLE IF NOT EXISTS findings (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                -- id_card|mobile|bank_card|address (monitor.pii.KIND_LABELS)
            page_id INTEGER,                   -- pages row of the page or attachment
            url TEXT NOT NULL,
            parent_url TEXT,                   -- attachments: a page linking the file
            unit TEXT,                         -- the page's unit ('' = disclosure site / office)
            site TEXT,
            location TEXT,                     -- html | pdf page 3 | xlsx Sheet1!C7 | docx paragraph 12
            masked TEXT NOT NULL,              -- masked value only, never the number itself
            excerpt TEXT,                      -- masked context
            hash TEXT NOT NULL,                -- sha256(salt, kind, value): same leak across scans
            occurrences INTEGER DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'open',  -- open|fixed|accepted
            first_seen_scan INTEGER,
            last_seen_scan INTEGER,
            first_seen_at TEXT,
            last_seen_at TEXT,
            opened_at TEXT,                    -- first seen, or seen again after a fix
            fixed_scan INTEGER,
            fixed_at TEXT,
            accepted_by TEXT,
            accepted_at TEXT,
            note TEXT,
            UNIQUE(page_id, kind, hash)
        );
        CREATE INDEX IF NOT EXISTS idx_findings_status ON findings(status);
        CREATE INDEX IF NOT EXISTS idx_findings_unit ON findings(unit);
        CREATE TABLE IF NOT EXISTS pii_checks (
            page_id INTEGER PRIMARY KEY,       -- newest version of each page already searched
            version_id INTEGER,
            scan_id INTEGER,
            checked_at TEXT,
            hits INTEGER
        );
        CREATE TABLE IF NOT EXISTS link_runs (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER,
            started_at TEXT,
            finished_at TEXT,
            urls INTEGER,
            checked INTEGER,
            from_crawl INTEGER,
            deferred INTEGER
        );
        CREATE TABLE IF NOT EXISTS link_checks (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL,
            scan_id INTEGER,
            url TEXT NOT NULL,
            host TEXT,
            internal INTEGER,
            source TEXT,                       -- crawl (the scan fetched it) | check (the checker) | rule
            method TEXT,                       -- HEAD|GET
            status INTEGER,
            category TEXT NOT NULL,            -- ok|dead|server_error|blocked|intranet|timeout|skipped
            reason TEXT,
            final_url TEXT,
            elapsed_ms INTEGER,
            checked_at TEXT,
            UNIQUE(run_id, url)
        );
        CREATE INDEX IF NOT EXISTS idx_link_checks_url ON link_checks(url);
        CREATE TABLE IF NOT EXISTS site_checks (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER,
            site TEXT NOT NULL,                -- the configured site URL
            unit TEXT,
            checked_at TEXT,
            ok INTEGER,                        -- 1 answered (ok/blocked/intranet), 0 failed
            status INTEGER,
            category TEXT,
            reason TEXT,
            UNIQUE(scan_id, site)
        );
        """
    )


register_migration(5, _m5_compliance)


# ---- salt ------------------------------------------------------------------------------------------
def pii_salt(db: Any) -> str:
    """The per-database random salt of finding hashes (created on first use)."""
    found = db.execute("SELECT value FROM meta WHERE key = 'pii_salt'").fetchone()
    if found:
        return found[0]
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('pii_salt', ?)", (secrets.token_hex(16),))
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


def _pages_to_check(db: Any, scan_id: int) -> list[dict]:
    return rows(db, """
        SELECT p.id, p.url, p.unit, p.site, p.kind, p.content_type, v.id AS version_id
        FROM pages p
        JOIN versions v ON v.id = (SELECT MAX(id) FROM versions WHERE page_id = p.id)
        LEFT JOIN pii_checks c ON c.page_id = p.id
        WHERE (p.last_fetch_scan = ? OR c.page_id IS NULL)
          AND (c.version_id IS NULL OR c.version_id != v.id)
        ORDER BY p.id""", (scan_id,))


def _parent(db: Any, page_id: int, url: str) -> dict | None:
    found = rows(db, """SELECT pp.url, pp.unit, pp.site FROM attachments a JOIN pages pp ON pp.id = a.page_id
                        WHERE a.file_page_id = ? OR a.url = ? ORDER BY a.id LIMIT 1""", (page_id, url))
    return found[0] if found else None


def check_pii(db: Any, scan_id: int, stats: ComplianceStats | None = None) -> ComplianceStats:
    """Search what the scan fetched for personal data and move findings through their lifecycle."""
    stats = stats or ComplianceStats()
    salt = pii_salt(db)
    now = clock.now_iso()
    for page in _pages_to_check(db, scan_id):
        v = db.execute("SELECT snapshot, text, content_type FROM versions WHERE id = ?",
                       (page["version_id"],)).fetchone()
        snapshot, text = decompress(v[0]), decompress(v[1])
        found = scan_page_for_pii(_segments(page["url"], page["kind"], v[2] or page["content_type"], snapshot, text),
                                  salt)
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
    for f in rows(db, """SELECT f.id FROM findings f JOIN pages p ON p.id = f.page_id
                         WHERE f.status IN ('open', 'accepted') AND p.last_fetch_scan = ?
                           AND p.last_status IN (404, 410)""", (scan_id,)):
        db.execute("UPDATE findings SET status='fixed', fixed_scan=?, fixed_at=?, note=COALESCE(note, ?) WHERE id=?",
                   (scan_id, now, "页面已删除", f["id"]))
        stats.findings_fixed += 1
    stats.findings_open = db.execute("SELECT COUNT(*) FROM findings WHERE status = 'open'").fetchone()[0]
    return stats


def _reencode(db: Any, version_id: int, snapshot: bytes | None, text: bytes | None) -> None:
    """Store a leaking version so the numbers are not readable in the database file; the text used for
    diffs on the dashboard is masked as well (the raw snapshot stays byte-identical as evidence)."""
    masked_text = redact(text.decode("utf-8", "replace")).encode("utf-8") if text is not None else None
    db.execute("UPDATE versions SET snapshot = ?, text = ? WHERE id = ?",
               (compress(snapshot) if snapshot is not None else None,
                compress(masked_text) if masked_text is not None else None, version_id))


_LONG_RUN = re.compile(r"\d[\d -]{9,}\d")


def _redact_excerpts(db: Any, scan_id: int) -> None:
    """The crawl keeps a plain-text excerpt of each page for search; mask personal numbers in it so the
    database file never holds them in clear (the compressed snapshots stay as evidence)."""
    db.execute("PRAGMA secure_delete = ON")  # overwritten text must not linger in free pages
    changed = False
    for r in rows(db, "SELECT id, text_excerpt FROM pages WHERE last_fetch_scan = ? AND text_excerpt IS NOT NULL",
                  (scan_id,)):
        text = r["text_excerpt"]
        if not _LONG_RUN.search(text) and "住址" not in text and "地址" not in text:
            continue
        clean = redact(text)
        if clean != text:
            db.execute("UPDATE pages SET text_excerpt = ? WHERE id = ?", (clean, r["id"]))
            changed = True
    if changed:
        try:  # move the clean pages into the main file so the WAL stops holding the old text
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception:  # readers hold the WAL: the next checkpoint will do it
            pass


def _record_page(db: Any, page: dict, found: dict[tuple[str, str], dict], scan_id: int, now: str,
                 stats: ComplianceStats) -> None:
    existing = {(r["kind"], r["hash"]): r for r in rows(
        db, "SELECT id, kind, hash, status, accepted_at FROM findings WHERE page_id = ?", (page["id"],))}
    parent = _parent(db, page["id"], page["url"]) if page["kind"] == "attachment" else None
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
        f["kind_label"] = KIND_LABELS.get(f["kind"], f["kind"])
        f["status_label"] = STATUS_LABELS.get(f["status"], f["status"])
    return out


def new_findings_since(db: Any, ts: str | None) -> list[dict]:
    """Open findings first seen (or seen again after a fix) after ``ts`` (ISO time; None = all)."""
    out = list_findings(db, status="open")
    return [f for f in out if ts is None or (f["opened_at"] or "") > ts]


def findings_for_notification(db: Any, cfg: Any, *, unit: str | None = None) -> list[dict]:
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


# ---- sites -------------------------------------------------------------------------------------------
def _opt(obj: Any, name: str, default: Any) -> Any:
    if obj is None:
        return default
    value = obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)
    return default if value is None else value


def record_site_checks(db: Any, cfg: Any, scan_id: int, results: dict[str, tuple[str, str, int | None]]) -> None:
    now = clock.now_iso()
    for site in _config_sites(cfg):
        cat, reason, status = results.get(site["url"], ("timeout", "未得到结果", None))
        db.execute("""INSERT INTO site_checks (scan_id, site, unit, checked_at, ok, status, category, reason)
                      VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(scan_id, site) DO UPDATE SET checked_at=excluded.checked_at,
                      ok=excluded.ok, status=excluded.status, category=excluded.category, reason=excluded.reason""",
                   (scan_id, site["url"], site["unit"], now, int(cat not in FAILED), status, cat, reason))


def _config_sites(cfg: Any) -> list[dict]:
    fn = getattr(cfg, "all_sites", None)
    refs = list(fn()) if callable(fn) else []
    return [{"url": r.url, "unit": getattr(r, "unit_id", None) or ""} for r in refs]


def site_status(db: Any, cfg: Any = None, *, min_failures: int | None = None,
                min_days: int | None = None) -> list[dict]:
    """Each checked site's state: ``unreachable`` only after ``min_failures`` failed checks in a row on at
    least ``min_days`` different days; a recent failure short of that is ``degraded``."""
    comp = getattr(cfg, "compliance", None) if cfg is not None else None
    min_failures = min_failures or int(_opt(comp, "unreachable_checks", UNREACHABLE_CHECKS))
    min_days = min_days or int(_opt(comp, "unreachable_days", UNREACHABLE_DAYS))
    sites = [s["url"] for s in _config_sites(cfg)] if cfg is not None else []
    for r in rows(db, "SELECT DISTINCT site FROM site_checks ORDER BY site"):
        if r["site"] not in sites:
            sites.append(r["site"])
    out = []
    for site in sites:
        checks = rows(db, "SELECT * FROM site_checks WHERE site = ? ORDER BY checked_at DESC, id DESC LIMIT 60",
                      (site,))
        unit = checks[0]["unit"] if checks else next((s["unit"] for s in _config_sites(cfg) if s["url"] == site), "")
        entry = {"site": site, "unit": unit or "", "checks": len(checks), "failures": 0, "since": None,
                 "last_checked": checks[0]["checked_at"] if checks else None,
                 "last_category": checks[0]["category"] if checks else None}
        streak = []
        for c in checks:
            if c["ok"]:
                break
            streak.append(c)
        days = {c["checked_at"][:10] for c in streak}
        if not checks:
            state, reason = "unknown", "尚未检查"
        elif not streak:
            state = "ok"
            last = checks[0]
            reason = "首页可访问" if last["category"] == "ok" else f"首页可访问（{last['reason']}）"
        elif len(streak) >= min_failures and len(days) >= min_days:
            state = "unreachable"
            reason = (f"自{streak[-1]['checked_at'][:10]}起连续{len(streak)}次检查无法访问"
                      f"（最近一次：{streak[0]['reason']}）")
        else:
            state = "degraded"
            reason = (f"最近{len(streak)}次检查失败（{streak[0]['reason']}），"
                      f"需连续{min_failures}次、跨{min_days}天才判定为无法访问")
        entry.update(status=state, label=SITE_STATUS_LABELS[state], reason=reason, failures=len(streak),
                     since=streak[-1]["checked_at"] if streak else None)
        out.append(entry)
    return out


# ---- blank and stale columns ----------------------------------------------------------------------------
# The national inspection rules (国办秘函〔2019〕19号): news columns 2 weeks, notices/policies 6 months.
_NAME_RULES: tuple[tuple[tuple[str, ...], int, str], ...] = (
    (("动态", "要闻", "新闻", "快讯", "头条"), 14, "动态/要闻类栏目超过2周未更新"),
    (("通知", "公告", "政策", "文件"), 183, "通知公告/政策文件类栏目超过6个月未更新"),
)


def blank_columns(db: Any, cfg: Any = None, *, as_of: date | None = None) -> list[dict]:
    """Columns (list pages) that never had an entry (``blank``) or whose newest entry is older than the
    rule of the item they are matched to, or the inspection rule for their kind of column (``stale``)."""
    as_of = as_of or clock.today()
    out: list[dict] = []
    columns = rows(db, """
        SELECT p.id, p.url, p.title, p.column_name, p.unit, p.site, p.newest_entry, p.last_error,
               (SELECT COUNT(*) FROM entries e WHERE e.list_page_id = p.id) AS entries,
               (SELECT MAX(date) FROM entries e WHERE e.list_page_id = p.id) AS newest
        FROM pages p
        WHERE p.kind = 'list' AND (p.list_root_id IS NULL OR p.list_root_id = p.id) AND p.last_seen_scan IS NOT NULL
        ORDER BY p.unit, p.url""")
    overdue = _overdue_items(db)
    events = _event_items(cfg)
    for c in columns:
        name = c["column_name"] or c["title"] or ""
        base = {"page_id": c["id"], "url": c["url"], "name": name, "unit": c["unit"] or "", "site": c["site"]}
        if not c["entries"]:
            items = _items_of(db, c["id"], c["url"])
            if items and all(i in events for i in items):
                continue  # an event item's column is empty while nothing has happened: not a fault
            out.append({**base, "kind": "blank", "newest": None, "reason": "空白栏目：从未发布过内容"})
            continue
        newest = max(filter(None, (c["newest"], c["newest_entry"])), default=None)
        items = [i for i in _items_of(db, c["id"], c["url"]) if i in overdue]
        if items:
            out.append({**base, "kind": "stale", "newest": newest, "items": items,
                        "reason": "；".join(f"事项{i}：{overdue[i]}" for i in items)})
            continue
        if newest:
            age = (as_of - date.fromisoformat(newest)).days
            for words, limit, text in _NAME_RULES:
                if any(w in name for w in words) and age > limit:
                    out.append({**base, "kind": "stale", "newest": newest, "items": [],
                                "reason": f"{text}（最新条目 {newest}，已{age}天）"})
                    break
    return out


def _event_items(cfg: Any) -> set[str]:
    try:
        items = cfg.catalog_obj.items
    except Exception:  # no catalog available (a partial config): judge every column
        return set()
    return {str(i.id) for i in items if getattr(getattr(i, "rule", None), "kind", None) == "event"}


def _overdue_items(db: Any) -> dict[str, str]:
    """item id -> reason, from the newest stored assessment of each item (monitor.assess writes them)."""
    found = rows(db, """SELECT a.item_id, a.status, a.reason FROM assessments a
                        WHERE a.as_of = (SELECT MAX(as_of) FROM assessments b WHERE b.item_id = a.item_id)""")
    return {r["item_id"]: r["reason"] or "已逾期" for r in found if r["status"] == "overdue"}


def _items_of(db: Any, page_id: int, url: str) -> list[str]:
    return [r["item_id"] for r in rows(
        db, "SELECT DISTINCT item_id FROM matches WHERE (page_id = ? OR url = ?) AND target = 'column' "
            "AND state != 'rejected' ORDER BY item_id", (page_id, url))]


# ---- the whole check ---------------------------------------------------------------------------------------
def check_scan(db: Any, cfg: Any, scan_id: int, *, link_settings: LinkSettings | None = None) -> ComplianceStats:
    """Every compliance check for one finished scan (called by ``monitor.scan.post_scan``)."""
    stats = check_pii(db, scan_id)
    homes = [s["url"] for s in _config_sites(cfg)]
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
        parts = [f"{CATEGORY_LABELS.get(k, k)} {v}" for k, v in sorted(cats.items(), key=lambda kv: -kv[1])]
        lines.append(f"  链接检查：{stats.links.get('links', 0)} 个链接（{'，'.join(parts) or '无'}），"
                     f"确认死链 {stats.links.get('broken', 0)}")
    bad = [s for s, st in stats.sites.items() if st == "unreachable"]
    if bad:
        lines.append(f"  无法访问的网站：{'，'.join(bad)}")
    lines.append(f"  空白栏目 {stats.blank_columns}，超期未更新栏目 {stats.stale_columns}")
    return lines


# ---- CLI ----------------------------------------------------------------------------------------------------
def _load(config_path: str) -> tuple[Any, Any]:
    from monitor.config import ConfigError, load_config
    from monitor.store import open_db

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        fail(str(exc))
    if hasattr(cfg, "timezone"):
        clock.set_timezone(cfg.timezone)
    return cfg, open_db(cfg.database_path)


def _unit_name(cfg: Any, unit: str | None) -> str:
    fn = getattr(cfg, "unit_name", None)
    if not unit:
        return "信息公开网"
    return fn(unit) if callable(fn) else unit


@click.group("findings", invoke_without_command=True)
@config_option
@now_option
@click.option("--status", "status", type=click.Choice(["open", "fixed", "accepted", "all"]), default="open",
              show_default=True, help="Which personal-data findings to list.")
@click.option("--unit", default=None, help="Only this unit id ('' or 'office' for the disclosure site).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def findings_command(ctx: click.Context, config_path: str, status: str, unit: str | None, as_json: bool) -> None:
    """合规检查发现：隐私信息泄露（已脱敏）、死链、网站无法访问、空白栏目。"""
    ctx.obj = {"config_path": config_path}
    if ctx.invoked_subcommand is not None:
        return
    cfg, db = _load(config_path)
    if unit == "office":
        unit = ""
    found = list_findings(db, status=None if status == "all" else status, unit=unit)
    counts = counts_by_unit(db, status=None if status == "all" else status)
    links = link_report(db, unit=unit)
    sites = [s for s in site_status(db, cfg) if unit is None or s["unit"] == unit]
    columns = [c for c in blank_columns(db, cfg) if unit is None or c["unit"] == unit]
    if as_json:
        click.echo(json.dumps({"findings": found, "counts_by_unit": counts, "broken_links": links, "sites": sites,
                               "columns": columns}, ensure_ascii=False, indent=2))
        return
    label = "全部" if status == "all" else STATUS_LABELS[status]
    click.echo(f"隐私信息泄露（{label}）：{len(found)} 条")
    for f in found:
        where = f["location"] or ""
        click.echo(f"  #{f['id']} [{f['status_label']}] {f['kind_label']} {f['masked']}  "
                   f"{_unit_name(cfg, f['unit'])}  {f['url']}（{where}）")
        if f["excerpt"]:
            click.echo(f"      上下文：{f['excerpt']}")
        if f["parent_url"]:
            click.echo(f"      所在页面：{f['parent_url']}")
    if counts:
        click.echo("  按单位：" + "，".join(f"{_unit_name(cfg, u)} {n}" for u, n in counts.items()))
    total = sum(s["broken"] for s in links)
    click.echo(f"死链（连续两次检查失败）：{total} 个")
    for s in links:
        click.echo(f"  {_unit_name(cfg, s['unit'])} {s['site']}：{s['broken']} 个")
        for link in s["links"]:
            click.echo(f"    {link['url']}「{link['text'] or ''}」{link['label']}：{link['reason']}")
            shown = link["pages"][:3]
            more = f" 等 {link['page_count']} 个页面" if link["page_count"] > len(shown) else ""
            click.echo("      所在页面：" + "，".join(("首页 " if p["is_home"] else "") + p["url"] for p in shown) + more)
    bad = [s for s in sites if s["status"] in ("unreachable", "degraded")]
    click.echo(f"网站可访问性：{len(sites)} 个网站，无法访问 {sum(s['status'] == 'unreachable' for s in sites)} 个")
    for s in bad:
        click.echo(f"  [{s['label']}] {_unit_name(cfg, s['unit'])} {s['site']}：{s['reason']}")
    click.echo(f"空白或超期栏目：{len(columns)} 个")
    for c in columns:
        tag = "空白栏目" if c["kind"] == "blank" else "超期未更新"
        click.echo(f"  [{tag}] {_unit_name(cfg, c['unit'])} {c['name'] or ''} {c['url']}：{c['reason']}")


def _sub_config(f):
    """Sub-commands take `--config` too, so it may come before or after the sub-command name."""
    return click.option("--config", "sub_config", default=None, type=click.Path(dir_okay=False),
                        help="School configuration file (YAML).")(f)


def _config_of(ctx: click.Context, sub_config: str | None) -> str:
    return sub_config or ctx.obj["config_path"]


@findings_command.command("accept")
@_sub_config
@click.argument("finding_id", type=int)
@click.option("--note", default=None, help="Why it may stay public (e.g. 依法须公示的名单).")
@click.option("--by", "by", default=None, help="Who accepted it.")
@click.pass_context
def accept_command(ctx: click.Context, sub_config: str | None, finding_id: int, note: str | None,
                   by: str | None) -> None:
    """确认某条发现可以保留（例如依法须公示），不再提醒。"""
    _cfg, db = _load(_config_of(ctx, sub_config))
    if not accept_finding(db, finding_id, by=by, note=note):
        fail(f"没有编号为 {finding_id} 的发现（用 xxgk findings --status all 查看编号）")
    click.echo(f"已确认发现 #{finding_id}，不再作为未处理问题提醒")


@findings_command.command("reopen")
@_sub_config
@click.argument("finding_id", type=int)
@click.pass_context
def reopen_command(ctx: click.Context, sub_config: str | None, finding_id: int) -> None:
    """撤销确认，重新列为未处理。"""
    _cfg, db = _load(_config_of(ctx, sub_config))
    if not reopen_finding(db, finding_id):
        fail(f"发现 #{finding_id} 不存在或不是“已确认可公开”状态")
    click.echo(f"发现 #{finding_id} 已重新列为未处理")


@findings_command.command("check")
@_sub_config
@click.pass_context
def check_command(ctx: click.Context, sub_config: str | None) -> None:
    """对最近一次完成的扫描重新运行合规检查（含链接检查）。"""
    from monitor.store import latest_scan

    cfg, db = _load(_config_of(ctx, sub_config))
    scan = latest_scan(db)
    if scan is None:
        fail("还没有完成的扫描，请先运行 xxgk scan")
    stats = check_scan(db, cfg, scan["id"])
    for line in summary_lines(stats):
        click.echo(line.strip())
    sys.stdout.flush()
