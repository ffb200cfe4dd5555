"""Actor writes: create, partial update with If-Match, delete to a tombstone, audit."""

import httpx
import pytest
from sqlmodel import Session, select

from app.models import Actor, ActorAlias, AuditEntry, Tombstone

pytestmark = pytest.mark.anyio

NEW_ACTOR = {
    "id": "test-institute",
    "name": "Test Institute",
    "kind": "organisation",
    "country_code": "SG",
    "aliases": ["TI", "the Institute"],
}


async def create(client: httpx.AsyncClient, writer: dict[str, str]) -> httpx.Response:
    response = await client.post("/v1/actors", json=NEW_ACTOR, headers=writer)
    assert response.status_code == 201, response.text
    return response


async def test_create_returns_the_record_its_etag_and_location(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    response = await create(client, writer)
    assert response.headers["location"] == "/v1/actors/test-institute"
    assert response.json()["aliases"] == ["TI", "the Institute"]
    fetched = await client.get("/v1/actors/test-institute")
    assert fetched.headers["etag"] == response.headers["etag"]
    assert session.get(Actor, "test-institute") is not None
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity_id == "test-institute")).one()
    assert entry.action == "create"
    assert entry.before is None
    assert entry.after is not None
    assert entry.after["name"] == "Test Institute"


async def test_duplicate_id_is_a_409(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    await create(client, writer)
    again = await client.post("/v1/actors", json=NEW_ACTOR, headers=writer)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"affiliation_id": "no-such-actor"}, "affiliation_id"),
        ({"kind": "planet"}, "kind"),
        ({"id": "Not A Slug"}, "id"),
        ({"version": 7}, "version"),
    ],
)
async def test_invalid_create_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    change: dict[str, object],
    field: str,
) -> None:
    response = await client.post("/v1/actors", json=NEW_ACTOR | change, headers=writer)
    assert response.status_code == 422, response.text
    body = response.json()
    named = {body.get("field")} | {e["name"] for e in body.get("errors", [])}
    assert field in named
    assert session.get(Actor, str(NEW_ACTOR["id"])) is None
    assert session.get(Actor, "Not A Slug") is None


async def test_patch_changes_only_what_is_sent_and_needs_the_current_etag(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    etag = (await create(client, writer)).headers["etag"]
    url = "/v1/actors/test-institute"
    missing = await client.patch(url, json={"role": "think tank"}, headers=writer)
    assert missing.status_code == 428
    patched = await client.patch(
        url, json={"role": "think tank", "aliases": ["TI"]}, headers=writer | {"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["role"] == "think tank"
    assert patched.json()["name"] == "Test Institute"
    assert patched.json()["aliases"] == ["TI"]
    assert patched.headers["etag"] != etag
    stale = await client.patch(url, json={"role": "x"}, headers=writer | {"If-Match": etag})
    assert stale.status_code == 412
    assert session.exec(
        select(ActorAlias.alias).where(ActorAlias.actor_id == "test-institute")
    ).all() == ["TI"]
    audit = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_id == "test-institute", AuditEntry.action == "update"
        )
    ).one()
    assert audit.before is not None
    assert audit.after is not None
    assert audit.before["role"] is None
    assert audit.after["role"] == "think tank"


async def test_patch_refuses_nulls_for_required_fields_and_unknown_fields(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    etag = (await create(client, writer)).headers["etag"]
    headers = writer | {"If-Match": etag}
    for body in ({"name": None}, {"created_at": "2020-01-01T00:00:00Z"}, {"id": "other"}):
        response = await client.patch("/v1/actors/test-institute", json=body, headers=headers)
        assert response.status_code == 422, body


async def test_affiliation_cycles_are_refused(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    etag = (await create(client, writer)).headers["etag"]
    child = NEW_ACTOR | {"id": "test-child", "affiliation_id": "test-institute", "aliases": []}
    assert (await client.post("/v1/actors", json=child, headers=writer)).status_code == 201
    response = await client.patch(
        "/v1/actors/test-institute",
        json={"affiliation_id": "test-child"},
        headers=writer | {"If-Match": etag},
    )
    assert response.status_code == 422


async def test_delete_keeps_a_tombstone_and_refuses_referenced_actors(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    etag = (await create(client, writer)).headers["etag"]
    deleted = await client.delete("/v1/actors/test-institute", headers=writer | {"If-Match": etag})
    assert deleted.status_code == 204
    assert (await client.get("/v1/actors/test-institute")).status_code == 404
    tombstone = session.exec(select(Tombstone).where(Tombstone.entity_id == "test-institute")).one()
    assert tombstone.snapshot["aliases"] == ["TI", "the Institute"]
    china = await client.get("/v1/actors/china")
    refused = await client.delete(
        "/v1/actors/china", headers=writer | {"If-Match": china.headers["etag"]}
    )
    assert refused.status_code == 409
    assert refused.json()["blocked_by"]
    assert session.get(Actor, "china") is not None
