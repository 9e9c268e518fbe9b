"""What the web app does, for the pages and the API alike. Nothing that matters is kept in memory: a request
rebuilds its session from the store (`Session.replay`) unless this process still holds it, unchanged since, in its
`SessionCache`, so any worker can serve any request."""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from viva.llm.types import ChatModel
from viva.store.db import Store
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
class SessionCache:
    """Sessions this process has rebuilt, kept between requests (least recently used dropped first): rebuilding one
    replays all its events. The database stays the only truth: an entry is used only while the session's latest
    stored event is still the one it has applied, which any worker adding an event changes. A request takes its
    entry out while it works and puts it back only when it succeeded, so no two requests share one, and one that
    failed half-way never leaves a half-changed session behind."""

    size: int = 500
    _entries: OrderedDict[str, Session] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, row: records.SessionRow) -> Session | None:
        with self._lock:
            session = self._entries.pop(row.id, None)
        return session if session is not None and session.last_seq == row.last_seq else None

    def put(self, session: Session) -> None:
        if session.engine.finished:
            return
        with self._lock:
            self._entries[session.id] = session
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def check_size(what: str, value: str, limit: int = MAX_ANSWER_CHARS) -> None:
    if len(value) > limit:
        raise TooLarge(f"{what} is {len(value):,} characters; the limit is {limit:,} characters")


@dataclass
class Coach:
    store: Store
    bank: Bank
    grader: Grader
    interviewer: ChatModel | None = None  # words follow-ups as an LLM interviewer; the probes when None or failing
    sessions: SessionCache = field(default_factory=SessionCache)

    def __post_init__(self) -> None:
        self.bank_version = self.bank.version  # a hash of the whole bank; the bank does not change while serving

    # -- health ------------------------------------------------------------------------------------------------
    def check_database(self) -> None:
        with self.store.read() as conn:
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
        return self._started(plan, "interview", user_id)

    def review_queue(self, user_id: str) -> ReviewQueue:
        last = {a.question_id: a.score for a in records.attempts(self.store, user_id, grades=False)}
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
        return self._started(Plan(question_ids=tuple(due), seed=0), "review", user_id)

    def state(self, session_id: str, user_id: str) -> SessionState:
        row = self._row(session_id, user_id)
        if row.status == "finished":
            plan = Plan.from_json(row.plan)
            done = len(records.attempts(self.store, user_id, session_id, grades=False))
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
        with self._session(session_id, user_id) as session:
            return self._state(session)

    def answer(self, session_id: str, request: AnswerRequest, user_id: str) -> ActionResult:
        check_size("the answer", request.text)
        return self._act(session_id, user_id, request.position, lambda s: s.answer(request.text, request.elapsed_s))

    def hint(self, session_id: str, position: str | None, user_id: str) -> ActionResult:
        with self._session(session_id, user_id, position) as session:
            hint = self._guarded(session.hint)
            return ActionResult(state=self._state(session), hint=hint)

    def skip(self, session_id: str, position: str | None, user_id: str) -> ActionResult:
        return self._act(session_id, user_id, position, Session.skip)

    def move_on(self, session_id: str, position: str | None, user_id: str) -> ActionResult:
        with self._session(session_id, user_id, position) as session:
            prompt = session.engine.prompt
            if prompt is None or prompt.kind != "follow_up":
                self.sessions.put(session)  # untouched
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
        report = progress(records.attempts(self.store, user_id, grades=False))
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

    def _started(self, plan: Plan, kind: str, user_id: str) -> SessionState:
        grader = self.grader
        session = Session.start(
            self.store, self.bank, plan, grader.grade, grader.name, kind, user_id, bank_version=self.bank_version
        )
        session.interviewer = self.interviewer
        self.sessions.put(session)
        return self._state(session)

    @contextmanager
    def _session(self, session_id: str, user_id: str, position: str | None = None) -> Iterator[Session]:
        """The session, from this process's cache when nobody has changed it since, else rebuilt; back into the cache
        once the caller's block has succeeded."""
        row = self._row(session_id, user_id)
        if row.status == "finished":
            raise Conflict(f"session {session_id} is finished; start a new interview")
        session = self.sessions.take(row) or self._rebuild(row)
        if row.status != "active":
            records.set_status(self.store, row.id, "active")  # paused in the terminal, continued here
        now = views.current(session, None)
        if position is not None and (now is None or now.position != position):
            self.sessions.put(session)  # untouched
            raise Conflict(
                f"session {session_id} has moved on since that page was shown (you sent position {position}, "
                f"it is at {now.position if now else 'the end'}); reload to see where it is"
            )
        yield session
        self.sessions.put(session)

    def _rebuild(self, row: records.SessionRow) -> Session:
        try:
            session = Session.replay(
                self.store, self.bank, row, self.grader.grade, self.grader.name, bank_version=self.bank_version
            )
        except VivaError as e:
            raise Conflict(e.message) from None
        session.interviewer = self.interviewer
        return session

    def _act(
        self, session_id: str, user_id: str, position: str | None, action: Callable[[Session], Outcome]
    ) -> ActionResult:
        with self._session(session_id, user_id, position) as session:
            return self._finish(session, self._guarded(lambda: action(session)), user_id)

    def _finish(self, session: Session, outcome: Outcome, user_id: str) -> ActionResult:
        finished = None
        if outcome.finished_question:
            finished = self.feedback(session.id, outcome.turn.number, user_id)
        return ActionResult(state=self._state(session), follow_up=outcome.follow_up, feedback=finished)

    def _state(self, session: Session) -> SessionState:
        plan = session.engine.plan
        return SessionState(
            id=session.id,
            kind=session.kind,
            status=session.status,
            created_at=session.created_at,
            total=plan.total,
            done=sum(t.done for t in session.turns),
            finished=session.engine.finished,
            current=views.current(session, session.shown_at),
        )

    @staticmethod
    def _guarded(action: Callable[[], T]) -> T:
        """Two requests racing on one session: the store's unique (session, seq) lets only one event in."""
        try:
            return action()
        except IntegrityError:
            raise Conflict("another request changed this session at the same moment; reload and try again") from None
