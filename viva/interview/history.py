"""Past sessions for reading: the history list, one session's transcript with grades, and shareable reports.

Candidate answers are untrusted text: the HTML report escapes every piece of it, the Markdown report escapes the
characters that would turn it into markup.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from viva.bank.areas import AREAS
from viva.bank.loader import Bank
from viva.bank.schema import Question
from viva.feedback import FLAG_NOTES
from viva.interview import records
from viva.store.db import Store

LEVEL = {1: "junior", 2: "mid", 3: "senior"}


# -- the history list -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionSummary:
    id: str
    kind: str
    status: str
    started: str  # ISO UTC
    answered: int  # finished questions that were not skipped
    finished: int  # finished questions, skipped ones included
    mean_score: float | None  # over finished questions (a skip scores 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "started": self.started,
            "answered": self.answered,
            "finished": self.finished,
            "mean_score": self.mean_score,
        }


def summaries(store: Store, user_id: str = records.LOCAL_USER, limit: int = 50) -> list[SessionSummary]:
    """Sessions newest first, each with how many questions were answered and their mean score."""
    by_session: dict[str, list[records.AttemptRow]] = defaultdict(list)
    for a in records.attempts(store, user_id, grades=False):
        by_session[a.session_id].append(a)
    out = []
    for s in records.list_sessions(store, user_id, limit):
        rows = by_session.get(s.id, [])
        mean = round(sum(a.score for a in rows) / len(rows), 1) if rows else None
        answered = sum(not a.skipped for a in rows)
        out.append(SessionSummary(s.id, s.kind, s.status, s.created_at, answered, len(rows), mean))
    return out


def when(stamp: str) -> str:
    """'2026-11-29T11:17:50.206+00:00' -> '2026-11-29 11:17 UTC' (stamps are stored in UTC)."""
    return stamp[:16].replace("T", " ") + " UTC"


# -- one session, ready to render -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PointLine:
    text: str
    weight: float
    evidence: str | None
    contradicted: bool = False


@dataclass(frozen=True)
class QuestionView:
    number: int
    id: str
    text: str
    area: str  # the area's title
    where: str  # "LLM fundamentals · tokenization · mid"
    exchanges: list[tuple[str, str, str]]  # (kind, prompt, answer)
    score: float | None  # None: not finished
    skipped: bool
    hints: int
    covered: list[PointLine]
    missed: list[PointLine]
    misconceptions: list[tuple[str, str, str]]  # (claim, why, the candidate's words)
    notes: list[str]  # grader flags and communication tips

    @property
    def verdict(self) -> str:
        if self.score is None:
            return "not finished"
        hints = f" ({self.hints} hint{'s' if self.hints != 1 else ''})" if self.hints else ""
        return ("skipped" if self.skipped else f"score {self.score:.0f}/100") + hints


@dataclass(frozen=True)
class SessionView:
    id: str
    kind: str
    status: str
    started: str
    grader: str
    bank_version: str
    questions: list[QuestionView]

    @property
    def finished(self) -> list[QuestionView]:
        return [q for q in self.questions if q.score is not None]

    @property
    def mean_score(self) -> float | None:
        done = self.finished
        return sum(q.score or 0.0 for q in done) / len(done) if done else None

    def by_area(self) -> list[tuple[str, int, float]]:
        """(area title, finished questions, mean score) in the order the areas were first asked."""
        scores: dict[str, list[float]] = defaultdict(list)
        for q in self.finished:
            scores[q.area].append(q.score or 0.0)
        return [(area, len(s), sum(s) / len(s)) for area, s in scores.items()]


def session_view(record: dict[str, Any], bank: Bank) -> SessionView:
    """The JSON record (`transcript.session_record`) joined with the bank's wording of each question and point."""
    questions = [_question_view(i, q, bank) for i, q in enumerate(record["questions"], 1)]
    return SessionView(
        record["session_id"],
        record["kind"],
        record["status"],
        record["created_at"],
        record["grader"],
        record["bank_version"],
        questions,
    )


