"""The pages: server-rendered HTML over the same coach as the API. Plain forms, no front-end build step."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from viva.bank.areas import AREA_IDS, AREAS
from viva.coach.radar import Spoke, radar_svg
from viva.interview import records
from viva.interview.plan import MAX_ANSWER_CHARS
from viva.web.charts import trend_svg
from viva.web.deps import CoachDep, UserDep
from viva.web.gate import in_grading_threads
from viva.web.models import ActionResult, AnswerRequest, SessionState, StartRequest
from viva.web.render import render
from viva.web.service import Coach, TooLarge

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Form = dict[str, list[str]]


async def form_data(request: Request) -> Form:
    """An HTML form's fields (application/x-www-form-urlencoded, what a plain <form method=post> sends)."""
    kind = request.headers.get("content-type", "application/x-www-form-urlencoded")
    if not kind.startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


FormDep = Annotated[Form, Depends(form_data)]


def _one(form: Form, name: str, default: str = "") -> str:
    return form.get(name, [default])[0]


def _seconds(value: str) -> float | None:
    """The timer's reading from the form; anything odd (no script ran, a tampered field) is simply not recorded."""
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 86_400 else None


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- start -------------------------------------------------------------------------------------------------------------
BLANK_FORM: dict[str, Any] = {
    "areas": [],
    "difficulty": "adaptive",
    "questions": "5",
    "follow_ups": "2",
    "time_budget_s": None,
    "job_description": "",
}


def _start_page(request: Request, coach: CoachDep, user: str, status: int = 200, **context: Any) -> Response:
    unfinished = records.latest_unfinished(coach.store, user)
    due = len(coach.review_queue(user).due)
    context = {"form": BLANK_FORM, "errors": [], **context}
    return render(
        request, "start.html", status, nav="start", areas=AREAS.values(), unfinished=unfinished, due=due, **context
    )


@router.get("/")
def home(request: Request, coach: CoachDep, user: UserDep) -> Response:
    return _start_page(request, coach, user)


@router.post("/interviews")
def start(request: Request, form: FormDep, coach: CoachDep, user: UserDep) -> Response:
    fields: dict[str, Any] = {name: _one(form, name, str(default or "")) for name, default in BLANK_FORM.items()}
    fields["areas"] = form.get("areas", [])
    fields["time_budget_s"] = fields["time_budget_s"] or None
    if fields["difficulty"] in ("1", "2", "3"):
        fields["difficulty"] = int(fields["difficulty"])
    fields["job_description"] = fields["job_description"].replace("\r\n", "\n")
    try:
        state = coach.start(StartRequest.model_validate(fields), user)
    except ValidationError as e:
        errors = [f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()]
        return _start_page(request, coach, user, 422, errors=errors, form=fields)
    return _see(f"/interview/{state.id}")


# -- the interview -----------------------------------------------------------------------------------------------------
def interview_page(request: Request, state: SessionState, status: int = 200, **context: Any) -> Response:
    if state.current is None:
        return _see(f"/sessions/{state.id}")
    context = {"error": None, "draft": "", **context}
    return render(
        request, "interview.html", status, state=state, c=state.current, max_chars=MAX_ANSWER_CHARS, **context
    )


@router.get("/interview/{session_id}")
def interview(request: Request, session_id: str, coach: CoachDep, user: UserDep) -> Response:
    return interview_page(request, coach.state(session_id, user))


def _after(result: ActionResult) -> Response:
    """A finished question shows its feedback; a follow-up goes straight back to the interview."""
    if result.feedback is not None:
        return _see(f"/sessions/{result.state.id}/questions/{result.feedback.number}")
    return _see(f"/interview/{result.state.id}")


@router.post("/interview/{session_id}/answer")
async def answer(request: Request, session_id: str, form: FormDep, coach: CoachDep, user: UserDep) -> Response:
    return await in_grading_threads(lambda: _answer(request, session_id, form, coach, user))


