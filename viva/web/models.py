"""What the JSON API takes and returns: pydantic models, so `/openapi.json` describes every route exactly."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from viva.bank.schema import AreaId

Level = Literal["adaptive", 1, 2, 3]


# -- requests ------------------------------------------------------------------------------------------------------
class StartRequest(BaseModel):
    areas: list[AreaId] = Field(default_factory=list, description="Areas to ask about; empty means all seven.")
    difficulty: Level = Field(default="adaptive", description="1 junior, 2 mid, 3 senior, or adaptive.")
    questions: int = Field(default=5, ge=1, le=50)
    follow_ups: int = Field(default=2, ge=0, le=5, description="At most this many follow-ups per question.")
    time_budget_s: int | None = Field(
        default=None, ge=10, le=3600, description="Seconds per question (shown, not enforced)."
    )
    job_description: str = Field(default="", description="Weights areas and topics by the words it uses.")
    seed: int | None = Field(default=None, description="Make question choice reproducible.")


class ActionRequest(BaseModel):
    position: str | None = Field(
        default=None,
        description="The `position` of the prompt this action is for (from the state); a stale one gets 409, so a "
        "double submit or an old browser tab cannot answer the wrong prompt.",
    )


class AnswerRequest(ActionRequest):
    text: str = Field(description="The answer; its length limit is answered with 413.")
    elapsed_s: float | None = Field(default=None, ge=0, le=86_400, description="Seconds spent on it.")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("the answer is empty: type an answer, or skip the question")
        return text


# -- the bank ------------------------------------------------------------------------------------------------------
class QuestionInfo(BaseModel):
    id: str
    area: str
    area_title: str
    topic: str
    topic_title: str
    difficulty: int
    level: str = Field(description="junior, mid or senior")
    kind: str
    text: str


class KeyPointOut(BaseModel):
    id: str
    text: str
    weight: float
    probe: str


class MisconceptionOut(BaseModel):
    claim: str
    why: str


class QuestionDetail(QuestionInfo):
    key_points: list[KeyPointOut]
    misconceptions: list[MisconceptionOut]
    model_answer: str
    tags: list[str]
    references: list[str]
    source: str | None


class BankPage(BaseModel):
    total: int = Field(description="Questions in the bank.")
    questions: list[QuestionInfo] = Field(description="Those matching the filters.")


# -- feedback on one question --------------------------------------------------------------------------------------
class SpanOut(BaseModel):
    start: int
    end: int


class PointOut(BaseModel):
    id: str
    text: str
    weight: float
    covered: bool
    contradicted: bool = False
    evidence: str | None = Field(default=None, description="The candidate's own words that make the point.")
    span: SpanOut | None = Field(default=None, description="Where those words are in `answer` (character offsets).")


class MisconceptionHitOut(BaseModel):
    claim: str
    why: str
    evidence: str
    span: SpanOut | None = None


class ExchangeOut(BaseModel):
    kind: Literal["question", "follow_up"]
    prompt: str
    answer: str | None


class Feedback(BaseModel):
    number: int
    question: QuestionInfo
    finished: bool
    skipped: bool
    score: float | None = Field(description="0-100 after hint penalties; null while the question is open.")
    hints: int
    exchanges: list[ExchangeOut]
    answer: str = Field(description="Every answer to this question, joined: the text that was graded.")
    covered: list[PointOut]
    missed: list[PointOut] = Field(description="Heaviest first.")
    misconceptions: list[MisconceptionHitOut]
    injection: list[SpanOut] = Field(description="Instructions found in the answer and ignored.")
    notes: list[str] = Field(description="What the grader noticed (flags).")
    tips: list[str] = Field(description="Communication tips.")
    communication: float | None
    grader: str | None
    model_answer: str


# -- sessions ------------------------------------------------------------------------------------------------------
class Current(BaseModel):
    number: int
    total: int
    position: str = Field(description="Identifies this prompt; send it back with the next action.")
    question: QuestionInfo
    prompt_kind: Literal["question", "follow_up"]
    prompt: str
    exchanges: list[ExchangeOut] = Field(description="What was asked and answered so far on this question.")
    hints: int
    hint: str | None = Field(description="The hint, once one was asked for on this question.")
    hint_penalty: float
    time_budget_s: int | None
    waited_s: float = Field(description="Seconds since this prompt was first shown.")


class SessionState(BaseModel):
    id: str
    kind: str
    status: str
    created_at: str
    total: int = Field(description="Questions planned.")
    done: int = Field(description="Questions finished (a skip finishes one).")
    finished: bool
    current: Current | None


class ActionResult(BaseModel):
    state: SessionState
    follow_up: str | None = Field(default=None, description="The follow-up the answer led to, if any.")
    hint: str | None = None
    feedback: Feedback | None = Field(default=None, description="The question this action finished, graded.")


class AreaScore(BaseModel):
    area: str
    title: str
    questions: int
    mean_score: float


class SessionDetail(BaseModel):
    id: str
    kind: str
    status: str
    created_at: str
    grader: str
    bank_version: str
    mean_score: float | None
    questions: list[Feedback]
    by_area: list[AreaScore]
    study_next: list[str] = Field(description="The heaviest key points missed, from the weakest answers first.")


class SessionSummaryOut(BaseModel):
    id: str
    kind: str
    status: str
    started: str
    answered: int
    finished: int
    mean_score: float | None


# -- progress and review -------------------------------------------------------------------------------------------
class StandingOut(BaseModel):
    key: str
    title: str
    score: float | None
    attempts: int
    last_at: str | None
    low_evidence: bool


class DayMeanOut(BaseModel):
    day: str
    mean: float
    attempts: int


class ProgressOut(BaseModel):
    attempts: int
    areas: list[StandingOut]
    topics: list[StandingOut]
    trend: list[DayMeanOut]


class DueQuestion(BaseModel):
    question: QuestionInfo
    last_score: float | None


class ReviewQueue(BaseModel):
    due: list[DueQuestion]
    next_due: str | None = Field(description="When the next card falls due, if none is due now.")


class Health(BaseModel):
    status: Literal["ok"]


class Problem(BaseModel):
    detail: str
