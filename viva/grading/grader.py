"""answer + rubric -> Grade. Pure: the embedder is passed in; nothing here reads files or the network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from viva.bank.schema import Question
from viva.embed import CachedEmbedder, Embedder, Vectors
from viva.grading.calibration import Calibration, calibration_for
from viva.grading.communication import communication
from viva.grading.features import Evidence, is_restatement, is_term_list, point_evidence
from viva.grading.result import Flag, Grade, MisconceptionHit, PointGrade, Span
from viva.grading.rubric import Rubric
from viva.grading.screen import screen
from viva.text import Segment, antonym_swap, content_stems, negated, segments, words

GRADER_VERSION = "1"
MIN_WORDS = 8


@dataclass
class Grader:
    """Holds an embedder (with its rubric cache) and its calibration; `grade` is the whole algorithm."""

    embedder: Embedder
    calibration: Calibration

    @classmethod
    def for_embedder(cls, embedder: Embedder) -> Grader:
        cached = embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder)
        return cls(cached, calibration_for(embedder.name))

    @property
    def name(self) -> str:
        suffix = "" if self.calibration.name == "trained" else "-uncalibrated"
        return f"offline-{self.embedder.name}{suffix}/{GRADER_VERSION}"

    def grade(self, question: Question | Rubric, answer: str) -> Grade:
        return self.grade_many([(question, answer)])[0]

    def grade_many(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[Grade]:
        """Grade several answers, embedding all their sentences in one call (much faster than one by one)."""
        return [self._finish(p, vecs) for p, vecs in self._embed_answers(items)]

    def evidence_many(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[list[Evidence]]:
        """Per answer, per rubric point, the features the calibration is fitted on (benchmarks/grading/train.py)."""
        out = []
        for p, vecs in self._embed_answers(items):
            rubric_vecs = self._rubric_vectors(p.rubric)
            stems = _stems(p.usable)
            out.append([self._evidence(p, i, rubric_vecs, vecs, stems) for i in range(len(p.rubric.points))])
        return out

    def _embed_answers(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[tuple[_Prepared, Vectors]]:
        prepared = [_prepare(q if isinstance(q, Rubric) else Rubric.of(q), answer) for q, answer in items]
        texts = [s.text for p in prepared for s in p.usable]
        inner = self.embedder.inner if isinstance(self.embedder, CachedEmbedder) else self.embedder
        # Answer text is not cached: it rarely repeats, and would push rubric vectors out of the cache.
        vectors = inner.embed(texts) if texts else np.zeros((0, 1), np.float32)
        out, offset = [], 0
        for p in prepared:
            out.append((p, vectors[offset : offset + len(p.usable)]))
            offset += len(p.usable)
        return out

    def _evidence(
        self, p: _Prepared, i: int, rubric_vecs: dict[str, Vectors], usable_vecs: Vectors, answer_stems: set[str]
    ) -> Evidence:
        point = p.rubric.points[i]
        return point_evidence(
            list(point.texts),
            rubric_vecs[f"point:{point.id}"],
            rubric_vecs["question"],
            p.question_stems,
            p.usable,
            usable_vecs,
            answer_stems,
        )

    def _finish(self, p: _Prepared, usable_vecs: Vectors) -> Grade:
        rubric, usable, answer = p.rubric, p.usable, p.answer
        flags = list(p.flags)
        rubric_vecs = self._rubric_vectors(rubric)
        answer_stems = _stems(usable)
        points = [
            self._grade_point(rubric.points[i].id, self._evidence(p, i, rubric_vecs, usable_vecs, answer_stems), answer)
            for i in range(len(rubric.points))
        ]
        if any(pt.contradicted for pt in points):
            flags.append("contradiction")
        if usable and self._off_topic(rubric, rubric_vecs, usable_vecs, answer_stems, p.question_stems):
            flags.append("off_topic")
            points = [pt.model_copy(update={"covered": False, "evidence": None, "span": None}) for pt in points]
        hits = self._misconceptions(rubric, rubric_vecs, usable, usable_vecs, answer)
        return Grade(
            score=_score(rubric, points, hits, off_topic="off_topic" in flags),
            points=points,
            misconceptions=hits,
            communication=communication(p.screened_text),
            flags=flags,
            injection=p.injection,
            grader=self.name,
        )

    def _rubric_vectors(self, rubric: Rubric) -> dict[str, Vectors]:
        texts = [rubric.question, *(t for p in rubric.points for t in p.texts), *(c for c, _ in rubric.misconceptions)]
        vecs = self.embedder.embed(texts)
        out: dict[str, Vectors] = {"question": vecs[0]}
        i = 1
        for p in rubric.points:
            out[f"point:{p.id}"] = vecs[i : i + len(p.texts)]
            i += len(p.texts)
        out["misconceptions"] = vecs[i:]
        return out

    def _grade_point(self, point_id: str, ev: Evidence, answer: str) -> PointGrade:
        p_covered = self.calibration.covered.probability(ev.features) if ev.segment else 0.0
        p_contra = self.calibration.contradiction.probability(ev.features) if ev.segment else 0.0
        contradicted = p_contra >= self.calibration.contradiction.threshold
        covered = p_covered >= self.calibration.covered.threshold and not contradicted
        span = _span(answer, ev.segment) if covered or contradicted else None
        return PointGrade(
            id=point_id,
            covered=covered,
            confidence=round(p_covered if covered else 1.0 - p_covered, 3),
            evidence=span.text if span and covered else None,
            span=span,
            contradicted=contradicted,
            likelihood=round(0.0 if contradicted else p_covered, 3),
        )

    def _off_topic(
        self,
        rubric: Rubric,
        rubric_vecs: dict[str, Vectors],
        usable_vecs: Vectors,
        answer_stems: set[str],
        question_stems: set[str],
    ) -> bool:
        targets = np.vstack([rubric_vecs["question"][None, :], *(rubric_vecs[f"point:{p.id}"] for p in rubric.points)])
        best = float(np.max(usable_vecs @ targets.T))
        rubric_stems = question_stems.union(*(content_stems(t) for p in rubric.points for t in p.texts))
        overlap = len(answer_stems & rubric_stems)
        return best < self.calibration.off_topic_sim and overlap < 3

    def _misconceptions(
        self, rubric: Rubric, rubric_vecs: dict[str, Vectors], usable: list[Segment], usable_vecs: Vectors, answer: str
    ) -> list[MisconceptionHit]:
        hits: list[MisconceptionHit] = []
        claim_vecs = rubric_vecs["misconceptions"]
        if not rubric.misconceptions or not usable:
            return hits
        sims = usable_vecs @ claim_vecs.T
        for k, (claim, why) in enumerate(rubric.misconceptions):
            j = int(np.argmax(sims[:, k]))
            segment = usable[j]
            same_polarity = negated(claim) == negated(segment.text) and not antonym_swap(claim, segment.text)
            if sims[j, k] >= self.calibration.misconception_sim and same_polarity:
                span = Span(start=segment.start, end=segment.end, text=answer[segment.start : segment.end])
                hits.append(MisconceptionHit(text=claim, why=why, evidence=span.text, span=span))
        return hits


def grade(question: Question | Rubric, answer: str, embedder: Embedder) -> Grade:
    """Grade one answer. For many answers, build a `Grader` once and reuse it (it caches rubric vectors)."""
    return Grader.for_embedder(embedder).grade(question, answer)


@dataclass(frozen=True)
class _Prepared:
    rubric: Rubric
    answer: str
    screened_text: str
    injection: list[Span]
    question_stems: set[str]
    usable: list[Segment]
    flags: list[Flag]


def _prepare(rubric: Rubric, answer: str) -> _Prepared:
    """Everything before the model runs: strip injected instructions, drop sentences that cannot earn credit."""
    screened = screen(answer)
    flags: list[Flag] = ["injection"] if screened.injected else []
    question_stems = content_stems(rubric.question)
    usable, stuffed = _usable_segments(screened.text, question_stems)
    if stuffed:
        flags.append("keyword_stuffing")
    if len(words(screened.text)) < MIN_WORDS:
        flags.append("too_short")
    return _Prepared(rubric, answer, screened.text, screened.spans, question_stems, usable, flags)


def _usable_segments(text: str, question_stems: set[str]) -> tuple[list[Segment], bool]:
    """Sentences that can earn credit: not a restated question, not a bare list of key terms."""
    all_segments = segments(text)
    term_lists = [s for s in all_segments if is_term_list(s.text)]
    usable = [s for s in all_segments if s not in term_lists and not is_restatement(s.text, question_stems)]
    listed = sum(len(content_stems(s.text)) for s in term_lists)
    total = sum(len(content_stems(s.text)) for s in all_segments)
    stuffed = bool(term_lists) and (listed >= 0.4 * total or len(term_lists) >= 2)
    return usable, stuffed


def _stems(usable: list[Segment]) -> set[str]:
    return set().union(*(content_stems(s.text) for s in usable)) if usable else set()


def _span(answer: str, segment: Segment | None) -> Span | None:
    if segment is None:
        return None
    return Span(start=segment.start, end=segment.end, text=answer[segment.start : segment.end])


def _score(rubric: Rubric, points: list[PointGrade], hits: list[MisconceptionHit], off_topic: bool) -> float:
    if off_topic or not points:
        return 0.0
    total = sum(p.weight for p in rubric.points)
    earned = sum(p.weight * g.likelihood for p, g in zip(rubric.points, points, strict=True))
    # Asserting a misconception costs a tenth of the score each: a wrong belief stated as fact is a red flag.
    penalty = 0.9 ** len(hits)
    return round(max(0.0, min(100.0, 100 * earned / total * penalty)), 1) if not math.isnan(earned) else 0.0
