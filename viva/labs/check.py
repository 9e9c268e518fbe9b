"""Author check for exercises (trusted, in-process): the solution passes its cases, the wrong one fails.

python -m viva.labs.check [ID...]
"""

from __future__ import annotations

import sys

from viva.labs.exercise import compare, expected_outputs, load_exercises, make_cases, trusted_function


def check(exercise_id: str) -> list[str]:
    exercise = load_exercises()[exercise_id]
    cases = make_cases(exercise)
    want = expected_outputs(exercise, cases)
    problems = []
    if len(cases) < 4:
        problems.append("fewer than 4 hidden cases")
    again = expected_outputs(exercise, make_cases(exercise))
    if any(compare(exercise.compare, a, b) for a, b in zip(again, want, strict=True)):
        problems.append("cases or solution are not deterministic for a fixed seed")
    wrong = trusted_function(exercise.wrong, exercise.function)
    failures = 0
    for case, expected in zip(cases, want, strict=True):
        try:
            got = wrong(*case.args, **case.kwargs)
        except Exception:
            failures += 1
            continue
        failures += compare(exercise.compare, got, expected) is not None
    if failures == 0:
        problems.append("the wrong solution passes every case")
    starter = trusted_function(exercise.starter, exercise.function)
    try:
        starter(*cases[0].args, **cases[0].kwargs)
        problems.append("the starter code does not raise NotImplementedError")
    except NotImplementedError:
        pass
    return problems


def main() -> None:
    ids = sys.argv[1:] or list(load_exercises())
    bad = 0
    for exercise_id in ids:
        problems = check(exercise_id)
        bad += bool(problems)
        print(f"{exercise_id}: " + ("ok" if not problems else "; ".join(problems)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
