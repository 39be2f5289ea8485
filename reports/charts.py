"""Small charts drawn on the server as SVG: no library, no JavaScript.

Each chart is an image with a title and a description (`role="img"`, `aria-labelledby`), and
the page shows the same numbers in a table beside it, so nothing is in the picture alone.
Series differ in line style and marker as well as colour, and the legend says which is which.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 24, 40
# Dark enough for 3:1 against white (WCAG 1.4.11), told apart by dash and marker too.
SERIES_STYLES = (
    {"colour": "#1d4f91", "dash": "", "marker": "circle"},
    {"colour": "#a4332a", "dash": "6 4", "marker": "square"},
    {"colour": "#2e6b30", "dash": "2 3", "marker": "circle"},
)


@dataclass
class Series:
    name: str
    values: list[float | None]


def _scale_max(values) -> float:
    top = max([v for v in values if v is not None] or [0])
    return top if top > 0 else 1


def _frame(chart_id: str, title: str, description: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc"'
        ' xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH, HEIGHT, chart_id, chart_id, chart_id, title, chart_id, description, body,
    )  # fmt: skip


def _axes(top_value: float, unit: str) -> SafeString:
    plot_bottom = HEIGHT - BOTTOM
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#505a5f"/>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#505a5f"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#0b0c0c">{}{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#0b0c0c">0</text>',
        LEFT, TOP, LEFT, plot_bottom, LEFT, plot_bottom, WIDTH - RIGHT, plot_bottom,
        LEFT - 4, TOP + 8, _number(top_value), unit, LEFT - 4, plot_bottom,
    )  # fmt: skip


def _px(value: float) -> str:
    return f"{value:.1f}"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or value >= 10 else f"{value:.1f}"


def bar_chart(
    *, chart_id: str, title: str, description: str, labels: list[str], values: list[float]
) -> SafeString:
    """Vertical bars, one per label, each labelled with its value."""
    top = _scale_max(values)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(values), 1)
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot_height * (value or 0) / top
        x = LEFT + index * slot + slot * 0.15
        y = TOP + plot_height - height
        bars.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#1d4f91"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="middle"'
                ' fill="#0b0c0c">{}</text>'
                '<text x="{}" y="{}" font-size="11" text-anchor="middle"'
                ' fill="#0b0c0c">{}</text>',
                _px(x),
                _px(y),
                _px(slot * 0.7),
                _px(height),
                _px(x + slot * 0.35),
                _px(y - 4),  # above the bar: TOP leaves room
                _number(value or 0),
                _px(x + slot * 0.35),
                HEIGHT - BOTTOM + 14,
                _short(label, slot),
            )
        )
    body = _axes(top, "") + mark_safe("".join(bars))  # noqa: S308 (each part is escaped)
    return _frame(chart_id, title, description, body)


def _short(label: str, room: float) -> str:
    characters = max(int(room / 6.5), 3)
    return label if len(label) <= characters else label[: characters - 1] + "…"


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    unit: str = "",
    top: float | None = None,
) -> SafeString:
    """One line per series over the labels (days); a missing value breaks the line."""
    top = top or _scale_max([v for s in series for v in s.values])
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(labels) - 1, 1)
    parts = []
    for number, line in enumerate(series):
        style = SERIES_STYLES[number % len(SERIES_STYLES)]
        segments, current = [], []
        for index, value in enumerate(line.values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append((LEFT + index * step, TOP + plot_height - plot_height * value / top))
        if current:
            segments.append(current)
        for segment in segments:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"'
                    ' stroke-dasharray="{}"/>',
                    points,
                    style["colour"],
                    style["dash"] or "none",
                )
            )
            if len(segment) <= 31:  # markers only where they stay legible
                parts.append(_markers(segment, style))
        legend_x = LEFT + number * 200
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"'
                ' stroke-dasharray="{}"/>'
                '<text x="{}" y="{}" font-size="11" fill="#0b0c0c">{}</text>',
                legend_x,
                HEIGHT - 8,
                legend_x + 24,
                HEIGHT - 8,
                style["colour"],
                style["dash"] or "none",
                legend_x + 28,
                HEIGHT - 4,
                line.name,
            )
        )
    if labels:
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="11" fill="#0b0c0c">{}</text>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#0b0c0c">{}</text>',
                LEFT,
                HEIGHT - BOTTOM + 14,
                labels[0],
                WIDTH - RIGHT,
                HEIGHT - BOTTOM + 14,
                labels[-1],
            )
        )
    body = _axes(top, unit) + mark_safe("".join(parts))  # noqa: S308 (each part is escaped)
    return _frame(chart_id, title, description, body)


def _markers(segment, style) -> SafeString:
    if style["marker"] == "square":
        return format_html_join(
            "",
            '<rect x="{}" y="{}" width="6" height="6" fill="{}"/>',
            ((_px(x - 3), _px(y - 3), style["colour"]) for x, y in segment),
        )
    return format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="{}"/>',
        ((_px(x), _px(y), style["colour"]) for x, y in segment),
    )
