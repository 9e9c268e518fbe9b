"""What an interview will cover: areas, difficulty, length, follow-ups, and weights from a job description."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from viva.bank.areas import AREA_IDS, AREAS
from viva.bank.loader import Bank

STRONG_SCORE = 80.0  # at or above this, an answer gets no follow-up
MAX_ANSWER_CHARS = 20_000


@dataclass(frozen=True)
class Plan:
    areas: tuple[str, ...] = AREA_IDS
    difficulty: int | None = None  # None: adaptive, starting at mid level
    questions: int = 5
    max_follow_ups: int = 2
    time_budget_s: int | None = None
    seed: int = 0
    weights: dict[str, float] = field(default_factory=dict)  # "area" or "area/topic" -> weight (job description)
    question_ids: tuple[str, ...] = ()  # a fixed list (spaced review), asked in this order
    hint_penalty: float = 10.0  # points off the question's score per hint

    @property
    def total(self) -> int:
        """How many questions the interview asks: the fixed list's length, or `questions`."""
        return len(self.question_ids) or self.questions

    def to_json(self) -> dict[str, object]:
        return {
            "areas": list(self.areas),
            "difficulty": self.difficulty,
            "questions": self.questions,
            "max_follow_ups": self.max_follow_ups,
            "time_budget_s": self.time_budget_s,
            "seed": self.seed,
            "weights": self.weights,
            "question_ids": list(self.question_ids),
            "hint_penalty": self.hint_penalty,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Plan:
        return cls(
            areas=tuple(data["areas"]),  # type: ignore[arg-type]
            difficulty=data["difficulty"],  # type: ignore[arg-type]
            questions=int(data["questions"]),  # type: ignore[call-overload]
            max_follow_ups=int(data["max_follow_ups"]),  # type: ignore[call-overload]
            time_budget_s=data["time_budget_s"],  # type: ignore[arg-type]
            seed=int(data["seed"]),  # type: ignore[call-overload]
            weights=dict(data["weights"]),  # type: ignore[call-overload]
            question_ids=tuple(data["question_ids"]),  # type: ignore[arg-type]
            hint_penalty=float(data["hint_penalty"]),  # type: ignore[arg-type]
        )


_WORD = re.compile(r"[a-z][a-z0-9+-]{2,}")


def job_weights(description: str, bank: Bank, areas: tuple[str, ...]) -> dict[str, float]:
    """Weight areas and topics by how much of their vocabulary the job description uses.

    Each topic's vocabulary is its title and the tags of its questions; a topic the description mentions twice as
    often weighs more, and one it never mentions keeps weight 1, so nothing is excluded.
    """
    text = description.lower()
    said = set(_WORD.findall(text))
    weights: dict[str, float] = {}
    for area_id in areas:
        for topic, title in AREAS[area_id].topics.items():
            vocab = set(_WORD.findall(title.lower())) | {t for q in bank if q.topic == topic for t in q.tags}
            vocab |= {part for t in vocab for part in t.split("-") if len(part) > 2}
            hits = len(vocab & said)
            if hits:
                weights[f"{area_id}/{topic}"] = 1.0 + hits
        area_hits = sum(w - 1 for k, w in weights.items() if k.startswith(area_id + "/"))
        if area_hits:
            weights[area_id] = 1.0 + area_hits / 2
    return weights
