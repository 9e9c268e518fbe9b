"""Plain data for the pages and the API, built from the bank, the store's records and the live engine."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from viva.bank.areas import AREAS
from viva.bank.loader import Bank
from viva.bank.schema import Question
from viva.feedback import FLAG_NOTES
from viva.grading.result import Grade, Span
from viva.interview.engine import Turn
from viva.interview.session import Session
from viva.web.models import (
    AreaScore,
    Current,
    ExchangeOut,
    Feedback,
    KeyPointOut,
    MisconceptionHitOut,
    MisconceptionOut,
    PointOut,
    QuestionDetail,
    QuestionInfo,
    SpanOut,
)

LEVEL = {1: "junior", 2: "mid", 3: "senior"}


def question_info(q: Question) -> QuestionInfo:
    area = AREAS.get(q.area)
    return QuestionInfo(
        id=q.id,
        area=q.area,
        area_title=area.title if area else q.area,
        topic=q.topic,
        topic_title=area.topics.get(q.topic, q.topic) if area else q.topic,
        difficulty=int(q.difficulty),
        level=LEVEL[int(q.difficulty)],
        kind=str(q.kind),
        text=q.question,
    )


def question_detail(q: Question, source: str | None) -> QuestionDetail:
    return QuestionDetail(
        **question_info(q).model_dump(),
        key_points=[KeyPointOut(id=p.id, text=p.text, weight=p.weight, probe=p.probe) for p in q.key_points],
        misconceptions=[MisconceptionOut(claim=m.claim, why=m.why) for m in q.misconceptions],
        model_answer=q.model_answer,
        tags=list(q.tags),
        references=list(q.references),
        source=source,
    )


def _unknown_question(record: dict[str, Any]) -> QuestionInfo:
    """A question the bank no longer holds: show what the store remembers of it."""
    answers = record["answers"]
    level = int(record.get("difficulty") or 0)
    return QuestionInfo(
        id=record["question_id"],
        area=record.get("area") or "",
        area_title=record.get("area") or "",
        topic=record.get("topic") or "",
        topic_title=record.get("topic") or "",
        difficulty=level,
        level=LEVEL.get(level, ""),
        kind="",
        text=answers[0]["prompt"] if answers else record["question_id"],
    )


def _span(span: Span | None) -> SpanOut | None:
    return None if span is None else SpanOut(start=span.start, end=span.end)


def _points(grade: Grade, question: Question | None) -> tuple[list[PointOut], list[PointOut]]:
    rubric = {p.id: p for p in question.key_points} if question else {}
    covered: list[PointOut] = []
    missed: list[PointOut] = []
    for p in grade.points:
        kp = rubric.get(p.id)
        line = PointOut(
            id=p.id,
            text=kp.text if kp else p.id,
            weight=kp.weight if kp else 1.0,
            covered=p.covered,
            contradicted=p.contradicted,
            evidence=p.evidence,
            span=_span(p.span),
        )
        (covered if p.covered else missed).append(line)
    return covered, sorted(missed, key=lambda p: -p.weight)


def feedback(number: int, record: dict[str, Any], bank: Bank) -> Feedback:
    """One question of `transcript.session_record`, joined with the bank's wording of it and its key points."""
    question = bank.questions.get(record["question_id"])
    grade = Grade.model_validate(record["grade"]) if record.get("grade") else None
    answers = record["answers"]
    covered, missed = _points(grade, question) if grade else ([], [])
    return Feedback(
        number=number,
        question=question_info(question) if question else _unknown_question(record),
        finished=bool(record["finished"]),
        skipped=bool(record["skipped"]),
        score=record["score"],
        hints=int(record["hints"]),
        exchanges=[ExchangeOut(kind=a["kind"], prompt=a["prompt"], answer=a["text"]) for a in answers],
        # The engine grades every answer to a question joined like this; the grade's spans index into it.
        answer="\n\n".join(a["text"] for a in answers if a["text"]),
        covered=covered,
        missed=missed,
        misconceptions=[
            MisconceptionHitOut(claim=m.text, why=m.why, evidence=m.evidence, span=_span(m.span))
            for m in (grade.misconceptions if grade else [])
        ],
        injection=[SpanOut(start=s.start, end=s.end) for s in (grade.injection if grade else [])],
        notes=[FLAG_NOTES[f] for f in grade.flags if f in FLAG_NOTES] + list(grade.notes) if grade else [],
        tips=list(grade.communication.tips) if grade else [],
        communication=grade.communication.score if grade else None,
        grader=grade.grader if grade else None,
        model_answer=question.model_answer if question else "",
    )


def by_area(questions: list[Feedback]) -> list[AreaScore]:
    """Mean score per area over finished questions, in the order the areas were first asked."""
    scores: dict[str, list[float]] = defaultdict(list)
    titles: dict[str, str] = {}
    for f in questions:
        if f.finished:
            scores[f.question.area].append(f.score or 0.0)
            titles[f.question.area] = f.question.area_title
    return [
        AreaScore(area=a, title=titles[a], questions=len(s), mean_score=round(sum(s) / len(s), 1))
        for a, s in scores.items()
    ]


def study_next(questions: list[Feedback], limit: int = 3) -> list[str]:
    """Like `transcript.study_next`, from stored feedback: heaviest missed points of the weakest answers first."""
    missed: list[tuple[float, float, str]] = []
    for f in questions:
        if not f.finished:
            continue
        where = f"({f.question.area}: {f.question.topic})"
        points = missed_all(f)
        missed += [(f.score or 0.0, -p.weight, f"{p.text} {where}") for p in points]
    seen: list[str] = []
    for _, _, text in sorted(missed):
        if text not in seen:
            seen.append(text)
    return seen[:limit]


def missed_all(f: Feedback) -> list[PointOut]:
    """A skipped question misses every point, whatever was said before the skip."""
    return [*f.covered, *f.missed] if f.skipped else f.missed


# -- the live interview ------------------------------------------------------------------------------------------------
def current_hint(turn: Turn) -> str | None:
    """The hint the engine gives (the probe of the heaviest point not yet made), recomputed from the state."""
    covered = {p.id for p in turn.grade.points if p.covered} if turn.grade else set()
    missed = sorted((p for p in turn.question.key_points if p.id not in covered), key=lambda p: -p.weight)
    return missed[0].probe if missed else None


def current(session: Session, shown_at: str | None) -> Current | None:
    turn, prompt = session.engine.current, session.engine.prompt
    if turn is None or prompt is None:
        return None
    plan = session.engine.plan
    waited = 0.0
    if shown_at:
        waited = max(0.0, (datetime.now(UTC) - datetime.fromisoformat(shown_at)).total_seconds())
    return Current(
        number=turn.number,
        total=plan.total,
        position=f"{turn.number}.{len(turn.exchanges)}",
        question=question_info(turn.question),
        prompt_kind=prompt.kind,
        prompt=prompt.prompt,
        exchanges=[ExchangeOut(kind=e.kind, prompt=e.prompt, answer=e.answer) for e in turn.exchanges[:-1]],
        hints=turn.hints,
        hint=current_hint(turn) if turn.hints else None,
        hint_penalty=plan.hint_penalty,
        time_budget_s=plan.time_budget_s,
        waited_s=round(waited, 1),
    )
