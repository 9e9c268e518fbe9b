"""Signing in and out (multi-user mode only): the sign-in page, /api/login, /api/logout, /api/me, and what a
request without a login, a CSRF token or sign-in attempts left gets back."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from viva import accounts
from viva.accounts import LoginSession
from viva.web.deps import CoachDep
from viva.web.models import Problem
from viva.web.pages import FormDep, interview_page
from viva.web.render import render
from viva.web.service import Coach, NotFound
from viva.web.signin import COOKIE, CSRF_FIELD, CsrfRejected, NotSignedIn, require_login, safe_next

LOGIN_CSRF_COOKIE = "viva_login_csrf"  # before sign-in there is no session: the form's token is double-submitted


class TooManyAttempts(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {seconds} seconds")
        self.seconds = seconds


class WrongPassword(Exception):
    """/api/login with a wrong username or password: 401."""


class LoginRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=accounts.users.MAX_PASSWORD_CHARS)


class Account(BaseModel):
    username: str
    is_admin: bool
    csrf_token: str = Field(description=f"Send it as the X-CSRF-Token header on every POST (forms: {CSRF_FIELD}).")
    expires_at: str


router = APIRouter()
LoginDep = Annotated[LoginSession, Depends(require_login)]
_FAILED = "wrong username or password"
_LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Wrong username or password"},
    429: {"model": Problem, "description": "Too many failed sign-ins; see Retry-After"},
}


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    return login_form(request, 200, next_url=next)


@router.post("/login", include_in_schema=False)
def login(request: Request, form: FormDep, coach: CoachDep) -> Response:
    field = {name: values[0] for name, values in form.items()}
    next_url, draft = safe_next(field.get("next", "/")), field.get("draft", "")
    sent, expected = field.get(CSRF_FIELD, ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        return login_form(request, 403, next_url, draft, "The sign-in form had expired; please try again.")
    try:
        login = _sign_in(request, coach, field.get("username", ""), field.get("password", ""))
    except TooManyAttempts as e:
        response = login_form(request, 429, next_url, draft, f"{str(e).capitalize()}.")
        response.headers["Retry-After"] = str(e.seconds)
        return response
    if login is None:
        return login_form(request, 401, next_url, draft, f"{_FAILED.capitalize()}.")
    response = _after_sign_in(request, coach, login, next_url, draft)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return set_login_cookie(request, response, login)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, coach: CoachDep, login: LoginDep) -> Response:
    accounts.end_session(coach.store, login.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/api/login", responses=_LOGIN_ERRORS, tags=["accounts"])
def api_login(body: LoginRequest, request: Request, response: Response, coach: CoachDep) -> Account:
    """Sign in: sets the session cookie, and returns the CSRF token to send with every state-changing request."""
    login = _sign_in(request, coach, body.username, body.password)
    if login is None:
        raise WrongPassword()
    set_login_cookie(request, response, login)
    return _account(login)


@router.post("/api/logout", status_code=204, tags=["accounts"])
def api_logout(request: Request, coach: CoachDep, login: LoginDep) -> Response:
    """Sign out: the session ends on the server, whatever copies of the cookie exist."""
    accounts.end_session(coach.store, login.token)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/api/me", tags=["accounts"])
def me(login: LoginDep) -> Account:
    """Who is signed in, until when, and the CSRF token of this sign-in."""
    return _account(login)


def _account(login: LoginSession) -> Account:
    return Account(
        username=login.username, is_admin=login.is_admin, csrf_token=login.csrf_token, expires_at=login.expires_at
    )


def _sign_in(request: Request, coach: Coach, username: str, password: str) -> LoginSession | None:
    """Check the throttle, then the password; failures count against both the username and the client address."""
    keys = [f"user:{accounts.users.normalise(username)[:64]}", f"ip:{request.client.host if request.client else '-'}"]
    wait = accounts.retry_after(coach.store, keys)
    if wait:
        raise TooManyAttempts(wait)
    user = accounts.authenticate(coach.store, username, password)
    if user is None:
        accounts.record_failure(coach.store, keys)
        return None
    accounts.clear_failures(coach.store, keys[:1])  # not the address: one good account must not unlock guessing
    return accounts.start_session(coach.store, user.id, request.app.state.session_lifetime)


def _after_sign_in(request: Request, coach: Coach, login: LoginSession, next_url: str, draft: str) -> Response:
    """Straight on to `next`; an answer carried over from an expired login goes back into its box, ungraded."""
    session_id = next_url.removeprefix("/interview/")
    if draft and next_url.startswith("/interview/") and "/" not in session_id:
        request.state.login = login
        try:
            return interview_page(request, coach.state(session_id, login.user_id), draft=draft, error=None)
        except NotFound:
            return RedirectResponse("/", status_code=303)
    return RedirectResponse(next_url, status_code=303)


def login_form(
    request: Request, status: int, next_url: str = "/", draft: str = "", error: str | None = None
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request, "login.html", status, login_csrf=token, next_url=safe_next(next_url), draft=draft, error=error
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/login")
    return response


def set_login_cookie(request: Request, response: Response, login: LoginSession) -> Response:
    lifetime = int(request.app.state.session_lifetime.total_seconds())
    response.set_cookie(COOKIE, login.token, max_age=lifetime, httponly=True, samesite="lax", secure=_secure(request))
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or bool(request.app.state.https_cookies)


# -- what requests that fail the checks get ------------------------------------------------------------------------
def not_signed_in(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotSignedIn)
    if request.url.path.startswith("/api/"):
        response: Response = JSONResponse({"detail": "sign in first (POST /api/login)"}, status_code=401)
    elif error.draft:
        message = "Your sign-in has expired. Sign in again: your answer is kept below and goes back in its box."
        response = login_form(request, 401, error.next_url, error.draft, message)
    else:
        response = RedirectResponse(f"/login?next={quote(error.next_url, safe='/')}", status_code=303)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path="/")
    return response


def csrf_rejected(request: Request, error: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=403)
    return render(request, "error.html", 403, code=403, detail=str(error))


def too_many(request: Request, error: Exception) -> Response:
    assert isinstance(error, TooManyAttempts)
    return JSONResponse({"detail": str(error)}, status_code=429, headers={"Retry-After": str(error.seconds)})


def wrong_password(request: Request, error: Exception) -> Response:
    return JSONResponse({"detail": _FAILED}, status_code=401)


HANDLERS = {
    NotSignedIn: not_signed_in,
    CsrfRejected: csrf_rejected,
    TooManyAttempts: too_many,
    WrongPassword: wrong_password,
}
