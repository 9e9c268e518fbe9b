"""The default embedder: all-MiniLM-L6-v2 (int8 ONNX, shipped with viva) on onnxruntime, CPU only, no torch, no
download."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from viva.embed import Tokens, Vectors, normalise

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on sequences up to 256 word pieces (its model card)


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
    # onnxruntime would fuse each residual Add and the LayerNormalization after it into one SkipLayerNormalization;
    # on one sentence per call its CPU kernel was the slowest thing in the model (onnxruntime 1.32, one thread, SAF's
    # sentences: 399 a second with the fusion, 519 without; the judge model 339 -> 408).
    options.add_session_config_entry("optimization.disable_specified_optimizers", "SkipLayerNormFusion")
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

    def word_pieces(self, texts: Sequence[str]) -> int:
        """How many word pieces the model reads for `texts`, [CLS] and [SEP] included (after truncation)."""
        self._ready()
        return sum(len(e.ids) for e in self._tokenizer.encode_batch(list(texts)))

    def _run_each(self, encodings: Sequence[Any]) -> list[np.ndarray]:
        """One model call per tokenizer encoding (a text, or a pair of texts), on the pool when there is one; the
        first output's row for each, in order. The model's int8 matrix products scale each call's activations by their
        largest value (dynamic quantization), so inputs sharing a call would change each other's outputs, and a grade
        would depend on what else was graded with it; alone, an input always gets the same output."""
        self._ready()

        def run(i: int) -> np.ndarray:
            ids = np.array([encodings[i].ids], np.int64)
            types = np.array([encodings[i].type_ids], np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": types}
            return np.asarray(self._session.run(None, feed)[0][0])

        # The longest first, so that parallel runs finish together.
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        runs = self._pool.map(run, order) if self._pool and len(order) > 1 else map(run, order)
        outputs = dict(zip(order, runs, strict=True))
        return [outputs[i] for i in range(len(encodings))]


class OnnxEmbedder(OnnxModel):  # implements viva.embed.TokenEmbedder
    """A sentence-transformers model exported to ONNX: mean pooling over tokens, then L2 normalisation."""

    parallel_runs = True

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._run(texts, keep_tokens=False)[0]

    def embed_tokens(self, texts: Sequence[str]) -> tuple[Vectors, list[Tokens]]:
        """Sentence vectors and, per text, its word pieces with their contextual vectors (L2-normalised)."""
        return self._run(texts, keep_tokens=True)

    def _run(self, texts: Sequence[str], keep_tokens: bool) -> tuple[Vectors, list[Tokens]]:
        """One text per model call (`_run_each`): texts sharing a call changed each other's vectors (cosine down to
        0.958 on SAF's sentences in calls of 32), and with the rebuilt graph they would not be faster (SAF's
        sentences in length-sorted calls of 8: 531 a second on one thread, 538 one at a time). Nothing is padded, so
        every token counts in the mean."""
        if not texts:
            return np.zeros((0, 384), np.float32), []
        self._ready()
        # A text that comes twice is embedded once (6% of SAF's answer sentences repeat one another).
        unique = list(dict.fromkeys(texts))
        encodings = self._tokenizer.encode_batch(unique)
        hidden = self._run_each(encodings)
        where = {t: i for i, t in enumerate(unique)}
        rows = [where[t] for t in texts]
        vectors = normalise(np.stack([h.mean(axis=0, dtype=np.float64) for h in hidden]))[rows]
        if not keep_tokens:
            return vectors, []
        # Without [CLS] and [SEP]: they summarise the sentence, they are not words of it.
        tokens = [Tokens(e.tokens[1:-1], normalise(h[1:-1])) for e, h in zip(encodings, hidden, strict=True)]
        return vectors, [tokens[i] for i in rows]


def default_embedder() -> OnnxEmbedder:
    """all-MiniLM-L6-v2 with int8 matrix products (made by benchmarks/grading/quantize.py) and its tokenizer, both
    shipped with viva (viva/models/minilm/NOTICE.md)."""
    folder = Path(str(resources.files("viva.models") / "minilm"))
    return OnnxEmbedder(folder / "model.onnx", folder / "tokenizer.json", name="minilm")
