"""With an LLM configured, the web app words follow-ups as the terminal does (`viva.llm.interviewer`), falling back
to the rubric's probe when the model fails; the wording is stored, so every worker and a resumed session ask the
same thing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import span_grade, start
from viva.interview import records
from viva.llm.types import LLMError, ScriptedChatModel
from viva.store import open_store
from viva.web.app import create_app

WORDED = "What would you log to find out which step made it slow?"


def answer(client: TestClient, state: dict, text: str) -> dict:
    body = {"text": text, "position": state["current"]["position"]}
    response = client.post(f"/api/sessions/{state['id']}/answer", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_follow_ups_are_worded_by_the_configured_interviewer(store, bank):
    model = ScriptedChatModel(lambda messages: WORDED)
    client = TestClient(create_app(store=store, bank=bank, grader=span_grade, interviewer=model))
    state = start(client, questions=1)
    result = answer(client, state, "It depends on the latency budget.")
    assert result["follow_up"] == WORDED == result["state"]["current"]["prompt"]
    sent = "\n".join(m.content for m in model.calls[0])
    assert state["current"]["prompt"] in sent and "It depends on the latency budget." in sent

    other_worker = TestClient(create_app(store=open_store(), bank=bank, grader=span_grade))
    assert other_worker.get(f"/api/sessions/{state['id']}").json()["current"]["prompt"] == WORDED

    answer(client, result["state"], "I would time each stage.")
    transcript = client.get(f"/api/sessions/{state['id']}/transcript").json()
    assert [e["prompt"] for e in transcript["questions"][0]["exchanges"]][1] == WORDED


def test_a_failing_interviewer_falls_back_to_the_rubric_probe(store, bank):
    def down(messages):
        raise LLMError("the LLM server is unreachable", "start it")

    client = TestClient(create_app(store=store, bank=bank, grader=span_grade, interviewer=ScriptedChatModel(down)))
    state = start(client, questions=1)
    probes = {p.probe for p in bank.questions[state["current"]["question"]["id"]].key_points}
    result = answer(client, state, "It depends.")
    assert result["follow_up"] in probes
    assert "reworded" not in [e.kind for e in records.events(store, state["id"])]


def test_without_an_llm_configured_there_is_no_interviewer(store, bank):
    app = create_app(store=store, bank=bank, grader=span_grade)
    assert app.state.coach.interviewer is None
