"""A write the database refuses at COMMIT never answers 2xx, and leaves nothing behind.

The refusal is the database's own, not a mock: a fresh database gets a guard on `audit_entry`
that is checked only at COMMIT (SQLite: a deferred foreign key that a trigger violates;
PostgreSQL: a deferred constraint trigger raising a chosen SQLSTATE), armed per record and
action through a table. The rolled-back test transaction of the `session` fixture turns commits
into SAVEPOINT releases, which never run deferred checks, so these tests use the real app with
its own sessions on a database of their own.
"""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from app.actors import service as actor_service
from app.actors.schemas import ActorCreate
from app.config import Settings
from app.db import create_db_engine
from app.main import create_app
from app.models import Actor, AuditEntry, IdempotencyRecord, Tombstone
from tests.conftest import DatabaseFactory
from tests.support.databases import migrate, new_key, row_counts

pytestmark = pytest.mark.anyio

SQLITE_GUARD = [
    "CREATE TABLE commit_guard_switch (action TEXT NOT NULL, entity_id TEXT NOT NULL, "
    "sqlstate TEXT NOT NULL)",
    "CREATE TABLE commit_guard_parent (id INTEGER PRIMARY KEY)",
    "CREATE TABLE commit_guard_orphan (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
    "REFERENCES commit_guard_parent (id) DEFERRABLE INITIALLY DEFERRED)",
    """CREATE TRIGGER commit_guard AFTER INSERT ON audit_entry
    WHEN EXISTS (SELECT 1 FROM commit_guard_switch s
                 WHERE s.action = NEW.action AND s.entity_id = NEW.entity_id)
    BEGIN INSERT INTO commit_guard_orphan (parent_id) VALUES (-1); END""",
]
POSTGRES_GUARD = [
    "CREATE TABLE commit_guard_switch (action text NOT NULL, entity_id text NOT NULL, "
    "sqlstate text NOT NULL)",
    """CREATE FUNCTION commit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE code text;
    BEGIN
      SELECT s.sqlstate INTO code FROM commit_guard_switch s
       WHERE s.action = NEW.action AND s.entity_id = NEW.entity_id;
      IF code IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = code,
          MESSAGE = 'commit guard refuses the ' || NEW.action || ' of ' || NEW.entity_id;
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE CONSTRAINT TRIGGER commit_guard AFTER INSERT ON audit_entry "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_guard()",
]
# SQLSTATEs the PostgreSQL guard raises: a constraint refusal, and a transient failure
# (serialization_failure, which psycopg reports as an OperationalError).
SQLSTATES = {"integrity": "23514", "busy": "40001"}
CASES = [
    ("sqlite", "integrity", 409),
    ("postgresql", "integrity", 409),
    ("postgresql", "busy", 503),
]
CASE_IDS = [f"{engine}-{failure}" for engine, failure, _ in CASES]


@dataclass
class Guarded:
    engine: Engine
    secret: str

    def arm(self, action: str, entity_id: str, failure: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO commit_guard_switch VALUES (:action, :entity_id, :code)"),
                {"action": action, "entity_id": entity_id, "code": SQLSTATES[failure]},
            )

    def disarm(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM commit_guard_switch"))


class GuardedDatabases:
    """One guarded database per engine, made on first use and dropped at the end."""

    def __init__(self, factory: DatabaseFactory) -> None:
        self._factory = factory
        self._made: dict[str, Guarded] = {}

    def __getitem__(self, engine_name: str) -> Guarded:
        if engine_name not in self._made:
            url = self._factory(engine_name, "commit_failure")
            migrate(url, seed=False)
            _key_id, secret = new_key(url)
            engine = create_db_engine(url)
            with engine.begin() as connection:
                for statement in SQLITE_GUARD if engine_name == "sqlite" else POSTGRES_GUARD:
                    connection.exec_driver_sql(statement)
            self._made[engine_name] = Guarded(engine, secret)
        return self._made[engine_name]

    def close(self) -> None:
        for guarded in self._made.values():
            guarded.engine.dispose()


@pytest.fixture(scope="module")
def databases(empty_database_url: DatabaseFactory) -> Iterator[GuardedDatabases]:
    made = GuardedDatabases(empty_database_url)
    yield made
    made.close()


@pytest.fixture(params=CASES, ids=CASE_IDS)
def case(
    request: pytest.FixtureRequest, databases: GuardedDatabases
) -> Iterator[tuple[Guarded, str, int]]:
    engine_name, failure, status = request.param
    guarded = databases[engine_name]
    yield guarded, failure, status
    guarded.disarm()


@pytest.fixture
async def real_client(case: tuple[Guarded, str, int]) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own sessions and real commits on the guarded database."""
    guarded = case[0]
    url = guarded.engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url), guarded.engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {"Authorization": f"Bearer {guarded.secret}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as client:
        yield client


def body(actor_id: str) -> dict[str, object]:
    return {"id": actor_id, "name": "Doomed", "kind": "organisation", "aliases": ["D"]}


def assert_refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "nothing was written" in response.json()["detail"]
    if status == 503:
        assert response.headers["retry-after"]


def snapshot(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return row_counts(session)


def audit_actions(engine: Engine, actor_id: str) -> list[str]:
    with Session(engine) as session:
        entries = select(AuditEntry.action).where(AuditEntry.entity_id == actor_id)
        return list(session.exec(entries.order_by(AuditEntry.id)).all())  # type: ignore[arg-type]


def test_the_guard_only_refuses_at_commit(case: tuple[Guarded, str, int]) -> None:
    guarded, failure, _status = case
    actor_id = f"probe-{failure}"
    guarded.arm("create", actor_id, failure)
    with Session(guarded.engine) as session:
        actor_service.create(session, ActorCreate.model_validate(body(actor_id)))
        session.flush()  # every statement of the write went through
        assert session.get(Actor, actor_id) is not None
        refusal = IntegrityError if failure == "integrity" else OperationalError
        with pytest.raises(refusal):
            session.commit()
        session.rollback()
    with Session(guarded.engine) as session:
        assert session.get(Actor, actor_id) is None


async def test_a_create_refused_at_commit(
    case: tuple[Guarded, str, int], real_client: httpx.AsyncClient
) -> None:
    guarded, failure, status = case
    actor_id = f"doomed-create-{failure}"
    guarded.arm("create", actor_id, failure)
    before = snapshot(guarded.engine)
    headers = {"Idempotency-Key": actor_id}
    response = await real_client.post("/v1/actors", json=body(actor_id), headers=headers)
    assert_refused(response, status)
    assert snapshot(guarded.engine) == before
    assert (await real_client.get(f"/v1/actors/{actor_id}")).status_code == 404
    with Session(guarded.engine) as session:
        stored = select(IdempotencyRecord).where(IdempotencyRecord.key == actor_id)
        assert session.exec(stored).first() is None
    guarded.disarm()
    retried = await real_client.post("/v1/actors", json=body(actor_id), headers=headers)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert audit_actions(guarded.engine, actor_id) == ["create"]


async def test_an_update_refused_at_commit(
    case: tuple[Guarded, str, int], real_client: httpx.AsyncClient
) -> None:
    guarded, failure, status = case
    actor_id = f"doomed-update-{failure}"
    created = await real_client.post("/v1/actors", json=body(actor_id))
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    guarded.arm("update", actor_id, failure)
    before = snapshot(guarded.engine)
    url = f"/v1/actors/{actor_id}"
    change = {"role": "changed", "aliases": ["E"]}
    response = await real_client.patch(url, json=change, headers={"If-Match": etag})
    assert_refused(response, status)
    assert snapshot(guarded.engine) == before
    now = await real_client.get(url)
    assert now.headers["etag"] == etag
    assert now.json()["role"] is None
    assert now.json()["aliases"] == ["D"]
    assert audit_actions(guarded.engine, actor_id) == ["create"]
    guarded.disarm()
    again = await real_client.patch(url, json=change, headers={"If-Match": etag})
    assert again.status_code == 200, again.text


async def test_a_delete_refused_at_commit(
    case: tuple[Guarded, str, int], real_client: httpx.AsyncClient
) -> None:
    guarded, failure, status = case
    actor_id = f"doomed-delete-{failure}"
    created = await real_client.post("/v1/actors", json=body(actor_id))
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    guarded.arm("delete", actor_id, failure)
    before = snapshot(guarded.engine)
    url = f"/v1/actors/{actor_id}"
    response = await real_client.delete(url, headers={"If-Match": etag})
    assert_refused(response, status)
    assert snapshot(guarded.engine) == before
    assert (await real_client.get(url)).headers["etag"] == etag
    with Session(guarded.engine) as session:
        assert (
            session.exec(select(Tombstone).where(Tombstone.entity_id == actor_id)).first() is None
        )
    assert audit_actions(guarded.engine, actor_id) == ["create"]
    guarded.disarm()
    assert (await real_client.delete(url, headers={"If-Match": etag})).status_code == 204
