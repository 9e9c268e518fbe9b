"""Reading connections (`Store.read`) never wait for a writer: SQLite's WAL gives them a snapshot."""

from __future__ import annotations

from sqlalchemy import text

from viva.store import open_store


def test_a_read_goes_through_while_another_connection_holds_the_write_lock():
    store = open_store()
    store.set_meta("answer", "before")
    with store.engine.connect() as writer:
        writer.begin()
        writer.execute(text("UPDATE meta SET value = 'during' WHERE key = 'answer'"))
        # A reader that took the write lock would wait here for the busy timeout (30 s), then fail.
        assert store.get_meta("answer") == "before"
        writer.commit()
    assert store.get_meta("answer") == "during"
    store.close()
