"""The response cache (`app.api.response_cache`): repeated reads skip the route, and any write,
through the API or not, shows in the next answer."""

from collections.abc import Iterator

import anyio
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import Connection, Engine, event
from sqlmodel import Session, SQLModel

from app import data_version, schema
from app.config import Settings
from app.db import create_db_engine
from app.main import create_app
from tests.conftest import DatabaseFactory
from tests.support.shared_session import share_session

pytestmark = pytest.mark.anyio

LIST = "/v1/commitments?topic=tariffs&limit=1"


@pytest.fixture
def statements(seeded_engine: Engine) -> Iterator[list[str]]:
    """The SQL of every statement the test's requests send, in order (the savepoints that
    stand in for their transactions left out)."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            sent.append(sql)

    event.listen(seeded_engine, "before_cursor_execute", record)
    yield sent
    event.remove(seeded_engine, "before_cursor_execute", record)


def _is_version_read(sql: str) -> bool:
    return "data_version" in sql and sql.lstrip().upper().startswith("SELECT")


async def test_a_repeated_read_is_answered_without_running_the_route(
    client: httpx.AsyncClient, statements: list[str]
) -> None:
    first = await client.get(LIST)
    assert first.status_code == 200
    ran = len(statements)
    assert ran > 1
    assert _is_version_read(statements[0])
    again = await client.get(LIST)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["link"] == first.headers["link"]
    assert len(statements) == ran + 1
    assert _is_version_read(statements[-1])


async def test_a_write_through_the_api_shows_in_the_next_answer(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    url = "/v1/actors/china"
    before = await client.get(url)
    assert (await client.get(LIST)).status_code == 200
    patched = await client.patch(
        url,
        json={"role": "changed by a test"},
        headers=writer | {"If-Match": before.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    after = await client.get(url)
    assert after.json()["role"] == "changed by a test"
    assert after.headers["etag"] != before.headers["etag"]


@pytest.mark.parametrize("operation", ["insert", "update", "delete"])
async def test_a_write_outside_the_api_shows_in_the_next_answer(
    client: httpx.AsyncClient, session: Session, operation: str
) -> None:
    """Raw SQL, as from psql or a script: the triggers change the data version."""
    url = "/v1/actors?kind=organisation&limit=200"
    before = {actor["id"]: actor for actor in (await client.get(url)).json()["items"]}
    victim = next(actor_id for actor_id in sorted(before) if actor_id != "china")
    version = data_version.read(session.connection())
    writes = {
        "insert": "INSERT INTO actor (id, name, kind, created_at, updated_at, version) "
        "VALUES ('raw-sql-actor', 'Raw SQL', 'organisation', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
        "update": f"UPDATE actor SET name = 'Renamed by SQL' WHERE id = '{victim}'",
        "delete": "DELETE FROM actor WHERE id = 'raw-sql-actor'",
    }
    if operation == "delete":
        session.connection().exec_driver_sql(writes["insert"])
        session.commit()
        before = {actor["id"]: actor for actor in (await client.get(url)).json()["items"]}
        assert "raw-sql-actor" in before
        version = data_version.read(session.connection())
    session.connection().exec_driver_sql(writes[operation])
    session.commit()
    assert data_version.read(session.connection()) > version
    after = {actor["id"]: actor for actor in (await client.get(url)).json()["items"]}
    if operation == "insert":
        assert set(after) == set(before) | {"raw-sql-actor"}
    elif operation == "update":
        assert after[victim]["name"] == "Renamed by SQL"
    else:
        assert set(after) == set(before) - {"raw-sql-actor"}


async def test_every_table_has_the_triggers_that_change_the_data_version(
    session: Session, engine_name: str
) -> None:
    tables = set(SQLModel.metadata.tables)
    connection = session.connection()
    if engine_name == "sqlite":
        found = set(
            connection.execute(
                sa.text(
                    "SELECT tbl_name || ' ' || name FROM sqlite_master "
                    "WHERE type = 'trigger' AND name LIKE 'data_version%'"
                )
            ).scalars()
        )
        expected = {
            f"{table} data_version_{table}_{operation}"
            for table in tables
            for operation in ("insert", "update", "delete")
        }
    else:
        found = set(
            connection.execute(
                sa.text(
                    "SELECT c.relname || ' ' || t.tgname || ' ' || t.tgdeferrable::text "
                    "|| ' ' || t.tginitdeferred::text FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE 'data_version%'"
                )
            ).scalars()
        )
        expected = {f"{table} data_version true true" for table in tables} | {
            f"{table} data_version_truncate false false" for table in tables
        }
    assert found == expected


async def test_answers_for_a_key_holder_and_failures_are_not_kept(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    cache = app.state.response_cache
    assert (await client.get("/v1/actors/china", headers=writer)).status_code == 200
    assert (await client.get("/v1/actors/no-such-actor")).status_code == 404
    assert (await client.get("/v1/actors?unknown=1")).status_code == 400
    csv = await client.get("/v1/actors?format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(cache) == 0
    assert (await client.get("/v1/actors/china")).status_code == 200
    assert len(cache) == 1


async def test_what_the_answer_depends_on_is_part_of_the_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The host goes into the next page's link; `Accept` chooses CSV over JSON."""
    url = "/v1/claims?limit=2"
    here = await client.get(url)
    there = await client.get(url, headers={"Host": "elsewhere.example"})
    assert "testserver" in here.headers["link"]
    assert "elsewhere.example" in there.headers["link"]
    as_csv = await client.get(url, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert len(app.state.response_cache) == 2


async def test_the_cache_keeps_within_its_capacity(
    app: FastAPI, client: httpx.AsyncClient, statements: list[str]
) -> None:
    cache = app.state.response_cache
    cache.capacity = 40_000
    for limit in range(1, 31):
        assert (await client.get(f"/v1/claims?limit={limit}")).status_code == 200
    assert 0 < cache.size <= cache.capacity
    assert 0 < len(cache) < 30
    kept = len(cache)
    assert (await client.get("/v1/claims?limit=200")).status_code == 200  # over 1/16th
    assert len(cache) == kept
    assert (await client.get("/v1/claims?limit=1")).status_code == 200  # evicted long ago
    ran = len(statements)
    assert (await client.get("/v1/claims?limit=1")).status_code == 200  # kept again
    assert len(statements) == ran + 1


async def test_a_zero_capacity_turns_the_cache_off(
    seeded_engine: Engine, session: Session, statements: list[str]
) -> None:
    url = seeded_engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, response_cache_mb=0), seeded_engine)
    share_session(app, lambda: session)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.get(LIST)).status_code == 200
        ran = len(statements)
        assert (await client.get(LIST)).status_code == 200
    assert len(statements) == 2 * ran
    assert not any(_is_version_read(sql) for sql in statements)


