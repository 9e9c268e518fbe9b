"""`viva grade` input and output: JSON Lines in, one result or one error per line out, in input order."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from viva.bank.loader import Bank
from viva.errors import Problem, VivaError
from viva.grading.result import Grade
from viva.grading.rubric import Example, Point, Rubric

MAX_ANSWER_CHARS = 20_000


class _KeyPointIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0)


class _RubricLine(BaseModel):
    id: str | int | None = None
    question: str = Field(min_length=1)
    answer: str
    key_points: list[_KeyPointIn] = Field(min_length=1)
    misconceptions: list[str] = Field(default_factory=list)


class _ReferenceLine(BaseModel):
    id: str | int | None = None
    question: str = Field(min_length=1)
    answer: str
    reference: str | list[str]


class _BankLine(BaseModel):
    id: str | int | None = None
    question_id: str = Field(min_length=1)
    answer: str


@dataclass(frozen=True)
class Job:
    line: int
    id: Any
    rubric: Rubric
    answer: str


@dataclass(frozen=True)
class Failure:
    line: int
    id: Any
    error: str

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.id} if self.id is not None else {}
        return row | {"line": self.line, "error": self.error}


def parse(lines: Iterable[str], bank: Bank | None) -> Iterator[Job | Failure]:
    """Each non-blank line becomes a Job, or a Failure that says what is wrong and how to fix it."""
    for n, raw in enumerate(lines, 1):
        if raw.strip():
            yield _parse_line(n, raw, bank)


def _parse_line(n: int, raw: str, bank: Bank | None) -> Job | Failure:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        return Failure(n, None, f"not valid JSON ({e.msg} at column {e.colno}) — write one JSON object per line")
    if not isinstance(data, dict):
        return Failure(n, None, 'expected a JSON object — write {"id": ..., "question": ..., "answer": ...}')
    qid = data.get("id")
    shape = _RubricLine if "key_points" in data else _ReferenceLine if "reference" in data else _BankLine
    try:
        line = shape.model_validate(data)
    except ValidationError as e:
        return Failure(n, qid, _field_error(e, shape))
    if not line.answer.strip():
        return Failure(n, qid, "field 'answer' is empty — include the candidate's answer text")
    if len(line.answer) > MAX_ANSWER_CHARS:
        return Failure(n, qid, f"field 'answer' is longer than {MAX_ANSWER_CHARS:,} characters — shorten it")
    if isinstance(line, _BankLine):
        if bank is None or line.question_id not in bank.questions:
            return Failure(n, qid, f"unknown question_id {line.question_id!r} — list ids with `viva bank list`")
        return Job(n, qid, Rubric.of(bank.questions[line.question_id]), line.answer)
    if isinstance(line, _RubricLine):
        points = tuple(Point(k.id, (k.text,), k.weight) for k in line.key_points)
        rubric = Rubric(line.question, points, tuple((m, "") for m in line.misconceptions))
        return Job(n, qid, rubric, line.answer)
    return Job(n, qid, Rubric.from_reference(line.question, line.reference), line.answer)


class _ExampleLine(BaseModel):
    question_id: str | None = Field(None, min_length=1)
    question: str | None = Field(None, min_length=1)
    answer: str = Field(min_length=1)
    score: float = Field(ge=0, le=1)
    contradicts: bool = False


def parse_examples(lines: Iterable[str], where: str, bank: Bank | None) -> dict[str, tuple[Example, ...]]:
    """Graded examples, keyed by bank question id or by question text (`examples_key`). Unlike answers to grade,
    a bad example stops the run: grading on with part of a team's examples would quietly change every score."""
    found: dict[str, list[Example]] = defaultdict(list)
    problems = []
    form = 'write {"question_id" (or "question"), "answer", "score" (0-1), "contradicts"?}'
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            line = _ExampleLine.model_validate_json(raw)
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            what = f"missing field '{field}'" if err["type"] == "missing" else f"{field or 'line'}: {err['msg']}"
            problems.append(Problem.at(where, n, what, form))
            continue
        if (line.question_id is None) == (line.question is None):
            problems.append(Problem.at(where, n, "give exactly one of 'question_id' and 'question'", form))
        elif line.question_id is not None and (bank is None or line.question_id not in bank.questions):
            problems.append(
                Problem.at(where, n, f"unknown question_id {line.question_id!r}", "list ids with `viva bank list`")
            )
        else:
            key = examples_key(line.question_id, line.question or "")
            found[key].append(Example(line.answer, line.score, line.contradicts))
    if problems:
        raise VivaError(problems[:20])
    return {k: tuple(v) for k, v in found.items()}


def examples_key(question_id: str | None, question: str) -> str:
    return f"id:{question_id}" if question_id else f"question:{' '.join(question.split())}"


def examples_for(rubric: Rubric, examples: dict[str, tuple[Example, ...]]) -> Rubric:
    """The rubric with the examples given for its question: by bank id, else by the question's text."""
    by_id = examples.get(examples_key(rubric.id, "")) if rubric.id else None
    found = by_id or examples.get(examples_key(None, rubric.question), ())
    return rubric.with_examples(found) if found else rubric


def with_examples(parsed: list[Job | Failure], examples: dict[str, tuple[Example, ...]]) -> list[Job | Failure]:
    """Each job's rubric with the examples for its question (examples_for)."""
    if not examples:
        return parsed
    return [replace(p, rubric=examples_for(p.rubric, examples)) if isinstance(p, Job) else p for p in parsed]


def _field_error(e: ValidationError, shape: type[BaseModel]) -> str:
    err = e.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "line"
    forms = {
        _RubricLine: "key_points form {id, question, answer, key_points: [{id, text, weight?}], misconceptions?}",
        _ReferenceLine: "reference form {id, question, answer, reference}",
        _BankLine: "bank form {id, question_id, answer} (or give question + key_points, or question + reference)",
    }
    what = "missing field" if err["type"] == "missing" else f"field '{field}': {err['msg'].lower()}"
    what = f"missing field '{field}'" if err["type"] == "missing" else what
    return f"{what} — a line in the {forms[shape]}"


def result_row(job: Job, grade: Grade) -> dict[str, Any]:
    row = {
        "id": job.id,
        "score": grade.score,
        "points": [
            {"id": p.id, "covered": p.covered, "confidence": p.confidence, "evidence": p.evidence} for p in grade.points
        ],
        "misconceptions": [{"text": m.text, "evidence": m.evidence} for m in grade.misconceptions],
        "flags": grade.flags,
        "grader": grade.grader,
    }
    if grade.examples is not None:  # only when --examples gave this question graded answers
        row["examples"] = grade.examples.model_dump()
    return row
