"""Workers keep rebuilt sessions in memory between requests, but the database stays the only truth: two app
instances on one database, acting on the same session in turn, each see what the other did."""

from __future__ import annotations

import asyncio
import threading

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient

from tests.fakes import keyword_grade
from tests.web.conftest import key_points, span_grade, start
from viva.interview import records
from viva.store import open_store
from viva.web.app import create_app


def test_two_app_instances_interleaving_on_one_session_stay_correct(store, bank):
    one = TestClient(create_app(store=store, bank=bank, grader=span_grade))
    other = TestClient(create_app(store=open_store(), bank=bank, grader=span_grade))  # a second worker
    state = start(one, questions=3, follow_ups=2)
    sid = state["id"]
    assert shown(other, sid) == shown(one, sid) == without_clock(state)

    act(other, state, "answer", text="not sure")  # a follow-up, asked by the other worker
    seen = one.get(f"/api/sessions/{sid}").json()  # this worker's copy is stale: it rebuilds
    assert seen["current"]["prompt_kind"] == "follow_up" and seen["current"]["exchanges"][0]["answer"] == "not sure"

    hinted = act(one, seen, "hint")
    assert shown(other, sid) == without_clock(hinted["state"]) and hinted["state"]["current"]["hints"] == 1
    moved = act(other, hinted["state"], "next")
    assert moved["feedback"]["number"] == 1 and moved["state"]["current"]["number"] == 2
    second = one.get(f"/api/sessions/{sid}").json()
    assert without_clock(second) == shown(other, sid) == without_clock(moved["state"])

    done = act(one, second, "answer", text=" ".join(key_points(bank, second)))
    skipped = act(other, done["state"], "skip")
    assert skipped["state"]["finished"]
    assert one.get(f"/api/sessions/{sid}").json()["finished"]

    transcript = one.get(f"/api/sessions/{sid}/transcript").json()
    assert transcript == other.get(f"/api/sessions/{sid}/transcript").json()
    assert [(q["hints"], q["skipped"], q["score"]) for q in transcript["questions"]] == [
        (1, False, 0.0),
        (0, False, 100.0),
        (0, True, 0.0),
    ]
    assert [e.kind for e in records.events(store, sid)] == [
        *("ask", "question", "hint", "next"),
        *("ask", "question"),
        *("ask", "skip"),
    ]


def test_a_stale_page_is_refused_by_a_worker_holding_the_session(store, bank):
    one = TestClient(create_app(store=store, bank=bank, grader=span_grade))
    other = TestClient(create_app(store=open_store(), bank=bank, grader=span_grade))
    state = start(one, follow_ups=0)
    act(other, state, "skip")
    again = one.post(f"/api/sessions/{state['id']}/skip", json={"position": state["current"]["position"]})
    assert again.status_code == 409 and "moved on" in again.json()["detail"]


def test_a_failed_action_does_not_leave_a_half_changed_session_in_memory(store, bank):
    grades = {"fail": True}

    def flaky(question, text):
        if grades.pop("fail", False):
            raise RuntimeError("the grader crashed")
        return keyword_grade(question, text)

    client = TestClient(create_app(store=store, bank=bank, grader=flaky), raise_server_exceptions=False)
    coach = client.app.state.coach
    state = start(client, follow_ups=0)
    failed = client.post(f"/api/sessions/{state['id']}/answer", json={"text": "an answer the grader chokes on"})
    assert failed.status_code == 500
    assert coach.sessions.take(records.get_session(store, state["id"])) is None

    # The answer was stored before grading; the next request rebuilds the session and grades it then.
    after = client.get(f"/api/sessions/{state['id']}").json()
    assert after["done"] == 1 and after["current"]["number"] == 2


def test_the_cache_holds_a_session_only_until_another_event_is_stored(store, bank):
    client = TestClient(create_app(store=store, bank=bank, grader=keyword_grade))
    coach = client.app.state.coach
    state = start(client)
    row = records.get_session(store, state["id"])
    cached = coach.sessions.take(row)
    assert cached is not None and cached.last_seq == row.last_seq
    coach.sessions.put(cached)

    records.add_event(store, state["id"], cached.engine.current.question.id, "hint")  # another worker's hint
    assert coach.sessions.take(records.get_session(store, state["id"])) is None
    assert client.get(f"/api/sessions/{state['id']}").json()["current"]["hints"] == 1


def test_the_cache_keeps_only_its_most_recently_used_sessions(store, bank):
    client = TestClient(create_app(store=store, bank=bank, grader=keyword_grade))
    coach = client.app.state.coach
    coach.sessions.size = 2
    ids = [start(client)["id"] for _ in range(3)]
    client.get(f"/api/sessions/{ids[0]}")  # rebuilt, and now the most recent
    held = [i for i in ids if coach.sessions.take(records.get_session(store, i)) is not None]
    assert held == [ids[0], ids[2]]


@pytest.mark.parametrize("path", ["/api/sessions/{id}/answer", "/interview/{id}/answer"])
def test_an_answer_waiting_to_be_graded_leaves_the_request_threads_free(store, bank, path):
    """With a single thread for the routes that do not grade, a read still gets through while an answer's grading
    is held up: grading runs in threads of its own."""
    grading, release = threading.Event(), threading.Event()

    def held_up(question, text):
        grading.set()
        release.wait(30)  # released below; the timeout only keeps a broken test from hanging
        return keyword_grade(question, text)

    app = create_app(store=store, bank=bank, grader=held_up)

    async def scenario() -> tuple[int, int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            first = (await client.post("/api/sessions", json={"questions": 1})).json()["id"]
            other = (await client.post("/api/sessions", json={"questions": 1})).json()["id"]
            url = path.format(id=first)
            body = {"json": {"text": "an answer"}} if url.startswith("/api") else {"data": {"answer": "an answer"}}
            answering = asyncio.create_task(client.post(url, **body))
            while not grading.is_set():
                await asyncio.sleep(0.01)
            read = await asyncio.wait_for(client.get(f"/api/sessions/{other}"), timeout=20)
            release.set()
            return read.status_code, (await answering).status_code

    read, answered = asyncio.run(scenario())
    assert read == 200 and answered in (200, 303)


def without_clock(state: dict) -> dict:
    """A session's state less the seconds since its prompt was shown, which differ from one request to the next."""
    current = state["current"] and {k: v for k, v in state["current"].items() if k != "waited_s"}
    return {**state, "current": current}


def shown(client: TestClient, session_id: str) -> dict:
    return without_clock(client.get(f"/api/sessions/{session_id}").json())


def act(client: TestClient, state: dict, action: str, **body) -> dict:
    payload = {"position": state["current"]["position"], **body}
    response = client.post(f"/api/sessions/{state['id']}/{action}", json=payload)
    assert response.status_code == 200, response.text
    return response.json()
