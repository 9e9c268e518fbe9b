"""Plain-text helpers for grading: segments with character offsets, content words, negation cues."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import TypeVar

import snowballstemmer

# Sentence ends, line breaks and list markers; and the clause breaks where spoken answers change claim
# (", but", ", whereas"...), so one long sentence that makes two points is graded as two.
_BOUNDARY = re.compile(
    r"\s*\n\s*(?:[-*•]|\d+[.)])?\s*|(?<=[.!?;])\s+|\s+(?:[-*•]|\d+[.)])\s+(?=[A-Za-z])"
    r"|,\s+(?=(?:but|whereas|while|although|though|so|which means|because)\s)"
)
_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each either else even ever every few for from
    further get got had has have having he her here hers him his how i if in into is it its itself just let
    lets like made make makes many may me might more most much must my myself of off on once one ones only or
    other our ours out over own really s same shall she should so some such t than that the their theirs them
    then there these they thing things this those through to too under until up use used uses using very was
    way we well were what when where which while who whom why will with would you your yours
    """.split()
)
NEGATIONS = frozenset(
    """
    aren't arent can't cannot cant couldn't couldnt doesn't doesnt don't dont isn't isnt n't neither
    never no none nor not nothing shouldn't shouldnt wasn't wasnt weren't werent without won't wont wouldn't
    wouldnt
    """.split()
)
# Word pairs whose swap reverses a claim ("increases" for "decreases"): a strong contradiction cue with high similarity.
ANTONYMS = [
    (a, b)
    for x, y in [
        ("increase", "decrease"),
        ("more", "less"),
        ("higher", "lower"),
        ("larger", "smaller"),
        ("faster", "slower"),
        ("bigger", "smaller"),
        ("longer", "shorter"),
        ("up", "down"),
        ("open", "closed"),
        ("same", "different"),
        ("cheaper", "expensive"),
        ("better", "worse"),
        ("before", "after"),
        ("positive", "negative"),
        ("connected", "separated"),
        ("add", "remove"),
        ("raise", "lower"),
        ("grow", "shrink"),
        ("true", "false"),
        ("always", "never"),
        ("reduce", "increase"),
        ("cheap", "expensive"),
        ("high", "low"),
        ("large", "small"),
        ("hard", "soft"),
        ("fast", "slow"),
        ("many", "few"),
        ("stable", "unstable"),
        ("safe", "unsafe"),
    ]
    for a, b in ((x, y), (y, x))
]


@dataclass(frozen=True)
class Segment:
    text: str
    start: int
    end: int


def segments(text: str, min_chars: int = 3) -> list[Segment]:
    """Sentence-like pieces of `text` with their character offsets (for evidence highlighting)."""
    out: list[Segment] = []
    pos = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[pos:end]
        stripped = piece.strip()
        if len(stripped) >= min_chars:
            lead = len(piece) - len(piece.lstrip())
            out.append(Segment(stripped, pos + lead, pos + lead + len(stripped)))
        if match:
            pos = match.end()
    return out


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


_stemmer = snowballstemmer.stemmer("english")


_stemmer_lock = threading.Lock()  # a snowball stemmer keeps state between calls: one thread at a time


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    with _stemmer_lock:
        return str(_stemmer.stemWord(word))


R = TypeVar("R")
CACHED_CHARS = 400


def _cached_when_short(compute: Callable[[str], R]) -> Callable[[str], R]:
    """`compute`, remembered for texts up to CACHED_CHARS long. The grader asks again for every key point about the
    same answer clauses (SAF's answers: 13 times a point); longer texts are computed each time, so that answers
    (untrusted, up to 20,000 characters) cannot fill the cache with megabytes."""
    cached = lru_cache(maxsize=8192)(compute)

    @wraps(compute)
    def call(text: str) -> R:
        return cached(text) if len(text) <= CACHED_CHARS else compute(text)

    return call


@_cached_when_short
def content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text) if w not in STOPWORDS and w not in NEGATIONS and len(w) > 1)


_CLAUSE = re.compile(
    r"[.!?,;:()—–]|\b(?:and|but|so|because|since|which|rather than|instead of|whereas|while|although|though|unlike)\b",
    re.I,
)


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


