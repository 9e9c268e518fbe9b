"""answer + rubric -> Grade. Pure: the embedder is passed in; nothing here reads files or the network."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from viva.bank.schema import Question
from viva.cross_encoder import LABELS, PairScorer, reference_side
from viva.embed import CachedEmbedder, Embedder, Tokens, Vectors, embed_with_tokens
from viva.grading.calibration import Calibration, calibration_for, models_name
from viva.grading.communication import communication
from viva.grading.examples import MIN_EXAMPLES, TRUSTED_REVERSAL, ExampleVectors, neighbours
from viva.grading.features import (
    JUDGE_FEATURES,
    Evidence,
    Windows,
    asks_for_items,
    is_fragment,
    is_restatement,
    is_term_list,
    join_tokens,
    point_evidence,
    windows,
)
from viva.grading.result import ExampleEvidence, ExampleMatch, Flag, Grade, MisconceptionHit, PointGrade, Span
from viva.grading.rubric import Example, Point, Rubric
from viva.grading.screen import screen
from viva.text import (
    Lead,
    Segment,
    answered_lead,
    content_stems,
    other_language,
    other_lead,
    reverses,
    segments,
    stated_lead,
    words,
)

# Raised when the same answer can get a different grade: 2 = the int8-product embedding model; 3 = the same network
# rebuilt with fused attention and run without the SkipLayerNormalization fusion (vectors move by ~0.01 cosine); 4 = a
# negation reverses a point only where it bears on the words the two share (viva.text.negated), the number of a
# point's phrasings is a feature, a sentence that reverses one point earns no other; calibrations refit; 5 = an answer
# that opens with another short answer than a point does ("No" to its "Yes", "30" to its "40 meters") contradicts it;
# 6 = a sentence also ends inside a closing quote or bracket ('I'd say: "Yes, with one risk." Then ...'); 7 = with
# graded examples, a key point's reversal counts only where the examples the rule fires on bear it out.
GRADER_VERSION = "7"
MIN_WORDS = 8
_EMPTY: Vectors = np.zeros((0, 1), np.float32)
_WORD = re.compile(r"\w")
JUDGE_WINDOW_WORDS = 80  # longer answers reach the judge a window at a time (see Grader._judge)
# An answer at least this much of which reverses key points is a contradiction as a whole: a second reversal the
# rule misses must not let the rest borrow the graded examples' grades (tests/test_grading_redteam.py).
REVERSED_ANSWER = 0.5
STUFFED_SHARE = 0.4  # an answer whose term lists hold this share of its content words is keyword stuffing
MISCONCEPTION_PENALTY = 0.9  # each asserted misconception keeps 90% of the score: a wrong belief is a red flag
# A behavioural question is answered with a story ("At my last job we were about to launch..."), and its key points
# say what a good story shows ("names a specific risk with a concrete failure example"). A sentence embedding puts
# the two far apart however good the story: viva's own model answers to its 8 behavioural questions average 33,
# against 91-97 for every other kind of question (docs/grading.md). The grade says so instead of passing it off.
STORY_NOTE = (
    "This is a behavioural question. viva's offline grader compares your story with general criteria and often "
    "misses points a person would credit, so read the missed points as prompts, not verdicts. With an LLM "
    "configured (--llm-url and --llm-model, or `viva config set llm.base_url URL`), the LLM judges each point."
)

UNTRUSTED_REVERSAL_NOTE = (
    "A key point reads as reversed in this answer, but the graded answers to this question that read that way were "
    "mostly graded well, so it is not held against the answer as a contradiction."
)


@dataclass(frozen=True)
class _Prepared:
    """An answer before the model runs: injected instructions blanked, sentences that cannot earn credit dropped."""

    rubric: Rubric
    answer: str
    screened_text: str
    injection: list[Span]
    question_stems: frozenset[str]
    usable: list[Segment]
    flags: list[Flag]
    lists: list[Segment]  # bullet items and runs of key terms: no credit on their own

    @cached_property
    def usable_text(self) -> str:
        """The usable segments as one text: what the judge model reads."""
        return _model_text(self, self.usable)

    @cached_property
    def compared_text(self) -> str:
        """What graded examples are compared on: the usable text, with its lists kept in place unless the answer is
        keyword stuffing. A short list inside an explained answer is part of how it was written, and the examples'
        graders saw it too (dropping them cost SAF 0.04 Pearson in train leave-one-out); an answer carried by its
        lists must not borrow the grades of the explained answers it name-drops."""
        if "keyword_stuffing" in self.flags or not self.lists:
            return self.usable_text
        return _model_text(self, sorted([*self.usable, *self.lists], key=lambda s: s.start))


@dataclass(frozen=True)
class _Embedded:
    p: _Prepared
    vectors: Vectors  # one row per usable segment
    windows: Windows  # where the segments can make a point, the same for every point
    tokens: Tokens  # the usable segments' tokens, joined
    stems: frozenset[str]
    rv: _RubricVectors
    evidence: list[Evidence]  # per rubric point, with the judge's features appended when there is a judge
    whole: np.ndarray | None = None  # the compared text as one vector, when the rubric has graded examples


@dataclass(frozen=True)
class _RubricVectors:
    question: np.ndarray
    question_pieces: set[str]
    points: list[tuple[Vectors, list[Tokens]]]
    misconceptions: Vectors


@dataclass
class Grader:
    """Holds an embedder (with its rubric cache), an optional judge model and their calibration; `grade` is the
    whole algorithm."""

    embedder: CachedEmbedder
    calibration: Calibration
    judge: PairScorer | None = None
    _examples: OrderedDict[tuple[str, tuple[Point, ...], tuple[Example, ...]], ExampleVectors] = field(
        default_factory=OrderedDict, repr=False
    )
    _examples_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_embedder(cls, embedder: Embedder, judge: PairScorer | None = None) -> Grader:
        cached = embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder)
        return cls(cached, calibration_for(models_name(embedder.name, judge), judged=judge is not None), judge)

    @property
    def name(self) -> str:
        suffix = "" if self.calibration.name == "trained" else "-uncalibrated"
        return f"offline-{models_name(self.embedder.name, self.judge)}{suffix}/{GRADER_VERSION}"

    def grade(self, question: Question | Rubric, answer: str) -> Grade:
        return self.grade_many([(question, answer)])[0]

    def grade_many(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[Grade]:
        """Grade several answers, embedding all their sentences in one call (much faster than one by one)."""
        return [self._finish(e) for e in self._embed_answers(items)]

    def evidence_many(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[list[Evidence]]:
        """Per answer, per rubric point, the features the calibration is fitted on (benchmarks/grading/train.py)."""
        return [e.evidence for e in self._embed_answers(items)]

    def _embed_answers(self, items: Sequence[tuple[Question | Rubric, str]]) -> list[_Embedded]:
        prepared = [_prepare(q if isinstance(q, Rubric) else Rubric.of(q), answer) for q, answer in items]
        texts = [s.text for p in prepared for s in p.usable]
        # Answer text bypasses the cache: it rarely repeats, and would push rubric vectors out.
        vectors, tokens = embed_with_tokens(self.embedder.inner, texts) if texts else (_EMPTY, [])
        compared = [p.compared_text for p in prepared if _compares(p)]
        # Most short answers are compared whole as their one usable sentence, whose vector is already here (a
        # text's vector never depends on what else is in the call: viva.embed.Embedder).
        known = dict(zip(texts, vectors, strict=True))
        missing = [t for t in dict.fromkeys(compared) if t not in known]
        known.update(zip(missing, self.embedder.inner.embed(missing) if missing else _EMPTY, strict=True))
        wholes = iter([known[t] for t in compared])
        out, k = [], 0
        for p in prepared:
            n = len(p.usable)
            rv = self._rubric_vectors(p.rubric)
            whole = next(wholes) if _compares(p) else None
            vecs = vectors[k : k + n]
            e = _Embedded(p, vecs, windows(vecs), join_tokens(tokens[k : k + n]), _stems(p.usable), rv, [], whole)
            e.evidence.extend(self._evidence(e, rv, i) for i in range(len(p.rubric.points)))
            out.append(e)
            k += n
        if self.judge is not None:
            self._judge(out)
        return out

    def _judge(self, embedded: list[_Embedded]) -> None:
        """Add the judge's features to every point's evidence: its P(correct) and P(contradictory) for the point's
        best phrasing, and its P(correct) for the whole rubric at once. All pairs go to the model in one call."""
        assert self.judge is not None
        pairs: list[tuple[str, str]] = []
        plans = []
        for e in embedded:
            p, points = e.p, e.p.rubric.points
            whole_text = p.usable_text
            plan: list[list[int]] = []
            floor = self.calibration.floor
            for point, ev in zip(points, e.evidence, strict=True):
                # Below the floor a point cannot be covered whatever the judge says (Calibration.decide), but the
                # judge can still find it contradicted; far below, neither happens often enough to pay for the model
                # (half the floor: measured in benchmarks/grading, it keeps most of the judge's 3-way gain).
                below = floor is not None and floor.probability(ev.features) < floor.threshold / 2
                if not whole_text or ev.segment is None or below:
                    plan.append([])
                    continue
                # A long answer is shown around the sentences that best match the point: the model reads a few
                # hundred word pieces at most, and a point made late in a long answer must not be cut off.
                text = whole_text if len(words(whole_text)) <= JUDGE_WINDOW_WORDS else _window(p, ev.segment)
                plan.append(list(range(len(pairs), len(pairs) + len(point.texts))))
                pairs.extend((reference_side(p.rubric.question, t), text) for t in point.texts)
            whole = -1
            if whole_text and len(points) > 1:
                whole = len(pairs)
                pairs.append((reference_side(p.rubric.question, " ".join(pt.texts[0] for pt in points)), whole_text))
            plans.append((plan, whole))
        probs = self.judge.score(pairs) if pairs else np.zeros((0, len(LABELS)), np.float32)
        correct, contra = LABELS.index("correct"), LABELS.index("contradictory")
        for e, (plan, whole) in zip(embedded, plans, strict=True):
            for i, ks in enumerate(plan):
                row = np.zeros(len(JUDGE_FEATURES), np.float32)
                if ks:
                    best = max(ks, key=lambda k: probs[k, correct])
                    row[0], row[1] = probs[best, correct], probs[best, contra]
                    row[2] = probs[whole, correct] if whole >= 0 else probs[best, correct]
                ev = e.evidence[i]
                e.evidence[i] = Evidence(np.concatenate([ev.features, row]), ev.segment)

    def _rubric_vectors(self, rubric: Rubric) -> _RubricVectors:
        texts = [rubric.question, *(t for p in rubric.points for t in p.texts), *(c for c, _ in rubric.misconceptions)]
        vecs, toks = self.embedder.embed_tokens(texts)
        points, i = [], 1
        for p in rubric.points:
            points.append((vecs[i : i + len(p.texts)], toks[i : i + len(p.texts)]))
            i += len(p.texts)
        return _RubricVectors(vecs[0], set(toks[0].pieces), points, vecs[i:])

    def example_vectors(self, rubric: Rubric) -> ExampleVectors:
        """The rubric's graded examples, each embedded over the text of it that could earn credit (as answers are), and
        the kernel regression fitted on them and the question; kept for the 256 most recent example sets."""
        # The points too: where the reversal rule fires on an example depends on them.
        key = (rubric.question, rubric.points, rubric.examples)
        with self._examples_lock:
            if (hit := self._examples.get(key)) is not None:
                self._examples.move_to_end(key)
                return hit
        # Each example graded on the rubric alone too, for where the reversal rule fires on it
        # (ExampleVectors.reversal_trust); a one-sentence example's compared text is that sentence, embedded once.
        graded = self._embed_answers([(rubric.with_examples(()), x.answer) for x in rubric.examples])
        texts = [e.p.compared_text for e in graded]
        known = {s.text: v for e in graded for s, v in zip(e.p.usable, e.vectors, strict=True)}
        missing = [t for t in dict.fromkeys(texts) if t and t not in known]
        known.update(zip(missing, self.embedder.inner.embed(missing) if missing else _EMPTY, strict=True))
        question = self._rubric_vectors(rubric).question
        rows = [known[t] if t else np.zeros(len(question), np.float32) for t in texts]
        vectors = ExampleVectors.fit(
            np.vstack(rows).astype(np.float32) if rows else np.zeros((0, len(question)), np.float32),
            np.array([x.score for x in rubric.examples], np.float32),
            np.array([x.contradicts for x in rubric.examples], bool),
            self.calibration.examples.kernel,
            question,
            np.array([any(g.contradicted for g in self._grade_points(e)) for e in graded], bool),
        )
        with self._examples_lock:
            self._examples[key] = vectors
            while len(self._examples) > 256:
                self._examples.popitem(last=False)
        return vectors

    def example_inputs(
        self, items: Sequence[tuple[Question | Rubric, str]]
    ) -> list[tuple[float, np.ndarray | None, float, float]]:
        """Per answer, what the example model reads besides the neighbours: the rubric's likelihood, the answer's
        vector (None when nothing in it can earn credit), the rubric's own score (0-1) and how much of the score the
        rubric alone decides because the answer reverses a key point (see _compare_examples). For fitting the model
        (benchmarks/grading/train.py); the rubrics must carry their examples."""
        out = []
        for e in self._embed_answers(items):
            points = self._grade_points(e)
            rubric = _score(e.p.rubric, points, [], off_topic=False) / 100
            out.append((_likelihood(e.p.rubric, points), e.whole, rubric, _held_to_rubric(e.p, points)))
        return out

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
            e.windows,
            e.tokens,
            e.stems,
        )

    def _finish(self, e: _Embedded) -> Grade:
        p, rv = e.p, e.rv
        flags = list(p.flags)
        points = self._grade_points(e)
        if any(pt.contradicted for pt in points):
            flags.append("contradiction")
        examples = self.example_vectors(p.rubric) if e.whole is not None else None
        if p.usable and self._off_topic(p.rubric, rv, e, examples):
            flags.append("off_topic")
            points = [pt.model_copy(update={"covered": False, "evidence": None, "span": None}) for pt in points]
        hits = self._misconceptions(p.rubric, rv, e)
        score = _score(p.rubric, points, hits, off_topic="off_topic" in flags)
        compared = None
        if examples is not None and "off_topic" not in flags:
            score, compared = self._compare_examples(e, examples, points, hits, score, flags)
        notes = [STORY_NOTE] if p.rubric.story else []
        if "contradiction" not in flags and any(pt.contradicted for pt in points):
            notes.append(UNTRUSTED_REVERSAL_NOTE)
        if other_language(p.screened_text):
            notes.append(
                "This answer does not read as English. viva's grader is built for English answers, so the score "
                "may be too low."
            )
        if 0 < len(p.rubric.examples) < MIN_EXAMPLES:
            notes.append(
                f"{len(p.rubric.examples)} graded example(s) for this question were not used: at least "
                f"{MIN_EXAMPLES} are needed."
            )
        return Grade(
            score=score,
            points=points,
            misconceptions=hits,
            communication=communication(p.screened_text),
            flags=flags,
            injection=p.injection,
            grader=self.name,
            notes=notes,
            examples=compared,
        )

    def _compare_examples(
        self,
        e: _Embedded,
        examples: ExampleVectors,
        points: list[PointGrade],
        hits: list[MisconceptionHit],
        score: float,
        flags: list[Flag],
    ) -> tuple[float, ExampleEvidence | None]:
        """The score from the rubric and the graded examples together; `flags` gains `contradiction` when the
        examples' contradiction estimate for this answer reaches the fitted threshold."""
        assert e.whole is not None
        model = self.calibration.examples
        near = neighbours(e.whole, examples)
        if near is None:
            return score, None
        likelihood = _likelihood(e.p.rubric, points)
        x = np.concatenate([[likelihood], near.features])
        combined = 100 * model.score.probability(x) * MISCONCEPTION_PENALTY ** len(hits)
        if "contradiction" in flags and examples.reversal_trust() < TRUSTED_REVERSAL:
            # The rule fires here on answers people graded well: its reversal is likely a misreading of how this
            # question is worded, so the examples decide as for any answer (_finish adds UNTRUSTED_REVERSAL_NOTE).
            # In train cross-validation: SAF Pearson 0.632 -> 0.662, Beetle 2-way 0.825 -> 0.834, SciEntsBank the
            # same (docs/grading.md, grader version 7).
            flags.remove("contradiction")
        if "contradiction" in flags:
            # The answer reverses a key point: answers like it may have been graded well, but the sentences that say
            # the opposite earn no more than the rubric gives. So that share of the answer is held to the rubric's
            # score and the rest keeps the examples' view: one reversed sentence in a long answer costs it that
            # sentence's share, and an answer that is mostly reversal keeps only the rubric's score. (Holding every
            # such answer to the rubric cost SAF 0.12 Pearson in train cross-validation: answers the rule finds
            # reversing were graded higher than the rest on average, in all three sets.)
            held = _held_to_rubric(e.p, points)
            combined = min(combined, held * score + (1 - held) * combined)
        elif near.contradicted >= model.contradiction:
            flags.append("contradiction")
        elif likelihood >= model.keep_rubric:
            # The rubric is sure the points are made and nothing says the answer contradicts them: worded unlike
            # the graded answers (a textbook answer among students'), it still keeps what the rubric gives.
            combined = max(combined, score)
        nearest = [
            ExampleMatch(index=i, score=float(examples.scores[i]), similarity=round(sim, 3)) for i, sim in near.nearest
        ]
        return round(min(100.0, combined), 1), ExampleEvidence(rubric_score=score, nearest=nearest)

    def _grade_points(self, e: _Embedded) -> list[PointGrade]:
        points = [self._grade_point(pt.id, e.evidence[i], e.p.answer) for i, pt in enumerate(e.p.rubric.points)]
        if (opening := _lead_span(e.p)) is not None:
            answered, span = opening
            points = [
                _reversed(g, span) if _other_lead(pt, answered, e.p.question_stems) else g
                for pt, g in zip(e.p.rubric.points, points, strict=True)
            ]
        reversing = _reversing_spans(points)
        if not reversing:
            return points
        # A sentence that reverses one key point earns no credit for another: "harmful output cannot come from
        # innocent input, because the input check catches everything" is not evidence that the input check is cheap.
        return [
            g.model_copy(
                update={"covered": False, "evidence": None, "span": None, "confidence": round(1 - g.likelihood, 3)}
            )
            if g.covered and g.span is not None and any(a <= g.span.start and g.span.end <= b for a, b in reversing)
            else g
            for g in points
        ]

    def _grade_point(self, point_id: str, ev: Evidence, answer: str) -> PointGrade:
        made, p_covered = self.calibration.decide(ev.features) if ev.segment else (False, 0.0)
        contradicted = ev.segment is not None and self.calibration.contradicts(ev.features)
        covered = made and not contradicted
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

    def _off_topic(self, rubric: Rubric, rv: _RubricVectors, e: _Embedded, examples: ExampleVectors | None) -> bool:
        """Far from the question, every key point and every graded example, with few words in common with the first
        two. Graded answers show what on topic looks like: a short correct answer worded unlike the rubric ("It is
        divided by the same factor of 10.") was flagged off topic and scored 0 although answers like it were
        graded well."""
        graded = [] if examples is None else [examples.vectors[np.any(examples.vectors != 0, axis=1)]]
        targets = np.vstack([rv.question[None, :], *(vecs for vecs, _ in rv.points), *graded])
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


