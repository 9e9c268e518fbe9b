"""The `viva` command: thin wrappers that parse, call the core and print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from viva import __version__
from viva.errors import VivaError

P = ParamSpec("P")
R = TypeVar("R")


def reports_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """User mistakes become `where: what — fix` lines on stderr and an exit status; never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except VivaError as e:
            for line in e.message.splitlines():
                click.echo(f"error: {line}" if not e.problems else line, err=True)
            sys.exit(e.exit_code)

    return wrapper


bank_option = click.option(
    "--bank",
    "banks",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A folder (or file) of your own questions, merged with the built-in bank. Repeatable; "
    "VIVA_BANK_PATH adds more (os.pathsep-separated).",
)


llm_url_option = click.option("--llm-url", help="OpenAI-compatible base URL (overrides VIVA_LLM_BASE_URL).")
llm_model_option = click.option("--llm-model", help="Model name (overrides VIVA_LLM_MODEL).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="viva")
def cli() -> None:
    """viva: mock interviews and coaching for LLM-engineering roles."""


@cli.group()
def bank() -> None:
    """Browse and check the question bank."""


@bank.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@reports_errors
def bank_validate(paths: tuple[Path, ...]) -> None:
    """Check question files (default: the built-in bank plus your banks). One line per problem; exit 2 on any."""
    from viva.bank.loader import BUILTIN_BANK, bank_files, check_files, user_bank_paths

    targets = list(paths) or [BUILTIN_BANK, *user_bank_paths()]
    missing = [p for p in targets if not p.exists()]
    if missing:
        raise VivaError([_missing(p) for p in missing])
    files = bank_files(targets)
    found, problems = check_files(files)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(files)} file(s)", err=True)
        sys.exit(2)
    click.echo(f"ok: {len(found)} questions in {len(files)} file(s)")


def _missing(path: Path) -> Any:
    from viva.errors import Problem

    return Problem(str(path), "no such file or folder", "check the path")


