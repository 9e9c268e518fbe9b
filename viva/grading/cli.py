"""The I/O edge of `viva grade`: read lines, grade in batches, write results in order."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rich.console import Console

from viva.errors import Problem, VivaError
from viva.grading.batch import MAX_ANSWER_CHARS, Failure, Job, parse, parse_examples, result_row, with_examples
from viva.llm.service import JudgedGrader

CHUNK = 64  # answers embedded together: large enough to batch well, small enough to stream results


def grade_one(
    question_id: str,
    answer: str | None,
    fmt: str,
    banks: tuple[Path, ...],
    llm_url: str | None = None,
    llm_model: str | None = None,
    examples_path: str | None = None,
) -> None:
    from viva.bank.loader import load_bank
    from viva.feedback import print_report
    from viva.grading.batch import examples_for
    from viva.grading.rubric import Rubric
    from viva.llm.service import grader_for

    bank = load_bank(banks)
    question = bank.get(question_id)
    examples = parse_examples(_read_lines(examples_path), examples_path, bank) if examples_path else {}
    rubric = examples_for(Rubric.of(question), examples)
    text = sys.stdin.read() if answer in (None, "-") else answer
    assert text is not None
    if not text.strip():
        raise VivaError(Problem("--answer", "the answer is empty", "pass the text with --answer, or pipe it in"))
    if len(text) > MAX_ANSWER_CHARS:
        raise VivaError(Problem("--answer", f"longer than {MAX_ANSWER_CHARS:,} characters", "shorten the answer"))
    grader = grader_for(llm_url, llm_model)
    try:
        grade = grader.grade(rubric, text)
    finally:
        grader.close()
    if fmt == "json":
        sys.stdout.write(grade.model_dump_json(indent=2) + "\n")
        return
    console = Console()
    console.print(f"[bold]{question.id}[/bold]: {question.question}\n")
    print_report(console, rubric, text, grade)


def grade_batch(
    input_path: str,
    output: str,
    progress: bool | None,
    banks: tuple[Path, ...],
    llm_url: str | None = None,
    llm_model: str | None = None,
    examples_path: str | None = None,
) -> int:
    from viva.bank.loader import load_bank
    from viva.llm.service import grader_for

    lines = _read_lines(input_path)
    bank = load_bank(banks)
    examples = parse_examples(_read_lines(examples_path), examples_path, bank) if examples_path else {}
    parsed = with_examples(list(parse(lines, bank)), examples)
    grader = grader_for(llm_url, llm_model)
    try:
        return _write_results(parsed, output, progress, grader)
    finally:
        grader.close()


def _write_results(parsed: list[Job | Failure], output: str, progress: bool | None, grader: JudgedGrader) -> int:
    failures = sum(isinstance(p, Failure) for p in parsed)
    show = progress if progress is not None else (sys.stderr.isatty() and len(parsed) > CHUNK)
    with _open_output(output) as out, _progress(show, len(parsed)) as advance:
        for start in range(0, len(parsed), CHUNK):
            chunk = parsed[start : start + CHUNK]
            jobs = [p for p in chunk if isinstance(p, Job)]
            grades = iter(grader.grade_many([(j.rubric, j.answer) for j in jobs]) if jobs else [])
            for item in chunk:
                row = item.row() if isinstance(item, Failure) else result_row(item, next(grades))
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
            advance(len(chunk))
    if failures:
        print(f"{failures} of {len(parsed)} line(s) could not be graded; see their 'error' fields", file=sys.stderr)
    return 1 if failures else 0


def _read_lines(path: str) -> list[str]:
    try:
        if path == "-":
            return sys.stdin.read().splitlines()
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise VivaError(Problem(path, "no such file", "check the path, or pass '-' to read standard input")) from None
    except UnicodeDecodeError as e:
        raise VivaError(Problem(path, f"not UTF-8 text ({e.reason})", "save the file as UTF-8 JSON Lines")) from None
    except OSError as e:
        raise VivaError(Problem(path, f"cannot read ({e.strerror})", "check the path and permissions")) from None


@contextmanager
def _open_output(output: str) -> Iterator[IO[str]]:
    if output == "-":
        yield sys.stdout
        return
    try:
        handle = Path(output).open("w", encoding="utf-8")  # noqa: SIM115 - closed below; open errors are reported
    except OSError as e:
        raise VivaError(Problem(output, f"cannot write ({e.strerror})", "choose a writable --output path")) from None
    with handle:
        yield handle


@contextmanager
def _progress(show: bool, total: int) -> Iterator[Callable[[int], object]]:
    if not show:
        yield lambda n: None
        return
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("grading", total=total)
        yield lambda n: bar.advance(task, n)