def grade(question: Question | Rubric, answer: str, embedder: Embedder, judge: PairScorer | None = None) -> Grade:
    """Grade one answer. For many answers, build a `Grader` once and reuse it (it caches rubric vectors)."""
    return Grader.for_embedder(embedder, judge).grade(question, answer)


def _prepare(rubric: Rubric, answer: str) -> _Prepared:
    screened = screen(answer)
    flags: list[Flag] = ["injection"] if screened.injected else []
    question_stems = content_stems(rubric.question)
    usable, lists, stuffed = _usable_segments(screened.text, question_stems, asks_for_items(rubric.question))
    if stuffed:
        flags.append("keyword_stuffing")
    if len(words(screened.text)) < MIN_WORDS:
        flags.append("too_short")
    return _Prepared(rubric, answer, screened.text, screened.spans, question_stems, usable, flags, lists)


def _usable_segments(
    text: str, question_stems: frozenset[str], items_asked: bool
) -> tuple[list[Segment], list[Segment], bool]:
    """(sentences that can earn credit: not a restated question, not a bare list of key terms unless the question
    asks for a list; the lists; whether the answer is keyword stuffing)."""
    all_segments = segments(text)
    # "State at least 4 objectives": the items are the answer, so nothing is a list of key terms. On SAF's train
    # split, 13% of the answers to such questions were flagged keyword stuffing; people graded them 0.78 on average
    # (0.80 for all the answers).
    term_lists = [] if items_asked else _term_lists(all_segments)
    usable = [s for s in all_segments if s not in term_lists and not is_restatement(s.text, question_stems)]
    listed = sum(len(content_stems(s.text)) for s in term_lists)
    total = sum(len(content_stems(s.text)) for s in all_segments)
    # Flagged only when the lists carry much of the answer: a short bullet list inside an explained answer is
    # structure, not stuffing (it still earns nothing itself). Flagging every answer with two list items marked
    # 10% of SAF's answers, most of them well-explained, as keyword stuffing.
    stuffed = bool(term_lists) and listed >= STUFFED_SHARE * total
    return usable, [s for s in all_segments if s in term_lists], stuffed


