"""Bar charts of a call report as SVG, drawn on the appliance.

The page embeds them inline; nothing is fetched from elsewhere. Colours are
presentation attributes, not style attributes, so the web admin's
Content-Security-Policy (no inline styles) lets them through. Every text is
XML-escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from agent.reports.figures import Row

WIDTH = 720
BAR_AREA_HEIGHT = 160
LABEL_SPACE = 40
LEFT = 40
ANSWERED_FILL = "#2f7d32"
MISSED_FILL = "#c62828"
# Horizontal bars (per extension, trunk, ring group) get this much height
# each; past ROWS_MAX rows the chart would be taller than a screen and the
# table below it says the rest.
ROW_HEIGHT = 18
ROWS_MAX = 25
# Labels under columns past this many run into each other at 720 units wide.
LABELS_MAX = 12
# Room right of the longest bar for its count.
COUNT_SPACE = 60


def columns(rows: list[Row], title: str) -> str:
    """Stacked columns (answered below, missed above) for days or hours."""
    count = max(len(rows), 1)
    top = max((r.figures.answered + r.figures.missed for r in rows), default=0)
    top = max(top, 1)
    step = (WIDTH - LEFT) / count
    bar = max(step * 0.7, 1.0)
    height = BAR_AREA_HEIGHT + LABEL_SPACE
    parts = [_open(WIDTH, height, title), _axis_label(top, LEFT - 4, 12)]
    every = -(-count // LABELS_MAX)  # at most LABELS_MAX labels under them
    for n, row in enumerate(rows):
        x = LEFT + n * step + (step - bar) / 2
        answered = row.figures.answered / top * BAR_AREA_HEIGHT
        missed = row.figures.missed / top * BAR_AREA_HEIGHT
        base = BAR_AREA_HEIGHT
        tip = (
            f"{row.label}: {row.figures.answered} answered, {row.figures.missed} missed"
        )
        parts.append(f"<g><title>{escape(tip)}</title>")
        parts.append(_rect(x, base - answered, bar, answered, ANSWERED_FILL))
        parts.append(_rect(x, base - answered - missed, bar, missed, MISSED_FILL))
        parts.append("</g>")
        if n % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + 14}" font-size="10" '
                f'text-anchor="middle">{escape(row.key[-5:])}</text>'
            )
    parts.append(_legend(height - 8))
    parts.append("</svg>")
    return "".join(parts)


def bars(rows: list[Row], title: str) -> str:
    """Horizontal bars, one per extension, trunk or ring group."""
    shown = sorted(rows, key=lambda r: -r.figures.calls)[:ROWS_MAX]
    label_width = 160
    height = max(len(shown), 1) * ROW_HEIGHT + LABEL_SPACE
    top = max((r.figures.answered + r.figures.missed for r in shown), default=0)
    top = max(top, 1)
    span = WIDTH - label_width - COUNT_SPACE
    parts = [_open(WIDTH, height, title)]
    for n, row in enumerate(shown):
        y = n * ROW_HEIGHT + 4
        answered = row.figures.answered / top * span
        missed = row.figures.missed / top * span
        name = (
            row.key
            if not row.label or row.label == row.key
            else f"{row.key} {row.label}"
        )
        tip = f"{name}: {row.figures.answered} answered, {row.figures.missed} missed"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 12}" font-size="11" '
            f'text-anchor="end">{escape(name[:24])}</text>'
        )
        parts.append(f"<g><title>{escape(tip)}</title>")
        parts.append(_rect(label_width, y, answered, ROW_HEIGHT - 4, ANSWERED_FILL))
        parts.append(
            _rect(label_width + answered, y, missed, ROW_HEIGHT - 4, MISSED_FILL)
        )
        parts.append("</g>")
        parts.append(
            f'<text x="{label_width + answered + missed + 4:.1f}" y="{y + 12}" '
            f'font-size="10">{row.figures.calls}</text>'
        )
    parts.append(_legend(height - 8))
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        'font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
    )


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    if w <= 0 or h <= 0:
        return ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        f'fill="{fill}"/>'
    )


def _axis_label(top: int, x: float, y: float) -> str:
    return f'<text x="{x}" y="{y}" font-size="10" text-anchor="end">{top}</text>'


def _legend(y: float) -> str:
    return (
        f'<rect x="{LEFT}" y="{y - 9}" width="10" height="10" fill="{ANSWERED_FILL}"/>'
        f'<text x="{LEFT + 14}" y="{y}" font-size="11">answered</text>'
        f'<rect x="{LEFT + 90}" y="{y - 9}" width="10" height="10" '
        f'fill="{MISSED_FILL}"/>'
        f'<text x="{LEFT + 104}" y="{y}" font-size="11">missed</text>'
    )
