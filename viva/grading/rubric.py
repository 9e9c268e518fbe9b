"""What an answer is graded against: points (with alternative phrasings) and misconceptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from viva.bank.schema import Kind, Question
from viva.text import content_stems, segments


@dataclass(frozen=True)
class Point:
    id: str
    texts: tuple[str, ...]  # the claim, then any alternative phrasings; the best-matching one counts
    weight: float = 1.0


@dataclass(frozen=True)
class Example:
    """An answer to the same question that a person has graded: the grader scores new answers partly by how the
    most similar graded answers were scored (viva/grading/examples.py)."""

    answer: str
    score: float  # 0-1, the human grade
    contradicts: bool = False  # the grader judged that it contradicts the reference


@dataclass(frozen=True)
class Rubric:
    question: str
    points: tuple[Point, ...]
    misconceptions: tuple[tuple[str, str], ...] = ()  # (claim, why it is wrong)
    id: str = ""
    examples: tuple[Example, ...] = ()
    story: bool = False  # a behavioural question: the answer tells what the candidate did (see grader.STORY_NOTE)

    def with_examples(self, examples: Sequence[Example]) -> Rubric:
        return replace(self, examples=tuple(examples))

    @classmethod
    def of(cls, q: Question) -> Rubric:
        return cls(
            question=q.question,
            points=tuple(Point(p.id, (p.text,), p.weight) for p in q.key_points),
            misconceptions=tuple((m.claim, m.why) for m in q.misconceptions),
            id=q.id,
            story=q.kind == Kind.behavioral,
        )

    @classmethod
    def from_reference(cls, question: str, reference: str | Sequence[str], id: str = "") -> Rubric:
        """Reference-only mode: derive key points from a reference answer (or several equally good ones)."""
        if isinstance(reference, str):
            points = derive_points(reference)
        else:
            alternatives = tuple(r.strip() for r in reference if r.strip())
            points = (Point("p1", alternatives),) if alternatives else ()
        return cls(question=question, points=points, id=id)


def derive_points(reference: str, min_stems: int = 3) -> tuple[Point, ...]:
    """One point per sentence-like segment that carries content; fragments join the point before them.

    Short references (one or two sentences) stay whole: splitting a single claim would grade halves of it.
    """
    pieces = [s.text for s in segments(reference)]
    if len(pieces) <= 2 and len(content_stems(reference)) <= 25:
        return (Point("p1", (reference.strip(),)),) if reference.strip() else ()
    merged: list[str] = []
    for piece in pieces:
        if merged and len(content_stems(piece)) < min_stems:
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return tuple(Point(f"p{i}", (text,)) for i, text in enumerate(merged, 1))