def _answer(request: Request, session_id: str, form: Form, coach: Coach, user: str) -> Response:
    text = _one(form, "answer").replace("\r\n", "\n")
    try:
        body = AnswerRequest(
            text=text, elapsed_s=_seconds(_one(form, "elapsed_s")), position=_one(form, "position") or None
        )
        return _after(coach.answer(session_id, body, user))
    except ValidationError:
        error, status = "The answer is empty: type an answer, or skip the question.", 422
    except TooLarge as e:
        error, status = f"{str(e).capitalize()}. Please shorten it.", 413
    return interview_page(request, coach.state(session_id, user), status, error=error, draft=text)


@router.post("/interview/{session_id}/hint")
def hint(request: Request, session_id: str, form: FormDep, coach: CoachDep, user: UserDep) -> Response:
    result = coach.hint(session_id, _one(form, "position") or None, user)
    note = None if result.hint else "No hint left: you have covered the key points."
    # Drawn here rather than redirected, so what was typed so far stays in the box.
    return interview_page(request, result.state, error=note, draft=_one(form, "answer").replace("\r\n", "\n"))


@router.post("/interview/{session_id}/skip")
def skip(session_id: str, form: FormDep, coach: CoachDep, user: UserDep) -> Response:
    return _after(coach.skip(session_id, _one(form, "position") or None, user))


@router.post("/interview/{session_id}/next")
def move_on(session_id: str, form: FormDep, coach: CoachDep, user: UserDep) -> Response:
    return _after(coach.move_on(session_id, _one(form, "position") or None, user))


@router.get("/sessions/{session_id}/questions/{number}")
def feedback(request: Request, session_id: str, number: int, coach: CoachDep, user: UserDep) -> Response:
    f = coach.feedback(session_id, number, user)
    if not f.finished:
        return _see(f"/interview/{session_id}")
    state = coach.state(session_id, user)
    return render(request, "feedback.html", state=state, f=f)


# -- history, progress, review -----------------------------------------------------------------------------------------
@router.get("/history")
def history(request: Request, coach: CoachDep, user: UserDep) -> Response:
    return render(request, "history.html", nav="history", sessions=coach.history(user))


@router.get("/sessions/{session_id}")
def transcript(request: Request, session_id: str, coach: CoachDep, user: UserDep) -> Response:
    return render(request, "session.html", nav="history", s=coach.detail(session_id, user))


@router.get("/progress")
def progress(request: Request, coach: CoachDep, user: UserDep) -> Response:
    report = coach.progress(user)
    radar = radar_svg([Spoke(a.title, a.score, a.low_evidence) for a in report.areas])
    # Both charts are ours and escape every label themselves, so they are inlined as they are.
    return render(request, "progress.html", nav="progress", p=report, radar=radar, trend=trend_svg(report.trend))


@router.get("/review")
def review(request: Request, coach: CoachDep, user: UserDep) -> Response:
    return render(request, "review.html", nav="review", queue=coach.review_queue(user))


@router.post("/review")
def start_review(coach: CoachDep, user: UserDep) -> Response:
    return _see(f"/interview/{coach.start_review(user).id}")


# -- the bank ----------------------------------------------------------------------------------------------------------
@router.get("/bank")
def bank(request: Request, coach: CoachDep, area: str = "", difficulty: str = "", q: str = "") -> Response:
    chosen_area = area if area in AREA_IDS else None
    level = int(difficulty) if difficulty in ("1", "2", "3") else None
    page = coach.bank_list(chosen_area, level, q[:200])
    return render(
        request, "bank.html", nav="bank", page=page, areas=AREAS.values(), area=chosen_area, level=level, q=q[:200]
    )


@router.get("/bank/{question_id}")
def question(request: Request, question_id: str, coach: CoachDep) -> Response:
    return render(request, "question.html", nav="bank", question=coach.bank_question(question_id))
