"""`Idempotency-Key` on creates: a retry replays the first answer and creates nothing more."""

import httpx
import pytest
from sqlmodel import Session, func, select

from app.models import Actor, AuditEntry, IdempotencyRecord

pytestmark = pytest.mark.anyio

BODY = {"id": "retry-institute", "name": "Retry Institute", "kind": "organisation"}


def counts(session: Session) -> tuple[int, int, int]:
    """Actors, audit entries and stored answers."""
    return (
        session.exec(select(func.count()).select_from(Actor)).one(),
        session.exec(select(func.count()).select_from(AuditEntry)).one(),
        session.exec(select(func.count()).select_from(IdempotencyRecord)).one(),
    )


async def test_a_retry_replays_the_first_answer_and_creates_nothing_more(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    headers = writer | {"Idempotency-Key": "create-retry-institute"}
    before = counts(session)
    first = await client.post("/v1/actors", json=BODY, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = counts(session)
    assert after_first == (before[0] + 1, before[1] + 1, before[2] + 1)

    for _ in range(2):
        retry = await client.post("/v1/actors", json=BODY, headers=headers)
        assert retry.status_code == first.status_code
        assert retry.content == first.content
        assert retry.headers["etag"] == first.headers["etag"]
        assert retry.headers["location"] == first.headers["location"]
        assert retry.headers["idempotent-replayed"] == "true"
        assert counts(session) == after_first
    creates = select(AuditEntry).where(
        AuditEntry.entity_id == BODY["id"], AuditEntry.action == "create"
    )
    assert len(session.exec(creates).all()) == 1


async def test_the_same_key_with_another_body_is_a_422(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    headers = writer | {"Idempotency-Key": "reused"}
    assert (await client.post("/v1/actors", json=BODY, headers=headers)).status_code == 201
    before = counts(session)
    other = BODY | {"id": "another-institute"}
    response = await client.post("/v1/actors", json=other, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "idempotent-replayed" not in response.headers
    assert counts(session) == before
    assert session.get(Actor, "another-institute") is None


async def test_keys_of_different_api_keys_are_independent(
    client: httpx.AsyncClient, session: Session, keys: dict[str, str]
) -> None:
    writer = {"Authorization": f"Bearer {keys['write']}", "Idempotency-Key": "shared"}
    admin = {"Authorization": f"Bearer {keys['admin']}", "Idempotency-Key": "shared"}
    first = await client.post("/v1/actors", json=BODY, headers=writer)
    assert first.status_code == 201, first.text
    # The same key and body from another API key is a new request, not a replay: a duplicate.
    same_body = await client.post("/v1/actors", json=BODY, headers=admin)
    assert same_body.status_code == 409, same_body.text
    assert "idempotent-replayed" not in same_body.headers
    # And another body under the same key is a create of its own, not a 422.
    other = BODY | {"id": "admin-institute"}
    created = await client.post("/v1/actors", json=other, headers=admin)
    assert created.status_code == 201, created.text
    assert "idempotent-replayed" not in created.headers
    assert session.get(Actor, "admin-institute") is not None
    replay = await client.post("/v1/actors", json=BODY, headers=writer)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content


async def test_without_a_key_a_second_identical_create_is_a_409(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    assert (await client.post("/v1/actors", json=BODY, headers=writer)).status_code == 201
    before = counts(session)
    again = await client.post("/v1/actors", json=BODY, headers=writer)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"] == "application/problem+json"
    assert "idempotent-replayed" not in again.headers
    assert counts(session) == before


async def test_a_refused_create_stores_no_answer_to_replay(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    headers = writer | {"Idempotency-Key": "first-try-fails"}
    bad = await client.post("/v1/actors", json=BODY | {"affiliation_id": "nobody"}, headers=headers)
    assert bad.status_code == 422, bad.text
    fixed = await client.post("/v1/actors", json=BODY, headers=headers)
    assert fixed.status_code == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers
