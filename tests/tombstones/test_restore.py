"""Tombstones: the public list, and restores by admins that bring a record back exactly as it
was exported before its deletion."""

from typing import Any

import httpx
import pytest
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, select

from app import export, writes
from app.audit.service import jsonable
from app.models import Actor, AuditEntry, Claim, ClaimCommitment, StatusEvent, Tombstone
from app.sources import service as source_service
from app.sources.schemas import SourceCreate
from app.vocab import SourceKind
from tests.commitments.test_links import create_link
from tests.commitments.test_writes import NEW_ID, linked_commitment
from tests.commitments.test_writes import create as create_commitment
from tests.support.http import walk

pytestmark = pytest.mark.anyio

NEW_ACTOR = {"id": "test-institute", "name": "Test Institute", "kind": "organisation"}


def exported(session: Session, entity_type: str, entity_id: str) -> dict[str, Any] | None:
    session.expire_all()
    return jsonable(export.snapshot(session, entity_type, entity_id))


def admin(keys: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys['admin']}"}


def restore_url(entity_type: str, entity_id: str) -> str:
    return f"/v1/tombstones/{entity_type}/{entity_id}/restore"


def tombstone(session: Session, entity_type: str, entity_id: str) -> Tombstone | None:
    return session.exec(
        select(Tombstone).where(
            Tombstone.entity_type == entity_type, Tombstone.entity_id == entity_id
        )
    ).first()


def audited(session: Session, entity_type: str, entity_id: str, action: str) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry).where(
                AuditEntry.entity_type == entity_type,
                AuditEntry.entity_id == entity_id,
                AuditEntry.action == action,
            )
        ).all()
    )


async def deleted_actor(client: httpx.AsyncClient, writer: dict[str, str]) -> None:
    created = await client.post("/v1/actors", json=NEW_ACTOR, headers=writer)
    assert created.status_code == 201, created.text
    url = f"/v1/actors/{NEW_ACTOR['id']}"
    deleted = await client.delete(url, headers=writer | {"If-Match": created.headers["etag"]})
    assert deleted.status_code == 204


def evidence_free_claim(session: Session) -> str:
    """A stored claim with stances and speakers that no status event cites as evidence."""
    cited = select(StatusEvent.evidence_claim_id).where(
        col(StatusEvent.evidence_claim_id).is_not(None)
    )
    found = session.exec(
        select(Claim.id)
        .where(col(Claim.id).not_in(cited))
        .where(col(Claim.id).in_(select(ClaimCommitment.claim_id)))
        .order_by(col(Claim.value_subject).is_(None), col(Claim.id))
    ).first()
    assert found is not None
    return found


async def test_restore_is_for_admins_only(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], keys: dict[str, str]
) -> None:
    await deleted_actor(client, writer)
    url = restore_url("actor", str(NEW_ACTOR["id"]))
    assert (await client.post(url)).status_code == 401
    revoked = {"Authorization": f"Bearer {keys['revoked']}"}
    assert (await client.post(url, headers=revoked)).status_code == 401
    forbidden = await client.post(url, headers=writer)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    assert session.get(Actor, NEW_ACTOR["id"]) is None
    assert tombstone(session, "actor", str(NEW_ACTOR["id"])) is not None


