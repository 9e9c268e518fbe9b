"""Multi-user security: every route but sign-in needs a login; user A can neither read nor change user B's data
through any route (unknown and foreign ids alike are 404); CSRF tokens; escaping; size limits; sign-in throttling."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.web.conftest import start
from tests.web.multiuser import (
    PASSWORDS,
    add_users,
    form_token,
    multi_user_app,
    position,
    sign_in,
)
from viva.accounts import LOCKOUT_FAILURES
from viva.store import Store
from viva.web.limits import MAX_BODY_BYTES

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/api/login"), ("GET", "/healthz")}


def routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, with made-up ids in the path."""
    found = []
    for method, template in _api_routes(app.routes):
        path = re.sub(r"\{[a-z_]+\}", "some-id", template.replace("{number}", "1"))
        found.append((method, path))
    return found


def _api_routes(routes, prefix: str = ""):
    for route in routes:
        if isinstance(route, APIRoute):
            yield from ((method, prefix + route.path) for method in sorted(route.methods - {"HEAD"}))
        elif hasattr(route, "original_router"):  # FastAPI >= 0.165 keeps included routers as routes
            yield from _api_routes(route.original_router.routes, prefix + route.include_context.prefix)


def test_every_route_but_sign_in_and_health_needs_a_login(multi_app, anonymous):
    checked = 0
    for method, path in routes(multi_app):
        if (method, path) in PUBLIC:
            continue
        response = anonymous.request(method, path, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.text)
        elif method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next=/"), (method, path)
        else:
            assert response.status_code in (303, 401), (method, path)
            assert "Sign in" in response.text or response.headers["location"].startswith("/login"), (method, path)
        checked += 1
    assert checked >= 25
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/static/viva.css").status_code == 200


def test_a_forged_or_stale_cookie_is_not_a_login(anonymous):
    anonymous.cookies.set("viva_session", "made-up")
    assert anonymous.get("/api/sessions").status_code == 401


def idor_requests(session_id: str, pos: str) -> list[tuple[str, str, dict]]:
    s = session_id
    return [
        ("GET", f"/api/sessions/{s}", {}),
        ("GET", f"/api/sessions/{s}/transcript", {}),
        ("GET", f"/api/sessions/{s}/questions/1", {}),
        ("POST", f"/api/sessions/{s}/answer", {"json": {"text": "bob was here", "position": pos}}),
        ("POST", f"/api/sessions/{s}/hint", {"json": {"position": pos}}),
        ("POST", f"/api/sessions/{s}/skip", {"json": {"position": pos}}),
        ("POST", f"/api/sessions/{s}/next", {"json": {"position": pos}}),
        ("GET", f"/interview/{s}", {}),
        ("GET", f"/sessions/{s}", {}),
        ("GET", f"/sessions/{s}/questions/1", {}),
        ("POST", f"/interview/{s}/answer", {"data": {"answer": "bob was here", "position": pos}}),
        ("POST", f"/interview/{s}/hint", {"data": {"position": pos}}),
        ("POST", f"/interview/{s}/skip", {"data": {"position": pos}}),
        ("POST", f"/interview/{s}/next", {"data": {"position": pos}}),
    ]


def test_one_user_cannot_read_or_change_anothers_sessions(alice, bob):
    state = start(alice)
    pos = state["current"]["position"]
    before = alice.get(f"/api/sessions/{state['id']}/transcript").json()
    for method, path, body in idor_requests(state["id"], pos):
        response = bob.request(method, path, **body)
        assert response.status_code == 404, (method, path, response.status_code)
        assert "bob was here" not in response.text and state["current"]["question"]["text"] not in response.text
        unknown = bob.request(method, path.replace(state["id"], "no-such-session"), **body)
        assert unknown.status_code == 404, (method, path)  # a foreign id looks exactly like an unknown one
    assert alice.get(f"/api/sessions/{state['id']}/transcript").json() == before  # nothing bob sent changed it
    assert bob.get("/api/sessions").json() == []
    assert state["id"] not in bob.get("/history").text
    assert bob.get("/api/progress").json()["trend"] == []


def test_progress_and_review_are_per_user(alice, bob, bank):
    state = start(alice, questions=1)
    body = {"text": "anything at all", "position": state["current"]["position"]}
    alice.post(f"/api/sessions/{state['id']}/answer", json=body)
    alice.post(f"/api/sessions/{state['id']}/skip", json={})
    assert alice.get("/api/progress").json()["trend"] and not bob.get("/api/progress").json()["trend"]
    assert alice.get("/api/sessions").json() and not bob.get("/api/sessions").json()


