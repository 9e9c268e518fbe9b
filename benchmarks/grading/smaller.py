"""Would a smaller embedding model reach the throughput floor without losing agreement? Not collected by pytest.

    pip install -e '.[bench]'
    python -m benchmarks.grading.smaller     # about 10 minutes on 2 cores; writes benchmarks/results/smaller.{md,json}

viva's model (all-MiniLM-L6-v2: six layers) against paraphrase-MiniLM-L3-v2 (three layers, the same word pieces),
rebuilt and quantized by the same code (benchmarks/grading/quantize.py: paraphrase_l3). Each gets a calibration
fitted in this run by benchmarks/grading/train.py's code on the train splits (the covered-point model first, then the
graded-examples model reading its likelihood); viva's shipped calibration is a row of its own. The judge model is
left out: it is another network, the same for both. Then each grader is measured side by side on the test splits,
on viva's bank model answers and for speed. The decision is read from the train cross-validation columns; the test
columns are reported, not tuned on.
"""

from __future__ import annotations

import json
import platform
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import pearsonr

from benchmarks.grading.data import ROOT, load, with_examples
from benchmarks.grading.quantize import paraphrase_l3
from benchmarks.grading.run import SEMEVAL, bank_model_answers, macro, model_speed, verdict
from benchmarks.grading.train import fit_calibration, fit_examples
from viva.grading import Grader
from viva.grading.calibration import calibration_from
from viva.onnx_embedder import OnnxEmbedder, default_embedder

RESULTS = ROOT / "benchmarks" / "results"
TOKENIZER = ROOT / "viva" / "models" / "minilm" / "tokenizer.json"
CALIBRATION = ROOT / "viva" / "grading" / "calibration" / "minilm.json"


def calibrated(embedder: OnnxEmbedder) -> tuple[Grader, dict[str, Any]]:
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
        # With examples the score decides, not the points alone (as in benchmarks/grading/run.py).
        passed = ["correct" if g.score >= 50 else "incorrect" for g in examples]
        out[f"test + examples {corpus} 2-way"] = macro(two, passed)
        flagged = ["contradiction" in g.flags for g in examples]
        out[f"test + examples {corpus} 3-way"] = macro(
            three, ["contradictory" if f else v for f, v in zip(flagged, passed, strict=True)]
        )
    train, test = load("saf", "train"), load("saf", "test")
    human = np.array([i.score for i in test])
    for label, items in (("test SAF Pearson", test), ("test + examples SAF Pearson", with_examples(test, train))):
        scores = np.array([g.score for g in grader.grade_many([(i.rubric, i.answer) for i in items])])
        out[label] = round(float(pearsonr(scores, human)[0]), 3)
    bank = bank_model_answers({"": grader})[""]
    out["bank mean score"], out["bank below 60"] = bank["mean score"], bank["scored below 60"]
    out["bank flagged contradiction"] = bank["flagged contradiction"]
    return out


def throughput(grader: Grader, fresh: OnnxEmbedder) -> dict[str, float]:
    """Answers a second in batches (warm, best of three) and the model's own speed (`fresh`: an unused copy)."""
    out: dict[str, float] = {}
    semeval = [i for c in SEMEVAL for i in load(c, "test")]
    for name, items in (("SemEval", semeval), ("SAF", load("saf", "test"))):
        pairs = [(i.rubric, i.answer) for i in items]
        grader.grade_many(pairs)
        best = 0.0
        for _ in range(3):
            started = time.perf_counter()
            grader.grade_many(pairs)
            best = max(best, len(pairs) / (time.perf_counter() - started))
        out[f"{name} batch answers/s"] = round(best, 1)
    out["model alone, one thread: word pieces/s"] = model_speed(load("saf", "test"), fresh)
    return out


def render(rows: dict[str, dict[str, float]]) -> str:
    cols = list(next(iter(rows.values())))
    lines = [
        f"Smaller embedding model, side by side, on {platform.machine()} (python -m benchmarks.grading.smaller).",
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
        "anything.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    started = time.perf_counter()
    rows: dict[str, dict[str, float]] = {}
    shipped = Grader.for_embedder(default_embedder())
    rows["all-MiniLM-L6-v2 int8 (viva's), shipped calibration"] = (
        train_cv(json.loads(CALIBRATION.read_text())) | agreement(shipped) | throughput(shipped, default_embedder())
    )
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "paraphrase-l3.onnx"
        paraphrase_l3(small)

        def l3() -> OnnxEmbedder:
            return OnnxEmbedder(small, TOKENIZER, name="minilm-l3")

        candidates: Sequence[tuple[str, OnnxEmbedder, OnnxEmbedder]] = (
            ("all-MiniLM-L6-v2 int8 (viva's), refit here", default_embedder(), default_embedder()),
            ("paraphrase-MiniLM-L3-v2 int8 (same build), fitted here", l3(), l3()),
        )
        for name, embedder, fresh in candidates:
            grader, fitted = calibrated(embedder)
            rows[name] = train_cv(fitted) | agreement(grader) | throughput(grader, fresh)
    text = render(rows)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "smaller.md").write_text(text)
    payload = {"rows": rows, "seconds": round(time.perf_counter() - started)}
    (RESULTS / "smaller.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
