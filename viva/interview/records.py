"""Interview persistence: sessions, every answer the moment it is given, attempts, review cards."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from viva.errors import Problem, VivaError
from viva.store.db import Store, utc_now

LOCAL_USER = "local"


@dataclass(frozen=True)
class SessionRow:
    id: str
    user_id: str
    kind: str
    status: str
    plan: dict[str, Any]
    bank_version: str
    grader: str
    created_at: str
    updated_at: str
    last_seq: int  # the number of its latest event (0: none yet); events are only ever appended


@dataclass(frozen=True)
class EventRow:
    seq: int
    question_id: str
    kind: str  # ask | question | follow_up | reworded | hint | skip | next
    prompt: str
    text: str
    elapsed_ms: int | None
    grade: dict[str, Any] | None
    created_at: str


@dataclass(frozen=True)
class AttemptRow:
    session_id: str
    question_id: str
    area: str
    topic: str
    difficulty: int
    score: float
    skipped: bool
    hints: int
    follow_ups: int
    created_at: str
    grade: dict[str, Any] | None = None


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def create_session(
    store: Store,
    kind: str,
    plan: dict[str, Any],
    bank_version: str,
    grader: str,
    user_id: str = LOCAL_USER,
    at: str | None = None,
) -> str:
    session_id, now = new_id(), at or utc_now()
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sessions (id, user_id, kind, status, plan_json, bank_version, grader, created_at, "
                "updated_at) VALUES (:id, :u, :k, 'active', :p, :b, :g, :t, :t)"
            ),
            {
                "id": session_id,
                "u": user_id,
                "k": kind,
                "p": json.dumps(plan),
                "b": bank_version,
                "g": grader,
                "t": now,
            },
        )
    return session_id


def add_event(
    store: Store,
    session_id: str,
    question_id: str,
    kind: str,
    prompt: str = "",
    body: str = "",
    elapsed_ms: int | None = None,
    at: str | None = None,
) -> int:
    """Append one event and commit it before anything else happens: an answer is never lost to a crash."""
    at = at or utc_now()
    with store.engine.begin() as conn:
        seq = conn.execute(
            text("SELECT COALESCE(MAX(seq), 0) + 1 FROM answers WHERE session_id = :s"), {"s": session_id}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO answers (id, session_id, seq, question_id, kind, prompt, text, elapsed_ms, created_at) "
                "VALUES (:id, :s, :seq, :q, :k, :p, :x, :e, :t)"
            ),
            {
                "id": new_id(),
                "s": session_id,
                "seq": seq,
                "q": question_id,
                "k": kind,
                "p": prompt,
                "x": body,
                "e": elapsed_ms,
                "t": at,
            },
        )
        conn.execute(text("UPDATE sessions SET updated_at = :t WHERE id = :s"), {"t": at, "s": session_id})
    return int(seq)


def set_event_grade(store: Store, session_id: str, seq: int, grade: dict[str, Any]) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE answers SET grade_json = :g WHERE session_id = :s AND seq = :q"),
            {"g": json.dumps(grade), "s": session_id, "q": seq},
        )


def save_attempt(store: Store, a: AttemptRow, bank_version: str, grader: str, user_id: str = LOCAL_USER) -> bool:
    """Store the attempt unless this session already has one for the question; True when it was stored."""
    with store.engine.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM attempts WHERE session_id = :s AND question_id = :q"),
            {"s": a.session_id, "q": a.question_id},
        ).first()
        if exists:
            return False
        conn.execute(
            text(
                "INSERT INTO attempts (id, session_id, user_id, question_id, area, topic, difficulty, score, skipped, "
                "hints, follow_ups, bank_version, grader, grade_json, created_at) VALUES (:id, :s, :u, :q, :a, :t, "
                ":d, :sc, :sk, :h, :f, :b, :g, :gj, :c)"
            ),
            {
                "id": new_id(),
                "s": a.session_id,
                "u": user_id,
                "q": a.question_id,
                "a": a.area,
                "t": a.topic,
                "d": a.difficulty,
                "sc": a.score,
                "sk": int(a.skipped),
                "h": a.hints,
                "f": a.follow_ups,
                "b": bank_version,
                "g": grader,
                "gj": json.dumps(a.grade) if a.grade else None,
                "c": a.created_at,
            },
        )
    return True


def set_status(store: Store, session_id: str, status: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE sessions SET status = :st, updated_at = :t WHERE id = :s"),
            {"st": status, "t": utc_now(), "s": session_id},
        )


# Every session row comes with its latest event's number: one index lookup, and callers that keep a rebuilt session
# in memory compare it to know whether anyone has added an event since.
_SESSIONS = "SELECT s.*, (SELECT MAX(a.seq) FROM answers a WHERE a.session_id = s.id) AS last_seq FROM sessions s"


def get_session(store: Store, session_id: str, user_id: str = LOCAL_USER) -> SessionRow:
    with store.read() as conn:
        row = (
            conn.execute(text(f"{_SESSIONS} WHERE s.id = :s AND s.user_id = :u"), {"s": session_id, "u": user_id})
            .mappings()
            .first()
        )
    if row is None:
        raise VivaError(Problem("session", f"no session {session_id!r}", "list sessions with `viva history`"))
    return _session(row)


def latest_unfinished(store: Store, user_id: str = LOCAL_USER) -> SessionRow | None:
    with store.read() as conn:
        row = (
            conn.execute(
                text(
                    f"{_SESSIONS} WHERE s.user_id = :u AND s.status IN ('active', 'paused') "
                    "ORDER BY s.updated_at DESC LIMIT 1"
                ),
                {"u": user_id},
            )
            .mappings()
            .first()
        )
    return _session(row) if row else None


def list_sessions(store: Store, user_id: str = LOCAL_USER, limit: int = 50) -> list[SessionRow]:
    with store.read() as conn:
        rows = (
            conn.execute(
                text(f"{_SESSIONS} WHERE s.user_id = :u ORDER BY s.created_at DESC LIMIT :n"),
                {"u": user_id, "n": limit},
            )
            .mappings()
            .all()
        )
    return [_session(r) for r in rows]


def events(store: Store, session_id: str) -> list[EventRow]:
    with store.read() as conn:
        rows = (
            conn.execute(text("SELECT * FROM answers WHERE session_id = :s ORDER BY seq"), {"s": session_id})
            .mappings()
            .all()
        )
    return [
        EventRow(
            r["seq"],
            r["question_id"],
            r["kind"],
            r["prompt"],
            r["text"],
            r["elapsed_ms"],
            json.loads(r["grade_json"]) if r["grade_json"] else None,
            r["created_at"],
        )
        for r in rows
    ]


# Every column of `attempts` but the stored grade.
_ATTEMPT_COLUMNS = (
    "session_id",
    "question_id",
    "area",
    "topic",
    "difficulty",
    "score",
    "skipped",
    "hints",
    "follow_ups",
    "created_at",
)


def attempts(
    store: Store,
    user_id: str = LOCAL_USER,
    session_id: str | None = None,
    *,
    grades: bool = True,
    before: str | None = None,
) -> list[AttemptRow]:
    """A user's attempts, oldest first: of one session, or those made before a moment. `grades=False` leaves out
    each attempt's stored grade, which is most of a row's size and of the time it takes to read."""
    columns = "*" if grades else ", ".join(_ATTEMPT_COLUMNS)
    query = f"SELECT {columns} FROM attempts WHERE user_id = :u"
    query += " AND session_id = :s" if session_id else ""
    query += " AND created_at < :b" if before else ""
    with store.read() as conn:
        rows = conn.execute(text(query + " ORDER BY created_at"), {"u": user_id, "s": session_id, "b": before})
        return [_attempt(r) for r in rows.mappings()]


def _attempt(r: Any) -> AttemptRow:
    grade = r.get("grade_json")
    return AttemptRow(
        r["session_id"],
        r["question_id"],
        r["area"],
        r["topic"],
        r["difficulty"],
        float(r["score"]),
        bool(r["skipped"]),
        r["hints"],
        r["follow_ups"],
        r["created_at"],
        json.loads(grade) if grade else None,
    )


def attempted(store: Store, session_id: str) -> set[str]:
    """The questions a session has a stored attempt for."""
    with store.read() as conn:
        rows = conn.execute(text("SELECT question_id FROM attempts WHERE session_id = :s"), {"s": session_id})
        return {r[0] for r in rows}


def _session(r: Any) -> SessionRow:
    return SessionRow(
        r["id"],
        r["user_id"],
        r["kind"],
        r["status"],
        json.loads(r["plan_json"]),
        r["bank_version"],
        r["grader"],
        r["created_at"],
        r["updated_at"],
        r["last_seq"] or 0,
    )
