"""Grading with graded examples: how people scored the answers most like this one.

When a question comes with answers a person has already graded (`Rubric.examples`), the grader compares a new
answer with them as well as with the rubric. This is the "unseen answers" setting of the short-answer grading
literature (SemEval-2013 Task 7, SAF): the key points say what must be said, the examples show how strictly the
graders apply them. Both sides are compared on the text that can earn credit (injections blanked, restatements
dropped, and term lists too when they carry the answer: keyword stuffing), so injected verdicts and bare term lists
cannot borrow an example's grade. Fluent text that talks
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
NAMED = 3  # the most similar examples a grade names
# The rubric's reversal rule (a negation, an antonym or another short answer where a key point has none) is held
# against an answer only where the graded examples it fires on bear it out at least this much
# (`ExampleVectors.reversal_trust`).
TRUSTED_REVERSAL = 0.5


@dataclass(frozen=True)
class Kernel:
    """Kernel ridge regression over unit vectors with k(a, b) = exp(gamma * (cos(a, b) - 1))."""

    gamma: float = 1.0
    ridge: float = 0.1

    def fit(self, vectors: Vectors, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For n examples and targets of shape (n, m) or (n,): (their means, dual weights shaped like the targets);
        the prediction for x is means + k(x, examples) @ weights. Examples with no usable text (zero rows) get no
        weight."""
        targets = np.asarray(targets, np.float64)
        used = np.flatnonzero(np.any(vectors != 0, axis=1))
        weights = np.zeros(targets.shape)
        if not len(used):
            return np.zeros(targets.shape[1:]), weights
        means = targets[used].mean(axis=0)
        gram = self.similarity(vectors[used] @ vectors[used].T)
        weights[used] = np.linalg.solve(gram + self.ridge * np.eye(len(used)), targets[used] - means)
        return means, weights

    def similarity(self, cosine: np.ndarray) -> np.ndarray:
        return np.exp(self.gamma * (np.asarray(cosine, np.float64) - 1.0))


@dataclass(frozen=True)
class ExampleVectors:
    vectors: Vectors  # one row per example, over its usable text (zero rows where nothing was usable)
    scores: np.ndarray  # 0-1
    contradicts: np.ndarray  # bool
    kernel: Kernel
    question: np.ndarray | None  # the question's own vector: a virtual example graded 0 (see `fit`)
    reversing: np.ndarray  # bool: the rubric's reversal rule fires on the example (its grade on the rubric alone)
    # The kernel fit (Kernel.fit) over the examples and the question, for two targets: the grade and whether the
    # example contradicts the reference. The question's weights are the last row.
    means: np.ndarray
    weights: np.ndarray

    @classmethod
    def fit(
        cls,
        vectors: Vectors,
        scores: np.ndarray,
        contradicts: np.ndarray,
        kernel: Kernel,
        question: np.ndarray | None = None,
        reversing: np.ndarray | None = None,
    ) -> ExampleVectors:
        """With `question`, the question itself joins the regression as an answer graded 0 that contradicts nothing:
        saying the question back earns nothing. Among dozens of real examples it changes little (train
        leave-one-out: SciEntsBank 2-way 0.787 -> 0.788, SAF Pearson 0.672 -> 0.669); among a handful of good ones
        it keeps answers that only talk around the question from inheriting their grade."""
        scores, contradicts = np.asarray(scores, np.float64), np.asarray(contradicts, bool)
        fitted, targets = vectors, np.column_stack([scores, contradicts])
        if question is not None:
            fitted, targets = np.vstack([vectors, question]), np.vstack([targets, [0.0, 0.0]])
        means, weights = kernel.fit(fitted, targets)
        reversing = np.zeros(len(scores), bool) if reversing is None else np.asarray(reversing, bool)
        return cls(vectors, scores.astype(np.float32), contradicts, kernel, question, reversing, means, weights)

    def without(self, index: int) -> ExampleVectors:
        keep = np.arange(len(self.scores)) != index
        return ExampleVectors.fit(
            self.vectors[keep],
            self.scores[keep],
            self.contradicts[keep],
            self.kernel,
            self.question,
            self.reversing[keep],
        )

    def reversal_trust(self, exclude: int | None = None) -> float:
        """How far the rubric's reversal rule holds on this question, judged by the graded examples it fires on: 1
        when it fires on none, else (1 + how far each falls short of full marks, summed) / (1 + their number), as if
        one more were graded 0. A rule that fires on answers people graded well misreads this question's wording:
        on SAF's train answers it fired on 3% of them, whose mean grade was 0.89 against 0.82 for the rest (reference
        sentences like "no data loss, duplication or sequencing errors" beside answers that say "no" to each).
        Fired on no example, it keeps its full weight, so a good answer negated word by word still gains nothing.
        `exclude` leaves one example out, as `neighbours` does."""
        fired = self.reversing.copy()
        if exclude is not None:
            fired[exclude] = False
        return float((1.0 + np.sum(1.0 - self.scores[fired])) / (1.0 + np.sum(fired)))

    def estimate(self, sims: np.ndarray, answer: np.ndarray) -> tuple[float, float]:
        """The kernel regression's (grade, contradiction) for `answer`, given its cosine similarity to each example."""
        if self.question is not None:
            sims = np.append(sims, float(self.question @ answer))
        grade, contradiction = self.means + self.kernel.similarity(sims) @ self.weights
        return float(grade), float(contradiction)


@dataclass(frozen=True)
class Neighbours:
    features: np.ndarray  # EXAMPLE_FEATURES[1:]
    contradicted: float  # the examples' estimate (same regression) that this answer contradicts the reference
    nearest: list[tuple[int, float]]  # (example index, similarity), most similar first


def neighbours(answer: np.ndarray, examples: ExampleVectors, exclude: int | None = None) -> Neighbours | None:
    """The examples' kernel estimates of this answer's grade and of whether it contradicts the reference (from the
    examples' `contradicts` labels), the best similarity to a good and to a poor example, and the NAMED most
    similar examples, most similar first. None without examples.

    `exclude` leaves one example out (and refits without it): training features for an answer must not see its own
    grade. Indices in `nearest` are always those of `examples`."""
    index = np.arange(len(examples.scores))
    if exclude is not None:
        index = index[index != exclude]
        examples = examples.without(exclude)
    if not len(index):
        return None
    sims = examples.vectors @ answer
    estimate, contradicted = examples.estimate(sims, answer)
    order = np.argsort(-sims, kind="stable")[:NAMED]
    good = examples.scores >= GOOD
    best_good = float(sims[good].max()) if good.any() else 0.0
    best_poor = float(sims[~good].max()) if (~good).any() else 0.0
    return Neighbours(
        features=np.array([estimate, best_good, best_poor, estimate * max(float(sims[order[0]]), 0.0)], np.float32),
        contradicted=contradicted,
        nearest=[(int(index[j]), float(sims[j])) for j in order],
    )
