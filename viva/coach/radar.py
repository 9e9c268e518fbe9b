"""A radar chart of mastery per area, as a hand-written SVG: no plotting library, opens in any browser."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from viva.coach.mastery import LOW_EVIDENCE
from viva.errors import Problem, VivaError

WIDTH, HEIGHT, CX, CY, RADIUS = 760, 640, 380, 325, 200  # room for labels left and right
RINGS = (25, 50, 75, 100)


@dataclass(frozen=True)
class Spoke:
    label: str
    score: float | None  # 0-100; None: no attempts yet
    low_evidence: bool = False


def check_chart_path(path: Path) -> Path:
    if path.suffix.lower() != ".svg":
        raise VivaError(
            Problem(
                f"--chart {path}",
                f"cannot write a {path.suffix or 'file without an extension'}: viva draws charts as SVG only",
                "name a .svg file (any browser opens it; `rsvg-convert` turns it into PNG)",
            )
        )
    return path


def write_chart(path: Path, svg: str) -> Path:
    try:
        path.write_text(svg, encoding="utf-8")
    except OSError as e:
        raise VivaError(
            Problem(str(path), f"cannot write the chart ({e.strerror})", "choose another --chart path")
        ) from None
    return path


def _point(i: int, n: int, fraction: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n  # the first axis points straight up, then clockwise
    return CX + RADIUS * fraction * math.cos(angle), CY + RADIUS * fraction * math.sin(angle)


def _polygon(points: Sequence[tuple[float, float]], cls: str) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polygon class="{cls}" points="{coords}"/>'


def _label(i: int, n: int, spoke: Spoke) -> str:
    x, y = _point(i, n, 1.12)
    anchor = "middle" if abs(x - CX) < 10 else ("start" if x > CX else "end")
    if y < CY - RADIUS * 0.9:
        y -= 18  # the label above the top axis: keep its second line clear of the axis end
    if spoke.score is None:
        detail, cls = "no attempts yet", "label none"
    else:
        detail = f"{spoke.score:.0f}%" + (" · little evidence" if spoke.low_evidence else "")
        cls = "label"
    return (
        f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(spoke.label)}'
        f'<tspan x="{x:.1f}" dy="1.2em" class="detail">{escape(detail)}</tspan></text>'
    )


def _dot(i: int, n: int, spoke: Spoke) -> str:
    if spoke.score is None:
        return ""
    x, y = _point(i, n, spoke.score / 100)
    return f'<circle class="{"dot hollow" if spoke.low_evidence else "dot"}" cx="{x:.1f}" cy="{y:.1f}" r="5"/>'


_STYLE = """
.grid{fill:none;stroke:#ddd}.axis{stroke:#bbb}.area{fill:#2563eb;fill-opacity:.25;stroke:#2563eb;stroke-width:2}
.dot{fill:#2563eb}.hollow{fill:#fff;stroke:#2563eb;stroke-width:2}text{font:14px system-ui,sans-serif;fill:#222}
.detail{fill:#555;font-size:12px}.none{fill:#999}.ring{fill:#999;font-size:10px}.note{fill:#666;font-size:12px}
"""


def radar_svg(spokes: Sequence[Spoke], title: str = "Mastery per area") -> str:
    """One axis per spoke (area), rings at 25/50/75/100%; untried areas sit at the centre and say so."""
    n = len(spokes)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{CX}" y="28" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
    ]
    for ring in RINGS:
        parts.append(_polygon([_point(i, n, ring / 100) for i in range(n)], "grid"))
        x, y = _point(0, n, ring / 100)
        parts.append(f'<text class="ring" x="{x + 4:.1f}" y="{y - 3:.1f}">{ring}</text>')
    for i in range(n):
        x, y = _point(i, n, 1.0)
        parts.append(f'<line class="axis" x1="{CX}" y1="{CY}" x2="{x:.1f}" y2="{y:.1f}"/>')
    parts.append(_polygon([_point(i, n, (s.score or 0.0) / 100) for i, s in enumerate(spokes)], "area"))
    parts += [_dot(i, n, s) for i, s in enumerate(spokes)]
    parts += [_label(i, n, s) for i, s in enumerate(spokes)]
    parts.append(
        f'<text class="note" x="{CX}" y="{HEIGHT - 16}" text-anchor="middle">'
        f"Hollow dot: little evidence (fewer than {LOW_EVIDENCE} attempts). Recent attempts count more.</text>"
    )
    parts.append("</svg>")
    return "\n".join(p for p in parts if p) + "\n"
