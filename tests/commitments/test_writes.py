"""Commitment writes: create, partial update with If-Match (date rules on the merged record),
delete to a tombstone with everything that hangs off the commitment, audit."""

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.models import (
    Actor,
    AuditEntry,
    ClaimCommitment,
    Commitment,
    CommitmentLink,
    CommitmentParty,
    CommitmentTerm,
    StatusEvent,
    Tombstone,
)

pytestmark = pytest.mark.anyio

NEW_ID = "test-commitment"


def new_commitment(session: Session, **changes: Any) -> dict[str, Any]:
    """A valid create body whose parties are actors the database holds."""
    obligor, counterparty = session.exec(select(Actor.id).order_by(col(Actor.id)).limit(2)).all()
    return {
        "id": NEW_ID,
        "title": "Test commitment",
        "topic": "tariffs",
        "action": "reduce",
        "obligors": [obligor],
        "counterparties": [counterparty],
        "terms": [{"measure": "tariff", "from_value": 20, "to_value": 10, "unit": "percent"}],
        "announced_on": "2025-10-30",
        "announced_precision": "exact",
        "expires_on": "2026-11-10",
        "expires_precision": "exact",
    } | changes


async def create(client: httpx.AsyncClient, session: Session, writer: dict[str, str]) -> str:
    """Create the test commitment; return its ETag."""
    response = await client.post("/v1/commitments", json=new_commitment(session), headers=writer)
    assert response.status_code == 201, response.text
    return response.headers["etag"]


def linked_commitment(session: Session) -> str:
    """A stored commitment with links, claim stances and a status history."""
    linked = select(CommitmentLink.from_id).union(select(CommitmentLink.to_id)).subquery()
    found = session.exec(
        select(Commitment.id)
        .where(col(Commitment.id).in_(select(linked.c[0])))
        .where(col(Commitment.id).in_(select(ClaimCommitment.commitment_id)))
        .where(col(Commitment.id).in_(select(StatusEvent.commitment_id)))
        .order_by(col(Commitment.id))
    ).first()
    assert found is not None, "the seed has no commitment with links, stances and history"
    return found


def count(session: Session, column: Any, commitment_id: str) -> int:
    return session.exec(select(func.count()).where(column == commitment_id)).one()


async def test_create_answers_the_detail_its_etag_and_location_and_is_audited(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    body = new_commitment(session)
    response = await client.post("/v1/commitments", json=body, headers=writer)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/commitments/{NEW_ID}"
    detail = response.json()
    assert detail["status"] == "proposed"
    assert detail["status_history"] == []
    assert [a["id"] for a in detail["obligors"]] == body["obligors"]
    assert detail["terms"][0]["to_value"] == 10
    fetched = await client.get(f"/v1/commitments/{NEW_ID}")
    assert fetched.headers["etag"] == response.headers["etag"]
    entry = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_type == "commitment", AuditEntry.entity_id == NEW_ID
        )
    ).one()
    assert entry.action == "create"
    assert entry.before is None
    assert entry.after is not None
    assert entry.after["obligors"] == body["obligors"]