@bank.command("list")
@click.option("--area", "areas", multiple=True, help="Only this area (repeatable).")
@click.option("--difficulty", type=click.IntRange(1, 3), help="Only this difficulty: 1 junior, 2 mid, 3 senior.")
@click.option("--topic", help="Only this topic slug.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@bank_option
@reports_errors
def bank_list(
    areas: tuple[str, ...], difficulty: int | None, topic: str | None, fmt: str, banks: tuple[Path, ...]
) -> None:
    """List questions; `--format json` prints full question objects."""
    from viva.bank.loader import load_bank
    from viva.bank.select import filter_questions

    questions = filter_questions(load_bank(banks), areas=areas, difficulty=difficulty, topic=topic)
    if fmt == "json":
        click.echo(json.dumps([q.model_dump(mode="json") for q in questions], indent=2, ensure_ascii=False))
        return
    from viva.render import question_table

    question_table(questions)


@bank.command("show")
@click.argument("question_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@bank_option
@reports_errors
def bank_show(question_id: str, fmt: str, banks: tuple[Path, ...]) -> None:
    """Show one question with its rubric, misconceptions and model answer."""
    from viva.bank.loader import load_bank

    loaded = load_bank(banks)
    question = loaded.get(question_id)
    if fmt == "json":
        click.echo(json.dumps(question.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    from viva.render import question_detail

    question_detail(question, source=str(loaded.sources[question_id]))


@bank.command("stats")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@bank_option
@reports_errors
def bank_stats(fmt: str, banks: tuple[Path, ...]) -> None:
    """Counts by area × difficulty × kind, and topic coverage."""
    from viva.bank.loader import load_bank
    from viva.bank.stats import bank_stats as compute

    stats = compute(load_bank(banks))
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2))
        return
    from viva.render import stats_tables

    stats_tables(stats)


@cli.command("grade")
@click.argument("input_path", metavar="[INPUT.jsonl|-]", required=False, default="-")
@click.option("--output", "-o", default="-", show_default=True, help="Where to write JSON Lines results.")
@click.option("--question", "question_id", help="Grade one answer to this bank question and print a report.")
@click.option("--answer", help="The answer to grade with --question ('-' reads standard input).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="With --question: a readable report or the full grade as JSON.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a terminal).")
@click.option(
    "--examples",
    "examples_path",
    metavar="GRADED.jsonl",
    help='Answers people have graded: {"question_id" or "question", "answer", "score" 0-1, "contradicts"?} per '
    "line. Answers to the same question are then also scored by how the most similar graded answers were.",
)
@bank_option
@llm_url_option
@llm_model_option
@reports_errors
def grade_cmd(
    input_path: str,
    output: str,
    question_id: str | None,
    answer: str | None,
    fmt: str,
    progress: bool | None,
    examples_path: str | None,
    banks: tuple[Path, ...],
    llm_url: str | None,
    llm_model: str | None,
) -> None:
    """Grade answers against rubrics, offline.

    Batch: each INPUT line is {"id", "question", "answer", "key_points": [{"id", "text", "weight"?}],
    "misconceptions"?}, or {"id", "question", "answer", "reference"}, or {"id", "question_id", "answer"}.
    Each output line is a result or {"id", "line", "error"}, in input order. Exit 0 if every line was
    graded, 1 if some failed, 2 if the input could not be read.
    """
    from viva.grading.cli import grade_batch, grade_one

    if question_id:
        grade_one(question_id, answer, fmt, banks, llm_url, llm_model, examples_path)
    else:
        sys.exit(grade_batch(input_path, output, progress, banks, llm_url, llm_model, examples_path))


def _interview_options(fn: Callable[P, R]) -> Callable[P, R]:
    for option in reversed(
        [
            llm_url_option,
            llm_model_option,
            click.option(
                "--follow-ups",
                type=click.IntRange(0, 5),
                default=2,
                show_default=True,
                help="At most this many follow-ups per question.",
            ),
            click.option(
                "--answers",
                type=click.Path(path_type=Path),
                help="Scripted mode: a YAML/JSON list of answers (and /commands) used in order.",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["text", "json"]),
                default="text",
                show_default=True,
                help="json: the session record on stdout, the transcript on stderr.",
            ),
            click.option("--seed", type=int, help="Make question choice reproducible."),
            bank_option,
        ]
    ):
        fn = option(fn)
    return fn


@cli.command("interview")
@click.option("--area", "areas", multiple=True, help="Only this area (repeatable; default all seven).")
@click.option(
    "--difficulty",
    type=click.Choice(["1", "2", "3", "adaptive"]),
    default="adaptive",
    show_default=True,
    help="1 junior, 2 mid, 3 senior, or adaptive (harder after strong answers, easier after weak ones).",
)
@click.option("--questions", type=click.IntRange(1, 50), default=5, show_default=True, help="Number of questions.")
@click.option("--time-budget", type=click.IntRange(10, 3600), help="Seconds per question (you are told if over).")
@click.option("--job", type=click.Path(path_type=Path), help="A job description: weights areas and topics by it.")
@click.option(
    "--resume",
    is_flag=False,
    flag_value="latest",
    default=None,
    metavar="[SESSION]",
    help="Continue an unfinished interview (the latest, or the one named).",
)
@_interview_options
@reports_errors
def interview_cmd(**options: Any) -> None:
    """Run a mock interview in the terminal: questions, follow-ups on what you missed, feedback, a summary."""
    from viva.interview.command import run_interview

    sys.exit(run_interview(options))


@cli.command("review")
@click.option(
    "--questions", type=click.IntRange(1, 50), default=10, show_default=True, help="At most this many due questions."
)
@_interview_options
@reports_errors
def review_cmd(**options: Any) -> None:
    """An interview of the questions due for spaced review (FSRS), weakest first."""
    from viva.interview.command import run_review

    sys.exit(run_review(options))


def _emit(content: str, output: Path | None, what: str) -> None:
    """Print to stdout, or write the file and say where."""
    if output is None:
        click.echo(content, nl=not content.endswith("\n"))
        return
    try:
        output.write_text(content, encoding="utf-8")
    except OSError as e:
        from viva.errors import Problem

        raise VivaError(Problem(str(output), f"cannot write ({e.strerror})", "choose another --output path")) from None
    click.echo(f"Wrote {what} to {output}", err=True)


@cli.command("history")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@reports_errors
def history_cmd(fmt: str) -> None:
    """Your sessions, newest first: id, kind, status, when, questions answered, mean score."""
    from viva.interview.history import summaries, when
    from viva.store import open_store

    sessions = summaries(open_store())
    if fmt == "json":
        click.echo(json.dumps([s.to_json() for s in sessions], indent=2))
        return
    if not sessions:
        click.echo("No sessions yet. Start one with `viva interview`.")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("session", "kind", "status", "started (UTC)", "answered", "mean score", title="Sessions")
    for s in sessions:
        mean = "—" if s.mean_score is None else f"{s.mean_score:.0f}"
        table.add_row(s.id, s.kind, s.status, when(s.started)[:16], f"{s.answered}/{s.finished}", mean)
    Console().print(table)
    click.echo("answered: questions answered / finished (a skip finishes a question). `viva show SESSION` for one.")


@cli.command("show")
@click.argument("session_id", metavar="SESSION")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@bank_option
@reports_errors
def show_cmd(session_id: str, fmt: str, banks: tuple[Path, ...]) -> None:
    """One session's full transcript: each question, every answer and follow-up, the score, points covered/missed."""
    from viva.interview.transcript import session_record
    from viva.store import open_store

    record = session_record(open_store(), session_id)
    if fmt == "json":
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    from viva.bank.loader import load_bank
    from viva.interview.history import session_view, show_text

    click.echo(show_text(session_view(record, load_bank(banks))))


@cli.command("export")
@click.argument("session_id", metavar="SESSION")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write here, not to stdout.")
@bank_option
@reports_errors
def export_cmd(session_id: str, fmt: str, output: Path | None, banks: tuple[Path, ...]) -> None:
    """A shareable report of one session: Markdown, one self-contained HTML file, or the JSON record."""
    from viva.interview.transcript import session_record
    from viva.store import open_store

    record = session_record(open_store(), session_id)
    if fmt == "json":
        content = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    else:
        from viva.bank.loader import load_bank
        from viva.interview.history import export_html, export_markdown, session_view

        view = session_view(record, load_bank(banks))
        content = export_markdown(view) if fmt == "md" else export_html(view)
    _emit(content, output, f"the {fmt} report of session {session_id}")


@cli.command("progress")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the radar chart of the seven areas (.svg). Default: VIVA_HOME/progress.svg.",
)
@reports_errors
def progress_cmd(fmt: str, chart: Path | None) -> None:
    """Mastery per area and topic from all your attempts (recent ones count more), the trend, and a radar chart."""
    from viva.coach.progress import progress, progress_text
    from viva.coach.radar import check_chart_path, radar_svg, write_chart
    from viva.config import home
    from viva.interview.records import attempts
    from viva.store import open_store

    path = check_chart_path(chart or home() / "progress.svg")
    rows = attempts(open_store())
    report = progress(rows)
    written = str(write_chart(path, radar_svg(report.spokes()))) if rows else None
    if fmt == "json":
        click.echo(json.dumps(report.to_json(written), indent=2))
    elif not rows:
        click.echo("No answers yet, so no progress to show. Start with `viva interview` — mastery builds from there.")
    else:
        click.echo(progress_text(report, written))


