"""Coding labs: every reference solution passes in the sandbox, every wrong one fails, and the CLI works."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from viva.cli import cli
from viva.labs.check import check
from viva.labs.exercise import load_exercises
from viva.labs.grade import grade_submission

EXERCISES = load_exercises()
REQUIRED = {
    "softmax",
    "attention",
    "multi-head-attention",
    "positional-encoding",
    "rope",
    "layer-norm",
    "bpe-train",
    "bpe-encode",
    "wordpiece",
    "sampling",
    "kv-cache",
    "perplexity",
    "bleu",
    "rouge-l",
    "cosine-topk",
    "semantic-cache",
    "token-cost",
}
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def test_at_least_fifteen_exercises_cover_the_required_list():
    assert len(EXERCISES) >= 15
    assert set(EXERCISES) >= REQUIRED, REQUIRED - set(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_exercise_is_well_formed(exercise_id):
    assert check(exercise_id) == []


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_reference_solution_passes_in_the_sandbox(exercise_id):
    exercise = EXERCISES[exercise_id]
    result = grade_submission(exercise, exercise.solution)
    assert result.verdict == "passed", result.to_json()


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_wrong_solution_fails(exercise_id):
    exercise = EXERCISES[exercise_id]
    result = grade_submission(exercise, exercise.wrong)
    assert result.verdict in ("failed", "error"), result.to_json()
    failing = [t for t in result.tests if not t["passed"]]
    assert failing and all(t.get("message") for t in failing)


def test_failure_messages_do_not_reveal_expected_values():
    exercise = EXERCISES["softmax"]
    wrong = "import numpy as np\ndef softmax(x, axis=-1):\n    return np.zeros_like(x, dtype=float) + 0.123456\n"
    result = grade_submission(exercise, wrong)
    text = json.dumps(result.to_json())
    assert "max abs error" in text and "0.0900" not in text and "0.6652" not in text


def test_shape_mismatch_is_named():
    wrong = "import numpy as np\ndef softmax(x, axis=-1):\n    return np.ones(3)\n"
    result = grade_submission(EXERCISES["softmax"], wrong)
    assert any("shape mismatch" in t.get("message", "") for t in result.tests)


def test_cli_start_then_submit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    started = runner.invoke(cli, ["lab", "start", "attention"])
    assert started.exit_code == 0, started.output
    assert (tmp_path / "attention.py").exists() and "viva lab submit attention" in started.output
    (tmp_path / "my.py").write_text(EXERCISES["attention"].solution)
    submitted = runner.invoke(cli, ["lab", "submit", "attention", "my.py", "--format", "json"])
    assert submitted.exit_code == 0, submitted.output
    report = json.loads(submitted.output)
    assert set(report) >= {"exercise", "verdict", "tests", "duration_ms"} and report["verdict"] == "passed"
    again = runner.invoke(cli, ["lab", "start", "attention"])
    assert again.exit_code == 2 and "--force" in again.output


def test_cli_list_show_hint_and_progress(tmp_path):
    runner = CliRunner()
    listed = json.loads(runner.invoke(cli, ["lab", "list", "--format", "json"]).output)
    assert {e["id"] for e in listed} == set(EXERCISES)
    shown = runner.invoke(cli, ["lab", "show", "softmax"])
    assert "softmax" in shown.output and "Signature" in shown.output and "solution" not in shown.output.lower()
    hints = [runner.invoke(cli, ["lab", "hint", "softmax"]).output for _ in range(4)]
    assert hints[0].startswith("Hint 1 of 3") and hints[2].startswith("Hint 3 of 3") and hints[3] == hints[2]
    path = tmp_path / "s.py"
    path.write_text(EXERCISES["softmax"].solution)
    runner.invoke(cli, ["lab", "submit", "softmax", str(path)])
    listed = json.loads(runner.invoke(cli, ["lab", "list", "--format", "json"]).output)
    assert next(e for e in listed if e["id"] == "softmax")["best_score"] == 100.0
    progress = runner.invoke(cli, ["progress", "--format", "json"])
    assert progress.exit_code == 0 and "fundamentals" in progress.output


def test_cli_bad_input():
    runner = CliRunner()
    assert runner.invoke(cli, ["lab", "show", "nope"]).exit_code == 2
    missing = runner.invoke(cli, ["lab", "submit", "softmax", "/no/such/file.py"])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_strict_mode_refuses_without_bubblewrap(monkeypatch):
    from viva.errors import VivaError
    from viva.labs import sandbox

    monkeypatch.setattr(sandbox, "isolation", lambda: sandbox.Isolation(bubblewrap=False, pids_cgroup=False))
    with pytest.raises(VivaError, match="strict mode needs bubblewrap"):
        grade_submission(EXERCISES["softmax"], EXERCISES["softmax"].solution, strict=True)
    relaxed = grade_submission(EXERCISES["softmax"], EXERCISES["softmax"].solution)
    assert relaxed.verdict == "passed" and "NO filesystem or network isolation" in relaxed.isolation
