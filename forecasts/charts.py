"""The calibration chart, drawn on the server as SVG from a scoring.Calibration (no maths here)."""

from dataclasses import dataclass

from django.utils.html import escape

from forecasts.scoring import Calibration

SIZE = 480
MARGIN = {"left": 64, "right": 24, "top": 40, "bottom": 56}


@dataclass
class Point:
    x: float
    y: float
    ci_low: float
    ci_high: float
    n: int
    label: str
    name: str = ""


def calibration_svg(report: Calibration, *, title: str, element_id: str = "calibration-chart") -> str:
    """Points at each bin's mean forecast against its observed frequency, Wilson interval bars, the diagonal,
    n per bin, and an honest empty state."""
    points = [
        Point(
            b.mean_probability, b.observed_frequency, b.ci_low, b.ci_high, b.n,
            f"{b.lower:.0%}–{b.upper:.0%}: n = {b.n}, mean forecast {b.mean_probability:.0%}, "
            f"came true {b.observed_frequency:.0%} (95% interval {b.ci_low:.0%}–{b.ci_high:.0%})",
        )
        for b in report.bins
        if b.n
    ]
    summary = (
        f"{report.n_resolved} resolved predictions in {len(points)} of {len(report.bins)} bins"
        if report.n_resolved
        else "No resolved predictions yet"
    )
    return _chart(points, title=title, summary=summary, element_id=element_id, x_label="Forecast probability")


def phrase_svg(entries, *, title: str, element_id: str = "phrase-chart") -> str:
    """Each hedge phrase at its phrase-table number (x) against how often claims made with it came true (y)."""
    points = [
        Point(
            e.phrase.probability, e.overall.observed_frequency, e.overall.ci_low, e.overall.ci_high, e.overall.n,
            f"“{e.phrase.phrase}” ({e.phrase.probability:.0%} in the table): n = {e.overall.n}, came true "
            f"{e.overall.observed_frequency:.0%} (95% interval {e.overall.ci_low:.0%}–{e.overall.ci_high:.0%})",
            name=e.phrase.phrase,
        )
        for e in entries
        if e.overall.n
    ]
    judged = sum(point.n for point in points)
    summary = f"{judged} judged claims over {len(points)} phrases" if judged else "No judged claims made with a phrase yet"
    return _chart(points, title=title, summary=summary, element_id=element_id, x_label="The phrase table's probability")


def _chart(points: list[Point], *, title: str, summary: str, element_id: str, x_label: str) -> str:
    width = height = SIZE
    plot_w = width - MARGIN["left"] - MARGIN["right"]
    plot_h = height - MARGIN["top"] - MARGIN["bottom"]

    def x(value: float) -> float:
        return round(MARGIN["left"] + value * plot_w, 2)

    def y(value: float) -> float:
        return round(MARGIN["top"] + (1 - value) * plot_h, 2)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{element_id}-title {element_id}-desc" class="calibration-chart" id="{element_id}">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">Calibration: forecast probability (x) against how often it came true (y). '
        f"{escape(summary)}.</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#1d2433">{escape(title)}</text>',
    ]
    for tick in range(0, 11, 2):
        value = tick / 10
        parts.append(f'<line x1="{x(value)}" y1="{y(0)}" x2="{x(value)}" y2="{y(1)}" stroke="#e3e7ee"/>')
        parts.append(f'<line x1="{x(0)}" y1="{y(value)}" x2="{x(1)}" y2="{y(value)}" stroke="#e3e7ee"/>')
        parts.append(f'<text x="{x(value)}" y="{y(0) + 18}" text-anchor="middle" font-size="12" fill="#4a5568">{tick * 10}%</text>')
        parts.append(f'<text x="{x(0) - 8}" y="{y(value) + 4}" text-anchor="end" font-size="12" fill="#4a5568">{tick * 10}%</text>')
    parts += [
        f'<rect x="{x(0)}" y="{y(1)}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#8a94a6"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#8a94a6" stroke-dasharray="6 4" class="diagonal"/>',
        f'<text x="{x(0.5)}" y="{height - 14}" text-anchor="middle" font-size="13" fill="#1d2433">{escape(x_label)}</text>',
        f'<text x="18" y="{y(0.5)}" text-anchor="middle" font-size="13" fill="#1d2433" '
        f'transform="rotate(-90 18 {y(0.5)})">Observed frequency</text>',
    ]
    if not points:
        parts.append(
            f'<text x="{x(0.5)}" y="{y(0.5)}" text-anchor="middle" font-size="15" fill="#4a5568" class="empty-state">'
            f"{escape(summary)}</text>"
        )
    for point in points:
        cx, cy = x(point.x), y(point.y)
        tag = f"{point.name}, n={point.n}" if point.name else f"n={point.n}"
        parts += [
            f'<g class="bin"><title>{escape(point.label)}</title>',
            f'<line x1="{cx}" y1="{y(point.ci_low)}" x2="{cx}" y2="{y(point.ci_high)}" stroke="#2b6cb0" stroke-width="2" class="interval"/>',
            f'<line x1="{cx - 5}" y1="{y(point.ci_low)}" x2="{cx + 5}" y2="{y(point.ci_low)}" stroke="#2b6cb0" stroke-width="2"/>',
            f'<line x1="{cx - 5}" y1="{y(point.ci_high)}" x2="{cx + 5}" y2="{y(point.ci_high)}" stroke="#2b6cb0" stroke-width="2"/>',
            f'<circle cx="{cx}" cy="{cy}" r="6" fill="#2b6cb0" class="point"/>',
            # Near the right edge the label goes to the point's left, inside the chart.
            f'<text x="{cx + 9 if point.x < 0.75 else cx - 9}" y="{cy - 8}" font-size="12" fill="#1d2433" class="bin-n" '
            f'text-anchor="{"start" if point.x < 0.75 else "end"}">{escape(tag)}</text>',
            "</g>",
        ]
    parts.append("</svg>")
    return "\n".join(parts)
