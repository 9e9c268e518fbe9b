"""Sentence embeddings: one small protocol, the offline ONNX model, a function-backed fake, and a cache."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from viva.text import stem, words

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> Vectors:
        """(len(texts), dim) float32 rows, each L2-normalised."""
        ...


def normalise(rows: npt.NDArray[np.floating]) -> Vectors:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    out: Vectors = (rows / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


@dataclass
class FunctionEmbedder:
    """Test double: vectors come from a plain function of one text."""

    fn: Callable[[str], Sequence[float]]
    name: str = "function"
    calls: list[list[str]] = field(default_factory=list)

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        return normalise(np.array([self.fn(t) for t in texts], dtype=np.float32).reshape(len(texts), -1))


@dataclass
class HashingEmbedder:
    """A deterministic bag-of-stems embedder: no model, no download. Fast unit tests and a lexical baseline."""

    dim: int = 512
    name: str = "hashing"

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for w in words(text):
                h = int.from_bytes(hashlib.blake2b(stem(w).encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0
        return normalise(out + 1e-6)


class CachedEmbedder:
    """Wraps an embedder with an LRU of text -> vector: rubric texts are embedded once per process."""

    def __init__(self, inner: Embedder, max_items: int = 20_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_items = max_items
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = self.inner.embed(missing)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._cache[text] = vec
                while len(self._cache) > self.max_items:
                    self._cache.popitem(last=False)
        with self._lock:
            for t in texts:
                self._cache.move_to_end(t)
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)
