"""Login sessions (a random cookie token, stored hashed, with its own CSRF token and an expiry) and the throttle on
failed sign-ins (per username and per client address, counted in the database so every worker sees the same)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text

from viva.store.db import Store

SESSION_LIFETIME = timedelta(hours=12)
LOCKOUT_FAILURES = 5  # failed sign-ins per username or address ...
LOCKOUT_WINDOW = timedelta(minutes=15)  # ... in this window; then sign-in is refused until the window ends


@dataclass(frozen=True)
class LoginSession:
    token: str  # the cookie's value; only its hash is stored
    user_id: str
    username: str
    is_admin: bool
    csrf_token: str
    expires_at: str


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(store: Store, user_id: str, lifetime: timedelta = SESSION_LIFETIME) -> LoginSession:
    """Sign a user in: a new token and CSRF token. Expired sessions of anyone are swept out on the way."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), _now()
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM login_sessions WHERE expires_at <= :now"), {"now": _iso(now)})
        conn.execute(
            text(
                "INSERT INTO login_sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
                "VALUES (:h, :u, :c, :now, :exp)"
            ),
            {"h": _hash(token), "u": user_id, "c": csrf, "now": _iso(now), "exp": _iso(now + lifetime)},
        )
    found = find_session(store, token)
    assert found is not None
    return found


def find_session(store: Store, token: str) -> LoginSession | None:
    """The live session a cookie names; None for an unknown, expired or removed one."""
    with store.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT s.user_id, u.username, u.is_admin, s.csrf_token, s.expires_at FROM login_sessions s "
                "JOIN users u ON u.id = s.user_id WHERE s.token_hash = :h AND s.expires_at > :now"
            ),
            {"h": _hash(token), "now": _iso(_now())},
        ).first()
    if row is None:
        return None
    return LoginSession(token, row.user_id, row.username, bool(row.is_admin), row.csrf_token, row.expires_at)


def end_session(store: Store, token: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM login_sessions WHERE token_hash = :h"), {"h": _hash(token)})


def retry_after(store: Store, keys: list[str]) -> int:
    """Seconds until sign-in may be tried again for any of these keys; 0 when it may be tried now."""
    now = _now()
    with store.engine.connect() as conn:
        query = text("SELECT failures, window_start_at FROM login_attempts WHERE key IN :keys")
        rows = conn.execute(query.bindparams(bindparam("keys", expanding=True)), {"keys": keys}).all()
    waits = [
        (datetime.fromisoformat(r.window_start_at) + LOCKOUT_WINDOW - now).total_seconds()
        for r in rows
        if r.failures >= LOCKOUT_FAILURES
    ]
    return max([0, *(int(w) + 1 for w in waits if w > 0)])


def record_failure(store: Store, keys: list[str]) -> None:
    """One more failure per key; a key whose window has passed starts a new window. Atomic under concurrency."""
    now = _now()
    params = {"now": _iso(now), "cutoff": _iso(now - LOCKOUT_WINDOW)}
    with store.engine.begin() as conn:
        for key in keys:
            conn.execute(
                text(
                    "INSERT INTO login_attempts (key, failures, window_start_at) VALUES (:key, 1, :now) "
                    "ON CONFLICT (key) DO UPDATE SET "
                    "failures = CASE WHEN login_attempts.window_start_at <= :cutoff THEN 1 "
                    "ELSE login_attempts.failures + 1 END, "
                    "window_start_at = CASE WHEN login_attempts.window_start_at <= :cutoff THEN :now "
                    "ELSE login_attempts.window_start_at END"
                ),
                {**params, "key": key},
            )


def clear_failures(store: Store, keys: list[str]) -> None:
    with store.engine.begin() as conn:
        for key in keys:
            conn.execute(text("DELETE FROM login_attempts WHERE key = :k"), {"k": key})
