"""The grader viva uses when nothing else is configured: all-MiniLM-L6-v2 embeddings and viva's judge model (a
MiniLM cross-encoder) on onnxruntime, each loaded once, lazily."""

from __future__ import annotations

from functools import lru_cache

from viva.grading.grader import Grader


@lru_cache(maxsize=1)
def default_grader() -> Grader:
    from viva.cross_encoder import default_pair_scorer
    from viva.onnx_embedder import default_embedder

    return Grader.for_embedder(default_embedder(), default_pair_scorer())
