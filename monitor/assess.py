"""Per catalog item: gather its evidence from the store, date it, and judge its status as of a day.

Evidence comes from the item's matches (states ``auto`` and ``confirmed`` only) and the columns
named in the config: a matched list page brings its entries and the articles/attachments behind
them; an article brings its own dates and its attachments; a file brings its own date or the date
of the page linking it. An item with neither, whose matcher found candidates it was unsure of
(state ``review``), is judged *provisionally* from those candidates: found, awaiting the office's
confirmation — never "missing" (``ItemStatus.provisional``, ``ItemStatus.candidates``). "As of" a day uses only what was known then: dates after the day and
pages/entries first seen in a scan that started after the day are ignored. Then the precedence
statuses (missing → unreachable → blank → undated) and finally the item's update rule
(``monitor.rules.evaluate``).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Iterable, Mapping, TypeGuard

from monitor.core import clock
from monitor.core.vocab import RENDER, STATUS, STATUS_BY_URGENCY
from monitor.rules import evaluate
from monitor.store import history, rows

COUNTED_STATES = ("auto", "confirmed")
CANDIDATE_STATE = "review"    # matches a person has still to confirm: provisional evidence only
PROVISIONAL_REASON = "依据待确认的候选栏目暂定："
_KIND_PREFERENCE = {"article": 3, "entry": 2, "column": 1, "attachment": 0}
FAILING_SCANS = 2         # "unreachable": the last two fetches of every matched page failed


@dataclass
class Evidence:
    url: str
    title: str | None
    date: str | None            # YYYY-MM-DD
    date_source: str | None     # meta|label|list|url|heading|http|observed|linking
    kind: str                   # article|attachment|entry|column
    page_id: int | None = None
    via: str | None = None      # the column URL it was found through


@dataclass
class Candidate:
    """A match awaiting review that a provisional status rests on (its ``matches`` row and what it shows)."""
    match_id: int | None
    url: str
    title: str | None
    target: str                 # column|article|entry|attachment
    score: float | None
    method: str | None
    reason: str | None
    newest: str | None          # YYYY-MM-DD: the newest evidence date found through it as of the day
    newest_source: str | None


@dataclass
class ItemStatus:
    id: str
    category: str
    category_name: str
    title: str
    short: str | None
    unit: str | None
    unit_name: str
    rule: dict
    rule_text: str
    status: str
    reason: str
    last_changed: str | None
    last_changed_source: str | None
    due: str | None
    evidence: list[Evidence] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    # True: no counted match, the status is judged from ``candidates`` awaiting review
    provisional: bool = False
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUS.label.get(self.status, self.status)

    @property
    def name(self) -> str:
        return self.short or self.title


# ---------------------------------------------------------------- the as-of view of the store

class _View:
    """Read access to the store limited to what was known by ``known_by``, judged as of ``as_of``.

    Evidence dates must be ≤ ``as_of``; rows, versions and scans count only if the store had them
    by ``known_by`` (default: ``as_of``, the honest replay of an earlier day). A later ``known_by``
    answers "what was the status on that day, judged with what we know now" (the annual report).

    The tables an assessment reads are loaded once (only the columns it needs) and indexed in
    memory: an item's column can bring hundreds of entries, and one query per entry would
    dominate the run time on a large estate."""

    def __init__(self, db: Any, as_of: date, known_by: date | None = None):
        self.db = db
        self.as_of = as_of
        self.iso = as_of.isoformat()
        self.known_by = known_by or as_of
        self.known_iso = self.known_by.isoformat()
        scans = history.scan_starts(db)
        # Scans that started after the knowledge day (clock time, local date prefix of the ISO string).
        self.future_scans = {r["id"] for r in scans if (r["started_at"] or "")[:10] > self.known_iso}
        # Scans after the as-of day: what they found first is known only with a later ``known_by``.
        self.after_as_of = {r["id"] for r in scans if (r["started_at"] or "")[:10] > self.iso}
        # The scans whose fetches describe the site on the as-of day (for "unreachable").
        cutoff = min(self.iso, self.known_iso)
        self.scans_by_then = [r["id"] for r in scans if (r["started_at"] or "")[:10] <= cutoff]
        self._scans_by_then = set(self.scans_by_then)
        self._by_id: dict[int, history.AssessPage] = {}
        self._by_url: dict[str, history.AssessPage] = {}
        # unit -> pages of its sites that only a browser could read, and were left as fetched
        self.browser_walls: dict[str, list[history.AssessPage]] = defaultdict(list)
        for p in history.assess_pages(db):
            if self.known(p["first_seen_scan"]):
                self._by_id[p["id"]] = p
                self._by_url[p["url"]] = p
                if p.get("needs_browser"):
                    self.browser_walls[p.get("unit") or ""].append(p)
        # Every stored version is evidence of the dates the page showed when it was fetched: a page
        # updated twice keeps its first update in an older version after its row moved on.
        self._versions: dict[int, list[history.VersionDates]] = defaultdict(list)
        self._versioned: set[int] = set()
        for v in history.version_dates(db):
            self._versioned.add(v["page_id"])
            if self.fetched_by(v["fetched_at"]):
                self._versions[v["page_id"]].append(v)
        self._entries_by_list: dict[int, list[history.EntryRow]] = defaultdict(list)
        self._entries_by_url: dict[str, list[history.EntryRow]] = defaultdict(list)
        for e in history.all_entries(db):
            if self.known(e["first_seen_scan"]):
                self._entries_by_list[e["list_page_id"]].append(e)
                self._entries_by_url[e["url"]].append(e)
        self._att_by_page: dict[int, list[history.AttachmentRow]] = defaultdict(list)
        self._linking: dict[Any, list[int]] = defaultdict(list)
        for a in history.all_attachments(db):
            if self.known(a["first_seen_scan"]):
                self._att_by_page[a["page_id"]].append(a)
                self._linking[a["url"]].append(a["page_id"])
                if a["file_page_id"] is not None:
                    self._linking[a["file_page_id"]].append(a["page_id"])

    def known(self, scan_id: int | None) -> bool:
        """A row first seen in this scan was in the store by the knowledge day."""
        return scan_id is None or scan_id not in self.future_scans

    def fetched_by(self, fetched_at: str | None) -> bool:
        """Something fetched at this clock time was in the store by the knowledge day."""
        return not fetched_at or fetched_at[:10] <= self.known_iso

    def date_ok(self, d: str | None) -> TypeGuard[str]:
        """A date that can be evidence on the as-of day."""
        return bool(d and d[:10] <= self.iso)

    def failure(self, page: Mapping[str, Any]) -> tuple[int | None, str | None] | None:
        """(HTTP status, error) if the last FAILING_SCANS fetches of the page up to the as-of day
        failed, else None."""
        if page.get("id") is None:
            return None
        last_fetch = page.get("last_fetch_scan")
        if last_fetch is None or last_fetch in self._scans_by_then:
            # the page's current row describes its last fetch by then: its failure count is exact
            if (page.get("fail_count") or 0) >= FAILING_SCANS:
                return page.get("last_status"), page.get("last_error")
            return None
        # replaying an earlier day: the failures the last scans by then recorded for this URL
        recent = self.scans_by_then[-FAILING_SCANS:]
        if len(recent) < FAILING_SCANS:
            return None
        errors = history.fetch_errors_of(self.db, recent, page["url"])
        if {r["scan_id"] for r in errors} != set(recent):
            return None
        return errors[-1]["status"], errors[-1]["error"]

    def page(self, *, page_id: int | None = None, url: str | None = None) -> history.AssessPage | None:
        """A page known by the as-of day, by id or URL (None if unknown then)."""
        if page_id is not None:
            return self._by_id.get(page_id)
        return self._by_url.get(url or "")

    def own_dates(self, page: history.AssessPage) -> list[tuple[str, str | None]]:
        """(date, source) of every published/updated date the page showed in a fetch known by the
        knowledge day: its stored versions, and its current row when that fetch was known too."""
        found: list[tuple[str | None, str | None]] = []
        # The current row shows what the last fetch saw (versions are written only on a content
        # change); a row last refreshed after the knowledge day is not known then.
        if page["id"] not in self._versioned or self.fetched_by(page.get("last_seen_at")):
            found += [(page.get("published"), page.get("published_source")),
                      (page.get("updated"), page.get("updated_source"))]
        for v in self._versions.get(page["id"], ()):
            found += [(v["published"], v["published_source"]), (v["updated"], v["updated_source"])]
        return [(d[:10], src) for d, src in found if d and src != "observed"]

    def page_dates(self, page: history.AssessPage) -> list[tuple[str, str | None]]:
        """The page's own dates that can be evidence on the as-of day."""
        return [(d, src) for d, src in self.own_dates(page) if d <= self.iso]

    def listed_dates(self, url: str) -> list[tuple[str, str | None]]:
        """Every date a list row shows for the URL (not limited to the as-of day)."""
        return [(e["date"][:10], e["date_source"] or "list") for e in self._entries_by_url.get(url, ())
                if e["date"]]

    def not_yet_published(self, row: history.AssessPage | history.EntryRow, dates: Iterable[tuple[str | None, Any]]) -> bool:
        """A page or list row first seen after the as-of day whose every date is after it did not
        exist on that day: with a later ``known_by`` it is not content of that day, not even
        undated content. (Seen by then, a later date only means its date changed since.)"""
        if row.get("first_seen_scan") not in self.after_as_of:
            return False
        found = [d for d, _ in dates if d]
        return bool(found) and all(d[:10] > self.iso for d in found)

    def page_not_yet(self, page: history.AssessPage) -> bool:
        return self.not_yet_published(page, self.own_dates(page) or self.listed_dates(page["url"]))

    def observed_changes(self, page: history.AssessPage) -> list[tuple[str, str | None]]:
        """Dates a content change was observed (a new fingerprint after an earlier fetch)."""
        out: list[tuple[str, str | None]] = [(v["fetched_at"][:10], "observed") for v in self._versions.get(page["id"], ())
               if v["changed_after"] and self.date_ok(v["fetched_at"])]
        changed = page.get("last_changed")
        if (not out and page.get("last_changed_source") == "observed" and self.date_ok(changed)
                and self.fetched_by(changed)):
            out.append((changed[:10], "observed"))
        return out

    def entries(self, list_page_id: int) -> list[history.EntryRow]:
        return self._entries_by_list.get(list_page_id, [])

    def entries_for_url(self, url: str) -> list[history.EntryRow]:
        return self._entries_by_url.get(url, [])

    def attachments_of(self, page_id: int) -> list[history.AttachmentRow]:
        return self._att_by_page.get(page_id, [])

    def linking_pages(self, page: history.AssessPage) -> list[history.AssessPage]:
        ids = dict.fromkeys(self._linking.get(page["id"], []) + self._linking.get(page["url"], []))
        return [p for p in (self.page(page_id=i) for i in ids) if p is not None]


