"""`python -m monitor.testbed.evaluate --seeds 1000-1049`: the product against generated estates.

For each seed: a generated simulated university (``Testbed(layouts="generated")``, variants.py) is
served on 127.0.0.1, its config and school catalog are written, the product's real scan runs on it
(``monitor.scan.run_scan`` on the loaded config, the path ``xxgk scan`` takes: crawl subprocess,
matching, assessment), and what the store and the assessment say is compared with the ground truth:

- evidence precision / recall: ``monitor.matching.evaluate.evaluate_matching`` (columns and evidence
  URLs of every item);
- last-changed: items whose assessed last-changed date equals the truth's (also: status right);
- list rows: every dated row of every list page of the truth, stored as an entry of its column with
  the date the row shows;
- article dates: every dated article of the truth, stored with that publication date (and pages that
  show no date, stored without a shown date); page kinds as a side figure;
- the annual report 2018-2019: updated / not updated items by the product's report model
  (``monitor.report.build_report``) against ``truth["report_period"]``.

Seeds run in parallel worker processes (``-j``); ``-v`` prints, per seed, the drawn layouts and the
worst misses (what was expected, what was found); ``--json`` writes every figure and miss.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
from pathlib import Path
from typing import Any

REPORT_YEAR = "2018-2019"
SHOWN = 12          # misses printed per kind and seed with -v
# Date sources that are not a date the page shows (the product's fallbacks).
NOT_SHOWN = {"http", "observed", None}


def parse_seeds(text: str) -> list[int]:
    """``1000-1049``, ``7``, ``1,2,5-8``."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            if int(hi) < int(lo):
                raise ValueError(f"empty seed range {part!r}")
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    if not out:
        raise ValueError(f"no seeds in {text!r}")
    return out


def _ratio(hit: int, total: int) -> float | None:
    return round(hit / total, 4) if total else None


# --------------------------------------------------------------------------- one seed

def layout_summary(estate: Any) -> dict[str, str]:
    """What each site drew (for reading a seed's misses)."""
    out = {}
    for key, site in estate.sites.items():
        look = site.look
        lst, art = look.list, look.article
        heading = "+year heading" if lst.year_heading else ""
        label = f" {art.label.replace('&nbsp;', ' ').strip()}" if art.kind == "label" else ""
        clock = f" {art.clock}" if art.clock else ""
        out[key] = (f"{site.cms}: list {lst.shape} {lst.date_fmt}{heading} pager={lst.pager} per_page={lst.per_page}; "
                    f"article {art.kind}{label} {art.date_fmt}{clock}; charset={look.charset}"
                    + (f"; {len(look.columns)} column styles" if look.columns and site.cms == "portal" else ""))
    plan = estate.plan
    out["catalog"] = ", ".join(
        f"{parent} → {'/'.join(parts)}"
        + (" (own keywords)" if all("keywords" in p for p in plan.data["split"][parent]) else
           " (bare)" if not any("keywords" in p for p in plan.data["split"][parent]) else " (mixed)")
        for parent, parts in plan.parts.items()) or "no splits"
    return out


def _entries(db: Any) -> dict[str, list[dict]]:
    from monitor.matching.crawl import eval_key
    from monitor.store import rows

    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows(db, "SELECT e.url, e.date, e.date_source, l.url AS list_url, s.url AS source_url "
                      "FROM entries e JOIN pages l ON l.id = e.list_page_id "
                      "LEFT JOIN pages s ON s.id = e.source_page_id"):
        r["list_key"] = eval_key(r["list_url"])
        r["source_key"] = eval_key(r["source_url"]) if r["source_url"] else None
        out[eval_key(r["url"])].append(r)
    return out


