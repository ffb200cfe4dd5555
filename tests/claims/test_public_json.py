"""A claim as the database writes it (list items, the claim itself, a source's claims) says
what its rows say: every seeded claim rebuilt here from the ORM and compared whole."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.claims.schemas import ClaimPublic
from app.models import Actor, Claim, ClaimCommitment, ClaimSpeaker, Commitment
from tests.support.http import walk

pytestmark = pytest.mark.anyio


def as_api_time(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def expected(session: Session, claim: Claim) -> dict[str, Any]:
    speakers = session.exec(
        select(Actor)
        .join(ClaimSpeaker, col(ClaimSpeaker.actor_id) == col(Actor.id))
        .where(ClaimSpeaker.claim_id == claim.id)
        .order_by(col(ClaimSpeaker.position))
    ).all()
    links = session.exec(
        select(ClaimCommitment, Commitment.title)
        .join(Commitment, col(Commitment.id) == col(ClaimCommitment.commitment_id))
        .where(ClaimCommitment.claim_id == claim.id)
        .order_by(col(ClaimCommitment.commitment_id))
    ).all()
    return {
        **claim.model_dump(exclude={"created_at", "updated_at"}),
        "speakers": [{"id": a.id, "name": a.name, "kind": a.kind} for a in speakers],
        "commitments": [
            {"commitment_id": link.commitment_id, "title": title, "stance": link.stance}
            for link, title in links
        ],
        "created_at": as_api_time(claim.created_at),
        "updated_at": as_api_time(claim.updated_at),
    }


async def test_every_claim_reads_as_its_rows(client: httpx.AsyncClient, session: Session) -> None:
    claims = session.exec(select(Claim)).all()
    assert any(c.value_number is not None for c in claims), "the seed has no numeric values"
    listed = {item["id"]: item for item in await walk(client, "/v1/claims?limit=200")}
    assert listed.keys() == {claim.id for claim in claims}
    for claim in claims:
        response = await client.get(f"/v1/claims/{claim.id}")
        assert response.status_code == 200, response.text
        one = response.json()
        ClaimPublic.model_validate(one)
        assert one == expected(session, claim)
        assert listed[claim.id] == one


async def test_a_source_lists_its_claims_in_text_order(
    client: httpx.AsyncClient, session: Session
) -> None:
    claim = session.exec(select(Claim)).first()
    assert claim is not None
    source = (await client.get(f"/v1/sources/{claim.source_id}")).json()
    ordered = session.exec(
        select(Claim).where(Claim.source_id == claim.source_id).order_by(col(Claim.start_offset))
    ).all()
    assert source["claims"] == [expected(session, c) for c in ordered]


async def test_a_value_reads_back_to_the_last_bit(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    claim = session.exec(select(Claim).where(col(Claim.value_number).is_not(None))).first()
    assert claim is not None
    url = f"/v1/claims/{claim.id}"
    etag = (await client.get(url)).headers["etag"]
    awkward = 0.30000000000000004  # 15 significant digits would read back as 0.3
    patched = await client.patch(
        url, json={"value_number": awkward}, headers=writer | {"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    listed = await walk(client, f"/v1/claims?source={claim.source_id}&limit=200")
    for read in (patched.json(), (await client.get(url)).json(), *listed):
        if read["id"] == claim.id:
            assert read["value_number"] == awkward
