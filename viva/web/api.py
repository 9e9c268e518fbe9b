"""The JSON API under /api: everything the pages do, described by the OpenAPI schema at /openapi.json."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status

from viva.bank.schema import AreaId
from viva.web.deps import CoachDep, UserDep
from viva.web.gate import in_grading_threads
from viva.web.models import (
    ActionRequest,
    ActionResult,
    AnswerRequest,
    BankPage,
    Feedback,
    ProgressOut,
    QuestionDetail,
    ReviewQueue,
    SessionDetail,
    SessionState,
    SessionSummaryOut,
    StartRequest,
)
from viva.web.models import Problem as ProblemOut

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ProblemOut, "description": "No such session"}}
_ACTION: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    409: {"model": ProblemOut, "description": "The session is finished, or has moved on past `position`"},
}

router = APIRouter(prefix="/api")
SessionId = Annotated[str, Path(description="A session id, as returned when it was started.")]
MaybeAction = Annotated[ActionRequest | None, Body()]


@router.post("/sessions", status_code=status.HTTP_201_CREATED, tags=["interviews"])
def start_session(
    request: StartRequest,
    coach: CoachDep,
    user: UserDep,
) -> SessionState:
    """Start an interview; the state holds the first question."""
    return coach.start(request, user)


@router.get("/sessions", tags=["history"])
def list_sessions(coach: CoachDep, user: UserDep) -> list[SessionSummaryOut]:
    """Your sessions, newest first."""
    return coach.history(user)


@router.get("/sessions/{session_id}", responses=_NOT_FOUND, tags=["interviews"])
def get_state(session_id: SessionId, coach: CoachDep, user: UserDep) -> SessionState:
    """Where a session stands: the current question or follow-up, or finished."""
    return coach.state(session_id, user)


@router.get("/sessions/{session_id}/transcript", responses=_NOT_FOUND, tags=["history"])
def get_transcript(session_id: SessionId, coach: CoachDep, user: UserDep) -> SessionDetail:
    """One session's transcript: every question with its answers and feedback, a summary per area."""
    return coach.detail(session_id, user)


@router.get("/sessions/{session_id}/questions/{number}", responses=_NOT_FOUND, tags=["history"])
def get_feedback(session_id: SessionId, number: Annotated[int, Path(ge=1)], coach: CoachDep, user: UserDep) -> Feedback:
    """Feedback on one question of a session (1 is the first asked)."""
    return coach.feedback(session_id, number, user)


@router.post(
    "/sessions/{session_id}/answer",
    responses={**_ACTION, 413: {"model": ProblemOut, "description": "The answer is over the limit"}},
    tags=["interviews"],
)
async def answer(session_id: SessionId, request: AnswerRequest, coach: CoachDep, user: UserDep) -> ActionResult:
    """Answer the current question or follow-up. Either a follow-up comes back, or the question's feedback."""
    return await in_grading_threads(lambda: coach.answer(session_id, request, user))


@router.post("/sessions/{session_id}/hint", responses=_ACTION, tags=["interviews"])
def hint(session_id: SessionId, coach: CoachDep, user: UserDep, request: MaybeAction = None) -> ActionResult:
    """A hint for the current question (the probe of the heaviest point not yet made); costs points."""
    return coach.hint(session_id, request.position if request else None, user)


@router.post("/sessions/{session_id}/skip", responses=_ACTION, tags=["interviews"])
def skip(session_id: SessionId, coach: CoachDep, user: UserDep, request: MaybeAction = None) -> ActionResult:
    """Skip the current question (it scores 0)."""
    return coach.skip(session_id, request.position if request else None, user)


@router.post("/sessions/{session_id}/next", responses=_ACTION, tags=["interviews"])
def next_question(session_id: SessionId, coach: CoachDep, user: UserDep, request: MaybeAction = None) -> ActionResult:
    """Leave the pending follow-up; the question keeps the grade it has."""
    return coach.move_on(session_id, request.position if request else None, user)


@router.get("/progress", tags=["progress"])
def get_progress(coach: CoachDep, user: UserDep) -> ProgressOut:
    """Mastery per area and topic (recent attempts count more) and the mean score per day."""
    return coach.progress(user)


@router.get("/review", tags=["review"])
def get_review_queue(coach: CoachDep, user: UserDep) -> ReviewQueue:
    """Questions due for spaced review, weakest first."""
    return coach.review_queue(user)


@router.post(
    "/review",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ProblemOut, "description": "Nothing is due"}},
    tags=["review"],
)
def start_review(coach: CoachDep, user: UserDep) -> SessionState:
    """Start an interview of the questions due for review."""
    return coach.start_review(user)


@router.get("/bank", tags=["bank"])
def list_questions(
    coach: CoachDep,
    area: AreaId | None = None,
    difficulty: Annotated[int | None, Query(ge=1, le=3)] = None,
    q: Annotated[str, Query(max_length=200, description="Words that must all appear")] = "",
) -> BankPage:
    """Questions in the bank, filtered by area, difficulty and text."""
    return coach.bank_list(area, difficulty, q)


@router.get(
    "/bank/{question_id}", responses={404: {"model": ProblemOut, "description": "No such question"}}, tags=["bank"]
)
def get_question(question_id: str, coach: CoachDep) -> QuestionDetail:
    """One question with its rubric: key points with weights and probes, misconceptions, a model answer."""
    return coach.bank_question(question_id)
