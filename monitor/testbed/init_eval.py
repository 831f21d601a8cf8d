"""`python -m monitor.testbed.init_eval --seeds 1000-1004`: how far an unedited `xxgk init` draft gets.

For each seed a generated simulated university (``Testbed(layouts="generated")``) is served on 127.0.0.1;
``xxgk init`` drafts a config from its disclosure site alone (``monitor.onboard.run.draft_config``, what the
command runs); then the product's real scan (``monitor.scan.run_scan``) runs twice on the same served
estate, each with its own database: once with the hand-written config (``Testbed.write_config``: every
unit, every site, the school's own catalog) and once with the draft as written. The matched
(item → URL) pairs of the two scans (states auto and confirmed) are compared:

- **reached**: share of the hand-written config's matches the draft's scan also makes;
- **national**: the same on national catalog items only (the draft uses the national catalog unless the
  site lists columns no national item covers, then a school catalog of those);
- **extra**: pairs the draft's scan matches that the hand-written one does not.

Items are compared by their national id (a school's split items 1.1 / 1.2 count as item 1, so the draft's
national item 1 can reach them); the draft's own items are paired with the hand-written catalog's own items
by the URLs they share (``align_own_items``). docs/onboarding.md has the figures.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

from monitor.testbed.evaluate import parse_seeds, quiet_output

DEFAULT_AS_OF = "2019-09-01"
MAX_PAGES = 150             # the command's default


@dataclass(frozen=True)
class SeedResult:
    seed: int
    hand: int               # matched pairs, hand-written config
    draft: int              # matched pairs, drafted config
    reached: int            # hand ∩ draft
    hand_national: int      # hand pairs on national items
    reached_national: int
    extra: int              # draft − hand
    units: int              # units the draft found
    assigned: int           # items the draft assigned columns to
    seconds: float
    error: str = ""


def _national_key(catalog: Any) -> Callable[[str], tuple[str, bool]]:
    """item id → (national id, whether it is a national item)."""
    national = {str(i) for i in range(1, 51)}

    def key(item_id: str) -> tuple[str, bool]:
        it = catalog.item(item_id)
        root = item_id
        while it is not None and it.parent:
            root = it.parent
            it = catalog.item(root)
        return root, root in national
    return key


def matched_pairs(cfg: Any) -> set[tuple[str, str, bool]]:
    """(national id, canonical URL, national?) of every auto/confirmed match of the config's database."""
    from monitor.matching.crawl import eval_key
    from monitor.store import open_db, rows

    key = _national_key(cfg.catalog_obj)
    db = open_db(cfg.database_target)
    out: set[tuple[str, str, bool]] = set()
    for r in rows(db, "SELECT item_id, url FROM matches WHERE state IN ('auto','confirmed')"):
        root, national = key(str(r["item_id"]))
        out.add((root, eval_key(r["url"]), national))
    return out


