"""Charts as inline SVG, so a report is one self-contained file that opens anywhere (also on
a closed government network, and printed to PDF by any browser)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

_BAR = "#1f4e79"
_SHORT = "#c0392b"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    maximum: float = 100.0,
    threshold: float | None = None,
    unit: str = "%",
    title: str = "",
) -> Markup:
    """Horizontal bars, one per label; bars below ``threshold`` are red, with a dashed line."""
    row, left, width = 22, 170, 360
    height = row * len(labels) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 70}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="12">',
        f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 24 + i * row
        short = label if len(label) <= 12 else label[:11] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(short)}</text>')
        if value is None:
            parts.append(f'<text x="{left + 4}" y="{y + 14}" fill="#888">未测评</text>')
            continue
        w = max(0.0, min(1.0, value / maximum)) * width
        color = _SHORT if threshold is not None and value < threshold else _BAR
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{color}"/>'
        )
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}">{value:g}{escape(unit)}</text>')
    if threshold is not None:
        x = left + threshold / maximum * width
        parts.append(
            f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height - 10}" stroke="{_SHORT}" '
            'stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text piece above is escaped
