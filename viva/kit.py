"""`viva kit`: a printable pack for a human interviewer — questions, key points with weights, probes, red flags
and a score sheet — chosen from the same bank and rubrics the grader uses."""

from __future__ import annotations

import html
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from viva.bank.areas import AREA_IDS, AREAS
from viva.bank.loader import Bank
from viva.bank.schema import Question
from viva.bank.select import filter_questions
from viva.errors import Problem, VivaError
from viva.interview.plan import job_weights

LEVEL = {1: "junior", 2: "mid", 3: "senior"}
SHOWN_WEIGHTS = 8  # the heaviest topics a job description weighted, listed in the kit's header


@dataclass(frozen=True)
class Kit:
    questions: list[Question]
    seed: int
    areas: tuple[str, ...]
    difficulty: int | None
    requested: int
    weights: dict[str, float] = field(default_factory=dict)  # from the job description: "area" or "area/topic"
    from_job: bool = False

    def weight_of(self, q: Question) -> float:
        return self.weights.get(f"{q.area}/{q.topic}", 1.0) * self.weights.get(q.area, 1.0)

    @property
    def weighted(self) -> list[str]:
        """The topics the job description weighted, heaviest first: 'system_design/rag ×3'."""
        topics = sorted(((k, w) for k, w in self.weights.items() if "/" in k), key=lambda kw: (-kw[1], kw[0]))
        return [f"{k} ×{w:g}" for k, w in topics]