def _question_view(number: int, q: dict[str, Any], bank: Bank) -> QuestionView:
    question = bank.questions.get(q["question_id"])
    answers = q["answers"]
    text = question.question if question else (answers[0]["prompt"] if answers else q["question_id"])
    area = q.get("area") or (question.area if question else "")
    topic = q.get("topic") or (question.topic if question else "")
    level = q.get("difficulty") or (int(question.difficulty) if question else 0)
    title = AREAS[area].title if area in AREAS else area
    grade = q.get("grade") or {}
    covered, missed = _points(grade, question)
    notes = [FLAG_NOTES[f] for f in grade.get("flags", []) if f in FLAG_NOTES]
    notes += grade.get("communication", {}).get("tips", [])
    return QuestionView(
        number=number,
        id=q["question_id"],
        text=text,
        area=title,
        where=" · ".join(x for x in (title, topic, LEVEL.get(level, "")) if x),
        exchanges=[(a["kind"], a["prompt"], a["text"]) for a in answers],
        score=q["score"],
        skipped=q["skipped"],
        hints=q["hints"],
        covered=covered,
        missed=missed,
        misconceptions=[(m["text"], m.get("why", ""), m.get("evidence", "")) for m in grade.get("misconceptions", [])],
        notes=notes,
    )


def _points(grade: dict[str, Any], question: Question | None) -> tuple[list[PointLine], list[PointLine]]:
    """Covered and missed key points in the bank's words (the grade holds only their ids); missed heaviest first."""
    rubric = {p.id: p for p in question.key_points} if question else {}
    covered: list[PointLine] = []
    missed: list[PointLine] = []
    for p in grade.get("points", []):
        kp = rubric.get(p["id"])
        line = PointLine(
            kp.text if kp else p["id"], kp.weight if kp else 1.0, p.get("evidence"), bool(p.get("contradicted"))
        )
        (covered if p["covered"] else missed).append(line)
    return covered, sorted(missed, key=lambda p: -p.weight)


# -- plain text (`viva show`) -----------------------------------------------------------------------------------
WIDTH = 100