def _newest(dates: Iterable[tuple[str, str | None]]) -> tuple[str | None, str | None]:
    best: tuple[str | None, str | None] = (None, None)
    for d, src in dates:
        if best[0] is None or d > best[0]:
            best = (d, src)
    return best


# ---------------------------------------------------------------- evidence of one item

class _Collector:
    def __init__(self, view: _View, excluded: set[str]):
        self.view = view
        self.excluded = excluded          # URLs matching gave to another item or rejected for this one
        self.by_url: dict[str, Evidence] = {}
        self.columns_done: set[int] = set()   # a list's entries can link other lists (or itself)

    def add(self, ev: Evidence) -> None:
        if ev.url in self.excluded:
            return
        old = self.by_url.get(ev.url)
        if old is None or (ev.date and (old.date is None or ev.date > old.date)):
            if old is not None and old.via and not ev.via:
                ev.via = old.via
            self.by_url[ev.url] = ev

    # a page of any kind, dispatched on what the crawler found it to be
    def from_page(self, page: history.AssessPage, via: str | None, fallback: tuple[str | None, str | None] = (None, None)) -> None:
        kind = page.get("kind") or "other"
        if kind == "list":
            self.from_column(page)
        elif kind == "attachment":
            self.from_file(page, via, fallback)
        else:
            self.from_article(page, via, fallback)

    def from_column(self, page: history.AssessPage) -> None:
        view = self.view
        root_id = page.get("list_root_id") or page["id"]
        if root_id in self.columns_done:
            return
        self.columns_done.add(root_id)
        root = view.page(page_id=root_id) or page
        column_url = root["url"]
        dated = False
        for e in view.entries(root_id):
            if e["url"] in self.excluded:
                continue
            entry_date = (e["date"][:10], e["date_source"] or "list") if view.date_ok(e["date"]) else (None, None)
            target = view.page(url=e["url"])
            if target is not None and (target["id"] == root_id or target.get("kind") == "list"):
                # a link to another column (a pointer to the unit site's column): its entries count;
                # the link itself is not content
                self.from_column(target)
                dated = dated or any(ev.date for ev in self.by_url.values())
                continue
            if target is not None:
                self.from_page(target, column_url, entry_date)
                ev = self.by_url.get(e["url"])
                if ev is not None:
                    ev.title = ev.title or e["title"]
                    dated = dated or ev.date is not None
                    continue
                if view.page_not_yet(target):
                    continue
            elif view.not_yet_published(e, [(e["date"], None)]):
                continue
            self.add(Evidence(url=e["url"], title=e["title"], date=entry_date[0], date_source=entry_date[1],
                              kind="entry", page_id=target["id"] if target else None, via=column_url))
            dated = dated or entry_date[0] is not None
        # files linked straight from the list page
        for a in view.attachments_of(root_id):
            self._attachment_row(a, column_url, (None, None))
        if not view.entries(root_id) and view.page_dates(root):
            # No entries known yet but the URL carried dates: a column with a single article renders
            # as that article (WebPlus) until a second one turns it into a list.
            self.from_article(root, None, (None, None))
            return
        if not dated:
            # Entries without dates: a change of the list itself is the best evidence we have.
            for d, src in view.observed_changes(root):
                self.add(Evidence(url=column_url, title=root.get("column_name") or root.get("title"), date=d,
                                  date_source=src, kind="column", page_id=root["id"]))

    def from_article(self, page: history.AssessPage, via: str | None, fallback: tuple[str | None, str | None]) -> None:
        view = self.view
        # The page's own dates are authoritative; the date its list row shows is the fallback
        # (short list dates such as [12-04] need a guessed year), then an observed change.
        own, listed = view.own_dates(page), view.listed_dates(page["url"])
        if view.not_yet_published(page, own or listed):
            return
        dates = [x for x in own if view.date_ok(x[0])]
        if not dates:
            dates = [x for x in listed if view.date_ok(x[0])]
        if not dates and fallback[0]:
            dates = [(fallback[0], fallback[1])]
        if not dates:
            dates = view.observed_changes(page)
        d, src = _newest(dates)
        self.add(Evidence(url=page["url"], title=page.get("title"), date=d, date_source=src, kind="article",
                          page_id=page["id"], via=via))
        for a in view.attachments_of(page["id"]):
            linking = (d, "linking") if d and src != "observed" else (None, None)
            self._attachment_row(a, via or page["url"], linking)

    def _attachment_row(self, a: history.AttachmentRow, via: str | None, linking: tuple[str | None, str | None]) -> None:
        file_page = self.view.page(page_id=a["file_page_id"]) if a.get("file_page_id") else self.view.page(url=a["url"])
        if file_page is not None:
            self.from_file(file_page, via, linking, name=a.get("name"))
        else:
            self.add(Evidence(url=a["url"], title=a.get("name"), date=linking[0], date_source=linking[1],
                              kind="attachment", page_id=None, via=via))

    def from_file(self, page: history.AssessPage, via: str | None, linking: tuple[str | None, str | None], *,
                  name: str | None = None) -> None:
        view = self.view
        # The date of the article/entry linking the file, or the file's own date (document
        # metadata) when that is newer: a new file added to an old article is a change of the item.
        d, src = linking
        if d is None:
            for p in view.linking_pages(page):
                pd, _ = _newest(view.page_dates(p))
                if pd and (d is None or pd > d):
                    d, src = pd, "linking"
        if d is None:
            if view.page_not_yet(page):
                return
            d, src = _newest(x for x in view.listed_dates(page["url"]) if view.date_ok(x[0]))
        own = view.page_dates(page)
        if d is not None:
            # a server's Last-Modified alone is too weak to move a dated page's evidence forward
            own = [x for x in own if x[1] != "http"]
        od, osrc = _newest(own)
        if od is not None and (d is None or od > d):
            d, src = od, osrc
        if d is None:
            d, src = _newest(view.observed_changes(page))
        self.add(Evidence(url=page["url"], title=name or page.get("title"), date=d, date_source=src,
                          kind="attachment", page_id=page["id"], via=via))