def compare(db: Any, cfg: Any, truth: dict, truth_rows: list[dict], as_of: date) -> dict:
    """Every figure of one scanned seed, with its misses."""
    from monitor.assess import assess_all
    from monitor.matching.crawl import eval_key
    from monitor.matching.evaluate import evaluate_matching
    from monitor.store import rows

    out: dict[str, Any] = {}
    m = evaluate_matching(db, truth)
    out["evidence"] = {k: m[k] for k in ("precision", "recall", "true_positives", "false_positives", "missed",
                                         "missed_not_crawled", "truth", "predicted")}
    titles = {eval_key(e["url"]): (e.get("title"), e.get("date")) for it in truth["items"].values()
              for e in it["evidence"]}
    misses = []
    for err in m["errors"]:
        title, day = titles.get(err["url"], (None, None))
        misses.append({**err, "title": title, "date": day})
    out["evidence_misses"] = misses

    statuses = {s.id: s for s in assess_all(db, cfg, as_of)}
    lc_right = st_right = 0
    lc_wrong = []
    for iid, it in truth["items"].items():
        s = statuses.get(iid)
        found, source, status = (s.last_changed, s.last_changed_source, s.status) if s else (None, None, None)
        found = str(found)[:10] if found else None
        st_right += status == it["status"]
        if found == it["last_changed"]:
            lc_right += 1
        else:
            lc_wrong.append({"item": iid, "title": it.get("short") or it["title"], "expected": it["last_changed"],
                             "found": found, "source": source, "status": status, "expected_status": it["status"]})
    n_items = len(truth["items"])
    out["last_changed"] = {"right": lc_right, "items": n_items, "ratio": _ratio(lc_right, n_items)}
    out["status"] = {"right": st_right, "items": n_items, "ratio": _ratio(st_right, n_items)}
    out["last_changed_wrong"] = lc_wrong

    entries = _entries(db)
    dated = [r for r in truth_rows if r["date"]]
    row_hits = 0
    row_misses: dict[str, list[dict]] = defaultdict(list)
    for r in dated:
        cands = [e for e in entries.get(eval_key(r["url"]), [])
                 if e["list_key"] == eval_key(r["column"]) or e["source_key"] == eval_key(r["list"])]
        if any(e["date"] == r["date"] for e in cands):
            row_hits += 1
            continue
        got = cands[0] if cands else None
        row_misses[r["list"]].append({"url": r["url"], "expected": r["date"],
                                      "found": got["date"] if got else None,
                                      "source": got["date_source"] if got else None,
                                      "stored": got is not None})
    out["list_rows"] = {"right": row_hits, "rows": len(dated), "ratio": _ratio(row_hits, len(dated)),
                        "undated_rows": len(truth_rows) - len(dated)}
    out["list_row_misses"] = [{"list": k, "wrong": len(v), "rows": sum(1 for r in dated if r["list"] == k),
                               "examples": v[:3]} for k, v in sorted(row_misses.items(), key=lambda kv: -len(kv[1]))]

    stored = {eval_key(p["url"]): p for p in rows(db, "SELECT url, kind, published, published_source FROM pages")}
    art_right = art_total = undated_right = undated_total = kind_right = 0
    art_wrong, kind_wrong = [], []
    for p in truth["pages"]:
        got = stored.get(eval_key(p["url"]))
        if got and got["kind"] == p["kind"]:
            kind_right += 1
        elif p["kind"] in ("article", "list"):
            kind_wrong.append({"url": p["url"], "expected": p["kind"], "found": got["kind"] if got else None,
                               "title": p["title"]})
        if p["kind"] != "article":
            continue
        if p["published"] is None:
            undated_total += 1
            undated_right += bool(got) and (got["published"] is None or got["published_source"] in NOT_SHOWN)
            continue
        art_total += 1
        if got and got["published"] == p["published"]:
            art_right += 1
        else:
            art_wrong.append({"url": p["url"], "title": p["title"], "expected": p["published"],
                              "expected_source": p["published_source"], "found": got["published"] if got else None,
                              "source": got["published_source"] if got else None, "crawled": bool(got)})
    out["article_dates"] = {"right": art_right, "articles": art_total, "ratio": _ratio(art_right, art_total),
                            "undated_right": undated_right, "undated": undated_total}
    out["article_date_wrong"] = art_wrong
    n_pages = len(truth["pages"])
    out["page_kinds"] = {"right": kind_right, "pages": n_pages, "ratio": _ratio(kind_right, n_pages)}
    out["page_kind_wrong"] = kind_wrong

    out["report"] = report_counts(db, cfg, truth, as_of)
    return out


def report_counts(db: Any, cfg: Any, truth: dict, as_of: date) -> dict:
    from monitor.report import AcademicYear, ReportError, build_report

    period = truth["report_period"]
    want = {"updated": period["updated"], "not_updated": period["not_updated"]}
    try:
        rep = build_report(db, cfg, AcademicYear.parse(REPORT_YEAR), today=as_of)
    except ReportError as exc:
        return {"truth": want, "found": None, "exact": False, "error": str(exc)}
    found = {"updated": rep.summary.updated, "not_updated": rep.summary.not_updated}
    not_updated = sorted(r.item_id for r in rep.items if not r.updated_in_year)
    return {"truth": want, "found": found, "exact": found == want,
            "not_updated_truth": list(period["not_updated_items"]), "not_updated_found": not_updated}


