"""Write the school configuration (YAML) that points the product at a running testbed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.testbed.catalog import SCHOOL_CATALOG_PATH
from monitor.testbed.layout import SCHOOL, UNITS

SITE_TITLES = {"xxgk": "信息公开网", "zsb": "本科招生网", "yjsy": "研究生院", "cwc": "财务处", "rsc": "人事处",
               "jwc": "教务处", "xsc": "学生工作处", "jyzx": "就业指导中心"}
DEFAULT_CRAWL: dict[str, Any] = {
    "concurrency": 8,          # requests in flight per site
    "delay": 0,                # seconds between requests to one site (polite default is higher on real sites)
    "timeout": 10,
    "retries": 1,
    "max_pages": 20000,
    "max_depth": 12,
    "obey_robots": True,
    "user_agent": "xxgk-monitor (+信息公开监测)",
}


def build_config(urls: dict[str, str], units_of_sites: dict[str, str | None], changes: dict[str, list[str]],
                 database: str | Path | None = None, **crawl_overrides: Any) -> dict:
    sites = []
    for key, url in urls.items():
        entry: dict[str, Any] = {"id": key, "name": SITE_TITLES.get(key, key), "url": url}
        if key == "xxgk":
            entry["role"] = "disclosure"
        if units_of_sites.get(key) and key != "xxgk":
            entry["unit"] = units_of_sites[key]
        sites.append(entry)
    units = []
    for u in UNITS:
        units.append({"id": u.id, "name": u.name, "contacts": [
            {"name": u.contact, "role": "信息员", "email": f"{u.id}@shiyan.edu.cn",
             "notify": f"json://127.0.0.1:9/{u.id}"}]})
    crawl = dict(DEFAULT_CRAWL)
    crawl.update(crawl_overrides)
    return {
        "school": {"name": SCHOOL, "timezone": "Asia/Shanghai"},
        "catalog": str(SCHOOL_CATALOG_PATH),
        "database": str(database) if database else "data/xxgk.db",
        "office": {"name": "信息公开办公室", "unit": "xxgkb",
                   "contacts": [{"name": "林老师", "role": "督办", "email": "xxgk@shiyan.edu.cn",
                                 "notify": "json://127.0.0.1:9/office"}]},
        "sites": sites,
        "units": units,
        "items": {item: {"changes": list(dates)} for item, dates in changes.items()},
        "crawl": crawl,
    }


def write_config(path: str | Path, config: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# {SCHOOL}（模拟院校）学校配置：由 `xxgk testbed serve` 生成，指向本机运行的模拟站点。\n"
              "# Generated for the simulated estate; URLs change with every start.\n")
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + text, encoding="utf-8")
    return path