@cli.command("kit")
@click.option("--area", "areas", multiple=True, help="Only this area (repeatable; default all seven).")
@click.option("--questions", type=click.IntRange(1, 50), default=5, show_default=True, help="Number of questions.")
@click.option("--difficulty", type=click.IntRange(1, 3), help="Only this difficulty: 1 junior, 2 mid, 3 senior.")
@click.option("--job", type=click.Path(path_type=Path), help="A job description: weights question choice by it.")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write here, not to stdout.")
@click.option("--seed", type=int, help="Make question choice reproducible (the kit prints the seed it used).")
@bank_option
@reports_errors
def kit_cmd(
    areas: tuple[str, ...],
    questions: int,
    difficulty: int | None,
    job: Path | None,
    fmt: str,
    output: Path | None,
    seed: int | None,
    banks: tuple[Path, ...],
) -> None:
    """A printable pack for a human interviewer: questions, key points with weights, probes, red flags, score sheet."""
    from viva.bank.loader import load_bank
    from viva.kit import build_kit, kit_html, kit_markdown, read_job

    description = read_job(job) if job is not None else None
    kit = build_kit(load_bank(banks), areas, questions, difficulty, description, seed)
    content = kit_markdown(kit) if fmt == "md" else kit_html(kit)
    _emit(content, output, f"an interviewer kit of {len(kit.questions)} questions")


