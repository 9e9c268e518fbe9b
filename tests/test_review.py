"""Spaced review: FSRS cards from every finished question; `viva review` asks what is due, weakest first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from fsrs import Rating
from sqlalchemy import text

from viva.cli import cli
from viva.coach.review import due_questions, rating_for, schedule
from viva.store import open_store


def test_rating_follows_the_score():
    assert rating_for(10) == Rating.Again and rating_for(50) == Rating.Hard
    assert rating_for(70) == Rating.Good and rating_for(95) == Rating.Easy
    assert rating_for(95, skipped=True) == Rating.Again


def test_better_answers_are_due_later():
    store = open_store()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    weak = schedule(store, "a.weak", 10, now=now)
    strong = schedule(store, "a.strong", 95, now=now)
    assert now < weak < strong


def test_due_questions_weakest_first():
    store = open_store()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for qid in ("q.one", "q.two"):
        schedule(store, qid, 50, now=now)
    with store.engine.begin() as conn:
        for qid, score in (("q.one", 80.0), ("q.two", 20.0)):
            conn.execute(
                text(
                    "INSERT INTO sessions (id, kind, status, plan_json, bank_version, grader, created_at, "
                    "updated_at) VALUES (:s, 'interview', 'finished', '{}', 'v', 'g', 't', 't')"
                ),
                {"s": qid},
            )
            conn.execute(
                text(
                    "INSERT INTO attempts (id, session_id, question_id, area, topic, difficulty, score, "
                    "skipped, hints, follow_ups, bank_version, grader, created_at) VALUES (:i, :s, :q, 'x', "
                    "'y', 1, :sc, 0, 0, 0, 'v', 'g', 't')"
                ),
                {"i": qid, "s": qid, "q": qid, "sc": score},
            )
    assert due_questions(store, now=now + timedelta(days=60)) == ["q.two", "q.one"]
    assert due_questions(store, now=now - timedelta(days=1)) == []


def test_review_command_runs_due_questions(tmp_path):
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(["/skip", "/skip"]))
    first = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--questions", "2", "--seed", "2"])
    assert first.exit_code == 0, first.output
    nothing = CliRunner().invoke(cli, ["review", "--answers", str(answers)])
    assert "Nothing is due" in nothing.output and "Next review" in nothing.output
    store = open_store()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE review_cards SET due_at = '2000-01-01T00:00:00+00:00'"))
    result = CliRunner().invoke(cli, ["review", "--answers", str(answers), "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["kind"] == "review" and len(record["questions"]) == 2
