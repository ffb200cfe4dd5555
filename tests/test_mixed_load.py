"""A mixed load against a live uvicorn with two workers, on each engine, then an audit of the
database against every answer the clients got.

`CLIENTS` clients at once, each with its own httpx client, for `MIXED_LOAD_SECONDS` (5 by
default; `make load` runs longer): reads (lists, details, search, and records other clients have
just created), creates (actors; claims quoting a seeded source verbatim), some with an
`Idempotency-Key` and retried, some sent twice without one; PATCHes with `If-Match` (the ETag of
a GET just before) on a few hot records that every client races for, so that stale ETags get 412;
and status events on the hot commitments, a third of them creating their evidence claim in the
same request. Every client opens with an update of the same record and one request of another
kind, so that even a short run has racing writers and every kind of request.

Afterwards the database must agree exactly with the answers: every acknowledged create is there
once with the content sent, every table holds exactly the rows the successful writes account for,
each hot record's version went up by one per successful update or status event (each of which
answered its own version), the status history holds one row per successful status post, and the
audit log one entry per successful write. No 5xx, no request left unanswered.
Run with `pytest -n 0 -s` to see the figures.
"""

import asyncio
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.models import (
    Actor,
    ActorAlias,
    AuditEntry,
    Claim,
    ClaimCommitment,
    ClaimSpeaker,
    Commitment,
    Source,
    StatusEvent,
)
from app.vocab import ClaimKind, CommitmentStatus, Stance
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.live import seeded_server
from tests.support.loadgen import changed, database_counts

pytestmark = pytest.mark.anyio

CLIENTS = 20
SECONDS = float(os.environ.get("MIXED_LOAD_SECONDS", "3"))
# Beyond SQLite's busy_timeout (10 s), so that a write kept waiting that long gets its answer.
TIMEOUT = 15.0
STARTUP = 60.0  # for two workers to import the app on a busy machine (a few seconds when idle)
HOT = 2  # records of each kind that every client races to update
OPERATIONS = {"read": 40, "create_actor": 10, "create_claim": 10, "update": 25, "status": 15}
OPENERS = ["read", "create_actor", "create_claim", "status"]
EVIDENCE_SHARE = 1 / 3  # status events that create their evidence claim in the same request
KEYED_SHARE = 1 / 2  # creates and status events sent with an Idempotency-Key

MODELS: dict[str, Any] = {"actor": Actor, "commitment": Commitment, "claim": Claim}
PATHS = {"actor": "/v1/actors", "commitment": "/v1/commitments", "claim": "/v1/claims"}
EDITED = {"actor": "role", "commitment": "effective_note", "claim": "attribution"}
_VERSION = re.compile(r'^"(\d+)-')


@dataclass(frozen=True)
class Server:
    engine_name: str
    base_url: str
    engine: Engine
    key_id: int
    headers: dict[str, str]


@pytest.fixture(scope="module", params=ENGINES)
def server(request: pytest.FixtureRequest, empty_database_url: DatabaseFactory) -> Iterator[Server]:
    """A fresh migrated and seeded database, a write key in it, and two workers serving it."""
    url = empty_database_url(request.param, "mixed-load")
    with seeded_server(url, workers=2, timeout=STARTUP) as live:
        yield Server(request.param, live.base_url, live.engine, live.key_id, live.headers)


@dataclass(frozen=True)
class World:
    """The seeded records the clients pick from, and the hot ones they race for."""

    texts: dict[str, str]
    words: dict[str, list[tuple[int, int]]]  # each source's words, as (start, end) offsets
    actors: list[str]
    commitments: list[str]
    claims: list[str]
    hot: list[tuple[str, str]]
    versions: dict[tuple[str, str], int]  # of the hot records, before the run

    @classmethod
    def read(cls, engine: Engine) -> "World":
        with Session(engine) as session:
            texts = {s.id: s.text for s in session.exec(select(Source).order_by(col(Source.id)))}
            actors = list(session.exec(select(Actor.id).order_by(col(Actor.id))))
            commitments = list(session.exec(select(Commitment.id).order_by(col(Commitment.id))))
            claims = list(session.exec(select(Claim.id).order_by(col(Claim.id))))
            hot = [
                (entity, record_id)
                for entity, ids in (
                    ("actor", actors),
                    ("commitment", commitments),
                    ("claim", claims),
                )
                for record_id in ids[:HOT]
            ]
            versions = {}
            for entity, record_id in hot:
                record = session.get(MODELS[entity], record_id)
                assert record is not None
                versions[(entity, record_id)] = record.version
        words = {
            source_id: [m.span() for m in re.finditer(r"\S+", text)]
            for source_id, text in texts.items()
        }
        return cls(texts, words, actors, commitments, claims, hot, versions)


