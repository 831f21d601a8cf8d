"""Matching measured against a testbed ground truth (precision, recall, the errors)."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from monitor.matching.crawl import eval_key
from monitor.matching.textsim import id_key
from monitor.store import history, rows
from monitor.store.engine import Database


def evaluate_matching(db: Database, ground_truth: dict[str, Any]) -> dict[str, Any]:
    """Precision/recall of item↔URL pairs (auto + confirmed) against the ground truth's
    ``items[*].columns`` and ``items[*].evidence``. Pages the ground truth does not tie to an item
    count as false positives when matched."""
    truth: set[tuple[str, str]] = set()
    for iid, it in (ground_truth.get("items") or {}).items():
        for col in it.get("columns") or []:
            truth.add((str(iid), eval_key(col)))
        for ev in it.get("evidence") or []:
            if ev.get("url"):
                truth.add((str(iid), eval_key(ev["url"])))
    predicted = {(r["item_id"], eval_key(r["url"])) for r in
                 rows(db, "SELECT item_id, url FROM matches WHERE state IN ('auto','confirmed')")}
    info = {(r["item_id"], eval_key(r["url"])): r for r in rows(db, "SELECT * FROM matches")}
    tp = truth & predicted
    fp = predicted - truth
    fn = truth - predicted
    precision = len(tp) / len(predicted) if predicted else (1.0 if not truth else 0.0)
    recall = len(tp) / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    known = {eval_key(u) for u in history.all_urls(db)}
    truth_items: dict[str, set[str]] = defaultdict(set)
    for iid, url in truth:
        truth_items[url].add(iid)
    errors: list[dict[str, Any]] = []
    for iid, url in sorted(fp, key=lambda p: (id_key(p[0]), p[1])):
        r = info.get((iid, url), {})
        errors.append({"type": "false_positive", "item": iid, "url": url, "expected": sorted(truth_items.get(url, [])),
                       "score": r.get("score"), "method": r.get("method"), "reason": r.get("reason")})
    for iid, url in sorted(fn, key=lambda p: (id_key(p[0]), p[1])):
        found = info.get((iid, url))
        others = [k for (k, u), v in info.items() if u == url and v["state"] in ("auto", "confirmed", "review")]
        errors.append({"type": "missed", "item": iid, "url": url, "crawled": url in known,
                       "state": found["state"] if found else None, "matched_as": sorted(others)})
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_positives": len(tp), "false_positives": len(fp), "missed": len(fn),
            "missed_not_crawled": sum(1 for _, u in fn if u not in known),
            "truth": len(truth), "predicted": len(predicted), "errors": errors}
