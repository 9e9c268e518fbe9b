"""Persistence: SQLite in the user dir by default, PostgreSQL by URL, the same migrations for both."""

from viva.store.db import Store, utc_now
from viva.store.migrations import MIGRATIONS, Migration

__all__ = ["MIGRATIONS", "Migration", "Store", "open_store", "utc_now"]


def open_store(url: str | None = None) -> Store:
    from viva.config import database_url

    return Store(url or database_url())