def reverses(claim: str, sentence: str, min_overlap: float = 0.5) -> tuple[bool, bool]:
    """(negation mismatch, antonym swap) between a claim and a sentence that restates it.

    Each clause of the claim is matched to the sentence clause that reuses most of its words; only a clause that
    reuses at least half of them can reverse it. A paraphrase that happens to contain a "not" ("meaningless" for
    "not comparable"), or a "not" in another clause ("X, not Y"), is not a reversal. Nor is a sentence clause that
    another clause of the claim states the same way: claims often give both sides ("the shorter the string, the
    higher the pitch; the longer the string, the lower the pitch"), and "it contains no loops" restates "do not
    contain loops", not the "contain all nodes" next to it. (Without this, 72% of the SciEntsBank train answers the
    rule flagged were not graded contradictory; with it, 62%, at the same recall.)
    """
    negation = antonym = False
    sentence_clauses, claim_clauses = _clause_stems(sentence), _clause_stems(claim)
    for i, (part, wanted) in enumerate(claim_clauses):
        if len(wanted) < 2 or not sentence_clauses:
            continue
        clause, stems = max(sentence_clauses, key=lambda c: len(c[1] & wanted))
        shared = stems & wanted
        if len(shared) < min_overlap * len(wanted):
            continue
        flipped, swapped = negated(part) != negated(clause), antonym_swap(part, clause)
        if (flipped or swapped) and any(
            j != i and shared <= other_stems and negated(other) == negated(clause) and not antonym_swap(other, clause)
            for j, (other, other_stems) in enumerate(claim_clauses)
        ):
            continue  # another part of the claim says what the clause says about the words they share
        negation |= flipped
        antonym |= swapped
    return negation, antonym


@_cached_when_short
def _clause_stems(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((c, content_stems(c)) for c in clauses(text))


@_cached_when_short
def negated(text: str) -> bool:
    tokens = words(text)
    return any(t in NEGATIONS or t.endswith("n't") for t in tokens)


_STEM_ANTONYMS: dict[str, set[str]] = {}


@_cached_when_short
def _stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text))


def antonym_swap(claim: str, answer: str) -> bool:
    """True when the answer uses the opposite of a word the claim relies on, and not the word itself."""
    claim_stems, answer_stems = _stems(claim), _stems(answer)
    for s in claim_stems:
        for opposite in _STEM_ANTONYMS.get(s, ()):
            if opposite in answer_stems and s not in answer_stems and opposite not in claim_stems:
                return True
    return False


for _a, _b in ANTONYMS:
    _STEM_ANTONYMS.setdefault(stem(_a), set()).add(stem(_b))


def word_share(tokens: list[str], vocabulary: frozenset[str]) -> float:
    """The share of `tokens` (from `words`) that are in `vocabulary`."""
    return sum(t in vocabulary for t in tokens) / len(tokens) if tokens else 0.0


# Languages candidates may answer in besides English. A sentence in one of them has almost no English stopwords yet
# is prose, not a list of key terms: SAF's English set holds German answers, and all of them used to be flagged as
# keyword stuffing (most then scored 0).
OTHER_LANGUAGES = ("german", "french", "spanish", "italian", "portuguese", "dutch")
# At least this share of their function words makes a run of words prose in one of them (an English term such as
# "point" or "via" can be one elsewhere, hence a share well above one word in eight).
OTHER_LANGUAGE_PROSE = 0.2


@lru_cache(maxsize=1)
def other_function_words() -> frozenset[str]:
    """Function words of OTHER_LANGUAGES that are not English stopwords."""
    # Read on the first grade (about 50 ms), not at import: commands that never grade do not pay for it.
    from stop_words import get_stop_words

    return frozenset(w for lang in OTHER_LANGUAGES for w in get_stop_words(lang)) - STOPWORDS


def other_language(text: str) -> bool:
    """Whether `text` reads as one of OTHER_LANGUAGES rather than English: more of their function words than English
    ones, and at least OTHER_LANGUAGE_PROSE of them. Single letters are left out ("Hop 1: (A, D, forward)": "a", "d"
    and "e" are words in some of them). On the public sets: 35 of SAF's 2,127 train answers, all German or mostly
    German; none of SemEval's or of viva's bank model answers."""
    tokens = [w for w in words(text) if len(w) > 1]
    if len(tokens) < 8:
        return False
    share = word_share(tokens, other_function_words())
    return share >= OTHER_LANGUAGE_PROSE and share > word_share(tokens, STOPWORDS)
