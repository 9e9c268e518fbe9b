"""A stored interview: the engine plus the store. Every event is committed before it is acted on."""

from __future__ import annotations

from dataclasses import dataclass

from viva.bank.loader import Bank
from viva.coach.mastery import mastery
from viva.coach.review import schedule
from viva.errors import Problem, VivaError
from viva.interview import records
from viva.interview.engine import Exchange, GradeFn, History, Interview, Outcome, Turn
from viva.interview.plan import MAX_ANSWER_CHARS, Plan
from viva.llm.types import ChatModel
from viva.store.db import Store, utc_now


def history_for(store: Store, user_id: str = records.LOCAL_USER) -> History:
    rows = records.attempts(store, user_id)
    last = {a.question_id: a.score for a in rows}  # rows are oldest first, so the last write wins
    topics = {k: m.score / 100 for k, m in mastery(rows).items() if "/" in k}
    return History(last_score=last, topic_mastery=topics)


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
    ) -> Session:
        engine = Interview(plan, bank, grade_fn, history_for(store, user_id))
        session_id = records.create_session(store, kind, plan.to_json(), bank.version, grader_name, user_id)
        session = cls(session_id, store, bank, engine, grader_name, user_id)
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
    ) -> Session:
        """Rebuild the session by replaying its stored events through a fresh engine: nothing answered is lost."""
        row = records.get_session(store, session_id, user_id)
        if row.status == "finished":
            raise VivaError(
                Problem(
                    f"session {session_id}",
                    "is already finished",
                    f"see it with `viva show {session_id}`, or start a new interview",
                )
            )
        stored = records.events(store, session_id)
        missing = sorted({e.question_id for e in stored} - set(bank.questions))
        if missing:
            raise VivaError(
                Problem(
                    f"session {session_id}",
                    f"uses questions not in the bank: {', '.join(missing)}",
                    "load the bank it was started with (--bank)",
                )
            )
        order = list(dict.fromkeys(e.question_id for e in stored))
        engine = Interview(Plan.from_json(row.plan), bank, grade_fn, history_for(store, user_id), forced=order)
        session = cls(row.id, store, bank, engine, grader_name, user_id, replaying=True)
        for event in stored:
            session._apply(event.kind, event.text, (event.elapsed_ms or 0) / 1000 or None)
        session.replaying = False
        if row.status != "active":  # a write on every rebuild would serialise readers behind the database lock
            records.set_status(store, row.id, "active")
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
        seq = records.add_event(
            self.store,
            self.id,
            turn.question.id,
            exchange.kind,
            exchange.prompt,
            text,
            None if elapsed_s is None else int(elapsed_s * 1000),
        )
        outcome = self._apply(exchange.kind, text, elapsed_s)
        assert outcome is not None
        if outcome.follow_up is not None and self.interviewer is not None:
            outcome = self._rephrase(outcome)
        if outcome.turn.grade is not None:
            records.set_event_grade(self.store, self.id, seq, outcome.turn.grade.model_dump(mode="json"))
        return outcome

    def hint(self) -> str | None:
        turn, _ = self._current()
        records.add_event(self.store, self.id, turn.question.id, "hint")
        return self.engine.hint()

    def skip(self) -> Outcome:
        turn, _ = self._current()
        records.add_event(self.store, self.id, turn.question.id, "skip")
        return self._after(self.engine.skip())

    def move_on(self) -> Outcome:
        turn, exchange = self._current()
        pending = exchange.prompt if exchange.kind == "follow_up" and exchange.answer is None else ""
        records.add_event(self.store, self.id, turn.question.id, "next", pending)
        return self._after(self.engine.stop_follow_ups())

    def pause(self) -> None:
        records.set_status(self.store, self.id, "paused")

    @property
    def turns(self) -> list[Turn]:
        return self.engine.turns

    # -- internals -------------------------------------------------------------------------------------------------
    def _apply(self, kind: str, text: str, elapsed_s: float | None) -> Outcome | None:
        if kind == "ask":
            return None  # only fixes the question order on replay
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
        pending.prompt = follow_up(self.interviewer, turn.question, said, point)
        return Outcome(turn, pending.prompt, outcome.finished_question, outcome.finished_interview)

    def _record_asked(self) -> None:
        """Store which question comes next before it is shown, so a resumed session asks the same one."""
        turn = self.engine.current
        if turn is not None and not self.replaying:
            records.add_event(self.store, self.id, turn.question.id, "ask", turn.question.question)

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
        # Replaying a stored session finishes its questions again: only a new attempt is scheduled for review.
        if records.save_attempt(self.store, attempt, self.bank.version, self.grader_name, self.user_id):
            schedule(self.store, q.id, turn.score, turn.skipped, self.user_id)

    def _current(self) -> tuple[Turn, Exchange]:
        turn, exchange = self.engine.current, self.engine.prompt
        if turn is None or exchange is None:
            raise VivaError(Problem(f"session {self.id}", "is finished", "start a new interview"))
        return turn, exchange