def test_state_changing_requests_need_the_csrf_token(alice, store):
    token = alice.headers.pop("X-CSRF-Token")
    assert alice.post("/api/sessions", json={"questions": 1}).status_code == 403
    wrong = alice.post("/api/sessions", json={"questions": 1}, headers={"X-CSRF-Token": "wrong"})
    assert wrong.status_code == 403 and "X-CSRF-Token" in wrong.json()["detail"]
    assert alice.post("/interviews", data={"questions": "1"}).status_code == 403
    assert alice.post("/interviews", data={"questions": "1", "csrf_token": "wrong"}).status_code == 403
    assert alice.post("/api/logout").status_code == 403
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM sessions")).scalar() == 0
    page = alice.get("/")
    assert form_token(page.text) == token  # every form carries it
    ok = alice.post("/interviews", data={"questions": "1", "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith("/interview/")


def test_every_form_on_the_pages_carries_the_csrf_token(alice):
    state = start(alice)
    for path in ["/", f"/interview/{state['id']}"]:
        html = alice.get(path).text
        forms = re.findall(r'<form method="post".*?</form>', html, flags=re.S)
        assert forms and all(f'name="csrf_token" value="{alice.headers["X-CSRF-Token"]}"' in f for f in forms), path


def test_html_and_script_in_an_answer_are_shown_escaped(alice):
    state = start(alice, questions=1, follow_ups=0)
    page = alice.get(f"/interview/{state['id']}")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    form = {"answer": evil, "position": position(page.text), "csrf_token": form_token(page.text)}
    shown = alice.post(f"/interview/{state['id']}/answer", data=form)
    transcript = alice.get(f"/sessions/{state['id']}")
    for response in (shown, transcript):
        assert response.status_code == 200
        assert "<script>alert" not in response.text and "<img src=x" not in response.text
        assert "&lt;script&gt;alert(" in response.text
    assert "default-src 'self'" in shown.headers["content-security-policy"]


def test_oversized_input_is_refused_naming_the_limit(alice):
    state = start(alice)
    huge = alice.post(f"/api/sessions/{state['id']}/answer", content=b"x" * (MAX_BODY_BYTES + 1))
    assert huge.status_code == 413 and "64 KB" in huge.json()["detail"]
    body = {"text": "a" * 20_001, "position": state["current"]["position"]}
    long = alice.post(f"/api/sessions/{state['id']}/answer", json=body)
    assert long.status_code == 413 and "20,000" in long.json()["detail"]


def test_repeated_bad_logins_are_refused_for_a_while(store, bank):
    add_users(store)
    client = TestClient(multi_user_app(store, bank))
    for _ in range(LOCKOUT_FAILURES):
        assert client.post("/api/login", json={"username": "alice", "password": "guess-guess"}).status_code == 401
    refused = client.post("/api/login", json={"username": "alice", "password": PASSWORDS["alice"]})
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 15 * 60
    # Another worker over the same database refuses too: the count lives in the store, not in a process.
    other_worker = TestClient(multi_user_app(store, bank))
    assert other_worker.post("/api/login", json={"username": "alice", "password": "x"}).status_code == 429
    page = other_worker.get("/login")
    form = {"username": "alice", "password": PASSWORDS["alice"], "csrf_token": form_token(page.text)}
    assert other_worker.post("/login", data=form).status_code == 429
    # The same address is throttled for other names too; after the window, sign-in works again.
    assert client.post("/api/login", json={"username": "bob", "password": PASSWORDS["bob"]}).status_code == 429
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE login_attempts SET window_start_at = '2000-01-01T00:00:00.000+00:00'"))
    sign_in(client, "alice")


def test_api_login_takes_only_json_so_another_site_cannot_sign_a_browser_in(anonymous):
    """A cross-site form can send text/plain or a form body, never application/json without a CORS preflight."""
    body = json.dumps({"username": "alice", "password": PASSWORDS["alice"]})
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        assert anonymous.post("/api/login", content=body, headers={"content-type": kind}).status_code == 422
    assert "viva_session" not in anonymous.cookies


def test_security_headers_on_the_sign_in_page(anonymous):
    headers = anonymous.get("/login").headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


# -- PostgreSQL --------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_isolation_csrf_and_throttling_on_postgresql(fresh_postgres, bank):
    store = Store(fresh_postgres)
    try:
        add_users(store)
        app = multi_user_app(store, bank)
        alice, bob = TestClient(app), TestClient(app)
        sign_in(alice, "alice")
        sign_in(bob, "bob")
        state = start(alice)
        for method, path, body in idor_requests(state["id"], state["current"]["position"]):
            assert bob.request(method, path, **body).status_code == 404, (method, path)
        assert alice.post("/api/sessions", json={}, headers={"X-CSRF-Token": "wrong"}).status_code == 403
        stranger = TestClient(app)
        codes = [
            stranger.post("/api/login", json={"username": "bob", "password": "nope-nope"}).status_code
            for _ in range(LOCKOUT_FAILURES + 1)
        ]
        assert codes == [401] * LOCKOUT_FAILURES + [429]
    finally:
        store.close()
