"""Grading with graded examples: how people scored the answers most like this one.

When a question comes with answers a person has already graded (`Rubric.examples`), the grader compares a new
answer with them as well as with the rubric. This is the "unseen answers" setting of the short-answer grading
literature (SemEval-2013 Task 7, SAF): the key points say what must be said, the examples show how strictly the
graders apply them. Both sides see only the text that can earn credit (injections blanked, restatements and term
lists dropped), so injected verdicts and bare term lists cannot borrow an example's grade. Fluent text that talks
around the question close to well-graded answers can (docs/grading.md, tests/test_grading_redteam.py).

The examples' grades are spread over the embedding space by kernel ridge regression: every example pulls the
estimate towards its grade in proportion to how similar it is, and examples that say the same thing share one vote
instead of outvoting the rest. Measured on the train splits (leave-one-out), this agrees with the human grades
better than a vote of the nearest few (SciEntsBank 2-way macro-F1 0.79 vs 0.75, SAF Pearson 0.66 vs 0.57).

Pure: vectors in, numbers out. The weights that combine these features are fitted on train splits only
(benchmarks/grading/train.py) and live in the calibration file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from viva.embed import Vectors

# The answer-level features the example model is fitted on, in order. `kernel` is the grade the examples predict
# for this answer; `kernel_x_nearest` is that grade times the similarity of the nearest example: far from every
# example (an off-topic answer's place) the regression falls back towards the examples' mean grade, and this lets
# the model discount it there.
EXAMPLE_FEATURES = ("likelihood", "kernel", "best_good", "best_poor", "kernel_x_nearest")
GOOD = 0.5  # an example graded at least this is a good answer
# Fewer graded answers than this are not used: the model was fitted on questions with dozens each, and with a handful
# the regression is little more than their mean grade, which says little about this answer.
MIN_EXAMPLES = 5


@dataclass(frozen=True)
class Kernel:
    """Kernel ridge regression over unit vectors with k(a, b) = exp(gamma * (cos(a, b) - 1))."""

    gamma: float = 1.0
    ridge: float = 0.1

    def fit(self, vectors: Vectors, scores: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean grade, dual weights): the prediction for x is mean + k(x, examples) @ weights. Examples with no
        usable text (zero rows) get no weight."""
        used = np.flatnonzero(np.any(vectors != 0, axis=1))
        weights = np.zeros(len(scores))
        if not len(used):
            return float(scores.mean()) if len(scores) else 0.0, weights
        mean = float(scores[used].mean())
        gram = self.similarity(vectors[used] @ vectors[used].T)
        weights[used] = np.linalg.solve(gram + self.ridge * np.eye(len(used)), scores[used] - mean)
        return mean, weights

    def similarity(self, cosine: np.ndarray) -> np.ndarray:
        return np.exp(self.gamma * (np.asarray(cosine, np.float64) - 1.0))


@dataclass(frozen=True)
class ExampleVectors:
    vectors: Vectors  # one row per example, over its usable text (zero rows where nothing was usable)
    scores: np.ndarray  # 0-1
    contradicts: np.ndarray  # bool
    kernel: Kernel
    question: np.ndarray | None  # the question's own vector: a virtual example graded 0 (see `fit`)
    mean: float  # the kernel fit (Kernel.fit) over the examples and the question: their mean grade ...
    weights: np.ndarray  # ... and their dual weights, the question's last

    @classmethod
    def fit(
        cls,
        vectors: Vectors,
        scores: np.ndarray,
        contradicts: np.ndarray,
        kernel: Kernel,
        question: np.ndarray | None = None,
    ) -> ExampleVectors:
        """With `question`, the question itself joins the regression as an answer graded 0: saying the question back
        earns nothing. Among dozens of real examples it changes little (train leave-one-out: SciEntsBank 2-way
        0.787 -> 0.788, SAF Pearson 0.672 -> 0.669); among a handful of good ones it keeps answers that only talk
        around the question from inheriting their grade."""
        scores = np.asarray(scores, np.float64)
        fitted, targets = vectors, scores
        if question is not None:
            fitted, targets = np.vstack([vectors, question]), np.append(scores, 0.0)
        mean, weights = kernel.fit(fitted, targets)
        return cls(vectors, scores.astype(np.float32), np.asarray(contradicts, bool), kernel, question, mean, weights)

    def without(self, index: int) -> ExampleVectors:
        keep = np.arange(len(self.scores)) != index
        return ExampleVectors.fit(
            self.vectors[keep], self.scores[keep], self.contradicts[keep], self.kernel, self.question
        )

    def estimate(self, sims: np.ndarray, answer: np.ndarray) -> float:
        """The kernel regression's grade for `answer`, given its cosine similarity to each example."""
        if self.question is not None:
            sims = np.append(sims, float(self.question @ answer))
        return self.mean + float(self.kernel.similarity(sims) @ self.weights)


@dataclass(frozen=True)
class Neighbours:
    features: np.ndarray  # EXAMPLE_FEATURES[1:]
    contradicted: float  # the similarity-weighted share of the nearest examples that contradict the reference
    nearest: list[tuple[int, float]]  # (example index, similarity), most similar first


def neighbours(
    answer: np.ndarray, examples: ExampleVectors, k: int, temperature: float, exclude: int | None = None
) -> Neighbours | None:
    """The examples' kernel estimate of this answer's grade, the best similarity to a good and to a poor example, and
    the k most similar examples (weighted by exp(temperature * cosine) for the share that contradict the reference).
    None without examples.

    `exclude` leaves one example out (and refits without it): training features for an answer must not see its own
    grade. Indices in `nearest` are always those of `examples`."""
    index = np.arange(len(examples.scores))
    if exclude is not None:
        index = index[index != exclude]
        examples = examples.without(exclude)
    if not len(index):
        return None
    sims = examples.vectors @ answer
    estimate = examples.estimate(sims, answer)
    order = np.argsort(-sims, kind="stable")[:k]
    weights = np.exp(temperature * (sims[order] - sims[order[0]]))
    weights /= weights.sum()
    good = examples.scores >= GOOD
    best_good = float(sims[good].max()) if good.any() else 0.0
    best_poor = float(sims[~good].max()) if (~good).any() else 0.0
    return Neighbours(
        features=np.array([estimate, best_good, best_poor, estimate * max(float(sims[order[0]]), 0.0)], np.float32),
        contradicted=float(weights @ examples.contradicts[order]),
        nearest=[(int(index[j]), float(sims[j])) for j in order],
    )
