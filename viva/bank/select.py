"""Choosing questions from a bank by area, topic and difficulty."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from viva.bank.areas import AREA_IDS
from viva.bank.loader import Bank
from viva.bank.schema import Question
from viva.errors import Problem, VivaError


def check_areas(areas: Iterable[str]) -> list[str]:
    unknown = [a for a in areas if a not in AREA_IDS]
    if unknown:
        raise VivaError(
            Problem("--area", f"unknown area {', '.join(map(repr, unknown))}", "use one of: " + ", ".join(AREA_IDS))
        )
    return list(areas)


def check_topic(bank: Bank, topic: str) -> str:
    topics = sorted({q.topic for q in bank})
    if topic not in topics:
        raise VivaError(Problem("--topic", f"unknown topic {topic!r}", "use one of: " + ", ".join(topics)))
    return topic


def filter_questions(
    bank: Bank, *, areas: Sequence[str] = (), difficulty: int | None = None, topic: str | None = None
) -> list[Question]:
    check_areas(areas)
    if topic is not None:
        check_topic(bank, topic)
    order = {a: i for i, a in enumerate(AREA_IDS)}
    chosen = [
        q
        for q in bank
        if (not areas or q.area in areas)
        and (difficulty is None or q.difficulty == difficulty)
        and (topic is None or q.topic == topic)
    ]
    return sorted(chosen, key=lambda q: (order[q.area], q.topic, q.difficulty, q.id))
