"""Reading past sessions back: `viva history`, `show`, `export` and `progress` (mastery, trend, radar chart)."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.fakes import all_points, keyword_grade
from viva.bank import load_bank
from viva.bank.areas import AREAS
from viva.cli import cli
from viva.coach.mastery import mastery
from viva.coach.progress import progress, progress_text
from viva.coach.radar import Spoke, radar_svg
from viva.interview.plan import Plan
from viva.interview.records import AttemptRow
from viva.interview.session import Session
from viva.store import open_store

SCRIPT = "<script>alert('pwned')</script> Each token's query is compared with the keys of the other tokens."
SVG = "{http://www.w3.org/2000/svg}"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def bank():
    return load_bank()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, bank):
    """One database, built once: a real scripted interview (the real grader) and a fake-graded perfect one."""
    home = tmp_path_factory.mktemp("recorded-home")
    answers = home / "answers.json"
    answers.write_text(json.dumps([SCRIPT, "/skip", "/skip", "/skip"]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIVA_HOME", str(home))
        result = run(
            "interview", "--answers", str(answers), *"--questions 2 --seed 1 --area fundamentals --format json".split()
        )
        assert result.exit_code == 0, result.output
        real = json.loads(result.stdout)["session_id"]
        store = open_store()
        session = Session.start(store, bank, Plan(seed=3, questions=3, areas=("safety",)), keyword_grade, "fake/1")
        while not session.engine.finished:
            session.answer(all_points(session.engine.current.question))
        store.close()
    return {"db": home / "viva.db", "real": real, "perfect": session.id}


@pytest.fixture
def sessions(recorded, isolated_home: Path):
    """This test's own copy of the recorded database (the backup API also carries what is still in the WAL)."""
    isolated_home.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(recorded["db"])) as src, closing(sqlite3.connect(isolated_home / "viva.db")) as dst:
        src.backup(dst)
    return recorded


# -- history ----------------------------------------------------------------------------------------------------
def test_history_json_lists_sessions_newest_first_with_answered_and_mean(sessions):
    result = run("history", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [sessions["perfect"], sessions["real"]]
    assert rows[0] | {"started": None} == {
        "id": sessions["perfect"],
        "kind": "interview",
        "status": "finished",
        "started": None,
        "answered": 3,
        "finished": 3,
        "mean_score": 100.0,
    }
    assert rows[1]["finished"] == 2 and rows[1]["answered"] <= 1


def test_history_table_shows_every_session(sessions):
    result = run("history")
    assert result.exit_code == 0
    assert sessions["perfect"] in result.output and sessions["real"] in result.output
    assert "finished" in result.output and "100" in result.output


def test_history_with_no_sessions_says_how_to_start():
    result = run("history")
    assert result.exit_code == 0 and "viva interview" in result.output
    assert json.loads(run("history", "--format", "json").stdout) == []


def test_history_rejects_unknown_format():
    assert run("history", "--format", "xml").exit_code == 2


# -- show -------------------------------------------------------------------------------------------------------
def test_show_text_has_each_question_answer_score_and_points(sessions, bank):
    result = run("show", sessions["perfect"])
    assert result.exit_code == 0, result.output
    record = json.loads(run("show", sessions["perfect"], "--format", "json").stdout)
    for q in record["questions"]:
        question = bank.get(q["question_id"])
        assert q["question_id"] in result.output
        assert question.question.split()[0] in result.output
        assert all_points(question).split()[0] in result.output  # the answer itself
    assert result.output.count("→ score 100/100") == 3
    assert "✓" in result.output and "✗" not in result.output


def test_show_text_includes_the_untrusted_answer_verbatim_and_follow_ups(sessions):
    result = run("show", sessions["real"])
    assert result.exit_code == 0
    assert "<script>alert('pwned')</script>" in result.output
    assert "Question 2" in result.output and "skipped" in result.output
    record = json.loads(run("show", sessions["real"], "--format", "json").stdout)
    for prompt in record["questions"][0]["follow_ups"]:
        assert f"Follow-up: {prompt.split()[0]}" in result.output


def test_show_marks_a_question_left_mid_follow_up_as_not_finished(bank):
    store = open_store()
    session = Session.start(store, bank, Plan(seed=2, questions=2), keyword_grade, "fake/1")
    session.answer("nothing useful")  # weak: a follow-up is pending
    session.pause()
    result = run("show", session.id)
    assert result.exit_code == 0
    assert "not finished" in result.output and "Follow-up" not in result.output
    assert "nothing useful" in result.output


def test_show_json_is_the_session_record(sessions):
    result = run("show", sessions["perfect"], "--format", "json")
    record = json.loads(result.stdout)
    assert record["session_id"] == sessions["perfect"] and record["status"] == "finished"
    assert [q["score"] for q in record["questions"]] == [100.0, 100.0, 100.0]


def test_show_unknown_session_names_viva_history():
    result = run("show", "nope")
    assert result.exit_code == 2
    assert "no session 'nope'" in result.output and "viva history" in result.output
    assert "Traceback" not in result.output


# -- export -----------------------------------------------------------------------------------------------------
def test_export_html_escapes_a_script_answer(sessions, tmp_path):
    out = tmp_path / "report.html"
    result = run("export", sessions["real"], "--format", "html", "--output", str(out))
    assert result.exit_code == 0 and str(out) in result.output
    page = out.read_text()
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page
    assert "Content-Security-Policy" in page  # and nothing in it could run anyway
    assert "<link" not in page and "src=" not in page  # one self-contained file


def test_export_markdown_escapes_markup_and_reports_scores(sessions):
    result = run("export", sessions["real"], "--format", "md")
    assert result.exit_code == 0
    assert "<script>" not in result.stdout and r"\<script\>" in result.stdout
    assert result.stdout.startswith("# viva interview report")
    perfect = run("export", sessions["perfect"]).stdout  # md is the default
    assert perfect.count("**score 100/100**") == 3 and "**Covered**" in perfect and "**Missed**" not in perfect


def test_export_json_parses_and_matches_show(sessions):
    exported = json.loads(run("export", sessions["perfect"], "--format", "json").stdout)
    assert exported == json.loads(run("show", sessions["perfect"], "--format", "json").stdout)


def test_export_bad_input_is_a_clean_error(sessions, tmp_path):
    assert run("export", sessions["real"], "--format", "pdf").exit_code == 2
    unknown = run("export", "nope", "--format", "md")
    assert unknown.exit_code == 2 and "viva history" in unknown.output
    unwritable = run("export", sessions["real"], "--format", "md", "-o", str(tmp_path / "missing" / "r.md"))
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output and "Traceback" not in unwritable.output


# -- progress ---------------------------------------------------------------------------------------------------
def test_progress_with_no_attempts_is_friendly(isolated_home):
    result = run("progress")
    assert result.exit_code == 0 and "viva interview" in result.output
    assert not (isolated_home / "progress.svg").exists()
    data = json.loads(run("progress", "--format", "json").stdout)
    assert data["attempts"] == 0 and data["chart"] is None


def test_progress_text_shows_areas_topics_trend_and_where_the_chart_is(sessions, isolated_home):
    result = run("progress")
    assert result.exit_code == 0, result.output
    chart = isolated_home / "progress.svg"
    assert chart.exists() and f"written to {chart}" in result.output
    for area in AREAS.values():
        assert area.title in result.output
    assert "not tried yet" in result.output  # five areas have no attempts
    assert "little evidence" in result.output  # no topic has three attempts
    assert "safety/" in result.output and "fundamentals/" in result.output
    assert datetime.now(UTC).strftime("%Y-%m-%d") in result.output  # the trend's one day


def test_progress_json_parses_and_writes_the_chart_where_asked(sessions, tmp_path):
    chart = tmp_path / "radar.svg"
    result = run("progress", "--format", "json", "--chart", str(chart))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["chart"] == str(chart) and chart.exists()
    assert data["attempts"] == 5
    assert [a["key"] for a in data["areas"]] == list(AREAS)
    safety = next(a for a in data["areas"] if a["key"] == "safety")
    assert safety["attempts"] == 3 and not safety["low_evidence"] and 50 < safety["score"] < 100
    assert all(t["low_evidence"] for t in data["topics"] if t["attempts"] < 3)
    assert len(data["trend"]) == 1 and data["trend"][0]["attempts"] == 5


def test_progress_refuses_png_and_says_to_use_svg(sessions, tmp_path):
    result = run("progress", "--chart", str(tmp_path / "radar.png"))
    assert result.exit_code == 2 and ".svg" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "radar.png").exists()