def _term_lists(all_segments: list[Segment]) -> list[Segment]:
    """The segments that are runs of key terms, and the bullet lists of fragments."""
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
    return term_lists


def _model_text(p: _Prepared, kept: list[Segment]) -> str:
    """The `kept` segments as one text: only what can earn credit (injected text blanked, restatements and term
    lists gone), with the punctuation between adjacent kept sentences and clauses left as the candidate wrote it."""
    runs: list[tuple[int, int]] = []
    for s in kept:
        if runs and not _WORD.search(p.screened_text[runs[-1][1] : s.start]):
            runs[-1] = (runs[-1][0], s.end)
        else:
            runs.append((s.start, s.end))
    return " ".join(p.screened_text[a:b] for a, b in runs)


def _window(p: _Prepared, segment: Segment) -> str:
    """The usable sentences that make up `segment`, with one more on each side for context."""
    inside = [k for k, s in enumerate(p.usable) if s.start >= segment.start and s.end <= segment.end]
    first, last = max(min(inside) - 1, 0), min(max(inside) + 1, len(p.usable) - 1)
    return _model_text(p, p.usable[first : last + 1])


def _compares(p: _Prepared) -> bool:
    """Whether the answer is also compared with graded examples: enough of them, and text that can earn credit."""
    return len(p.rubric.examples) >= MIN_EXAMPLES and bool(p.usable)


