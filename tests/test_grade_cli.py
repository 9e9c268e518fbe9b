"""`viva grade`: JSON Lines in, one result or error per line out, in order; exit 0 / 1 / 2."""

from __future__ import annotations

import json

from click.testing import CliRunner

from viva.cli import cli

BANK_ID = "fundamentals.attention.self-attention"
GOOD = [
    {
        "id": "a",
        "question_id": BANK_ID,
        "answer": "Each token gets a query, key and value; the query is compared with "
        "every key, softmaxed into weights, and the output is the weighted sum of the values.",
    },
    {
        "id": "b",
        "question": "What does caching buy you?",
        "answer": "Identical requests are served from the cache "
        "so we do not pay for them again, and hits come back in milliseconds.",
        "key_points": [
            {"id": "cost", "text": "A cache hit avoids paying again for an identical request"},
            {"id": "latency", "text": "Cache hits return in milliseconds instead of seconds", "weight": 2},
        ],
        "misconceptions": ["Caching always returns stale answers"],
    },
    {
        "id": 3,
        "question": "What is BPE?",
        "answer": "It starts from bytes and keeps merging the most frequent pair.",
        "reference": "Byte-pair encoding starts from bytes and repeatedly merges the most frequent adjacent pair.",
    },
]


def run(lines, *args):
    return CliRunner().invoke(cli, ["grade", "-", *args], input="\n".join(lines) + "\n")


def test_every_form_is_graded_in_order_and_exit_zero():
    result = run([json.dumps(x) for x in GOOD])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", 3]
    for row in rows:
        assert set(row) == {"id", "score", "points", "misconceptions", "flags", "grader"}
        assert all(set(p) == {"id", "covered", "confidence", "evidence"} for p in row["points"])
        assert row["grader"].startswith("offline-minilm")
    assert [p["id"] for p in rows[1]["points"]] == ["cost", "latency"]


def test_bad_lines_get_errors_and_the_rest_is_still_graded():
    lines = [
        json.dumps(GOOD[0]),
        "this is not json",
        json.dumps({"id": "x", "question_id": "no.such.question", "answer": "hi"}),
        json.dumps({"id": "y", "question_id": BANK_ID, "answer": "   "}),
        json.dumps({"id": "z", "question": "q?", "answer": "a", "key_points": [{"text": "no id"}]}),
        json.dumps({"id": "w", "answer": "no question at all"}),
        "[1, 2]",
        "",
        json.dumps(GOOD[2]),
    ]
    result = run(lines)
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 8  # the blank line is skipped, nothing else is
    errors = {r.get("line"): r for r in rows if "error" in r}
    assert set(errors) == {2, 3, 4, 5, 6, 7}
    assert "not valid JSON" in errors[2]["error"] and "id" not in errors[2]
    assert errors[3]["id"] == "x" and "unknown question_id" in errors[3]["error"]
    assert "answer' is empty" in errors[4]["error"]
    assert "key_points.0.id" in errors[5]["error"]
    assert "question_id" in errors[6]["error"]
    assert all(" — " in e["error"] for e in errors.values())
    assert rows[-1]["id"] == 3 and "score" in rows[-1]
    assert "could not be graded" in result.stderr


def test_unreadable_input_exits_2(tmp_path):
    missing = CliRunner().invoke(cli, ["grade", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert CliRunner().invoke(cli, ["grade", str(binary)]).exit_code == 2


def test_output_file(tmp_path):
    out = tmp_path / "out.jsonl"
    result = run([json.dumps(GOOD[2])], "--output", str(out))
    assert result.exit_code == 0 and json.loads(out.read_text())["id"] == 3


def test_single_answer_report_highlights_the_candidates_words():
    result = CliRunner().invoke(cli, ["grade", "--question", BANK_ID, "--answer", GOOD[0]["answer"]])
    assert result.exit_code == 0, result.output
    assert "Score" in result.output and "✓" in result.output and "key point" in result.output
    as_json = CliRunner().invoke(
        cli, ["grade", "--question", BANK_ID, "--answer", "-", "--format", "json"], input=GOOD[0]["answer"]
    )
    grade = json.loads(as_json.stdout)
    covered = [p for p in grade["points"] if p["covered"]]
    assert covered and all(p["evidence"] in GOOD[0]["answer"] for p in covered)


def test_single_answer_bad_input():
    assert CliRunner().invoke(cli, ["grade", "--question", "no.such", "--answer", "x"]).exit_code == 2
    empty = CliRunner().invoke(cli, ["grade", "--question", BANK_ID, "--answer", "  "])
    assert empty.exit_code == 2 and "empty" in empty.output