def test_radar_chart_is_valid_svg_with_seven_axes(sessions, isolated_home):
    assert run("progress").exit_code == 0
    root = ET.parse(isolated_home / "progress.svg").getroot()
    assert root.tag == f"{SVG}svg"
    axes = [e for e in root.iter(f"{SVG}line") if e.get("class") == "axis"]
    assert len(axes) == 7
    labels = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for area in AREAS.values():
        assert area.title in labels
    assert "no attempts yet" in labels


def test_radar_escapes_labels_and_handles_untried_areas():
    svg = radar_svg([Spoke("<b>R&D</b>", 80.0), Spoke("plain", None), Spoke("new", 40.0, low_evidence=True)])
    root = ET.fromstring(svg)
    assert "<b>R&D</b>" in "".join(root.itertext())
    assert len([e for e in root.iter(f"{SVG}circle") if "hollow" in (e.get("class") or "")]) == 1


# -- mastery ----------------------------------------------------------------------------------------------------
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def attempt(score: float, days_ago: float = 0, topic: str = "rag") -> AttemptRow:
    at = (NOW - timedelta(days=days_ago)).isoformat(timespec="milliseconds")
    return AttemptRow("s1", f"system_design.{topic}.q", "system_design", topic, 2, score, False, 0, 0, at)


def test_mastery_shrinks_toward_50_with_one_attempt():
    one = mastery([attempt(100)], NOW)["system_design"]
    assert 50 < one.score < 80 and one.low_evidence
    many = mastery([attempt(100) for _ in range(10)], NOW)["system_design"]
    assert many.score > 90 and not many.low_evidence
    assert 30 < mastery([attempt(0)], NOW)["system_design"].score < 50


def test_mastery_weighs_recent_attempts_more():
    improving = mastery([attempt(0, days_ago=90), attempt(100, days_ago=1)], NOW)["system_design/rag"]
    declining = mastery([attempt(100, days_ago=90), attempt(0, days_ago=1)], NOW)["system_design/rag"]
    assert improving.score > 50 > declining.score


def test_progress_report_says_little_evidence_below_three_attempts():
    report = progress([attempt(90), attempt(80, topic="tool-use"), attempt(85, topic="tool-use")], NOW)
    design = next(a for a in report.areas if a.key == "system_design")
    assert design.attempts == 3 and not design.low_evidence
    assert all(t.low_evidence for t in report.topics)
    text = progress_text(report, "chart.svg")
    assert "little evidence" in text and "chart.svg" in text and "not tried yet" in text
