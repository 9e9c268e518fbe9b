"""Stored interviews: every answer is committed before grading; --resume replays to exactly where it stopped."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.fakes import all_points, keyword_grade
from viva.bank import load_bank
from viva.cli import cli
from viva.interview import records
from viva.interview.plan import Plan
from viva.interview.session import Session
from viva.store import open_store


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def start(bank, **plan):
    store = open_store()
    return store, Session.start(store, bank, Plan(**{"seed": 3, "questions": 3, **plan}), keyword_grade, "fake/1")


def test_answer_is_stored_before_grading(bank):
    def broken_grader(question, text):
        raise RuntimeError("grader crashed")

    store = open_store()
    session = Session.start(store, bank, Plan(seed=1), broken_grader, "broken/1")
    with pytest.raises(RuntimeError):
        session.answer("my precious answer")
    stored = records.events(store, session.id)
    assert [(e.kind, e.text) for e in stored if e.kind != "ask"] == [("question", "my precious answer")]


def test_resume_continues_at_the_next_unanswered_question(bank):
    store, session = start(bank)
    first = session.engine.current.question
    session.answer(all_points(first))
    second = session.engine.current.question
    del session  # the process dies here

    resumed = Session.resume(store, bank, records.latest_unfinished(store).id, keyword_grade, "fake/1")
    assert resumed.engine.current.question.id == second.id
    assert resumed.turns[0].question.id == first.id and resumed.turns[0].grade.score == 100
    while not resumed.engine.finished:
        resumed.answer(all_points(resumed.engine.current.question))
    done = records.attempts(store, session_id=resumed.id)
    assert [a.question_id for a in done][:2] == [first.id, second.id] and len(done) == 3
    assert records.get_session(store, resumed.id).status == "finished"


def test_resume_mid_follow_up_keeps_hints_and_pending_follow_up(bank):
    store, session = start(bank)
    session.hint()
    session.answer("nothing useful")  # weak -> follow-up pending
    pending = session.engine.prompt.prompt
    resumed = Session.resume(store, bank, session.id, keyword_grade, "fake/1")
    assert resumed.engine.prompt.kind == "follow_up" and resumed.engine.prompt.prompt == pending
    assert resumed.turns[0].hints == 1
    assert [e.kind for e in records.events(store, session.id)] == ["ask", "hint", "question"]  # replay adds none


def test_a_session_sees_the_history_from_before_it_started_however_often_it_is_rebuilt(bank):
    store, earlier = start(bank, questions=1)
    earlier.skip()
    earlier_question = earlier.turns[0].question.id
    _, session = start(bank, questions=3)
    session.answer(all_points(session.engine.current.question))
    live = session.engine.history

    rebuilt = Session.resume(store, bank, session.id, keyword_grade, "fake/1")
    rebuilt.answer(all_points(rebuilt.engine.current.question))  # picks the third question freely
    assert rebuilt.engine.history == live
    assert set(live.last_score) == {earlier_question}  # not the session's own answers


def test_resume_replays_stored_grades_instead_of_grading_again(bank):
    store, session = start(bank)
    session.answer(all_points(session.engine.current.question))

    def no_grading(question, text):
        raise AssertionError("a stored answer was graded again")

    resumed = Session.resume(store, bank, session.id, no_grading, "fake/1")
    assert resumed.turns[0].grade == session.turns[0].grade


def test_finished_session_cannot_be_resumed(bank):
    store, session = start(bank, questions=1)
    session.answer(all_points(session.engine.current.question))
    from viva.errors import VivaError

    with pytest.raises(VivaError, match="already finished"):
        Session.resume(store, bank, session.id, keyword_grade, "fake/1")


def test_finished_questions_are_scheduled_for_review(bank):
    from viva.coach.review import next_due

    store, session = start(bank, questions=1)
    session.skip()
    assert next_due(store) is not None


def write_answers(tmp_path, answers):
    path = tmp_path / "answers.yaml"
    path.write_text(json.dumps(answers))
    return path


def test_scripted_interview_json_puts_only_the_record_on_stdout(tmp_path):
    answers = write_answers(tmp_path, ["I do not know", "/next", "/skip", "/hint", "no idea", "/next"])
    result = CliRunner().invoke(
        cli, ["interview", "--answers", str(answers), "--questions", "3", "--seed", "5", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["status"] == "finished" and len(record["questions"]) == 3
    first = record["questions"][0]
    assert first["answers"][0]["text"] == "I do not know" and first["follow_ups"]
    assert record["questions"][1]["skipped"] and record["questions"][2]["hints"] == 1
    assert "Question 1 of 3" in result.stderr


def test_scripted_interview_that_runs_out_of_answers_is_saved(tmp_path):
    answers = write_answers(tmp_path, ["/skip"])
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--questions", "2", "--seed", "5"])
    assert result.exit_code == 0 and "Resume with" in result.output
    resumed = CliRunner().invoke(cli, ["interview", "--resume", "--answers", str(answers)])
    assert resumed.exit_code == 0 and "Question 2 of 2" in resumed.output


def test_empty_answers_are_asked_again_then_skipped(tmp_path):
    answers = write_answers(tmp_path, ["", "  ", "", "/quit"])
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--questions", "2", "--seed", "5"])
    assert result.output.count("That was empty") == 2
    assert "counting this question as skipped" in result.output


def test_huge_paste_is_refused_with_the_limit(tmp_path):
    answers = write_answers(tmp_path, ["x " * 15_000, "/quit"])
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--questions", "1", "--seed", "5"])
    assert "limited to 20,000" in result.output
    store = open_store()
    assert all(e.kind != "question" for s in records.list_sessions(store) for e in records.events(store, s.id))


def test_unknown_area_lists_the_valid_ones():
    result = CliRunner().invoke(cli, ["interview", "--area", "vibes", "--answers", "/dev/null"])
    assert result.exit_code == 2 and "use one of: fundamentals" in result.output


def test_bad_answers_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "a.yaml"
    bad.write_text("answer: [unclosed")
    result = CliRunner().invoke(cli, ["interview", "--answers", str(bad)])
    assert result.exit_code == 2 and f"{bad}:" in result.output and "Traceback" not in result.output


def test_corrupted_database_is_reported_not_reset(isolated_home, tmp_path):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "viva.db").write_bytes(b"garbage" * 1000)
    answers = write_answers(tmp_path, ["/quit"])
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers)])
    assert result.exit_code == 2 and "corrupted" in result.output
    assert (isolated_home / "viva.db").read_bytes().startswith(b"garbage")


def test_resume_with_nothing_to_resume():
    result = CliRunner().invoke(cli, ["interview", "--resume", "--answers", "/dev/null"])
    assert result.exit_code == 2 and "no unfinished interview" in result.output


def test_a_resumed_session_asks_the_pending_follow_up_in_the_interviewer_s_words(bank):
    from viva.llm.types import ScriptedChatModel

    store, session = start(bank)
    session.interviewer = ScriptedChatModel(lambda messages: "Which part of that would you measure first?")
    outcome = session.answer("nothing useful")
    assert outcome.follow_up == "Which part of that would you measure first?"

    resumed = Session.resume(store, bank, session.id, keyword_grade, "fake/1")
    assert resumed.engine.prompt.prompt == outcome.follow_up
    resumed.answer("the tokenizer")
    asked = [e.prompt for e in records.events(store, session.id) if e.kind == "follow_up"]
    assert asked == [outcome.follow_up]
