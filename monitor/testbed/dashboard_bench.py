"""Dashboard speed on a large synthetic estate (100,000 pages, 60 units) and the estate builder the
dashboard tests use at a small size.

``build_estate`` writes a real school config and a real SQLite database shaped like a year of nightly
scans: pages with dates and date sources, versions with archived bodies, list entries, matches in
every state, fetch errors and the stored assessment history. ``run`` serves it with the real app and
measures p50/p95 per page through HTTP (Starlette's TestClient, i.e. httpx).
"""
from __future__ import annotations

import random
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from monitor import store
from monitor.core import clock

UNIT_NAMES = ["招生办公室", "财务处", "人事处", "研究生院", "教务处", "学生工作部", "国际交流处", "科学技术研究院",
              "发展规划处", "资产管理处", "审计处", "工会", "校长办公室", "就业指导中心", "后勤管理处", "图书馆"]
WORDS = ["招生", "章程", "决算", "预算", "收费", "通知", "公告", "公示", "年度报告", "工作计划", "规章制度", "招聘",
         "学位", "奖学金", "助学金", "就业", "质量报告", "采购", "招标", "巡视", "整改", "学术委员会", "教代会",
         "研究生", "复试", "录取", "名单", "留学生", "合作办学", "应急预案", "信息公开", "指南", "目录", "学籍"]
STATUS_WEIGHTS = [("ok", 70), ("due_soon", 8), ("overdue", 12), ("missing", 4), ("blank", 2), ("undated", 2),
                  ("unreachable", 2)]
REASONS = {
    "ok": "最近更新{d}，按要求无需更新", "due_soon": "应于{due}前更新，还有{n}天", "overdue": "应于{due}前发布，已逾期{n}天",
    "missing": "未找到对应的栏目或页面", "blank": "对应栏目从未发布内容", "undated": "对应页面没有可识别的发布日期",
    "unreachable": "对应页面连续两次抓取失败",
}
SOURCES = ["label", "list", "url", "meta", "observed"]


def _pick_status(rng: random.Random) -> str:
    r = rng.uniform(0, 100)
    for status, w in STATUS_WEIGHTS:
        r -= w
        if r <= 0:
            return status
    return "ok"


def _title(rng: random.Random) -> str:
    return "".join(rng.sample(WORDS, rng.randint(2, 4))) + f"（{rng.randint(2015, 2019)}年）"


def _html(title: str, text: str) -> bytes:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<h1 class='arti_title'>{title}</h1><script>document.title='x'</script>"
            f"<div class='wp_articlecontent'><p>{text}</p></div></body></html>").encode("utf-8")