@dataclass
class Call:
    """One request and what came of it."""

    op: str  # read, create, replay, duplicate, update, status
    method: str
    url: str
    expected: frozenset[int]
    target: tuple[str, str] = ("", "")  # the record written
    sent: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    keyed: bool = False
    original: httpx.Response | None = None  # what a replay must repeat
    response: httpx.Response | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code

    @property
    def answer(self) -> httpx.Response:
        assert self.response is not None, self.describe()
        return self.response

    def describe(self) -> str:
        if self.response is None:
            return f"{self.op} {self.method} {self.url}: no answer, {self.error}"
        answer = f"{self.status} {self.response.text}"
        return f"{self.op} {self.method} {self.url}: {answer[:300]}"


class Client:
    """One client: a loop of randomly chosen operations until the deadline."""

    def __init__(
        self, n: int, server: Server, world: World, calls: list[Call], created: list[str]
    ) -> None:
        self.n = n
        self.rng = random.Random(n)
        self.server = server
        self.world = world
        self.calls = calls
        self.created = created  # urls of acknowledged creates, shared by every client
        self.http: httpx.AsyncClient | None = None

    async def run(self, deadline: float) -> None:
        # No keep-alive: a connection the server closes after an error never takes the next
        # request down with it, so every request gets its own answer.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=self.server.base_url, timeout=TIMEOUT, limits=limits
        ) as self.http:
            # Every client opens with an update of the same record (a rush of racing writers)
            # and one other kind of request, so that a short run exercises them all; then
            # requests picked at random by weight.
            opening = ["update", OPENERS[self.n % len(OPENERS)]]
            names, weights = list(OPERATIONS), list(OPERATIONS.values())
            step = 0
            while step < len(opening) or time.monotonic() < deadline:
                if step < len(opening):
                    operation = opening[step]
                else:
                    operation = self.rng.choices(names, weights)[0]
                await getattr(self, operation)(f"{self.n}-{step}")
                step += 1

    async def send(self, call: Call) -> httpx.Response | None:
        assert self.http is not None
        self.calls.append(call)
        started = time.monotonic()
        try:
            call.response = await self.http.request(
                call.method, call.url, json=call.sent or None, headers=call.headers
            )
        except httpx.HTTPError as error:
            call.error = repr(error)
        call.seconds = time.monotonic() - started
        return call.response

    def write_headers(self, keyed: bool, key: str) -> dict[str, str]:
        return self.server.headers | ({"Idempotency-Key": key} if keyed else {})

    async def read(self, _tag: str) -> None:
        w, rng = self.world, self.rng
        urls = [
            "/v1/commitments?limit=20",
            "/v1/commitments?topic=tariffs&sort=-announced_on",
            f"/v1/commitments/{rng.choice(w.commitments)}",
            f"/v1/claims?source={rng.choice(list(w.texts))}&limit=100",
            f"/v1/claims/{rng.choice(w.claims)}",
            f"/v1/actors/{rng.choice(w.actors)}",
            "/v1/actors?kind=state",
            f"/v1/sources/{rng.choice(list(w.texts))}",
            "/v1/search?q=tariff",
            "/v1/search?q=soybeans&type=claim&type=commitment",
        ]
        if self.created:  # read-your-writes across workers: an acknowledged create is there
            urls.append(rng.choice(self.created))
        await self.send(Call("read", "GET", rng.choice(urls), frozenset({200})))

    async def create_actor(self, tag: str) -> None:
        body = {
            "id": f"load-actor-{tag}",
            "name": f"Load actor {tag}",
            "kind": "organisation",
            "role": f"made by client {self.n}",
            "aliases": [f"LA{tag}", f"Loader {tag}"],
        }
        await self.create("actor", body)

    async def create_claim(self, tag: str) -> None:
        await self.create("claim", self.claim(f"load-claim-{tag}"))

    def claim(self, claim_id: str, commitment: str | None = None) -> dict[str, Any]:
        """A claim quoting 2 to 12 consecutive words of a seeded source, with their offset."""
        w, rng = self.world, self.rng
        source_id = rng.choice(list(w.texts))
        spans = w.words[source_id]
        first = rng.randrange(len(spans) - 12)
        start, end = spans[first][0], spans[first + rng.randint(1, 11)][1]
        return {
            "id": claim_id,
            "source_id": source_id,
            "kind": rng.choice(list(ClaimKind)).value,
            "quote": w.texts[source_id][start:end],
            "start_offset": start,
            "speakers": [rng.choice(w.actors)],
            "commitments": [
                {
                    "commitment_id": commitment or rng.choice(w.commitments),
                    "stance": rng.choice(list(Stance)).value,
                }
            ],
        }

    async def create(self, entity: str, body: dict[str, Any]) -> None:
        keyed = self.rng.random() < KEYED_SHARE
        url = PATHS[entity]
        target = (entity, body["id"])
        headers = self.write_headers(keyed, f"create-{body['id']}")
        call = Call("create", "POST", url, frozenset({201}), target, body, headers, keyed)
        response = await self.send(call)
        if response is None or response.status_code != 201:
            return
        self.created.append(f"{url}/{body['id']}")
        if keyed:  # a retry is answered from the stored answer, nothing is written again
            replay = Call("replay", "POST", url, frozenset({201}), target, body, headers, True)
            replay.original = response
            await self.send(replay)
        elif self.rng.random() < 0.5:  # without a key, the same create again is a duplicate
            again = Call("duplicate", "POST", url, frozenset({409}), target, body, headers)
            await self.send(again)

    async def update(self, tag: str) -> None:
        rush = tag == f"{self.n}-0"  # every client's first request
        entity, record_id = self.world.hot[0] if rush else self.rng.choice(self.world.hot)
        url = f"{PATHS[entity]}/{record_id}"
        read = await self.send(Call("read", "GET", url, frozenset({200})))
        if read is None or read.status_code != 200:
            return
        headers = self.server.headers | {"If-Match": read.headers["etag"]}
        body = {EDITED[entity]: f"{entity} edit {tag}"}
        target = (entity, record_id)
        await self.send(Call("update", "PATCH", url, frozenset({200, 412}), target, body, headers))

    async def status(self, tag: str) -> None:
        rng = self.rng
        commitment = rng.choice([i for e, i in self.world.hot if e == "commitment"])
        body: dict[str, Any] = {
            "occurred_on": (date(2025, 11, 1) + timedelta(days=rng.randrange(150))).isoformat(),
            "status": rng.choice(list(CommitmentStatus)).value,
            "note": f"load status {tag}",
        }
        if rng.random() < EVIDENCE_SHARE:
            body["new_claim"] = self.claim(f"load-evidence-{tag}", commitment)
        keyed = rng.random() < KEYED_SHARE
        url = f"/v1/commitments/{commitment}/status"
        headers = self.write_headers(keyed, f"status-{tag}")
        target = ("commitment", commitment)
        call = Call("status", "POST", url, frozenset({201}), target, body, headers, keyed)
        response = await self.send(call)
        if keyed and response is not None and response.status_code == 201:
            replay = Call("replay", "POST", url, frozenset({201}), target, body, headers, True)
            replay.original = response
            await self.send(replay)


