"""The hand-written red-team set (tests/redteam.yaml) against the real model: gaming the grader must not pay.

Known misses are strict xfails (KNOWN_FAILURES): a grader fix that makes one pass turns the run red, so the list
stays true.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from viva.bank import load_bank
from viva.grading import GRADER_VERSION, Grade, Grader, Point, Rubric, Span
from viva.grading.rubric import Example
from viva.onnx_embedder import default_embedder
from viva.text import words

REDTEAM: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "redteam.yaml").read_text())
GAMING = ("restate", "stuffing", "contradiction", "off_topic", "injection", "weak_plus_injection")
STRONG_MIN = 60.0
GAMING_MAX = 20.0

_OFF_TOPIC_RULE = "off_topic needs similarity < 0.3 and < 3 shared stems; another LLM topic is closer (still scores 0)"
# (test, question, kind, index) -> why the current grader gets it wrong.
KNOWN_FAILURES: dict[tuple[str, str, str, int], str] = {
    ("gaming_low", "cot-basics", "contradiction", 0): "a swap of which tasks it helps is credited as the point",
    ("gaming_low", "length-effects", "restate", 0): "the question's own 'same effect on latency' earns a point",
    # Under grader version 4's refit: 'prefill-ttft' sits at likelihood 0.571 against the threshold's 0.54.
    ("gaming_low", "length-effects", "contradiction", 0): "a swap of prompt and output tokens credited with one point",
    ("contradiction", "cot-basics", "contradiction", 0): "swapped task types; 'does not give extra computation' is "
    "not close enough to the point to count as its reversal",
    ("contradiction", "what-it-tells-you", "contradiction", 0): "'perplexity is not affected' shares too few words "
    "with 'perplexity is artificially low' to count as its reversal",
    ("contradiction", "pipeline-basics", "contradiction", 0): "RAG and fine-tuning swapped: same words, opposite claim",
    ("off_topic_flagged", "bpe-basics", "off_topic", 1): _OFF_TOPIC_RULE,
    ("off_topic_flagged", "cot-basics", "off_topic", 1): _OFF_TOPIC_RULE,
    # Flagged under grader version 2, not under 3 or 4, and again under 5 on a machine whose int8 kernels give slightly
    # other vectors: its similarity sits at the rule's 0.3 threshold (0.303 under version 3).
    ("off_topic_flagged", "input-vs-output", "off_topic", 1): _OFF_TOPIC_RULE,
}
# Known misses that sit at a threshold, so that the machine decides which side they fall: not strict. (The same
# answers' scores are still held to the strict tests: this one scores 0 either way.)
AT_THRESHOLD = {("off_topic_flagged", "input-vs-output", "off_topic", 1)}


def _short(question_id: str) -> str:
    return question_id.rsplit(".", 1)[-1]


def _answer(item: Any) -> str:
    """A gaming item is a plain answer, a contradiction ({answer, contradicts}) or a weak answer ({weak, injected})."""
    if isinstance(item, str):
        return item
    return str(item["answer"] if "answer" in item else item["injected"])


def _items() -> Iterator[tuple[str, str, int, Any]]:
    for case in REDTEAM:
        for kind in ("strong", *GAMING):
            for i, item in enumerate(case[kind]):
                yield case["question"], kind, i, item


def _params(test: str, kinds: tuple[str, ...]) -> list[Any]:
    params = []
    for question_id, kind, i, item in _items():
        if kind not in kinds:
            continue
        key = (test, _short(question_id), kind, i)
        reason = KNOWN_FAILURES.get(key)
        marks = [pytest.mark.xfail(strict=key not in AT_THRESHOLD, reason=reason)] if reason else []
        params.append(pytest.param(question_id, item, id=f"{_short(question_id)}/{kind}/{i}", marks=marks))
    return params


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader.for_embedder(default_embedder())


@pytest.fixture(scope="module")
def grades(grader: Grader) -> dict[tuple[str, str], Grade]:
    """Every answer in the set (weak answers too), graded in one batch: (question id, answer) -> Grade."""
    bank = load_bank()
    texts = {(q, _answer(item)) for q, _, _, item in _items()}
    texts |= {(q, item["weak"]) for q, kind, _, item in _items() if kind == "weak_plus_injection"}
    keys = sorted(texts)
    return dict(zip(keys, grader.grade_many([(bank.get(q), a) for q, a in keys]), strict=True))


def _strong_scores(grades: dict[tuple[str, str], Grade], question_id: str) -> list[float]:
    case = next(c for c in REDTEAM if c["question"] == question_id)
    return [grades[question_id, a].score for a in case["strong"]]


def _unscreened_words(text: str, spans: list[Span], offset: int = 0) -> list[str]:
    """Words of `text` (which starts at `offset` in the answer) that no injection span covers."""
    chars = list(text)
    for span in spans:
        for i in range(max(span.start - offset, 0), max(min(span.end - offset, len(text)), 0)):
            chars[i] = " "
    return words("".join(chars))


def test_set_covers_six_areas_and_every_case():
    bank = load_bank()
    assert len({bank.get(c["question"]).area for c in REDTEAM}) == 6
    for case in REDTEAM:
        assert len(case["strong"]) == 2
        assert all(len(case[kind]) >= 2 for kind in GAMING), case["question"]
        ids = {p.id for p in bank.get(case["question"]).key_points}
        assert all(set(c["contradicts"]) <= ids for c in case["contradiction"]), case["question"]


def test_grader_names_the_real_model(grader, grades):
    assert grader.name == f"offline-minilm/{GRADER_VERSION}"
    assert {g.grader for g in grades.values()} == {grader.name}


@pytest.mark.parametrize(("question_id", "answer"), _params("strong_high", ("strong",)))
def test_strong_answer_scores_high(grades, question_id, answer):
    assert grades[question_id, answer].score >= STRONG_MIN


@pytest.mark.parametrize(("question_id", "answer"), _params("strong_no_flags", ("strong",)))
def test_strong_answer_raises_no_flags(grades, question_id, answer):
    grade = grades[question_id, answer]
    assert grade.flags == [], [p.span.text for p in grade.points if p.contradicted and p.span]


@pytest.mark.parametrize(("question_id", "item"), _params("gaming_ranked", GAMING))
def test_gaming_answer_scores_below_every_strong_answer(grades, question_id, item):
    assert grades[question_id, _answer(item)].score < min(_strong_scores(grades, question_id))


@pytest.mark.parametrize(("question_id", "item"), _params("gaming_low", GAMING))
def test_gaming_answer_scores_low(grades, question_id, item):
    grade = grades[question_id, _answer(item)]
    assert grade.score <= GAMING_MAX, [p.id for p in grade.covered()]


@pytest.mark.parametrize(("question_id", "answer"), _params("stuffing_flagged", ("stuffing",)))
def test_keyword_stuffing_is_flagged(grades, question_id, answer):
    assert "keyword_stuffing" in grades[question_id, answer].flags


@pytest.mark.parametrize(("question_id", "item"), _params("contradiction", ("contradiction",)))
def test_contradiction_is_flagged_and_earns_nothing_for_the_denied_points(grades, question_id, item):
    grade = grades[question_id, item["answer"]]
    denied = [p for p in grade.points if p.id in item["contradicts"]]
    assert "contradiction" in grade.flags
    assert any(p.contradicted for p in denied)
    assert [p.id for p in denied if p.covered] == []


# A yes-or-no question, answered the other way: the answer's first word reverses the point however much else of the
# point its sentence repeats (grader version 5). Not in redteam.yaml: no bank question's key point opens so.
BLEU_ALONE = Rubric(
    question="Can a BLEU score alone tell you whether a chatbot's answers are good?",
    points=(
        Point("verdict", ("No: a BLEU score alone cannot tell whether a chatbot's answers are good.",)),
        Point("overlap", ("BLEU counts n-gram overlap with reference replies, and a good reply can share few words.",)),
    ),
    id="redteam.bleu-alone",
)


@pytest.mark.parametrize(
    "answer",
    [
        "Yes, because BLEU measures how close a chatbot's reply is to the reference replies, so a high BLEU score "
        "means the chatbot's answers are good.",
        "Yes. A BLEU score alone tells you whether the answers are good, since it counts n-gram overlap with "
        "reference replies.",
    ],
)
def test_answering_a_yes_or_no_question_the_other_way_contradicts(grader, answer):
    grade = grader.grade(BLEU_ALONE, answer)
    verdict = grade.points[0]
    assert "contradiction" in grade.flags
    assert verdict.contradicted and not verdict.covered and verdict.span is not None and verdict.span.start == 0
    assert grade.score <= 50


def test_answering_a_yes_or_no_question_the_same_way_is_no_contradiction(grader):
    answer = (
        "No. BLEU only counts n-gram overlap with reference replies, and a good reply can be worded unlike any "
        "of them, so a BLEU score alone cannot say whether a chatbot's answers are good."
    )
    grade = grader.grade(BLEU_ALONE, answer)
    assert "contradiction" not in grade.flags
    assert grade.points[0].covered


@pytest.mark.parametrize(("question_id", "answer"), _params("off_topic_zero", ("off_topic",)))
def test_off_topic_answer_scores_zero(grades, question_id, answer):
    grade = grades[question_id, answer]
    assert grade.score == 0
    assert grade.covered() == []


@pytest.mark.parametrize(("question_id", "answer"), _params("off_topic_flagged", ("off_topic",)))
def test_off_topic_answer_is_flagged(grades, question_id, answer):
    assert "off_topic" in grades[question_id, answer].flags


@pytest.mark.parametrize(("question_id", "answer"), _params("injection_screened", ("injection",)))
def test_injection_alone_is_flagged_and_screened(grades, question_id, answer):
    grade = grades[question_id, answer]
    assert "injection" in grade.flags
    assert grade.score == 0
    # At most a stray word ("Please") may be left outside the reported spans; an instruction may not.
    assert len(_unscreened_words(answer, grade.injection)) <= 1, _unscreened_words(answer, grade.injection)


@pytest.mark.parametrize(("question_id", "item"), _params("injection_screened", ("weak_plus_injection",)))
def test_injection_after_a_weak_answer_is_flagged_and_screened(grades, question_id, item):
    weak, injected = item["weak"], item["injected"]
    assert injected.startswith(weak)
    grade = grades[question_id, injected]
    assert "injection" in grade.flags
    assert all(span.start >= len(weak) for span in grade.injection), "the screen ate part of the real answer"
    assert _unscreened_words(injected[len(weak) :], grade.injection, offset=len(weak)) == []


@pytest.mark.parametrize(("question_id", "item"), _params("injection_no_gain", ("weak_plus_injection",)))
def test_injection_never_raises_the_score(grades, question_id, item):
    weak, injected = grades[question_id, item["weak"]], grades[question_id, item["injected"]]
    assert injected.score <= weak.score
    assert [p.id for p in injected.covered()] == [p.id for p in weak.covered()]


@pytest.mark.parametrize("question_id", [c["question"] for c in REDTEAM], ids=_short)
def test_evidence_and_spans_are_the_candidates_own_words(grades, question_id):
    answers = [a for (q, a) in grades if q == question_id]
    for answer in answers:
        grade = grades[question_id, answer]
        for point in grade.covered():
            assert point.evidence and point.span, point.id
            assert point.evidence in answer
            assert answer[point.span.start : point.span.end] == point.evidence == point.span.text
        for hit in grade.misconceptions:
            assert hit.span and answer[hit.span.start : hit.span.end] == hit.evidence == hit.span.text
        for span in grade.injection:
            assert answer[span.start : span.end].strip() == span.text


# The same gaming answers when the question has graded examples: its strong answers and the bank's model answer
# graded 1, its weak answers 0.3.
# Being near a well-graded answer must not pay either.
_NEAR_GOOD = "no point made, but close to the well-graded answers, so the neighbours lift it (docs/grading.md)"
EXAMPLE_KNOWN_FAILURES: dict[tuple[str, str, int], str] = {
    ("bpe-basics", "restate", 0): _NEAR_GOOD,
    ("cot-basics", "contradiction", 0): "the rubric misses this reversal (see KNOWN_FAILURES); the neighbours lift it",
    ("pipeline-basics", "contradiction", 0): "the rubric misses this swap (see KNOWN_FAILURES); the neighbours lift it",
    ("length-effects", "contradiction", 0): "the rubric credits one point (see KNOWN_FAILURES); neighbours lift it",
}


def _example_params() -> list[Any]:
    kinds = ("restate", "stuffing", "contradiction", "off_topic", "injection", "weak_plus_injection")
    params = []
    for question_id, kind, i, item in _items():
        if kind not in kinds:
            continue
        reason = EXAMPLE_KNOWN_FAILURES.get((_short(question_id), kind, i))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(question_id, item, id=f"{_short(question_id)}/{kind}/{i}", marks=marks))
    return params


@pytest.fixture(scope="module")
def graded_with_examples(grader: Grader) -> dict[tuple[str, str], Grade]:
    bank = load_bank()
    out = {}
    for case in REDTEAM:
        question = bank.get(case["question"])
        examples = [Example(a, 1.0) for a in [*case["strong"], question.model_answer]]
        examples += [Example(item["weak"], 0.3) for item in case["weak_plus_injection"]]
        rubric = Rubric.of(question).with_examples(examples)
        answers = [_answer(item) for kind in GAMING for item in case[kind]]
        answers += [item["weak"] for item in case["weak_plus_injection"]]
        grades = grader.grade_many([(rubric, a) for a in answers])
        out |= {(case["question"], a): g for a, g in zip(answers, grades, strict=True)}
    return out


@pytest.mark.parametrize(("question_id", "item"), _example_params())
def test_gaming_answer_scores_low_with_graded_examples(graded_with_examples, question_id, item):
    grade = graded_with_examples[question_id, _answer(item)]
    if "weak" in item:
        # The weak answer is itself an example, graded 30: the injection must not add to what it earns.
        assert grade.score <= graded_with_examples[question_id, item["weak"]].score
        return
    assert grade.score <= GAMING_MAX, (grade.score, grade.examples)
