"""answer + rubric -> Grade. Pure: the embedder is passed in; nothing here reads files or the network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from viva.bank.schema import Question
from viva.embed import CachedEmbedder, Embedder, Tokens, Vectors, embed_with_tokens
from viva.grading.calibration import Calibration, calibration_for
from viva.grading.communication import communication
from viva.grading.features import Evidence, is_fragment, is_restatement, is_term_list, join_tokens, point_evidence
from viva.grading.result import Flag, Grade, MisconceptionHit, PointGrade, Span
from viva.grading.rubric import Rubric
from viva.grading.screen import screen
from viva.text import Segment, content_stems, reverses, segments, words

GRADER_VERSION = "1"
MIN_WORDS = 8
_EMPTY: Vectors = np.zeros((0, 1), np.float32)
MISCONCEPTION_PENALTY = 0.9  # each asserted misconception keeps 90% of the score: a wrong belief is a red flag


@dataclass(frozen=True)
class _Prepared:
    """An answer before the model runs: injected instructions blanked, sentences that cannot earn credit dropped."""

    rubric: Rubric
    answer: str
    screened_text: str
    injection: list[Span]
    question_stems: set[str]
    usable: list[Segment]
    flags: list[Flag]


@dataclass(frozen=True)
class _Embedded:
    p: _Prepared
    vectors: Vectors  # one row per usable segment
    tokens: Tokens  # the usable segments' tokens, joined
    stems: set[str]


@dataclass(frozen=True)
class _RubricVectors:
    question: np.ndarray
    question_pieces: set[str]
    points: list[tuple[Vectors, list[Tokens]]]
    misconceptions: Vectors


@dataclass
class Grader:
    """Holds an embedder (with its rubric cache) and its calibration; `grade` is the whole algorithm."""

    embedder: CachedEmbedder
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
        return [self._finish(e) for e in self._embed_answers(items)]

    def evidence_many(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[list[Evidence]]:
        """Per answer, per rubric point, the features the calibration is fitted on (benchmarks/grading/train.py)."""
        out = []
        for e in self._embed_answers(items):
            rv = self._rubric_vectors(e.p.rubric)
            out.append([self._evidence(e, rv, i) for i in range(len(e.p.rubric.points))])
        return out

    def _embed_answers(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[_Embedded]:
        prepared = [_prepare(q if isinstance(q, Rubric) else Rubric.of(q), answer) for q, answer in items]
        texts = [s.text for p in prepared for s in p.usable]
        # Answer text bypasses the cache: it rarely repeats, and would push rubric vectors out.
        vectors, tokens = embed_with_tokens(self.embedder.inner, texts) if texts else (_EMPTY, [])
        out, k = [], 0
        for p in prepared:
            n = len(p.usable)
            out.append(_Embedded(p, vectors[k : k + n], join_tokens(tokens[k : k + n]), _stems(p.usable)))
            k += n
        return out

    def _rubric_vectors(self, rubric: Rubric) -> _RubricVectors:
        texts = [rubric.question, *(t for p in rubric.points for t in p.texts), *(c for c, _ in rubric.misconceptions)]
        vecs, toks = self.embedder.embed_tokens(texts)
        points, i = [], 1
        for p in rubric.points:
            points.append((vecs[i : i + len(p.texts)], toks[i : i + len(p.texts)]))
            i += len(p.texts)
        return _RubricVectors(vecs[0], set(toks[0].pieces), points, vecs[i:])

    def _evidence(self, e: _Embedded, rv: _RubricVectors, i: int) -> Evidence:
        point_vecs, point_tokens = rv.points[i]
        return point_evidence(
            list(e.p.rubric.points[i].texts),
            point_vecs,
            point_tokens,
            rv.question,
            e.p.question_stems,
            rv.question_pieces,
            e.p.usable,
            e.vectors,
            e.tokens,
            e.stems,
        )

    def _finish(self, e: _Embedded) -> Grade:
        p, rv = e.p, self._rubric_vectors(e.p.rubric)
        flags = list(p.flags)
        points = [self._grade_point(pt.id, self._evidence(e, rv, i), p.answer) for i, pt in enumerate(p.rubric.points)]
        if any(pt.contradicted for pt in points):
            flags.append("contradiction")
        if p.usable and self._off_topic(p.rubric, rv, e):
            flags.append("off_topic")
            points = [pt.model_copy(update={"covered": False, "evidence": None, "span": None}) for pt in points]
        hits = self._misconceptions(p.rubric, rv, e)
        return Grade(
            score=_score(p.rubric, points, hits, off_topic="off_topic" in flags),
            points=points,
            misconceptions=hits,
            communication=communication(p.screened_text),
            flags=flags,
            injection=p.injection,
            grader=self.name,
        )

    def _grade_point(self, point_id: str, ev: Evidence, answer: str) -> PointGrade:
        p_covered = self.calibration.covered.probability(ev.features) if ev.segment else 0.0
        contradicted = ev.segment is not None and self.calibration.contradicts(ev.features)
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

    def _off_topic(self, rubric: Rubric, rv: _RubricVectors, e: _Embedded) -> bool:
        targets = np.vstack([rv.question[None, :], *(vecs for vecs, _ in rv.points)])
        best = float(np.max(e.vectors @ targets.T))
        rubric_stems = e.p.question_stems.union(*(content_stems(t) for p in rubric.points for t in p.texts))
        return best < self.calibration.off_topic_sim and len(e.stems & rubric_stems) < 3

    def _misconceptions(self, rubric: Rubric, rv: _RubricVectors, e: _Embedded) -> list[MisconceptionHit]:
        if not rubric.misconceptions or not e.p.usable:
            return []
        hits = []
        sims = e.vectors @ rv.misconceptions.T
        for k, (claim, why) in enumerate(rubric.misconceptions):
            j = int(np.argmax(sims[:, k]))
            segment = e.p.usable[j]
            same_polarity = not any(reverses(claim, segment.text))
            if sims[j, k] >= self.calibration.misconception_sim and same_polarity:
                span = Span(start=segment.start, end=segment.end, text=e.p.answer[segment.start : segment.end])
                hits.append(MisconceptionHit(text=claim, why=why, evidence=span.text, span=span))
        return hits


def grade(question: Question | Rubric, answer: str, embedder: Embedder) -> Grade:
    """Grade one answer. For many answers, build a `Grader` once and reuse it (it caches rubric vectors)."""
    return Grader.for_embedder(embedder).grade(question, answer)


def _prepare(rubric: Rubric, answer: str) -> _Prepared:
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
    # Three or more fragments in a row are a bullet list of key terms, however it is laid out.
    run: list[Segment] = []
    for s in [*all_segments, None]:
        if s is not None and is_fragment(s.text):
            run.append(s)
            continue
        if len(run) >= 3:
            term_lists.extend(run)
        run = []
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
    # The weighted share of points made: a missed point earns nothing, however close it came, so fluent text that
    # hovers near the rubric cannot collect partial credit from every point.
    total = sum(p.weight for p in rubric.points)
    earned = sum(p.weight for p, g in zip(rubric.points, points, strict=True) if g.covered)
    return round(max(0.0, min(100.0, 100 * earned / total * MISCONCEPTION_PENALTY ** len(hits))), 1)
