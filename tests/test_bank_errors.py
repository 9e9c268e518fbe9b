"""Malformed bank files: one `path:line: what — fix` line per problem, every file checked, exit status 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from viva.cli import cli

GOOD = """\
area: fundamentals
topic: tokenization
questions:
  - id: fundamentals.tok.bpe
    difficulty: 1
    kind: concept
    question: How does BPE build its vocabulary?
    key_points:
      - id: merges
        text: BPE repeatedly merges the most frequent adjacent pair of symbols.
        weight: 2
        probe: How is the next merge chosen?
      - id: starts-small
        text: It starts from characters or bytes.
        weight: 1
        probe: What is the initial vocabulary?
      - id: fixed-size
        text: Merging stops when the vocabulary reaches a target size.
        weight: 1
        probe: When does training stop?
    misconceptions:
      - claim: BPE splits on whitespace only.
        why: It learns subword merges from frequency.
    model_answer: It starts from bytes and keeps merging the most frequent pair until the vocabulary is big enough.
    tags: [bpe]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def validate(*paths: Path):
    return CliRunner().invoke(cli, ["bank", "validate", *map(str, paths)])


def test_good_file_passes(tmp_path):
    result = validate(write(tmp_path, "good.yaml", GOOD))
    assert result.exit_code == 0, result.output
    assert "ok: 1 questions" in result.output


CASES = [
    ("invalid yaml", GOOD.replace("kind: concept", "kind: [concept"), 7, "invalid YAML"),
    ("missing field", GOOD.replace("    kind: concept\n", ""), 4, "missing field 'kind'"),
    (
        "unknown field",
        GOOD.replace("    kind: concept\n", "    kind: concept\n    colour: blue\n"),
        7,
        "unknown field 'colour'",
    ),
    ("wrong type", GOOD.replace("weight: 2", "weight: heavy"), 11, "key_points[0].weight"),
    ("unknown area", GOOD.replace("area: fundamentals", "area: vibes"), 1, "'vibes' is not allowed"),
    ("difficulty out of range", GOOD.replace("difficulty: 1", "difficulty: 4"), 5, "4 is out of range"),
    (
        "too few key points",
        GOOD.replace(
            "      - id: fixed-size\n        text: Merging stops when the vocabulary reaches a target size.\n"
            "        weight: 1\n        probe: When does training stop?\n",
            "",
        ),
        9,
        "has 2 item(s)",
    ),
    ("duplicate key point id", GOOD.replace("id: fixed-size", "id: merges"), 9, "duplicate key point id 'merges'"),
    (
        "id not under area",
        GOOD.replace("id: fundamentals.tok.bpe", "id: safety.tok.bpe"),
        4,
        "must start with its area",
    ),
]


@pytest.mark.parametrize(("name", "text", "line", "message"), CASES, ids=[c[0] for c in CASES])
def test_malformed_file_reports_path_line_and_fix(tmp_path, name, text, line, message):
    path = write(tmp_path, "broken.yaml", text)
    result = validate(path)
    assert result.exit_code == 2
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{path}:{line}: "), first
    assert message in first
    assert " — " in first  # every problem says how to fix it
    assert "Traceback" not in result.output


def test_every_file_is_checked_not_just_the_first(tmp_path):
    a = write(tmp_path, "a.yaml", GOOD.replace("difficulty: 1", "difficulty: 9"))
    b = write(
        tmp_path,
        "b.yaml",
        GOOD.replace("fundamentals.tok.bpe", "fundamentals.tok.other").replace("kind: concept", "kind: essay"),
    )
    result = validate(a, b)
    assert result.exit_code == 2
    assert f"{a}:5:" in result.stdout and f"{b}:6:" in result.stdout


def test_duplicate_question_id_across_files_names_both(tmp_path):
    a = write(tmp_path, "a.yaml", GOOD)
    b = write(tmp_path, "b.yaml", GOOD)
    result = validate(a, b)
    assert result.exit_code == 2
    assert f"{b}:4: duplicate question id 'fundamentals.tok.bpe', also defined at {a}:4" in result.stdout


def test_other_commands_fail_cleanly_on_a_broken_user_bank(tmp_path):
    bad = write(
        tmp_path / "mine.yaml" if False else tmp_path, "mine.yaml", GOOD.replace("difficulty: 1", "difficulty: x")
    )
    result = CliRunner().invoke(cli, ["bank", "list", "--bank", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:5:" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_missing_path_is_reported(tmp_path):
    result = validate(tmp_path / "nope")
    assert result.exit_code == 2 and "no such file or folder" in result.output
