"""Grade a submission: run it in the sandbox on the hidden inputs, compare outside, report per test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from viva.labs import wire
from viva.labs.exercise import Exercise, compare, expected_outputs, make_cases
from viva.labs.sandbox import Limits, run_candidate

VERDICTS = ("passed", "failed", "timeout", "memory", "output_limit", "forbidden", "error")


@dataclass
class LabResult:
    exercise: str
    verdict: str
    tests: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: int = 0
    isolation: str = ""
    message: str = ""

    @property
    def passed(self) -> int:
        return sum(t["passed"] for t in self.tests)

    @property
    def score(self) -> float:
        return round(100 * self.passed / len(self.tests), 1) if self.tests else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "verdict": self.verdict,
            "tests": self.tests,
            "duration_ms": self.duration_ms,
            "isolation": self.isolation,
            "message": self.message,
        }


def grade_submission(exercise: Exercise, code: str, strict: bool = False, limits: Limits | None = None) -> LabResult:
    cases = make_cases(exercise)
    expected = expected_outputs(exercise, cases)
    run = run_candidate(code, exercise.function, [(c.name, c.args, c.kwargs) for c in cases], limits, strict)
    result = LabResult(
        exercise.id, run.verdict, duration_ms=run.duration_ms, isolation=run.isolation, message=run.message
    )
    by_name = {e.get("name"): e for e in run.entries if isinstance(e, dict)}
    if run.verdict in ("timeout", "output_limit"):
        return result
    if "import" in by_name:
        loaded = by_name["import"]
        result.verdict = "error" if loaded.get("status") == "ok" else str(loaded.get("status", "error"))
        result.message = f"your file could not be loaded: {loaded.get('error', '')}"
        return result
    result.tests = [
        _test_report(exercise, c.name, by_name.get(c.name), w) for c, w in zip(cases, expected, strict=True)
    ]
    if run.verdict in ("memory", "forbidden", "error"):
        return result
    if all(t["passed"] for t in result.tests):
        result.verdict = "passed"
    elif all(t["status"] == "error" for t in result.tests):
        result.verdict = "error"
    else:
        result.verdict = "failed"
    return result


def _test_report(exercise: Exercise, name: str, entry: dict[str, Any] | None, want: Any) -> dict[str, Any]:
    if entry is None:
        return {"name": name, "passed": False, "status": "missing", "message": "the test did not run"}
    if entry.get("status") != "ok":
        return {
            "name": name,
            "passed": False,
            "status": entry.get("status", "error"),
            "message": str(entry.get("error", ""))[:400],
        }
    try:
        got = wire.decode(entry.get("value"))
    except (ValueError, TypeError, KeyError):
        return {"name": name, "passed": False, "status": "error", "message": "returned a value viva cannot read"}
    problem = compare(exercise.compare, got, want)
    report: dict[str, Any] = {"name": name, "passed": problem is None, "status": "ok", "ms": entry.get("ms")}
    if problem:
        report["message"] = problem
    return report