async def test_tombstones_are_listed_publicly_by_type(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await deleted_actor(client, writer)
    link = (await create_link(client, session, writer)).json()
    assert (
        await client.delete(f"/v1/links/{link['id']}", headers=writer | {"If-Match": "*"})
    ).status_code == 204
    everything = await walk(client, "/v1/tombstones?limit=1&sort=-id")
    assert {(t["entity_type"], t["entity_id"]) for t in everything} >= {
        ("actor", NEW_ACTOR["id"]),
        ("link", str(link["id"])),
    }
    actors = (await client.get("/v1/tombstones?entity_type=actor")).json()
    assert {t["entity_type"] for t in actors["items"]} == {"actor"}
    assert actors["total"] == len([t for t in everything if t["entity_type"] == "actor"])
    assert (await client.get("/v1/tombstones?entity_type=planet")).status_code == 400


async def test_restoring_an_actor_brings_back_its_export_and_is_audited(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], keys: dict[str, str]
) -> None:
    await deleted_actor(client, writer)
    actor_id = str(NEW_ACTOR["id"])
    stone = tombstone(session, "actor", actor_id)
    assert stone is not None
    before = stone.snapshot
    response = await client.post(restore_url("actor", actor_id), headers=admin(keys))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/actors/{actor_id}"
    assert response.json()["record"] == before
    assert response.json()["left_out"] == []
    assert exported(session, "actor", actor_id) == before
    fetched = await client.get(f"/v1/actors/{actor_id}")
    assert fetched.status_code == 200
    assert fetched.headers["etag"].startswith(f'"{response.json()["version"]}-')
    assert tombstone(session, "actor", actor_id) is None
    [entry] = audited(session, "actor", actor_id, "restore")
    assert (entry.before, entry.after) == (None, before)
    assert entry.api_key_id is not None
    again = await client.post(restore_url("actor", actor_id), headers=admin(keys))
    assert again.status_code == 404


async def test_restore_refuses_when_the_id_is_taken_again(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], keys: dict[str, str]
) -> None:
    await deleted_actor(client, writer)
    assert (await client.post("/v1/actors", json=NEW_ACTOR, headers=writer)).status_code == 201
    response = await client.post(restore_url("actor", str(NEW_ACTOR["id"])), headers=admin(keys))
    assert response.status_code == 409
    assert tombstone(session, "actor", str(NEW_ACTOR["id"])) is not None


async def test_restoring_a_claim_rechecks_its_quote_and_brings_back_its_export(
    client: httpx.AsyncClient, session: Session, keys: dict[str, str]
) -> None:
    claim_id = evidence_free_claim(session)
    before = exported(session, "claim", claim_id)
    assert before is not None
    writes.delete(session, "claim", claim_id, None, None, lambda: [])
    stone = tombstone(session, "claim", claim_id)
    assert stone is not None
    assert stone.snapshot == before

    stone.snapshot = {**before, "start_offset": before["start_offset"] + 1}
    flag_modified(stone, "snapshot")
    session.commit()  # what a refused request rolls back to (the test still undoes it)
    moved = await client.post(restore_url("claim", claim_id), headers=admin(keys))
    assert moved.status_code == 422, moved.text
    assert session.get(Claim, claim_id) is None

    stone.snapshot = before
    flag_modified(stone, "snapshot")
    session.flush()
    response = await client.post(restore_url("claim", claim_id), headers=admin(keys))
    assert response.status_code == 201, response.text
    assert exported(session, "claim", claim_id) == before
    assert response.json()["record"] == before
    assert (await client.get(f"/v1/claims/{claim_id}")).status_code == 200


async def test_restoring_a_commitment_brings_back_history_links_and_stances(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], keys: dict[str, str]
) -> None:
    commitment_id = linked_commitment(session)
    url = f"/v1/commitments/{commitment_id}"
    before = exported(session, "commitment", commitment_id)
    assert before is not None
    assert before["links"]
    assert before["claim_stances"]
    assert before["status_history"]
    claim_ids = [stance["claim"] for stance in before["claim_stances"]]
    claims_before = jsonable({"claims": export.claims(session, claim_ids)})
    detail_before = (await client.get(url)).json()
    etag = (await client.get(url)).headers["etag"]
    assert (await client.delete(url, headers=writer | {"If-Match": etag})).status_code == 204

    response = await client.post(restore_url("commitment", commitment_id), headers=admin(keys))
    assert response.status_code == 201, response.text
    assert response.json()["left_out"] == []
    assert response.json()["record"] == before
    assert exported(session, "commitment", commitment_id) == before
    assert jsonable({"claims": export.claims(session, claim_ids)}) == claims_before
    detail = (await client.get(url)).json()
    for field in ("status", "evidence", "corroboration", "obligors", "terms"):
        assert detail[field] == detail_before[field], field
    by_end = sorted(detail_before["links"], key=lambda link: sorted(link.items()))
    assert sorted(detail["links"], key=lambda link: sorted(link.items())) == by_end
    assert [
        (e["occurred_on"], e["status"], e["evidence_claim_id"]) for e in detail["status_history"]
    ] == [
        (e["occurred_on"], e["status"], e["evidence_claim_id"])
        for e in detail_before["status_history"]
    ]
    assert detail["version"] == response.json()["version"]
    assert tombstone(session, "commitment", commitment_id) is None
    [entry] = audited(session, "commitment", commitment_id, "restore")
    assert entry.after == before


