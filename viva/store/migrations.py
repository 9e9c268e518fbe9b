"""Schema migrations: small, named, applied once each, in order, each in its own transaction.

The same statements serve SQLite and PostgreSQL, so they stick to the SQL both speak: TEXT ids, `*_at` ISO-8601 UTC
timestamps as TEXT, `*_json` TEXT columns for nested results, `*_ms` INTEGER durations, DOUBLE PRECISION scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Connection], None]


def _sql(*statements: str) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for statement in statements:
            conn.execute(text(statement))

    return run


MIGRATIONS: list[Migration] = [
    Migration(
        "0001_meta",
        _sql("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
    ),
    Migration(
        "0002_interviews",
        _sql(
            """CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL DEFAULT 'local',
                kind TEXT NOT NULL,
                status TEXT NOT NULL,
                plan_json TEXT NOT NULL,
                bank_version TEXT NOT NULL,
                grader TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX sessions_user ON sessions (user_id, created_at)",
            # Every answer, the moment it is submitted: the source of truth a session is rebuilt from.
            """CREATE TABLE answers (
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id),
                seq INTEGER NOT NULL,
                question_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                prompt TEXT NOT NULL,
                text TEXT NOT NULL,
                elapsed_ms INTEGER,
                grade_json TEXT,
                created_at TEXT NOT NULL,
                UNIQUE (session_id, seq)
            )""",
            # One row per question asked and finished: the final grade over the whole exchange.
            """CREATE TABLE attempts (
                id TEXT PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES sessions (id),
                user_id TEXT NOT NULL DEFAULT 'local',
                question_id TEXT NOT NULL,
                area TEXT NOT NULL,
                topic TEXT NOT NULL,
                difficulty INTEGER NOT NULL,
                score DOUBLE PRECISION NOT NULL,
                skipped INTEGER NOT NULL,
                hints INTEGER NOT NULL,
                follow_ups INTEGER NOT NULL,
                bank_version TEXT NOT NULL,
                grader TEXT NOT NULL,
                grade_json TEXT,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX attempts_user ON attempts (user_id, question_id, created_at)",
            """CREATE TABLE review_cards (
                user_id TEXT NOT NULL,
                question_id TEXT NOT NULL,
                card_json TEXT NOT NULL,
                due_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (user_id, question_id)
            )""",
        ),
    ),
    Migration(
        "0003_llm",
        _sql(
            # Every LLM call: what it cost and how long it took. cost_usd is NULL when the price is unknown, never 0.
            """CREATE TABLE llm_calls (
                id TEXT PRIMARY KEY,
                model TEXT NOT NULL,
                base_url TEXT NOT NULL,
                purpose TEXT NOT NULL,
                prompt_tokens INTEGER,
                completion_tokens INTEGER,
                latency_ms INTEGER NOT NULL,
                cost_usd DOUBLE PRECISION,
                cache_hit INTEGER NOT NULL,
                ok INTEGER NOT NULL,
                error TEXT,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX llm_calls_model ON llm_calls (model, created_at)",
            """CREATE TABLE llm_cache (
                key TEXT PRIMARY KEY,
                model TEXT NOT NULL,
                response_json TEXT NOT NULL,
                created_at TEXT NOT NULL,
                last_used_at TEXT NOT NULL
            )""",
            "CREATE INDEX llm_cache_used ON llm_cache (last_used_at)",
        ),
    ),
    Migration(
        "0004_users",
        _sql(
            # Accounts for `viva serve --multi-user`. Usernames are stored lower-cased; passwords only as argon2 hashes.
            """CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            is_admin INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )""",
            # Signed-in browsers and API clients. Only a hash of the cookie's token is kept, so a leaked table signs
            # nobody in; each login has its own CSRF token.
            """CREATE TABLE login_sessions (
            token_hash TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
            "CREATE INDEX login_sessions_user ON login_sessions (user_id)",
            # Failed sign-ins per key ('user:NAME' or 'ip:ADDRESS') in the current window, shared by every worker.
            """CREATE TABLE login_attempts (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            window_start_at TEXT NOT NULL
        )""",
        ),
    ),
    Migration(
        "0005_attempts_by_session",
        # A session's attempts are read on every transcript and checked on every finished question; without this
        # index each of those scans every user's attempts.
        _sql("CREATE INDEX attempts_session ON attempts (session_id, question_id)"),
    ),
]
