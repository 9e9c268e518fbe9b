"""The labs page and API: the same exercises, sandbox and grading as `viva lab`, per user."""

from __future__ import annotations

from viva.labs.exercise import load_exercises

SOFTMAX = load_exercises()["softmax"]


def test_labs_api_lists_and_details_without_secrets(client):
    labs = client.get("/api/labs").json()
    assert len(labs) >= 15 and {"id", "title", "best_score"} <= set(labs[0])
    detail = client.get("/api/labs/softmax").json()
    assert detail["starter"] == SOFTMAX.starter and "solution" not in detail and "cases" not in detail
    assert client.get("/api/labs/nope").status_code == 404


def test_submit_through_the_api_records_progress(client):
    report = client.post("/api/labs/softmax/submit", json={"code": SOFTMAX.solution}).json()
    assert report["verdict"] == "passed" and all(t["passed"] for t in report["tests"])
    assert next(lab for lab in client.get("/api/labs").json() if lab["id"] == "softmax")["best_score"] == 100.0
    wrong = client.post("/api/labs/softmax/submit", json={"code": SOFTMAX.wrong}).json()
    assert wrong["verdict"] == "failed"


def test_oversized_code_is_refused_with_the_limit(client):
    response = client.post("/api/labs/softmax/submit", json={"code": "x = 1\n" * 10_000})
    assert response.status_code == 413


def test_lab_pages_render_and_escape(client):
    assert "Coding labs" in client.get("/labs").text
    page = client.get("/labs/softmax")
    assert page.status_code == 200 and "Numerically stable softmax" in page.text
    code = "def softmax(x, axis=-1):\n    return '<script>alert(1)</script>'\n"
    result = client.post("/labs/softmax", data={"code": code})
    assert result.status_code == 200 and "<script>alert(1)" not in result.text and "&lt;script&gt;" in result.text
