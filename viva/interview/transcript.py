"""A session as plain data (the JSON record) and the study advice drawn from it."""

from __future__ import annotations

from typing import Any

from viva.bank.loader import Bank
from viva.interview import records
from viva.interview.engine import Turn
from viva.store.db import Store


def session_record(store: Store, session_id: str, user_id: str = records.LOCAL_USER) -> dict[str, Any]:
    """Everything about one session from the store: what was asked, every answer, each question's final grade."""
    row = records.get_session(store, session_id, user_id)
    attempts = {a.question_id: a for a in records.attempts(store, user_id, session_id)}
    questions: dict[str, dict[str, Any]] = {}
    for e in records.events(store, session_id):
        q = questions.setdefault(
            e.question_id, {"question_id": e.question_id, "answers": [], "follow_ups": [], "hints": 0, "skipped": False}
        )
        if e.kind in ("question", "follow_up"):
            q["answers"].append(
                {"kind": e.kind, "prompt": e.prompt, "text": e.text, "at": e.created_at, "elapsed_ms": e.elapsed_ms}
            )
            if e.kind == "follow_up":
                q["follow_ups"].append(e.prompt)
        elif e.kind == "next" and e.prompt:
            q["follow_ups"].append(e.prompt)  # asked, then passed on
        q["hints"] += e.kind == "hint"
        q["skipped"] |= e.kind == "skip"
    for qid, q in questions.items():
        a = attempts.get(qid)
        q.update(
            {
                "area": a.area,
                "topic": a.topic,
                "difficulty": a.difficulty,
                "score": a.score,
                "grade": a.grade,
                "finished": True,
            }
            if a
            else {"score": None, "grade": None, "finished": False}
        )
    return {
        "session_id": row.id,
        "kind": row.kind,
        "status": row.status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "plan": row.plan,
        "bank_version": row.bank_version,
        "grader": row.grader,
        "questions": list(questions.values()),
    }


def study_next(turns: list[Turn], bank: Bank, limit: int = 3) -> list[str]:
    """The most useful things to study: the heaviest key points missed, from the weakest answers first."""
    missed: list[tuple[float, float, str]] = []
    for t in turns:
        if not t.done:
            continue
        covered = {p.id for p in t.grade.points if p.covered} if t.grade and not t.skipped else set()
        for kp in t.question.key_points:
            if kp.id not in covered:
                missed.append((t.score, -kp.weight, f"{kp.text} ({t.question.area}: {t.question.topic})"))
    seen: list[str] = []
    for _, _, text in sorted(missed):
        if text not in seen:
            seen.append(text)
    return seen[:limit]