async def test_a_mixed_load_leaves_the_database_agreeing_with_every_answer(
    server: Server,
) -> None:
    world = World.read(server.engine)
    before = database_counts(server.engine)
    calls: list[Call] = []
    created: list[str] = []
    clients = [Client(n, server, world, calls, created) for n in range(CLIENTS)]
    started = time.monotonic()
    await asyncio.gather(*(client.run(started + SECONDS) for client in clients))
    elapsed = time.monotonic() - started
    after = database_counts(server.engine)

    report(server.engine_name, calls, elapsed, before, after)
    # Without an answer, whether a write happened is unknown; with one, the database must agree
    # with it, whatever it was (an error wrote nothing), so that is checked before the statuses.
    unanswered = [c.describe() for c in calls if c.response is None]
    assert not unanswered, unanswered[:5]
    check_answers(calls)
    check_database(server, world, calls, before, after)

    server_errors = [c.describe() for c in calls if (c.status or 0) >= 500]
    assert not server_errors, server_errors[:5]
    unexpected = [c.describe() for c in calls if c.status not in c.expected]
    assert not unexpected, unexpected[:5]
    for op in ("create", "update", "status", "read"):  # the run exercised every kind of request
        assert any(c.op == op and c.status in {200, 201} for c in calls), op
    assert any(c.status == 412 for c in calls), "no two updates raced on the same record"


def ok(calls: list[Call], op: str) -> list[Call]:
    return [c for c in calls if c.op == op and c.status in {200, 201}]


