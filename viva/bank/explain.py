"""Turn pydantic validation errors into `what is wrong — how to fix it` for question authors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

from viva.bank.areas import AREA_IDS

_FIELD_HELP = {
    "id": "a stable dotted id starting with the area, e.g. 'fundamentals.attention.scaling'",
    "area": "one of: " + ", ".join(AREA_IDS),
    "topic": "a topic slug such as 'tokenization' (lowercase letters, digits, '-' and '_')",
    "difficulty": "1 (junior), 2 (mid) or 3 (senior)",
    "kind": "one of: concept, design, scenario, debugging, behavioral",
    "question": "the question text",
    "key_points": "3 to 7 items, each {id, text, weight, probe}",
    "misconceptions": "at least one item {claim, why}",
    "model_answer": "what an excellent spoken answer sounds like",
    "probe": "the follow-up question an interviewer would ask to draw this point out",
    "text": "one self-contained, checkable claim a strong answer makes",
    "weight": "a number greater than 0 and at most 10, e.g. 1 or 2",
    "claim": "the plausible wrong belief",
    "why": "why the belief is wrong",
    "questions": "a list of questions",
    "tags": "a list of slugs",
    "references": "a list of study-note ids",
}


def render_loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def explain_error(err: ErrorDetails, prefix: Sequence[int | str] = ()) -> tuple[str, str]:
    """(what is wrong, how to fix it) for one pydantic error at `prefix + err['loc']`."""
    loc = [*prefix, *err["loc"]]
    where = render_loc(loc)
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    want = _FIELD_HELP.get(name, "see docs/questions.md for the format")
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        return f"{where}: missing field '{name}'", f"add '{name}': {want}"
    if kind == "extra_forbidden":
        return f"{where}: unknown field '{name}'", "remove it or fix its spelling (see docs/questions.md)"
    if kind in ("too_short", "too_long") and name in ("key_points", "misconceptions", "questions"):
        count = len(value) if isinstance(value, list) else 0
        return f"{where}: has {count} item(s)", f"'{name}' needs {want}"
    if kind == "value_error":
        return f"{where}: {_short(err['msg'])}", _value_error_fix(err["msg"], want)
    return f"{where}: {_describe(kind, value, err['msg'])}", f"use {want}"


def _describe(kind: str, value: Any, msg: str) -> str:
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    if kind in ("literal_error", "enum"):
        return (
            f"{shown} is not allowed"
            if kind == "literal_error" or not isinstance(value, int)
            else f"{shown} is out of range"
        )
    if kind == "string_pattern_mismatch":
        return f"{shown} is not in the expected form"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"expected {kind.split('_')[0]}, got {shown}"
    return f"{_short(msg)} (got {shown})"


def _short(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _value_error_fix(msg: str, want: str) -> str:
    if "duplicate key point id" in msg:
        return "give each key point of a question its own id"
    if "must start with its area" in msg:
        return "rename the id so it starts with '<area>.'"
    return f"use {want}"
