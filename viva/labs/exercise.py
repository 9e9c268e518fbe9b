"""Lab exercises: YAML files with a statement, starter code, hints, hidden input cases and a reference solution.

`cases` and `solution` are viva's own code and run only in viva's process. The candidate's code runs in the
sandbox and sees only the inputs; expected values come from the reference solution, outside the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from viva.errors import Problem, VivaError

EXERCISES = Path(str(resources.files("viva.labs") / "exercises"))


class Example(BaseModel):
    call: str
    result: str


class Compare(BaseModel):
    kind: str = Field(pattern="^(allclose|equal)$")
    rtol: float = 1e-6
    atol: float = 1e-9


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    topics: list[str] = Field(min_length=1)
    difficulty: int = Field(ge=1, le=3)
    function: str
    signature: str
    statement: str
    starter: str
    examples: list[Example] = Field(min_length=1)
    hints: list[str] = Field(min_length=3, max_length=3)
    compare: Compare
    cases: str
    solution: str
    wrong: str


@dataclass(frozen=True)
class Case:
    name: str
    args: list[Any]
    kwargs: dict[str, Any]


def load_exercises(folder: Path = EXERCISES) -> dict[str, Exercise]:
    out: dict[str, Exercise] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            exercise = Exercise.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, ValidationError) as e:
            raise VivaError(
                Problem(str(path), f"invalid exercise ({str(e).splitlines()[0]})", "fix the file")
            ) from None
        out[exercise.id] = exercise
    return out


def get_exercise(exercise_id: str) -> Exercise:
    exercises = load_exercises()
    if exercise_id not in exercises:
        raise VivaError(Problem("exercise", f"no exercise {exercise_id!r}", "list them with `viva lab list`"))
    return exercises[exercise_id]


def trusted_function(source: str, name: str) -> Any:
    """Run viva's own code (reference solutions, case generators) and return one of its functions."""
    namespace: dict[str, Any] = {"np": np}
    exec(compile(source, f"<viva:{name}>", "exec"), namespace)
    return namespace[name]


def make_cases(exercise: Exercise, seed: int = 1234) -> list[Case]:
    raw = trusted_function(exercise.cases, "cases")(np.random.default_rng(seed))
    return [Case(name, list(args), dict(kwargs)) for name, args, kwargs in raw]


def expected_outputs(exercise: Exercise, cases: list[Case]) -> list[Any]:
    solution = trusted_function(exercise.solution, exercise.function)
    return [solution(*c.args, **c.kwargs) for c in cases]


def compare(spec: Compare, got: Any, want: Any) -> str | None:
    """None when they match; otherwise a helpful message that does not reveal the expected values."""
    if spec.kind == "equal":
        return None if _plain(got) == _plain(want) else "output differs from the expected value"
    try:
        got_arr, want_arr = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    except (TypeError, ValueError):
        return f"expected numbers, got {type(got).__name__}"
    if got_arr.shape != want_arr.shape:
        return f"shape mismatch: got {got_arr.shape}, expected {want_arr.shape}"
    if not np.all(np.isfinite(got_arr)) and np.all(np.isfinite(want_arr)):
        return "output contains inf or nan"
    if np.allclose(got_arr, want_arr, rtol=spec.rtol, atol=spec.atol):
        return None
    error = float(np.max(np.abs(got_arr - want_arr)))
    return f"values differ: max abs error {error:.3g} (tolerance rtol={spec.rtol:g}, atol={spec.atol:g})"


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value