def report(
    engine_name: str,
    calls: list[Call],
    elapsed: float,
    before: dict[str, int],
    after: dict[str, int],
) -> None:
    by_op: dict[str, Counter[str]] = {}
    for call in calls:
        by_op.setdefault(call.op, Counter())[str(call.status or "unanswered")] += 1
    writes = [c for c in calls if c.op in ("create", "update", "status")]
    succeeded = sum(1 for c in writes if c.status in {200, 201})
    stale = sum(1 for c in writes if c.status == 412)
    other = len(writes) - succeeded - stale
    errors = [c.describe() for c in calls if c.status not in c.expected]
    print(
        f"\n[{engine_name}] mixed load, {CLIENTS} clients, {elapsed:.1f} s: {len(calls)} requests "
        f"({len(calls) / elapsed:.0f}/s); writes {len(writes)}: {succeeded} succeeded, "
        f"{stale} got 412, {other} other"
    )
    for op, statuses in sorted(by_op.items()):
        print(f"[{engine_name}]   {op}: {dict(sorted(statuses.items()))}")
    seconds = sorted(c.seconds for c in calls)
    median, p99 = seconds[len(seconds) // 2], seconds[int(len(seconds) * 0.99)]
    print(
        f"[{engine_name}]   latency: median {median:.2f} s, p99 {p99:.2f} s, "
        f"max {seconds[-1]:.2f} s (timeout {TIMEOUT:.0f} s)"
    )
    print(f"[{engine_name}]   rows added: {changed(before, after)}")
    print(f"[{engine_name}]   errors: {errors[:5] if errors else 'none'}")


def check_answers(calls: list[Call]) -> None:
    """Each answer says what was asked: creates echo the content, replays repeat the first
    answer, a stale PATCH names a newer version than the one it was based on."""
    for call in ok(calls, "create"):
        body = call.answer.json()
        assert body["version"] == 1
        if call.target[0] == "actor":
            for name in ("id", "name", "kind", "role", "aliases"):
                assert body[name] == call.sent[name], (name, body)
        else:
            assert_claim_echoed(body, call.sent)
    for call in (c for c in calls if c.op == "replay" and c.status == 201):
        assert call.original is not None
        assert call.answer.headers["idempotent-replayed"] == "true"
        assert call.answer.content == call.original.content
        assert call.answer.headers["etag"] == call.original.headers["etag"]
    for call in (c for c in calls if c.op == "update" and c.status == 412):
        match = _VERSION.match(call.headers["If-Match"])
        assert match is not None
        assert call.answer.json()["current_version"] > int(match.group(1))
    for call in ok(calls, "update"):
        edited = EDITED[call.target[0]]
        assert call.answer.json()[edited] == call.sent[edited]
    for call in ok(calls, "status"):
        notes = [e["note"] for e in call.answer.json()["status_history"]]
        assert notes.count(call.sent["note"]) == 1


def assert_claim_echoed(body: dict[str, Any], sent: dict[str, Any]) -> None:
    for name in ("id", "source_id", "kind", "quote", "start_offset"):
        assert body[name] == sent[name], (name, body)
    assert body["end_offset"] == sent["start_offset"] + len(sent["quote"])
    assert [a["id"] for a in body["speakers"]] == sent["speakers"]
    stances = [(c["commitment_id"], c["stance"]) for c in body["commitments"]]
    assert stances == [(c["commitment_id"], c["stance"]) for c in sent["commitments"]]


def check_database(
    server: Server,
    world: World,
    calls: list[Call],
    before: dict[str, int],
    after: dict[str, int],
) -> None:
    creates, updates, statuses = ok(calls, "create"), ok(calls, "update"), ok(calls, "status")
    actors = {c.sent["id"]: c.sent for c in creates if c.target[0] == "actor"}
    claims = {c.sent["id"]: c.sent for c in creates if c.target[0] == "claim"}
    evidence = {
        c.sent["new_claim"]["id"]: c.sent["new_claim"] for c in statuses if "new_claim" in c.sent
    }
    claims |= evidence
    keyed = sum(1 for c in creates + statuses if c.keyed)

    # Every table holds exactly the rows the successful writes account for, nothing more.
    expected = dict(before)
    expected["actor"] += len(actors)
    expected["actor_alias"] += sum(len(a["aliases"]) for a in actors.values())
    expected["claim"] += len(claims)
    expected["claim_speaker"] += sum(len(c["speakers"]) for c in claims.values())
    expected["claim_commitment"] += sum(len(c["commitments"]) for c in claims.values())
    expected["status_event"] += len(statuses)
    expected["audit_entry"] += len(actors) + len(claims) + len(updates) + len(statuses)
    expected["idempotency_record"] += keyed
    expected["search_document"] += len(actors) + len(claims)
    assert after == expected, {"got": changed(before, after), "expected": changed(before, expected)}

    with Session(server.engine) as session:
        for actor_id, sent in actors.items():
            actor = session.get(Actor, actor_id)
            assert actor is not None, actor_id
            stored = (actor.name, actor.kind, actor.role, actor.version)
            assert stored == (sent["name"], sent["kind"], sent["role"], 1)
            aliases = session.exec(
                select(ActorAlias.alias)
                .where(ActorAlias.actor_id == actor_id)
                .order_by(col(ActorAlias.id))
            ).all()
            assert list(aliases) == sent["aliases"]
        for claim_id, sent in claims.items():
            claim = session.get(Claim, claim_id)
            assert claim is not None, claim_id
            assert claim.quote == sent["quote"]
            assert (
                claim.quote == world.texts[claim.source_id][claim.start_offset : claim.end_offset]
            )
            stored_claim = (claim.source_id, claim.kind, claim.start_offset, claim.version)
            assert stored_claim == (sent["source_id"], sent["kind"], sent["start_offset"], 1)
            speakers = session.exec(
                select(ClaimSpeaker.actor_id)
                .where(ClaimSpeaker.claim_id == claim_id)
                .order_by(col(ClaimSpeaker.position))
            ).all()
            assert list(speakers) == sent["speakers"]
            stances = session.exec(
                select(ClaimCommitment.commitment_id, ClaimCommitment.stance).where(
                    ClaimCommitment.claim_id == claim_id
                )
            ).all()
            assert sorted(stances) == sorted(
                (c["commitment_id"], c["stance"]) for c in sent["commitments"]
            )

        # Each hot record moved up one version per acknowledged write, each of which answered
        # its own version; the last acknowledged edit is what the record holds.
        for entity, record_id in world.hot:
            wins = [c for c in updates + statuses if c.target == (entity, record_id)]
            record = session.get(MODELS[entity], record_id)
            assert record is not None
            initial = world.versions[(entity, record_id)]
            assert record.version == initial + len(wins), (entity, record_id)
            answered = sorted(c.answer.json()["version"] for c in wins)
            assert answered == list(range(initial + 1, record.version + 1)), (entity, record_id)
            edits = [c for c in updates if c.target == (entity, record_id)]
            if edits:
                last = max(edits, key=lambda c: int(c.answer.json()["version"]))
                assert getattr(record, EDITED[entity]) == last.sent[EDITED[entity]]

        # One status_event row per acknowledged status post, as sent; the current status is the
        # latest event's.
        events = session.exec(
            select(StatusEvent).where(col(StatusEvent.note).startswith("load status "))
        ).all()
        by_note = {e.note: e for e in events}
        assert len(by_note) == len(events) == len(statuses)
        for call in statuses:
            event = by_note[call.sent["note"]]
            assert event.commitment_id == call.target[1]
            assert event.occurred_on.isoformat() == call.sent["occurred_on"]
            assert event.status == call.sent["status"]
            evidence_id = call.sent["new_claim"]["id"] if "new_claim" in call.sent else None
            assert event.evidence_claim_id == evidence_id
        for commitment_id in (i for e, i in world.hot if e == "commitment"):
            commitment = session.get(Commitment, commitment_id)
            latest = session.exec(
                select(StatusEvent.status)
                .where(StatusEvent.commitment_id == commitment_id)
                .order_by(col(StatusEvent.occurred_on).desc(), col(StatusEvent.id).desc())
                .limit(1)
            ).one()
            assert commitment is not None
            assert commitment.status == latest

        # The audit log: one entry per acknowledged write, by our key, and nothing else.
        audited = Counter(
            (e.action, e.entity_type, e.entity_id)
            for e in session.exec(select(AuditEntry).where(AuditEntry.api_key_id == server.key_id))
        )
    writes = Counter(("create", "actor", actor_id) for actor_id in actors)
    writes += Counter(("create", "claim", claim_id) for claim_id in claims)
    writes += Counter(("update", *c.target) for c in updates)
    writes += Counter(("status", *c.target) for c in statuses)
    assert audited == writes
    print(
        f"[{server.engine_name}]   consistent: {len(actors)} actors and {len(claims)} claims "
        f"created once each ({len(evidence)} with a status event), {len(updates)} updates and "
        f"{len(statuses)} status events each at its own version, {sum(writes.values())} audit "
        "entries for as many acknowledged writes"
    )
