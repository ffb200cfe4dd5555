"""GET /v1/conflicts: different sources, same fact (subject + property), different values."""

from collections import defaultdict
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.actors import service as actor_service
from app.actors.schemas import ActorCreate
from app.claims import service as claim_service
from app.claims.schemas import ClaimCreate, ClaimLinkIn
from app.commitments import service as commitment_service
from app.commitments.schemas import CommitmentCreate
from app.models import Claim
from app.sources import service as source_service
from app.sources.schemas import SourceCreate
from app.vocab import ActionKind, ActorKind, ClaimKind, SourceKind, Stance, Topic

pytestmark = pytest.mark.anyio

SUBJECT = "zz-test-rare-earths"
TEXT_A = (
    "China controls 60% of rare earth mining. It also holds 70% of processing. "
    "Tariffs fell by ten points. Some say twelve."
)
TEXT_B = "By our count China controls 69% of rare earth mining, and 70% of processing."


@pytest.fixture
def sources(session: Session) -> tuple[str, str]:
    actor_service.create(
        session, ActorCreate(id="zz-test-analyst", name="Test Analyst", kind=ActorKind.PERSON)
    )
    for source_id, text in (("zz-test-source-a", TEXT_A), ("zz-test-source-b", TEXT_B)):
        source_service.create(
            session,
            SourceCreate(id=source_id, text=text, kind=SourceKind.ANALYSIS, title=source_id),
        )
    return "zz-test-source-a", "zz-test-source-b"


def _claim(
    session: Session,
    claim_id: str,
    source_id: str,
    quote: str,
    prop: str,
    number: float | None = None,
    unit: str | None = "percent",
    subject: str = SUBJECT,
    **extra: Any,
) -> Claim:
    return claim_service.create(
        session,
        ClaimCreate(
            id=claim_id,
            source_id=source_id,
            kind=ClaimKind.REPORT,
            quote=quote,
            value_subject=subject,
            value_property=prop,
            value_number=number,
            value_unit=unit if number is not None else None,
            **extra,
        ),
    )


