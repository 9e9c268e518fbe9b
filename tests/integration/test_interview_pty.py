"""The real interactive `viva interview`, driven through a pseudo-terminal as a person would use it."""

from __future__ import annotations

import os
import signal
import sys

import pexpect
import pytest

from viva.interview import records
from viva.store import open_store

pytestmark = pytest.mark.slow
VIVA = [sys.executable, "-m", "viva"]


def spawn(args: list[str], home) -> pexpect.spawn:
    env = {**os.environ, "VIVA_HOME": str(home), "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "160"}
    child = pexpect.spawn(VIVA[0], [*VIVA[1:], *args], env=env, encoding="utf-8", timeout=60, dimensions=(50, 160))
    return child


def answer(child: pexpect.spawn, text: str) -> None:
    child.expect_exact("> ")
    child.sendline(text)
    child.expect_exact("… ")
    child.sendline("")


def test_three_question_interview_with_follow_up_and_hint(isolated_home):
    child = spawn(["interview", "--questions", "3", "--seed", "4", "--area", "fundamentals"], isolated_home)
    child.expect_exact("Question 1 of 3")
    child.expect_exact("> ")
    child.sendline("/hint")
    child.expect_exact("Hint (−10 points)")
    answer(child, "I am not sure, but I think it depends on the model size.")
    child.expect_exact("Follow-up")
    answer(child, "Still not sure, sorry.")
    child.expect_exact("Follow-up")
    child.expect_exact("> ")
    child.sendline("/next")
    child.expect_exact("Score ")
    child.expect_exact("1 hint(s) cost 10 points")
    child.expect_exact("Question 2 of 3")
    child.expect_exact("> ")
    child.sendline("/skip")
    child.expect_exact("Question 3 of 3")
    child.expect_exact("> ")
    child.sendline("/repeat")
    child.expect_exact("Question 3 of 3")
    answer(child, "Tokens are mapped to vectors and processed by stacked attention layers.")
    index = child.expect_exact(["Follow-up", "Summary"])
    if index == 0:
        child.expect_exact("> ")
        child.sendline("/next")
        child.expect_exact("Summary")
    child.expect_exact("Study next")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    store = open_store()
    session = records.list_sessions(store)[0]
    assert session.status == "finished"
    assert len(records.attempts(store, session_id=session.id)) == 3


def test_killed_mid_interview_resume_loses_nothing(isolated_home):
    child = spawn(["interview", "--questions", "3", "--seed", "9"], isolated_home)
    child.expect_exact("Question 1 of 3")
    first_answer = "Attention lets every token look at every other token and mix their values by learned weights."
    answer(child, first_answer)
    child.expect_exact(["Follow-up", "Question 2 of 3"])
    child.kill(signal.SIGKILL)
    child.close()

    store = open_store()
    session = records.list_sessions(store)[0]
    assert session.status == "active"
    stored = [e.text for e in records.events(store, session.id) if e.kind == "question"]
    assert stored == [first_answer]

    resumed = spawn(["interview", "--resume"], isolated_home)
    index = resumed.expect_exact(["Follow-up", "Question 2 of 3"])
    if index == 0:
        resumed.expect_exact("> ")
        resumed.sendline("/next")
        resumed.expect_exact("Question 2 of 3")
    resumed.expect_exact("> ")
    resumed.sendline("/quit")
    resumed.expect_exact("Saved.")
    resumed.expect(pexpect.EOF)
    resumed.close()
    again = [e.text for e in records.events(store, session.id) if e.kind == "question"]
    assert again == [first_answer]
    assert [a.question_id for a in records.attempts(store, session_id=session.id)] == [
        records.events(store, session.id)[0].question_id
    ]
