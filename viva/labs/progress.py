"""Lab attempts are stored like interview attempts (area and topic from the exercise), so they count toward mastery."""

from __future__ import annotations

import json

from sqlalchemy import text

from viva.interview import records
from viva.labs.exercise import Exercise
from viva.labs.grade import LabResult
from viva.store.db import Store, utc_now


def _session_id(user_id: str) -> str:
    return "labs" if user_id == records.LOCAL_USER else f"labs-{user_id}"


def record_attempt(store: Store, exercise: Exercise, result: LabResult, user_id: str = records.LOCAL_USER) -> None:
    area, _, topic = exercise.topics[0].partition("/")
    session = _session_id(user_id)
    hints = hints_used(store, exercise.id, user_id)  # read before the write transaction takes the lock
    with store.engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM sessions WHERE id = :s"), {"s": session}).first() is None:
            conn.execute(
                text(
                    "INSERT INTO sessions (id, user_id, kind, status, plan_json, bank_version, grader, created_at, "
                    "updated_at) VALUES (:s, :u, 'labs', 'active', '{}', 'labs', 'sandbox', :t, :t)"
                ),
                {"s": session, "u": user_id, "t": utc_now()},
            )
        conn.execute(
            text(
                "INSERT INTO attempts (id, session_id, user_id, question_id, area, topic, difficulty, score, skipped, "
                "hints, follow_ups, bank_version, grader, grade_json, created_at) VALUES (:id, :s, :u, :q, :a, :t, "
                ":d, :sc, 0, :h, 0, 'labs', 'sandbox', :g, :c)"
            ),
            {
                "id": records.new_id(),
                "s": session,
                "u": user_id,
                "q": f"lab:{exercise.id}",
                "a": area,
                "t": topic or area,
                "d": exercise.difficulty,
                "sc": result.score,
                "h": hints,
                "g": json.dumps(result.to_json()),
                "c": utc_now(),
            },
        )


def best_scores(store: Store, user_id: str = records.LOCAL_USER) -> dict[str, float]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT question_id, MAX(score) FROM attempts WHERE session_id = :s AND user_id = :u "
                "GROUP BY question_id"
            ),
            {"s": _session_id(user_id), "u": user_id},
        ).all()
    return {r[0].removeprefix("lab:"): float(r[1]) for r in rows}


def hints_used(store: Store, exercise_id: str, user_id: str = records.LOCAL_USER) -> int:
    value = store.get_meta(f"lab-hints:{user_id}:{exercise_id}")
    return int(value) if value else 0


def next_hint_level(store: Store, exercise_id: str, available: int, user_id: str = records.LOCAL_USER) -> int:
    level = min(available, hints_used(store, exercise_id, user_id) + 1)
    store.set_meta(f"lab-hints:{user_id}:{exercise_id}", str(level))
    return level
