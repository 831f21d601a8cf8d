"""The provincial overview's speed on a synthetic summary store (100 schools × 24 monthly snapshots of the
national catalog's 50 items), and the builder the overview's browser test uses at a small size.

``build_summary`` writes the summary store through the product's own writer (``monitor.overview.summary.
write_school``), as publishing would. The school stores' page counts do not enter it: the overview reads only
the summary store, whose size is schools × items × months (here 100 × 50 × 24 = 120,000 item rows), so a
synthetic 1M-page estate would change nothing the overview's queries touch and is not built.

``python -m monitor.testbed.overview_bench [SCHOOLS] [REQUESTS]`` prints p50/p95 per page over HTTP
(Starlette's TestClient, i.e. httpx, through the real app with a logged-in session).
"""
from __future__ import annotations

import random
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from monitor.core import clock
from monitor.core.vocab import STATUS

PROVINCES = ["湘江", "岳麓", "洞庭", "衡山", "潇湘", "沅水", "资江", "澧水", "武陵", "雪峰"]
KINDS = ["大学", "师范大学", "理工大学", "医科大学", "农业大学", "财经学院", "职业技术学院", "工程学院", "科技大学", "艺术学院"]
UNITS = [("xb", "校长办公室"), ("zsb", "招生办公室"), ("cwc", "财务处"), ("rsc", "人事处"), ("jwc", "教务处"),
         ("xgb", "学生工作部"), ("kjc", "科学技术研究院"), ("gjc", "国际交流处")]
# Each school has its own quality; each month drifts a little.
STATUSES = ("ok", "due_soon", "overdue", "missing", "blank", "undated", "unreachable")
SOURCES = ("label", "list", "url", "meta", "observed")


def school_name(i: int) -> str:
    return f"{PROVINCES[i % len(PROVINCES)]}{KINDS[(i // len(PROVINCES)) % len(KINDS)]}" + (
        f"（{i // 100 + 1}校区）" if i >= 100 else "")


def months_back(as_of: date, n: int) -> list[date]:
    """The last ``n`` month-ends up to ``as_of`` (as_of itself last)."""
    out, y, m = [as_of], as_of.year, as_of.month
    for _ in range(n - 1):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        out.append(date.fromordinal(nxt.toordinal() - 1))
    return sorted(out)


def build_summary(fleet_dir: Path, *, schools: int = 100, months: int = 24, as_of: date = date(2019, 10, 15),
                  seed: int = 16, dashboard_url: str | None = None) -> list[str]:
    """Write ``fleet.db`` into ``fleet_dir`` (a fleet's SQLite folder); returns the school keys in order."""
    from monitor.catalog import load_catalog
    from monitor.overview.summary import ItemRow, SchoolSummary, Snapshot, open_summary, write_school
    from monitor.rules import describe_rule

    fleet_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    catalog = load_catalog("national", fleet_dir)
    cats = {c.id: c.name for c in catalog.categories}
    days = months_back(as_of, months)
    keys = [f"s{i:03d}" for i in range(1, schools + 1)]
    db = open_summary(str(fleet_dir))
    try:
        for i, key in enumerate(keys):
            quality = rng.uniform(0.45, 0.97)
            snaps = []
            for n, day in enumerate(days):
                drift = min(0.99, quality + 0.004 * n + rng.uniform(-0.05, 0.05))
                items = []
                for j, it in enumerate(catalog.items):
                    r = rng.random()
                    status = ("ok" if r < drift else "due_soon" if r < drift + 0.03 else
                              rng.choice(STATUSES[2:]))
                    unit, unit_name = UNITS[j % len(UNITS)]
                    changed = date.fromordinal(day.toordinal() - rng.randint(0, 400)).isoformat()
                    items.append(ItemRow(
                        it.id, it.category, cats.get(it.category, it.category), it.title, it.short, unit, unit_name,
                        status, rng.random() < 0.03, f"合成评估：{STATUS.label[status]}", None if status == "missing" else changed,
                        rng.choice(SOURCES), None, describe_rule(it.rule)[1]))
                snaps.append(Snapshot(day.isoformat(), n + 1, tuple(items)))
            write_school(db, SchoolSummary(key, school_name(i), dashboard_url, f"{as_of.isoformat()}T03:00:00+08:00",
                                           tuple(snaps)))
    finally:
        db.close()
    return keys


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    if q == 0.5:
        return round(statistics.median(ordered), 1)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1)


BENCH_PAGES = {
    "schools × categories": "/", "ranking": "/ranking", "trends": "/trends", "school drill-down": "/schools/{key}",
    "export ranking.xlsx": "/export/ranking.xlsx", "export school items.csv": "/schools/{key}/items.csv",
}


def run(workdir: Path, *, schools: int = 100, months: int = 24, requests: int = 50) -> dict[str, Any]:
    """Build the summary store, then time every overview page ``requests`` times after one warm-up."""
    from fastapi.testclient import TestClient

    from monitor.overview import accounts
    from monitor.overview.app import create_app
    from monitor.overview.summary import open_summary
    from monitor.overview.web import ReadCache, Settings

    as_of = date(2019, 10, 15)
    t0 = time.perf_counter()
    folder = Path(workdir) / "fleet"
    keys = build_summary(folder, schools=schools, months=months, as_of=as_of)
    build_s = time.perf_counter() - t0
    clock.set_now(as_of.isoformat())
    try:
        db = open_summary(str(folder))
        accounts.add_user(db, "bench", "bench-password", "province")
        db.close()
        app = create_app(Settings(str(folder), "基准测试", tuple(keys)))
        out: dict[str, Any] = {"schools": schools, "months": months, "item_rows": schools * months * 50,
                               "build_s": round(build_s, 1), "requests": requests, "pages_ms": {}}
        with TestClient(app, base_url="https://127.0.0.1") as client:
            login = client.get("/login")
            nonce = login.text.split('name="nonce" value="')[1].split('"')[0]
            client.post("/login", data={"username": "bench", "password": "bench-password", "nonce": nonce})
            for name, path in BENCH_PAGES.items():
                path = path.format(key=keys[len(keys) // 2])
                first = time.perf_counter()
                resp = client.get(path)
                cold = (time.perf_counter() - first) * 1000
                if resp.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {resp.status_code}")
                served, fresh = [], []
                for _ in range(requests):
                    t = time.perf_counter()
                    client.get(path)
                    served.append((time.perf_counter() - t) * 1000)
                    # The same request right after a publish: nothing cached (every query and the rendering).
                    app.state.read_cache = ReadCache()
                    t = time.perf_counter()
                    client.get(path)
                    fresh.append((time.perf_counter() - t) * 1000)
                out["pages_ms"][name] = {"p50": _p(served, 0.5), "p95": _p(served, 0.95),
                                         "uncached_p50": _p(fresh, 0.5), "uncached_p95": _p(fresh, 0.95),
                                         "first": round(cold, 1)}
        app.state.connections.close()
        out["p95_max_ms"] = max(v["p95"] for v in out["pages_ms"].values())
        out["uncached_p95_max_ms"] = max(v["uncached_p95"] for v in out["pages_ms"].values())
        return out
    finally:
        clock.set_now(None)


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="xxgk-overview-bench-") as tmp:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
        r = int(sys.argv[2]) if len(sys.argv) > 2 else 50
        print(json.dumps(run(Path(tmp), schools=n, requests=r), ensure_ascii=False, indent=1))
