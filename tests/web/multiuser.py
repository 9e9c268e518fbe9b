"""Multi-user test kit: an app with accounts, two users, and signing a TestClient in."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import span_grade
from viva import accounts
from viva.web.app import create_app

PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}


def multi_user_app(store, bank, **options):
    return create_app(store=store, bank=bank, grader=span_grade, multi_user=True, **options)


def add_users(store) -> None:
    for name, password in PASSWORDS.items():
        accounts.add_user(store, name, password, is_admin=name == "alice")


def sign_in(client: TestClient, username: str) -> str:
    """Signs in through /api/login; the client then sends the login's CSRF token with every request."""
    response = client.post("/api/login", json={"username": username, "password": PASSWORDS[username]})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def position(html: str) -> str:
    found = re.search(r'name="position" value="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
def multi_app(store, bank):
    add_users(store)
    return multi_user_app(store, bank)


@pytest.fixture
def anonymous(multi_app):
    return TestClient(multi_app)


@pytest.fixture
def alice(multi_app):
    client = TestClient(multi_app)
    sign_in(client, "alice")
    return client


@pytest.fixture
def bob(multi_app):
    client = TestClient(multi_app)
    sign_in(client, "bob")
    return client
