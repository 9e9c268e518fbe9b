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
    contradiction: Logistic
    off_topic_sim: float  # below this best similarity to the question and rubric, an answer is off topic
    misconception_sim: float  # at or above this, a sentence asserts a misconception

    @classmethod
    def default(cls) -> Calibration:
        # seg_sim, whole_sim, q_sim, gain, lex_novel, lex_all, negation, antonym, log_words
        return cls(
            "default",
            Logistic((6.0, 2.0, 0.0, 2.0, 3.0, 1.0, -3.0, -2.0, 0.0), -6.5),
            Logistic((4.0, 0.0, 0.0, 0.0, 1.0, 0.0, 4.0, 4.0, 0.0), -7.0),
            off_topic_sim=0.2,
            misconception_sim=0.75,
        )


def calibration_for(embedder_name: str) -> Calibration:
    path = resources.files("viva.grading") / "calibration" / f"{embedder_name}.json"
    if not path.is_file():
        return Calibration.default()
    data = json.loads(path.read_text())
    if tuple(data["features"]) != FEATURES:
        return Calibration.default()
    return Calibration(
        "trained",
        Logistic(tuple(data["covered"]["coef"]), data["covered"]["intercept"], data["covered"]["threshold"]),
        Logistic(
            tuple(data["contradiction"]["coef"]), data["contradiction"]["intercept"], data["contradiction"]["threshold"]
        ),
        off_topic_sim=data["off_topic_sim"],
        misconception_sim=data["misconception_sim"],
    )
