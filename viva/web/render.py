"""Jinja2 templates, autoescaped: every value from an answer, the bank or the store is escaped unless it is ours."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from viva import __version__
from viva.web.highlight import highlighted

WEB = Path(str(resources.files("viva.web")))
TEMPLATES, STATIC = WEB / "templates", WEB / "static"


def clock(seconds: float | None) -> str:
    """73.4 -> '1:13'."""
    whole = int(seconds or 0)
    return f"{whole // 60}:{whole % 60:02d}"


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def inline_svg(svg: str) -> Markup:
    """Charts drawn by viva itself (radar, trend): trusted markup, labels escaped where they were drawn."""
    return Markup(svg)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(highlighted=highlighted, clock=clock, score=score, inline_svg=inline_svg)
    env.globals.update(version=__version__)
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page; in multi-user mode it knows who is signed in and carries the login's CSRF token into its forms."""
    login = getattr(request.state, "login", None)
    context.setdefault("csrf_token", login.csrf_token if login else "")
    context.setdefault("account", login.username if login else "")
    html = environment().get_template(name).render(request=request, nav=context.pop("nav", ""), **context)
    return HTMLResponse(html, status_code=status)