def read_job(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or "not UTF-8 text"
        raise VivaError(
            Problem(str(path), f"cannot read the job description ({reason})", "check the --job path")
        ) from None


def build_kit(
    bank: Bank,
    areas: Sequence[str] = (),
    questions: int = 5,
    difficulty: int | None = None,
    job: str | None = None,
    seed: int | None = None,
) -> Kit:
    """Pick `questions` distinct questions, spread over the areas and weighted by the job description if given."""
    candidates = filter_questions(bank, areas=areas, difficulty=difficulty)  # an unknown area is reported here
    chosen_areas = tuple(areas) or AREA_IDS
    if not candidates:
        level = f" at difficulty {difficulty}" if difficulty else ""
        raise VivaError(
            Problem("kit", f"no questions in {', '.join(chosen_areas)}{level}", "choose other areas or a difficulty")
        )
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    weights = job_weights(job, bank, chosen_areas) if job is not None else {}
    kit = Kit([], seed, chosen_areas, difficulty, questions, weights, job is not None)
    rng = random.Random(seed)
    picked: list[Question] = []
    while candidates and len(picked) < questions:
        # rotate through the areas: each question already taken from an area makes the next one less likely
        spread = [1.0 / (1 + 2 * sum(p.area == q.area for p in picked)) for q in candidates]
        q = rng.choices(candidates, weights=[kit.weight_of(q) * s for q, s in zip(candidates, spread, strict=True)])[0]
        picked.append(q)
        candidates.remove(q)
    order = {a: i for i, a in enumerate(AREA_IDS)}
    picked.sort(key=lambda q: (order[q.area], int(q.difficulty), q.topic, q.id))
    return Kit(picked, seed, chosen_areas, difficulty, questions, weights, job is not None)


def _header_lines(kit: Kit) -> list[str]:
    areas = "all seven areas" if set(kit.areas) == set(AREA_IDS) else ", ".join(AREAS[a].title for a in kit.areas)
    level = LEVEL[kit.difficulty] if kit.difficulty else "mixed difficulty"
    lines = [f"{len(kit.questions)} questions · {areas} · {level} · seed {kit.seed} (rerun with --seed {kit.seed})"]
    if len(kit.questions) < kit.requested:
        lines.append(f"Only {len(kit.questions)} questions match; {kit.requested} were asked for.")
    if kit.from_job:
        lines.append(
            "Weighted by the job description: " + _first(kit.weighted, SHOWN_WEIGHTS)
            if kit.weighted
            else "The job description matched no topic: questions are unweighted."
        )
    lines.append(
        "For each question: ask it, listen, use a probe for any key point not yet made, tick the points made, "
        "note any red flag, and score it: the ticked weight ÷ the total weight × 100."
    )
    return lines


def _first(items: list[str], n: int) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _meta(kit: Kit, q: Question) -> str:
    text = f"{AREAS[q.area].title} · {q.topic} · {LEVEL[int(q.difficulty)]} · {q.kind.value} · {q.id}"
    weights = [f"{k} ×{kit.weights[k]:g}" for k in (f"{q.area}/{q.topic}", q.area) if k in kit.weights]
    return text + (" · weighted by the job description: " + ", ".join(weights) if weights else "")


# -- Markdown ---------------------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def kit_markdown(kit: Kit) -> str:
    out = ["# Interviewer kit", "", *(f"{line}  " for line in _header_lines(kit))]
    for n, q in enumerate(kit.questions, 1):
        out += ["", "---", "", f"## Question {n}", "", f"*{_meta(kit, q)}*", "", f"> {_cell(q.question)}", ""]
        out += ["### Key points and probes", ""]
        for p in q.key_points:
            share = 100 * p.weight / q.total_weight
            out += [f"- **{p.text}** — weight {p.weight:g} ({share:.0f}%)", f"  - Probe if missing: *{p.probe}*"]
        out += ["", "### Red flags", ""]
        out += [f"- **{m.claim}** — {m.why}" for m in q.misconceptions]
        out += ["", "### A strong answer", "", q.model_answer.strip(), "", "### Score sheet", ""]
        out += ["| made | key point | weight |", "|:---:|---|---:|"]
        out += [f"| ☐ | {_cell(p.text)} | {p.weight:g} |" for p in q.key_points]
        out += ["", f"Ticked weight ____ / {q.total_weight:g} → score ____ / 100 · red flags heard: ____", ""]
        out += ["Notes:", ""]
    out += ["---", "", "## Summary", "", "| # | question | score | notes |", "|---:|---|---:|---|"]
    out += [f"| {n} | {q.id} | ____ | |" for n, q in enumerate(kit.questions, 1)]
    out += ["", "Overall score ____ / 100 (the mean of the question scores)", "", "Decision and notes:", ""]
    return "\n".join(out) + "\n"


# -- HTML: one self-contained printable file --------------------------------------------------------------------
# nothing in these pages runs or loads: a script that slipped through escaping would be blocked too
_CSP = """<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">"""
_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
.meta{color:#555}.question{font-size:1.05rem;padding:.6rem 1rem;background:#f4f6fb;border-left:4px solid #2563eb}
.probe{color:#444;font-style:italic}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;
padding:.3rem .5rem;text-align:left;vertical-align:top}.box{width:2.5rem;text-align:center;font-size:1.2rem}
.num{width:4rem;text-align:right}.notes{height:5rem;border:1px solid #ccc}
@media print{section+section{break-before:page}body{margin:0}}
"""


def kit_html(kit: Kit) -> str:
    e = html.escape
    body = ["<h1>Interviewer kit</h1>", *(f'<p class="meta">{e(line)}</p>' for line in _header_lines(kit))]
    for n, q in enumerate(kit.questions, 1):
        points = "".join(
            f"<li><strong>{e(p.text)}</strong> — weight {p.weight:g} ({100 * p.weight / q.total_weight:.0f}%)"
            f'<br><span class="probe">Probe if missing: {e(p.probe)}</span></li>'
            for p in q.key_points
        )
        flags = "".join(f"<li><strong>{e(m.claim)}</strong> — {e(m.why)}</li>" for m in q.misconceptions)
        rows = "".join(
            f'<tr><td class="box">☐</td><td>{e(p.text)}</td><td class="num">{p.weight:g}</td></tr>'
            for p in q.key_points
        )
        body.append(
            f'<section><h2>Question {n}</h2><p class="meta">{e(_meta(kit, q))}</p>'
            f'<p class="question">{e(q.question)}</p>'
            f"<h3>Key points and probes</h3><ul>{points}</ul><h3>Red flags</h3><ul>{flags}</ul>"
            f'<h3>A strong answer</h3><p style="white-space:pre-wrap">{e(q.model_answer.strip())}</p>'
            f'<h3>Score sheet</h3><table><tr><th class="box">made</th><th>key point</th><th class="num">weight</th>'
            f"</tr>{rows}</table><p>Ticked weight ____ / {q.total_weight:g} → score ____ / 100 · red flags heard: "
            '____</p><p>Notes:</p><div class="notes"></div></section>'
        )
    summary = "".join(
        f'<tr><td class="num">{n}</td><td>{e(q.id)}</td><td class="num">____</td><td></td></tr>'
        for n, q in enumerate(kit.questions, 1)
    )
    body.append(
        '<section><h2>Summary</h2><table><tr><th class="num">#</th><th>question</th><th class="num">score</th>'
        f"<th>notes</th></tr>{summary}</table><p>Overall score ____ / 100 (the mean of the question scores)</p>"
        '<p>Decision and notes:</p><div class="notes"></div></section>'
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Interviewer kit</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{_CSP}<style>{_CSS}</style></head>\n"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
