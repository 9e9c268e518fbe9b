"""The pages render, drive an interview with plain forms, and show untrusted answers escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.web.conftest import key_points, start
from viva.coach.review import schedule

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_start_page_has_a_labelled_form(client):
    page = client.get("/")
    assert page.status_code == 200 and 'action="/interviews"' in page.text
    for field in ("difficulty", "questions", "job_description", "area-safety"):
        assert f'for="{field}"' in page.text and f'id="{field}"' in page.text


def test_every_input_has_a_label(client, bank):
    state = start(client)
    for path in ("/", f"/interview/{state['id']}", "/bank"):
        html = client.get(path).text
        ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
        assert ids, path
        for field in ids:
            assert f'for="{field}"' in html, f"{path}: #{field} has no label"


def test_forms_drive_an_interview_with_a_follow_up_to_the_summary(client, bank):
    started = client.post(
        "/interviews",
        data={"areas": ["safety", "evaluation"], "difficulty": "adaptive", "questions": "1", "job_description": ""},
        follow_redirects=False,
    )
    assert started.status_code == 303
    url = started.headers["location"]
    session_id = url.rsplit("/", 1)[-1]
    state = client.get(f"/api/sessions/{session_id}").json()
    assert state["current"]["question"]["area"] in ("safety", "evaluation")

    page = client.get(url)
    assert page.status_code == 200 and "Question 1 of 1" in page.text
    assert _html(state["current"]["question"]["text"]) in page.text and 'role="timer"' in page.text
    assert "Next (leave follow-up)" not in page.text

    weak = client.post(f"{url}/answer", data={"answer": "unsure", "position": "1.1", "elapsed_s": "3.2"})
    assert weak.url.path == url and "Follow-up" in weak.text and "Next (leave follow-up)" in weak.text

    done = client.post(f"{url}/answer", data={"answer": " ".join(key_points(bank, state)), "position": "1.2"})
    assert done.url.path == f"/sessions/{session_id}/questions/1"
    assert "Question 1: 100/100" in done.text and "See the summary" in done.text
    assert "What a strong answer sounds like" in done.text and "<details>" in done.text

    summary = client.get(f"/sessions/{session_id}")
    assert summary.status_code == 200 and "Mean score 100/100" in summary.text and "Summary per area" in summary.text
    assert client.get(url).url.path == f"/sessions/{session_id}"  # a finished interview shows its summary


def test_hint_skip_and_next_buttons(client):
    state = start(client)
    url = f"/interview/{state['id']}"
    hinted = client.post(f"{url}/hint", data={"answer": "half-typed draft", "position": "1.1"})
    assert hinted.status_code == 200 and "Hint" in hinted.text and "half-typed draft" in hinted.text
    skipped = client.post(f"{url}/skip", data={"position": "1.1"})
    assert skipped.url.path == f"/sessions/{state['id']}/questions/1" and "skipped" in skipped.text
    assert "Next question (2 of 2)" in skipped.text
    client.post(f"{url}/answer", data={"answer": "unsure", "position": "2.1"})
    left = client.post(f"{url}/next", data={"position": "2.2"})
    assert left.url.path == f"/sessions/{state['id']}/questions/2"


def test_an_empty_answer_is_asked_again(client):
    state = start(client)
    response = client.post(f"/interview/{state['id']}/answer", data={"answer": "  ", "position": "1.1"})
    assert response.status_code == 422 and "empty" in response.text


def test_a_stale_form_gets_a_409_page(client):
    state = start(client)
    client.post(f"/interview/{state['id']}/answer", data={"answer": "unsure", "position": "1.1"})
    stale = client.post(f"/interview/{state['id']}/answer", data={"answer": "again", "position": "1.1"})
    assert stale.status_code == 409 and "moved on" in stale.text


def _html(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )


@pytest.mark.parametrize("highlighted", [True, False])
def test_html_in_an_answer_is_shown_escaped(client, bank, highlighted):
    state = start(client, questions=1)
    points = " ".join(key_points(bank, state)) if highlighted else "unsure"
    first = client.post(f"/interview/{state['id']}/answer", data={"answer": f"{SCRIPT} {points}", "position": "1.1"})
    if not highlighted:  # the follow-up page repeats the answer so far
        assert "<script>alert" not in first.text and "&lt;script&gt;" in first.text
        first = client.post(f"/interview/{state['id']}/skip", data={"position": "1.2"})
    pages = [first, client.get(f"/sessions/{state['id']}")]
    for page in pages:
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    if highlighted:
        assert '<mark class="hl-covered"' in first.text


def test_history_progress_review_and_bank_pages(client, bank, store):
    state = start(client, questions=1)
    client.post(f"/api/sessions/{state['id']}/answer", json={"text": " ".join(key_points(bank, state))})
    history = client.get("/history")
    assert history.status_code == 200 and state["id"] in history.text
    progress = client.get("/progress")
    assert progress.status_code == 200 and "<svg" in progress.text and "Mastery per area" in progress.text
    assert "Mean score per day" in progress.text
    assert "Nothing is due" in client.get("/review").text
    qid = state["current"]["question"]["id"]
    schedule(store, qid, 10, now=datetime(2020, 1, 1, tzinfo=UTC))
    review = client.get("/review")
    assert "1 question due" in review.text
    started = client.post("/review", follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"].startswith("/interview/")

    listing = client.get("/bank", params={"area": "safety", "difficulty": "2", "q": "injection"})
    assert listing.status_code == 200 and "safety." in listing.text and "fundamentals." not in listing.text
    question = bank.questions[qid]
    detail = client.get(f"/bank/{qid}")
    assert detail.status_code == 200 and _html(question.key_points[0].text) in detail.text
    assert _html(question.key_points[0].probe) in detail.text and "Model answer" in detail.text


def test_empty_history_and_progress_say_how_to_start(client):
    assert "No sessions yet" in client.get("/history").text
    assert "No answers yet" in client.get("/progress").text


def test_pages_send_security_headers(client):
    headers = client.get("/").headers
    assert headers["x-content-type-options"] == "nosniff" and "script-src" not in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]


def test_static_files_are_served(client):
    assert client.get("/static/viva.css").status_code == 200
    assert "timer" in client.get("/static/viva.js").text


def test_the_start_form_takes_a_fixed_difficulty(client):
    started = client.post("/interviews", data={"areas": "prompting", "difficulty": "1", "questions": "1"})
    assert "· junior" in started.text and "Prompt engineering" in started.text


def test_a_bad_start_form_is_shown_again_with_what_to_fix(client):
    response = client.post("/interviews", data={"areas": "astrology", "questions": "0", "job_description": "<i>x</i>"})
    assert response.status_code == 422 and "Please fix" in response.text and "questions" in response.text
    assert "&lt;i&gt;x&lt;/i&gt;" in response.text and 'value="0"' in response.text
