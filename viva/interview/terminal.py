"""`viva interview` in the terminal: render the engine's prompts, read answers, show feedback. Rich only here."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from viva.bank.areas import AREAS
from viva.feedback import print_report
from viva.grading.rubric import Rubric
from viva.interview.engine import Outcome, Turn
from viva.interview.plan import MAX_ANSWER_CHARS
from viva.interview.session import Session
from viva.interview.transcript import study_next

LEVEL = {1: "junior", 2: "mid", 3: "senior"}
COMMANDS = "/hint  /skip  /repeat  /next (leave this follow-up)  /model (strong answer to the last question)  /quit"
EMPTY_RETRIES = 2


class Quit(Exception):
    """The candidate asked to stop (or the input ended): the session is saved and can be resumed."""


ReadFn = Callable[[], str | None]  # one whole answer or command; None when the input has ended


def terminal_reader(console: Console) -> ReadFn:
    """Multi-line answers from the keyboard: finish with an empty line, or Ctrl-D."""

    def read() -> str | None:
        lines: list[str] = []
        while True:
            try:
                line = input("… " if lines else "> ")
            except EOFError:
                return "\n".join(lines) if lines else None
            if not lines and line.strip().startswith("/"):
                return line.strip()
            if not line.strip():
                if lines:
                    return "\n".join(lines)
                continue
            lines.append(line)

    return read


def scripted_reader(answers: list[str], console: Console) -> ReadFn:
    """Answers from a file, in order; each is echoed so the transcript reads like the interactive one."""
    queue: Iterator[str] = iter(answers)

    def read() -> str | None:
        text = next(queue, None)
        if text is not None:
            console.print(f"[dim]> {text}[/dim]")
        return text

    return read


@dataclass
class TerminalInterview:
    session: Session
    console: Console
    read: ReadFn
    weighted: list[str] = field(default_factory=list)
    last_turn: Turn | None = None

    def run(self) -> bool:
        """Run to the end, or until /quit or the input ends. True when the interview finished."""
        self._header()
        try:
            while not self.session.engine.finished:
                self._ask()
        except Quit:
            self.session.pause()
            self.console.print(f"\n[bold]Saved.[/bold] Resume with [cyan]viva interview --resume {self.session.id}[/]")
            return False
        self._summary()
        return True

    def _header(self) -> None:
        plan = self.session.engine.plan
        level = LEVEL[plan.difficulty] if plan.difficulty else "adaptive"
        areas = "all seven areas" if len(plan.areas) == len(AREAS) else ", ".join(plan.areas)
        total = plan.total
        self.console.print(
            Panel(
                f"{total} questions · {areas} · difficulty {level}\n"
                f"Finish an answer with an empty line (or Ctrl-D). Commands: {COMMANDS}",
                title=f"viva interview {self.session.id}",
                title_align="left",
            )
        )
        if self.weighted:
            self.console.print("[dim]Weighted toward your job description: " + ", ".join(self.weighted) + "[/dim]")

    def _show_prompt(self) -> None:
        turn, exchange = self.session.engine.current, self.session.engine.prompt
        assert turn is not None and exchange is not None
        q = turn.question
        total = self.session.engine.plan.total
        if exchange.kind == "question":
            title = (
                f"Question {turn.number} of {total} · {AREAS[q.area].title} · {q.topic} · {LEVEL[int(q.difficulty)]}"
            )
            budget = self.session.engine.plan.time_budget_s
            subtitle = f"about {budget // 60} min {budget % 60} s" if budget else None
            self.console.print(
                Panel(q.question, title=title, title_align="left", subtitle=subtitle, border_style="cyan")
            )
        else:
            self.console.print(Panel(exchange.prompt, title="Follow-up", title_align="left", border_style="magenta"))

    def _ask(self) -> None:
        self._show_prompt()
        empties = 0
        started = time.monotonic()
        while True:
            text = self.read()
            if text is None:
                raise Quit
            if text.startswith("/"):
                if self._command(text.split()[0].lower()):
                    return
                continue
            if not text.strip():
                empties += 1
                if empties > EMPTY_RETRIES:
                    self.console.print("[yellow]No answer given: counting this question as skipped.[/yellow]")
                    self._finish(self.session.skip())
                    return
                self.console.print("[yellow]That was empty. Type your answer, or /skip.[/yellow]")
                continue
            if len(text) > MAX_ANSWER_CHARS:
                self.console.print(
                    f"[yellow]That is {len(text):,} characters; answers are limited to "
                    f"{MAX_ANSWER_CHARS:,}. Please shorten it.[/yellow]"
                )
                continue
            with self.console.status("Grading…", spinner="dots"):
                outcome = self.session.answer(text, time.monotonic() - started)
            self._finish(outcome)
            return

    def _command(self, command: str) -> bool:
        """Run a command; True when the current prompt is done with."""
        if command == "/quit":
            raise Quit
        if command == "/repeat":
            self._show_prompt()
        elif command == "/hint":
            hint = self.session.hint()
            penalty = self.session.engine.plan.hint_penalty
            self.console.print(
                f"[yellow]Hint (−{penalty:g} points):[/yellow] {hint}"
                if hint
                else "[yellow]No hint left: you have covered the key points.[/yellow]"
            )
        elif command == "/skip":
            self._finish(self.session.skip())
            return True
        elif command == "/next":
            exchange = self.session.engine.prompt
            if exchange is not None and exchange.kind == "follow_up":
                self._finish(self.session.move_on())
                return True
            self.console.print("[yellow]/next leaves a follow-up; to pass on a question use /skip.[/yellow]")
        elif command == "/model":
            if self.last_turn is None:
                self.console.print("[yellow]No finished question yet.[/yellow]")
            else:
                self.console.print(
                    Panel(self.last_turn.question.model_answer, title="A strong answer", title_align="left")
                )
        else:
            self.console.print(f"[yellow]Unknown command {command}. Commands: {COMMANDS}[/yellow]")
        return False

    def _finish(self, outcome: Outcome) -> None:
        if not outcome.finished_question:
            return
        turn = outcome.turn
        self.last_turn = turn
        if turn.skipped:
            self.console.print(f"[dim]Skipped {turn.question.id}.[/dim]")
        elif turn.grade is not None:
            grade = turn.grade.model_copy(update={"score": turn.score})
            print_report(self.console, Rubric.of(turn.question), turn.transcript, grade)
            self._coach(turn)
            extras = []
            if turn.hints:
                extras.append(f"{turn.hints} hint(s) cost {turn.hints * turn.hint_penalty:g} points")
            if turn.over_time:
                extras.append("over the time budget")
            if extras:
                self.console.print("[dim]" + "; ".join(extras) + "[/dim]")
            self.console.print("[dim]/model shows a strong answer to this question.[/dim]")
        self.console.rule()

    def _coach(self, turn: Turn) -> None:
        """With an LLM configured, a few sentences of coaching in its own words (nothing when it is unavailable)."""
        if self.session.interviewer is None or turn.grade is None:
            return
        from viva.llm.interviewer import feedback

        with self.console.status("Writing feedback…", spinner="dots"):
            prose = feedback(self.session.interviewer, turn.question, turn.grade)
        if prose:
            self.console.print(Panel(prose, title="Coach", title_align="left", border_style="green"))

    def _summary(self) -> None:
        turns = [t for t in self.session.turns if t.done]
        by_area: dict[str, list[float]] = defaultdict(list)
        for t in turns:
            by_area[t.question.area].append(t.score)
        table = Table("area", "questions", "mean score", title="Summary")
        for area, scores in by_area.items():
            table.add_row(AREAS[area].title, str(len(scores)), f"{sum(scores) / len(scores):.0f}")
        self.console.print(table)
        advice = study_next(turns, self.session.bank)
        if advice:
            self.console.print("[bold]Study next:[/bold]")
            for item in advice:
                self.console.print(f"  • {item}")
        self.console.print(
            f"[dim]Session {self.session.id} saved. `viva show {self.session.id}` for the transcript, "
            "`viva progress` for your progress.[/dim]"
        )


def stderr_console() -> Console:
    return Console(file=sys.stderr)
