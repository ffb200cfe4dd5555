"""The first read surface: lists and details of every resource, on both engines."""

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.actors.schemas import CLAIMS_IN_DETAIL, COMMITMENTS_IN_DETAIL
from app.models import (
    Actor,
    Claim,
    ClaimCommitment,
    ClaimSpeaker,
    Commitment,
    CommitmentParty,
    Source,
)
from tests.support.http import walk

pytestmark = pytest.mark.anyio

RESOURCES: dict[str, type[Actor | Claim | Commitment | Source]] = {
    "commitments": Commitment,
    "claims": Claim,
    "actors": Actor,
    "sources": Source,
}


@pytest.mark.parametrize("resource", RESOURCES)
async def test_walking_every_page_returns_each_item_once(
    client: httpx.AsyncClient, session: Session, resource: str
) -> None:
    items = await walk(client, f"/v1/{resource}?limit=7")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    expected = set(session.exec(select(RESOURCES[resource].id)).all())
    assert set(ids) == expected


@pytest.mark.parametrize("resource", RESOURCES)
async def test_first_page_counts_the_total_and_later_pages_do_not(
    client: httpx.AsyncClient, session: Session, resource: str
) -> None:
    first = (await client.get(f"/v1/{resource}?limit=2")).json()
    assert first["next_cursor"] is not None, "the seed has more than two of each resource"
    total = session.exec(select(func.count()).select_from(RESOURCES[resource])).one()
    assert first["total"] == total
    second = (await client.get(f"/v1/{resource}?limit=2&cursor={first['next_cursor']}")).json()
    assert second["total"] is None


@pytest.mark.parametrize("resource", RESOURCES)
async def test_detail_of_every_listed_item(client: httpx.AsyncClient, resource: str) -> None:
    for item in (await client.get(f"/v1/{resource}?limit=200")).json()["items"]:
        response = await client.get(f"/v1/{resource}/{item['id']}")
        assert response.status_code == 200
        assert response.json()["id"] == item["id"]


@pytest.mark.parametrize("resource", RESOURCES)
async def test_unknown_id_is_a_problem_404(client: httpx.AsyncClient, resource: str) -> None:
    response = await client.get(f"/v1/{resource}/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert "no-such-thing" in body["detail"]


async def test_unknown_query_parameter_is_a_400_naming_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/commitments?topc=tariffs")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == "topc"


@pytest.mark.parametrize("limit", ["0", "201", "-1", "ten"])
async def test_bad_limit_is_a_400_naming_limit(client: httpx.AsyncClient, limit: str) -> None:
    response = await client.get(f"/v1/claims?limit={limit}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["name"] == "limit"


async def test_forged_cursor_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/claims?cursor=bm90LWEtY3Vyc29y")
    assert response.status_code == 400
    assert response.json()["parameter"] == "cursor"


async def test_commitment_list_filters_by_topic(
    client: httpx.AsyncClient, session: Session
) -> None:
    topic = session.exec(select(Commitment.topic)).first()
    items = await walk(client, f"/v1/commitments?topic={topic}")
    expected = set(session.exec(select(Commitment.id).where(Commitment.topic == topic)).all())
    assert {item["id"] for item in items} == expected


async def test_commitment_detail_carries_its_evidence(
    client: httpx.AsyncClient, session: Session
) -> None:
    claim_id = session.exec(select(ClaimCommitment.claim_id)).first()
    claim = (await client.get(f"/v1/claims/{claim_id}")).json()
    linked = claim["commitments"]
    assert linked
    detail = (await client.get(f"/v1/commitments/{linked[0]['commitment_id']}")).json()
    quotes = {c["id"]: c["quote"] for group in detail["evidence"] for c in group["claims"]}
    assert quotes[claim_id] == claim["quote"]
    assert detail["status_history"]
    assert detail["status"] == detail["status_history"][-1]["status"]
    assert detail["corroboration"] >= 1


async def test_actor_detail_lists_and_counts_what_it_owes_is_owed_and_says(
    client: httpx.AsyncClient, session: Session
) -> None:
    for actor_id in session.exec(select(Actor.id)).all():
        detail = (await client.get(f"/v1/actors/{actor_id}")).json()
        for field, role in (
            ("commitments_owed", "obligor"),
            ("commitments_owed_to", "counterparty"),
        ):
            owed = session.exec(
                select(CommitmentParty.commitment_id)
                .where(CommitmentParty.actor_id == actor_id, CommitmentParty.role == role)
                .order_by(col(CommitmentParty.commitment_id))
            ).all()
            assert [c["id"] for c in detail[field]] == list(owed)[:COMMITMENTS_IN_DETAIL]
            assert detail[f"{field}_total"] == len(owed)
        spoken = session.exec(
            select(func.count()).select_from(ClaimSpeaker).where(ClaimSpeaker.actor_id == actor_id)
        ).one()
        assert detail["claims_asserted_total"] == spoken
        assert len(detail["claims_asserted"]) == min(spoken, CLAIMS_IN_DETAIL)


async def test_source_text_is_served_verbatim(client: httpx.AsyncClient, session: Session) -> None:
    source = session.exec(select(Source)).first()
    assert source is not None
    response = await client.get(f"/v1/sources/{source.id}/text")
    assert response.status_code == 200
    assert response.content.decode("utf-8") == source.text


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}
