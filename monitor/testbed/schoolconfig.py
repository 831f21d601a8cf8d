"""Write the school configuration (YAML, the schema of monitor/config.py and
docs/configuration.md) that points the product at a running testbed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from monitor.testbed.catalog import SCHOOL_CATALOG_PATH
from monitor.testbed.layout import SCHOOL, UNITS

# Polite defaults are for real sites; the local estate can be crawled fast. Pagination on some
# simulated CMSs is a next/previous chain, so the depth limit is generous.
DEFAULT_CRAWL: dict[str, Any] = {
    "max_pages_per_site": 20000,
    "max_depth": 60,
    "download_delay": 0.0,
    "concurrency_per_host": 8,
    "autothrottle": False,
    "timeout": 10,
    "retries": 1,
}
# Link checks give up after this many seconds: short, so the slow system of the estate
# (cms/services.py, SLOW_SECONDS) is a timeout without making every test wait.
LINK_CHECK_TIMEOUT = 2


def build_config(urls: dict[str, str], units_of_sites: dict[str, str | None], changes: dict[str, list[str]],
                 database: str | Path | None = None, catalog: str | None = None, **crawl_overrides: Any) -> dict:
    sites_of_unit: dict[str, list[str]] = {}
    for key, url in urls.items():
        unit = units_of_sites.get(key)
        if key != "xxgk" and unit:
            sites_of_unit.setdefault(unit, []).append(url)
    units = []
    for u in UNITS:
        entry: dict[str, Any] = {"id": u.id, "name": u.name}
        if u.id in sites_of_unit:
            entry["sites"] = sites_of_unit[u.id]
        entry["contacts"] = [{"name": f"{u.contact}（信息员）", "notify": f"json://127.0.0.1:9/{u.id}"}]
        units.append(entry)
    crawl = dict(DEFAULT_CRAWL)
    crawl.update(crawl_overrides)
    return {
        "school": SCHOOL,
        "timezone": "Asia/Shanghai",
        "catalog": catalog or str(SCHOOL_CATALOG_PATH),
        "database": str(database) if database else "data/xxgk.db",
        "disclosure_site": urls["xxgk"],
        "office": {"name": "信息公开办公室",
                   "contacts": [{"name": "林老师（督办）", "notify": "json://127.0.0.1:9/office"}]},
        "units": units,
        "items": {item: {"changes": list(dates)} for item, dates in changes.items()},
        "crawl": crawl,
        "compliance": {"link_check_timeout": LINK_CHECK_TIMEOUT},
    }


def write_config(path: str | Path, config: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# {SCHOOL}（模拟院校）学校配置：由 xxgk testbed 生成，指向本机运行的模拟站点。\n"
              "# 站点端口每次启动都可能不同；说明见 docs/configuration.md。\n")
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=120)
    path.write_text(header + text, encoding="utf-8")
    return path.resolve()
