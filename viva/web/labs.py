"""Coding labs in the browser: the same exercises, sandbox and grading as `viva lab`, per signed-in user."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from viva.labs.exercise import Exercise, load_exercises
from viva.labs.grade import grade_submission
from viva.labs.progress import best_scores, record_attempt
from viva.web.deps import CoachDep, UserDep
from viva.web.render import render
from viva.web.service import NotFound, TooLarge

MAX_CODE_CHARS = 50_000
router = APIRouter(tags=["labs"])


class LabSummary(BaseModel):
    id: str
    title: str
    difficulty: int
    topics: list[str]
    best_score: float | None


class LabExample(BaseModel):
    call: str
    result: str


class LabDetail(LabSummary):
    signature: str
    statement: str
    starter: str
    examples: list[LabExample]


class LabSubmission(BaseModel):
    code: str = Field(description="The candidate's Python source defining the exercise's function.")


class LabTest(BaseModel):
    name: str
    passed: bool
    status: str
    message: str | None = None


class LabReport(BaseModel):
    exercise: str
    verdict: str = Field(description="passed | failed | timeout | memory | output_limit | forbidden | error")
    tests: list[LabTest]
    duration_ms: int
    isolation: str
    message: str


def _exercise(exercise_id: str) -> Exercise:
    exercises = load_exercises()
    if exercise_id not in exercises:
        raise NotFound(f"no exercise {exercise_id!r}")
    return exercises[exercise_id]


def _summary(e: Exercise, best: dict[str, float]) -> LabSummary:
    return LabSummary(id=e.id, title=e.title, difficulty=e.difficulty, topics=e.topics, best_score=best.get(e.id))


def _detail(e: Exercise, best: dict[str, float]) -> LabDetail:
    return LabDetail(
        **_summary(e, best).model_dump(),
        signature=e.signature,
        statement=e.statement,
        starter=e.starter,
        examples=[LabExample(call=x.call, result=x.result) for x in e.examples],
    )


def _submit(coach: Any, user: str, exercise: Exercise, code: str) -> LabReport:
    if len(code) > MAX_CODE_CHARS:
        raise TooLarge(f"the code is {len(code):,} characters; the limit is {MAX_CODE_CHARS:,}")
    result = grade_submission(exercise, code)
    record_attempt(coach.store, exercise, result, user)
    tests = [
        LabTest(name=t["name"], passed=t["passed"], status=t["status"], message=t.get("message")) for t in result.tests
    ]
    return LabReport(
        exercise=exercise.id,
        verdict=result.verdict,
        tests=tests,
        duration_ms=result.duration_ms,
        isolation=result.isolation,
        message=result.message,
    )


@router.get("/api/labs", response_model=list[LabSummary])
def list_labs(coach: CoachDep, user: UserDep) -> list[LabSummary]:
    """Every coding exercise with your best score."""
    best = best_scores(coach.store, user)
    return [_summary(e, best) for e in load_exercises().values()]


@router.get("/api/labs/{exercise_id}", response_model=LabDetail, responses={404: {"description": "No such exercise"}})
def get_lab(exercise_id: str, coach: CoachDep, user: UserDep) -> LabDetail:
    """The statement, signature, starter code and visible examples (never the hidden tests or the solution)."""
    return _detail(_exercise(exercise_id), best_scores(coach.store, user))


@router.post(
    "/api/labs/{exercise_id}/submit",
    response_model=LabReport,
    responses={404: {"description": "No such exercise"}, 413: {"description": "Code over the size limit"}},
)
def submit_lab(exercise_id: str, body: LabSubmission, coach: CoachDep, user: UserDep) -> LabReport:
    """Run the code against the hidden tests in the sandbox and report per test."""
    return _submit(coach, user, _exercise(exercise_id), body.code)


@router.get("/labs", response_class=HTMLResponse, include_in_schema=False)
def labs_page(request: Request, coach: CoachDep, user: UserDep) -> HTMLResponse:
    best = best_scores(coach.store, user)
    return render(request, "labs.html", nav="labs", labs=[_summary(e, best) for e in load_exercises().values()])


@router.get("/labs/{exercise_id}", response_class=HTMLResponse, include_in_schema=False)
def lab_page(request: Request, exercise_id: str, coach: CoachDep, user: UserDep) -> HTMLResponse:
    lab = _detail(_exercise(exercise_id), best_scores(coach.store, user))
    return render(request, "lab.html", nav="labs", lab=lab, code=lab.starter, report=None)


@router.post("/labs/{exercise_id}", response_class=HTMLResponse, include_in_schema=False)
async def lab_submit_page(request: Request, exercise_id: str, coach: CoachDep, user: UserDep) -> HTMLResponse:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    code = form.get("code", [""])[0]
    exercise = _exercise(exercise_id)
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(_submit, coach, user, exercise, code)
    lab = _detail(exercise, best_scores(coach.store, user))
    return render(request, "lab.html", nav="labs", lab=lab, code=code, report=report)
