"""`viva serve`: check where to listen, build the app, run it under uvicorn."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from viva.errors import Problem, VivaError
from viva.store import Store

if TYPE_CHECKING:
    from fastapi import FastAPI


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def check_host(host: str, multi_user: bool = False) -> str:
    """Single-user mode has no accounts, so it must not be reachable from other machines."""
    if not multi_user and not is_loopback(host):
        raise VivaError(
            Problem(
                f"--host {host}",
                "is not a loopback address, and serving other machines requires multi-user mode (accounts, sign-in)",
                "add --multi-user (create accounts first: viva user add NAME --admin), or serve on 127.0.0.1",
            )
        )
    return host


def serve(
    host: str,
    port: int,
    banks: Sequence[Path] = (),
    *,
    multi_user: bool = False,
    https_cookies: bool = False,
    workers: int = 1,
) -> None:
    check_host(host, multi_user)
    import uvicorn

    if workers > 1:
        _serve_workers(host, port, banks, multi_user, https_cookies, workers)
        return

    from viva.bank.loader import load_bank
    from viva.store import open_store
    from viva.web.app import create_app

    store = open_store()  # a database that cannot be opened stops here, with its reason
    if multi_user:
        check_accounts(store)
    app = create_app(store=store, bank=load_bank(banks), multi_user=multi_user, https_cookies=https_cookies)
    shown = f"[{host}]" if ":" in host else host
    mode = "multi-user: sign-in required" if multi_user else "single user"
    click.echo(f"viva is serving on http://{shown}:{port} ({mode}) — press Ctrl-C to stop", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def check_accounts(store: Store) -> None:
    from viva.accounts import list_users

    if not list_users(store):
        raise VivaError(
            Problem(
                "--multi-user",
                "there are no accounts in this database yet, so nobody could sign in",
                "create the first admin: viva user add NAME --admin",
            )
        )


def _serve_workers(
    host: str, port: int, banks: Sequence[Path], multi_user: bool, https_cookies: bool, workers: int
) -> None:
    """Several processes share one database: each builds its own app from the environment (nothing else is shared,
    and nothing needs to be: every request reads its state from the database)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from viva.store import open_store

    store = open_store()  # fail here, once, with the reason, rather than in every worker
    if multi_user:
        check_accounts(store)
    store.close()
    extra = os.pathsep.join(str(b) for b in banks)
    os.environ["VIVA_BANK_PATH"] = os.pathsep.join(p for p in (extra, os.environ.get("VIVA_BANK_PATH", "")) if p)
    os.environ["VIVA_SERVE_MULTI_USER"] = "1" if multi_user else ""
    os.environ["VIVA_SERVE_HTTPS_COOKIES"] = "1" if https_cookies else ""
    os.environ.setdefault("VIVA_ONNX_THREADS", "1")  # one model thread per worker: N workers share the cores
    config = uvicorn.Config(
        "viva.web.server:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="warning"
    )
    listening = listening_socket(host, port)
    click.echo(f"viva is serving on http://{host}:{port} with {workers} workers — press Ctrl-C to stop", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[listening]).run()  # what uvicorn.run does for workers > 1, with our socket


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the workers share. uvicorn's own leaves `proto` at 0; accepted connections inherit it, and asyncio
    turns TCP_NODELAY on only for IPPROTO_TCP, so every response then waited ~40 ms for the client's delayed ACK
    (uvicorn issue #3149)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        raise VivaError(
            Problem(f"{host}:{port}", f"cannot listen there ({e.strerror})", "choose another --port or --host")
        ) from None
    sock.set_inheritable(True)
    return sock


def app_from_env() -> FastAPI:
    """The app for one worker of `viva serve --workers N` (settings come through the environment)."""
    from viva.bank.loader import load_bank
    from viva.store import open_store
    from viva.web.app import create_app

    return create_app(
        store=open_store(),
        bank=load_bank(),
        multi_user=os.environ.get("VIVA_SERVE_MULTI_USER") == "1",
        https_cookies=os.environ.get("VIVA_SERVE_HTTPS_COOKIES") == "1",
    )
