"""Counts that show where the bank is thin."""

from __future__ import annotations

from collections import Counter
from typing import Any

from viva.bank.areas import AREAS
from viva.bank.loader import Bank


def bank_stats(bank: Bank) -> dict[str, Any]:
    by_area: dict[str, dict[str, Any]] = {}
    for area in AREAS.values():
        questions = [q for q in bank if q.area == area.id]
        topics = Counter(q.topic for q in questions)
        by_area[area.id] = {
            "total": len(questions),
            "difficulty": {str(d): sum(q.difficulty == d for q in questions) for d in (1, 2, 3)},
            "kind": dict(sorted(Counter(q.kind.value for q in questions).items())),
            "topics": {t: topics.get(t, 0) for t in area.topics}
            | {t: n for t, n in topics.items() if t not in area.topics},
        }
    return {"total": len(bank), "version": bank.version, "areas": by_area}