async def test_duplicate_id_is_a_409(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await create(client, session, writer)
    again = await client.post("/v1/commitments", json=new_commitment(session), headers=writer)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"obligors": ["no-such-actor"]}, "obligors"),
        ({"counterparties": ["no-such-actor"]}, "counterparties"),
        ({"obligors": []}, "obligors"),
        ({"topic": "weather"}, "topic"),
        ({"status": "fulfilled"}, "status"),
        ({"version": 7}, "version"),
        ({"status_history": []}, "status_history"),
    ],
)
async def test_invalid_create_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    change: dict[str, object],
    field: str,
) -> None:
    response = await client.post(
        "/v1/commitments", json=new_commitment(session, **change), headers=writer
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert field in {body.get("field")} | {e["name"] for e in body.get("errors", [])}
    assert session.get(Commitment, NEW_ID) is None


async def test_create_refuses_dates_out_of_order(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    body = new_commitment(session, effective_on="2027-01-01")
    response = await client.post("/v1/commitments", json=body, headers=writer)
    assert response.status_code == 422
    assert "effective_on" in response.json()["detail"] + str(response.json()["errors"])


async def test_writes_need_a_valid_key(client: httpx.AsyncClient, session: Session) -> None:
    anonymous = await client.post("/v1/commitments", json=new_commitment(session))
    assert anonymous.status_code == 401
    assert session.get(Commitment, NEW_ID) is None


async def test_patch_changes_only_what_is_sent_and_needs_the_current_etag(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    etag = await create(client, session, writer)
    url = f"/v1/commitments/{NEW_ID}"
    kept = new_commitment(session)["obligors"]
    actors = [*kept, *session.exec(select(Actor.id).order_by(col(Actor.id)).offset(2).limit(1))]
    change = {"title": "Renamed", "obligors": actors, "terms": [], "announced_note": "test"}
    missing = await client.patch(url, json=change, headers=writer)
    assert missing.status_code == 428
    patched = await client.patch(url, json=change, headers=writer | {"If-Match": etag})
    assert patched.status_code == 200, patched.text
    detail = patched.json()
    assert detail["title"] == "Renamed"
    assert detail["topic"] == "tariffs"
    assert sorted(a["id"] for a in detail["obligors"]) == sorted(actors)
    assert len(detail["counterparties"]) == 1
    assert detail["terms"] == []
    assert detail["version"] == 2
    assert patched.headers["etag"] != etag
    assert (await client.get(url)).headers["etag"] == patched.headers["etag"]
    stale = await client.patch(url, json={"title": "x"}, headers=writer | {"If-Match": etag})
    assert stale.status_code == 412
    assert count(session, CommitmentTerm.commitment_id, NEW_ID) == 0
    parties = session.exec(
        select(CommitmentParty.actor_id).where(
            CommitmentParty.commitment_id == NEW_ID, CommitmentParty.role == "obligor"
        )
    ).all()
    assert sorted(parties) == sorted(actors)
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.entity_id == NEW_ID, AuditEntry.action == "update")
    ).one()
    assert audit.before is not None
    assert audit.after is not None
    assert (audit.before["title"], audit.after["title"]) == ("Test commitment", "Renamed")
    assert audit.before["terms"]
    assert audit.after["terms"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_on": "2025-01-01"}, "expires_on"),
        ({"announced_on": "2027-01-01"}, "announced_on"),
        ({"effective_on": "2027-01-01"}, "effective_on"),
        ({"announced_on": None}, "announced_on"),
        ({"due_precision": "month"}, "due_precision"),
    ],
)
async def test_patch_checks_the_date_rules_on_the_merged_record(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    change: dict[str, object],
    field: str,
) -> None:
    etag = await create(client, session, writer)
    response = await client.patch(
        f"/v1/commitments/{NEW_ID}", json=change, headers=writer | {"If-Match": etag}
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    stored = session.get(Commitment, NEW_ID)
    assert stored is not None
    assert str(stored.announced_on) == "2025-10-30"
    assert stored.due_precision is None


async def test_patch_accepts_dates_that_are_in_order_once_merged(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    etag = await create(client, session, writer)
    change = {"effective_on": "2025-11-10", "effective_precision": "exact"}
    response = await client.patch(
        f"/v1/commitments/{NEW_ID}", json=change, headers=writer | {"If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert response.json()["effective_on"] == "2025-11-10"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"obligors": ["no-such-actor"]}, "obligors"),
        ({"counterparties": ["no-such-actor"]}, "counterparties"),
        ({"obligors": []}, "obligors"),
        ({"title": None}, "body"),
        ({"status": "fulfilled"}, "status"),
        ({"id": "other"}, "id"),
        ({"version": 9}, "version"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"status_history": []}, "status_history"),
    ],
)
async def test_patch_refuses_unknown_parties_nulls_and_mass_assignment(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    change: dict[str, object],
    field: str,
) -> None:
    etag = await create(client, session, writer)
    response = await client.patch(
        f"/v1/commitments/{NEW_ID}", json=change, headers=writer | {"If-Match": etag}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert field in {body.get("field")} | {e["name"] for e in body.get("errors", [])}
    fetched = await client.get(f"/v1/commitments/{NEW_ID}")
    assert fetched.json()["status"] == "proposed"
    assert fetched.json()["version"] == 1


async def test_patch_of_an_unknown_commitment_is_a_404(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    response = await client.patch(
        "/v1/commitments/no-such-commitment",
        json={"title": "x"},
        headers=writer | {"If-Match": "*"},
    )
    assert response.status_code == 404


async def test_delete_cascades_and_leaves_a_tombstone(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    commitment_id = linked_commitment(session)
    url = f"/v1/commitments/{commitment_id}"
    before = await client.get(url)
    assert (await client.delete(url, headers=writer)).status_code == 428
    stale = await client.delete(url, headers=writer | {"If-Match": '"999"'})
    assert stale.status_code == 412
    deleted = await client.delete(url, headers=writer | {"If-Match": before.headers["etag"]})
    assert deleted.status_code == 204, deleted.text
    assert (await client.get(url)).status_code == 404
    for column in (
        CommitmentParty.commitment_id,
        CommitmentTerm.commitment_id,
        StatusEvent.commitment_id,
        ClaimCommitment.commitment_id,
    ):
        assert count(session, column, commitment_id) == 0
    touching = session.exec(
        select(CommitmentLink.id).where(
            sa.or_(
                col(CommitmentLink.from_id) == commitment_id,
                col(CommitmentLink.to_id) == commitment_id,
            )
        )
    ).all()
    assert touching == []
    tombstone = session.exec(
        select(Tombstone).where(
            Tombstone.entity_type == "commitment", Tombstone.entity_id == commitment_id
        )
    ).one()
    detail = before.json()
    assert len(tombstone.snapshot["links"]) == len(detail["links"])
    assert len(tombstone.snapshot["status_history"]) == len(detail["status_history"])
    stances = sum(len(group["claims"]) for group in detail["evidence"])
    assert len(tombstone.snapshot["claim_stances"]) == stances
    audit = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_id == commitment_id, AuditEntry.action == "delete"
        )
    ).one()
    assert audit.before == tombstone.snapshot
    assert audit.after is None