# ---------------------------------------------------------------- assessment

def assess_all(db: Any, cfg: Any, as_of: date | None = None, *, known_by: date | None = None) -> list[ItemStatus]:
    """Every applicable catalog item's status as of ``as_of`` (default: the clock's today).

    The status, due date and evidence are those of ``as_of`` (evidence dated after it is ignored),
    judged with what the store knew by ``known_by`` (default: ``as_of``, an honest replay of that
    day). ``known_by=today`` with an earlier ``as_of`` is the annual report's view: the status at
    the year's end with pages first fetched after it, when their dates fall inside the year.
    """
    as_of = as_of or clock.today()
    view = _View(db, as_of, known_by)
    matches = [m for m in rows(db, "SELECT * FROM matches ORDER BY id")]
    by_item: dict[str, list[dict]] = {}
    counted_urls: dict[str, set[str]] = {}
    for m in matches:
        by_item.setdefault(m["item_id"], []).append(m)
        if m["state"] in COUNTED_STATES:
            counted_urls.setdefault(m["url"], set()).add(m["item_id"])
    return [_assess_item(view, cfg, it, by_item.get(it.id, []), counted_urls)
            for it in cfg.catalog_obj.items if not it.ignore]


def _gather(view: _View, coll: _Collector, targets: list[tuple[Mapping[str, Any], str | None]],
            columns: list[str], seen_pages: set[int]) -> list[Mapping[str, Any]]:
    """Collect the evidence behind matched targets into ``coll``; returns the matched pages known on the
    day (extending ``columns`` with the columns among them)."""
    matched_pages: list[Mapping[str, Any]] = []
    for m, target in targets:
        page = view.page(page_id=m["page_id"]) if m.get("page_id") else view.page(url=m["url"])
        if page is None:
            if target == "entry":
                # an entry whose article was never fetched: its list row is the evidence
                for e in view.entries_for_url(m["url"]):
                    if view.not_yet_published(e, [(e["date"], None)]):
                        continue
                    d = e["date"] if view.date_ok(e["date"]) else None
                    coll.add(Evidence(url=e["url"], title=e["title"], date=d[:10] if d else None,
                                      date_source=(e["date_source"] or "list") if d else None, kind="entry"))
                    matched_pages.append({"id": None, "fail_count": 0})
            continue
        if page["id"] in seen_pages:
            continue
        seen_pages.add(page["id"])
        matched_pages.append(page)
        if target == "column" or page.get("kind") == "list":
            url = page["url"]
            if page.get("list_root_id"):
                root = view.page(page_id=page["list_root_id"])
                url = root["url"] if root else url
            if url not in columns:
                columns.append(url)
        coll.from_page(page, None)
    return matched_pages