def align_own_items(hand: set[tuple[str, str, bool]], draft: set[tuple[str, str, bool]]) -> set[tuple[str, str, bool]]:
    """The draft's pairs with its own (non-national) items renamed to the hand-written catalog's own items they
    correspond to: greedily, the pair of items sharing the most matched URLs first, each item used once. (Both
    number their own items from 51 in their own order, so ids alone say nothing.)"""
    def urls_by_item(pairs: set[tuple[str, str, bool]]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for item, url, national in pairs:
            if not national:
                out.setdefault(item, set()).add(url)
        return out

    mine, theirs = urls_by_item(draft), urls_by_item(hand)
    overlaps = sorted(((len(d_urls & h_urls), d, h) for d, d_urls in mine.items() for h, h_urls in theirs.items()
                       if d_urls & h_urls), reverse=True)
    rename: dict[str, str] = {}
    for _, d, h in overlaps:
        if d not in rename and h not in rename.values():
            rename[d] = h
    return {(rename.get(item, f"draft:{item}") if not national else item, url, national)
            for item, url, national in draft}


def evaluate_seed(seed: int, as_of_text: str, workdir: str, quiet: bool = True) -> SeedResult:
    """Serve one generated seed, draft its config, scan with both configs and compare (one worker process)."""
    from monitor.config import load_config
    from monitor.core import clock
    from monitor.onboard.run import draft_config
    from monitor.scan import run_scan
    from monitor.testbed import Testbed

    as_of = date.fromisoformat(as_of_text)
    work = Path(workdir) / f"seed-{seed}"
    (work / "hand").mkdir(parents=True, exist_ok=True)
    if quiet:
        quiet_output(work / "eval.log")
    os.environ["XXGK_PROGRESS"] = "0"
    t0 = time.perf_counter()
    clock.set_now(f"{as_of.isoformat()}T03:00")
    with Testbed(as_of=as_of, seed=seed, layouts="generated") as tb:
        hand_cfg = load_config(tb.write_config(work / "hand" / "xxgk.yaml", database=str(work / "hand" / "xxgk.db")))
        init = draft_config(tb.sites["xxgk"], work / "draft" / "xxgk.yaml", max_pages=MAX_PAGES)
        draft_cfg = load_config(init.written[0])         # unedited
        scans = {name: run_scan(cfg, trigger="cli").status for name, cfg in (("hand", hand_cfg),
                                                                             ("draft", draft_cfg))}
    seconds = round(time.perf_counter() - t0, 1)
    n_units, n_assigned = len(init.draft.units), sum(1 for a in init.draft.assignments if a.columns)
    if any(status != "done" for status in scans.values()):
        return SeedResult(seed, 0, 0, 0, 0, 0, 0, n_units, n_assigned, seconds,
                          error="scan " + ", ".join(f"{k} {v}" for k, v in scans.items()))
    hand, draft = matched_pairs(hand_cfg), align_own_items(matched_pairs(hand_cfg), matched_pairs(draft_cfg))
    return SeedResult(seed, len(hand), len(draft), len(hand & draft), sum(1 for p in hand if p[2]),
                      sum(1 for p in hand & draft if p[2]), len(draft - hand), n_units, n_assigned, seconds)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "  n/a  "


def seed_line(r: SeedResult) -> str:
    if r.error:
        return f"{r.seed:<6} {r.error}"
    return (f"{r.seed:<6} {r.hand:>5} {r.draft:>5} {r.reached:>5} {_pct(r.reached, r.hand):>8} "
            f"{_pct(r.reached_national, r.hand_national):>8} {r.extra:>5} {r.units:>5} {r.assigned:>8} {r.seconds:>6}")


HEADER = (f"{'seed':<6} {'hand':>5} {'draft':>5} {'both':>5} {'reached':>8} {'national':>8} {'extra':>5} "
          f"{'units':>5} {'assigned':>8} {'s':>6}")


def total_line(results: list[SeedResult]) -> str:
    ok = [r for r in results if not r.error]
    hand, reached = sum(r.hand for r in ok), sum(r.reached for r in ok)
    nat, reached_nat = sum(r.hand_national for r in ok), sum(r.reached_national for r in ok)
    return (f"{'all':<6} {hand:>5} {sum(r.draft for r in ok):>5} {reached:>5} {_pct(reached, hand):>8} "
            f"{_pct(reached_nat, nat):>8} {sum(r.extra for r in ok):>5}   ({len(ok)}/{len(results)} seeds scanned)")


def run(seeds: list[int], as_of: str, jobs: int, workdir: Path, echo: Callable[[str], None] = print) -> list[SeedResult]:
    echo(HEADER)
    results: list[SeedResult] = []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx) as pool:
        futures = {pool.submit(evaluate_seed, s, as_of, str(workdir)): s for s in seeds}
        for fut in as_completed(futures):
            try:
                r = fut.result()
            except Exception as exc:  # a seed that breaks is a finding, not the end of the run
                r = SeedResult(futures[fut], 0, 0, 0, 0, 0, 0, 0, 0, 0.0, error=f"{type(exc).__name__}: {exc}")
            results.append(r)
            echo(seed_line(r))
    results.sort(key=lambda r: r.seed)
    echo(total_line(results))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monitor.testbed.init_eval",
                                     description="Draft configs of generated schools with xxgk init, scan with "
                                                 "them and with the hand-written configs, compare the matches.")
    parser.add_argument("--seeds", default="1000-1004", help="seeds: 1000-1004, 7, 1,2,5-8 (default 1000-1004)")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF, help="the estate's day and the product's clock")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--workdir", help="keep each seed's configs, drafts, databases and logs here")
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
        date.fromisoformat(args.as_of)
    except ValueError as exc:
        parser.error(str(exc))
    t0 = time.perf_counter()
    if args.workdir:
        results = run(seeds, args.as_of, args.jobs, Path(args.workdir))
    else:
        with tempfile.TemporaryDirectory(prefix="xxgk-init-eval-") as tmp:
            results = run(seeds, args.as_of, args.jobs, Path(tmp))
    print(f"{len(seeds)} seeds in {time.perf_counter() - t0:.0f} s")
    return 0 if all(not r.error for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
