from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise OSError(f"network access to {host} is disabled in tests")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user dir and no user banks, and cannot reach beyond loopback."""
    home = tmp_path / "viva-home"
    monkeypatch.setenv("VIVA_HOME", str(home))
    for var in ("VIVA_BANK_PATH", "VIVA_DATABASE_URL", "VIVA_LLM_BASE_URL", "VIVA_LLM_MODEL", "VIVA_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    return home


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server on loopback; skipped locally without it, required in CI."""
    import os

    from tests.postgres import postgres_server

    with postgres_server() as url:
        if url is None:
            if os.environ.get("CI"):
                raise RuntimeError("CI must install PostgreSQL (Debian package postgresql)")
            pytest.skip("PostgreSQL is not installed")
        yield url


@pytest.fixture
def fresh_postgres(postgres_url):
    """An empty database on the shared server for one test."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"viva_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()