def _dated(evidence: Iterable[Evidence]) -> list[Evidence]:
    """The evidence that dates an item, newest first. A page without a visible date counts as not
    updated (inspection rules): an observed change only dates the item when nothing else does."""
    found = sorted(sorted((e for e in evidence if e.date), key=lambda e: e.url),
                   key=lambda e: (e.date or "", _KIND_PREFERENCE.get(e.kind, 0)), reverse=True)
    if any(e.date_source != "observed" for e in found):
        found = [e for e in found if e.date_source != "observed"]
    return found


def _assess_item(view: _View, cfg: Any, it: Any, matches: list[dict], counted_urls: dict[str, set[str]]) -> ItemStatus:
    counted = [m for m in matches if m["state"] in COUNTED_STATES]
    elsewhere = {u for u, items in counted_urls.items() if it.id not in items}   # counted for another item
    # Nothing counted and no configured column: the candidates awaiting review stand in, provisionally.
    review = [] if counted or it.columns else \
        [m for m in matches if m["state"] == CANDIDATE_STATE and m["url"] not in elsewhere]
    own_urls = {m["url"] for m in counted + review}
    excluded = {m["url"] for m in matches if m["state"] not in COUNTED_STATES} - own_urls
    excluded |= elsewhere
    coll = _Collector(view, excluded)

    columns: list[str] = list(it.columns)
    seen_pages: set[int] = set()
    targets = [(m, m.get("target")) for m in counted] + [({"url": u, "page_id": None}, "column") for u in it.columns]
    matched_pages = _gather(view, coll, targets, columns, seen_pages)
    candidates: list[Candidate] = []
    for m in review:
        # Each candidate on its own first, so its newest date can be shown beside it.
        own = _Collector(view, excluded)
        found = _gather(view, own, [(m, m.get("target"))], columns, set())
        if not found:
            continue   # not known on the day
        for p in found:
            if p["id"] is None or p["id"] not in seen_pages:
                matched_pages.append(p)
                if p["id"] is not None:
                    seen_pages.add(p["id"])
        for ev in own.by_url.values():
            coll.add(replace(ev))
        newest = _dated(own.by_url.values())
        page = view.page(page_id=m["page_id"]) if m.get("page_id") else view.page(url=m["url"])
        title = (page.get("column_name") or page.get("title")) if page else None
        if title is None:
            title = next((e["title"] for e in view.entries_for_url(m["url"]) if e["title"]), None)
        candidates.append(Candidate(
            match_id=m.get("id"), url=m["url"], title=title, target=m.get("target") or "column",
            score=m.get("score"), method=m.get("method"), reason=m.get("reason"),
            newest=newest[0].date if newest else None, newest_source=newest[0].date_source if newest else None))
    provisional = bool(candidates)

    # newest first; on the same day the page itself is a better source than a file it links
    evidence = sorted(sorted(coll.by_url.values(), key=lambda e: e.url),
                      key=lambda e: (e.date or "", _KIND_PREFERENCE.get(e.kind, 0)), reverse=True)
    dated = _dated(evidence)
    last, last_src = (dated[0].date, dated[0].date_source) if dated else (None, None)
    rule = it.rule
    base = dict(id=it.id, category=it.category, category_name=it.category_name, title=it.title, short=it.short,
                unit=it.unit, unit_name=cfg.unit_name(it.unit), rule=rule.to_dict(), rule_text=rule.describe(),
                last_changed=last, last_changed_source=last_src, evidence=evidence, columns=columns,
                provisional=provisional, candidates=candidates)

    def result(status: str, reason: str, due: date | None = None) -> ItemStatus:
        if provisional:
            reason = PROVISIONAL_REASON + reason
        return ItemStatus(status=status, reason=reason, due=due.isoformat() if due else None, **base)

    walled = view.browser_walls.get(it.unit or "") if it.unit else None
    if not matched_pages and walled:
        # the unit's site answers a plain fetch with a challenge: not an absence, a page we could not read
        return result("unreachable", f"{cfg.unit_name(it.unit)}网站有{len(walled)}个页面需要浏览器才能读取"
                      f"（{RENDER.label.get(walled[0]['needs_browser'] or '', '')}），本次未渲染，未能确认该事项")
    if not matched_pages:
        return result("missing", "未找到对应的栏目或页面")
    failures = [view.failure(p) for p in matched_pages]
    first = failures[0]   # matched_pages is not empty here
    if first is not None and all(failures):
        status, error = first
        what = f"HTTP {status}" if status else (error or "网络错误")
        return result("unreachable", f"对应的{len(matched_pages)}个页面最近{FAILING_SCANS}次访问均失败（{what}）")
    scripted = [p for p in matched_pages if p.get("needs_browser")]
    if not evidence and scripted:
        return result("unreachable", f"对应的{len(scripted)}个栏目页需要浏览器才能读取"
                      f"（{RENDER.label.get(scripted[0]['needs_browser'] or '', '')}），本次未渲染，不计为空白栏目")
    if not evidence:
        if rule.kind == "event":
            return result("ok", "事件类栏目暂无内容，无事件时无需更新")
        return result("blank", f"栏目（{len(columns)}个）没有任何内容" if columns else "对应页面没有任何内容")
    if not dated:
        if rule.kind in ("static", "event"):
            why = "长期有效事项，页面未标注日期" if rule.kind == "static" else "事件类，页面未标注日期，无事件时无需更新"
            return result("ok", why)
        return result("undated", f"找到{len(evidence)}条内容，但都没有可识别的发布日期")
    verdict = evaluate(rule, [date.fromisoformat(e.date) for e in dated if e.date], view.as_of, changes=it.changes)
    return result(verdict.status, verdict.reason, verdict.due)


