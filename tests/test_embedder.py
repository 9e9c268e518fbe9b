"""The default embedder runs several model calls at once; that must not change a single number."""

from __future__ import annotations

import numpy as np

from viva.onnx_embedder import default_embedder

TEXTS = [
    "A cache keeps recent database results in memory.",
    "A queue lets slow email jobs run later, on background workers rather than inside the request.",
    "Tokenizers split rare words into pieces.",
    "Attention lets every token weigh every other token.",
    "Short.",
] * 3


def test_parallel_runs_give_the_same_vectors_and_tokens_as_one_run_at_a_time():
    parallel = default_embedder()
    assert parallel.parallel_runs
    serial = default_embedder()
    serial.parallel_runs = False
    a, a_tokens = parallel.embed_tokens(TEXTS)
    b, b_tokens = serial.embed_tokens(TEXTS)
    assert np.array_equal(a, b)
    assert [t.pieces for t in a_tokens] == [t.pieces for t in b_tokens]
    assert all(np.array_equal(x.vectors, y.vectors) for x, y in zip(a_tokens, b_tokens, strict=True))
