"""A stored interview: the engine plus the store. Every event is committed before it is acted on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from viva.bank.loader import Bank
from viva.bank.schema import Question
from viva.coach.mastery import mastery
from viva.coach.review import schedule
from viva.errors import Problem, VivaError
from viva.grading.result import Grade
from viva.interview import records
from viva.interview.engine import Exchange, GradeFn, History, Interview, Outcome, Turn
from viva.interview.plan import MAX_ANSWER_CHARS, Plan
from viva.llm.types import ChatModel
from viva.store.db import Store, utc_now

ANSWER_KINDS = ("question", "follow_up")
REWORDED = "reworded"  # the pending follow-up as the LLM interviewer put it (prompt); replayed in place of the probe
SHOWN_KINDS = ("ask", REWORDED, *ANSWER_KINDS)  # events after which a new prompt is on screen


def history_for(store: Store, user_id: str = records.LOCAL_USER, before: str | None = None) -> History:
    """What the attempts made before `before` (a session's start) say, with mastery as it stood then: a session
    sees the same history however often it is rebuilt, and its own answers do not steer its own picks."""
    rows = records.attempts(store, user_id, grades=False, before=before)
    last = {a.question_id: a.score for a in rows}  # rows are oldest first, so the last write wins
    now = datetime.fromisoformat(before) if before else None
    topics = {k: m.score / 100 for k, m in mastery(rows, now).items() if "/" in k}
    return History(last_score=last, topic_mastery=topics)


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


@dataclass
class Session:
    id: str
    store: Store
    bank: Bank
    engine: Interview
    grader_name: str
    user_id: str = records.LOCAL_USER
    replaying: bool = False
    interviewer: ChatModel | None = None  # writes follow-ups in its own words; the engine still decides when
    kind: str = "interview"
    created_at: str = ""
    bank_version: str = ""
    last_seq: int = 0  # the latest stored event this object has applied
    shown_at: str | None = None  # when the prompt now on screen was shown
    _attempted: set[str] | None = field(default=None, repr=False)  # questions with a stored attempt (replay)

    @classmethod
    def start(
        cls,
        store: Store,
        bank: Bank,
        plan: Plan,
        grade_fn: GradeFn,
        grader_name: str,
        kind: str = "interview",
        user_id: str = records.LOCAL_USER,
        *,
        bank_version: str | None = None,
    ) -> Session:
        """`bank_version`: the bank's hash when the caller already knows it (it takes a while to compute)."""
        now, version = utc_now(), bank_version or bank.version
        engine = Interview(plan, bank, grade_fn, history_for(store, user_id, before=now))
        session_id = records.create_session(store, kind, plan.to_json(), version, grader_name, user_id, at=now)
        session = cls(session_id, store, bank, engine, grader_name, user_id, kind=kind, created_at=now)
        session.bank_version, session._attempted = version, set()
        session._record_asked()
        return session

    @classmethod
    def resume(
        cls,
        store: Store,
        bank: Bank,
        session_id: str,
        grade_fn: GradeFn,
        grader_name: str,
        user_id: str = records.LOCAL_USER,
        *,
        bank_version: str | None = None,
    ) -> Session:
        """Rebuild the session by replaying its stored events through a fresh engine: nothing answered is lost."""
        row = records.get_session(store, session_id, user_id)
        session = cls.replay(store, bank, row, grade_fn, grader_name, bank_version=bank_version)
        if row.status != "active":
            records.set_status(store, row.id, "active")
        return session

    @classmethod
    def replay(
        cls,
        store: Store,
        bank: Bank,
        row: records.SessionRow,
        grade_fn: GradeFn,
        grader_name: str,
        *,
        bank_version: str | None = None,
    ) -> Session:
        """`resume` for a session row already read, leaving its status alone. The only write is an attempt that a crash
        kept from being stored."""
        if row.status == "finished":
            raise VivaError(
                Problem(
                    f"session {row.id}",
                    "is already finished",
                    f"see it with `viva show {row.id}`, or start a new interview",
                )
            )
        stored = records.events(store, row.id)
        missing = sorted({e.question_id for e in stored} - set(bank.questions))
        if missing:
            raise VivaError(
                Problem(
                    f"session {row.id}",
                    f"uses questions not in the bank: {', '.join(missing)}",
                    "load the bank it was started with (--bank)",
                )
            )
        order = list(dict.fromkeys(e.question_id for e in stored))
        history = partial(history_for, store, row.user_id, row.created_at)
        replay = StoredGrades(grade_fn, [e.grade for e in stored if e.kind in ANSWER_KINDS])
        engine = Interview(Plan.from_json(row.plan), bank, replay, history, forced=order)
        session = cls(row.id, store, bank, engine, grader_name, row.user_id, replaying=True)
        session.kind, session.created_at, session.bank_version = row.kind, row.created_at, bank_version or bank.version
        for event in stored:
            session._apply(event.kind, event.text, (event.elapsed_ms or 0) / 1000 or None, event.prompt)
            session._seen(event.seq, event.kind, event.created_at)
        session.replaying, engine.grade_fn = False, grade_fn
        return session

    # -- actions: store first, then act ------------------------------------------------------------------------
    def answer(self, text: str, elapsed_s: float | None = None) -> Outcome:
        if len(text) > MAX_ANSWER_CHARS:
            raise VivaError(
                Problem(
                    "answer",
                    f"is {len(text):,} characters; the limit is {MAX_ANSWER_CHARS:,}",
                    "shorten it, or split it across the follow-ups",
                )
            )
        turn, exchange = self._current()
        elapsed_ms = None if elapsed_s is None else int(elapsed_s * 1000)
        seq = self._add(turn.question.id, exchange.kind, exchange.prompt, text, elapsed_ms)
        outcome = self._apply(exchange.kind, text, elapsed_s)
        assert outcome is not None
        if outcome.turn.grade is not None:
            records.set_event_grade(self.store, self.id, seq, outcome.turn.grade.model_dump(mode="json"))
        if outcome.follow_up is not None and self.interviewer is not None:
            outcome = self._rephrase(outcome)
        return outcome

    def hint(self) -> str | None:
        turn, _ = self._current()
        self._add(turn.question.id, "hint")
        return self.engine.hint()

    def skip(self) -> Outcome:
        turn, _ = self._current()
        self._add(turn.question.id, "skip")
        return self._after(self.engine.skip())

    def move_on(self) -> Outcome:
        turn, exchange = self._current()
        pending = exchange.prompt if exchange.kind == "follow_up" and exchange.answer is None else ""
        self._add(turn.question.id, "next", pending)
        return self._after(self.engine.stop_follow_ups())

    def pause(self) -> None:
        records.set_status(self.store, self.id, "paused")

    @property
    def turns(self) -> list[Turn]:
        return self.engine.turns

    @property
    def status(self) -> str:
        return "finished" if self.engine.finished else "active"

    # -- internals -------------------------------------------------------------------------------------------------
    def _apply(self, kind: str, text: str, elapsed_s: float | None, prompt: str = "") -> Outcome | None:
        if kind == "ask":
            return None  # only fixes the question order on replay
        if kind == REWORDED:
            pending = self.engine.prompt
            if pending is not None and pending.kind == "follow_up" and pending.answer is None:
                pending.prompt = prompt
            return None
        if kind == "hint":
            self.engine.hint()
            return Outcome(self.engine.turns[-1], None, False, self.engine.finished)
        if kind == "skip":
            return self._after(self.engine.skip())
        if kind == "next":
            return self._after(self.engine.stop_follow_ups())
        return self._after(self.engine.answer(text, elapsed_s))

    def _after(self, outcome: Outcome) -> Outcome:
        if outcome.finished_question:
            self._record(outcome.turn)
            self._record_asked()
        if outcome.finished_interview and not self.replaying:
            records.set_status(self.store, self.id, "finished")
        return outcome

    def _rephrase(self, outcome: Outcome) -> Outcome:
        from viva.llm.interviewer import follow_up

        turn = outcome.turn
        pending = turn.exchanges[-1]
        point = next(p for p in turn.question.key_points if p.id == pending.point_id)
        said = [(e.prompt, e.answer) for e in turn.exchanges if e.answer]
        assert self.interviewer is not None
        worded = follow_up(self.interviewer, turn.question, said, point)
        if worded != pending.prompt:  # stored, so a resumed session (or another web worker) asks it the same way
            self._add(turn.question.id, REWORDED, worded)
            pending.prompt = worded
        return Outcome(turn, pending.prompt, outcome.finished_question, outcome.finished_interview)

    def _add(self, question_id: str, kind: str, prompt: str = "", body: str = "", elapsed_ms: int | None = None) -> int:
        at = utc_now()
        seq = records.add_event(self.store, self.id, question_id, kind, prompt, body, elapsed_ms, at=at)
        self._seen(seq, kind, at)
        return seq

    def _seen(self, seq: int, kind: str, at: str) -> None:
        self.last_seq = seq
        if kind in SHOWN_KINDS:
            self.shown_at = at

    def _record_asked(self) -> None:
        """Store which question comes next before it is shown, so a resumed session asks the same one."""
        turn = self.engine.current
        if turn is not None and not self.replaying:
            self._add(turn.question.id, "ask", turn.question.question)

    def _record(self, turn: Turn) -> None:
        q = turn.question
        attempt = records.AttemptRow(
            self.id,
            q.id,
            q.area,
            q.topic,
            int(q.difficulty),
            turn.score,
            turn.skipped,
            turn.hints,
            len([e for e in turn.follow_ups if e.answer]),
            utc_now(),
            turn.grade.model_dump(mode="json") if turn.grade else None,
        )
        # Replaying a stored session finishes its questions again: only a new attempt is stored and scheduled for
        # review, and an attempt already stored is known from one read, not a write transaction per question.
        if self._attempted is None:
            self._attempted = records.attempted(self.store, self.id)
        if q.id in self._attempted:
            return
        if records.save_attempt(self.store, attempt, self.bank_version, self.grader_name, self.user_id):
            schedule(self.store, q.id, turn.score, turn.skipped, self.user_id)
        self._attempted.add(q.id)

    def _current(self) -> tuple[Turn, Exchange]:
        turn, exchange = self.engine.current, self.engine.prompt
        if turn is None or exchange is None:
            raise VivaError(Problem(f"session {self.id}", "is finished", "start a new interview"))
        return turn, exchange
