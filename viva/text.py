"""Plain-text helpers for grading: segments with character offsets, content words, negation cues."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Literal, NamedTuple, TypeVar

import snowballstemmer

# Sentence ends (also inside a closing quote or bracket: 'I'd say: "Yes, with one risk." Then...'), line breaks and
# list markers; and the clause breaks where spoken answers change claim (", but", ", whereas"...), so one long
# sentence that makes two points is graded as two.
_BOUNDARY = re.compile(
    r"\s*\n\s*(?:[-*•]|\d+[.)])?\s*|(?:(?<=[.!?;])|(?<=[.!?;][\"'”’)\]]))\s+|\s+(?:[-*•]|\d+[.)])\s+(?=[A-Za-z])"
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
    r"([.!?,;:()—–]"
    r"|\b(?:and|but|so|because|since|which|rather than|instead of|whereas|while|although|though|unlike)\b)",
    re.I,
)
# A clause these introduce names what is not the case: "queue depth rather than CPU load".
_REJECTING = frozenset({"rather than", "instead of", "unlike"})


def _marked_clauses(text: str) -> list[tuple[str, bool]]:
    """The clauses of `text`, each with whether "rather than", "instead of" or "unlike" introduces it."""
    parts = _CLAUSE.split(text)
    out, rejecting = [], False
    for k, part in enumerate(parts):
        if k % 2:  # a break
            rejecting = " ".join(part.lower().split()) in _REJECTING
        elif part.strip():
            out.append((part.strip(), rejecting))
    return out


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
    for i, (part, wanted, rejected) in enumerate(claim_clauses):
        # The alternative a claim rejects ("rather than CPU load") is not the claim: an answer that mentions it
        # ("not CPU") does not reverse the point.
        if rejected or len(wanted) < 2 or not sentence_clauses:
            continue
        clause, stems, rejecting = max(sentence_clauses, key=lambda c: len(c[1] & wanted))
        shared = stems & wanted
        if len(shared) < min_overlap * len(wanted):
            continue
        clause_negated = negated(clause, shared) != rejecting  # "rather than X" in an answer says "not X"
        # Both read as reversing: one side denies something about the shared words, and the other has no negation
        # at all ("isn't merit" beside "not to reward length" is two ways of saying it, not a reversal).
        flipped = negated(part, shared) != clause_negated and negated(part) != (negated(clause) != rejecting)
        swapped = antonym_swap(part, clause)
        if flipped and (_affixed_paraphrase(part, clause) or _affixed_paraphrase(clause, part)):
            flipped = False
        if (flipped or swapped) and any(
            j != i
            and shared <= other_stems
            and negated(other, shared) == clause_negated
            and not antonym_swap(other, clause)
            for j, (other, other_stems, _) in enumerate(claim_clauses)
        ):
            continue  # another part of the claim says what the clause says about the words they share
        negation |= flipped
        antonym |= swapped
    return negation, antonym


def _affixed_paraphrase(plain: str, negative: str) -> bool:
    """Whether `plain` says with a negative affix what `negative` says with "not": "uses long contexts unevenly" and
    "doesn't use long contexts evenly", "unlabeled text" and "text without labels"."""
    bases = {stem(_affix_base(w)) for w in words(plain) if _negative_affix(w)}
    return bool(bases & _stems(negative))


@_cached_when_short
def _clause_stems(text: str) -> tuple[tuple[str, frozenset[str], bool], ...]:
    return tuple((c, content_stems(c), rejecting) for c, rejecting in _marked_clauses(text))


def negated(text: str, about: frozenset[str] | None = None) -> bool:
    """Whether `text` says something is not so: a negation cue ("not", "never", "without", "avoid"), except in
    idioms that negate nothing ("no matter how far") and double negations ("aren't harmless"). With `about` (content
    stems), only a cue followed within two content words by one of them counts: "two models with different
    tokenizers aren't comparable" says nothing is not so about tokenizers."""
    tokens = _negation_tokens(text)
    for k, t in enumerate(tokens):
        if not (t in NEGATIONS or t in _NEGATING_VERBS or t.endswith("n't")):
            continue
        # A double negation: "aren't harmless" says they do harm, "no untrusted content beside the tools" says
        # what "isolate untrusted content" says. ("never an unknown token" is none.)
        if k + 1 < len(tokens) and _negative_affix(tokens[k + 1]):
            continue
        if about is None:
            return True
        following = [w for w in tokens[k + 1 :] if w not in STOPWORDS and w not in NEGATIONS][:2]
        if any(stem(w) in about for w in following):
            return True
    return False


