"""The same store and migrations on a real PostgreSQL server: interviews, review cards, the LLM cache and usage."""

from __future__ import annotations

import pytest

from tests.fakes import all_points, keyword_grade
from viva.bank import load_bank
from viva.coach.review import due_questions
from viva.errors import VivaError
from viva.interview import records
from viva.interview.plan import Plan
from viva.interview.session import Session
from viva.llm.accounting import AccountedModel, clear_cache
from viva.llm.types import Message, ScriptedChatModel
from viva.llm.usage import usage_summary
from viva.store import MIGRATIONS, Migration, Store

pytestmark = pytest.mark.slow


@pytest.fixture
def store(fresh_postgres):
    opened = Store(fresh_postgres)
    yield opened
    opened.close()


def test_migrations_apply_once_on_postgres(fresh_postgres):
    first = Store(fresh_postgres)
    assert first.applied == [m.name for m in MIGRATIONS]
    first.close()
    second = Store(fresh_postgres)
    assert second.applied == []
    second.close()


def test_newer_postgres_database_is_refused(fresh_postgres):
    Store(fresh_postgres, migrations=[*MIGRATIONS, Migration("9999_future", lambda c: None)]).close()
    with pytest.raises(VivaError, match="newer viva"):
        Store(fresh_postgres)


def test_interview_resume_and_review_on_postgres(store):
    bank = load_bank()
    session = Session.start(store, bank, Plan(seed=2, questions=2), keyword_grade, "fake/1")
    session.answer(all_points(session.engine.current.question))
    resumed = Session.resume(store, bank, session.id, keyword_grade, "fake/1")
    resumed.skip()
    assert records.get_session(store, session.id).status == "finished"
    assert len(records.attempts(store, session_id=session.id)) == 2
    from datetime import UTC, datetime, timedelta

    assert len(due_questions(store, now=datetime.now(UTC) + timedelta(days=400))) == 2


def test_llm_cache_and_usage_on_postgres(store):
    model = AccountedModel(ScriptedChatModel(lambda m: "x"), store, max_cache_entries=1)
    for word in ("a", "b", "b"):
        model.complete([Message("user", word)])
    rows = usage_summary(store)
    assert rows[0]["calls"] == 3 and rows[0]["cache_hit_rate"] > 0
    assert clear_cache(store) == 1


def test_users_are_isolated(store):
    bank = load_bank()
    mine = Session.start(store, bank, Plan(seed=1, questions=1), keyword_grade, "fake/1", user_id="alice")
    with pytest.raises(VivaError):
        records.get_session(store, mine.id, user_id="bob")
    assert records.list_sessions(store, user_id="bob") == []


def test_concurrent_reviews_of_one_card_all_land_on_postgres(store):
    """Two sessions of one user finishing the same question at once used to collide on the primary key."""
    from concurrent.futures import ThreadPoolExecutor

    from fsrs import Card
    from sqlalchemy import text

    from viva.coach.review import schedule

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: schedule(store, "q.same", 80.0), range(16)))
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT card_json FROM review_cards WHERE question_id = 'q.same'")).all()
    assert len(rows) == 1
    assert Card.from_json(rows[0][0]).last_review is not None
