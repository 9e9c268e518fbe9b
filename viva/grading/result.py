"""What a grade is: plain data, JSON-serialisable, the same for the CLI, the interview, the web app and `viva grade`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Flag = Literal["injection", "off_topic", "too_short", "keyword_stuffing", "contradiction", "llm_unavailable"]


class Span(BaseModel):
    start: int
    end: int
    text: str


class PointGrade(BaseModel):
    id: str
    covered: bool
    confidence: float = Field(ge=0, le=1, description="Confidence in the `covered` verdict.")
    evidence: str | None = Field(description="The candidate's own words that make the point; null if missed.")
    span: Span | None = None
    contradicted: bool = False
    likelihood: float = Field(0.0, ge=0, le=1, description="Probability the point is made; the score sums these.")
    source: str = "offline"


class MisconceptionHit(BaseModel):
    text: str = Field(description="The misconception's claim.")
    why: str = ""
    evidence: str
    span: Span | None = None


class Communication(BaseModel):
    score: float = Field(ge=0, le=100)
    structure: float = Field(ge=0, le=1, description="Signposting, enumeration, paragraphs.")
    concision: float = Field(ge=0, le=1, description="Length in a useful range, little repetition.")
    tradeoffs: float = Field(ge=0, le=1, description="Names costs, alternatives, 'it depends on'.")
    filler: float = Field(ge=0, le=1, description="Share of filler words (lower is better).")
    words: int
    tips: list[str] = Field(default_factory=list)


class ExampleMatch(BaseModel):
    index: int = Field(description="Position of the example in the question's graded examples.")
    score: float = Field(ge=0, le=1, description="How a person graded it.")
    similarity: float


class ExampleEvidence(BaseModel):
    """With graded examples, the score also weighs how people graded the most similar answers."""

    rubric_score: float = Field(ge=0, le=100, description="What the key points alone would give.")
    nearest: list[ExampleMatch]


class Grade(BaseModel):
    score: float = Field(ge=0, le=100, description="Weighted by key-point weights.")
    points: list[PointGrade]
    misconceptions: list[MisconceptionHit] = Field(default_factory=list)
    communication: Communication
    flags: list[Flag] = Field(default_factory=list)
    injection: list[Span] = Field(default_factory=list, description="Instructions found in the answer and ignored.")
    grader: str
    notes: list[str] = Field(default_factory=list)
    graders: dict[str, float] = Field(
        default_factory=dict, description="When several graders ran: each one's own score (offline, judge)."
    )
    examples: ExampleEvidence | None = None

    def covered(self) -> list[PointGrade]:
        return [p for p in self.points if p.covered]

    def missed(self) -> list[PointGrade]:
        return [p for p in self.points if not p.covered]
