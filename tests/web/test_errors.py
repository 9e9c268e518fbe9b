"""Bad input: unknown ids 404, malformed JSON 422 naming the field, oversized answers and bodies 413."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from tests.web.conftest import start
from viva.interview.plan import MAX_ANSWER_CHARS
from viva.web.limits import MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/sessions/nope"),
        ("get", "/api/sessions/nope/transcript"),
        ("get", "/api/sessions/nope/questions/1"),
        ("post", "/api/sessions/nope/hint"),
        ("post", "/api/sessions/nope/skip"),
        ("post", "/api/sessions/nope/next"),
        ("get", "/api/bank/fundamentals.no-such-question"),
    ],
)
def test_unknown_ids_are_404(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 404 and "no " in response.json()["detail"]


def test_answer_to_an_unknown_session_is_404(client):
    assert client.post("/api/sessions/nope/answer", json={"text": "hi"}).status_code == 404


def test_question_number_past_the_end_is_404(client):
    state = start(client)
    response = client.get(f"/api/sessions/{state['id']}/questions/9")
    assert response.status_code == 404 and "no question 9" in response.json()["detail"]


def test_unknown_pages_are_404_html(client):
    for path in ("/sessions/nope", "/interview/nope", "/bank/safety.nope", "/sessions/nope/questions/1"):
        response = client.get(path)
        assert response.status_code == 404 and "text/html" in response.headers["content-type"], path
        assert "Not found" in response.text


def test_malformed_json_is_422(client):
    state = start(client)
    response = client.post(
        f"/api/sessions/{state['id']}/answer", content=b'{"text": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "json_invalid"


def test_a_missing_or_wrong_field_is_422_naming_it(client):
    state = start(client)
    missing = client.post(f"/api/sessions/{state['id']}/answer", json={"answer": "wrong field name"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "text"]
    typed = client.post(f"/api/sessions/{state['id']}/answer", json={"text": "ok", "elapsed_s": "soon"})
    assert typed.status_code == 422 and typed.json()["detail"][0]["loc"] == ["body", "elapsed_s"]
    blank = client.post(f"/api/sessions/{state['id']}/answer", json={"text": "   "})
    assert blank.status_code == 422 and "empty" in blank.json()["detail"][0]["msg"]
    area = client.post("/api/sessions", json={"areas": ["astrology"]})
    assert area.status_code == 422 and area.json()["detail"][0]["loc"] == ["body", "areas", 0]
    count = client.post("/api/sessions", json={"questions": 0})
    assert count.status_code == 422 and count.json()["detail"][0]["loc"] == ["body", "questions"]


def test_an_answer_over_the_limit_is_413_naming_it(client):
    state = start(client)
    response = client.post(f"/api/sessions/{state['id']}/answer", json={"text": "x" * (MAX_ANSWER_CHARS + 1)})
    assert response.status_code == 413
    assert f"{MAX_ANSWER_CHARS:,}" in response.json()["detail"] and "answer" in response.json()["detail"]
    assert client.get(f"/api/sessions/{state['id']}").json()["current"]["exchanges"] == []  # nothing stored


def test_a_job_description_over_the_limit_is_413(client):
    response = client.post("/api/sessions", json={"job_description": "ml " * MAX_ANSWER_CHARS})
    assert response.status_code == 413 and "job description" in response.json()["detail"]


def test_a_body_over_64_kb_is_413_before_any_route_reads_it(client):
    state = start(client)
    response = client.post(f"/api/sessions/{state['id']}/answer", json={"text": "x" * (MAX_BODY_BYTES + 10)})
    assert response.status_code == 413 and f"{MAX_BODY_BYTES:,} bytes" in response.json()["detail"]


def test_a_streamed_body_over_64_kb_without_content_length_is_413(client):
    state = start(client)
    chunks = (b"x" * 4096 for _ in range(MAX_BODY_BYTES // 4096 + 2))
    response = client.post(
        f"/api/sessions/{state['id']}/answer", content=chunks, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_an_oversized_form_answer_is_413_and_keeps_the_draft(client):
    state = start(client)
    draft = "y" * (MAX_ANSWER_CHARS + 5)
    response = client.post(f"/interview/{state['id']}/answer", data={"answer": draft})
    assert response.status_code == 413 and "20,000" in response.text and draft in response.text


def test_healthz_checks_the_database(client, store):
    assert client.get("/healthz").json() == {"status": "ok"}
    store.engine = create_engine("sqlite:////nonexistent-dir/viva.db")
    response = client.get("/healthz")
    assert response.status_code == 503 and "database" in response.json()["detail"]
