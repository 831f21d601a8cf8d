"""Server-rendered inline SVG charts (no JavaScript chart library, works offline)."""
from __future__ import annotations

from collections.abc import Mapping
from html import escape

from monitor.core.vocab import STATUS

# Colours per status; kept in sync with the heat-map classes in static/dashboard.css.
COLORS = {
    "ok": "#2e7d32", "due_soon": "#f9a825", "overdue": "#c62828", "missing": "#6a1b9a",
    "blank": "#8d6e63", "undated": "#546e7a", "unreachable": "#37474f",
}


def status_bars(series: list[dict], labels: Mapping[str, str], *, width: int = 760, height: int = 220,
                title: str = "") -> str:
    """Stacked bars: one bar per assessment day, one segment per status (counts of items)."""
    if not series:
        return ('<p class="muted">还没有历史评估记录：每次扫描后会保存当天的评估，'
                '积累后这里显示各状态随时间的变化。</p>')
    left, right, top, bottom = 34, 10, 14, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(1, max(sum(p["counts"].values()) for p in series))
    n = len(series)
    slot = plot_w / n
    bar = max(2.0, min(28.0, slot * 0.8))
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title or "状态变化")}">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#666">'
                     f'{round(peak * frac)}</text>')
    label_every = max(1, n // 8)
    for i, point in enumerate(series):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for status in STATUS.order:
            count = point["counts"].get(status, 0)
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{COLORS[status]}"><title>{escape(point["as_of"])} '
                         f'{escape(labels.get(status, status))}：{count} 项</title></rect>')
        if i % label_every == 0 or i == n - 1:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                         f'text-anchor="middle" fill="#444">{escape(point["as_of"][5:])}</text>')
    lx = left
    for status in STATUS.order:
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{COLORS[status]}"/>')
        label = escape(labels.get(status, status))
        parts.append(f'<text x="{lx + 13}" y="{height - 5}" font-size="10" fill="#333">{label}</text>')
        lx += 16 + 11 * len(labels.get(status, status)) + 6
    parts.append("</svg>")
    return "".join(parts)


def share_bar(counts: dict[str, int], labels: Mapping[str, str], *, width: int = 160, height: int = 12) -> str:
    """A small horizontal bar of status shares (unit tables)."""
    total = sum(counts.get(s, 0) for s in STATUS.order)
    if not total:
        return ""
    parts = [f'<svg class="share" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    x = 0.0
    for status in STATUS.order:
        c = counts.get(status, 0)
        if not c:
            continue
        w = width * c / total
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{COLORS[status]}">'
                     f'<title>{escape(labels.get(status, status))} {c}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)
