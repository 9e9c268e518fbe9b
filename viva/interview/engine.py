"""The interview as a pure state machine: which question, which follow-up, when to move on. No I/O.

The CLI and the web app only render it. Grading is a function passed in, so the engine can be driven by the
real grader, or by a fake in tests, and replayed exactly from stored answers (`--resume`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from viva.bank.loader import Bank
from viva.bank.schema import KeyPoint, Question
from viva.grading.result import Grade
from viva.interview.plan import STRONG_SCORE, Plan

GradeFn = Callable[[Question, str], Grade]


@dataclass(frozen=True)
class History:
    """What earlier sessions say about the candidate: per question its last score, per topic a mastery 0-1."""

    last_score: Mapping[str, float] = field(default_factory=dict)
    topic_mastery: Mapping[str, float] = field(default_factory=dict)  # "area/topic" -> 0..1


@dataclass
class Exchange:
    kind: Literal["question", "follow_up"]
    prompt: str
    answer: str | None = None
    point_id: str | None = None  # the missed key point a follow-up probes
    elapsed_s: float | None = None


@dataclass
class Turn:
    """One question and everything said about it."""

    question: Question
    number: int
    exchanges: list[Exchange]
    grade: Grade | None = None
    hints: int = 0
    skipped: bool = False
    done: bool = False
    time_budget_s: float | None = None
    hint_penalty: float = 10.0

    @property
    def follow_ups(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.kind == "follow_up"]

    @property
    def transcript(self) -> str:
        """Every answer given to this question, in order: the follow-ups are graded with what came before."""
        return "\n\n".join(e.answer for e in self.exchanges if e.answer)

    @property
    def score(self) -> float:
        if self.skipped or self.grade is None:
            return 0.0
        return max(0.0, self.grade.score - self.hints * self.hint_penalty)

    @property
    def over_time(self) -> bool:
        spent = sum(e.elapsed_s or 0.0 for e in self.exchanges)
        return self.time_budget_s is not None and spent > self.time_budget_s


@dataclass(frozen=True)
class Outcome:
    """What the engine decided after an answer."""

    turn: Turn
    follow_up: str | None  # the next prompt, when the engine wants more on this question
    finished_question: bool
    finished_interview: bool


class Interview:
    def __init__(
        self,
        plan: Plan,
        bank: Bank,
        grade_fn: GradeFn,
        history: History | Callable[[], History] | None = None,
        forced: list[str] | None = None,
    ) -> None:
        self.plan = plan
        self.bank = bank
        self.grade_fn = grade_fn
        # A function is called the first time a question is picked freely: replaying stored answers never needs it.
        self._history = history or History()
        self.turns: list[Turn] = []
        self.level = plan.difficulty or 2
        self._forced = list(forced or [])  # question ids to ask first, in order (replaying a stored session)
        self._start_next()

    # -- reading state -----------------------------------------------------------------------------------------
    @property
    def current(self) -> Turn | None:
        return self.turns[-1] if self.turns and not self.turns[-1].done else None

    @property
    def prompt(self) -> Exchange | None:
        turn = self.current
        return turn.exchanges[-1] if turn else None

    @property
    def finished(self) -> bool:
        return self.current is None

    @property
    def history(self) -> History:
        if not isinstance(self._history, History):
            self._history = self._history()
        return self._history

    @property
    def asked(self) -> set[str]:
        return {t.question.id for t in self.turns}

    # -- acting --------------------------------------------------------------------------------------------------
    def answer(self, text: str, elapsed_s: float | None = None) -> Outcome:
        """Record an answer to the current prompt, grade the whole exchange, and decide what comes next."""
        turn = self._require_turn()
        exchange = turn.exchanges[-1]
        exchange.answer, exchange.elapsed_s = text, elapsed_s
        turn.grade = self.grade_fn(turn.question, turn.transcript)
        point = self._follow_up_point(turn)
        if point is not None:
            turn.exchanges.append(Exchange("follow_up", point.probe, point_id=point.id))
            return Outcome(turn, point.probe, finished_question=False, finished_interview=False)
        return self._close(turn)

    def hint(self) -> str | None:
        """The probe for the most important point not yet made; costs `plan.hint_penalty` points."""
        turn = self._require_turn()
        missed = _missed_points(turn)
        if not missed:
            return None
        turn.hints += 1
        return missed[0].probe

    def skip(self) -> Outcome:
        turn = self._require_turn()
        turn.skipped = True
        return self._close(turn)

    def stop_follow_ups(self) -> Outcome:
        """Move on without answering the pending follow-up (the question keeps the grade it has)."""
        turn = self._require_turn()
        if turn.exchanges[-1].kind == "follow_up" and turn.exchanges[-1].answer is None:
            turn.exchanges.pop()
        return self._close(turn)

    # -- decisions -----------------------------------------------------------------------------------------------
    def _follow_up_point(self, turn: Turn) -> KeyPoint | None:
        """The highest-weight missed point not yet probed, unless the answer is strong or the budget is spent."""
        grade = turn.grade
        if grade is None or grade.score >= STRONG_SCORE or len(turn.follow_ups) >= self.plan.max_follow_ups:
            return None
        probed = {e.point_id for e in turn.follow_ups}
        candidates = [p for p in _missed_points(turn) if p.id not in probed]
        return candidates[0] if candidates else None

    def _close(self, turn: Turn) -> Outcome:
        turn.done = True
        if self.plan.difficulty is None:
            self.level = _adapt(self.level, turn.score)
        self._start_next()
        return Outcome(turn, None, finished_question=True, finished_interview=self.finished)

    def _start_next(self) -> None:
        if len(self.turns) >= self.plan.total:
            return
        question = self._pick()
        if question is None:
            return
        first = Exchange("question", question.question)
        number = len(self.turns) + 1
        self.turns.append(
            Turn(question, number, [first], time_budget_s=self.plan.time_budget_s, hint_penalty=self.plan.hint_penalty)
        )

    def _pick(self) -> Question | None:
        while self._forced:
            qid = self._forced.pop(0)
            if qid in self.bank.questions and qid not in self.asked:
                return self.bank.questions[qid]
        if self.plan.question_ids:
            remaining = [q for q in self.plan.question_ids if q not in self.asked and q in self.bank.questions]
            return self.bank.questions[remaining[0]] if remaining else None
        candidates = [q for q in self.bank if q.area in self.plan.areas and q.id not in self.asked]
        if self.plan.difficulty is not None:
            # A fixed level is a promise; only when the bank runs out of that level do others come in.
            candidates = [q for q in candidates if q.difficulty == self.plan.difficulty] or candidates
        if not candidates:
            return None
        # One generator per pick, seeded by the session seed and the turn number: reproducible, and a replayed
        # session makes the same choices.
        rng = random.Random(f"{self.plan.seed}:{len(self.turns)}")
        weights = [self._weight(q) for q in candidates]
        chosen: Question = rng.choices(candidates, weights=weights, k=1)[0]
        return chosen

    def _weight(self, q: Question) -> float:
        level_fit = {0: 10.0, 1: 1.0, 2: 0.1}[abs(int(q.difficulty) - self.level)]  # mostly the current level
        in_session = sum(t.question.area == q.area for t in self.turns)
        spread = 1.0 / (1.0 + 2.0 * in_session)  # rotate through the chosen areas
        job = self.plan.weights.get(f"{q.area}/{q.topic}", 1.0) * self.plan.weights.get(q.area, 1.0)
        mastery = self.history.topic_mastery.get(f"{q.area}/{q.topic}")
        weakness = 1.0 if mastery is None else 1.5 - mastery  # weaker topics come up more often
        last = self.history.last_score.get(q.id)
        familiarity = 1.2 if last is None else (1.5 if last < 60 else 0.4)  # retry weak answers, rest strong ones
        return level_fit * spread * job * weakness * familiarity

    def _require_turn(self) -> Turn:
        turn = self.current
        if turn is None:
            raise RuntimeError("the interview is finished")
        return turn


def _missed_points(turn: Turn) -> list[KeyPoint]:
    """Key points not yet made, most important first (ties keep rubric order)."""
    covered = {p.id for p in turn.grade.points if p.covered} if turn.grade else set()
    missed = [p for p in turn.question.key_points if p.id not in covered]
    return sorted(missed, key=lambda p: -p.weight)


def _adapt(level: int, score: float) -> int:
    if score >= 75:
        return min(3, level + 1)
    if score < 40:
        return max(1, level - 1)
    return level
