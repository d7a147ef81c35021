"""Charts drawn on the server as SVG (no JavaScript, no CDN): pure functions from numbers to
markup, so the page works offline and the tests can read the numbers back."""

from __future__ import annotations

from datetime import date
from html import escape

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 240, 48, 28, 12


def masked(value: int, small: int) -> str:
    """A count as shown: below ``small`` it is "<small", so nobody can be singled out."""
    return f"<{small}" if 0 < value < small else str(value)


def _axis(max_value: float, unit: str) -> str:
    parts = []
    for i in range(5):
        value = max_value * i / 4
        y = HEIGHT - BOTTOM - (HEIGHT - BOTTOM - TOP) * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{value:.0f}{unit}</text>"
        )
    return "".join(parts)


def _day_labels(days: list[date], step: float) -> str:
    every = max(1, len(days) // 8)
    return "".join(
        f'<text x="{LEFT + step * (i + 0.5):.1f}" y="{HEIGHT - 8}" class="tick" '
        f'text-anchor="middle">{d:%d/%m}</text>'
        for i, d in enumerate(days)
        if i % every == 0
    )


def stacked_bars(
    days: list[date], teams: list[str], values: dict[tuple[date, str], int], small: int, title: str
) -> str:
    """Questions per day, one colour per team. Bars under ``small`` are not drawn."""
    totals = [sum(values.get((d, t), 0) for t in teams) for d in days]
    top = max([*totals, 1])
    step = (WIDTH - LEFT) / max(len(days), 1)
    scale = (HEIGHT - BOTTOM - TOP) / top
    bars = []
    for i, day in enumerate(days):
        y: float = HEIGHT - BOTTOM
        for j, team in enumerate(teams):
            value = values.get((day, team), 0)
            label = f"{day:%Y-%m-%d} {team}: {masked(value, small)}"
            if value < small:
                continue
            height = value * scale
            y -= height
            bars.append(
                f'<rect x="{LEFT + step * i + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
                f'height="{height:.1f}" fill="{PALETTE[j % len(PALETTE)]}" '
                f'data-day="{day.isoformat()}" data-team="{escape(team)}" data-count="{value}">'
                f"<title>{escape(label)}</title></rect>"
            )
    legend = "".join(
        f'<rect x="{LEFT + 120 * j}" y="0" width="10" height="10" fill="{PALETTE[j % 10]}"/>'
        f'<text x="{LEFT + 120 * j + 14}" y="9" class="tick">{escape(t)}</text>'
        for j, t in enumerate(teams)
    )
    return (
        f'<svg viewBox="0 -14 {WIDTH} {HEIGHT + 14}" role="img" class="chart">'
        f"<title>{escape(title)}</title>{legend}{_axis(top, '')}{''.join(bars)}"
        f"{_day_labels(days, step)}</svg>"
    )


def latency_lines(
    days: list[date], points: list[tuple[date, int | None, int | None]], title: str
) -> str:
    """p50 and p95 answer time per day (ms)."""
    by_day: dict[date, tuple[int | None, int | None]] = {d: (a, b) for d, a, b in points}
    top = max([p for _, a, b in points for p in (a, b) if p is not None] + [100])
    step = (WIDTH - LEFT) / max(len(days), 1)
    scale = (HEIGHT - BOTTOM - TOP) / top
    lines = []
    for which, colour, name in ((0, "#1f77b4", "p50"), (1, "#d62728", "p95")):
        coords = []
        for i, d in enumerate(days):
            value = by_day.get(d, (None, None))[which]
            if value is not None:
                x, y = LEFT + step * (i + 0.5), HEIGHT - BOTTOM - value * scale
                coords.append(f"{x:.1f},{y:.1f}")
                lines.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                    f"<title>{d:%Y-%m-%d} {name}: {value} ms</title></circle>"
                )
        if coords:
            lines.append(
                f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" '
                f'stroke-width="2" data-series="{name}"><title>{name}</title></polyline>'
            )
    legend = (
        '<text x="60" y="9" class="tick" fill="#1f77b4">— p50</text>'
        '<text x="130" y="9" class="tick" fill="#d62728">— p95</text>'
    )
    return (
        f'<svg viewBox="0 -14 {WIDTH} {HEIGHT + 14}" role="img" class="chart">'
        f"<title>{escape(title)}</title>{legend}{_axis(top, ' ms')}{''.join(lines)}"
        f"{_day_labels(days, step)}</svg>"
    )
