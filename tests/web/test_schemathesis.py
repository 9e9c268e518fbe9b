"""Property-based API tests: schemathesis generates requests from `/openapi.json`; no operation may answer 5xx.

In process (ASGI) with the keyword grader, so the run is fast and bounded: a few examples per operation, and every
operation that takes a session id is also tried against a real, unfinished session."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from tests.web.conftest import span_grade  # noqa: E402
from viva.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def web_app(store, bank):
    return create_app(store=store, bank=bank, grader=span_grade)


@pytest.fixture
def live_session(web_app) -> str:
    """An unfinished two-question interview, so fuzzed answers and actions reach the engine, not just a 404."""
    with TestClient(web_app) as client:
        response = client.post("/api/sessions", json={"questions": 2, "seed": 3})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


@pytest.fixture
def api_schema(web_app):
    return schemathesis.openapi.from_asgi("/openapi.json", web_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, live_session):
    case.call_and_validate(checks=[not_a_server_error])
    if "session_id" in (case.path_parameters or {}):
        case.path_parameters = {**case.path_parameters, "session_id": live_session}
        case.call_and_validate(checks=[not_a_server_error])
