"""The JSON API: a whole interview with a follow-up, hints, skips, history, progress, review and the bank."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.web.conftest import key_points, start
from viva.coach.review import schedule


def answer(client, state: dict, text: str) -> dict:
    body = {"text": text, "position": state["current"]["position"], "elapsed_s": 12.5}
    response = client.post(f"/api/sessions/{state['id']}/answer", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_whole_interview_with_a_follow_up(client, bank):
    state = start(client)
    assert state["current"]["number"] == 1 and state["current"]["total"] == 2
    assert state["current"]["prompt_kind"] == "question"

    first = answer(client, state, "I would need to think about that.")
    assert first["feedback"] is None and first["follow_up"]
    current = first["state"]["current"]
    assert current["prompt_kind"] == "follow_up" and current["prompt"] == first["follow_up"]
    assert current["number"] == 1 and current["exchanges"][0]["answer"] == "I would need to think about that."

    done = answer(client, first["state"], " ".join(key_points(bank, state)))
    feedback = done["feedback"]
    assert feedback["number"] == 1 and feedback["finished"] and feedback["score"] == 100
    assert [e["kind"] for e in feedback["exchanges"]] == ["question", "follow_up"]
    assert {p["id"] for p in feedback["covered"]} == set(key_points(bank, state)) and not feedback["missed"]
    assert feedback["model_answer"] and feedback["covered"][0]["span"] is not None

    second = done["state"]
    assert second["current"]["number"] == 2 and second["done"] == 1
    last = answer(client, second, " ".join(key_points(bank, second)))
    assert last["state"]["finished"] and last["state"]["current"] is None and last["feedback"]["number"] == 2

    transcript = client.get(f"/api/sessions/{state['id']}/transcript").json()
    assert transcript["status"] == "finished" and transcript["mean_score"] == 100
    assert len(transcript["questions"]) == 2 and transcript["by_area"]
    assert client.get(f"/api/sessions/{state['id']}").json()["finished"]
    assert client.get(f"/api/sessions/{state['id']}/questions/2").json()["score"] == 100
    assert [s["id"] for s in client.get("/api/sessions").json()] == [state["id"]]
    progress = client.get("/api/progress").json()
    assert progress["attempts"] == 2 and len(progress["areas"]) == 7 and progress["trend"][0]["attempts"] == 2


def test_a_weak_answer_with_follow_ups_switched_off_is_graded_at_once(client):
    state = start(client, follow_ups=0, questions=1)
    result = answer(client, state, "no idea")
    assert result["follow_up"] is None and result["feedback"]["score"] == 0
    assert len(result["feedback"]["missed"]) >= 3 and result["state"]["finished"]


def test_hint_is_kept_in_the_state_and_costs_points(client, bank):
    state = start(client, questions=1)
    hinted = client.post(f"/api/sessions/{state['id']}/hint").json()
    assert hinted["hint"] and hinted["state"]["current"]["hints"] == 1
    assert client.get(f"/api/sessions/{state['id']}").json()["current"]["hint"] == hinted["hint"]
    result = answer(client, hinted["state"], " ".join(key_points(bank, state)))
    assert result["feedback"]["score"] == 90 and result["feedback"]["hints"] == 1


def test_skip_and_leaving_a_follow_up(client):
    state = start(client)
    skipped = client.post(f"/api/sessions/{state['id']}/skip").json()
    assert skipped["feedback"]["skipped"] and skipped["feedback"]["score"] == 0
    follow_up = answer(client, skipped["state"], "not sure")
    left = client.post(
        f"/api/sessions/{state['id']}/next", json={"position": follow_up["state"]["current"]["position"]}
    ).json()
    assert left["feedback"]["number"] == 2 and left["state"]["finished"]
    transcript = client.get(f"/api/sessions/{state['id']}/transcript").json()
    assert [q["skipped"] for q in transcript["questions"]] == [True, False]


def test_next_without_a_pending_follow_up_is_a_conflict(client):
    state = start(client)
    response = client.post(f"/api/sessions/{state['id']}/next")
    assert response.status_code == 409 and "no follow-up" in response.json()["detail"]


def test_a_stale_position_is_refused_so_a_double_submit_cannot_answer_the_next_prompt(client):
    state = start(client)
    answer(client, state, "not sure")  # now at the follow-up
    again = client.post(f"/api/sessions/{state['id']}/answer", json={"text": "again", **_at(state)})
    assert again.status_code == 409 and "moved on" in again.json()["detail"]


def _at(state: dict) -> dict:
    return {"position": state["current"]["position"]}


def test_acting_on_a_finished_session_is_a_conflict(client, bank):
    state = start(client, questions=1)
    answer(client, state, " ".join(key_points(bank, state)))
    response = client.post(f"/api/sessions/{state['id']}/skip")
    assert response.status_code == 409 and "finished" in response.json()["detail"]


def test_review_queue_lists_due_questions_and_starts_a_review(client, store, bank):
    assert client.get("/api/review").json() == {"due": [], "next_due": None}
    assert client.post("/api/review").status_code == 409
    qid = next(iter(bank)).id
    schedule(store, qid, 10, now=datetime(2020, 1, 1, tzinfo=UTC))
    queue = client.get("/api/review").json()
    assert [d["question"]["id"] for d in queue["due"]] == [qid]
    review = client.post("/api/review")
    assert review.status_code == 201
    assert review.json()["kind"] == "review" and review.json()["current"]["question"]["id"] == qid


def test_bank_list_filters_by_area_difficulty_and_text(client, bank):
    everything = client.get("/api/bank").json()
    assert everything["total"] == len(bank) == len(everything["questions"])
    safety = client.get("/api/bank", params={"area": "safety", "difficulty": 3}).json()["questions"]
    assert safety and all(q["area"] == "safety" and q["difficulty"] == 3 for q in safety)
    found = client.get("/api/bank", params={"q": "prompt injection"}).json()["questions"]
    assert found and len(found) < len(bank)
    assert client.get("/api/bank", params={"q": "zzzz-no-such-words"}).json()["questions"] == []


def test_bank_detail_has_the_rubric(client, bank):
    question = next(iter(bank))
    detail = client.get(f"/api/bank/{question.id}").json()
    assert [p["id"] for p in detail["key_points"]] == [p.id for p in question.key_points]
    assert detail["model_answer"] == question.model_answer and detail["misconceptions"]


def test_start_honours_areas_difficulty_and_a_job_description(client):
    state = start(client, areas=["cost_latency"], difficulty=3, job_description="We cache LLM responses to cut cost")
    question = state["current"]["question"]
    assert question["area"] == "cost_latency" and question["difficulty"] == 3
