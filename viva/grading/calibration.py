"""The learned part of the grader: logistic weights over FEATURES, fitted on train splits only
(benchmarks/grading/train.py).

Each embedder has its own file (similarities are not comparable across models). An embedder without one gets
hand-set defaults, good enough for unit tests and user-supplied models, and says so in its grader version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from viva.grading.features import FEATURES


@dataclass(frozen=True)
class Logistic:
    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5

    def probability(self, features: np.ndarray) -> float:
        z = float(np.dot(self.coef, features)) + self.intercept
        return float(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True)
class Calibration:
    name: str  # "trained" or "default"
    covered: Logistic
    # A sentence contradicts a point when it is about the same claim (similarity at least this) and reverses it
    # (a negation the point lacks, or a word swapped for its opposite).
    contradiction_sim: float
    off_topic_sim: float  # below this best similarity to the question and rubric, an answer is off topic
    misconception_sim: float  # at or above this, a sentence asserts a misconception

    @classmethod
    def default(cls) -> Calibration:
        # seg_sim, whole_sim, q_sim, gain, lex_novel, lex_all, negation, antonym, align_novel, align_all
        return cls(
            "default",
            Logistic((4.0, 2.0, 0.0, 2.0, 3.0, 1.0, -3.0, -2.0, 2.0, 0.0), -6.5),
            contradiction_sim=0.6,
            off_topic_sim=0.2,
            misconception_sim=0.75,
        )

    def contradicts(self, features: np.ndarray) -> bool:
        reversed_ = features[FEATURES.index("negation")] > 0 or features[FEATURES.index("antonym")] > 0
        return bool(reversed_ and features[FEATURES.index("seg_sim")] >= self.contradiction_sim)


def calibration_for(embedder_name: str) -> Calibration:
    path = resources.files("viva.grading") / "calibration" / f"{embedder_name}.json"
    if not path.is_file():
        return Calibration.default()
    data = json.loads(path.read_text())
    if tuple(data["features"]) != FEATURES:
        return Calibration.default()
    covered = data["covered"]
    return Calibration(
        "trained",
        Logistic(tuple(covered["coef"]), covered["intercept"], covered["threshold"]),
        contradiction_sim=data["contradiction_sim"],
        off_topic_sim=data["off_topic_sim"],
        misconception_sim=data["misconception_sim"],
    )
