"""Sentence embeddings: one small protocol, a function-backed fake, a hashing embedder, and a cache.

The default model (viva.onnx_embedder) also returns per-token vectors, which the grader aligns word by word
(as BERTScore does). Embedders without them get exact-word "token vectors" from `lexical_tokens`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from viva.text import stem, words

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Tokens:
    """The word pieces of one text and their contextual vectors (rows L2-normalised)."""

    pieces: list[str]
    vectors: Vectors


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> Vectors:
        """(len(texts), dim) float32 rows, each L2-normalised. A text's row must not depend on the other texts in
        the call: the grader reuses a sentence's vector for the same text wherever it appears."""
        ...


@runtime_checkable
class TokenEmbedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> Vectors: ...

    def embed_tokens(self, texts: Sequence[str]) -> tuple[Vectors, list[Tokens]]:
        """Sentence vectors and, per text, its tokens with contextual vectors."""
        ...


def normalise(rows: npt.NDArray[np.floating]) -> Vectors:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    out: Vectors = (rows / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


def _hash(word: str, dim: int) -> int:
    return int.from_bytes(hashlib.blake2b(stem(word).encode(), digest_size=4).digest(), "little") % dim


def lexical_tokens(text: str, dim: int = 512) -> Tokens:
    """Each word as a one-hot of its stem: alignment then means exact (stemmed) word match."""
    pieces = words(text)
    vectors = np.zeros((len(pieces), dim), np.float32)
    for i, w in enumerate(pieces):
        vectors[i, _hash(w, dim)] = 1.0
    return Tokens(pieces, vectors)


def embed_with_tokens(embedder: Embedder, texts: Sequence[str]) -> tuple[Vectors, list[Tokens]]:
    if isinstance(embedder, TokenEmbedder):
        return embedder.embed_tokens(texts)
    return embedder.embed(texts), [lexical_tokens(t) for t in texts]


@dataclass
class FunctionEmbedder:
    """Test double: vectors come from a plain function of one text; calls are recorded."""

    fn: Callable[[str], Sequence[float]]
    name: str = "function"
    calls: list[list[str]] = field(default_factory=list)

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        return normalise(np.array([self.fn(t) for t in texts], dtype=np.float32).reshape(len(texts), -1))


@dataclass
class HashingEmbedder:
    """A deterministic bag-of-stems embedder: no model, no download. For fast unit tests of grading logic."""

    dim: int = 512
    name: str = "hashing"

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for w in words(text):
                out[i, _hash(w, self.dim)] += 1.0
        return normalise(out + 1e-6)


class CachedEmbedder:
    """An LRU of text -> (vector, tokens) in front of an embedder: rubric texts are embedded once per process."""

    def __init__(self, inner: Embedder, max_items: int = 20_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.max_items = max_items
        self._cache: OrderedDict[str, tuple[np.ndarray, Tokens]] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self.embed_tokens(texts)[0]

    def embed_tokens(self, texts: Sequence[str]) -> tuple[Vectors, list[Tokens]]:
        with self._lock:
            hits = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in hits]
        if missing:
            vectors, tokens = embed_with_tokens(self.inner, missing)
            fresh = dict(zip(missing, zip(vectors, tokens, strict=True), strict=True))
            hits.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.max_items:
                    self._cache.popitem(last=False)
        with self._lock:
            for t in texts:
                if t in self._cache:
                    self._cache.move_to_end(t)
        if not texts:
            return np.zeros((0, 1), np.float32), []
        return np.stack([hits[t][0] for t in texts]), [hits[t][1] for t in texts]
