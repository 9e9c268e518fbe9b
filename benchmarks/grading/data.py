"""The human-graded sets in ../shared/datasets (see its README), as rubric + answer + human label."""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from viva.grading import Rubric
from viva.grading.rubric import Example

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("VIVA_DATASETS", ROOT.parent / "shared" / "datasets"))


@dataclass(frozen=True)
class Item:
    set: str  # sciEntsBank | beetle | saf
    split: str  # train | test
    question_id: str
    rubric: Rubric
    answer: str
    label_2way: str = ""  # correct | incorrect
    label_3way: str = ""  # correct | contradictory | incorrect
    score: float = 0.0  # SAF: score_normalized

    @property
    def target(self) -> float:
        """The human grade as 0-1: SAF's normalised score, SemEval's 2-way label."""
        return self.score if self.set == "saf" else float(self.label_2way == "correct")


def semeval(corpus: str, split: str) -> list[Item]:
    """SemEval-2013 Task 7. Beetle lists several reference answers: the BEST and GOOD ones are alternatives."""
    want = "train" if split == "train" else "unseen-answers"
    path = DATASETS / "semeval2013" / "semeval2013_task7.csv"
    items, rubrics = [], {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["corpus"] != corpus or row["split"] != want:
                continue
            qid = row["question_id"]
            if qid not in rubrics:
                refs = [t for c, t in json.loads(row["reference_answers"] or "[]") if c in ("BEST", "GOOD")]
                reference: str | list[str] = refs if len(refs) > 1 else row["reference_answer_best"]
                rubrics[qid] = Rubric.from_reference(row["question"], reference, id=qid)
            items.append(
                Item(corpus, split, qid, rubrics[qid], row["student_answer"], row["label_2way"], row["label_3way"])
            )
    return items


def saf(split: str) -> list[Item]:
    want = "training" if split == "train" else "unseen_answers"
    path = DATASETS / "saf" / "saf_english.csv"
    items, rubrics = [], {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["split"] != want:
                continue
            qid = row["question_id"]
            if qid not in rubrics:
                rubrics[qid] = Rubric.from_reference(row["question"], row["reference_answer"], id=qid)
            items.append(
                Item("saf", split, qid, rubrics[qid], row["student_answer"], score=float(row["score_normalized"]))
            )
    return items


def load(name: str, split: str) -> list[Item]:
    return saf(split) if name == "saf" else semeval(name, split)


def with_examples(items: Sequence[Item], graded: Sequence[Item]) -> list[Item]:
    """`items` with each rubric carrying the `graded` answers to its question as examples (the unseen-answers setting:
    graded train answers to the same questions)."""
    by_question: dict[str, list[Example]] = defaultdict(list)
    for g in graded:
        by_question[g.question_id].append(Example(g.answer, g.target, g.label_3way == "contradictory"))
    rubrics: dict[str, Rubric] = {}
    for i in items:
        if i.question_id not in rubrics:
            rubrics[i.question_id] = i.rubric.with_examples(by_question.get(i.question_id, ()))
    return [replace(i, rubric=rubrics[i.question_id]) for i in items]
