"""Page-history reads: the named queries the layers above run on pages, versions, entries, links,
attachments and fetch_errors.

Each returns plain rows (``TypedDict`` shapes where the columns are fixed, ``Row`` where the caller
asked for ``*``), so the callers keep their in-memory indexing and "as of a day" filtering while the
SQL lives in one place. The SQL text is that of the callers it came from: results and query plans
are unchanged.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence, TypedDict, cast

from monitor.store.db import rows
from monitor.store.engine import Database

Row = dict[str, Any]


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


# ---------------------------------------------------------------------------- crawler (revisits)

class KnownPage:
    """What the store knows of a page a scan may meet again: its validators, kind, when it was last seen and
    how it answered, its list, its hash and last error (``too_complex`` is the crawl's to set). Slots, not a
    dict: a scan keeps one per stored page from start to end (~120 bytes instead of ~280, the values aside),
    and they are made a row at a time, with no list of them all as dicts first."""
    __slots__ = ("url", "etag", "last_modified", "kind", "last_seen_at", "last_status", "list_root", "sha256",
                 "last_error", "too_complex")

    def __init__(self, values: Sequence[Any]) -> None:
        (self.url, self.etag, self.last_modified, self.kind, self.last_seen_at, self.last_status, self.list_root,
         self.sha256, self.last_error) = values
        self.too_complex = False


def known_pages(db: Database, too_complex_marker: str) -> Iterator[KnownPage]:
    """Pages stored with content, and files skipped at a limit (their last_error holds the marker), a row at a
    time (no list of them all at once)."""
    cur = db.execute(
        """SELECT p.url, p.etag, p.last_modified, p.kind, p.last_seen_at, p.last_status,
                  r.url AS list_root, p.sha256, p.last_error FROM pages p
           LEFT JOIN pages r ON r.id = p.list_root_id
           WHERE p.fingerprint IS NOT NULL OR p.last_error LIKE ? ESCAPE '!'""",
        (like_contains(too_complex_marker),))
    for values in cur:
        yield KnownPage(values)


def like_contains(text: str) -> str:
    """A LIKE pattern (with ``ESCAPE '!'``) for "contains ``text``" on both engines (no instr/strpos in common)."""
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def outlinks(db: Database, url: str) -> list[tuple[str, str | None]]:
    """A page's stored outlinks as (url, text), in the order they were first stored."""
    cur = db.execute(
        "SELECT l.url, l.text FROM links l JOIN pages p ON p.id = l.page_id WHERE p.url = ? ORDER BY l.id",
        (url,))
    return [(r[0], r[1]) for r in cur.fetchall()]


# ---------------------------------------------------------------------------- assessment

class ScanStart(TypedDict):
    id: int
    started_at: str | None


class AssessPage(TypedDict):
    id: int
    url: str
    kind: str | None
    title: str | None
    column_name: str | None
    first_seen_scan: int | None
    published: str | None
    published_source: str | None
    updated: str | None
    updated_source: str | None
    last_changed: str | None
    last_changed_source: str | None
    fail_count: int | None
    last_status: int | None
    last_error: str | None
    list_root_id: int | None
    last_seen_at: str | None
    last_fetch_scan: int | None
    unit: str | None
    needs_browser: str | None     # the page needed a browser and was left as fetched (crawler/render.py)


class VersionDates(TypedDict):
    page_id: int
    fetched_at: str
    changed_after: str | None
    published: str | None
    published_source: str | None
    updated: str | None
    updated_source: str | None


class EntryRow(TypedDict):
    id: int
    list_page_id: int
    url: str
    title: str | None
    date: str | None
    date_source: str | None
    first_seen_scan: int | None


class AttachmentRow(TypedDict):
    page_id: int
    file_page_id: int | None
    url: str
    name: str | None
    first_seen_scan: int | None


class FetchError(TypedDict):
    scan_id: int
    status: int | None
    error: str | None


_ASSESS_PAGE_COLUMNS = ("id, url, kind, title, column_name, first_seen_scan, published, published_source, updated, "
                        "updated_source, last_changed, last_changed_source, fail_count, last_status, last_error, "
                        "list_root_id, last_seen_at, last_fetch_scan, unit, needs_browser")


def scan_starts(db: Database) -> list[ScanStart]:
    return cast(list[ScanStart], rows(db, "SELECT id, started_at FROM scans ORDER BY started_at, id"))


def assess_pages(db: Database) -> list[AssessPage]:
    """Every page with the columns an assessment dates and judges it by."""
    return cast(list[AssessPage], rows(db, f"SELECT {_ASSESS_PAGE_COLUMNS} FROM pages"))


def version_dates(db: Database) -> list[VersionDates]:
    """The dates every stored version showed, oldest first."""
    return cast(list[VersionDates], rows(
        db, "SELECT page_id, fetched_at, changed_after, published, published_source, updated, "
            "updated_source FROM versions ORDER BY id"))


def all_entries(db: Database) -> list[EntryRow]:
    return cast(list[EntryRow], rows(
        db, "SELECT id, list_page_id, url, title, date, date_source, first_seen_scan FROM entries ORDER BY id"))


def all_attachments(db: Database) -> list[AttachmentRow]:
    return cast(list[AttachmentRow], rows(
        db, "SELECT page_id, file_page_id, url, name, first_seen_scan FROM attachments ORDER BY id"))


def fetch_errors_of(db: Database, scan_ids: Sequence[int], url: str) -> list[FetchError]:
    """The fetch errors recorded for ``url`` in the given scans, oldest first."""
    return cast(list[FetchError], rows(
        db, f"SELECT scan_id, status, error FROM fetch_errors WHERE scan_id IN ({_marks(scan_ids)}) "
            "AND url = ? ORDER BY id", [*scan_ids, url]))


# ---------------------------------------------------------------------------- dashboard

def item_matches(db: Database, item_id: str) -> list[Row]:
    """An item's matches with the matched page's dates and health and the person's decision."""
    return rows(
        db,
        "SELECT m.*, p.title AS page_title, p.kind AS page_kind, p.column_name, p.published, p.published_source,"
        " p.updated, p.updated_source, p.last_changed, p.last_changed_source, p.first_seen_scan,"
        " p.last_seen_scan, p.last_status, p.last_error, p.fail_count, p.entry_count, p.newest_entry,"
        " p.unit AS page_unit, d.decision, d.decided_by, d.decided_at"
        " FROM matches m LEFT JOIN pages p ON p.id = m.page_id"
        " LEFT JOIN match_decisions d ON d.item_id = m.item_id AND d.url = m.url"
        " WHERE m.item_id = ? ORDER BY CASE m.state WHEN 'rejected' THEN 1 ELSE 0 END, m.score DESC",
        (item_id,),
    )


def list_entries(db: Database, list_page_id: int, limit: int) -> list[Row]:
    """A column's entries, newest date first."""
    return rows(db, "SELECT * FROM entries WHERE list_page_id = ? ORDER BY date DESC LIMIT ?",
                (list_page_id, limit))


class LinkedFile(TypedDict):
    url: str
    name: str | None
    first_seen_scan: int | None
    last_seen_scan: int | None
    file_id: int | None
    last_changed: str | None
    last_changed_source: str | None
    published: str | None
    published_source: str | None


def linked_files(db: Database, page_id: int, limit: int) -> list[LinkedFile]:
    """The attachments a page links, with the dates of the file's own page row."""
    return cast(list[LinkedFile], rows(
        db,
        "SELECT a.url, a.name, a.first_seen_scan, a.last_seen_scan, f.id AS file_id, f.last_changed,"
        " f.last_changed_source, f.published, f.published_source FROM attachments a"
        " LEFT JOIN pages f ON f.id = a.file_page_id WHERE a.page_id = ? LIMIT ?", (page_id, limit)))


def versions_meta(db: Database, page_ids: Sequence[int]) -> list[Row]:
    """The versions of these pages, newest first, without their bodies (``has_snapshot``, ``has_text``)."""
    return rows(
        db,
        f"SELECT id, page_id, scan_id, fetched_at, changed_after, fingerprint, title, published,"
        f" published_source, updated, updated_source, status, content_type, snapshot IS NOT NULL AS has_snapshot,"
        f" text IS NOT NULL AS has_text FROM versions WHERE page_id IN ({_marks(page_ids)}) ORDER BY id DESC",
        page_ids)


def version(db: Database, version_id: int) -> Row | None:
    """One version with its bodies, its page's URL and unit (``page_unit``)."""
    found = rows(db, "SELECT v.*, p.url, p.unit AS page_unit FROM versions v JOIN pages p ON p.id = v.page_id"
                     " WHERE v.id = ?", (version_id,))
    return found[0] if found else None


class VersionRef(TypedDict):
    id: int
    fetched_at: str
    scan_id: int


def version_list(db: Database, page_id: int) -> list[VersionRef]:
    """A page's versions, newest first."""
    return cast(list[VersionRef], rows(
        db, "SELECT id, fetched_at, scan_id FROM versions WHERE page_id = ? ORDER BY id DESC", (page_id,)))


def review_matches(db: Database) -> list[Row]:
    """Matches waiting for a person, best score first, with the page's title and unit."""
    return rows(
        db, "SELECT m.id, m.item_id, m.url, m.target, m.score, m.reason, m.method, p.title, p.unit"
            " FROM matches m LEFT JOIN pages p ON p.id = m.page_id WHERE m.state = 'review'"
            " ORDER BY m.score DESC, m.id")


def pages_where(db: Database, select: str, where: str, params: Sequence[Any], order: str,
                limit: int | None = None, offset: int = 0) -> tuple[list[Row], int]:
    """One page of a filtered ``pages p`` list and the total count. ``select``, ``where`` and ``order``
    are SQL fragments built by the caller from fixed text (values go in ``params``)."""
    total = db.execute(f"SELECT COUNT(*) FROM pages p WHERE {where}", params).fetchone()[0]
    sql = f"SELECT {select} FROM pages p WHERE {where} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {limit} OFFSET {offset}"
    return rows(db, sql, params), total


def page_index_state(db: Database) -> tuple[int | None, int, int | None]:
    """(newest scan id, number of pages, highest page id): what a page index is up to date with."""
    scan, count, max_id = db.execute(
        "SELECT (SELECT MAX(id) FROM scans), COUNT(*), MAX(id) FROM pages").fetchone()
    return scan, count, max_id


def page_title_batches(db: Database, where: str, params: Sequence[Any],
                       size: int) -> Iterator[list[tuple[int, str | None, str | None]]]:
    """(id, title, column_name) of the pages matching ``where`` (a SQL fragment of fixed text, values in
    ``params``), ``size`` rows at a time from one cursor: lazy, so it runs inside the caller's transaction."""
    cur = db.execute(f"SELECT id, title, column_name FROM pages WHERE {where}", params)
    while batch := cur.fetchmany(size):
        yield batch


# ---------------------------------------------------------------------------- bench, link checks

def urls_fetched_in(db: Database, scan_id: int) -> list[str]:
    """Pages whose last fetch attempt was in this scan."""
    return [r["url"] for r in rows(db, "SELECT url FROM pages WHERE last_fetch_scan=?", (scan_id,))]


def count_seen_in(db: Database, scan_id: int) -> int:
    """Pages the scan reached (fetched, 304 or recently checked)."""
    return int(rows(db, "SELECT COUNT(*) AS n FROM pages WHERE last_seen_scan = ?", (scan_id,))[0]["n"])


class CrawledPage(TypedDict):
    id: int
    url: str
    last_status: int | None
    last_error: str | None
    title: str | None
    text_len: int


def crawled_in(db: Database, scan_id: int) -> list[CrawledPage]:
    """Pages fetched in this scan with their outcome and the length of their stored text."""
    return cast(list[CrawledPage], rows(
        db, "SELECT id, url, last_status, last_error, title, LENGTH(COALESCE(text_excerpt, '')) AS text_len "
            "FROM pages WHERE last_fetch_scan = ?", (scan_id,)))


class ScanFetchError(TypedDict):
    url: str
    status: int | None
    error: str | None


def fetch_errors_in(db: Database, scan_id: int) -> list[ScanFetchError]:
    return cast(list[ScanFetchError], rows(db, "SELECT url, status, error FROM fetch_errors WHERE scan_id = ?",
                                           (scan_id,)))


def latest_snapshot(db: Database, page_id: int) -> bytes | None:
    """The compressed raw body of the page's newest version (None if it has none)."""
    found = db.execute("SELECT snapshot FROM versions WHERE page_id = ? ORDER BY id DESC LIMIT 1",
                       (page_id,)).fetchone()
    return found[0] if found else None


# ---------------------------------------------------------------------------- evidence archive (WARC)

class CaptureRow(TypedDict):
    id: int
    fetched_at: str
    status: int | None
    content_type: str | None
    headers: str | None
    snapshot: bytes | None
    url: str
    kind: str | None


def capture(db: Database, version_id: int) -> CaptureRow | None:
    """A version with its raw body and its page's URL and kind."""
    found = rows(db, """SELECT v.id, v.fetched_at, v.status, v.content_type, v.headers, v.snapshot,
                               p.url, p.kind
                        FROM versions v JOIN pages p ON p.id = v.page_id WHERE v.id = ?""", (version_id,))
    return cast(CaptureRow, found[0]) if found else None


def newest_file_versions(db: Database, page_ids: Sequence[int]) -> list[tuple[int, int | None]]:
    """(linking page id, newest version id with a snapshot of the linked file) per attachment of the pages."""
    found = rows(db, f"""SELECT a.page_id, (SELECT v.id FROM versions v WHERE v.page_id = a.file_page_id
                                              AND v.snapshot IS NOT NULL
                                              ORDER BY v.fetched_at DESC, v.id DESC LIMIT 1) AS vid
                         FROM attachments a WHERE a.page_id IN ({_marks(page_ids)}) AND a.file_page_id IS NOT NULL""",
                 page_ids)
    return [(r["page_id"], r["vid"]) for r in found]


def version_page_id(db: Database, version_id: int) -> int:
    return int(rows(db, "SELECT page_id FROM versions WHERE id = ?", (version_id,))[0]["page_id"])


def page_url(db: Database, page_id: int) -> str:
    return str(rows(db, "SELECT url FROM pages WHERE id = ?", (page_id,))[0]["url"])


# ---------------------------------------------------------------------------- matching

class MatchPage(TypedDict):
    id: int
    url: str
    site: str | None
    unit: str | None
    kind: str | None
    title: str | None
    column_name: str | None
    list_root_id: int | None
    fingerprint: str | None
    last_seen_scan: int | None
    last_status: int | None


def match_pages(db: Database) -> list[MatchPage]:
    """Every page with the columns matching places it by."""
    return cast(list[MatchPage], rows(
        db, "SELECT id, url, site, unit, kind, title, column_name, list_root_id, fingerprint, "
            "last_seen_scan, last_status FROM pages"))


class PageIdentity(TypedDict):
    id: int
    kind: str | None
    title: str | None
    column_name: str | None
    fingerprint: str | None


def page_identity(db: Database, url: str) -> PageIdentity | None:
    found = rows(db, "SELECT id, kind, title, column_name, fingerprint FROM pages WHERE url=?", (url,))
    return cast(PageIdentity, found[0]) if found else None


def page_urls_like(db: Database, pattern: str) -> list[str]:
    """Stored page URLs matching a LIKE pattern."""
    return [r[0] for r in db.execute("SELECT url FROM pages WHERE url LIKE ?", (pattern,))]


def all_urls(db: Database) -> list[str]:
    """Every URL the store knows: pages, list entries and attachment links."""
    return [r[0] for r in db.execute("SELECT url FROM pages UNION SELECT url FROM entries "
                                     "UNION SELECT url FROM attachments")]


# ---------------------------------------------------------------------------- annual report

class DatedArticle(TypedDict):
    url: str
    site: str | None
    published: str


def dated_articles(db: Database) -> list[DatedArticle]:
    """Article pages with a publication date."""
    return cast(list[DatedArticle], rows(
        db, "SELECT url, site, published FROM pages WHERE kind = 'article' AND published IS NOT NULL"))


class ListedEntry(TypedDict):
    url: str
    site: str | None
    kind: str | None


def entries_dated_between(db: Database, start: str, end: str) -> list[ListedEntry]:
    """List entries dated in [start, end], with the site of their article (else their list) and the
    article's page kind (None if never fetched)."""
    return cast(list[ListedEntry], rows(
        db, """SELECT e.url, COALESCE(a.site, l.site) AS site, a.kind AS kind
                         FROM entries e JOIN pages l ON l.id = e.list_page_id
                         LEFT JOIN pages a ON a.url = e.url
                         WHERE e.date BETWEEN ? AND ?""", (start, end)))


def site_units(db: Database) -> dict[str, str]:
    """site root -> the unit owning its pages ('' = disclosure site / office)."""
    return {r["site"]: (r["unit"] or "") for r in rows(
        db, "SELECT site, MAX(unit) AS unit FROM pages WHERE site IS NOT NULL GROUP BY site")}


def page_id_of(db: Database, url: str) -> int | None:
    found = rows(db, "SELECT id FROM pages WHERE url = ?", (url,))
    return found[0]["id"] if found else None


class SnapshotRef(TypedDict):
    id: int
    fetched_at: str
    url: str


def newest_snapshot(db: Database, page_id: int) -> SnapshotRef | None:
    """The page's newest version that has a stored body."""
    found = rows(db, """SELECT v.id, v.fetched_at, p.url FROM versions v JOIN pages p ON p.id = v.page_id
                        WHERE v.page_id = ? AND v.snapshot IS NOT NULL
                        ORDER BY v.fetched_at DESC, v.id DESC LIMIT 1""", (page_id,))
    return cast(SnapshotRef, found[0]) if found else None


class ColumnTitle(TypedDict):
    id: int
    title: str | None


def column_title(db: Database, url: str) -> ColumnTitle | None:
    """A page's id and its column name (else title)."""
    found = rows(db, "SELECT id, COALESCE(column_name, title) AS title FROM pages WHERE url = ?", (url,))
    return cast(ColumnTitle, found[0]) if found else None


# ---------------------------------------------------------------------------- compliance

class PiiCandidate(TypedDict):
    id: int
    url: str
    unit: str | None
    site: str | None
    kind: str | None
    content_type: str | None
    version_id: int


def pages_to_check_pii(db: Database, scan_id: int) -> list[PiiCandidate]:
    """Pages fetched in the scan (or never checked) whose newest version has not been searched for
    personal data yet, with that version's id, in page id order."""
    return cast(list[PiiCandidate], rows(db, """
        SELECT p.id, p.url, p.unit, p.site, p.kind, p.content_type, v.id AS version_id
        FROM pages p
        JOIN versions v ON v.id = (SELECT MAX(id) FROM versions WHERE page_id = p.id)
        LEFT JOIN pii_checks c ON c.page_id = p.id
        WHERE (p.last_fetch_scan = ? OR c.page_id IS NULL)
          AND (c.version_id IS NULL OR c.version_id != v.id)
        ORDER BY p.id""", (scan_id,)))


class ParentPage(TypedDict):
    url: str
    unit: str | None
    site: str | None


def attachment_parent(db: Database, page_id: int, url: str) -> ParentPage | None:
    """The first page that links this attachment (by its page id or its URL), or None."""
    found = rows(db, """SELECT pp.url, pp.unit, pp.site FROM attachments a JOIN pages pp ON pp.id = a.page_id
                        WHERE a.file_page_id = ? OR a.url = ? ORDER BY a.id LIMIT 1""", (page_id, url))
    return cast(ParentPage, found[0]) if found else None


class PageExcerpt(TypedDict):
    id: int
    text_excerpt: str


def excerpts_fetched_in(db: Database, scan_id: int) -> list[PageExcerpt]:
    """The stored text excerpts of the pages fetched in this scan (pages without one are left out)."""
    return cast(list[PageExcerpt], rows(
        db, "SELECT id, text_excerpt FROM pages WHERE last_fetch_scan = ? AND text_excerpt IS NOT NULL",
        (scan_id,)))


def findings_on_gone_pages(db: Database, scan_id: int) -> list[int]:
    """Ids of open or accepted findings whose page answered 404/410 in this scan."""
    return [f["id"] for f in rows(db, """SELECT f.id FROM findings f JOIN pages p ON p.id = f.page_id
                         WHERE f.status IN ('open', 'accepted') AND p.last_fetch_scan = ?
                           AND p.last_status IN (404, 410)""", (scan_id,))]


class ColumnPage(TypedDict):
    id: int
    url: str
    title: str | None
    column_name: str | None
    unit: str | None
    site: str | None
    newest_entry: str | None
    last_error: str | None
    entries: int
    newest: str | None


def column_pages(db: Database) -> list[ColumnPage]:
    """Seen list pages that are the root of their column, with their entry count and newest entry date
    (``entries``, ``newest``), by unit and URL."""
    return cast(list[ColumnPage], rows(db, """
        SELECT p.id, p.url, p.title, p.column_name, p.unit, p.site, p.newest_entry, p.last_error,
               (SELECT COUNT(*) FROM entries e WHERE e.list_page_id = p.id) AS entries,
               (SELECT MAX(date) FROM entries e WHERE e.list_page_id = p.id) AS newest
        FROM pages p
        WHERE p.kind = 'list' AND (p.list_root_id IS NULL OR p.list_root_id = p.id) AND p.last_seen_scan IS NOT NULL
        ORDER BY p.unit, p.url"""))


class RenderRow(TypedDict):
    site: str
    unit: str | None
    reason: str
    rendered: int        # pages read through the browser for this reason
    left: int            # pages that needed it and were left as fetched


def render_by_site(db: Database) -> list[RenderRow]:
    """Per site and reason: pages rendered in a browser, and pages that needed one and were not."""
    return cast(list[RenderRow], rows(db, """
        SELECT site, unit, COALESCE(rendered, needs_browser) AS reason,
               SUM(CASE WHEN rendered IS NOT NULL THEN 1 ELSE 0 END) AS rendered,
               SUM(CASE WHEN rendered IS NULL AND needs_browser IS NOT NULL THEN 1 ELSE 0 END) AS left
        FROM pages WHERE rendered IS NOT NULL OR needs_browser IS NOT NULL
        GROUP BY site, unit, COALESCE(rendered, needs_browser) ORDER BY site, reason"""))