def store_assessments(db: Any, statuses: Iterable[ItemStatus], as_of: date, scan_id: int | None) -> None:
    """Upsert one row per item for the day (the dashboard's history chart and notifications read them)."""
    now = clock.now_iso()
    payload = [(s.id, as_of.isoformat(), scan_id, s.status, s.reason, s.last_changed, s.last_changed_source,
                s.due, s.unit, now, int(s.provisional)) for s in statuses]
    db.conn.executemany(
        """INSERT INTO assessments (item_id, as_of, scan_id, status, reason, last_changed, last_changed_source,
                                    due, unit, computed_at, provisional)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(item_id, as_of) DO UPDATE SET scan_id=excluded.scan_id, status=excluded.status,
               reason=excluded.reason, last_changed=excluded.last_changed,
               last_changed_source=excluded.last_changed_source, due=excluded.due, unit=excluded.unit,
               computed_at=excluded.computed_at, provisional=excluded.provisional""",
        payload,
    )


def status_to_json(s: ItemStatus) -> dict:
    """The JSON form used by `xxgk status --json` (and other programs)."""
    return {
        "id": s.id, "category": s.category, "category_name": s.category_name, "title": s.title, "short": s.short,
        "unit": s.unit, "unit_name": s.unit_name, "status": s.status, "status_label": s.status_label,
        "reason": s.reason, "last_changed": s.last_changed, "last_changed_source": s.last_changed_source,
        "due": s.due, "rule": s.rule, "rule_text": s.rule_text, "columns": list(s.columns),
        "evidence": [{"url": e.url, "title": e.title, "date": e.date, "date_source": e.date_source,
                      "kind": e.kind, "via": e.via} for e in s.evidence],
        "provisional": s.provisional,
        "candidates": [candidate_to_json(c) for c in s.candidates],
    }


def candidate_to_json(c: Candidate) -> dict:
    return {"match_id": c.match_id, "url": c.url, "title": c.title, "target": c.target, "score": c.score,
            "method": c.method, "reason": c.reason, "newest": c.newest, "newest_source": c.newest_source}


def counts(statuses: Iterable[ItemStatus]) -> dict[str, int]:
    """Number of items per status, most urgent first."""
    out = {k: 0 for k in STATUS_BY_URGENCY}
    for s in statuses:
        out[s.status] = out.get(s.status, 0) + 1
    return out


__all__ = ["Candidate", "Evidence", "ItemStatus", "assess_all", "candidate_to_json", "store_assessments",
           "status_to_json", "counts"]
