"""Test doubles shared by the interview tests."""

from __future__ import annotations

from viva.bank.schema import Question
from viva.grading.communication import communication
from viva.grading.result import Grade, PointGrade


def keyword_grade(question: Question, text: str) -> Grade:
    """A key point counts as made when its id appears in the answer: lets a test script any grade exactly."""
    points = [
        PointGrade(
            id=p.id,
            covered=p.id in text,
            confidence=1.0,
            evidence=p.id if p.id in text else None,
            likelihood=1.0 if p.id in text else 0.0,
        )
        for p in question.key_points
    ]
    total = sum(p.weight for p in question.key_points)
    score = 100 * sum(p.weight for p, g in zip(question.key_points, points, strict=True) if g.covered) / total
    return Grade(score=round(score, 1), points=points, communication=communication(text), grader="fake/1")


def all_points(question: Question) -> str:
    return " ".join(p.id for p in question.key_points)
