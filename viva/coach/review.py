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
    key = {"u": user_id, "q": question_id}
    with store.engine.begin() as conn:
        # Two sessions of one user can finish the same question at once (two tabs, two workers). Make sure the row
        # exists, then lock it, so the second review waits for and builds on the first instead of failing on the
        # primary key or overwriting it. SQLite needs no FOR UPDATE: its writers already take the database lock.
        fresh = Card(due=now)
        conn.execute(
            text(
                "INSERT INTO review_cards (user_id, question_id, card_json, due_at, updated_at) "
                "VALUES (:u, :q, :c, :d, :t) ON CONFLICT (user_id, question_id) DO NOTHING"
            ),
            key | {"c": fresh.to_json(), "d": fresh.due.isoformat(), "t": utc_now()},
        )
        lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
        row = conn.execute(
            text(f"SELECT card_json FROM review_cards WHERE user_id = :u AND question_id = :q{lock}"), key
        ).one()
        card, _ = _SCHEDULER.review_card(Card.from_json(row[0]), rating_for(score, skipped), review_datetime=now)
        conn.execute(
            text(
                "UPDATE review_cards SET card_json = :c, due_at = :d, updated_at = :t "
                "WHERE user_id = :u AND question_id = :q"
            ),
            key | {"c": card.to_json(), "d": card.due.isoformat(), "t": utc_now()},
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
