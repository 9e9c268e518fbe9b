"""Accounts for `viva serve --multi-user`: users with argon2-hashed passwords, login sessions, sign-in throttling.
Everything lives in the store, so any number of workers share it."""

from viva.accounts.logins import (
    LOCKOUT_FAILURES,
    LOCKOUT_WINDOW,
    SESSION_LIFETIME,
    LoginSession,
    clear_failures,
    end_session,
    find_session,
    record_failure,
    retry_after,
    start_session,
)
from viva.accounts.users import (
    MIN_PASSWORD_CHARS,
    User,
    add_user,
    authenticate,
    get_user,
    list_users,
    remove_user,
    set_password,
)

__all__ = [
    "LOCKOUT_FAILURES",
    "LOCKOUT_WINDOW",
    "MIN_PASSWORD_CHARS",
    "SESSION_LIFETIME",
    "LoginSession",
    "User",
    "add_user",
    "authenticate",
    "clear_failures",
    "end_session",
    "find_session",
    "get_user",
    "list_users",
    "record_failure",
    "remove_user",
    "retry_after",
    "set_password",
    "start_session",
]
