"""Who is signed in, and the checks every request passes in multi-user mode: a live login session (its cookie) and,
for anything that changes state, that login's CSRF token. Nothing is kept in memory: each request asks the store."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from viva.accounts import LoginSession, find_session

COOKIE = "viva_session"
CSRF_FIELD, CSRF_HEADER = "csrf_token", "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/login", "/api/login", "/healthz", "/openapi.json"})
_INTERVIEW_ACTION = re.compile(r"^/interview/([^/]+)/[a-z]+$")


class NotSignedIn(Exception):
    """No live login: the API answers 401; a page goes to the sign-in form, carrying where it was going and any
    answer that was being submitted (`draft`), so an expired login loses nothing that was typed."""

    def __init__(self, next_url: str, draft: str = "") -> None:
        super().__init__("sign in first")
        self.next_url, self.draft = next_url, draft


class CsrfRejected(Exception):
    """A state-changing request without this login's CSRF token: 403."""


def multi_user(request: Request) -> bool:
    return bool(getattr(request.app.state, "multi_user", False))


async def signed_in(request: Request) -> LoginSession | None:
    """The request's live login session, looked up once per request."""
    if not hasattr(request.state, "login"):
        token = request.cookies.get(COOKIE)
        found = await run_in_threadpool(find_session, request.app.state.coach.store, token) if token else None
        request.state.login = found
    login: LoginSession | None = request.state.login
    return login


async def require_login(request: Request) -> LoginSession:
    login = await signed_in(request)
    if login is None:
        raise NotSignedIn(*await _where_to_return(request))
    return login


async def guard(request: Request) -> None:
    """The app-wide dependency: in multi-user mode every route but the public ones needs a login, and every
    state-changing request needs that login's CSRF token (form field or header)."""
    if not multi_user(request) or request.url.path in PUBLIC_PATHS:
        return
    login = await require_login(request)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or await _form_field(request, CSRF_FIELD)
        if not secrets.compare_digest(sent.encode(), login.csrf_token.encode()):
            raise CsrfRejected(
                f"this request needs the CSRF token of your sign-in (form field {CSRF_FIELD!r} or header "
                f"{CSRF_HEADER!r}); reload the page and try again"
            )


def safe_next(url: str) -> str:
    """Only paths on this site: anything else (another host, a scheme, '//host') becomes the start page."""
    if not url.startswith("/") or url.startswith(("//", "/\\")) or any(c in url for c in "\r\n\t"):
        return "/"
    return url


async def _form_field(request: Request, name: str) -> str:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return ""
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return form.get(name, [""])[0]


async def _where_to_return(request: Request) -> tuple[str, str]:
    """Where to go after signing in, and the answer being submitted when the login had expired."""
    if request.method in SAFE_METHODS:
        query = f"?{request.url.query}" if request.url.query else ""
        return request.url.path + query, ""
    action = _INTERVIEW_ACTION.match(request.url.path)
    if action:
        draft = await _form_field(request, "answer")
        return f"/interview/{action.group(1)}", draft.replace("\r\n", "\n")
    if request.url.path.startswith("/api/") or request.url.path in ("/interviews", "/logout"):
        return "/", ""
    return request.url.path, ""
