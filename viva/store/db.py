"""The store: one SQLAlchemy Core engine over SQLite (default, in the user dir) or PostgreSQL (by URL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError

from viva.errors import Problem, VivaError
from viva.store.migrations import MIGRATIONS, Migration

READ_ONLY = "viva_read_only"  # an execution option: this connection never writes (see Store.read)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """Database access for the rest of viva. Opening it applies any pending migrations."""

    def __init__(self, url: str, *, migrations: list[Migration] | None = None) -> None:
        self.url = url
        self.migrations = MIGRATIONS if migrations is None else migrations
        self.engine = _engine(url)
        try:
            self.applied = self.migrate()
        except (OperationalError, DatabaseError) as e:
            self.engine.dispose()
            raise VivaError(_unusable(url, e)) from None
        except BaseException:
            self.engine.dispose()
            raise

    def migrate(self) -> list[str]:
        """Apply pending migrations; refuse a database written by a newer viva rather than guess."""
        with self.engine.begin() as conn:
            conn.execute(
                text("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            )
            done = {row[0] for row in conn.execute(text("SELECT name FROM migrations"))}
        known = {m.name for m in self.migrations}
        unknown = sorted(done - known)
        if unknown:
            raise VivaError(
                Problem(
                    _shown(self.url),
                    f"this database was written by a newer viva (unknown migrations: {', '.join(unknown)})",
                    "upgrade viva (pip install -U viva), or point VIVA_HOME / VIVA_DATABASE_URL at another database",
                )
            )
        applied: list[str] = []
        for migration in self.migrations:
            if migration.name in done:
                continue
            with self.engine.begin() as conn:
                migration.apply(conn)
                conn.execute(
                    text("INSERT INTO migrations (name, applied_at) VALUES (:n, :t)"),
                    {"n": migration.name, "t": utc_now()},
                )
            applied.append(migration.name)
        return applied

    def read(self) -> Connection:
        """A connection for queries that only read. On SQLite it begins a plain (deferred) transaction instead of
        taking the write lock, so with WAL readers never queue behind writers. Use `engine.begin()` to write."""
        return self.engine.connect().execution_options(**{READ_ONLY: True})

    def get_meta(self, key: str) -> str | None:
        with self.read() as conn:
            value = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).scalar()
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": key})
            conn.execute(text("INSERT INTO meta (key, value) VALUES (:k, :v)"), {"k": key, "v": value})

    def close(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets a reader (viva history) run while an interview writes; foreign keys are off by default in SQLite.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL syncs at checkpoints instead of on every commit: a committed answer survives viva or
            # the terminal dying, and only a power cut or OS crash can lose the last moments (never corrupting the
            # file). FULL made every write hold the one write lock through an fsync, which queued all writers.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")  # under load, wait for the write lock rather than fail
            cursor.close()
            # pysqlite otherwise commits before DDL; this makes each migration roll back whole (SQLAlchemy's recipe).
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # IMMEDIATE takes the write lock up front: with a deferred BEGIN, two writers that both read first
            # deadlock on the upgrade and SQLite fails one at once ("database is locked") instead of waiting.
            # A connection that only reads needs no lock at all (WAL gives it a snapshot).
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _shown(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


def _unusable(url: str, error: Exception) -> Problem:
    reason = str(getattr(error, "orig", error)).splitlines()[0]
    if "not a database" in reason or "malformed" in reason:
        return Problem(
            _shown(url),
            f"the database file is corrupted ({reason})",
            "move it aside (viva then starts a fresh one) or restore a backup; viva never resets it silently",
        )
    return Problem(
        _shown(url), f"cannot open the database ({reason})", "check VIVA_HOME / VIVA_DATABASE_URL and permissions"
    )
