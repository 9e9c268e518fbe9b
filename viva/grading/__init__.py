"""Grading: answer + rubric -> Grade."""

from viva.grading.grader import GRADER_VERSION, Grader, grade
from viva.grading.result import Communication, Grade, MisconceptionHit, PointGrade, Span
from viva.grading.rubric import Example, Point, Rubric

__all__ = [
    "GRADER_VERSION",
    "Communication",
    "Example",
    "Grade",
    "Grader",
    "MisconceptionHit",
    "Point",
    "PointGrade",
    "Rubric",
    "Span",
    "grade",
]
