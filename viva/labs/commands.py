"""`viva lab list|show|start|hint|submit`: the CLI edge of the coding labs."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from viva.errors import Problem, VivaError


@click.group("lab")
def lab_group() -> None:
    """Coding labs: implement LLM building blocks by hand, graded by hidden tests in a sandbox."""


@lab_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def lab_list(fmt: str) -> None:
    """Every exercise, with its topics and your best result."""
    from viva.labs.exercise import load_exercises
    from viva.labs.progress import best_scores
    from viva.store import open_store

    exercises = load_exercises()
    best = best_scores(open_store())
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "title": e.title,
                        "difficulty": e.difficulty,
                        "topics": e.topics,
                        "best_score": best.get(e.id),
                    }
                    for e in exercises.values()
                ],
                indent=2,
            )
        )
        return
    table = Table("id", "title", "level", "topics", "best")
    for e in exercises.values():
        score = best.get(e.id)
        table.add_row(e.id, e.title, str(e.difficulty), ", ".join(e.topics), "—" if score is None else f"{score:.0f}%")
    Console().print(table)


@lab_group.command("show")
@click.argument("exercise_id")
def lab_show(exercise_id: str) -> None:
    """The statement, signature and visible examples."""
    from viva.labs.exercise import get_exercise

    e = get_exercise(exercise_id)
    console = Console()
    console.print(Panel(Markdown(e.statement), title=f"{e.id}: {e.title}", title_align="left"))
    console.print(f"[bold]Signature:[/bold] {e.signature}")
    for ex in e.examples:
        console.print(f"  >>> {ex.call}\n  {ex.result}")
    console.print(f"[dim]Topics: {', '.join(e.topics)}. `viva lab start {e.id}` writes the starter file.[/dim]")


@lab_group.command("start")
@click.argument("exercise_id")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Where to write the starter (default ID.py).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def lab_start(exercise_id: str, output: Path | None, force: bool) -> None:
    """Write the starter code to a file and show the exercise."""
    from viva.labs.exercise import get_exercise

    e = get_exercise(exercise_id)
    path = output or Path(f"{e.id.replace('-', '_')}.py")
    if path.exists() and not force:
        raise VivaError(Problem(str(path), "already exists", "pass --force to overwrite it, or --output another path"))
    path.write_text(e.starter, encoding="utf-8")
    lab_show.callback(exercise_id)  # type: ignore[misc]
    click.echo(f"\nStarter written to {path}. Submit with: viva lab submit {e.id} {path}")


@lab_group.command("hint")
@click.argument("exercise_id")
def lab_hint(exercise_id: str) -> None:
    """The next hint (three levels, from a nudge to nearly the answer)."""
    from viva.labs.exercise import get_exercise
    from viva.labs.progress import next_hint_level
    from viva.store import open_store

    e = get_exercise(exercise_id)
    level = next_hint_level(open_store(), e.id, len(e.hints))
    click.echo(f"Hint {level} of {len(e.hints)}: {e.hints[level - 1]}")


@lab_group.command("submit")
@click.argument("exercise_id")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, envvar="VIVA_LAB_STRICT", help="Refuse to run without full isolation.")
def lab_submit(exercise_id: str, file: Path, fmt: str, strict: bool) -> None:
    """Run your solution against the hidden tests in the sandbox."""
    from viva.labs.exercise import get_exercise
    from viva.labs.grade import grade_submission
    from viva.labs.progress import record_attempt

    e = get_exercise(exercise_id)
    try:
        code = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise VivaError(Problem(str(file), f"cannot read ({err})", "pass the path of your .py file")) from None
    from viva.store import open_store

    result = grade_submission(e, code, strict=strict)
    record_attempt(open_store(), e, result)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    _print_result(result)


def _print_result(result: object) -> None:
    from viva.labs.grade import LabResult

    assert isinstance(result, LabResult)
    console = Console()
    colour = "green" if result.verdict == "passed" else "red"
    console.print(
        f"[bold {colour}]{result.verdict.upper()}[/]  {result.passed}/{len(result.tests)} tests, "
        f"{result.duration_ms} ms"
    )
    for t in result.tests:
        mark = "[green]✓[/]" if t["passed"] else "[red]✗[/]"
        console.print(f" {mark} {t['name']}" + (f": {t['message']}" if t.get("message") else ""))
    if result.message:
        console.print(Syntax(result.message, "text", word_wrap=True))
    console.print(f"[dim]Isolation: {result.isolation}[/dim]")
