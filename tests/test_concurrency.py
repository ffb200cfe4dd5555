"""Concurrent writers against a live uvicorn with two worker processes, on each engine.

One server per engine serves the three tests in order; the burst comes last because a server
that cannot keep up with it stays busy for a while. Run with `pytest -n 0 -s` to see the figures.
"""

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Iterable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.db import writer
from app.models import Actor, AuditEntry, IdempotencyRecord
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.live import seeded_server

pytestmark = pytest.mark.anyio

WRITERS = 20
ACTOR = "china"
CREATES = 16
RETRIED = 8
# Creates in flight at once in the mixed run: fewer than a worker's 15 pooled connections,
# since each write request holds two of them (see the burst test).
IN_FLIGHT = 12
COPIES = 6
BURST = 40
TIMEOUT = 10.0  # a healthy server answers every request here within a second or two


@dataclass(frozen=True)
class Live:
    engine_name: str
    base_url: str
    engine: Engine
    key_id: int
    headers: dict[str, str]

    def client(self, connections: int) -> httpx.AsyncClient:
        # No keep-alive: a connection the server closes after an error never takes the next
        # request down with it, so every request gets its own answer.
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=0)
        return httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT, limits=limits)


@pytest.fixture(scope="module", params=ENGINES)
def live(request: pytest.FixtureRequest, empty_database_url: DatabaseFactory) -> Iterator[Live]:
    """A fresh migrated and seeded database, a write key in it, and two workers serving it."""
    url = empty_database_url(request.param, "concurrency")
    with seeded_server(url, workers=2) as server:
        yield Live(request.param, server.base_url, server.engine, server.key_id, server.headers)


@dataclass
class Run:
    """What a batch of concurrent requests got: answers, in order, and failures to answer."""

    answers: list[httpx.Response]
    unanswered: list[str]
    elapsed: float

    def statuses(self) -> Counter[str]:
        return Counter(
            "replayed" if r.headers.get("idempotent-replayed") == "true" else str(r.status_code)
            for r in self.answers
        )

    def figures(self) -> str:
        return f"{dict(self.statuses())}, {len(self.unanswered)} unanswered, {self.elapsed:.2f} s"

    def assert_all_answered_without_5xx(self) -> None:
        assert not self.unanswered, f"no answer within {TIMEOUT} s: {self.unanswered[:3]}"
        failures = [(r.status_code, r.text) for r in self.answers if r.status_code >= 500]
        assert not failures, failures[:3]


async def at_once(requests: Iterable[Awaitable[httpx.Response]]) -> Run:
    started = time.perf_counter()
    outcomes = await asyncio.gather(*requests, return_exceptions=True)
    elapsed = time.perf_counter() - started
    return Run(
        [o for o in outcomes if isinstance(o, httpx.Response)],
        [repr(o) for o in outcomes if not isinstance(o, httpx.Response)],
        elapsed,
    )


