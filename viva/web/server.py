"""`viva serve`: check where to listen, build the app, run it under uvicorn."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path

import click

from viva.errors import Problem, VivaError


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def check_host(host: str) -> str:
    """Single-user mode has no accounts, so it must not be reachable from other machines."""
    if not is_loopback(host):
        raise VivaError(
            Problem(
                f"--host {host}",
                "is not a loopback address, and serving other machines requires multi-user mode (accounts, sign-in, "
                "CSRF protection), which this viva does not have yet",
                "serve on 127.0.0.1 (the default) and open the app in a browser on this machine",
            )
        )
    return host


def serve(host: str, port: int, banks: Sequence[Path] = ()) -> None:
    check_host(host)
    import uvicorn

    from viva.bank.loader import load_bank
    from viva.web.app import create_app

    app = create_app(bank=load_bank(banks))  # a database that cannot be opened stops here, with its reason
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"viva is serving on http://{shown}:{port} (single user) — press Ctrl-C to stop", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
