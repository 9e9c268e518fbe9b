"""The trend of mean score per day as a small hand-written SVG (the radar comes from `viva.coach.radar`)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from viva.web.models import DayMeanOut

WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 640, 220, 40, 16, 16, 36


def _xy(i: int, n: int, mean: float) -> tuple[float, float]:
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    x = PAD_LEFT + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)
    return x, PAD_TOP + inner_h * (1 - mean / 100)


def trend_svg(days: Sequence[DayMeanOut]) -> str:
    """Mean score per day, oldest left; each dot's tooltip gives the day, the mean and the number of attempts."""
    n = len(days)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="trend-title"><title id="trend-title">Mean score per day</title>'
    ]
    for level in (0, 25, 50, 75, 100):
        _, y = _xy(0, 1, level)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#666">{level}</text>'
        )
    points = [_xy(i, n, d.mean) for i, d in enumerate(days)]
    if n > 1:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    for (x, y), d in zip(points, days, strict=True):
        tip = escape(f"{d.day}: {d.mean:.0f}% over {d.attempts} attempt{'s' if d.attempts != 1 else ''}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#2563eb"><title>{tip}</title></circle>')
    for i in sorted({0, n - 1}) if n else []:
        x, _ = _xy(i, n, 0)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle" font-size="11" fill="#666">'
            f"{escape(days[i].day)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