def quiet_output(logfile: Path) -> None:
    """Send this worker's output (and the crawl subprocess's, which inherits it) to a log file."""
    fd = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def evaluate_seed(seed: int, as_of_text: str, workdir: str, quiet: bool = True) -> dict:
    """Serve, configure, scan and compare one generated seed (runs in a worker process)."""
    from monitor.config import load_config
    from monitor.core import clock
    from monitor.scan import run_scan
    from monitor.store import open_db
    from monitor.testbed import Testbed
    from monitor.testbed.truth import list_rows

    as_of = date.fromisoformat(as_of_text)
    work = Path(workdir) / f"seed-{seed}"
    work.mkdir(parents=True, exist_ok=True)
    if quiet:
        quiet_output(work / "scan.log")
    os.environ["XXGK_PROGRESS"] = "0"
    t0 = time.perf_counter()
    clock.set_now(f"{as_of.isoformat()}T03:00")
    with Testbed(as_of=as_of, seed=seed, layouts="generated") as tb:
        cfg_path = tb.write_config(work / "xxgk.yaml", database=str(work / "xxgk.db"))
        cfg = load_config(cfg_path)
        scan = run_scan(cfg, trigger="cli")
        truth = tb.ground_truth()
        result: dict[str, Any] = {"seed": seed, "as_of": as_of.isoformat(), "scan": scan.status,
                                  "pages_fetched": scan.row["pages_fetched"], "layouts": layout_summary(tb.estate)}
        if scan.status == "done":
            db = open_db(cfg.database_target)
            result.update(compare(db, cfg, truth, list_rows(tb.estate, as_of), as_of))
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result


# --------------------------------------------------------------------------- figures

FIGURES = [  # (label, key, numerator, denominator)
    ("evid.P", "evidence", "true_positives", "predicted"),
    ("evid.R", "evidence", "true_positives", "truth"),
    ("last-chg", "last_changed", "right", "items"),
    ("status", "status", "right", "items"),
    ("rows", "list_rows", "right", "rows"),
    ("art-date", "article_dates", "right", "articles"),
    ("kinds", "page_kinds", "right", "pages"),
]


def _fig(r: dict, key: str, num: str, den: str) -> str:
    part = r.get(key)
    if not part or not part.get(den):
        return "  n/a "
    return f"{part[num] / part[den]:6.3f}"


def _report_cell(r: dict) -> str:
    rep = r.get("report")
    if not rep:
        return "n/a"
    t = rep["truth"]
    if rep["found"] is None:
        return f"error (truth {t['updated']}/{t['not_updated']})"
    f = rep["found"]
    mark = "=" if rep["exact"] else "≠"
    return f"{f['updated']}/{f['not_updated']} {mark} {t['updated']}/{t['not_updated']}"


def header_line() -> str:
    return "seed  " + " ".join(f"{label:>8}" for label, *_ in FIGURES) + "   report upd/not (truth)   pages   s"


def seed_line(r: dict) -> str:
    if r.get("scan") != "done":
        return f"{r['seed']:<5} scan {r.get('scan')} ({r.get('error', '')})"
    figs = " ".join(f"{_fig(r, k, n, d):>8}" for _, k, n, d in FIGURES)
    return f"{r['seed']:<5} {figs}   {_report_cell(r):<24} {r['pages_fetched']:>5} {r['seconds']:>5}"


def overall(results: list[dict]) -> dict:
    done = [r for r in results if r.get("scan") == "done"]
    out: dict[str, Any] = {"seeds": len(results), "scanned": len(done)}
    for label, key, num, den in FIGURES:
        n = sum(r[key][num] for r in done)
        d = sum(r[key][den] for r in done)
        out[label] = _ratio(n, d)
    reports = [r["report"] for r in done]
    out["report_exact"] = sum(1 for x in reports if x["exact"])
    out["undated_articles_right"] = f"{sum(r['article_dates']['undated_right'] for r in done)}/" \
                                    f"{sum(r['article_dates']['undated'] for r in done)}"
    return out


def overall_line(o: dict) -> str:
    figs = " ".join(f"{o[label]:8.3f}" if o[label] is not None else "     n/a" for label, *_ in FIGURES)
    return f"{'all':<5} {figs}   exact on {o['report_exact']}/{o['scanned']} seeds"


