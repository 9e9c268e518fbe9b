"""Where viva keeps user state. One variable, VIVA_HOME, relocates all of it (tests point it at a temp dir)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home() -> Path:
    """The user data dir, created on first use."""
    override = os.environ.get("VIVA_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir("viva", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """SQLite in the user dir unless VIVA_DATABASE_URL names another database (e.g. postgresql://...)."""
    url = os.environ.get("VIVA_DATABASE_URL") or f"sqlite:///{home() / 'viva.db'}"
    if url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver viva installs (`pip install 'viva[postgres]'`); SQLAlchemy would default to psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url
