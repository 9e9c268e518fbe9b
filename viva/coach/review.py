"""Spaced repetition with FSRS (the `fsrs` package): every attempted question gets a card, rated from its score."""

from __future__ import annotations

from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler
from sqlalchemy import text

from viva.interview.records import LOCAL_USER
from viva.store.db import Store, utc_now

# Interview questions are reviewed over days, not minutes: no intra-day learning steps. No fuzzing, so tests and
# replays see the same due dates.
_SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def rating_for(score: float, skipped: bool = False) -> Rating:
    if skipped or score < 35:
        return Rating.Again
    if score < 60:
        return Rating.Hard
    if score < 85:
        return Rating.Good
    return Rating.Easy


def schedule(
    store: Store,
    question_id: str,
    score: float,
    skipped: bool = False,
    user_id: str = LOCAL_USER,
    now: datetime | None = None,
) -> datetime:
    """Review the question's card with a rating from the score; returns when it is next due."""
    now = now or datetime.now(UTC)
    with store.engine.begin() as conn:
        row = conn.execute(
            text("SELECT card_json FROM review_cards WHERE user_id = :u AND question_id = :q"),
            {"u": user_id, "q": question_id},
        ).first()
        card = Card.from_json(row[0]) if row else Card(due=now)
        card, _ = _SCHEDULER.review_card(card, rating_for(score, skipped), review_datetime=now)
        conn.execute(
            text("DELETE FROM review_cards WHERE user_id = :u AND question_id = :q"), {"u": user_id, "q": question_id}
        )
        conn.execute(
            text(
                "INSERT INTO review_cards (user_id, question_id, card_json, due_at, updated_at) "
                "VALUES (:u, :q, :c, :d, :t)"
            ),
            {"u": user_id, "q": question_id, "c": card.to_json(), "d": card.due.isoformat(), "t": utc_now()},
        )
    due: datetime = card.due
    return due


def due_questions(store: Store, user_id: str = LOCAL_USER, now: datetime | None = None) -> list[str]:
    """Questions due for review, weakest first (lowest last score), then the longest overdue."""
    now = now or datetime.now(UTC)
    query = """
        SELECT c.question_id, c.due_at,
               (SELECT a.score FROM attempts a WHERE a.user_id = c.user_id AND a.question_id = c.question_id
                ORDER BY a.created_at DESC LIMIT 1) AS last_score
        FROM review_cards c WHERE c.user_id = :u AND c.due_at <= :now"""
    with store.engine.connect() as conn:
        rows = conn.execute(text(query), {"u": user_id, "now": now.isoformat()}).all()
    return [r[0] for r in sorted(rows, key=lambda r: (r[2] if r[2] is not None else 0.0, r[1]))]


def next_due(store: Store, user_id: str = LOCAL_USER) -> str | None:
    with store.engine.connect() as conn:
        value = conn.execute(text("SELECT MIN(due_at) FROM review_cards WHERE user_id = :u"), {"u": user_id}).scalar()
    return None if value is None else str(value)
