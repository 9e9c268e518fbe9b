"""`create_app`: the FastAPI app behind `viva serve` — the pages, the JSON API under /api, /healthz."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from viva import __version__
from viva.accounts import SESSION_LIFETIME
from viva.bank.loader import Bank, load_bank
from viva.interview import records
from viva.interview.engine import GradeFn
from viva.llm.types import ChatModel
from viva.store import Store, open_store
from viva.web import api, auth, labs, pages
from viva.web.limits import BodyLimit
from viva.web.models import Health
from viva.web.render import STATIC, render
from viva.web.service import Coach, Conflict, FunctionGrader, Grader, NotFound, TooLarge
from viva.web.signin import guard

DESCRIPTION = """Mock interviews for LLM-engineering roles: questions from viva's bank, answers graded against each
question's rubric, follow-ups on what was missed, progress and spaced review. Every page of the web app is built on
this API. Answers are untrusted text: they are stored and returned as given, and never interpreted."""

_STATUS = {NotFound: 404, Conflict: 409, TooLarge: 413}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Our pages load only our own script and stylesheet; the inline charts carry their own <style>.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


def create_app(
    store: Store | None = None,
    bank: Bank | None = None,
    grader: Grader | GradeFn | None = None,
    user_id: str = records.LOCAL_USER,
    *,
    interviewer: ChatModel | None = None,
    multi_user: bool = False,
    https_cookies: bool = False,
    session_lifetime: timedelta = SESSION_LIFETIME,
) -> FastAPI:
    """The web app over one store and bank. Defaults: the user's database, the built-in bank plus user banks, and
    the grader and interviewer the CLI uses (offline, plus an LLM judge and an LLM wording the follow-ups when one is
    configured). `multi_user`: accounts from the
    store's users table, sign-in required everywhere but /login, /healthz and /static, CSRF tokens on every change;
    `https_cookies` marks the session cookie Secure even when a proxy in front speaks https and viva plain http."""
    store = store or open_store()
    coach = Coach(store, bank or load_bank(), _grader(grader, store), interviewer or _configured_interviewer(store))
    # No /docs or /redoc: they load their script from a CDN, and viva works offline. The schema is at /openapi.json.
    app = FastAPI(
        title="viva",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(guard)],  # multi-user mode: a login everywhere but the public paths, CSRF on changes
    )
    app.state.coach = coach
    app.state.user_id = user_id
    app.state.multi_user = multi_user
    app.state.https_cookies = https_cookies
    app.state.session_lifetime = session_lifetime
    app.add_middleware(BodyLimit)
    app.middleware("http")(_security_headers)
    for error, status in _STATUS.items():
        app.add_exception_handler(error, _handler(status))
    if multi_user:
        for auth_error, handle in auth.HANDLERS.items():
            app.add_exception_handler(auth_error, handle)
        app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(labs.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get(
        "/healthz",
        response_model=Health,
        tags=["health"],
        responses={503: {"description": "The database is unreachable"}},
    )
    def healthz() -> Health | JSONResponse:
        """Liveness and readiness: answers ok once the database answers a query."""
        try:
            coach.check_database()
        except SQLAlchemyError as e:
            reason = str(getattr(e, "orig", e)).splitlines()[0]
            return JSONResponse({"status": "unavailable", "detail": f"database: {reason}"}, status_code=503)
        return Health(status="ok")

    return app


def _grader(grader: Grader | GradeFn | None, store: Store) -> Grader:
    if grader is None:
        from viva.config import home
        from viva.llm.service import grader_for
        from viva.web.gate import GatedGrader

        return GatedGrader(grader_for(store=store), home() / "locks")
    if isinstance(grader, Grader):
        return grader
    return FunctionGrader(grader, getattr(grader, "__name__", "function"))


def _configured_interviewer(store: Store) -> ChatModel | None:
    from viva.settings import llm_settings

    settings = llm_settings()
    if settings is None:
        return None
    from viva.llm.service import build_model

    return build_model(settings, store, purpose="interviewer")


def _handler(status: int) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, error: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=status)
        return render(request, "error.html", status, code=status, detail=str(error))

    return handle


async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response
