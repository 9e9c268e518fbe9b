"""`viva serve --workers N`: several processes share one database and serve the same interviews."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.net import free_port, wait_for_http

pytestmark = pytest.mark.slow


def test_two_workers_share_one_database(isolated_home):
    port = free_port()
    env = {**os.environ, "VIVA_HOME": str(isolated_home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "viva", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_for_http(f"{base}/healthz", server):
            pytest.fail("viva serve --workers 2 did not come up")
        with httpx.Client(base_url=base, timeout=30) as client:
            started = client.post("/api/sessions", json={"questions": 2, "seed": 3}).json()
            # Whichever worker answers, the session is there: its state lives in the database.
            states = {client.get(f"/api/sessions/{started['id']}").json()["id"] for _ in range(6)}
            assert states == {started["id"]}
            assert len(client.get("/api/sessions").json()) == 1
    finally:
        os.killpg(server.pid, 9)
        server.wait()
