"""Lab attempts are stored like interview attempts (area and topic from the exercise), so they count toward mastery."""

from __future__ import annotations

import json

from sqlalchemy import text

from viva.interview import records
from viva.labs.exercise import Exercise
from viva.labs.grade import LabResult
from viva.store import open_store
from viva.store.db import utc_now

LAB_SESSION = "labs"


def record_attempt(exercise: Exercise, result: LabResult) -> None:
    store = open_store()
    area, _, topic = exercise.topics[0].partition("/")
    with store.engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM sessions WHERE id = :s"), {"s": LAB_SESSION}).first() is None:
            conn.execute(
                text(
                    "INSERT INTO sessions (id, kind, status, plan_json, bank_version, grader, created_at, "
                    "updated_at) VALUES (:s, 'labs', 'active', '{}', 'labs', 'sandbox', :t, :t)"
                ),
                {"s": LAB_SESSION, "t": utc_now()},
            )
        conn.execute(
            text(
                "INSERT INTO attempts (id, session_id, question_id, area, topic, difficulty, score, skipped, hints, "
                "follow_ups, bank_version, grader, grade_json, created_at) VALUES (:id, :s, :q, :a, :t, :d, :sc, 0, "
                ":h, 0, 'labs', 'sandbox', :g, :c)"
            ),
            {
                "id": records.new_id(),
                "s": LAB_SESSION,
                "q": f"lab:{exercise.id}",
                "a": area,
                "t": topic or area,
                "d": exercise.difficulty,
                "sc": result.score,
                "h": hints_used(exercise.id),
                "g": json.dumps(result.to_json()),
                "c": utc_now(),
            },
        )


def best_scores() -> dict[str, float]:
    store = open_store()
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT question_id, MAX(score) FROM attempts WHERE session_id = :s GROUP BY question_id"),
            {"s": LAB_SESSION},
        ).all()
    return {r[0].removeprefix("lab:"): float(r[1]) for r in rows}


def hints_used(exercise_id: str) -> int:
    value = open_store().get_meta(f"lab-hints:{exercise_id}")
    return int(value) if value else 0


def next_hint_level(exercise_id: str, available: int) -> int:
    level = min(available, hints_used(exercise_id) + 1)
    open_store().set_meta(f"lab-hints:{exercise_id}", str(level))
    return level
