"""The question-bank schema: what one question in a YAML file must hold."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from viva.bank.areas import AREA_IDS

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+(\.[a-z0-9][a-z0-9_-]*)+$", max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
AreaId = Literal["fundamentals", "prompting", "system_design", "evaluation", "cost_latency", "safety", "communication"]

assert set(AreaId.__args__) == set(AREA_IDS)  # type: ignore[attr-defined]


class Difficulty(IntEnum):
    junior = 1
    mid = 2
    senior = 3


class Kind(StrEnum):
    concept = "concept"
    design = "design"
    scenario = "scenario"
    debugging = "debugging"
    behavioral = "behavioral"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyPoint(_Strict):
    id: Slug
    text: Text = Field(description="One self-contained, checkable claim a strong answer makes.")
    weight: float = Field(gt=0, le=10, description="Relative importance; the score is weighted by it.")
    probe: Text = Field(description="The follow-up question that would draw this point out.")


class Misconception(_Strict):
    claim: Text
    why: Text


class Question(_Strict):
    id: QuestionId
    area: AreaId
    topic: Slug
    difficulty: Difficulty
    kind: Kind
    question: Text
    key_points: list[KeyPoint] = Field(min_length=3, max_length=7)
    misconceptions: list[Misconception] = Field(min_length=1)
    model_answer: Text
    tags: list[Slug] = Field(default_factory=list)
    references: list[Slug] = Field(default_factory=list)

    @field_validator("key_points")
    @classmethod
    def _unique_key_point_ids(cls, points: list[KeyPoint]) -> list[KeyPoint]:
        seen: set[str] = set()
        for p in points:
            if p.id in seen:
                raise ValueError(f"duplicate key point id {p.id!r}")
            seen.add(p.id)
        return points

    @model_validator(mode="after")
    def _id_starts_with_area(self) -> Question:
        if not self.id.startswith(self.area + "."):
            raise ValueError(f"id {self.id!r} must start with its area, e.g. '{self.area}.{self.id.split('.')[-1]}'")
        return self

    @property
    def total_weight(self) -> float:
        return sum(p.weight for p in self.key_points)


class BankFile(_Strict):
    """One YAML file: one topic, one or more questions. `area` and `topic` are inherited by each question."""

    area: AreaId
    topic: Slug
    questions: list[dict[str, object]] = Field(min_length=1)
