"""Users: lower-cased unique usernames, argon2id password hashes (never the password), an admin flag."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from viva.errors import Problem, VivaError
from viva.store.db import Store, utc_now

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024  # argon2 hashes any length; this only stops a megabyte "password" costing CPU
USERNAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,63}")
_hasher = PasswordHasher()  # argon2id with the library's defaults (RFC 9106 low-memory profile)
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("viva: no such user")


@dataclass(frozen=True)
class User:
    id: str
    username: str
    is_admin: bool
    created_at: str


def normalise(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise(username)
    if not USERNAME.fullmatch(name):
        raise VivaError(
            Problem(
                f"username {username!r}",
                "is not valid",
                "use 1–64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit",
            )
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise VivaError(
            Problem(
                "password",
                f"has {len(password)} characters",
                f"choose one of {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
            )
        )
    return password


def add_user(store: Store, username: str, password: str, *, is_admin: bool = False) -> User:
    user = User(uuid.uuid4().hex, check_username(username), is_admin, utc_now())
    row = {**user.__dict__, "is_admin": int(is_admin), "password_hash": _hasher.hash(check_password(password))}
    try:
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, is_admin, created_at) "
                    "VALUES (:id, :username, :password_hash, :is_admin, :created_at)"
                ),
                row,
            )
    except IntegrityError:
        raise VivaError(
            Problem(f"user {user.username!r}", "already exists", "choose another name, or `viva user reset-password`")
        ) from None
    return user


def get_user(store: Store, username: str) -> User:
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, username, is_admin, created_at FROM users WHERE username = :u"), {"u": normalise(username)}
        ).first()
    if row is None:
        raise _unknown(username)
    return _user(row)


def list_users(store: Store) -> list[User]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, username, is_admin, created_at FROM users ORDER BY username"))
        return [_user(r) for r in rows]


def remove_user(store: Store, username: str) -> User:
    """Delete the account and sign it out everywhere. Its interviews stay in the store under its id, unreachable."""
    user = get_user(store, username)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM login_sessions WHERE user_id = :id"), {"id": user.id})
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": user.id})
    return user


def set_password(store: Store, username: str, password: str) -> User:
    """A new password; every existing sign-in of the user ends."""
    user = get_user(store, username)
    hashed = _hasher.hash(check_password(password))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"), {"h": hashed, "id": user.id})
        conn.execute(text("DELETE FROM login_sessions WHERE user_id = :id"), {"id": user.id})
    return user


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user when the password is theirs; None otherwise, after the same argon2 work either way."""
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, username, is_admin, created_at, password_hash FROM users WHERE username = :u"),
            {"u": normalise(username)},
        ).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password[:MAX_PASSWORD_CHARS])
    except (VerificationError, InvalidHashError):
        return None
    return _user(row) if row else None


def _user(row: Any) -> User:
    return User(str(row.id), str(row.username), bool(row.is_admin), str(row.created_at))


def _unknown(username: str) -> VivaError:
    return VivaError(Problem(f"user {normalise(username)!r}", "does not exist", "see `viva user list`"))