def _stems(usable: list[Segment]) -> frozenset[str]:
    return frozenset().union(*(content_stems(s.text) for s in usable))


def _span(answer: str, segment: Segment | None) -> Span | None:
    if segment is None:
        return None
    return Span(start=segment.start, end=segment.end, text=answer[segment.start : segment.end])


def _held_to_rubric(p: _Prepared, points: list[PointGrade]) -> float:
    """How much of the answer's score the rubric alone decides because the answer reverses key points (see
    Grader._compare_examples): the share of its words that reverse one, or all of it from REVERSED_ANSWER on."""
    share = _reversed_share(p, points)
    return 1.0 if share >= REVERSED_ANSWER else share


def _lead_span(p: _Prepared) -> tuple[Lead, Span] | None:
    """The short answer the answer opens with, and the sentence it opens."""
    if (lead := answered_lead(p.screened_text, p.question_stems)) is None:
        return None
    start, end = lead.start, lead.end
    first = next((s for s in segments(p.screened_text) if s.start <= start < s.end), None)
    if first is not None:
        start, end = first.start, first.end
    return lead, Span(start=start, end=end, text=p.answer[start:end])


def _other_lead(point: Point, answered: Lead, question_stems: frozenset[str]) -> bool:
    """Whether the point opens with a short answer and the answer opens with another one, whichever phrasing."""
    stated = [lead for t in point.texts if (lead := stated_lead(t, question_stems)) is not None]
    return bool(stated) and all(other_lead(s, answered) for s in stated)


