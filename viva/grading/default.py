"""The grader viva uses when nothing else is configured: all-MiniLM-L6-v2 on onnxruntime, loaded once."""

from __future__ import annotations

from functools import lru_cache

from viva.grading.grader import Grader


@lru_cache(maxsize=1)
def default_grader() -> Grader:
    from viva.onnx_embedder import default_embedder

    return Grader.for_embedder(default_embedder())
