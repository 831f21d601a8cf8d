"""`make bench`: speed figures measured as ratios within one run (never as timed tests).

1. Full scan of the large testbed estate (>= 5,000 pages) with our whole pipeline vs a bare Scrapy
   spider that only fetches the same URLs with the same politeness settings: pages/s ratio.
2. Peak memory (max RSS) of both crawl processes.
3. Re-scan after the estate's clock moves forward (a small share of pages changed) vs the full scan:
   time ratio (conditional requests make it cheap).
4. Dashboard page times (p95) on a synthetic database of 100,000 pages and 60 units, when the
   dashboard's bench module is present.
Figures are printed and written to docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from monitor.store import open_db, rows

BARE_SPIDER = r'''
import sys, json, scrapy
from scrapy.crawler import CrawlerProcess
urls = json.load(open(sys.argv[1]))
settings = json.load(open(sys.argv[2]))
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for u in urls:
            yield scrapy.Request(u, callback=self.parse, dont_filter=True,
                                 meta={"handle_httpstatus_all": True, "download_slot": u.split("/")[2]})
    def parse(self, response):
        pass
p = CrawlerProcess(settings)
p.crawl(Bare)
p.start()
'''


_MEASURE = ("import resource, subprocess, sys\n"
            "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
            "sys.exit(code)\n")


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a command; wall seconds and the peak RSS (MB) of its process tree (a fresh wrapper
    process per run, so one run's peak never hides another's)."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env=env, check=True, capture_output=True,
                         text=True)
    elapsed = time.perf_counter() - t0
    return elapsed, int(out.stdout.strip().splitlines()[-1]) / 1024


def crawl_bench(workdir: Path, as_of: date, profile: str, rescan_days: int = 1) -> dict:
    from crawler.settings import build_settings
    from monitor.config import load_config
    from monitor.testbed import Testbed

    out: dict = {}
    with Testbed(as_of=as_of, profile=profile) as tb:
        tb.start()
        tb.warm()  # render every page once first: both crawls then meet the same warm server
        cfg_path = tb.write_config(workdir / "bench.yaml", database=str(workdir / "bench.db"))
        env = dict(os.environ, XXGK_NOW=as_of.isoformat(), XXGK_PROGRESS="0")
        xxgk = [sys.executable, "-m", "monitor.cli"]
        full_s, full_rss = _timed(xxgk + ["scan", "--config", str(cfg_path), "--no-post"], env)
        db = open_db(workdir / "bench.db")
        scan = rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")[0]
        fetched = scan["pages_fetched"] + scan["errors"]
        urls = [r["url"] for r in rows(db, "SELECT url FROM pages WHERE last_fetch_scan=?", (scan["id"],))]
        cfg = load_config(cfg_path)
        settings = build_settings(cfg)
        for key in ("ITEM_PIPELINES", "EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MODULES"):
            settings.pop(key, None)
        (workdir / "urls.json").write_text(json.dumps(urls))
        (workdir / "settings.json").write_text(json.dumps(settings))
        (workdir / "bare.py").write_text(BARE_SPIDER)
        bare_s, bare_rss = _timed([sys.executable, str(workdir / "bare.py"), str(workdir / "urls.json"),
                                   str(workdir / "settings.json")], env)
        later = as_of + timedelta(days=rescan_days)
        tb.set_as_of(later)
        tb.warm()
        env2 = dict(env, XXGK_NOW=later.isoformat())
        re_s, _ = _timed(xxgk + ["scan", "--config", str(cfg_path), "--no-post"], env2)
        rescan = rows(db, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")[0]
        touched = rescan["pages_new"] + rescan["pages_changed"]
        total = rescan["pages_fetched"] + rescan["not_modified"]
        out.update({
            "profile": profile, "pages": fetched, "bare_urls": len(urls),
            "full_scan_s": round(full_s, 2), "bare_crawl_s": round(bare_s, 2),
            "pages_per_s_full": round(fetched / full_s, 1), "pages_per_s_bare": round(len(urls) / bare_s, 1),
            "throughput_ratio": round((fetched / full_s) / (len(urls) / bare_s), 3),
            "peak_rss_mb_full": round(full_rss, 1), "peak_rss_mb_bare": round(bare_rss, 1),
            "rescan_s": round(re_s, 2), "rescan_changed_share": round(touched / max(total, 1), 4),
            "rescan_304": rescan["not_modified"], "rescan_ratio": round(re_s / full_s, 3),
        })
    return out


def dashboard_bench(workdir: Path) -> dict | None:
    try:
        from monitor.dashboard import bench as dbench
    except ModuleNotFoundError:
        return None
    return dbench.run(workdir)


def write_markdown(results: dict, path: Path) -> None:
    c = results["crawl"]
    lines = [
        "# Benchmarks", "",
        "Measured by `make bench` (`python -m monitor.bench`) in one run on this machine; the ratios are the",
        "figures that matter (absolute numbers depend on the machine).", "",
        f"Run: {results['when']} · profile `{c['profile']}` of the simulated university", "",
        "| figure | value | aim |", "|---|---|---|",
        f"| pages crawled (full scan) | {c['pages']} | >= 5,000 |",
        f"| full pipeline pages/s | {c['pages_per_s_full']} | |",
        f"| bare Scrapy pages/s (same URLs, same politeness) | {c['pages_per_s_bare']} | |",
        f"| **throughput ratio** (ours / bare) | **{c['throughput_ratio']}** | >= 0.7 |",
        f"| peak RSS, our crawl process (MB) | {c['peak_rss_mb_full']} | |",
        f"| peak RSS, bare crawl (MB) | {c['peak_rss_mb_bare']} | |",
        f"| re-scan: share of pages new or changed | {c['rescan_changed_share']:.1%} | ~2% |",
        f"| re-scan: answered 304 | {c['rescan_304']} | |",
        f"| **re-scan / full-scan time** | **{c['rescan_ratio']}** | <= 0.2 |",
    ]
    d = results.get("dashboard")
    if d:
        lines += ["", "## Dashboard", "", f"Synthetic database: {d.get('pages')} pages, {d.get('units')} units.", "",
                  "| page | p50 ms | p95 ms |", "|---|---|---|"]
        for name, fig in d.get("pages_ms", {}).items():
            lines.append(f"| {name} | {fig['p50']} | {fig['p95']} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="monitor.bench")
    parser.add_argument("--profile", default="large")
    parser.add_argument("--as-of", default="2019-10-15")
    parser.add_argument("--rescan-days", type=int, default=1,
                        help="days the estate's clock moves before the re-scan (1 day: ~2% of pages change)")
    parser.add_argument("--no-dashboard", action="store_true")
    parser.add_argument("--out", default="docs/benchmarks.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xxgk-bench-") as tmp:
        work = Path(tmp)
        results = {"when": time.strftime("%Y-%m-%d %H:%M"), "crawl": crawl_bench(work, date.fromisoformat(args.as_of),
                                                                                 args.profile, args.rescan_days)}
        if not args.no_dashboard:
            results["dashboard"] = dashboard_bench(work)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    write_markdown(results, Path(args.out))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
