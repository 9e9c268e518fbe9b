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
BATCH = 16

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
    max_tokens = MAX_TOKENS

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        if not pairs:
            return np.zeros((0, len(LABELS)), np.float32)
        self._ready()
        encodings = self._tokenizer.encode_batch([(a, b) for a, b in pairs])
        order = sorted(range(len(pairs)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(pairs), len(LABELS)), np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                types[row, :n] = encodings[i].type_ids
                mask[row, :n] = 1
            logits = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            exp = np.exp(logits - logits.max(axis=1, keepdims=True))
            out[chunk] = exp / exp.sum(axis=1, keepdims=True)
        return out


def default_pair_scorer() -> OnnxPairScorer | None:
    """viva's judge model, or None where a build carries no model file (the grader then runs without it)."""
    path = Path(str(resources.files("viva.models") / "judge" / "model.onnx"))
    if not path.is_file():
        return None
    tokenizer = Path(str(resources.files("viva.models") / "minilm" / "tokenizer.json"))
    return OnnxPairScorer(path, tokenizer, name="judge")
