"""Feedback on one graded answer, for the terminal: the candidate's own words highlighted per key point."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from viva.grading.result import Grade
from viva.grading.rubric import Rubric

FLAG_NOTES = {
    "injection": "Instructions or verdicts inside the answer were ignored; they never change a grade.",
    "off_topic": "The answer does not address this question.",
    "too_short": "The answer is very short; say more so it can be graded fairly.",
    "keyword_stuffing": "Lists of key terms earn nothing on their own: explain what each one does and why.",
    "contradiction": "Part of the answer states the opposite of a key point.",
    "llm_unavailable": "The LLM judge was unavailable; this is the offline grade.",
}


def highlighted_answer(answer: str, grade: Grade) -> Text:
    text = Text(answer)
    for p in grade.points:
        if p.span is not None:
            text.stylize("bold green" if p.covered else "bold red", p.span.start, p.span.end)
    for m in grade.misconceptions:
        if m.span is not None:
            text.stylize("bold yellow", m.span.start, m.span.end)
    for s in grade.injection:
        text.stylize("strike dim", s.start, s.end)
    return text


def grade_report(rubric: Rubric, answer: str, grade: Grade, *, model_answer: str | None = None) -> RenderableType:
    texts = {p.id: p.texts[0] for p in rubric.points}
    points = Table(show_header=True, header_style="bold", expand=True, show_lines=True)
    points.add_column("", width=2)
    points.add_column("key point", ratio=3)
    points.add_column("your words", ratio=2)
    for p in grade.points:
        mark, words = ("[green]✓[/]", p.evidence or "") if p.covered else ("[red]✗[/]", "")
        if p.contradicted:
            mark, words = "[red]≠[/]", f"[red]{p.span.text if p.span else ''}[/] (says the opposite)"
        points.add_row(mark, texts.get(p.id, p.id), words)
    parts: list[RenderableType] = [
        Text.assemble(
            ("Score ", "bold"),
            (f"{grade.score:.0f}/100", "bold cyan"),
            f"   communication {grade.communication.score:.0f}/100   ",
            (grade.grader, "dim"),
        ),
        *(
            [Text("  ".join(f"{name}: {score:.0f}" for name, score in grade.graders.items()), style="dim")]
            if grade.graders
            else []
        ),
        points,
    ]
    if grade.examples is not None:
        nearest = ", ".join(
            f"#{m.index + 1} graded {100 * m.score:.0f} (similarity {m.similarity:.2f})" for m in grade.examples.nearest
        )
        parts.append(
            Text(
                f"Scored with {len(rubric.examples)} graded answers to this question: the key points alone give "
                f"{grade.examples.rubric_score:.0f}; the most similar graded answers: {nearest}.",
                style="dim",
            )
        )
    for m in grade.misconceptions:
        parts.append(Text.assemble(("Misconception: ", "bold yellow"), m.evidence, "\n  ", ("Why: ", "bold"), m.why))
    notes = [FLAG_NOTES[f] for f in grade.flags if f in FLAG_NOTES] + list(grade.notes)
    tips = grade.communication.tips
    if notes or tips:
        parts.append(Text("\n".join(f"• {n}" for n in [*notes, *tips]), style="dim"))
    if model_answer:
        parts.append(Panel(model_answer, title="What a strong answer sounds like", title_align="left"))
    return Group(*parts)


def print_report(console: Console, rubric: Rubric, answer: str, grade: Grade, model_answer: str | None = None) -> None:
    console.print(Panel(highlighted_answer(answer, grade), title="Your answer", title_align="left"))
    console.print(grade_report(rubric, answer, grade, model_answer=model_answer))
