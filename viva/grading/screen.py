"""Answer text is untrusted data. Find instructions and fake verdicts in it, flag them, and grade without them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from viva.grading.result import Span

# Each pattern matches the whole injected span, so removing it leaves the candidate's real answer intact.
_PATTERNS = [
    re.compile(p, re.IGNORECASE | re.DOTALL)
    for p in (
        r"<!--.*?(?:-->|$)",  # HTML comments: invisible when rendered, visible to a model
        r"<\|[a-z_]+\|>[^\n]*",  # chat-template control tokens
        r"\[/?(?:INST|SYS)\][^\n]*",
        # A JSON verdict: verdict-like keys, or a score of 100 / 10 / 1.0; {"score": 4, "reason": ...} in an answer
        # about LLM judges is just an example.
        r"\{[^{}]*\"?(?:verdict|covered|all_covered|passed?|pass_fail|grade)\"?\s*:[^{}]*\}",
        r"\{[^{}]*\"?(?:score|points?|result)\"?\s*:\s*\"?(?:100|10|1\.0|full|max|perfect|pass(?:ed)?|correct)\b[^{}]*\}",
        r"\bnote to (?:the )?(?:ai|model|grader|assistant|llm|evaluator|judge)\b\s*:?",
        r"(?:^|\n|(?<=[.!?;])\s)\s*(?:system|assistant|grader|evaluator|developer)\s*(?:prompt|message|note)?\s*[:>][^\n]*",
        r"\b(?:ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|all|your|the|"
        r"these|any)\b[^.\n]{0,40}?\b(?:instructions?|prompts?|rules?|rubrics?|guidelines?|directions?)\b[^.\n]*[.!]?",
        r"\byou are (?:now )?(?:a|an|the)?\s*(?:[a-z]+\s+)?(?:grader|evaluator|judge|assistant|model|marker)\b[^\n]*",
        r"\b(?:mark|treat|count|consider)\b[^.\n]{0,25}?\b(?:all|every|each)\b[^.\n]{0,25}?\b(?:points?|criteria)\b"
        r"[^.\n]{0,25}?\b(?:covered|met|correct|present|satisfied)\b[^.\n]*[.!]?",
        r"\b(?:output|return|print|respond with)\b[^.\n]{0,20}?\b(?:score|grade)\b[^.\n]{0,10}?"
        r"\b(?:100|10/10|full)\b[^.\n]*",
        r"\b(?:give|award|assign|grade|rate|score|mark)\b[^.\n]{0,30}?\b(?:this|the|my|me)\b[^.\n]{0,30}?"
        r"\b(?:100|full marks?|full score|maximum|max|top marks?|perfect|10/10|a\+)[^.\n]*[.!]?",
        r"\b(?:score|grade|verdict|rating)\s*[:=]\s*(?:100|10/10|pass(?:ed)?|correct|full|perfect|a\+)(?!\w|\.\d)[^\n]*",
        r"\b(?:new|updated) instructions?\s*:[^\n]*",
        r"\ball key points? (?:are|were) (?:covered|met|present)\b[^.\n]*[.!]?",
    )
]


@dataclass(frozen=True)
class Screened:
    text: str  # the answer with injected spans blanked out (same length, so offsets still point into the original)
    spans: list[Span]

    @property
    def injected(self) -> bool:
        return bool(self.spans)


def screen(answer: str) -> Screened:
    hits: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        hits.extend(m.span() for m in pattern.finditer(answer) if m.end() > m.start())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(hits):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    chars = list(answer)
    for start, end in merged:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    spans = [Span(start=s, end=e, text=answer[s:e].strip()) for s, e in merged]
    return Screened("".join(chars), spans)
