"""The learned part of the grader: logistic weights over FEATURES, fitted on train splits only
(benchmarks/grading/train.py).

Each embedder has its own file (similarities are not comparable across models). An embedder without one gets
hand-set defaults, good enough for unit tests and user-supplied models, and says so in its grader version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from viva.grading.examples import EXAMPLE_FEATURES, Kernel
from viva.grading.features import FEATURES, JUDGE_FEATURES


@dataclass(frozen=True)
class Logistic:
    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5

    def probability(self, features: np.ndarray) -> float:
        z = float(np.dot(self.coef, features)) + self.intercept
        return float(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True)
class ExampleModel:
    """How a question's graded examples turn into a score (viva/grading/examples.py)."""

    score: Logistic  # over EXAMPLE_FEATURES: the probability a person would grade the answer correct
    kernel: Kernel = field(default_factory=Kernel)  # how the examples' grades spread over the embedding space
    contradiction: float = 0.5  # the examples' contradiction estimate at or above which the answer contradicts
    # At or above this rubric likelihood, an answer keeps at least the rubric's score (set by hand; in train
    # cross-validation it moves 2-way F1 by 0.2 points at most, benchmarks/grading/train.py).
    keep_rubric: float = 0.8

    @classmethod
    def default(cls) -> ExampleModel:
        # likelihood, kernel, best_good, best_poor, kernel_x_nearest
        return cls(Logistic((2.0, 4.0, 2.0, -2.0, 0.0), -3.5))


@dataclass(frozen=True)
class Calibration:
    name: str  # "trained" or "default"
    covered: Logistic
    # A sentence contradicts a point when it is about the same claim (similarity at least this) and reverses it
    # (a negation the point lacks, or a word swapped for its opposite).
    contradiction_sim: float
    off_topic_sim: float  # below this best similarity to the question and rubric, an answer is off topic
    misconception_sim: float  # at or above this, a sentence asserts a misconception
    judge_contradiction: float = 1.1  # the judge model's P(contradictory) at or above which a point is contradicted
    # With a judge: the embedding-only model (over FEATURES alone), whose probability must reach its threshold too.
    # The judge reads fluently and can be talked round by vague on-topic prose; the embeddings need the point's
    # content in the answer. A point is covered only when both agree.
    floor: Logistic | None = None
    examples: ExampleModel = field(default_factory=ExampleModel.default)

    def decide(self, features: np.ndarray) -> tuple[bool, float]:
        """(covered, probability) for one point's features, before any contradiction."""
        p = self.covered.probability(features)
        ok = p >= self.covered.threshold
        if self.floor is not None and len(features) > len(FEATURES):
            ok = ok and self.floor.probability(features[: len(FEATURES)]) >= self.floor.threshold
        return ok, p

    @classmethod
    def default(cls, judged: bool = False) -> Calibration:
        # seg_sim, whole_sim, q_sim, gain, lex_novel, lex_all, negation, antonym, align_novel, align_all, phrasings
        coef: tuple[float, ...] = (4.0, 2.0, 0.0, 2.0, 3.0, 1.0, -3.0, -2.0, 2.0, 0.0, -1.0)
        intercept = -6.5
        if judged:  # judge_point, judge_contra, judge_whole: lean on the judge's own probabilities
            coef, intercept = (*(c / 4 for c in coef), 6.0, -2.0, 1.0), -5.0
        return cls(
            "default",
            Logistic(coef, intercept),
            contradiction_sim=0.6,
            off_topic_sim=0.2,
            misconception_sim=0.75,
            judge_contradiction=0.6 if judged else 1.1,
        )

    def contradicts(self, features: np.ndarray) -> bool:
        reversed_ = features[FEATURES.index("negation")] > 0 or features[FEATURES.index("antonym")] > 0
        if reversed_ and features[FEATURES.index("seg_sim")] >= self.contradiction_sim:
            return True
        if len(features) == len(FEATURES):  # no judge model
            return False
        return bool(features[len(FEATURES) + JUDGE_FEATURES.index("judge_contra")] >= self.judge_contradiction)


def models_name(embedder: str, judge: object | None) -> str:
    """What a calibration is fitted for: the embedder, and the judge model if there is one ("minilm+judge")."""
    name = getattr(judge, "name", None)
    return f"{embedder}+{name}" if name else embedder


def calibration_for(models: str, judged: bool = False) -> Calibration:
    path = resources.files("viva.grading") / "calibration" / f"{models}.json"
    if not path.is_file():
        return Calibration.default(judged)
    return calibration_from(json.loads(path.read_text()), judged)


def calibration_from(data: dict[str, Any], judged: bool = False) -> Calibration:
    """A calibration as benchmarks/grading/train.py writes it; the defaults if it was fitted on other features."""
    if tuple(data["features"]) != (FEATURES + JUDGE_FEATURES if judged else FEATURES):
        return Calibration.default(judged)
    covered = data["covered"]
    return Calibration(
        "trained",
        Logistic(tuple(covered["coef"]), covered["intercept"], covered["threshold"]),
        contradiction_sim=data["contradiction_sim"],
        off_topic_sim=data["off_topic_sim"],
        misconception_sim=data["misconception_sim"],
        judge_contradiction=data.get("judge_contradiction", 1.1),
        floor=Logistic(tuple(f["coef"]), f["intercept"], f["threshold"]) if (f := data.get("floor")) else None,
        examples=_example_model(data.get("examples")),
    )


def _example_model(data: dict[str, object] | None) -> ExampleModel:
    if not data or tuple(data["features"]) != EXAMPLE_FEATURES:  # type: ignore[arg-type]
        return ExampleModel.default()
    score: dict[str, object] = data["score"]  # type: ignore[assignment]
    return ExampleModel(
        Logistic(tuple(score["coef"]), float(score["intercept"])),  # type: ignore[arg-type]
        kernel=Kernel(float(data["gamma"]), float(data["ridge"])),  # type: ignore[arg-type]
        contradiction=float(data["contradiction"]),  # type: ignore[arg-type]
        keep_rubric=float(data["keep_rubric"]),  # type: ignore[arg-type]
    )
