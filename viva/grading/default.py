"""The grader viva uses when nothing else is configured: all-MiniLM-L6-v2 on onnxruntime, loaded once, lazily.

VIVA_JUDGE_MODEL=1 adds viva's judge model (a MiniLM cross-encoder, viva/cross_encoder.py). It is opt-in: it raises
agreement with human graders on short factual answers (SemEval Beetle) but lowers the scores of the bank's own model
answers (mean 72.7 against 90.7 without it, grader version 6), so it does not yet generalise to viva's questions;
docs/grading.md has the figures.
"""

from __future__ import annotations

import os
from functools import lru_cache

from viva.grading.grader import Grader


@lru_cache(maxsize=1)
def default_grader() -> Grader:
    from viva.cross_encoder import default_pair_scorer
    from viva.onnx_embedder import default_embedder

    judge = default_pair_scorer() if os.environ.get("VIVA_JUDGE_MODEL") == "1" else None
    return Grader.for_embedder(default_embedder(), judge)
