"""What every route needs: the app's coach and who is asking. Multi-user mode replaces `current_user`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from viva.interview import records
from viva.web.service import Coach


def get_coach(request: Request) -> Coach:
    coach: Coach = request.app.state.coach
    return coach


def current_user(request: Request) -> str:
    """Single-user mode: everyone on loopback is the local user, as on the command line."""
    user: str = getattr(request.app.state, "user_id", records.LOCAL_USER)
    return user


CoachDep = Annotated[Coach, Depends(get_coach)]
UserDep = Annotated[str, Depends(current_user)]
