"""The app as a whole: state lives in the database only, the OpenAPI schema, `viva serve`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from tests.fakes import keyword_grade
from tests.web.conftest import key_points, span_grade, start
from viva.cli import cli
from viva.store import open_store
from viva.web.app import create_app
from viva.web.server import check_host, is_loopback


def fresh_client(bank, grader=span_grade) -> TestClient:
    """Another app instance (another worker, or a restart) on the same database."""
    return TestClient(create_app(store=open_store(), bank=bank, grader=grader))


def test_state_survives_a_fresh_app_on_the_same_database(client, bank):
    state = start(client)
    client.post(f"/api/sessions/{state['id']}/hint")
    client.post(f"/api/sessions/{state['id']}/answer", json={"text": "unsure"})
    before = client.get(f"/api/sessions/{state['id']}").json()

    other = fresh_client(bank)
    after = other.get(f"/api/sessions/{state['id']}").json()
    assert {k: v for k, v in after["current"].items() if k != "waited_s"} == {
        k: v for k, v in before["current"].items() if k != "waited_s"
    }
    assert after["current"]["prompt_kind"] == "follow_up" and after["current"]["hint"]
    done = other.post(f"/api/sessions/{state['id']}/answer", json={"text": " ".join(key_points(bank, state))})
    assert done.json()["feedback"]["score"] == 90  # one hint
    assert client.get(f"/api/sessions/{state['id']}").json()["current"]["number"] == 2  # the first app sees it too


def test_rebuilding_a_session_replays_stored_grades_instead_of_grading_again(client, bank):
    state = start(client)
    client.post(f"/api/sessions/{state['id']}/answer", json={"text": "unsure"})
    calls = []

    def counting(question, text):
        calls.append(text)
        return keyword_grade(question, text)

    other = fresh_client(bank, counting)
    assert other.get(f"/api/sessions/{state['id']}").json()["current"]["prompt_kind"] == "follow_up"
    assert calls == []
    other.post(f"/api/sessions/{state['id']}/answer", json={"text": "a second try"})
    assert calls == ["unsure\n\na second try"]  # only the new answer, graded with what came before


def test_a_grade_function_or_a_grader_object_can_be_injected(bank):
    class Named:
        name = "named/2"

        def grade(self, question, text):
            return keyword_grade(question, text)

    client = fresh_client(bank, Named())
    state = start(client, questions=1)
    assert client.get(f"/api/sessions/{state['id']}/transcript").json()["grader"] == "named/2"


def test_openapi_lists_every_api_path_with_response_models(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/sessions",
        "/api/sessions/{session_id}",
        "/api/sessions/{session_id}/transcript",
        "/api/sessions/{session_id}/questions/{number}",
        "/api/sessions/{session_id}/answer",
        "/api/sessions/{session_id}/hint",
        "/api/sessions/{session_id}/skip",
        "/api/sessions/{session_id}/next",
        "/api/progress",
        "/api/review",
        "/api/bank",
        "/api/bank/{question_id}",
        "/healthz",
    ):
        assert path in paths, path
    answer = paths["/api/sessions/{session_id}/answer"]["post"]["responses"]
    assert answer["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ActionResult")
    assert {"404", "409", "413", "422"} <= set(answer)
    assert not any(p.startswith("/interview") for p in paths)  # pages are not API


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_hosts_are_served(host):
    assert is_loopback(host) and check_host(host) == host


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.com"])
def test_serve_refuses_a_non_loopback_host(host):
    assert not is_loopback(host)
    result = CliRunner().invoke(cli, ["serve", "--host", host])
    assert result.exit_code == 2 and "multi-user mode" in result.output and "127.0.0.1" in result.output


def test_serve_runs_uvicorn_on_the_app(monkeypatch):
    import uvicorn

    ran = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: ran.update(app=app, host=host, port=port))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert ran["host"] == "127.0.0.1" and ran["port"] == 8123 and "http://127.0.0.1:8123" in result.output
    assert TestClient(ran["app"]).get("/healthz").json() == {"status": "ok"}
