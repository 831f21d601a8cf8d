"""Ground truth (docs/architecture.md, "Testbed ground truth") for one as-of day."""
from __future__ import annotations

from datetime import date

from monitor.testbed.cms.guarded import GuardedSite
from monitor.testbed.estate import Estate
from monitor.testbed.layout import SCHOOL, UNITS
from monitor.testbed.oracle import judge

REPORT_PERIOD = (date(2018, 9, 1), date(2019, 8, 31))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def item_evidence(estate: Estate, item: str, as_of: date) -> list[dict]:
    out: list[dict] = []
    for site, col in estate.item_columns(item):
        if col.mode == "page":
            out.append({"url": site.url(site.column_path(col)), "title": col.title, "date": None,
                        "kind": "article", "event": "undated"})
    for doc in estate.item_docs(item):
        if not doc.visible(as_of):
            continue
        site = estate.sites[doc.column.site]  # type: ignore[union-attr]
        url = site.url(site.doc_url_path(doc, as_of))
        if doc.login_wall:
            out.append({"url": url, "title": doc.title, "date": _iso(doc.published), "kind": "entry",
                        "event": "published", "list": site.url(site.column_path(doc.column))})  # type: ignore[arg-type]
            continue
        out.append({"url": url, "title": doc.title, "date": _iso(doc.published), "kind": "article", "event": "published"})
        for e in doc.edits_at(as_of):
            if e.labelled:
                out.append({"url": url, "title": doc.title, "date": _iso(e.on), "kind": "article", "event": "updated"})
        for a in doc.attachments_at(as_of):
            out.append({"url": site.url(a.path), "title": a.name, "date": _iso(a.added), "kind": "attachment",
                        "event": "added", "article": url})
    out.sort(key=lambda e: (e["date"] or "", e["url"]))
    return out


def assess_item(estate: Estate, item_id: str, as_of: date) -> dict:
    item = estate.catalog.items[item_id]
    cols = estate.item_columns(item_id)
    evidence = item_evidence(estate, item_id, as_of)
    dates = [date.fromisoformat(e["date"]) for e in evidence if e["date"]]
    has_content = bool(evidence)
    changes = [c for c in estate.changes.get(item_id, [])]
    rule = dict(item.rule)
    if changes:
        rule["changes"] = [c.isoformat() for c in changes]
    v = judge(item.rule, as_of, has_column=bool(cols), has_content=has_content, dates=dates, changes=changes)
    column_urls = []
    for site, col in cols:
        column_urls.append(site.url(site.column_path(col)))
    return {
        "title": item.title, "short": item.short, "category": item.category, "unit": item.unit, "rule": rule,
        "columns": column_urls, "evidence": evidence, "last_changed": _iso(v.last_changed),
        "status": v.status, "due": _iso(v.due), "scenario": estate.notes.get(item_id, ""),
    }


def updated_in_period(items: dict[str, dict], period: tuple[date, date] = REPORT_PERIOD) -> list[str]:
    lo, hi = (d.isoformat() for d in period)
    return [i for i, it in items.items() if any(e["date"] and lo <= e["date"] <= hi for e in it["evidence"])]


def pii_leaks(estate: Estate, as_of: date) -> list[dict]:
    """Every piece of personal data published in full on `as_of`, one entry per (url, kind, value):
    `url` the page or file, `article` the page that links the file, `kind`, `masked` (the only form a
    product may show), `location` (`html`, `pdf page 2`, `xlsx 录取名单!D3`, `docx table 1 row 4`),
    and per document `kinds` and `people` (the number of persons listed)."""
    from monitor.testbed.files import locate

    out = []
    for site in estate.sites.values():
        for d in site.docs():
            if not d.visible(as_of):
                continue
            article = site.url(site.doc_url_path(d, as_of))
            people = max(0, len(d.table) - 1)
            for leak in d.leaks:
                out.append({"url": article, "article": article, "kind": leak.kind, "masked": leak.masked,
                            "location": "html", "kinds": list(d.pii), "people": people})
            for a in d.attachments_at(as_of):
                people = sum("|" in x for x in a.lines) - 1
                for leak in a.leaks:
                    out.append({"url": site.url(a.path), "article": article, "kind": leak.kind, "masked": leak.masked,
                                "location": locate(a, leak.value), "kinds": list(d.pii), "people": people})
    return sorted(out, key=lambda x: (x["url"], x["location"], x["kind"]))


