"""Reading the ``matches`` table: the rows (``xxgk matches``, the dashboard) and their text table."""
from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any, Mapping

from monitor.catalog import CatalogItem
from monitor.core.vocab import KIND, MATCH_STATE
from monitor.matching.textsim import id_key
from monitor.store import rows
from monitor.store.engine import Database


def list_matches(db: Database, *, review_only: bool = False,
                 item_id: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT item_id, target, url, score, reason, method, state FROM matches"
    where, params = [], []
    if review_only:
        where.append("state = 'review'")
    if item_id:
        where.append("item_id = ?")
        params.append(item_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    found = rows(db, sql, params)
    order = {"column": 0, "article": 1, "entry": 2, "attachment": 3}
    found.sort(key=lambda r: (id_key(r["item_id"]), order.get(r["target"], 9), -r["score"], r["url"]))
    return found


def matches_table(found: list[dict[str, Any]], items: Mapping[str, CatalogItem]) -> list[str]:
    """The table of ``list_matches`` rows and a closing line with the count per state."""
    header = ["事项", "对象", "网址", "分数", "理由", "状态"]
    table = [header]
    for r in found:
        it = items.get(r["item_id"])
        name = f"{r['item_id']} {it.name}" if it else r["item_id"]
        table.append([name, KIND.short.get(r["target"], r["target"]), r["url"], f"{r['score']:.2f}",
                      r["reason"], MATCH_STATE.cli.get(r["state"], r["state"])])
    counts = Counter(r["state"] for r in found)
    return [_render(table),
            "共 {} 条：".format(len(found)) + "，".join(f"{MATCH_STATE.cli.get(k, k)} {v}" for k, v in counts.items())]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _render(table: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    # Reasons are long: let the last-but-one column run free instead of padding everything.
    lines = []
    for row in table:
        cells = [cell + " " * (widths[i] - _width(cell)) if i < len(row) - 2 else cell for i, cell in enumerate(row)]
        lines.append("  ".join(cells[:-2]) + "  " + cells[-1] + "  " + cells[-2])
    return "\n".join(lines)
