"""Charts as server-side SVG: no script, no CDN, nothing to vendor. They render with
JavaScript off, in print and in screenshots, scale with the page (a ``viewBox``), and carry
their numbers as visible text; a screen reader gets the title and every value from
``<title>``/``<desc>`` (``role="img"``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

INK = "#1f2a2e"
MUTED = "#62707a"
LINE = "#dfe3e1"
ACCENT = "#1f6f6b"
FONT = 'font-family="inherit"'


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _width(text: str, size: int = 13) -> float:
    """About how wide ``text`` is at ``size`` px: a CJK character is square, Latin about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.56 for ch in text)


def _short(text: str, room: float) -> str:
    """``text`` cut with an ellipsis to fit ``room`` px (the full text stays in ``<desc>``)."""
    if _width(text) <= room:
        return text
    while text and _width(text + "…") > room:
        text = text[:-1]
    return text + "…"


def bar_chart(
    chart_id: str, title: str, items: Sequence[tuple[str, int | float] | tuple[str, int | float, str]], *,
    unit: str = "", width: int = 380, label_width: int = 108, colour: str = ACCENT,
) -> Markup:
    """Horizontal bars, one row per ``(label, value[, colour])``, the value at each bar's end."""
    row, top = 30, 6
    height = top * 2 + row * max(len(items), 1)
    peak = max((float(i[1]) for i in items), default=0) or 1
    space = width - label_width - 44
    desc = "; ".join(f"{label} {_num(value)} {unit}".strip() for label, value, *_ in items)
    out = [
        f'<svg class="chart bars" id="{chart_id}" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for i, (label, value, *rest) in enumerate(items):
        y = top + i * row
        length = max(float(value) / peak * space, 2 if value else 0)
        fill = rest[0] if rest else colour
        out.append(
            f'<g class="bar"><text x="{label_width - 8}" y="{y + 19}" text-anchor="end" font-size="13" fill="{INK}" {FONT}>'
            f'{escape(_short(label, label_width - 12))}</text>'
            f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" height="{row - 10}" rx="3" fill="{escape(fill)}"/>'
            f'<text class="value" x="{label_width + length + 6:.1f}" y="{y + 19}" font-size="13" font-weight="600" fill="{INK}" {FONT}>'
            f'{escape(_num(value))}</text></g>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(chart_id: str, title: str, points: Sequence[tuple[date, int]], *, unit: str = "", width: int = 560, height: int = 220) -> Markup:
    """A line over days with a dot for every day that has cases. The peak days and the last
    day carry their number; the other numbers are ``minor`` (the page may hide them when
    narrow). Every value is in ``<desc>``."""
    left, right, top, bottom = 34, 18, 22, 30
    peak = max((v for _, v in points), default=0)
    ceiling = _nice(peak)
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return left + i * step, top + plot_h - (v / ceiling * plot_h)

    desc = "; ".join(f"{d.isoformat()} {v} {unit}".strip() for d, v in points)
    out = [
        f'<svg class="chart line" id="{chart_id}" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for tick in (0, ceiling // 2, ceiling) if ceiling >= 2 else (0, ceiling):
        y = top + plot_h - tick / ceiling * plot_h
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LINE}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}" {FONT}>{tick}</text>'
        )
    if points:
        coords = [xy(i, v) for i, (_, v) in enumerate(points)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        base = top + plot_h
        out.append(f'<polygon points="{coords[0][0]:.1f},{base:.1f} {path} {coords[-1][0]:.1f},{base:.1f}" fill="{ACCENT}" fill-opacity="0.10"/>')
        out.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2" stroke-linejoin="round"/>')
        last = len(points) - 1
        for i, ((day, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
            if value:
                major = value == peak or i == last
                out.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCENT}"/>'
                    f'<text class="value{"" if major else " minor"}" x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle" '
                    f'font-size="11" font-weight="{600 if major else 400}" fill="{INK}" {FONT}>{value}</text>'
                )
            if i % 7 == last % 7:
                out.append(
                    f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle" font-size="11" fill="{MUTED}" {FONT}>'
                    f'{day.month:02d}-{day.day:02d}</text>'
                )
    out.append("</svg>")
    return Markup("".join(out))


def _nice(peak: int) -> int:
    """A round ceiling for the axis: 1, 2, 4, 5, 10, 20, 25, 50, 100 …"""
    if peak <= 2:
        return max(peak, 1) if peak else 1
    magnitude = 10 ** (len(str(int(peak))) - 1)
    for factor in (1, 2, 2.5, 4, 5, 10):
        ceiling = int(factor * magnitude)
        if ceiling >= peak and ceiling % 2 == 0:
            return ceiling
    return 10 * magnitude
