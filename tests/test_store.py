from __future__ import annotations

import pytest
from sqlalchemy import text

from viva.errors import VivaError
from viva.store import MIGRATIONS, Migration, Store, open_store


def test_migrations_apply_once_each(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    first = Store(url)
    assert first.applied == [m.name for m in MIGRATIONS]
    first.set_meta("k", "v")
    first.close()
    second = Store(url)
    assert second.applied == []
    assert second.get_meta("k") == "v"


def test_default_store_lives_in_viva_home(isolated_home):
    store = open_store()
    assert (isolated_home / "viva.db").exists()
    store.close()


def test_failed_migration_rolls_back(tmp_path):
    def boom(conn):
        conn.execute(text("CREATE TABLE half (x INTEGER)"))
        raise RuntimeError("boom")

    url = f"sqlite:///{tmp_path / 'b.db'}"
    with pytest.raises(RuntimeError):
        Store(url, migrations=[*MIGRATIONS, Migration("9999_boom", boom)])
    store = Store(url)
    with store.engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert "half" not in tables


def test_newer_database_is_refused_not_reset(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    Store(url, migrations=[*MIGRATIONS, Migration("9999_future", lambda conn: None)]).close()
    with pytest.raises(VivaError, match="written by a newer viva"):
        Store(url)


def test_corrupted_database_is_reported(tmp_path):
    path = tmp_path / "d.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(VivaError, match="corrupted"):
        Store(f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_postgres_url_uses_psycopg3(monkeypatch):
    from viva.config import database_url

    monkeypatch.setenv("VIVA_DATABASE_URL", "postgresql://u:p@db:5432/viva")
    assert database_url() == "postgresql+psycopg://u:p@db:5432/viva"


def test_unreachable_database_is_a_clear_error(monkeypatch):
    from click.testing import CliRunner

    from viva.cli import cli

    monkeypatch.setenv("VIVA_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 2 and "cannot open the database" in result.output and "Traceback" not in result.output


def test_concurrent_writers_on_sqlite_wait_instead_of_failing(tmp_path):
    """Several web workers write to one SQLite file: each transaction waits for the lock, none fails."""
    import threading

    from viva.interview import records

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    stores = [Store(url) for _ in range(4)]
    session = records.create_session(stores[0], "interview", {}, "v", "g")
    errors: list[Exception] = []

    def write(store):
        try:
            for _ in range(25):
                records.add_event(store, session, "q", "question", "p", "answer")
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(s,)) for s in stores]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert [e.seq for e in records.events(stores[0], session)] == list(range(1, 101))
    for s in stores:
        s.close()
