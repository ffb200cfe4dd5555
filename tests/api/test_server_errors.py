"""A 500 says that something went wrong and nothing more; the server's log has the rest.

Routes that fail on purpose are added to the real app (on the test's rolled-back session):
one raises an unexpected exception, one fails inside a database call. Their answers must be a
bare problem+json 500, with no traceback, file path, exception text, SQL or driver name, and
the failure must be logged server-side with its traceback.
"""

import logging

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import Session

from app.api.deps import SessionDep
from app.models import Actor
from app.vocab import ActorKind
from tests.support.databases import row_counts

pytestmark = pytest.mark.anyio

MARKER = "s3cr3t-internal-marker"
INTERNALS = [
    MARKER,
    "Traceback",
    'File "',
    ".py",
    "line ",
    "RuntimeError",
    "Exception",
    "sqlalchemy",
    "sqlite",
    "psycopg",
    "SELECT",
    "no_such_table",
    "/work",
    "/srv",
]


@pytest.fixture
def failing_app(app: FastAPI) -> FastAPI:
    @app.get("/v1/test-failures/plain")
    def unexpected() -> None:
        raise RuntimeError(f"password={MARKER} in /srv/app/settings.py")

    @app.post("/v1/test-failures/database")
    def database(session: SessionDep) -> None:
        session.add(Actor(id="half-written", name="Half written", kind=ActorKind.PERSON))
        session.flush()  # a write is under way when the database call fails
        session.execute(sa.text(f"SELECT {MARKER.replace('-', '_')} FROM no_such_table"))

    return app


@pytest.mark.parametrize(
    ("method", "path", "raised"),
    [
        ("GET", "/v1/test-failures/plain", RuntimeError),
        ("POST", "/v1/test-failures/database", sa.exc.DBAPIError),
    ],
    ids=["plain", "database"],
)
@pytest.mark.usefixtures("failing_app")
async def test_a_500_shows_nothing_of_the_failure_and_logs_it(
    client: httpx.AsyncClient,
    session: Session,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    raised: type[Exception],
) -> None:
    before = row_counts(session)
    with caplog.at_level(logging.ERROR):
        response = await client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://busan-commitments.example/problems/internal",
        "title": "Internal server error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "instance": path,
    }
    head = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for internal in INTERNALS:
        assert internal.lower() not in response.text.lower(), internal
        assert internal.lower() not in head.lower(), internal
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], raised)]
    assert logged, f"the failure was not logged: {[r.getMessage() for r in caplog.records]}"
    assert path in logged[0].getMessage()
    assert row_counts(session) == before
    assert session.get(Actor, "half-written") is None
