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
    """One pair per model call, several calls at once (`OnnxModel._run_each`): pairs sharing a call, and the padding
    that evens them out, moved each other's probabilities by up to 0.13."""

    max_tokens = MAX_TOKENS
    parallel_runs = True

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        if not pairs:
            return np.zeros((0, len(LABELS)), np.float32)
        self._ready()
        encodings = self._tokenizer.encode_batch([(a, b) for a, b in pairs])
        out = np.zeros((len(pairs), len(LABELS)), np.float32)
        for i, row in enumerate(self._run_each(encodings)):
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
