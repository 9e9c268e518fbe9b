"""Per key point, the evidence an answer gives: similarities, word overlap, polarity. Numbers in, numbers out."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from viva.embed import Vectors
from viva.text import STOPWORDS, Segment, antonym_swap, content_stems, negated, stopword_ratio, words

FEATURES = (
    "seg_sim",  # best cosine between the point and a sentence (or two adjacent sentences) of the answer
    "whole_sim",  # cosine between the point and the whole answer
    "q_sim",  # cosine between the point and the question: what restating the question would already earn
    "gain",  # seg_sim - q_sim
    "lex_novel",  # share of the point's words beyond the question's that the answer uses
    "lex_all",  # share of all the point's words that the answer uses
    "negation",  # the best sentence and the point disagree in polarity ("does not ...")
    "antonym",  # the best sentence swaps a word of the point for its opposite
    "log_words",  # log(1 + content words in the answer)
)

_SEPARATORS = re.compile(r"[,;/|]")


@dataclass(frozen=True)
class Evidence:
    features: np.ndarray
    segment: Segment | None  # the best-matching usable piece of the answer


def is_term_list(text: str) -> bool:
    """A run of key terms rather than a sentence: 'attention, softmax, variance, gradients'."""
    tokens = words(text)
    if len(tokens) < 4:
        return False
    items = [i for i in _SEPARATORS.split(text) if i.strip()]
    if len(items) >= 4 and len(tokens) / len(items) <= 3.0:
        return True
    ratio = stopword_ratio(text)
    return (ratio == 0 and len(tokens) >= 6) or (ratio < 0.1 and len(tokens) >= 10)


def is_restatement(text: str, question_stems: set[str]) -> bool:
    """A sentence that adds nothing beyond the question's own words."""
    stems = content_stems(text)
    novel = stems - question_stems
    return len(novel) < 2 or len(novel) <= 0.25 * len(stems)


def point_evidence(
    point_texts: list[str],
    point_vecs: Vectors,
    question_vec: np.ndarray,
    question_stems: set[str],
    usable: list[Segment],
    usable_vecs: Vectors,
    answer_stems: set[str],
) -> Evidence:
    """Features for one point against the usable segments of an answer (best over the point's phrasings)."""
    n_words = sum(1 for s in usable for w in words(s.text) if w not in STOPWORDS)
    if not usable:
        feats = np.zeros(len(FEATURES), dtype=np.float32)
        feats[2] = float(np.max(point_vecs @ question_vec))
        feats[3] = -feats[2]
        return Evidence(feats, None)
    windows, owners = _windows(usable_vecs)
    whole = usable_vecs.sum(axis=0)
    whole = whole / max(float(np.linalg.norm(whole)), 1e-12)
    best: tuple[float, int, int] = (-2.0, 0, 0)  # (similarity, phrasing, window)
    for k in range(len(point_texts)):
        sims = windows @ point_vecs[k]
        j = int(np.argmax(sims))
        if sims[j] > best[0]:
            best = (float(sims[j]), k, j)
    seg_sim, k, j = best
    first, last = owners[j]
    pieces = usable[first : last + 1]
    segment = Segment(" ".join(p.text for p in pieces), pieces[0].start, pieces[-1].end)
    text = point_texts[k]
    stems = content_stems(text)
    novel = stems - question_stems or stems
    q_sim = float(point_vecs[k] @ question_vec)
    feats = np.array(
        [
            seg_sim,
            float(point_vecs[k] @ whole),
            q_sim,
            seg_sim - q_sim,
            len(novel & answer_stems) / max(len(novel), 1),
            len(stems & answer_stems) / max(len(stems), 1),
            float(negated(text) != negated(segment.text)),
            float(antonym_swap(text, segment.text)),
            math.log1p(n_words),
        ],
        dtype=np.float32,
    )
    return Evidence(feats, segment)


def _windows(vecs: Vectors) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Each segment alone, then each adjacent pair: a point is often made across two sentences."""
    singles = [(i, i) for i in range(len(vecs))]
    if len(vecs) < 2:
        return vecs, singles
    pairs = vecs[:-1] + vecs[1:]
    pairs = pairs / np.maximum(np.linalg.norm(pairs, axis=1, keepdims=True), 1e-12)
    return np.vstack([vecs, pairs]), [*singles, *((i, i + 1) for i in range(len(vecs) - 1))]