async def _groups(client: httpx.AsyncClient, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/v1/conflicts{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


async def test_two_sources_giving_different_values_conflict(
    client: httpx.AsyncClient, session: Session, sources: tuple[str, str]
) -> None:
    a, b = sources
    _claim(
        session,
        "zz-test-mining-60",
        a,
        "China controls 60% of rare earth mining",
        "share_of_mining",
        60,
        speakers=["zz-test-analyst"],
    )
    _claim(
        session,
        "zz-test-mining-69",
        b,
        "China controls 69% of rare earth mining",
        "share_of_mining",
        69,
    )

    groups = await _groups(client, f"?subject={SUBJECT}")

    assert len(groups) == 1
    group = groups[0]
    assert (group["subject"], group["property"], group["source_count"]) == (
        SUBJECT,
        "share_of_mining",
        2,
    )
    assert [(v["value_number"], v["unit"]) for v in group["values"]] == [
        (60, "percent"),
        (69, "percent"),
    ]
    first, second = (v["claims"] for v in group["values"])
    assert [c["claim_id"] for c in first] == ["zz-test-mining-60"]
    assert [c["claim_id"] for c in second] == ["zz-test-mining-69"]
    assert first[0]["quote"] == "China controls 60% of rare earth mining"
    assert first[0]["source_title"] == a
    assert first[0]["speakers"][0]["id"] == "zz-test-analyst"
    assert TEXT_B[second[0]["start_offset"] : second[0]["end_offset"]] == second[0]["quote"]
    assert second[0]["source_id"] == b


async def test_same_value_from_two_sources_is_no_conflict(
    client: httpx.AsyncClient, session: Session, sources: tuple[str, str]
) -> None:
    a, b = sources
    _claim(
        session, "zz-test-proc-a", a, "It also holds 70% of processing", "share_of_processing", 70
    )
    _claim(session, "zz-test-proc-b", b, "and 70% of processing", "share_of_processing", 70)
    assert await _groups(client, f"?subject={SUBJECT}") == []


async def test_same_subject_but_other_property_is_never_a_conflict(
    client: httpx.AsyncClient, session: Session, sources: tuple[str, str]
) -> None:
    a, b = sources
    _claim(
        session, "zz-test-mine", a, "China controls 60% of rare earth mining", "share_of_mining", 60
    )
    _claim(session, "zz-test-proc", b, "and 70% of processing", "share_of_processing", 70)
    assert await _groups(client, f"?subject={SUBJECT}") == []
    assert SUBJECT not in {g["subject"] for g in await _groups(client)}


async def test_one_source_giving_two_values_is_not_a_cross_source_conflict(
    client: httpx.AsyncClient, session: Session, sources: tuple[str, str]
) -> None:
    a, b = sources
    _claim(session, "zz-test-ten", a, "Tariffs fell by ten points", "cut", 10, "percentage_point")
    _claim(session, "zz-test-twelve", a, "Some say twelve", "cut", 12, "percentage_point")
    assert await _groups(client, f"?subject={SUBJECT}") == []

    # A second source agreeing with one of them opens a disagreement with the other.
    _claim(session, "zz-test-ten-b", b, "69%", "cut", 10, "percentage_point")
    [group] = await _groups(client, f"?subject={SUBJECT}")
    assert [v["value_number"] for v in group["values"]] == [10, 12]
    assert [c["claim_id"] for c in group["values"][0]["claims"]] == [
        "zz-test-ten",
        "zz-test-ten-b",
    ]


async def test_claims_without_a_value_do_not_count(
    client: httpx.AsyncClient, session: Session, sources: tuple[str, str]
) -> None:
    a, b = sources
    _claim(session, "zz-test-valued", a, "Tariffs fell by ten points", "cut", 10)
    _claim(session, "zz-test-unvalued", b, "69%", "cut")
    assert await _groups(client, f"?subject={SUBJECT}") == []


async def test_filters_by_property_subject_and_commitment(
    client: httpx.AsyncClient, session: Session, sources: tuple[str, str]
) -> None:
    a, b = sources
    commitment_service.create(
        session,
        CommitmentCreate(
            id="zz-test-commitment",
            title="Test commitment",
            topic=Topic.RARE_EARTHS,
            action=ActionKind.DELAY,
            obligors=["zz-test-analyst"],
        ),
    )
    link = [ClaimLinkIn(commitment_id="zz-test-commitment", stance=Stance.SUPPORTS)]
    mine_a = "China controls 60% of rare earth mining"
    mine_b = "China controls 69% of rare earth mining"
    _claim(session, "zz-test-m-a", a, mine_a, "share_of_mining", 60, commitments=link)
    _claim(session, "zz-test-m-b", b, mine_b, "share_of_mining", 69)
    _claim(session, "zz-test-c-a", a, "Tariffs fell by ten points", "cut", 10)
    _claim(session, "zz-test-c-b", b, "69%", "cut", 11)

    both = await _groups(client, f"?subject={SUBJECT}")
    assert [g["property"] for g in both] == ["cut", "share_of_mining"]
    by_property = await _groups(client, f"?subject={SUBJECT}&property=cut")
    assert [g["property"] for g in by_property] == ["cut"]
    by_commitment = await _groups(client, "?commitment=zz-test-commitment")
    assert [(g["subject"], g["property"]) for g in by_commitment] == [(SUBJECT, "share_of_mining")]
    # The group keeps every claim, not only the linked one.
    claim_ids = {c["claim_id"] for v in by_commitment[0]["values"] for c in v["claims"]}
    assert claim_ids == {"zz-test-m-a", "zz-test-m-b"}
    assert await _groups(client, "?subject=no-such-subject") == []


async def test_unknown_commitment_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/conflicts?commitment=no-such-commitment")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == "commitment"


async def test_every_listed_conflict_matches_the_database(
    client: httpx.AsyncClient, session: Session
) -> None:
    """The seed data, whatever it holds, gives exactly the conflicts the rule predicts."""
    claims = session.exec(select(Claim).where(col(Claim.value_subject).is_not(None))).all()
    values: dict[tuple[str, str], set[tuple[Any, ...]]] = defaultdict(set)
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    for claim in claims:
        if claim.value_number is None and claim.value_text is None:
            continue
        fact = (claim.value_subject or "", claim.value_property or "")
        values[fact].add((claim.value_number, claim.value_text, claim.value_unit))
        sources[fact].add(claim.source_id)
    expected = {f for f in values if len(values[f]) >= 2 and len(sources[f]) >= 2}

    groups = await _groups(client)

    assert {(g["subject"], g["property"]) for g in groups} == expected
    for group in groups:
        assert len(group["values"]) >= 2
        for value in group["values"]:
            for quoted in value["claims"]:
                stored = session.get(Claim, quoted["claim_id"])
                assert stored is not None
                assert stored.quote == quoted["quote"]
                assert (stored.value_number, stored.value_text, stored.value_unit) == (
                    value["value_number"],
                    value["value_text"],
                    value["unit"],
                )


async def test_unknown_parameter_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/conflicts?subjct=x")
    assert response.status_code == 400
    assert response.json()["parameter"] == "subjct"
