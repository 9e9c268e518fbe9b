"""Wiring for `viva interview` and `viva review`: options -> plan -> session -> terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from viva.bank.loader import Bank, load_bank
from viva.bank.select import check_areas
from viva.errors import Problem, VivaError
from viva.interview import records
from viva.interview.plan import Plan, job_weights
from viva.interview.session import Session
from viva.interview.terminal import TerminalInterview, scripted_reader, terminal_reader
from viva.interview.transcript import session_record
from viva.store import Store, open_store


def read_answers_file(path: Path) -> list[str]:
    """A YAML or JSON list of answer strings (commands such as /skip allowed)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VivaError(Problem(str(path), "no such file", "check the --answers path")) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise VivaError(Problem(where, "not valid YAML or JSON", "write a list of answer strings")) from None
    if not isinstance(data, list) or not all(isinstance(a, str | int | float) for a in data):
        raise VivaError(Problem(str(path), "expected a list of answer strings", 'write e.g. ["first answer", "/skip"]'))
    return [str(a) for a in data]


def build_plan(
    bank: Bank,
    areas: tuple[str, ...],
    difficulty: str,
    questions: int,
    follow_ups: int,
    time_budget: int | None,
    job: Path | None,
    seed: int | None,
) -> tuple[Plan, list[str]]:
    chosen = tuple(check_areas(areas)) if areas else Plan().areas
    weights: dict[str, float] = {}
    if job is not None:
        try:
            description = job.read_text(encoding="utf-8")
        except OSError as e:
            raise VivaError(Problem(str(job), f"cannot read ({e.strerror})", "check the --job path")) from None
        weights = job_weights(description, bank, chosen)
    level = None if difficulty == "adaptive" else int(difficulty)
    import random

    plan = Plan(
        areas=chosen,
        difficulty=level,
        questions=questions,
        max_follow_ups=follow_ups,
        time_budget_s=time_budget,
        seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
        weights=weights,
    )
    described = [f"{k} ×{v:g}" for k, v in sorted(weights.items(), key=lambda kv: -kv[1]) if "/" in k]
    return plan, described


def run_interview(options: dict[str, Any]) -> int:
    scripted = options["answers"] is not None
    as_json = options["fmt"] == "json"
    console = Console(file=sys.stderr) if as_json else Console()
    bank = load_bank(options["banks"])
    store = open_store()
    grader, interviewer = _graders(options, store)
    if options["resume"] is not None:
        session = _resume(store, bank, options["resume"], grader)
        weighted: list[str] = []
    else:
        plan, weighted = build_plan(
            bank,
            options["areas"],
            options["difficulty"],
            options["questions"],
            options["follow_ups"],
            options["time_budget"],
            options["job"],
            options["seed"],
        )
        session = Session.start(store, bank, plan, grader.grade, grader.name, kind=options.get("kind", "interview"))
    session.interviewer = interviewer
    read = scripted_reader(read_answers_file(options["answers"]), console) if scripted else terminal_reader(console)
    try:
        TerminalInterview(session, console, read, weighted).run()
    finally:
        _close(grader, interviewer)
    if as_json:
        sys.stdout.write(json.dumps(session_record(store, session.id), indent=2) + "\n")
    return 0


def _graders(options: dict[str, Any], store: Store) -> tuple[Any, Any]:
    """The grader (offline, plus the LLM judge when configured) and the LLM interviewer (or None)."""
    from viva.llm.service import build_model, grader_for
    from viva.settings import llm_settings

    grader = grader_for(options.get("llm_url"), options.get("llm_model"), store)
    settings = llm_settings(options.get("llm_url"), options.get("llm_model"))
    return grader, build_model(settings, store, purpose="interviewer") if settings else None


def _close(*models: Any) -> None:
    for model in models:
        close = getattr(model, "close", None)
        if close is not None:
            close()


def _resume(store: Store, bank: Bank, which: str, grader: Any) -> Session:
    if which == "latest":
        row = records.latest_unfinished(store)
        if row is None:
            raise VivaError(Problem("--resume", "no unfinished interview to resume", "start one with `viva interview`"))
        which = row.id
    return Session.resume(store, bank, which, grader.grade, grader.name)


def run_review(options: dict[str, Any]) -> int:
    from viva.coach.review import due_questions, next_due

    store = open_store()
    bank = load_bank(options["banks"])
    due = [q for q in due_questions(store) if q in bank.questions][: options["questions"]]
    if not due:
        upcoming = next_due(store)
        Console().print(
            "Nothing is due for review."
            + (
                f" Next review: {upcoming[:16]} UTC."
                if upcoming
                else " Answer some questions with `viva interview` first."
            )
        )
        return 0
    plan = Plan(question_ids=tuple(due), max_follow_ups=options["follow_ups"], seed=options["seed"] or 0)
    grader, interviewer = _graders(options, store)
    session = Session.start(store, bank, plan, grader.grade, grader.name, kind="review")
    session.interviewer = interviewer
    console = Console(file=sys.stderr) if options["fmt"] == "json" else Console()
    read = (
        scripted_reader(read_answers_file(options["answers"]), console)
        if options["answers"]
        else terminal_reader(console)
    )
    try:
        TerminalInterview(session, console, read).run()
    finally:
        _close(grader, interviewer)
    if options["fmt"] == "json":
        sys.stdout.write(json.dumps(session_record(store, session.id), indent=2) + "\n")
    return 0
