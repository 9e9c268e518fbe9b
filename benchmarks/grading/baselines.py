"""Baselines measured side by side with the grader: one number per answer, a threshold tuned on train."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from benchmarks.grading.data import Item
from viva.embed import Embedder, Vectors
from viva.grading.examples import ExampleVectors, Kernel
from viva.text import content_stems


def reference_texts(item: Item) -> list[str]:
    return [t for p in item.rubric.points for t in p.texts]


def whole_cosine(embedder: Embedder) -> Callable[[Sequence[Item]], np.ndarray]:
    """Cosine between the whole answer and the (best) reference, with the grader's own embedding model."""

    def run(items: Sequence[Item]) -> np.ndarray:
        answers = embedder.embed([i.answer for i in items])
        refs = [reference_texts(i) for i in items]
        flat = embedder.embed([t for r in refs for t in r])
        out, k = [], 0
        for a, r in zip(answers, refs, strict=True):
            out.append(float(np.max(flat[k : k + len(r)] @ a)))
            k += len(r)
        return np.array(out)

    return run


def rouge_l(items: Sequence[Item]) -> np.ndarray:
    """ROUGE-L F1 (Lin 2004, Google's rouge-score package, Porter stemming); the best over reference alternatives."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return np.array([max(scorer.score(ref, i.answer)["rougeL"].fmeasure for ref in reference_texts(i)) for i in items])


def token_overlap(items: Sequence[Item]) -> np.ndarray:
    """Share of the reference's content words found in the answer (the datasets README's lexical baseline)."""
    out = []
    for item in items:
        answer = content_stems(item.answer)
        out.append(max(len(content_stems(r) & answer) / max(len(content_stems(r)), 1) for r in reference_texts(item)))
    return np.array(out)


def nearest_examples(
    embedder: Embedder, graded: Sequence[Item], vectors: Vectors | None = None
) -> Callable[[Sequence[Item]], np.ndarray]:
    """The graded answers alone: the similarity-weighted mean grade of the 7 most similar `graded` answers to the same
    question (weights exp(10 * cosine), the same model). Scoring `graded` itself leaves each answer out of its own
    neighbours. `vectors`: the graded answers already embedded with `embedder`."""

    def vote(examples: Vectors, targets: np.ndarray, answer: np.ndarray) -> float:
        sims = examples @ answer
        order = np.argsort(-sims)[:7]
        weights = np.exp(10 * (sims[order] - sims[order[0]]))
        return float(weights @ targets[order] / weights.sum())

    return _by_question(embedder, graded, vote, vectors)


def kernel_examples(
    embedder: Embedder, graded: Sequence[Item], kernel: Kernel, vectors: Vectors | None = None
) -> Callable[[Sequence[Item]], np.ndarray]:
    """The graded answers alone, spread by the grader's kernel ridge regression (viva/grading/examples.py) over the
    whole answers' vectors: no rubric, no guards."""

    def regress(examples: Vectors, targets: np.ndarray, answer: np.ndarray) -> float:
        fitted = ExampleVectors.fit(examples, targets, np.zeros(len(targets), bool), kernel)
        return fitted.estimate(examples @ answer, answer)[0]

    return _by_question(embedder, graded, regress, vectors)


def _by_question(
    embedder: Embedder,
    graded: Sequence[Item],
    estimate: Callable[[Vectors, np.ndarray, np.ndarray], float],
    vectors: Vectors | None,
) -> Callable[[Sequence[Item]], np.ndarray]:
    """Score items from the `graded` answers to the same question; an item of `graded` itself is left out."""
    vectors = embedder.embed([g.answer for g in graded]) if vectors is None else vectors
    targets = np.array([g.target for g in graded])
    by_question: dict[str, list[int]] = {}
    for k, g in enumerate(graded):
        by_question.setdefault(g.question_id, []).append(k)

    def run(items: Sequence[Item]) -> np.ndarray:
        answers = vectors if items is graded else embedder.embed([i.answer for i in items])
        out = []
        for n, (item, a) in enumerate(zip(items, answers, strict=True)):
            index = np.array([k for k in by_question.get(item.question_id, []) if not (items is graded and k == n)])
            out.append(estimate(vectors[index], targets[index], a) if len(index) else 0.0)
        return np.array(out)

    return run