async def test_concurrent_creates_and_retries_create_each_record_once(live: Live) -> None:
    def body(n: int) -> dict[str, str]:
        return {"id": f"load-test-{n:02d}", "name": f"Load Test {n}", "kind": "organisation"}

    def send(http: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
        headers = live.headers | {"Idempotency-Key": f"mixed-{n}"}
        return http.post("/v1/actors", json=body(n), headers=headers)

    # Every record once; the first RETRIED records three times, their copies side by side so
    # that they are in flight together.
    order = [n for n in range(CREATES) for _ in range(3 if n < RETRIED else 1)]
    async with live.client(IN_FLIGHT) as http:
        run = await at_once(send(http, n) for n in order)
        retries = [await send(http, n) for n in range(CREATES)]
    print(
        f"\n[{live.engine_name}] {len(order)} creates of {CREATES} records "
        f"({IN_FLIGHT} in flight): {run.figures()}"
    )
    run.assert_all_answered_without_5xx()
    by_record: dict[int, list[httpx.Response]] = defaultdict(list)
    for n, response in zip(order, run.answers, strict=True):
        by_record[n].append(response)
    for n, answers in by_record.items():
        originals = [r for r in answers if "idempotent-replayed" not in r.headers]
        created = [r for r in originals if r.status_code == 201]
        assert len(created) == 1, (n, [(r.status_code, r.text) for r in answers])
        for other in originals:
            if other is not created[0]:
                assert other.status_code == 409, other.text  # the same key, still in flight
        for replay in (r for r in answers if "idempotent-replayed" in r.headers):
            assert replay.headers["idempotent-replayed"] == "true"
            assert replay.status_code == 201
            assert replay.content == created[0].content
            assert replay.headers["etag"] == created[0].headers["etag"]
        retry = retries[n]
        assert retry.status_code == 201, retry.text
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.content == created[0].content
    ids = [body(n)["id"] for n in range(CREATES)]
    with Session(live.engine) as session:
        assert len(session.exec(select(Actor.id).where(col(Actor.id).in_(ids))).all()) == CREATES
        creates = session.exec(
            select(AuditEntry.entity_id, func.count())
            .where(col(AuditEntry.entity_id).in_(ids), AuditEntry.action == "create")
            .group_by(col(AuditEntry.entity_id))
        ).all()
        assert dict(creates) == dict.fromkeys(ids, 1)
        stored = session.exec(
            select(func.count())
            .select_from(IdempotencyRecord)
            .where(IdempotencyRecord.api_key_id == live.key_id)
        ).one()
        assert stored == CREATES


async def test_copies_of_one_create_released_together_make_one_record(live: Live) -> None:
    """Copies of one create (same Idempotency-Key, same body) held at the database and let go
    at once, so that they really overlap: one creates, the others get 409 or the replay."""
    body = {"id": "lined-up", "name": "Lined Up", "kind": "organisation"}
    headers = live.headers | {"Idempotency-Key": "lined-up"}
    async with live.client(COPIES) as http:
        # SQLite: BEGIN IMMEDIATE takes the write lock every write request queues for.
        # PostgreSQL: the lock stops every create at its first look for a stored answer.
        with writer(live.engine).connect() as gate:
            gate.begin()
            if live.engine_name == "postgresql":
                gate.exec_driver_sql("LOCK TABLE idempotency_record IN ACCESS EXCLUSIVE MODE")
            pending = asyncio.ensure_future(
                at_once(http.post("/v1/actors", json=body, headers=headers) for _ in range(COPIES))
            )
            await waiting_at_the_gate(live, COPIES)
            gate.commit()
        run = await pending
    print(f"\n[{live.engine_name}] {COPIES} copies of one create let go together: {run.figures()}")
    run.assert_all_answered_without_5xx()
    originals = [r for r in run.answers if "idempotent-replayed" not in r.headers]
    assert [r.status_code for r in originals].count(201) == 1
    assert {r.status_code for r in originals} <= {201, 409}
    created = next(r for r in originals if r.status_code == 201)
    for replay in (r for r in run.answers if "idempotent-replayed" in r.headers):
        assert replay.content == created.content
    with Session(live.engine) as session:
        audit = select(func.count()).where(
            AuditEntry.entity_id == body["id"], AuditEntry.action == "create"
        )
        assert session.exec(audit).one() == 1


async def waiting_at_the_gate(live: Live, expected: int) -> None:
    """Until `expected` requests wait on the gate's lock (PostgreSQL shows them in pg_locks;
    SQLite does not, so there a pause that is ample for requests on loopback)."""
    if live.engine_name == "sqlite":
        await asyncio.sleep(1.0)
        return
    waiting_query = (
        "SELECT count(*) FROM pg_locks "
        "WHERE NOT granted AND relation = 'idempotency_record'::regclass"
    )
    deadline = time.monotonic() + TIMEOUT / 2
    with live.engine.connect() as probe:
        while probe.exec_driver_sql(waiting_query).scalar_one() < expected:
            probe.rollback()
            assert time.monotonic() < deadline, "the requests never reached the database"
            await asyncio.sleep(0.05)


async def test_of_writers_holding_the_same_etag_exactly_one_wins(live: Live) -> None:
    url = f"/v1/actors/{ACTOR}"
    async with live.client(WRITERS) as http:
        read = await http.get(url)
        assert read.status_code == 200
        version = read.json()["version"]
        headers = live.headers | {"If-Match": read.headers["etag"]}
        run = await at_once(
            http.patch(url, json={"role": f"writer {n}"}, headers=headers) for n in range(WRITERS)
        )
        statuses = run.statuses()
        print(
            f"\n[{live.engine_name}] {WRITERS} writers with one ETag: {statuses['200']} won, "
            f"{statuses['412']} got 412; {run.figures()}"
        )
        run.assert_all_answered_without_5xx()
        final = await http.get(url)
    assert statuses == {"200": 1, "412": WRITERS - 1}
    winner = next(r for r in run.answers if r.status_code == 200)
    for loser in (r for r in run.answers if r.status_code == 412):
        assert loser.headers["content-type"] == "application/problem+json"
        assert loser.json()["current_version"] == version + 1
    assert final.json()["version"] == version + 1
    assert final.json()["role"] == winner.json()["role"]
    assert final.headers["etag"] == winner.headers["etag"]
    with Session(live.engine) as session:
        updates = session.exec(
            select(AuditEntry).where(
                AuditEntry.entity_type == "actor",
                AuditEntry.entity_id == ACTOR,
                AuditEntry.action == "update",
            )
        ).all()
        assert len(updates) == 1
        assert updates[0].api_key_id == live.key_id
        assert updates[0].after is not None
        assert updates[0].after["role"] == winner.json()["role"]
        stored = session.get(Actor, ACTOR)
        assert stored is not None
        assert stored.version == version + 1


async def test_a_burst_of_writes_larger_than_the_pool_is_answered_promptly(live: Live) -> None:
    """Forty creates at once: more write requests per worker than its pool has connections.
    Each must be answered, as a 201, long before any pool timeout."""

    def body(n: int) -> dict[str, str]:
        return {"id": f"burst-{n:02d}", "name": f"Burst {n}", "kind": "organisation"}

    async with live.client(BURST) as http:
        run = await at_once(
            http.post("/v1/actors", json=body(n), headers=live.headers) for n in range(BURST)
        )
    print(f"\n[{live.engine_name}] burst of {BURST} creates: {run.figures()}")
    run.assert_all_answered_without_5xx()
    assert run.statuses() == {"201": BURST}


async def test_every_worker_answers_a_write_committed_elsewhere_at_once(live: Live) -> None:
    """Each worker keeps its own cache of answers (`app.api.response_cache`). A write committed
    outside the API, here by the test as psql would, shows in every next answer: the commit
    changed the data version that each request reads first."""
    url = "/v1/actors/taiwan"
    async with live.client(WRITERS) as http:
        before = await at_once(http.get(url) for _ in range(WRITERS))
        before.assert_all_answered_without_5xx()
        assert {r.json()["role"] for r in before.answers} != {"renamed elsewhere"}
        with live.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE actor SET role = 'renamed elsewhere' WHERE id = 'taiwan'"
            )
        after = await at_once(http.get(url) for _ in range(WRITERS))
    after.assert_all_answered_without_5xx()
    assert {r.json()["role"] for r in after.answers} == {"renamed elsewhere"}
