"""`viva serve --workers N`: several processes share one database and serve the same interviews."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

import httpx
import pytest

from tests.net import free_port, wait_for_http
from viva.errors import VivaError
from viva.web.server import listening_socket


@pytest.mark.slow
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


def test_connections_to_the_workers_socket_send_without_waiting_for_acks():
    """asyncio turns TCP_NODELAY on only when the listening socket says IPPROTO_TCP; uvicorn's own socket for
    --workers did not, and every response then waited ~40 ms for the client's delayed ACK."""
    listening = listening_socket("127.0.0.1", 0)

    async def accepted_nodelay() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Probe, sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname())
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accepted_nodelay()) != 0


def test_a_port_in_use_is_a_clear_error():
    taken = listening_socket("127.0.0.1", 0)
    taken.listen()
    port = taken.getsockname()[1]
    with pytest.raises(VivaError, match=f"127.0.0.1:{port}.*cannot listen there"):
        listening_socket("127.0.0.1", port)
    taken.close()
