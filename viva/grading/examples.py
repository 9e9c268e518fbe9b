"""Grading with graded examples: how people scored the answers most like this one.

When a question comes with answers a person has already graded (`Rubric.examples`), the grader compares a new
answer with them as well as with the rubric. This is the "unseen answers" setting of the short-answer grading
literature (SemEval-2013 Task 7, SAF): the key points say what must be said, the examples show how strictly the
graders apply them. Both sides see only the text that can earn credit (injections blanked, restatements and term
lists dropped), so injected verdicts and bare term lists cannot borrow an example's grade. Fluent text that talks
around the question close to well-graded answers can (docs/grading.md, tests/test_grading_redteam.py).

Pure: vectors in, numbers out. The weights that combine these features are fitted on train splits only
(benchmarks/grading/train.py) and live in the calibration file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from viva.embed import Vectors

# The answer-level features the example model is fitted on, in order. `knn` is the neighbours' weighted grade scaled
# by how similar they are: far-off neighbours (an off-topic answer's) vouch for nothing, however well they were graded.
EXAMPLE_FEATURES = ("likelihood", "knn", "best_good", "best_poor")
GOOD = 0.5  # an example graded at least this is a good answer
# Fewer graded answers than this are not used: the model was fitted on questions with dozens each, and with a handful
# the neighbours' vote is every example's vote, which says little about this answer.
MIN_EXAMPLES = 5


@dataclass(frozen=True)
class ExampleVectors:
    vectors: Vectors  # one row per example, over its usable text (zero rows where nothing was usable)
    scores: np.ndarray  # 0-1
    contradicts: np.ndarray  # bool


@dataclass(frozen=True)
class Neighbours:
    features: np.ndarray  # knn, best_good, best_poor (EXAMPLE_FEATURES[1:])
    contradicted: float  # the similarity-weighted share of the nearest examples that contradict the reference
    nearest: list[tuple[int, float]]  # (example index, similarity), most similar first


def neighbours(
    answer: np.ndarray, examples: ExampleVectors, k: int, temperature: float, exclude: int | None = None
) -> Neighbours | None:
    """The k most similar examples, weighted by exp(temperature * cosine): their weighted mean of grade x similarity
    (a k-nearest-neighbour estimate that fades with distance), and the best similarity to a good and to a poor
    example. None without examples.

    `exclude` leaves one example out: training features for an answer must not see its own grade."""
    keep = np.ones(len(examples.scores), bool)
    if exclude is not None:
        keep[exclude] = False
    index = np.flatnonzero(keep)
    if not len(index):
        return None
    sims = examples.vectors[index] @ answer
    order = np.argsort(-sims, kind="stable")[:k]
    weights = np.exp(temperature * (sims[order] - sims[order[0]]))
    weights /= weights.sum()
    scores, contradicts = examples.scores[index], examples.contradicts[index]
    good = scores >= GOOD
    best_good = float(sims[good].max()) if good.any() else 0.0
    best_poor = float(sims[~good].max()) if (~good).any() else 0.0
    return Neighbours(
        features=np.array(
            [float(weights @ (scores[order] * np.clip(sims[order], 0, 1))), best_good, best_poor], np.float32
        ),
        contradicted=float(weights @ contradicts[order]),
        nearest=[(int(index[j]), float(sims[j])) for j in order],
    )
