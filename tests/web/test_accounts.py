"""Multi-user mode: signing in and out, cookies, expiry (an answer in progress survives it), argon2 hashes, and the
`viva user` commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
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
from viva import accounts
from viva.cli import cli
from viva.store import Store, open_store


def page_sign_in(client: TestClient, username: str, next_url: str = "/", **extra: str):
    page = client.get(f"/login?next={next_url}")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    form = {"username": username, "password": PASSWORDS.get(username.lower(), "x" * 10), "next": next_url, **extra}
    return client.post("/login", data={**form, "csrf_token": form_token(page.text)}, follow_redirects=False)


def expire_logins(store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE login_sessions SET expires_at = '2000-01-01T00:00:00.000+00:00'"))


def test_the_sign_in_page_signs_in_and_goes_on_to_next(anonymous):
    response = page_sign_in(anonymous, "Alice", "/history")
    assert response.status_code == 303 and response.headers["location"] == "/history"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("viva_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie and "Secure" not in cookie
    history = anonymous.get("/history")
    assert history.status_code == 200 and "Signed in as <strong>alice</strong>" in history.text


def test_session_cookie_is_secure_with_https_cookies(store, bank):
    add_users(store)
    client = TestClient(multi_user_app(store, bank, https_cookies=True))
    response = client.post("/api/login", json={"username": "bob", "password": PASSWORDS["bob"]})
    assert "Secure" in response.headers["set-cookie"]


def test_a_wrong_password_shows_the_form_again(anonymous):
    response = page_sign_in(anonymous, "alice", password="not-her-password")
    assert response.status_code == 401 and "Wrong username or password" in response.text
    assert "viva_session" not in anonymous.cookies
    assert page_sign_in(anonymous, "nobody").status_code == 401


def test_the_sign_in_form_needs_its_csrf_token(anonymous):
    anonymous.get("/login")
    form = {"username": "alice", "password": PASSWORDS["alice"], "csrf_token": "forged"}
    assert anonymous.post("/login", data=form).status_code == 403
    assert anonymous.get("/api/me").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_next_only_leads_to_this_site(anonymous, target):
    response = page_sign_in(anonymous, "alice", target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_api_login_me_and_logout(anonymous):
    token = sign_in(anonymous, "bob")
    me = anonymous.get("/api/me").json()
    assert me["username"] == "bob" and not me["is_admin"] and me["csrf_token"] == token
    stolen = anonymous.cookies["viva_session"]
    assert anonymous.post("/api/logout").status_code == 204
    assert anonymous.get("/api/me").status_code == 401
    anonymous.cookies.set("viva_session", stolen)  # the session ended on the server, not just in the browser
    assert anonymous.get("/api/me").status_code == 401


def test_the_sign_out_button_ends_the_session(alice):
    page = alice.get("/")
    response = alice.post("/logout", data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert alice.get("/", follow_redirects=False).status_code == 303


def test_an_expired_session_goes_back_to_sign_in_keeping_next(alice, store):
    expire_logins(store)
    response = alice.get("/progress?x=1", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/progress%3Fx%3D1"
    assert alice.get("/api/progress").status_code == 401


def test_an_answer_sent_after_expiry_is_kept_through_sign_in(alice, store):
    """The POST is not graded (nobody is signed in); the sign-in page carries the answer in a hidden field, and
    signing in again puts it back in the answer box, ungraded, to submit."""
    state = start(alice)
    page = alice.get(f"/interview/{state['id']}")
    expire_logins(store)
    del alice.headers["X-CSRF-Token"]
    draft = "My answer <b>in progress</b>\nsecond line"
    form = {"answer": draft, "position": position(page.text), "csrf_token": form_token(page.text)}
    response = alice.post(f"/interview/{state['id']}/answer", data=form)
    assert response.status_code == 401 and "Your sign-in has expired" in response.text
    assert "My answer &lt;b&gt;in progress&lt;/b&gt;" in response.text  # shown, escaped, and in the hidden field
    assert f'name="next" value="/interview/{state["id"]}"' in response.text
    assert not accounts.find_session(store, alice.cookies.get("viva_session") or "-")
    with store.engine.connect() as conn:
        assert (
            conn.execute(text("SELECT COUNT(*) FROM answers WHERE kind IN ('question', 'follow_up')")).scalar() == 0
        )  # nothing graded behind her back
    again = alice.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORDS["alice"],
            "next": f"/interview/{state['id']}",
            "draft": draft,
            "csrf_token": form_token(response.text),
        },
    )
    assert again.status_code == 200 and "My answer &lt;b&gt;in progress&lt;/b&gt;\nsecond line</textarea>" in again.text
    assert alice.get("/api/me").status_code == 200


def test_passwords_are_stored_as_argon2_hashes(store):
    add_users(store)
    with store.engine.connect() as conn:
        hashes = [row[0] for row in conn.execute(text("SELECT password_hash FROM users"))]
    assert len(hashes) == 2 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(p in h for h in hashes for p in PASSWORDS.values())
    assert accounts.authenticate(store, "ALICE", PASSWORDS["alice"]) is not None
    assert accounts.authenticate(store, "alice", PASSWORDS["bob"]) is None


def test_login_session_tokens_are_stored_hashed(alice, store):
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM login_sessions")).scalar()
    assert stored and stored != alice.cookies["viva_session"] and len(stored) == 64


def test_reset_password_and_remove_end_every_sign_in(alice, store):
    accounts.set_password(store, "alice", "a-new-password")
    assert alice.get("/api/me").status_code == 401
    assert accounts.authenticate(store, "alice", "a-new-password") is not None
    accounts.remove_user(store, "alice")
    assert alice.post("/api/login", json={"username": "alice", "password": "a-new-password"}).status_code == 401


# -- viva user ---------------------------------------------------------------------------------------------------------
def viva(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_user_commands_add_list_reset_and_remove():
    assert viva("user", "add", "Carol", "--admin", "--password-stdin", stdin="carol-password\n").exit_code == 0
    added = viva("user", "add", "dave", stdin="dave-password\ndave-password\n")  # asked twice at the prompt
    assert added.exit_code == 0, added.output
    listed = json.loads(viva("user", "list", "--format", "json").output)
    assert [(u["username"], u["is_admin"]) for u in listed] == [("carol", True), ("dave", False)]
    table = viva("user", "list").output
    assert "carol\tadmin" in table and "dave\tuser" in table
    reset = viva("user", "reset-password", "dave", "--password-stdin", stdin="dave-new-password\n")
    assert reset.exit_code == 0 and "new password set for dave" in reset.output
    store = open_store()
    assert accounts.authenticate(store, "dave", "dave-new-password") is not None
    assert viva("user", "remove", "dave").exit_code == 0
    assert [u.username for u in accounts.list_users(store)] == ["carol"]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["user", "add", "erin", "--password-stdin"], "short\n", "8 to 1024 characters"),
        (["user", "add", "bad name!", "--password-stdin"], "long-enough\n", "is not valid"),
        (["user", "add", "erin"], "one-password\nanother-one\n", "do not match"),
        (["user", "remove", "nobody"], None, "user 'nobody': does not exist"),
        (["user", "reset-password", "nobody", "--password-stdin"], "long-enough\n", "does not exist"),
    ],
)
def test_user_commands_report_mistakes(args, stdin, message):
    result = viva(*args, stdin=stdin)
    assert result.exit_code != 0 and message in result.output


def test_adding_a_user_twice_is_an_error():
    assert viva("user", "add", "erin", "--password-stdin", stdin="erin-password\n").exit_code == 0
    again = viva("user", "add", "ERIN", "--password-stdin", stdin="other-password\n")
    assert again.exit_code == 2 and "user 'erin': already exists" in again.output


def test_serve_multi_user_needs_an_account_and_then_serves_any_host(monkeypatch):
    import uvicorn

    ran = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: ran.update(app=app, host=host))
    refused = viva("serve", "--multi-user", "--host", "0.0.0.0")
    assert refused.exit_code == 2 and "viva user add NAME --admin" in refused.output and not ran
    viva("user", "add", "admin", "--admin", "--password-stdin", stdin="admin-password\n")
    served = viva("serve", "--multi-user", "--host", "0.0.0.0", "--https-cookies")
    assert served.exit_code == 0 and "multi-user" in served.output and ran["host"] == "0.0.0.0"
    client = TestClient(ran["app"])
    assert client.get("/healthz").status_code == 200 and client.get("/api/sessions").status_code == 401


# -- PostgreSQL --------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_accounts_and_an_interview_on_postgresql(fresh_postgres, bank):
    store = Store(fresh_postgres)
    try:
        add_users(store)
        client = TestClient(multi_user_app(store, bank))
        sign_in(client, "alice")
        state = start(client)
        body = {"text": "an answer", "position": state["current"]["position"]}
        assert client.post(f"/api/sessions/{state['id']}/answer", json=body).status_code == 200
        assert [s["id"] for s in client.get("/api/sessions").json()] == [state["id"]]
        expire_logins(store)
        assert client.get("/api/sessions").status_code == 401
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT password_hash FROM users LIMIT 1")).scalar().startswith("$argon2id$")
    finally:
        store.close()
