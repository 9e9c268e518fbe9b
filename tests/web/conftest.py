from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.fakes import keyword_grade
from viva.bank import load_bank
from viva.bank.schema import Question
from viva.grading.result import Grade, Span
from viva.store import open_store
from viva.web.app import create_app


def span_grade(question: Question, text: str) -> Grade:
    """`keyword_grade`, plus a span per covered point from the start of the answer to the point's id, so the
    highlighted words include whatever the answer says first (markup included)."""
    grade = keyword_grade(question, text)
    points = []
    for p in grade.points:
        at = text.find(p.id)
        span = Span(start=0, end=at + len(p.id), text=text[: at + len(p.id)]) if at >= 0 else None
        points.append(p.model_copy(update={"span": span}))
    return grade.model_copy(update={"points": points})


@pytest.fixture(scope="session")
def bank():
    return load_bank()


@pytest.fixture
def store():
    s = open_store()
    yield s
    s.close()


@pytest.fixture
def client(store, bank):
    return TestClient(create_app(store=store, bank=bank, grader=span_grade))


def key_points(bank, state: dict) -> list[str]:
    """The current question's key point ids, heaviest first."""
    question = bank.questions[state["current"]["question"]["id"]]
    return [p.id for p in sorted(question.key_points, key=lambda p: -p.weight)]


def start(client, **plan) -> dict:
    response = client.post("/api/sessions", json={"questions": 2, "seed": 7, **plan})
    assert response.status_code == 201, response.text
    return response.json()


# Multi-user fixtures: an app with accounts (multi_app) and clients: anonymous, signed in as alice, as bob.
# Imported last, since the kit uses span_grade above.
from tests.web.multiuser import alice, anonymous, bob, multi_app  # noqa: E402, F401
