"""How the answer is said: structure, concision, trade-offs named, filler. Signals, not a verdict on content."""

from __future__ import annotations

import re

from viva.grading.result import Communication
from viva.text import segments, words

_SIGNPOSTS = re.compile(
    r"\b(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|then|next|finally|lastly|in short|to summari[sz]e|overall|"
    r"the (?:main|key) (?:reason|idea|point)|there are (?:two|three|four|\d) |step \d|on one hand|"
    r"to start|in summary)\b",
    re.IGNORECASE,
)
_LISTS = re.compile(r"(?m)^\s*(?:[-*•]|\d+[.)])\s+")
_TRADEOFFS = re.compile(
    r"\b(?:trade-?offs?|but|however|whereas|although|on the other hand|at the (?:cost|expense) of|depends on|"
    r"it depends|downside|upside|cost of|in exchange|versus|vs\.?|alternatively|instead|the catch|drawback|"
    r"risk|unless|worse|better)\b",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"\b(?:um+|uh+|erm|like|basically|you know|sort of|kind of|actually|literally|i mean|stuff|whatever|"
    r"just|so yeah)\b",
    re.IGNORECASE,
)


def communication(answer: str) -> Communication:
    n = len(words(answer))
    sentences = segments(answer)
    signposts = len(_SIGNPOSTS.findall(answer)) + len(_LISTS.findall(answer))
    structure = min(1.0, 0.25 * signposts + (0.25 if len(sentences) >= 3 else 0.0))
    if n < 25:
        concision = n / 25
    elif n <= 350:
        concision = 1.0
    else:
        concision = max(0.2, 1.0 - (n - 350) / 700)
    tradeoffs = min(1.0, len(_TRADEOFFS.findall(answer)) / 2)
    filler = min(1.0, len(_FILLER.findall(answer)) / max(n, 1) * 10)
    score = 100 * (0.35 * structure + 0.3 * concision + 0.25 * tradeoffs + 0.1 * (1 - filler))
    return Communication(
        score=round(score, 1),
        structure=round(structure, 2),
        concision=round(concision, 2),
        tradeoffs=round(tradeoffs, 2),
        filler=round(filler, 2),
        words=n,
        tips=_tips(n, structure, tradeoffs, filler),
    )


def _tips(n: int, structure: float, tradeoffs: float, filler: float) -> list[str]:
    tips = []
    if n < 25:
        tips.append("Say more: give the mechanism and one concrete example, not just the headline.")
    elif n > 350:
        tips.append("Tighten it: lead with the answer in one sentence, then the two or three reasons that matter most.")
    if structure < 0.5 and n >= 25:
        tips.append('Signpost your structure ("there are three parts: first... then... finally...").')
    if tradeoffs < 0.5 and n >= 25:
        tips.append("Name a trade-off: what your choice costs, and when you would choose differently.")
    if filler > 0.3:
        tips.append("Cut filler words (basically, like, you know); pause instead.")
    return tips