@cli.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Where to listen: a loopback address (single user, no login; other hosts need multi-user mode).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The port to listen on.")
@bank_option
@click.option(
    "--multi-user",
    is_flag=True,
    help="Accounts (viva user add) and sign-in; CSRF tokens on every change. Required for a non-loopback --host.",
)
@click.option(
    "--https-cookies",
    is_flag=True,
    help="Mark the session cookie Secure (set this behind a reverse proxy that terminates https).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes sharing the database (use PostgreSQL for more than a few).",
)
@reports_errors
def serve_cmd(
    host: str, port: int, banks: tuple[Path, ...], multi_user: bool, https_cookies: bool, workers: int
) -> None:
    """The web app: interviews, feedback, history, progress, review and the question bank in your browser."""
    from viva.web.server import serve

    serve(host, port, banks, multi_user=multi_user, https_cookies=https_cookies, workers=workers)


@cli.group("user")
def user_group() -> None:
    """Accounts for `viva serve --multi-user` (the first admin is created here)."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return value


@user_group.command("add")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@reports_errors
def user_add(username: str, admin: bool, password_stdin: bool) -> None:
    """Create an account; the password is asked for twice (or read with --password-stdin)."""
    from viva.accounts import add_user
    from viva.store import open_store

    store = open_store()
    user = add_user(store, username, _password(password_stdin), is_admin=admin)
    click.echo(f"added {'admin ' if user.is_admin else ''}user {user.username}")


@user_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@reports_errors
def user_list(fmt: str) -> None:
    """Every account: username, admin or not, when it was created."""
    from viva.accounts import list_users
    from viva.store import open_store

    users = list_users(open_store())
    if fmt == "json":
        click.echo(
            json.dumps([{"username": u.username, "is_admin": u.is_admin, "created_at": u.created_at} for u in users])
        )
        return
    if not users:
        click.echo("no accounts yet — add one with: viva user add NAME --admin", err=True)
    for u in users:
        click.echo(f"{u.username}\t{'admin' if u.is_admin else 'user'}\t{u.created_at[:16].replace('T', ' ')}")


@user_group.command("remove")
@click.argument("username")
@reports_errors
def user_remove(username: str) -> None:
    """Delete an account and end its sign-ins. Its interview records stay in the database, reachable by nobody."""
    from viva.accounts import remove_user
    from viva.store import open_store

    click.echo(f"removed user {remove_user(open_store(), username).username}")


@user_group.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of standard input.")
@reports_errors
def user_reset_password(username: str, password_stdin: bool) -> None:
    """Set a new password for an account; every sign-in it has ends."""
    from viva.accounts import get_user, set_password
    from viva.store import open_store

    store = open_store()
    get_user(store, username)  # an unknown name is reported before asking for a password
    click.echo(f"new password set for {set_password(store, username, _password(password_stdin)).username}")


def _register_llm_commands() -> None:
    from viva.labs.commands import lab_group
    from viva.llm.commands import cache_group, config_group, llm_group, usage_cmd

    for command in (config_group, llm_group, usage_cmd, cache_group, lab_group):
        commands = command.commands.values() if isinstance(command, click.Group) else [command]
        for sub in commands:
            if sub.callback is not None:
                sub.callback = reports_errors(sub.callback)
        cli.add_command(command)


_register_llm_commands()


def main() -> None:
    cli(prog_name="viva")
