"""What every route needs: the app's coach and who is asking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from viva.interview import records
from viva.web.service import Coach
from viva.web.signin import multi_user, require_login


async def get_coach(request: Request) -> Coach:  # async: a plain function would take a thread per request
    coach: Coach = request.app.state.coach
    return coach


async def current_user(request: Request) -> str:
    """Single-user mode: everyone on loopback is the local user, as on the command line. Multi-user mode: the
    signed-in user's id, and nobody else's — every query the routes make is scoped by it."""
    if multi_user(request):
        return (await require_login(request)).user_id
    user: str = getattr(request.app.state, "user_id", records.LOCAL_USER)
    return user


CoachDep = Annotated[Coach, Depends(get_coach)]
UserDep = Annotated[str, Depends(current_user)]
