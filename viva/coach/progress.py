"""`viva progress`: mastery per area and topic from every attempt, the trend per day, and a radar of the areas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from viva.bank.areas import AREA_IDS, AREAS
from viva.coach.mastery import HALF_LIFE_DAYS, LOW_EVIDENCE, mastery, trend
from viva.coach.radar import Spoke
from viva.interview.records import AttemptRow

BAR = 20  # characters for 100%


@dataclass(frozen=True)
class Standing:
    key: str  # area id, or "area/topic"
    title: str
    score: float | None  # None: no attempts
    attempts: int
    last_at: str | None
    low_evidence: bool


@dataclass(frozen=True)
class DayMean:
    day: str
    mean: float
    attempts: int


@dataclass(frozen=True)
class Progress:
    attempts: int
    areas: list[Standing]  # all seven, in their usual order
    topics: list[Standing]  # only topics attempted, grouped by area, weakest first within an area
    trend: list[DayMean]

    def to_json(self, chart: str | None) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "areas": [asdict(s) for s in self.areas],
            "topics": [asdict(s) for s in self.topics],
            "trend": [asdict(d) for d in self.trend],
            "chart": chart,
        }

    def spokes(self) -> list[Spoke]:
        return [Spoke(s.title, s.score, s.low_evidence) for s in self.areas]


def progress(rows: Sequence[AttemptRow], now: datetime | None = None) -> Progress:
    by_key = mastery(rows, now)
    areas = []
    for area_id in AREA_IDS:
        m = by_key.get(area_id)
        score, n, last = (m.score, m.attempts, m.last_at) if m else (None, 0, None)
        areas.append(Standing(area_id, AREAS[area_id].title, score, n, last, n < LOW_EVIDENCE))
    order = {a: i for i, a in enumerate(AREA_IDS)}
    topics = [
        Standing(m.key, _topic_title(m.key), m.score, m.attempts, m.last_at, m.low_evidence)
        for m in by_key.values()
        if "/" in m.key
    ]
    topics.sort(key=lambda s: (order.get(s.key.split("/")[0], len(order)), s.score or 0.0, s.key))
    days = [DayMean(day, mean, n) for day, mean, n in trend(rows)]
    return Progress(len(rows), areas, topics, days)


def _topic_title(key: str) -> str:
    area, topic = key.split("/", 1)
    return AREAS[area].topics.get(topic, topic) if area in AREAS else topic


def bar(score: float) -> str:
    filled = round(score / 100 * BAR)
    return "█" * filled + "░" * (BAR - filled)


def _count(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"


def _evidence(s: Standing) -> str:
    return _count(s.attempts) + (" · little evidence" if s.low_evidence else "")


def _line(s: Standing, width: int) -> str:
    if s.score is None:
        return f"  {s.title:<{width}} {'—':>5}  not tried yet"
    return f"  {s.title:<{width}} {s.score:>4.0f}%  {bar(s.score)}  {_evidence(s)}"


def progress_text(p: Progress, chart: str | None) -> str:
    out = [
        f"Mastery from {_count(p.attempts)}. An attempt {HALF_LIFE_DAYS:g} days old "
        f"counts half as much as one today; with fewer than {LOW_EVIDENCE} attempts a score stays near 50% "
        "and is marked little evidence.",
        "",
        "Areas",
    ]
    width = max(len(s.title) for s in p.areas)
    out += [_line(s, width) for s in p.areas]
    out += ["", "Topics (weakest first within each area)"]
    width = max(len(s.key) for s in p.topics)
    out += [_line(replace(s, title=s.key), width) for s in p.topics]
    out += ["", "Trend (mean score per day)"]
    out += [f"  {d.day}  {d.mean:>4.0f}%  {bar(d.mean)}  {_count(d.attempts)}" for d in p.trend]
    if chart:
        out += ["", f"Radar chart of the seven areas written to {chart}"]
    return "\n".join(out)
