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