async def test_an_unreadable_version_leaves_the_answer_to_the_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    def broken() -> int:
        raise sa.exc.OperationalError("SELECT n FROM data_version", {}, Exception("gone"))

    app.state.data_version = broken
    answer = await client.get(LIST)
    assert answer.status_code == 200
    assert len(app.state.response_cache) == 0


async def test_a_kept_answer_keeps_its_etag_its_304_and_its_encoding(
    client: httpx.AsyncClient, statements: list[str]
) -> None:
    url = "/v1/claims?limit=5"
    first = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"
    ran = len(statements)
    held = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert held.status_code == 304
    assert held.content == b""
    assert "content-length" not in held.headers
    zipped = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == first.content
    plain = await client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == first.content
    assert plain.headers["etag"] == first.headers["etag"]
    assert len(statements) == ran + 3  # each a hit: the version read alone


def _version_backends(admin: Connection) -> list[int]:
    """Server processes of the version-read pool connected to this database."""
    rows = admin.execute(
        sa.text(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = :name"
        ),
        {"name": data_version.APPLICATION_NAME},
    )
    return [pid for (pid,) in rows]


async def test_an_app_owning_its_engine_reads_the_version_on_its_own_pool_and_reconnects(
    empty_database_url: DatabaseFactory,
) -> None:
    """On PostgreSQL the version is read without pre-ping: a dropped connection costs one
    uncached answer, not a wrong one, and the next read connects afresh."""
    url = empty_database_url("postgresql", "version_pool")
    schema.upgrade(url)
    admin_engine = create_db_engine(url, isolation_level="AUTOCOMMIT")
    app = create_app(Settings(database_url=url))
    transport = httpx.ASGITransport(app=app)
    try:
        with admin_engine.connect() as admin:
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
            ):
                assert (await client.get("/v1/actors")).json()["items"] == []
                assert (await client.get("/v1/actors")).json()["items"] == []  # kept
                (first,) = _version_backends(admin)
                admin.exec_driver_sql(
                    "INSERT INTO actor (id, name, kind, created_at, updated_at, version) "
                    "VALUES ('late', 'Late', 'organisation', now(), now(), 1)"
                )
                admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
                answered = await client.get("/v1/actors")  # the route's, not a kept one
                assert answered.status_code == 200
                assert [actor["id"] for actor in answered.json()["items"]] == ["late"]
                assert (await client.get("/v1/actors")).json() == answered.json()
                (second,) = _version_backends(admin)
                assert second != first
            for _ in range(50):  # the lifespan's end closed the pool; the server notices
                if not _version_backends(admin):
                    break
                await anyio.sleep(0.1)
            assert _version_backends(admin) == []
    finally:
        admin_engine.dispose()