def _wrap(text: str, indent: str, hang: int = 0) -> list[str]:
    """Wrap each paragraph at WIDTH; `hang` indents continuation lines further (past a "✓ " marker)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        wrapped = textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=indent + " " * hang)
        lines += wrapped or [""]
    return lines


def _mean(view: SessionView) -> str:
    mean = view.mean_score
    return "no finished questions" if mean is None else f"mean score {mean:.0f}/100"


def show_text(view: SessionView) -> str:
    out = [
        f"Session {view.id} · {view.kind} · {view.status} · started {when(view.started)}",
        f"{len(view.finished)} question(s) finished · {_mean(view)} · graded by {view.grader} "
        f"(bank {view.bank_version})",
    ]
    for q in view.questions:
        out += ["", f"Question {q.number} · {q.where} · {q.id}", *_wrap(q.text, "  ")]
        for kind, prompt, answer in q.exchanges:
            if kind == "follow_up":
                out += _wrap(f"Follow-up: {prompt}", "  ")
            out += ["  Answer:", *_wrap(answer, "    ")]
        out.append(f"  → {q.verdict}")
        out += [line for p in q.covered for line in _wrap(f"✓ {p.text}" + _evidence(p), "    ", 2)]
        out += [line for p in q.missed for line in _wrap(f"✗ {p.text} (weight {p.weight:g})", "    ", 2)]
        for claim, why, said in q.misconceptions:
            out += _wrap(f'! Misconception: "{said}" — {claim}: {why}', "    ", 2)
        out += [line for n in q.notes for line in _wrap(f"• {n}", "    ", 2)]
    return "\n".join(out)


def _evidence(p: PointLine) -> str:
    if p.contradicted:
        return " (says the opposite)"
    return f' — "{p.evidence}"' if p.evidence else ""


# -- Markdown (`viva export --format md`) -----------------------------------------------------------------------
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>#|])")


def md_escape(text: str) -> str:
    """Untrusted text as literal Markdown: no tags, links, emphasis or headings can come from it."""
    return _MD_ACTIVE.sub(r"\\\1", text)


def _quote(text: str) -> list[str]:
    return [f"> {md_escape(line)}" if line.strip() else ">" for line in text.splitlines() or [""]]


def export_markdown(view: SessionView) -> str:
    out = [
        f"# viva {view.kind} report — session {view.id}",
        "",
        f"- Started {when(view.started)} · status {view.status}",
        f"- {len(view.finished)} question(s) finished · {_mean(view)}",
        f"- Graded by {view.grader} against bank version {view.bank_version}",
    ]
    if view.by_area():
        out += ["", "| area | questions | mean score |", "|---|---:|---:|"]
        out += [f"| {area} | {n} | {mean:.0f} |" for area, n, mean in view.by_area()]
    for q in view.questions:
        out += ["", f"## {q.number}. {q.text}", "", f"*{q.where} · `{q.id}`* — **{q.verdict}**"]
        for kind, prompt, answer in q.exchanges:
            out += ["", f"**Follow-up:** {prompt}" if kind == "follow_up" else "**Answer**", "", *_quote(answer)]
        out += _md_points(q)
    return "\n".join(out) + "\n"


def _md_points(q: QuestionView) -> list[str]:
    out: list[str] = []
    if q.covered:
        out += ["", "**Covered**", ""]
        out += [f"- ✓ {p.text}" + md_escape(_evidence(p)) for p in q.covered]
    if q.missed:
        out += ["", "**Missed**", ""]
        out += [f"- ✗ {p.text} (weight {p.weight:g})" for p in q.missed]
    if q.misconceptions:
        out += ["", "**Misconceptions**", ""]
        out += [f"- {claim} — {why} (you said: “{md_escape(said)}”)" for claim, why, said in q.misconceptions]
    if q.notes:
        out += ["", "**Tips**", ""] + [f"- {n}" for n in q.notes]
    return out


# -- HTML (`viva export --format html`): one self-contained file ------------------------------------------------
# nothing in these pages runs or loads: a script that slipped through escaping would be blocked too
_CSP = """<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">"""
_CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2.5rem;border-top:1px solid #ddd;padding-top:1rem}
.meta{color:#666}.score{font-weight:bold}blockquote{white-space:pre-wrap;margin:.5rem 0;padding:.5rem 1rem;
background:#f6f6f6;border-left:3px solid #bbb}table{border-collapse:collapse}td,th{padding:.2rem .8rem;
border-bottom:1px solid #eee;text-align:left}.ok{color:#17803d}.miss{color:#b42318}ul{padding-left:1.2rem}
"""


def export_html(view: SessionView) -> str:
    e = html.escape
    body = [
        f"<h1>viva {e(view.kind)} report — session {e(view.id)}</h1>",
        f'<p class="meta">Started {e(when(view.started))} · status {e(view.status)} · '
        f"{len(view.finished)} question(s) finished · {e(_mean(view))}<br>"
        f"Graded by {e(view.grader)} against bank version {e(view.bank_version)}</p>",
    ]
    if view.by_area():
        rows = "".join(f"<tr><td>{e(a)}</td><td>{n}</td><td>{m:.0f}</td></tr>" for a, n, m in view.by_area())
        body.append(f"<table><tr><th>area</th><th>questions</th><th>mean score</th></tr>{rows}</table>")
    for q in view.questions:
        body += [
            f"<section><h2>{q.number}. {e(q.text)}</h2>",
            f'<p class="meta">{e(q.where)} · <code>{e(q.id)}</code> — <span class="score">{e(q.verdict)}</span></p>',
        ]
        for kind, prompt, answer in q.exchanges:
            label = f"Follow-up: {e(prompt)}" if kind == "follow_up" else "Answer"
            body.append(f"<p><strong>{label}</strong></p><blockquote>{e(answer)}</blockquote>")
        body += [*_html_points(q), "</section>"]
    return _page(f"viva session {view.id}", "\n".join(body))


def _html_points(q: QuestionView) -> list[str]:
    e = html.escape
    out: list[str] = []
    if q.covered:
        items = "".join(f'<li class="ok">✓ {e(p.text)}{e(_evidence(p))}</li>' for p in q.covered)
        out.append(f"<p><strong>Covered</strong></p><ul>{items}</ul>")
    if q.missed:
        items = "".join(f'<li class="miss">✗ {e(p.text)} (weight {p.weight:g})</li>' for p in q.missed)
        out.append(f"<p><strong>Missed</strong></p><ul>{items}</ul>")
    if q.misconceptions:
        items = "".join(
            f"<li>{e(claim)} — {e(why)} (you said: “{e(said)}”)</li>" for claim, why, said in q.misconceptions
        )
        out.append(f"<p><strong>Misconceptions</strong></p><ul>{items}</ul>")
    if q.notes:
        out.append("<p><strong>Tips</strong></p><ul>" + "".join(f"<li>{e(n)}</li>" for n in q.notes) + "</ul>")
    return out


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{_CSP}<style>{_CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )
