"""Charts drawn on the server as SVG: no script, readable by a screen reader (each bar carries
its value as text and a <title>), and the numbers are the operation's, unrounded in data-value."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Bar:
    key: str  # stable name for tests and styles (service, management, enforcement)
    label: str  # shown, Chinese first
    value: float  # a share, 0..1
    target: float  # the 721 target share
    count: int


def _open(width: int, height: int, title_id: str, title: str) -> list[str]:
    svg = (
        f'<svg class="chart" role="img" aria-labelledby="{title_id}" viewBox="0 0 {width} {height}" '
        'width="100%" xmlns="http://www.w3.org/2000/svg">'
    )
    return [svg, f'<title id="{title_id}">{escape(title)}</title>']


def method_split(bars: list[Bar], title: str) -> str:
    """The 721 split as horizontal bars, each with its target as a marker line."""
    width, row, left = 560, 46, 150
    height = row * len(bars) + 30
    scale = width - left - 70
    parts = _open(width, height, "chart-title", title)
    for index, bar in enumerate(bars):
        y = 10 + index * row
        length = max(0.0, min(1.0, bar.value)) * scale
        target_x = left + max(0.0, min(1.0, bar.target)) * scale
        parts.append(
            f'<g class="bar bar-{bar.key}" data-key="{bar.key}" data-value="{bar.value!r}" '
            f'data-count="{bar.count}" data-target="{bar.target!r}">'
            f"<title>{escape(bar.label)}: {bar.value:.1%} ({bar.count}), 目标 {bar.target:.0%}</title>"
            f'<text x="0" y="{y + 20}" class="label">{escape(bar.label)}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{length:.1f}" height="24" class="fill"/>'
            f'<line x1="{target_x:.1f}" x2="{target_x:.1f}" y1="{y}" y2="{y + 32}" class="target"/>'
            f'<text x="{left + length + 6:.1f}" y="{y + 21}" class="value">{bar.value:.1%}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def months(rows: list[tuple[str, int, int]], title: str) -> str:
    """Tickets received and resolved per month as paired columns."""
    width, height, bottom = 560, 220, 190
    peak = max([1] + [max(received, resolved) for _, received, resolved in rows])
    step = (width - 40) / max(1, len(rows))
    parts = _open(width, height, "trend-title", title)
    for index, (label, received, resolved) in enumerate(rows):
        x = 30 + index * step
        for offset, value, kind in ((0, received, "received"), (step * 0.38, resolved, "resolved")):
            h = value / peak * (bottom - 20)
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{bottom - h:.1f}" width="{step * 0.36:.1f}" '
                f'height="{h:.1f}" class="{kind}"><title>{escape(label)} {value}</title></rect>'
            )
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" class="label">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
