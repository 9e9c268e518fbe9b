"""Pair scorers: (reference, answer) -> P(incorrect, correct, contradictory).

The default is viva's own judge model: all-MiniLM-L6-v2 fine-tuned as a cross-encoder on the train splits of
SemEval-2013 Task 7 and SAF (benchmarks/grading/finetune.py), int8 ONNX, carried in the package. A cross-encoder
reads the reference and the answer together, so it sees what a sentence-embedding comparison cannot: whether the
answer says the same thing about the same subject, or the opposite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from viva.onnx_embedder import OnnxModel

LABELS = ("incorrect", "correct", "contradictory")
MAX_TOKENS = 192  # as in training

Pair = tuple[str, str]  # (the reference side: question and key point, the answer)


class PairScorer(Protocol):
    name: str

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        """One row per pair: probabilities over LABELS."""
        ...


class FunctionPairScorer:
    """A pair scorer backed by a function of one pair: for tests and experiments."""

    def __init__(self, fn: Callable[[str, str], Sequence[float]], name: str = "function") -> None:
        self.fn = fn
        self.name = name

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        return np.array([self.fn(a, b) for a, b in pairs], dtype=np.float32).reshape(len(pairs), len(LABELS))


def reference_side(question: str, point: str) -> str:
    """The first text of a pair, exactly as the model saw it in training."""
    return f"{question} [SEP] {point}"


class OnnxPairScorer(OnnxModel):  # implements PairScorer
    """One pair per model call, several calls at once: the model's int8 products scale each call by its largest
    activation, so pairs sharing a call (and the padding that evens them out) would change each other's
    probabilities, and a grade would depend on what was graded beside it (see viva.onnx_embedder.OnnxEmbedder)."""

    max_tokens = MAX_TOKENS
    parallel_runs = True

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        if not pairs:
            return np.zeros((0, len(LABELS)), np.float32)
        self._ready()
        encodings = self._tokenizer.encode_batch([(a, b) for a, b in pairs])

        def forward(i: int) -> np.ndarray:
            ids = np.array([encodings[i].ids], np.int64)
            types = np.array([encodings[i].type_ids], np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": types}
            return np.asarray(self._session.run(None, feed)[0][0])

        # The longest first, so that parallel runs finish together.
        order = sorted(range(len(pairs)), key=lambda i: -len(encodings[i].ids))
        logits = self._pool.map(forward, order) if self._pool and len(order) > 1 else map(forward, order)
        out = np.zeros((len(pairs), len(LABELS)), np.float32)
        for i, row in zip(order, logits, strict=True):
            exp = np.exp(row - row.max())
            out[i] = exp / exp.sum()
        return out


def default_pair_scorer() -> OnnxPairScorer | None:
    """viva's judge model, or None where a build carries no model file (the grader then runs without it)."""
    path = Path(str(resources.files("viva.models") / "judge" / "model.onnx"))
    if not path.is_file():
        return None
    tokenizer = Path(str(resources.files("viva.models") / "minilm" / "tokenizer.json"))
    return OnnxPairScorer(path, tokenizer, name="judge")