def build_estate(workdir: Path, *, pages: int = 100_000, units: int = 60, days: int = 60, as_of: date = date(2019, 10, 15),
                 seed: int = 7) -> Path:
    """Write ``school.yaml`` and its database into ``workdir``; returns the config path."""
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    from monitor.catalog import load_catalog

    catalog = load_catalog("national", workdir)
    item_ids = [it.id for it in catalog.items]
    unit_ids = [f"u{i:02d}" for i in range(1, units + 1)]
    unit_names = {u: (UNIT_NAMES[i] if i < len(UNIT_NAMES) else f"{UNIT_NAMES[i % len(UNIT_NAMES)]}{i // len(UNIT_NAMES) + 1}分部")
                  for i, u in enumerate(unit_ids)}
    item_unit = {iid: unit_ids[i % len(unit_ids)] for i, iid in enumerate(item_ids)}
    cfg = {
        "school": "示例大学", "disclosure_site": "http://xxgk.example.edu.cn/", "database": "xxgk.db",
        "units": [{"id": u, "name": unit_names[u], "sites": [f"http://{u}.example.edu.cn/"]} for u in unit_ids],
        "items": {iid: {"unit": item_unit[iid]} for iid in item_ids},
        "dashboard": {"secret_key": "bench-secret-key-not-for-production"},
    }
    cfg_path = workdir / "school.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    db_path = workdir / "xxgk.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db = store.open_db(db_path)
    conn = db.conn
    conn.execute("BEGIN")
    # One scan per day of the history (the newest is the as-of day).
    scan_ids = []
    for k in range(days, -1, -1):
        d = as_of - timedelta(days=k)
        started = datetime(d.year, d.month, d.day, 2, 30).isoformat() + "+08:00"
        cur = conn.execute(
            "INSERT INTO scans (started_at, finished_at, wall_started_at, status, trigger, pages_fetched, pages_new,"
            " pages_changed, not_modified, errors, bytes, limits_hit, sites) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (started, started.replace("02:30", "03:40"), started, "done", "schedule", pages // 50,
             rng.randint(0, 40), rng.randint(10, 200), pages - pages // 50, rng.randint(0, 30), pages * 3000,
             store.dumps([{"limit": "max_pages_per_site", "site": f"http://{unit_ids[0]}.example.edu.cn/",
                           "value": 5000, "count": 1}] if k == 0 else []), "{}"))
        scan_ids.append(cur.lastrowid)
    last_scan = scan_ids[-1]
    # Pages: ~10% column lists, ~5% attachments, the rest articles, spread over the unit sites.
    page_rows, version_rows, entry_rows = [], [], []
    lists_by_unit: dict[str, list[int]] = {u: [] for u in unit_ids}
    articles_by_unit: dict[str, list[int]] = {u: [] for u in unit_ids}
    start_day = as_of - timedelta(days=3 * 365)
    for pid in range(1, pages + 1):
        unit = unit_ids[pid % len(unit_ids)]
        site = f"http://{unit}.example.edu.cn/"
        roll = pid % 20
        kind = "list" if roll < 2 else ("attachment" if roll == 2 else "article")
        published = start_day + timedelta(days=rng.randint(0, 3 * 365))
        undated = kind == "article" and rng.random() < 0.03
        failing = rng.random() < 0.005
        title = _title(rng)
        if kind == "list":
            url = f"{site}{pid}/list.htm"
            lists_by_unit[unit].append(pid)
        elif kind == "attachment":
            url = f"{site}_upload/article/files/{pid}.pdf"
        else:
            url = f"{site}{published:%Y/%m%d}/c{pid % 97}a{pid}/page.htm"
            articles_by_unit[unit].append(pid)
        pub = None if undated or kind == "list" else published.isoformat()
        src = None if pub is None else rng.choice(SOURCES)
        page_rows.append((pid, url, site, unit, kind, title, title if kind == "list" else None, 2, scan_ids[0],
                          None if failing else last_scan, last_scan, 0 if failing else 200,
                          "TimeoutError" if failing else None, 2 if failing else 0, f"fp{pid}", pub, src,
                          pub, src, (published + timedelta(days=5)).isoformat() if kind == "list" else None,
                          (10 if rng.random() > 0.05 else 0) if kind == "list" else None, title))
        body = _html(title, f"{title}。正文第{pid}号。")
        version_rows.append((pid, scan_ids[0], f"{published.isoformat()}T08:00:00+08:00", f"fp{pid}", title, pub, src,
                             200, "text/html; charset=utf-8", store.compress(body), store.compress(f"{title}\n正文第{pid}号。")))
        if kind == "list" and page_rows[-1][20]:
            for e in range(10):
                d = published - timedelta(days=30 * e)
                entry_rows.append((pid, pid, f"{site}{d:%Y/%m%d}/c{pid}a{e}/page.htm", _title(rng), d.isoformat(),
                                   "list", scan_ids[0], last_scan))
    conn.executemany(
        "INSERT INTO pages (id, url, site, unit, kind, title, column_name, depth, first_seen_scan, last_seen_scan,"
        " last_fetch_scan, last_status, last_error, fail_count, fingerprint, published, published_source, last_changed,"
        " last_changed_source, newest_entry, entry_count, text_excerpt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        page_rows)
    conn.executemany(
        "INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, title, published, published_source, status,"
        " content_type, snapshot, text) VALUES (?,?,?,?,?,?,?,?,?,?,?)", version_rows)
    # A second version for a share of articles, so diffs have something to show.
    second = [(pid, last_scan, f"{as_of.isoformat()}T03:00:00+08:00", f"fp{pid}b", None, None, None, 200,
               "text/html; charset=utf-8", store.compress(_html("更新", f"修订后的正文第{pid}号。")),
               store.compress(f"修订后的正文第{pid}号。\n新增一段说明。"))
              for u in unit_ids for pid in articles_by_unit[u][:3]]
    conn.executemany(
        "INSERT INTO versions (page_id, scan_id, fetched_at, fingerprint, title, published, published_source, status,"
        " content_type, snapshot, text) VALUES (?,?,?,?,?,?,?,?,?,?,?)", second)
    conn.executemany(
        "INSERT OR IGNORE INTO entries (list_page_id, source_page_id, url, title, date, date_source, first_seen_scan,"
        " last_seen_scan) VALUES (?,?,?,?,?,?,?,?)", entry_rows)
    # Matches: each item gets its unit's first columns and an article; some wait for review.
    match_rows = []
    for n, iid in enumerate(item_ids):
        unit = item_unit[iid]
        cols = lists_by_unit[unit][(n // len(unit_ids)) * 2:(n // len(unit_ids)) * 2 + 2]
        for pid in cols:
            match_rows.append((iid, pid, f"http://{unit}.example.edu.cn/{pid}/list.htm", "column", 0.92,
                               "栏目名称与事项关键词一致", "navigation", "auto", scan_ids[0], last_scan))
        arts = articles_by_unit[unit][n % 5:n % 5 + 1]
        for pid in arts:
            state = "review" if n % 4 == 0 else "auto"
            match_rows.append((iid, pid, page_rows[pid - 1][1], "article", 0.55 if state == "review" else 0.8,
                               "标题与事项相似", "similarity", state, scan_ids[0], last_scan))
    conn.executemany(
        "INSERT OR IGNORE INTO matches (item_id, page_id, url, target, score, reason, method, state,"
        " first_matched_scan, last_matched_scan) VALUES (?,?,?,?,?,?,?,?,?,?)", match_rows)
    conn.executemany("INSERT INTO fetch_errors (scan_id, url, status, error, at) VALUES (?,?,?,?,?)",
                     [(last_scan, page_rows[i][1], 0, "TimeoutError", f"{as_of.isoformat()}T03:00:00+08:00")
                      for i in range(0, min(len(page_rows), 4000), 200)])
    # Assessment history: a status per item per day that changes now and then.
    current = {iid: _pick_status(rng) for iid in item_ids}
    assess_rows = []
    for k, scan_id in zip(range(days, -1, -1), scan_ids):
        d = as_of - timedelta(days=k)
        for iid in item_ids:
            if rng.random() < 0.03:
                current[iid] = _pick_status(rng)
            st = current[iid]
            due = d + timedelta(days=rng.randint(1, 55)) if st in ("ok", "due_soon") else d - timedelta(days=rng.randint(1, 90))
            last = d - timedelta(days=rng.randint(1, 400))
            reason = REASONS[st].format(d=last, due=due, n=abs((due - d).days))
            assess_rows.append((iid, d.isoformat(), scan_id, st, reason,
                                None if st in ("missing", "blank", "undated") else last.isoformat(),
                                None if st in ("missing", "blank", "undated") else rng.choice(SOURCES[:4]),
                                None if st in ("missing", "blank", "undated", "unreachable") else due.isoformat(),
                                item_unit[iid], f"{d.isoformat()}T04:00:00+08:00"))
    conn.executemany(
        "INSERT INTO assessments (item_id, as_of, scan_id, status, reason, last_changed, last_changed_source, due,"
        " unit, computed_at) VALUES (?,?,?,?,?,?,?,?,?,?)", assess_rows)
    conn.execute("COMMIT")
    db.conn.close()
    return cfg_path


BENCH_PAGES = {
    "overview": "/", "items": "/items", "item": "/items/7", "units": "/units", "unit": "/units/u01",
    "review": "/review", "health": "/health", "scans": "/scans", "search 招生": "/search?q=招生",
    "trends": "/trends", "api overview": "/api/overview", "export items.csv": "/export/items.csv",
    "notifications": "/notifications",
}


def run(workdir: Path, *, pages: int = 100_000, units: int = 60, repeat: int = 20) -> dict[str, Any]:
    """Build the estate, then time every dashboard page ``repeat`` times after one warm-up."""
    from fastapi.testclient import TestClient

    from monitor import auth
    from monitor.config import load_config
    from monitor.dashboard.app import create_app

    as_of = date(2019, 10, 15)
    t0 = time.perf_counter()
    cfg_path = build_estate(Path(workdir) / "dashboard", pages=pages, units=units, as_of=as_of)
    build_s = time.perf_counter() - t0
    clock.set_now(as_of.isoformat())
    try:
        cfg = load_config(cfg_path)
        db = store.open_db(cfg.database_target)
        auth.add_user(db, "bench", "bench-password", "admin")
        app = create_app(cfg)
        out: dict[str, Any] = {"pages": pages, "units": units, "build_s": round(build_s, 1), "pages_ms": {}}
        with TestClient(app, base_url="https://127.0.0.1") as client:
            login = client.get("/login")
            nonce = login.text.split('name="nonce" value="')[1].split('"')[0]
            client.post("/login", data={"username": "bench", "password": "bench-password", "nonce": nonce})
            for name, path in BENCH_PAGES.items():
                first = time.perf_counter()
                resp = client.get(path)
                cold = (time.perf_counter() - first) * 1000
                if resp.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {resp.status_code}")
                times = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                times.sort()
                p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
                out["pages_ms"][name] = {"p50": round(statistics.median(times), 1), "p95": round(p95, 1),
                                         "first": round(cold, 1)}
        return out
    finally:
        clock.set_now(None)


if __name__ == "__main__":
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="xxgk-dash-bench-") as tmp:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
        print(json.dumps(run(Path(tmp), pages=n), ensure_ascii=False, indent=1))
