"""Every route, walked from the OpenAPI schema: writes need a valid key, reads stay public.

The list of operations is taken from the schema itself, so a write route added later is
checked without anyone remembering to add it here.
"""

import hashlib
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.models import Actor, Claim, Commitment, CommitmentLink, Source
from tests.support.databases import row_counts
from tests.support.routes import (
    OUTSIDE_SCHEMA,
    Operation,
    operations,
    schema_without_database,
    served_routes,
)

pytestmark = pytest.mark.anyio

SCHEMA = schema_without_database()
OPERATIONS = operations(SCHEMA)
WRITES = [op for op in OPERATIONS if not op.is_read]
READS = [op for op in OPERATIONS if op.is_read]

DELETED_ACTOR = "auth-walk-deleted"
# Bodies that would be accepted, so that a route that forgot its key check would really write.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "POST /v1/actors": {"id": "auth-walk-new", "name": "Auth Walk", "kind": "organisation"},
}
READ_QUERIES = {"q": "tariff"}
NOT_KEYS = [
    "Bearer bk_" + "A" * 43,
    "Bearer not-a-key",
    "Bearer",
    "Basic dXNlcjpwYXNzd29yZA==",
    "Token bk_" + "B" * 43,
]


@pytest.fixture
def answers(client: httpx.AsyncClient) -> list[httpx.Response]:
    """Every response the test client receives, read in full."""
    seen: list[httpx.Response] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response)

    client.event_hooks["response"].append(record)
    return seen


@pytest.fixture
async def path_values(
    client: httpx.AsyncClient, session: Session, keys: dict[str, str]
) -> dict[str, str]:
    """Existing ids for every path parameter, and a deleted actor for the restore route."""
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    body = {"id": DELETED_ACTOR, "name": "Deleted", "kind": "organisation"}
    created = await client.post("/v1/actors", json=body, headers=admin)
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    deleted = await client.delete(f"/v1/actors/{DELETED_ACTOR}", headers=admin | {"If-Match": etag})
    assert deleted.status_code == 204, deleted.text

    def first(model: Any) -> str:
        return str(session.exec(select(model.id).order_by(col(model.id))).first())

    return {
        "actor_id": first(Actor),
        "source_id": first(Source),
        "claim_id": first(Claim),
        "commitment_id": first(Commitment),
        "link_id": first(CommitmentLink),
        "entity_type": "actor",
        "entity_id": DELETED_ACTOR,
    }


def forms_of(secret: str) -> list[str]:
    """The secret, its part after the public prefix, and its stored hash."""
    return [secret, secret[12:], hashlib.sha256(secret.encode()).hexdigest()]


def assert_nothing_leaks(answers: list[httpx.Response], secrets: list[str]) -> None:
    assert answers, "no response was recorded"
    forms = [form.encode() for secret in secrets for form in forms_of(secret)]
    for response in answers:
        head = b"\n".join(k + b": " + v for k, v in response.headers.raw)
        for form in forms:
            where = f"{response.request.method} {response.request.url}"
            assert form not in response.content, f"a key's secret in the body of {where}"
            assert form not in head, f"a key's secret in the headers of {where}"


def assert_problem(response: httpx.Response, status: int, what: str) -> None:
    assert response.status_code == status, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", what
    assert response.json()["status"] == status, what


async def send(
    client: httpx.AsyncClient, op: Operation, values: Mapping[str, str], headers: dict[str, str]
) -> httpx.Response:
    """The operation as a well-formed request that lacks nothing but (maybe) a key."""
    full = {"If-Match": "*", "Idempotency-Key": "auth-walk"} | headers
    body = VALID_BODIES.get(str(op), {}) if op.method in ("POST", "PUT", "PATCH") else None
    return await client.request(op.method, op.url(values), json=body, headers=full)


async def test_every_served_route_is_documented_or_allowed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    served = await client.get("/openapi.json")
    assert served.status_code == 200
    documented = {(op.method, op.path) for op in operations(served.json())}
    assert documented == {(op.method, op.path) for op in OPERATIONS}
    routes = set(served_routes(app))
    for method, path in routes:
        assert (method, path) in documented or path in OUTSIDE_SCHEMA, f"{method} {path}"
    assert documented <= routes
    for path in OUTSIDE_SCHEMA:
        assert (await client.get(path)).status_code == 200, path


