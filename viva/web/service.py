"""What the web app does, for the pages and the API alike. Nothing that matters is kept in memory: each request
rebuilds its session from the store (`Session.resume`), so any worker can serve any request."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from viva.bank.loader import Bank
from viva.bank.schema import Question
from viva.coach.progress import progress
from viva.coach.review import due_questions, next_due
from viva.errors import VivaError
from viva.grading.result import Grade
from viva.interview import records
from viva.interview.engine import GradeFn, Outcome
from viva.interview.history import summaries
from viva.interview.plan import MAX_ANSWER_CHARS, Plan, job_weights
from viva.interview.session import Session
from viva.interview.transcript import session_record
from viva.store.db import Store, utc_now
from viva.web import views
from viva.web.models import (
    ActionResult,
    AnswerRequest,
    BankPage,
    DayMeanOut,
    DueQuestion,
    Feedback,
    ProgressOut,
    QuestionDetail,
    QuestionInfo,
    ReviewQueue,
    SessionDetail,
    SessionState,
    SessionSummaryOut,
    StandingOut,
    StartRequest,
)

ANSWER_KINDS = ("question", "follow_up")
SHOWN_KINDS = ("ask", *ANSWER_KINDS)  # events after which a new prompt is on screen
REVIEW_QUESTIONS = 10
T = TypeVar("T")


class NotFound(Exception):
    """An id that does not exist (or is not this user's): 404."""


class Conflict(Exception):
    """The request does not fit the session's state (finished, or moved on since the page was drawn): 409."""


class TooLarge(Exception):
    """An answer or a job description over its limit: 413."""


@runtime_checkable
class Grader(Protocol):
    @property
    def name(self) -> str: ...

    def grade(self, question: Question, answer: str) -> Grade: ...


@dataclass(frozen=True)
class FunctionGrader:
    """A plain grade function as a grader (tests inject `keyword_grade` this way)."""

    fn: GradeFn
    name: str = "function"

    def grade(self, question: Question, answer: str) -> Grade:
        return self.fn(question, answer)


@dataclass
class StoredGrades:
    """Replays the grade stored with each answer, in order, so rebuilding a session never grades again (nor calls
    an LLM judge); an answer whose grade was never stored (the grader crashed) is graded now."""

    grade_fn: GradeFn
    stored: list[dict[str, Any] | None] = field(default_factory=list)

    def __call__(self, question: Question, answer: str) -> Grade:
        if self.stored:
            grade = self.stored.pop(0)
            if grade is not None:
                return Grade.model_validate(grade)
        return self.grade_fn(question, answer)


def check_size(what: str, value: str, limit: int = MAX_ANSWER_CHARS) -> None:
    if len(value) > limit:
        raise TooLarge(f"{what} is {len(value):,} characters; the limit is {limit:,} characters")


@dataclass
class Coach:
    store: Store
    bank: Bank
    grader: Grader

    # -- health ------------------------------------------------------------------------------------------------
    def check_database(self) -> None:
        with self.store.engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM sessions LIMIT 1")).all()

    # -- interviews ------------------------------------------------------------------------------------------------
    def start(self, request: StartRequest, user_id: str) -> SessionState:
        check_size("the job description", request.job_description)
        areas = tuple(dict.fromkeys(request.areas)) or Plan().areas
        plan = Plan(
            areas=areas,
            difficulty=None if request.difficulty == "adaptive" else request.difficulty,
            questions=request.questions,
            max_follow_ups=request.follow_ups,
            time_budget_s=request.time_budget_s,
            seed=request.seed if request.seed is not None else random.SystemRandom().randrange(2**31),
            weights=job_weights(request.job_description, self.bank, areas) if request.job_description.strip() else {},
        )
        session = Session.start(self.store, self.bank, plan, self.grader.grade, self.grader.name, "interview", user_id)
        return self._state(session, utc_now())

    def review_queue(self, user_id: str) -> ReviewQueue:
        last = {a.question_id: a.score for a in records.attempts(self.store, user_id)}
        due = [q for q in due_questions(self.store, user_id) if q in self.bank.questions]
        return ReviewQueue(
            due=[
                DueQuestion(question=views.question_info(self.bank.questions[q]), last_score=last.get(q)) for q in due
            ],
            next_due=None if due else next_due(self.store, user_id),
        )

    def start_review(self, user_id: str, limit: int = REVIEW_QUESTIONS) -> SessionState:
        due = [d.question.id for d in self.review_queue(user_id).due][:limit]
        if not due:
            raise Conflict("nothing is due for review; answer some questions in an interview first")
        plan = Plan(question_ids=tuple(due), seed=0)
        session = Session.start(self.store, self.bank, plan, self.grader.grade, self.grader.name, "review", user_id)
        return self._state(session, utc_now())

    def state(self, session_id: str, user_id: str) -> SessionState:
        row = self._row(session_id, user_id)
        if row.status == "finished":
            plan = Plan.from_json(row.plan)
            done = len(records.attempts(self.store, user_id, session_id))
            return SessionState(
                id=row.id,
                kind=row.kind,
                status=row.status,
                created_at=row.created_at,
                total=plan.total,
                done=done,
                finished=True,
                current=None,
            )
        session, shown_at = self._resume(session_id, user_id)
        return self._state(session, shown_at)

    def answer(self, session_id: str, request: AnswerRequest, user_id: str) -> ActionResult:
        check_size("the answer", request.text)
        return self._act(session_id, user_id, request.position, lambda s: s.answer(request.text, request.elapsed_s))

    def hint(self, session_id: str, position: str | None, user_id: str) -> ActionResult:
        session, shown_at = self._resume(session_id, user_id, position)
        hint = self._guarded(session.hint)
        return ActionResult(state=self._state(session, shown_at), hint=hint)

    def skip(self, session_id: str, position: str | None, user_id: str) -> ActionResult:
        return self._act(session_id, user_id, position, Session.skip)

    def move_on(self, session_id: str, position: str | None, user_id: str) -> ActionResult:
        session, _ = self._resume(session_id, user_id, position)
        prompt = session.engine.prompt
        if prompt is None or prompt.kind != "follow_up":
            raise Conflict("there is no follow-up to leave: answer the question, or skip it")
        return self._finish(session, self._guarded(session.move_on), user_id)

    # -- reading ---------------------------------------------------------------------------------------------------
    def detail(self, session_id: str, user_id: str) -> SessionDetail:
        record = self._record(session_id, user_id)
        questions = [views.feedback(i, q, self.bank) for i, q in enumerate(record["questions"], 1)]
        finished = [q.score or 0.0 for q in questions if q.finished]
        return SessionDetail(
            id=record["session_id"],
            kind=record["kind"],
            status=record["status"],
            created_at=record["created_at"],
            grader=record["grader"],
            bank_version=record["bank_version"],
            mean_score=round(sum(finished) / len(finished), 1) if finished else None,
            questions=questions,
            by_area=views.by_area(questions),
            study_next=views.study_next(questions),
        )

    def feedback(self, session_id: str, number: int, user_id: str) -> Feedback:
        questions = self._record(session_id, user_id)["questions"]
        if not 1 <= number <= len(questions):
            raise NotFound(f"session {session_id} has no question {number}")
        return views.feedback(number, questions[number - 1], self.bank)

    def history(self, user_id: str) -> list[SessionSummaryOut]:
        return [SessionSummaryOut(**s.to_json()) for s in summaries(self.store, user_id)]

    def progress(self, user_id: str) -> ProgressOut:
        report = progress(records.attempts(self.store, user_id))
        return ProgressOut(
            attempts=report.attempts,
            areas=[StandingOut(**vars(s)) for s in report.areas],
            topics=[StandingOut(**vars(s)) for s in report.topics],
            trend=[DayMeanOut(**vars(d)) for d in report.trend],
        )

    def bank_list(self, area: str | None = None, difficulty: int | None = None, query: str = "") -> BankPage:
        words = query.lower().split()
        chosen: list[QuestionInfo] = []
        for q in self.bank:
            if (area and q.area != area) or (difficulty and int(q.difficulty) != difficulty):
                continue
            haystack = " ".join([q.id, q.question, q.topic, *q.tags, *(p.text for p in q.key_points)]).lower()
            if all(w in haystack for w in words):
                chosen.append(views.question_info(q))
        chosen.sort(key=lambda q: (q.area, q.topic, q.difficulty, q.id))
        return BankPage(total=len(self.bank), questions=chosen)

    def bank_question(self, question_id: str) -> QuestionDetail:
        question = self.bank.questions.get(question_id)
        if question is None:
            raise NotFound(f"no question {question_id!r} in the bank")
        return views.question_detail(question, str(self.bank.sources.get(question_id, "")) or None)

    # -- internals -------------------------------------------------------------------------------------------------
    def _row(self, session_id: str, user_id: str) -> records.SessionRow:
        try:
            return records.get_session(self.store, session_id, user_id)
        except VivaError:
            raise NotFound(f"no session {session_id!r}") from None

    def _record(self, session_id: str, user_id: str) -> dict[str, Any]:
        self._row(session_id, user_id)
        return session_record(self.store, session_id, user_id)

    def _resume(self, session_id: str, user_id: str, position: str | None = None) -> tuple[Session, str | None]:
        row = self._row(session_id, user_id)
        if row.status == "finished":
            raise Conflict(f"session {session_id} is finished; start a new interview")
        events = records.events(self.store, session_id)
        replay = StoredGrades(self.grader.grade, [e.grade for e in events if e.kind in ANSWER_KINDS])
        try:
            session = Session.resume(self.store, self.bank, session_id, replay, self.grader.name, user_id)
        except VivaError as e:
            raise Conflict(e.message) from None
        shown_at = next((e.created_at for e in reversed(events) if e.kind in SHOWN_KINDS), None)
        if position is not None:
            now = views.current(session, None)
            if now is None or now.position != position:
                raise Conflict(
                    f"session {session_id} has moved on since that page was shown (you sent position {position}, "
                    f"it is at {now.position if now else 'the end'}); reload to see where it is"
                )
        return session, shown_at

    def _act(
        self, session_id: str, user_id: str, position: str | None, action: Callable[[Session], Outcome]
    ) -> ActionResult:
        session, _ = self._resume(session_id, user_id, position)
        return self._finish(session, self._guarded(lambda: action(session)), user_id)

    def _finish(self, session: Session, outcome: Outcome, user_id: str) -> ActionResult:
        finished = None
        if outcome.finished_question:
            finished = self.feedback(session.id, outcome.turn.number, user_id)
        # The next prompt is on screen from now on.
        state = self._state(session, utc_now())
        return ActionResult(state=state, follow_up=outcome.follow_up, feedback=finished)

    def _state(self, session: Session, shown_at: str | None) -> SessionState:
        row = self._row(session.id, session.user_id)
        plan = session.engine.plan
        return SessionState(
            id=session.id,
            kind=row.kind,
            status=row.status,
            created_at=row.created_at,
            total=plan.total,
            done=sum(t.done for t in session.turns),
            finished=session.engine.finished,
            current=views.current(session, shown_at),
        )

    @staticmethod
    def _guarded(action: Callable[[], T]) -> T:
        """Two requests racing on one session: the store's unique (session, seq) lets only one event in."""
        try:
            return action()
        except IntegrityError:
            raise Conflict("another request changed this session at the same moment; reload and try again") from None