def pii_decoys(estate: Estate, as_of: date) -> list[dict]:
    """Look-alikes published on `as_of` that are not personal data (no finding may name them):
    `url` and the `text` as published."""
    out = []
    for site in estate.sites.values():
        for d in site.docs():
            if not d.visible(as_of):
                continue
            out += [{"url": site.url(site.doc_url_path(d, as_of)), "text": t} for t in d.decoys]
            for a in d.attachments_at(as_of):
                out += [{"url": site.url(a.path), "text": t} for t in a.decoys]
    return sorted(out, key=lambda x: (x["url"], x["text"]))


def full_values(estate: Estate, as_of: date) -> list[str]:
    """The leaked values in full: what must never appear in anything the product writes (tests only)."""
    return sorted({leak.value for s in estate.sites.values() for d in s.docs() if d.visible(as_of)
                   for leak in d.leaks + [x for a in d.attachments_at(as_of) for x in a.leaks]})


def list_rows(estate: Estate, as_of: date) -> list[dict]:
    """Every row of every list page on `as_of` as a person reads it: `list` (the page), `column` (its
    column's first page), `url` (what the row links), `date` (the date the row shows, None when the list
    shows none). Not part of ground_truth() (whose shape the fixed estate keeps)."""
    out = []
    for site in estate.sites.values():
        for p in site.pages(as_of):
            if p.kind != "list":
                continue
            assert p.column is not None
            column = site.url(site.column_path(site.column_by_key(p.column), 1, as_of))
            for path, day in p.rows:
                out.append({"list": site.url(p.path), "column": column, "url": site.url(path), "date": _iso(day)})
    return out


def ground_truth(estate: Estate, as_of: date) -> dict:
    sites = {}
    for key, site in estate.sites.items():
        sites[key] = {"url": site.url("/"), "name": site.name, "cms": site.cms, "encoding": site.encoding,
                      "header_charset": site.header_charset, "unit": site.unit, "home": site.url(site.home_path)}
        if isinstance(site, GuardedSite):
            sites[key]["challenge"] = True     # every page behind an anti-bot challenge (cms/guarded.py)
    units = {u.id: {"name": u.name, "sites": [k for k, s in estate.sites.items() if s.unit == u.id]} for u in UNITS}
    items = {i: assess_item(estate, i, as_of) for i in estate.catalog.items}
    pages = []
    for key, site in estate.sites.items():
        for p in site.pages(as_of):
            pages.append({"url": site.url(p.path), "site": key, "kind": p.kind, "title": p.title,
                          "published": _iso(p.published), "published_source": p.published_source,
                          "updated": _iso(p.updated), "item": p.item, "items": p.items})
    updated = updated_in_period(items)
    extra = {}
    if estate.browser_sites:
        # {url: "challenge" | "scripted_list"}: the pages a plain fetch cannot read (the fixed truth has no such key)
        extra["needs_browser"] = dict(sorted(
            (url, why) for s in estate.sites.values() if isinstance(s, GuardedSite)
            for url, why in s.needs_browser(as_of).items()))
    return {
        "as_of": as_of.isoformat(),
        "school": SCHOOL,
        "profile": estate.profile,
        "sites": sites,
        "units": units,
        "catalog": str(estate.catalog_path) if estate.catalog_path else "(generated catalog, not written yet)",
        "items": items,
        "pages": pages,
        "never_fetch": sorted(u for s in estate.sites.values() for u in s.never_fetch(as_of)),
        "robots_disallowed": sorted(u for s in estate.sites.values() for u in s.robots_disallowed(as_of)),
        "traps": sorted(u for s in estate.sites.values() for u in s.traps()),
        "broken_links": sorted(u for s in estate.sites.values() for u in s.broken_links(as_of)),
        "intranet": sorted(u for s in estate.sites.values() for u in s.intranet_links(as_of)),
        "link_categories": estate.link_categories(as_of),
        "pii": pii_leaks(estate, as_of),
        "pii_decoys": pii_decoys(estate, as_of),
        "pii_masked": sorted(s.url(s.doc_url_path(d, as_of)) for s in estate.sites.values() for d in s.docs()
                             if d.pii_masked and d.visible(as_of)),
        "report_period": {"start": REPORT_PERIOD[0].isoformat(), "end": REPORT_PERIOD[1].isoformat(),
                          "updated": len(updated), "not_updated": len(items) - len(updated),
                          "not_updated_items": [i for i in items if i not in updated]},
        **extra,
    }
