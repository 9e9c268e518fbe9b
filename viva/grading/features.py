"""Per key point, the evidence an answer gives: similarities, word overlap, polarity. Numbers in, numbers out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from viva.embed import Tokens, Vectors
from viva.text import (
    OTHER_LANGUAGE_PROSE,
    STOPWORDS,
    Segment,
    content_stems,
    other_function_words,
    reverses,
    word_share,
    words,
)

FEATURES = (
    "seg_sim",  # best cosine between the point and a sentence (or two adjacent sentences) of the answer
    "whole_sim",  # cosine between the point and the whole answer
    "q_sim",  # cosine between the point and the question: what restating the question would already earn
    "gain",  # seg_sim - q_sim
    "lex_novel",  # share of the point's words beyond the question's that the answer uses
    "lex_all",  # share of all the point's words that the answer uses
    "negation",  # the best sentence and the point disagree in polarity ("does not ...")
    "antonym",  # the best sentence swaps a word of the point for its opposite
    "align_novel",  # token alignment recall (BERTScore-style) of the point's words not in the question
    "align_all",  # the same over all the point's content words
    # ln of the number of phrasings the point accepts (0 for one): the features above are each the best over them, and
    # the best of several comes out higher by chance (Beetle's references give up to 8 per question).
    "phrasings",
)

# Appended when the grader has a judge model (viva/cross_encoder.py); the embedding features above stay the same.
JUDGE_FEATURES = (
    "judge_point",  # the judge's P(correct) for the point's best phrasing against the whole usable answer
    "judge_contra",  # its P(contradictory) for that phrasing
    "judge_whole",  # its P(correct) for all the rubric's points at once (= judge_point for one-point rubrics)
)

_SEPARATORS = re.compile(r"[,;/|]")
_PUNCT = re.compile(r"^\W+$")


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
    tokens = [t for t in tokens if not t.isdigit()]  # "1,000" is a number, not two terms
    ratio = word_share(tokens, STOPWORDS)
    listed = (ratio == 0 and len(tokens) >= 6) or (ratio < 0.12 and len(tokens) >= 10)
    # Prose in another language has its own function words; a list of key terms has almost none.
    return listed and word_share(tokens, other_function_words()) < OTHER_LANGUAGE_PROSE


# "Name the 3 service classes", "state at least 4 objectives", "list all the packets": a question that asks for a
# number of items. Its answer is a list, and a list of the right terms is the answer, not keyword stuffing.
_ASKS_FOR_ITEMS = re.compile(
    r"\b(?:name|list|state|write[- ]?down|enumerate)\s+(?:at\s+least\s+|the\s+)?"
    r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|all)\b",
    re.IGNORECASE,
)


def asks_for_items(question: str) -> bool:
    """Whether the question asks the candidate to name a number of things."""
    return _ASKS_FOR_ITEMS.search(question) is not None


def is_fragment(text: str) -> bool:
    """A list item of a few words with no verb-like word: 'vector database', 'chunk documents'."""
    return len(words(text)) <= 4


# A sentence made only of the question's words restates it when it repeats at least this share of them. Picking out
# a few of them is often the answer itself ("What does the fizzing indicate, acid or sugar?" "It contains sugar."):
# 8% of SciEntsBank's train answers, a third of them graded correct, were dropped as restatements under a stricter
# rule. What such a short answer is worth is left to the learned features and the graded examples.
RESTATEMENT_SHARE = 0.5


def is_restatement(text: str, question_stems: frozenset[str]) -> bool:
    """A sentence made only of the question's own words, repeating much of it. Partial overlap is left to the learned
    features."""
    stems = content_stems(text)
    return not (stems - question_stems) and len(stems) >= RESTATEMENT_SHARE * len(question_stems)


def alignment(point: Tokens, answer: Tokens, question_pieces: set[str]) -> tuple[float, float]:
    """Greedy token alignment, as in BERTScore (Zhang et al. 2020): (recall of the novel words, recall)."""
    keep = [i for i, p in enumerate(point.pieces) if p not in STOPWORDS and not _PUNCT.match(p)]
    if not keep or not answer.pieces:
        return 0.0, 0.0
    novel = [i for i in keep if point.pieces[i] not in question_pieces] or keep
    sims = point.vectors @ answer.vectors.T
    best = sims.max(axis=1)
    # Precision (how much of the answer the point explains) is left out on purpose: it falls with answer length,
    # and a long, thorough answer must not lose credit for a point it makes.
    return float(best[novel].mean()), float(best[keep].mean())


def join_tokens(parts: list[Tokens]) -> Tokens:
    if not parts:
        return Tokens([], np.zeros((0, 1), np.float32))
    return Tokens([p for t in parts for p in t.pieces], np.vstack([t.vectors for t in parts]))


def point_evidence(
    point_texts: list[str],
    point_vecs: Vectors,
    point_tokens: list[Tokens],
    question_vec: np.ndarray,
    question_stems: frozenset[str],
    question_pieces: set[str],
    usable: list[Segment],
    answer_windows: Windows,
    answer_tokens: Tokens,
    answer_stems: frozenset[str],
) -> Evidence:
    """Features for one point against the usable segments of an answer (best over the point's phrasings)."""
    phrasings = np.log(len(point_texts))
    if not usable:
        feats = np.zeros(len(FEATURES), dtype=np.float32)
        feats[2] = float(np.max(point_vecs @ question_vec))
        feats[3] = -feats[2]
        feats[-1] = phrasings
        return Evidence(feats, None)
    aligned = np.max([alignment(t, answer_tokens, question_pieces) for t in point_tokens], axis=0)
    best: tuple[float, int, int] = (-2.0, 0, 0)  # (similarity, phrasing, window)
    for k in range(len(point_texts)):
        sims = answer_windows.vectors @ point_vecs[k]
        j = int(np.argmax(sims))
        if sims[j] > best[0]:
            best = (float(sims[j]), k, j)
    seg_sim, k, j = best
    first, last = answer_windows.owners[j]
    pieces = usable[first : last + 1]
    segment = Segment(" ".join(p.text for p in pieces), pieces[0].start, pieces[-1].end)
    text = point_texts[k]
    q_sim = float(point_vecs[k] @ question_vec)
    feats = np.array(
        [
            seg_sim,
            float(np.max(point_vecs @ answer_windows.whole)),
            q_sim,
            seg_sim - q_sim,
            *np.max([_overlap(t, question_stems, answer_stems) for t in point_texts], axis=0),
            *(float(r) for r in reverses(text, segment.text)),
            *aligned,
            phrasings,
        ],
        dtype=np.float32,
    )
    return Evidence(feats, segment)


def _overlap(text: str, question_stems: frozenset[str], answer_stems: frozenset[str]) -> tuple[float, float]:
    """Share of the point's words (beyond the question's, then all of them) that the answer uses."""
    stems = content_stems(text)
    novel = stems - question_stems or stems
    return len(novel & answer_stems) / max(len(novel), 1), len(stems & answer_stems) / max(len(stems), 1)


class Windows(NamedTuple):
    """Where an answer's usable segments can make a point: each segment alone, then each adjacent pair (a point is
    often made across two sentences), with the segments each window spans; and the answer as one vector."""

    vectors: np.ndarray
    owners: list[tuple[int, int]]
    whole: np.ndarray


def windows(vecs: Vectors) -> Windows:
    """The windows of an answer whose usable segments have `vecs` (computed once per answer, used for every point)."""
    whole = vecs.sum(axis=0)
    whole = whole / max(float(np.linalg.norm(whole)), 1e-12)
    singles = [(i, i) for i in range(len(vecs))]
    if len(vecs) < 2:
        return Windows(vecs, singles, whole)
    pairs = vecs[:-1] + vecs[1:]
    pairs = pairs / np.maximum(np.linalg.norm(pairs, axis=1, keepdims=True), 1e-12)
    return Windows(np.vstack([vecs, pairs]), [*singles, *((i, i + 1) for i in range(len(vecs) - 1))], whole)
