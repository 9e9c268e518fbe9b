"""The candidate's answer as HTML with their own words marked per key point, from the grade's span offsets.

Answers are untrusted: every character of them is escaped here, and only the <mark> tags are ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup, escape

from viva.web.models import Feedback, SpanOut

# When marks overlap, the more serious one shows (its title lists them all).
PRIORITY = {"injection": 4, "misconception": 3, "contradicted": 2, "near": 1, "covered": 0}


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    kind: str  # a key of PRIORITY; the CSS class is "hl-<kind>"
    label: str


def marks(f: Feedback) -> list[Mark]:
    found: list[Mark] = []

    def add(span: SpanOut | None, kind: str, label: str) -> None:
        if span is not None:
            start, end = max(0, span.start), min(len(f.answer), span.end)
            if start < end:
                found.append(Mark(start, end, kind, label))

    for i, p in enumerate(f.covered, 1):
        add(p.span, "covered", f"key point {i}: {p.text}")
    for p in f.missed:
        add(
            p.span,
            "contradicted" if p.contradicted else "near",
            f"{'says the opposite of' if p.contradicted else 'close to, but does not make'}: {p.text}",
        )
    for m in f.misconceptions:
        add(m.span, "misconception", f"misconception: {m.claim}")
    for s in f.injection:
        add(s, "injection", "instructions inside the answer, ignored")
    return found


def highlighted(f: Feedback) -> Markup:
    """The answer, escaped, with <mark class="hl-KIND" title="..."> around each span the grade points at."""
    found = marks(f)
    cuts = sorted({0, len(f.answer), *(m.start for m in found), *(m.end for m in found)})
    out: list[str] = []
    for a, b in pairwise(cuts):
        piece = escape(f.answer[a:b])
        active = [m for m in found if m.start <= a and b <= m.end]
        if not active:
            out.append(piece)
            continue
        top = max(active, key=lambda m: PRIORITY[m.kind])
        title = escape("; ".join(dict.fromkeys(m.label for m in active)))
        out.append(f'<mark class="hl-{top.kind}" title="{title}">{piece}</mark>')
    return Markup("".join(out))
