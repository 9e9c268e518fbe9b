"""Schema migrations: small, named, applied once each, in order, each in its own transaction.

The same statements serve SQLite and PostgreSQL, so they stick to the SQL both speak: TEXT ids, `*_at` ISO-8601 UTC
timestamps as TEXT, `*_json` TEXT columns for nested results, `*_ms` INTEGER durations, DOUBLE PRECISION scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Connection], None]


def _sql(*statements: str) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for statement in statements:
            conn.execute(text(statement))

    return run


MIGRATIONS: list[Migration] = [
    Migration(
        "0001_meta",
        _sql("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"),
    ),
]