@_cached_when_short
def _negation_tokens(text: str) -> tuple[str, ...]:
    return tuple(words(_NOT_NEGATING.sub(" ", text.lower())))


# Idioms whose negation word negates nothing: "no matter how far apart", "not only X but also Y", and "says no to X",
# which refuses X and says nothing of it is not so.
_NOT_NEGATING = re.compile(
    r"\b(?:no matter|not only|not just|nothing but|no doubt|not least|or not|(?:say|says|said|saying) no)\b"
)
# Verbs that say something does not happen: "avoid judging a model with itself" is "don't use it to judge itself".
_NEGATING_VERBS = frozenset("avoid avoids avoided avoiding stop stops stopped lack lacks lacking".split())
_NOT_AFFIXED = ("under", "uni", "until", "unto", "unless", "regardless", "nevertheless", "nonetheless", "none")


def _negative_affix(word: str) -> bool:
    """A word that negates its base: "harmless", "unevenly", "non-deterministic"."""
    if len(word) < 6 or word.startswith(_NOT_AFFIXED):
        return False
    return word.endswith("less") or word.startswith(("un", "non"))


def _affix_base(word: str) -> str:
    if word.endswith("less"):
        return word[:-4]
    return word[3:].lstrip("-") if word.startswith("non") else word[2:]


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


# The short answer a text opens with, before any reason: a yes or a no ("No, string is an insulator"), a number
# ("40 meters."), or one of the options the question names ("Sammy's." to "Whose method, Sammy's or Nathaniel's?").
# A claim states a yes or no only with punctuation after it ("no path containing X" is no verdict). An answer may go
# straight on from one to its reason ("No because one has more water", "Yes they do"), but not to a noun the "no"
# negates ("No 2 prints are the same", "no matter"), nor hedge both ways ("yes and no"); its number or option must
# stand alone before a comma, full stop or dash ("30, because...", "Nathaniel - I picked him because...").
_STATED_VERDICT = re.compile(r"^\W*(yes|no)\s*[.,!;:]", re.IGNORECASE)
_ANSWERED_VERDICT = re.compile(
    r"^\W*(yes|no)\b(?:\s*(?:[.,!;:]|\s[-–—]\s|$)"
    r"|\s+(?:because|since|as|cause|they|they're|it|it's|its|he|she|you|i|we|there|this|that|the|both|not)\b)",
    re.IGNORECASE,
)
# (A full stop or comma between digits is part of a number: "1.5, the battery's voltage".)
_ANSWERED_LEAD = re.compile(r"^\W*((?:[^.,;:!?()–—]|(?<=\d)[.,](?=\d))+?)\s*(?:[.,;:!?](?!\d)|[–—]|\s-\s|$)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ENUMERATOR = re.compile(r"\d+[.)](?!\d)")
LEAD_WORDS = 3  # a short answer before its reason is at most this many words


class Lead(NamedTuple):
    kind: Literal["verdict", "number", "option"]
    values: frozenset[str]
    start: int
    end: int


def stated_lead(claim: str, question_stems: frozenset[str]) -> Lead | None:
    """The short answer a claim (a key point, a reference) opens with, if it opens with one."""
    if match := _STATED_VERDICT.match(claim):
        return _verdict(match)
    first = next(iter(segments(claim)), None)
    return None if first is None else _lead(first.text, first.start, question_stems)


def answered_lead(answer: str, question_stems: frozenset[str]) -> Lead | None:
    """The short answer an answer opens with, if it opens with one."""
    if match := _ANSWERED_VERDICT.match(answer):
        return _verdict(match)
    match = _ANSWERED_LEAD.match(answer)
    return None if match is None else _lead(match.group(1), match.start(1), question_stems)


def _verdict(match: re.Match[str]) -> Lead:
    return Lead("verdict", frozenset({match.group(1).lower()}), match.start(1), match.end(1))


def _lead(text: str, start: int, question_stems: frozenset[str]) -> Lead | None:
    # "1.unconfirmed connectionless" numbers an item of a list; it is no answer of "1".
    if not 1 <= len(words(text)) <= LEAD_WORDS or _ENUMERATOR.match(text):
        return None
    if numbers := frozenset(_NUMBER.findall(text)):
        return Lead("number", numbers, start, start + len(text))
    stems = content_stems(text)
    if stems and stems <= question_stems:
        return Lead("option", stems, start, start + len(text))
    return None


def other_lead(stated: Lead, answered: Lead) -> bool:
    """Whether an answer's opening short answer is another one than the claim's: the opposite yes or no, another
    number, another of the question's options."""
    return stated.kind == answered.kind and not stated.values & answered.values


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
