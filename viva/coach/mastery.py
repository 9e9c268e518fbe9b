"""Mastery per area and topic from every attempt: recent attempts count more, little evidence stays near 50%."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from viva.interview.records import AttemptRow

HALF_LIFE_DAYS = 30.0  # an attempt a month old counts half as much as one today
PRIOR_SCORE, PRIOR_WEIGHT = 50.0, 2.0  # two imaginary 50% attempts: one lucky answer cannot claim mastery
LOW_EVIDENCE = 3  # fewer attempts than this is shown as "little evidence"


@dataclass(frozen=True)
class Mastery:
    key: str  # area id, or "area/topic"
    score: float  # 0-100
    attempts: int
    last_at: str | None

    @property
    def low_evidence(self) -> bool:
        return self.attempts < LOW_EVIDENCE


def _age_days(stamp: str, now: datetime) -> float:
    return max(0.0, (now - datetime.fromisoformat(stamp)).total_seconds() / 86400)


def mastery(attempts: Iterable[AttemptRow], now: datetime | None = None) -> dict[str, Mastery]:
    """Per area and per "area/topic": a recency-weighted mean of scores, shrunk toward 50 by a small prior."""
    now = now or datetime.now(UTC)
    groups: dict[str, list[AttemptRow]] = defaultdict(list)
    for a in attempts:
        groups[a.area].append(a)
        groups[f"{a.area}/{a.topic}"].append(a)
    out = {}
    for key, rows in groups.items():
        weights = [0.5 ** (_age_days(r.created_at, now) / HALF_LIFE_DAYS) for r in rows]
        total = sum(w * r.score for w, r in zip(weights, rows, strict=True)) + PRIOR_SCORE * PRIOR_WEIGHT
        score = total / (sum(weights) + PRIOR_WEIGHT)
        out[key] = Mastery(key, round(score, 1), len(rows), max(r.created_at for r in rows))
    return out


def trend(attempts: Iterable[AttemptRow]) -> list[tuple[str, float, int]]:
    """(day, mean score, attempts) per day, oldest first."""
    days: dict[str, list[float]] = defaultdict(list)
    for a in attempts:
        days[a.created_at[:10]].append(a.score)
    return [(d, round(sum(s) / len(s), 1), len(s)) for d, s in sorted(days.items())]