async def test_a_restore_leaves_out_what_has_since_been_deleted(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], keys: dict[str, str]
) -> None:
    await create_commitment(client, session, writer)
    created = await create_link(client, session, writer)
    link = created.json()
    body = {"from_id": NEW_ID, "to_id": link["from_id"], "kind": "supersedes"}
    assert (await client.post("/v1/links", json=body, headers=writer)).status_code == 201
    for commitment_id in (NEW_ID, link["from_id"]):
        url = f"/v1/commitments/{commitment_id}"
        assert (await client.delete(url, headers=writer | {"If-Match": "*"})).status_code == 204
    response = await client.post(restore_url("commitment", NEW_ID), headers=admin(keys))
    assert response.status_code == 201, response.text
    assert response.json()["left_out"] == [
        f"supersedes link with deleted commitment {link['from_id']!r}"
    ]
    assert response.json()["record"]["links"] == []


async def test_restoring_a_link_keeps_its_id(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], keys: dict[str, str]
) -> None:
    created = await create_link(client, session, writer)
    link_id = str(created.json()["id"])
    before = exported(session, "link", link_id)
    url = f"/v1/links/{link_id}"
    assert (await client.delete(url, headers=writer | {"If-Match": "*"})).status_code == 204
    response = await client.post(restore_url("link", link_id), headers=admin(keys))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url
    assert exported(session, "link", link_id) == before
    fetched = await client.get(url)
    assert {k: fetched.json()[k] for k in ("from_id", "to_id", "kind", "note")} == {
        k: created.json()[k] for k in ("from_id", "to_id", "kind", "note")
    }
    assert len(audited(session, "link", link_id, "restore")) == 1


async def test_restoring_what_was_never_deleted_is_a_404(
    client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    response = await client.post(
        restore_url("commitment", "no-such-commitment"), headers=admin(keys)
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    unknown_type = await client.post(restore_url("planet", "mars"), headers=admin(keys))
    assert unknown_type.status_code in (400, 422)


async def test_restoring_a_source_brings_back_its_text_and_contributors(
    client: httpx.AsyncClient, session: Session, keys: dict[str, str]
) -> None:
    author, publisher = session.exec(select(Actor.id).order_by(col(Actor.id)).limit(2)).all()
    request = SourceCreate(
        id="test-source",
        kind=SourceKind.NEWS,
        title="Test source",
        publisher_id=publisher,
        text="A short text\r\nwith a Windows line break and a ✓.",
        authors=[author],
    )
    source_service.create(session, request)
    before = exported(session, "source", "test-source")
    writes.delete(session, "source", "test-source", None, None, lambda: [])
    response = await client.post(restore_url("source", "test-source"), headers=admin(keys))
    assert response.status_code == 201, response.text
    assert exported(session, "source", "test-source") == before
    assert response.headers["location"] == "/v1/sources/test-source"


async def test_a_snapshot_that_breaks_todays_rules_is_a_422_and_stays_deleted(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], keys: dict[str, str]
) -> None:
    await create_commitment(client, session, writer)
    url = f"/v1/commitments/{NEW_ID}"
    assert (await client.delete(url, headers=writer | {"If-Match": "*"})).status_code == 204
    stone = tombstone(session, "commitment", NEW_ID)
    assert stone is not None
    stone.snapshot = {**stone.snapshot, "announced": {"on": "2030-01-01", "precision": "exact"}}
    flag_modified(stone, "snapshot")
    session.commit()  # what a refused request rolls back to (the test still undoes it)
    response = await client.post(restore_url("commitment", NEW_ID), headers=admin(keys))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "snapshot"
    assert (await client.get(url)).status_code == 404