def test_the_walk_sees_the_writes_and_the_admin_restore() -> None:
    assert {"POST /v1/actors", "PATCH /v1/actors/{actor_id}", "DELETE /v1/actors/{actor_id}"} <= {
        str(op) for op in WRITES
    }
    assert [op for op in WRITES if op.is_admin_only], "no restore route under /v1/tombstones/"
    assert READS


def test_every_write_declares_a_bearer_requirement_and_no_read_does() -> None:
    schemes = SCHEMA["components"]["securitySchemes"]
    bearer = {
        name for name, s in schemes.items() if s["type"] == "http" and s["scheme"] == "bearer"
    }
    assert bearer
    for op in WRITES:
        requirements = op.spec.get("security", [])
        assert requirements, f"{op} declares no security requirement"
        assert all(set(r) <= bearer and r for r in requirements), f"{op}: {requirements}"
        assert "401" in op.spec["responses"], f"{op} does not document its 401"
    for op in READS:
        assert not op.spec.get("security"), f"{op} should be public"


@pytest.mark.parametrize("op", WRITES, ids=str)
async def test_a_write_without_a_valid_key_is_refused_and_writes_nothing(
    client: httpx.AsyncClient,
    session: Session,
    keys: dict[str, str],
    path_values: dict[str, str],
    answers: list[httpx.Response],
    op: Operation,
) -> None:
    before = row_counts(session)
    attempts = {
        "anonymous": {},
        "revoked key": {"Authorization": f"Bearer {keys['revoked']}"},
        "near-miss key": {"Authorization": f"Bearer {keys['write']}x"},
        "key without a scheme": {"Authorization": keys["write"]},
    } | {f"not a key ({value[:12]})": {"Authorization": value} for value in NOT_KEYS}
    for what, headers in attempts.items():
        response = await send(client, op, path_values, headers)
        assert_problem(response, 401, f"{op} with {what}")
        assert response.headers["www-authenticate"].startswith("Bearer"), what
    bare = await client.request(op.method, op.url(path_values))
    assert_problem(bare, 401, f"{op}, anonymous, no If-Match and no body")
    if op.is_admin_only:
        write_key = {"Authorization": f"Bearer {keys['write']}"}
        assert_problem(await send(client, op, path_values, write_key), 403, f"{op}, write key")
    assert row_counts(session) == before
    assert_nothing_leaks(answers, [keys["write"], keys["admin"], keys["revoked"]])


async def test_every_read_is_public(client: httpx.AsyncClient, path_values: dict[str, str]) -> None:
    for op in READS:
        params = {name: READ_QUERIES[name] for name in op.required_query()}
        response = await client.get(op.url(path_values), params=params)
        assert response.status_code == 200, f"{op}: {response.status_code} {response.text}"


async def test_no_answer_ever_shows_a_key_secret(
    client: httpx.AsyncClient,
    keys: dict[str, str],
    path_values: dict[str, str],
    answers: list[httpx.Response],
) -> None:
    writer = {"Authorization": f"Bearer {keys['write']}"}
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    body = {"id": "leak-check", "name": "Leak Check", "kind": "organisation"}
    created = await client.post("/v1/actors", json=body, headers=writer)
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    url = "/v1/actors/leak-check"
    expected = {
        409: await client.post("/v1/actors", json=body, headers=writer),
        422: await client.post("/v1/actors", json=body | {"kind": "planet"}, headers=writer),
        428: await client.patch(url, json={"role": "x"}, headers=writer),
        200: await client.patch(url, json={"role": "x"}, headers=writer | {"If-Match": etag}),
        412: await client.patch(url, json={"role": "y"}, headers=writer | {"If-Match": etag}),
        404: await client.patch("/v1/actors/nobody", json={}, headers=writer | {"If-Match": "*"}),
        403: await client.post(
            f"/v1/tombstones/actor/{DELETED_ACTOR}/restore", headers=writer | {"If-Match": "*"}
        ),
        201: await client.post(f"/v1/tombstones/actor/{DELETED_ACTOR}/restore", headers=admin),
    }
    for status, response in expected.items():
        assert response.status_code == status, f"{status}: {response.text}"
    for op in READS:
        params = {name: READ_QUERIES[name] for name in op.required_query()}
        await client.get(op.url(path_values | {"entity_id": "leak-check"}), params=params)
    audit = await client.get("/v1/audit", params={"entity_id": "leak-check"})
    assert [e["action"] for e in audit.json()["items"]] == ["create", "update"]
    assert_nothing_leaks(answers, [keys["write"], keys["admin"], keys["revoked"]])
