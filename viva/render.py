"""Rich rendering of bank objects for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table

from viva.bank.areas import AREAS
from viva.bank.schema import Question

console = Console()
DIFFICULTY = {1: "junior", 2: "mid", 3: "senior"}


def question_table(questions: Sequence[Question]) -> None:
    table = Table(title=f"{len(questions)} questions", show_lines=False)
    for col in ("id", "area", "topic", "level", "kind", "question"):
        table.add_column(col, overflow="fold")
    for q in questions:
        text = q.question if len(q.question) < 90 else q.question[:87] + "..."
        table.add_row(q.id, q.area, q.topic, DIFFICULTY[q.difficulty], q.kind.value, text)
    console.print(table)


def question_detail(q: Question, source: str = "") -> None:
    title = f"{q.id}  [dim]{AREAS[q.area].title} · {q.topic} · {DIFFICULTY[q.difficulty]} · {q.kind.value}[/dim]"
    console.print(Panel(q.question, title=title, title_align="left", subtitle=source, subtitle_align="right"))
    points = Table("key point", "weight", "probe", title="Rubric", show_lines=True)
    for p in q.key_points:
        points.add_row(f"[bold]{p.id}[/bold]: {p.text}", f"{p.weight:g}", p.probe)
    console.print(points)
    wrong = Table("misconception", "why it is wrong", title="Red flags", show_lines=True)
    for m in q.misconceptions:
        wrong.add_row(m.claim, m.why)
    console.print(wrong)
    console.print(Panel(Markdown(q.model_answer), title="Model answer", title_align="left"))
    if q.tags:
        console.print(f"[dim]tags: {', '.join(q.tags)}[/dim]")


def stats_tables(stats: dict[str, Any]) -> None:
    kinds = sorted({k for s in stats["areas"].values() for k in s["kind"]})
    table = Table(title=f"{stats['total']} questions (bank version {stats['version']})")
    for col in ("area", "total", "junior", "mid", "senior", *kinds):
        table.add_column(col, justify="left" if col == "area" else "right")
    for area_id, s in stats["areas"].items():
        d = s["difficulty"]
        table.add_row(
            area_id, str(s["total"]), str(d["1"]), str(d["2"]), str(d["3"]), *(str(s["kind"].get(k, 0)) for k in kinds)
        )
    console.print(table)
    topics = Table("area", "topic", "questions", title="Topics")
    for area_id, s in stats["areas"].items():
        for topic, n in s["topics"].items():
            topics.add_row(area_id, topic, str(n))
    console.print(topics)
