"""The default embedder: all-MiniLM-L6-v2 (int8 ONNX, shipped with viva) on onnxruntime, CPU only, no torch, no
download."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from viva.embed import Tokens, Vectors, normalise

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on sequences up to 256 word pieces (its model card)
# One text per model call: the model's int8 matrix products scale each call's activations by their largest value
# (dynamic quantization), so a text embedded beside others came out different from the same text alone (cosine down
# to 0.958 on SAF's sentences in batches of 32), and a grade would depend on what else was graded with it. Alone, a
# text always gets the same vector; on 2 cores batches of 32 were ~45% faster, parallel runs (below) win some back.
BATCH = 1


def onnx_threads() -> int:
    # VIVA_ONNX_THREADS=1 suits several web workers on few cores: each worker's model would otherwise start one
    # thread per core and they would fight over them.
    return int(os.environ.get("VIVA_ONNX_THREADS") or 0) or min(4, os.cpu_count() or 1)


def open_onnx(model_path: Path, tokenizer_path: Path, threads: int, max_tokens: int) -> tuple[Any, Any]:
    """An onnxruntime CPU session and a tokenizer that truncates (longest side first for pairs) and never pads."""
    # Imported here so `viva --help` and commands that never grade do not pay for onnxruntime.
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle model threads sleep instead of spinning: grading does numpy work between model calls, and spinning
    # threads took the cores from it (SAF single-answer p50 about 52 -> 35 ms; SemEval's about 1 ms slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_tokens, strategy="longest_first")
    tokenizer.no_padding()
    return session, tokenizer


class OnnxModel:
    """An ONNX model file and its tokenizer, loaded on first use (once, whichever thread gets there first).

    `parallel_runs`: run up to `threads` model calls at once, one thread each, instead of one call after another on
    every thread. A sentence cannot keep several cores busy in one call; several calls at once can. Whole grades on
    2 cores are compared both ways in benchmarks/grading (batches of answers, best of three, alternating)."""

    max_tokens = MAX_TOKENS
    parallel_runs = False

    def __init__(self, model_path: Path, tokenizer_path: Path, name: str, threads: int | None = None) -> None:
        self.name = name
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path
        self.threads = threads or onnx_threads()
        self._session: Any = None
        self._tokenizer: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _ready(self) -> None:
        with self._lock:
            if self._session is None:
                parallel = self.parallel_runs and self.threads > 1
                # Runs in parallel get one thread each: a sentence's int8 products are too small to share out.
                # SAF's sentences on 2 cores, one text per call: 620 a second with two one-thread runs at once, 461
                # with two two-thread runs; a lone 164-piece text takes ~10% longer on one thread.
                self._session, self._tokenizer = open_onnx(
                    self.model_path, self.tokenizer_path, 1 if parallel else self.threads, self.max_tokens
                )
                if parallel:
                    # An onnxruntime session may run from several threads at once (its documented contract).
                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="viva-onnx")


class OnnxEmbedder(OnnxModel):  # implements viva.embed.TokenEmbedder
    """A sentence-transformers model exported to ONNX: mean pooling over tokens, then L2 normalisation."""

    parallel_runs = True

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, keep_tokens=False)[0]

    def embed_tokens(self, texts: Sequence[str]) -> tuple[Vectors, list[Tokens]]:
        """Sentence vectors and, per text, its word pieces with their contextual vectors (L2-normalised)."""
        return self._run(texts, keep_tokens=True)

    def _run(self, texts: Sequence[str], keep_tokens: bool) -> tuple[Vectors, list[Tokens]]:
        if not texts:
            return np.zeros((0, 384), np.float32), []
        self._ready()
        encodings = self._tokenizer.encode_batch(list(texts))
        rows: dict[int, np.ndarray] = {}
        tokens: dict[int, Tokens] = {}
        batches = list(length_batches(encodings, BATCH, at_least=self.threads if self._pool else 1))

        def forward(batch: tuple[list[int], np.ndarray, np.ndarray]) -> np.ndarray:
            _, ids, mask = batch
            out = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
            return np.asarray(out[0])

        # The largest batches first, so that parallel runs finish together.
        batches.sort(key=lambda b: -b[1].size)
        outputs = self._pool.map(forward, batches) if self._pool and len(batches) > 1 else map(forward, batches)
        for (chunk, _, mask), hidden in zip(batches, outputs, strict=True):
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            rows.update(zip(chunk, pooled, strict=True))
            if keep_tokens:
                for row, i in enumerate(chunk):
                    n = len(encodings[i].ids)
                    # Drop [CLS] and [SEP]: they summarise the sentence, they are not words of it.
                    tokens[i] = Tokens(encodings[i].tokens[1 : n - 1], normalise(hidden[row, 1 : n - 1]))
        vectors = normalise(np.stack([rows[i] for i in range(len(texts))]))
        return vectors, [tokens[i] for i in range(len(texts))] if keep_tokens else []


def length_batches(
    encodings: Sequence[Any], size: int, at_least: int = 1
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """(text indices, input ids, attention mask) per batch of tokenizer encodings. Only texts of one length share a
    batch, so nothing is padded: one answer's sentences mostly run one at a time, which on CPU is faster than
    padding them all to the longest (SAF answers: 95 word pieces, 160 padded; embedding one answer at a time took
    about 20% less time, batches no more). The mask is all ones; the model's inputs still take one. With fewer
    than `at_least` batches, each is split further (for runs in parallel)."""
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    chunks: list[list[int]] = []
    for i in order:
        if chunks and len(chunks[-1]) < size and len(encodings[chunks[-1][0]].ids) == len(encodings[i].ids):
            chunks[-1].append(i)
        else:
            chunks.append([i])
    if len(chunks) < at_least:
        parts = -(-at_least // max(len(chunks), 1))
        chunks = [list(part) for chunk in chunks for part in np.array_split(chunk, min(parts, len(chunk)))]
    for chunk in chunks:
        ids = np.array([encodings[i].ids for i in chunk], np.int64)
        yield chunk, ids, np.ones_like(ids)


def default_embedder() -> OnnxEmbedder:
    """all-MiniLM-L6-v2 with int8 matrix products (made by benchmarks/grading/quantize.py) and its tokenizer, both
    shipped with viva (viva/models/minilm/NOTICE.md)."""
    folder = Path(str(resources.files("viva.models") / "minilm"))
    return OnnxEmbedder(folder / "model.onnx", folder / "tokenizer.json", name="minilm")