def verbose_lines(r: dict) -> list[str]:
    out = [f"--- seed {r['seed']} ({r['as_of']})"]
    for key, text in r.get("layouts", {}).items():
        out.append(f"  layout {key:<7} {text}")
    if r.get("scan") != "done":
        return out
    ev = r["evidence_misses"]
    missed = [e for e in ev if e["type"] == "missed"]
    fps = [e for e in ev if e["type"] == "false_positive"]
    if missed:
        out.append(f"  evidence missed ({len(missed)}):")
        for e in missed[:SHOWN]:
            where = "not crawled" if not e["crawled"] else (f"state {e['state']}" if e["state"] else "no match") + \
                (f", matched as {','.join(e['matched_as'])}" if e["matched_as"] else "")
            out.append(f"    item {e['item']:<5} {e['url']}  {e.get('title') or ''} {e.get('date') or ''} — {where}")
    if fps:
        out.append(f"  evidence false positives ({len(fps)}):")
        for e in fps[:SHOWN]:
            out.append(f"    item {e['item']:<5} {e['url']} (truth: {','.join(e['expected']) or 'no item'}; "
                       f"{e['method']} {e['score']}) {e.get('reason') or ''}"[:220])
    if r["last_changed_wrong"]:
        out.append(f"  last-changed wrong ({len(r['last_changed_wrong'])}):")
        for e in r["last_changed_wrong"][:SHOWN]:
            out.append(f"    item {e['item']:<5} {e['title'][:18]:<18} expected {e['expected']} ({e['expected_status']}), "
                       f"found {e['found']} via {e['source']} ({e['status']})")
    if r["list_row_misses"]:
        total = sum(x["wrong"] for x in r["list_row_misses"])
        out.append(f"  list rows wrong ({total} on {len(r['list_row_misses'])} pages):")
        for x in r["list_row_misses"][:SHOWN]:
            ex = x["examples"][0]
            found = f"stored with {ex['found']} ({ex['source']})" if ex["stored"] else "not stored"
            out.append(f"    {x['wrong']}/{x['rows']} {x['list']}  e.g. {ex['url']} expected {ex['expected']}, {found}")
    if r["article_date_wrong"]:
        out.append(f"  article dates wrong ({len(r['article_date_wrong'])}):")
        for e in r["article_date_wrong"][:SHOWN]:
            found = f"{e['found']} ({e['source']})" if e["crawled"] else "not crawled"
            out.append(f"    {e['url']} expected {e['expected']} ({e['expected_source']}), found {found}")
    if r["page_kind_wrong"]:
        out.append(f"  page kinds wrong ({len(r['page_kind_wrong'])}):")
        for e in r["page_kind_wrong"][:SHOWN]:
            out.append(f"    {e['url']} {e['title'][:20]} expected {e['expected']}, found {e['found']}")
    rep = r["report"]
    if not rep["exact"] and rep["found"] is not None:
        extra = sorted(set(rep["not_updated_found"]) - set(rep["not_updated_truth"]))
        lacking = sorted(set(rep["not_updated_truth"]) - set(rep["not_updated_found"]))
        out.append(f"  report: not updated but should be updated {extra}; updated but should not {lacking}")
    return out


# --------------------------------------------------------------------------- command

def run(seeds: list[int], as_of: str, jobs: int, workdir: Path, verbose: bool, echo=print) -> list[dict]:
    results: list[dict] = []
    echo(header_line())
    ctx = multiprocessing.get_context("spawn")   # workers start clean: no threads or servers inherited
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx) as pool:
        futures = {pool.submit(evaluate_seed, s, as_of, str(workdir)): s for s in seeds}
        for fut in as_completed(futures):
            seed = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # a seed that breaks is a finding, not the end of the run
                r = {"seed": seed, "as_of": as_of, "scan": "error", "error": f"{type(exc).__name__}: {exc}"}
            results.append(r)
            echo(seed_line(r))
    results.sort(key=lambda r: r["seed"])
    o = overall(results)
    echo(overall_line(o))
    echo(f"undated articles stored without a shown date: {o['undated_articles_right']}")
    if verbose:
        for r in results:
            for line in verbose_lines(r):
                echo(line)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monitor.testbed.evaluate",
                                     description="Scan generated estates and compare the product with their truth.")
    parser.add_argument("--seeds", default="1000-1049", help="seeds: 1000-1049, 7, 1,2,5-8 (default 1000-1049)")
    parser.add_argument("--as-of", default="2019-09-01", help="the estate's day and the product's clock")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--json", dest="json_out", help="write every figure and miss to this JSON file")
    parser.add_argument("--workdir", help="keep each seed's config, catalog, database and scan log here")
    parser.add_argument("-v", "--verbose", action="store_true", help="per seed: layouts drawn and the worst misses")
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
        date.fromisoformat(args.as_of)
    except ValueError as exc:
        parser.error(str(exc))
    t0 = time.perf_counter()
    if args.workdir:
        results = run(seeds, args.as_of, args.jobs, Path(args.workdir), args.verbose)
    else:
        with tempfile.TemporaryDirectory(prefix="xxgk-evaluate-") as tmp:
            results = run(seeds, args.as_of, args.jobs, Path(tmp), args.verbose)
    print(f"{len(seeds)} seeds in {time.perf_counter() - t0:.0f} s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"as_of": args.as_of, "overall": overall(results),
                                                   "seeds": results}, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
        print(f"written {args.json_out}")
    return 0 if all(r.get("scan") == "done" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