def _reversed(g: PointGrade, span: Span) -> PointGrade:
    """`g` contradicted by the sentence at `span`, which opens with another short answer than the point does: "No" to
    its "Yes", "30" to its "40 meters", "Nathaniel" to its "Sammy's". Whatever else the sentence shares with the
    point, it answers the question the other way (docs/grading.md, grader version 5, says how often that holds)."""
    confidence = round(1.0 - g.likelihood, 3) if g.covered else g.confidence  # now in "not covered"
    update = {"covered": False, "contradicted": True, "evidence": None, "span": span, "likelihood": 0.0}
    return g.model_copy(update=update | {"confidence": confidence})


def _reversing_spans(points: list[PointGrade]) -> list[tuple[int, int]]:
    """Where in the answer the sentences that reverse a key point are, in order."""
    return sorted((g.span.start, g.span.end) for g in points if g.contradicted and g.span is not None)


def _reversed_share(p: _Prepared, points: list[PointGrade]) -> float:
    """The share of the answer's usable words in sentences that reverse a key point."""
    ranges = _reversing_spans(points)
    if not ranges:
        return 0.0
    merged = [ranges[0]]
    for start, end in ranges[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    reversed_words = sum(len(words(p.screened_text[a:b])) for a, b in merged)
    return min(1.0, reversed_words / max(len(words(p.usable_text)), 1))


def _likelihood(rubric: Rubric, points: list[PointGrade]) -> float:
    total = sum(p.weight for p in rubric.points)
    return sum(p.weight * g.likelihood for p, g in zip(rubric.points, points, strict=True)) / total if total else 0.0


def _score(rubric: Rubric, points: list[PointGrade], hits: list[MisconceptionHit], off_topic: bool) -> float:
    if off_topic or not points:
        return 0.0
    # The weighted share of points made: a missed point earns nothing, however close it came, so fluent text that
    # hovers near the rubric cannot collect partial credit from every point.
    total = sum(p.weight for p in rubric.points)
    earned = sum(p.weight for p, g in zip(rubric.points, points, strict=True) if g.covered)
    return round(max(0.0, min(100.0, 100 * earned / total * MISCONCEPTION_PENALTY ** len(hits))), 1)
