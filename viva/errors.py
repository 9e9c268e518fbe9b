"""Errors a user can fix. The CLI prints them as lines and exits with a status; never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located precisely enough to fix it."""

    where: str  # "path:line", "line 7 of input.jsonl", "field --area" ...
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what} — {self.fix}"

    @classmethod
    def at(cls, path: Path | str, line: int, what: str, fix: str) -> Problem:
        return cls(f"{path}:{line}", what, fix)


class VivaError(Exception):
    """A problem the user can fix; `exit_code` follows the CLI's convention (2 = bad input)."""

    def __init__(self, problems: list[Problem] | Problem | str, exit_code: int = 2) -> None:
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = [] if isinstance(problems, str) else problems
        self.message = problems if isinstance(problems, str) else "\n".join(str(p) for p in problems)
        self.exit_code = exit_code
        super().__init__(self.message)
