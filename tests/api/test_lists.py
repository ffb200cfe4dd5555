"""Filters, sorts, cursor walks, CSV and as-of on the four lists, against the seeded data."""

import csv
import io
import re
from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.models import (
    Actor,
    ActorAlias,
    Claim,
    ClaimCommitment,
    ClaimSpeaker,
    Commitment,
    CommitmentParty,
    Source,
    StatusEvent,
)
from app.vocab import CommitmentStatus, PartyRole, Stance
from tests.support.http import walk

pytestmark = pytest.mark.anyio


async def ids(client: httpx.AsyncClient, url: str) -> list[str]:
    return [str(item["id"]) for item in await walk(client, url)]


@pytest.mark.parametrize(
    ("resource", "sort", "field"),
    [
        ("commitments", "expires_on", "expires_on"),
        ("commitments", "-expires_on", "expires_on"),
        ("commitments", "-announced_on", "announced_on"),
        ("commitments", "title", "title"),
        ("claims", "start_offset", "start_offset"),
        ("claims", "-start_offset", "start_offset"),
        ("actors", "name", "name"),
        ("actors", "-name", "name"),
        ("actors", "updated_at", "updated_at"),
        ("claims", "-updated_at", "updated_at"),
        ("sources", "-published_on", "published_on"),
    ],
)
async def test_sorted_walk_returns_each_item_once_in_order_despite_ties(
    client: httpx.AsyncClient, resource: str, sort: str, field: str
) -> None:
    everything = await ids(client, f"/v1/{resource}?limit=200")
    items = await walk(client, f"/v1/{resource}?sort={sort}&limit=3")
    walked = [item["id"] for item in items]
    assert sorted(walked) == sorted(everything)
    assert len(walked) == len(set(walked))
    present = [item[field] for item in items if item[field] is not None]
    assert present == sorted(present, reverse=sort.startswith("-"))
    nulls = [i for i, item in enumerate(items) if item[field] is None]
    assert nulls == list(range(len(items) - len(nulls), len(items)))  # nulls last
    for before, after in zip(items, items[1:], strict=False):
        if before[field] == after[field]:
            assert before["id"] < after["id"]  # ties broken by id


async def test_descending_id_sort(client: httpx.AsyncClient) -> None:
    walked = await ids(client, "/v1/claims?sort=-id&limit=40")
    assert walked == sorted(walked, reverse=True)


async def test_a_cursor_cannot_be_reused_with_another_sort(client: httpx.AsyncClient) -> None:
    first = (await client.get("/v1/commitments?sort=-expires_on&limit=2")).json()
    response = await client.get(f"/v1/commitments?sort=title&cursor={first['next_cursor']}")
    assert response.status_code == 400
    assert response.json()["parameter"] == "cursor"


async def test_commitments_by_actor_alias_as_obligor_counterparty_or_either(
    client: httpx.AsyncClient, session: Session
) -> None:
    alias = session.exec(select(ActorAlias).where(ActorAlias.alias == "Beijing")).one()

    def expected(role: PartyRole | None) -> set[str]:
        query = select(CommitmentParty.commitment_id).where(
            CommitmentParty.actor_id == alias.actor_id
        )
        if role is not None:
            query = query.where(CommitmentParty.role == role)
        return set(session.exec(query).all())

    assert set(await ids(client, "/v1/commitments?actor=Beijing")) == expected(None)
    assert set(await ids(client, "/v1/commitments?obligor=Beijing")) == expected(PartyRole.OBLIGOR)
    counterparty = PartyRole.COUNTERPARTY
    assert set(await ids(client, "/v1/commitments?counterparty=beijing")) == expected(counterparty)
    assert expected(PartyRole.OBLIGOR)
    assert expected(counterparty)


async def test_unknown_actor_name_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/commitments?obligor=Atlantis")
    assert response.status_code == 400
    assert response.json()["parameter"] == "obligor"


async def test_repeated_vocabulary_filters_match_any(
    client: httpx.AsyncClient, session: Session
) -> None:
    topics = sorted(set(session.exec(select(Commitment.topic)).all()))[:2]
    url = "/v1/commitments?" + "&".join(f"topic={t}" for t in topics)
    expected = session.exec(select(Commitment.id).where(col(Commitment.topic).in_(topics))).all()
    assert set(await ids(client, url)) == set(expected)


async def test_status_and_action_filters(client: httpx.AsyncClient, session: Session) -> None:
    row = session.exec(select(Commitment)).first()
    assert row is not None
    by_status = session.exec(select(Commitment.id).where(Commitment.status == row.status)).all()
    assert set(await ids(client, f"/v1/commitments?status={row.status}")) == set(by_status)
    by_action = session.exec(select(Commitment.id).where(Commitment.action == row.action)).all()
    assert set(await ids(client, f"/v1/commitments?action={row.action}")) == set(by_action)


async def test_has_conflicting_claims_splits_commitments_by_disputes_and_conflicts(
    client: httpx.AsyncClient, session: Session
) -> None:
    disputed = set(
        session.exec(
            select(ClaimCommitment.commitment_id).where(ClaimCommitment.stance == Stance.DISPUTES)
        ).all()
    )
    conflicts = (await client.get("/v1/conflicts")).json()["items"]
    conflicting_claims = {
        claim["claim_id"]
        for group in conflicts
        for value in group["values"]
        for claim in value["claims"]
    }
    every = set(await ids(client, "/v1/commitments?limit=200"))
    # The seed's one conflict (the meeting's duration) bears on no commitment: tie one in.
    undisputed = sorted(every - disputed)[0]
    session.add(
        ClaimCommitment(
            claim_id=sorted(conflicting_claims)[0],
            commitment_id=undisputed,
            stance=Stance.QUALIFIES,
        )
    )
    session.commit()
    expected = disputed | {undisputed}
    with_conflicts = set(await ids(client, "/v1/commitments?has_conflicting_claims=true"))
    without = set(await ids(client, "/v1/commitments?has_conflicting_claims=false"))
    assert with_conflicts == expected
    assert without == every - expected


async def test_commitments_by_source(client: httpx.AsyncClient, session: Session) -> None:
    source_id = session.exec(select(Source.id)).first()
    expected = session.exec(
        select(ClaimCommitment.commitment_id)
        .join(Claim, col(Claim.id) == col(ClaimCommitment.claim_id))
        .where(Claim.source_id == source_id)
    ).all()
    assert set(await ids(client, f"/v1/commitments?source={source_id}")) == set(expected)


@pytest.mark.parametrize("field", ["announced", "expires", "due"])
async def test_commitment_date_ranges(
    client: httpx.AsyncClient, session: Session, field: str
) -> None:
    column = col(getattr(Commitment, f"{field}_on"))
    day = session.exec(select(column).where(column.is_not(None))).first()
    assert day is not None
    on_or_after = session.exec(select(Commitment.id).where(column >= day)).all()
    on_or_before = session.exec(select(Commitment.id).where(column <= day)).all()
    assert set(await ids(client, f"/v1/commitments?{field}_from={day}")) == set(on_or_after)
    assert set(await ids(client, f"/v1/commitments?{field}_to={day}")) == set(on_or_before)


async def test_reversed_date_range_is_a_400_naming_the_start(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/commitments?expires_from=2026-12-01&expires_to=2026-01-01")
    assert response.status_code == 400
    assert response.json()["parameter"] == "expires_from"


async def test_as_of_reports_the_status_that_stood_that_day(
    client: httpx.AsyncClient, session: Session
) -> None:
    first_event = session.exec(select(func.min(StatusEvent.occurred_on))).one()
    assert first_event is not None
    before = first_event.replace(year=first_event.year - 1)
    assert (await client.get(f"/v1/commitments?as_of={before}")).json()["total"] == 0
    commitment = session.exec(select(Commitment)).first()
    assert commitment is not None
    later = date(2026, 6, 1)
    event = StatusEvent(
        commitment_id=commitment.id, occurred_on=later, status=CommitmentStatus.IN_EFFECT
    )
    session.add(event)
    session.flush()
    url = f"/v1/commitments?as_of={first_event}&limit=200"
    on_first_day = {item["id"]: item["status"] for item in await walk(client, url)}
    assert on_first_day[commitment.id] == commitment.status
    url = f"/v1/commitments?as_of={later}&status=in_effect&limit=200"
    assert commitment.id in await ids(client, url)
    detail = (await client.get(f"/v1/commitments/{commitment.id}?as_of={first_event}")).json()
    assert detail["status"] == commitment.status
    assert all(e["occurred_on"] <= str(first_event) for e in detail["status_history"])
    not_yet = await client.get(f"/v1/commitments/{commitment.id}?as_of={before}")
    assert not_yet.status_code == 404


async def test_claim_filters(client: httpx.AsyncClient, session: Session) -> None:
    speaker = session.exec(select(ClaimSpeaker)).first()
    assert speaker is not None
    spoken = session.exec(
        select(ClaimSpeaker.claim_id).where(ClaimSpeaker.actor_id == speaker.actor_id)
    ).all()
    assert set(await ids(client, f"/v1/claims?speaker={speaker.actor_id}")) == set(spoken)
    link = session.exec(select(ClaimCommitment)).first()
    assert link is not None
    linked = session.exec(
        select(ClaimCommitment.claim_id).where(
            ClaimCommitment.commitment_id == link.commitment_id,
            ClaimCommitment.stance == link.stance,
        )
    ).all()
    url = f"/v1/claims?commitment={link.commitment_id}&stance={link.stance}"
    assert set(await ids(client, url)) == set(linked)
    valued = session.exec(select(Claim).where(col(Claim.value_property).is_not(None))).first()
    assert valued is not None
    same_property = session.exec(
        select(Claim.id).where(Claim.value_property == valued.value_property)
    ).all()
    assert set(await ids(client, f"/v1/claims?property={valued.value_property}")) == set(
        same_property
    )
    with_values = session.exec(select(func.count()).where(col(Claim.value_subject).is_not(None)))
    assert len(await ids(client, "/v1/claims?has_value=true")) == with_values.one()


async def test_claims_of_one_source_in_text_order(
    client: httpx.AsyncClient, session: Session
) -> None:
    source_id = session.exec(select(Source.id)).first()
    items = await walk(client, f"/v1/claims?source={source_id}&sort=start_offset")
    assert items
    assert {item["source_id"] for item in items} == {source_id}
    offsets = [item["start_offset"] for item in items]
    assert offsets == sorted(offsets)


async def test_actor_and_source_filters(client: httpx.AsyncClient, session: Session) -> None:
    person = session.exec(select(Actor).where(col(Actor.affiliation_id).is_not(None))).first()
    assert person is not None
    members = session.exec(select(Actor.id).where(Actor.affiliation_id == person.affiliation_id))
    url = f"/v1/actors?affiliation={person.affiliation_id}"
    assert set(await ids(client, url)) == set(members.all())
    states = session.exec(select(Actor.id).where(Actor.kind == "state")).all()
    assert set(await ids(client, "/v1/actors?kind=state")) == set(states)
    chinese = session.exec(select(Actor.id).where(Actor.country_code == "CN")).all()
    assert set(await ids(client, "/v1/actors?country=CN")) == set(chinese)
    dated = session.exec(select(Source)).all()
    published = [s for s in dated if s.published_on is not None]
    assert published
    day = published[0].published_on
    assert day is not None
    expected = {s.id for s in published if s.published_on is not None and s.published_on >= day}
    assert set(await ids(client, f"/v1/sources?published_from={day}")) == expected
    kind = dated[0].kind
    assert set(await ids(client, f"/v1/sources?kind={kind}")) == {
        s.id for s in dated if s.kind == kind
    }


@pytest.mark.parametrize("resource", ["commitments", "claims", "actors", "sources"])
async def test_csv_streams_every_matching_row(client: httpx.AsyncClient, resource: str) -> None:
    expected = await ids(client, f"/v1/{resource}?limit=200")
    response = await client.get(f"/v1/{resource}?format=csv&limit=2")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in rows] == expected
    by_accept = await client.get(f"/v1/{resource}", headers={"Accept": "text/csv"})
    assert by_accept.text == response.text


async def test_csv_of_an_empty_list_still_has_its_header(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/claims?format=csv&source=no-such-source")
    assert response.text.splitlines()[0].startswith("id,")
    assert len(response.text.splitlines()) == 1


async def test_csv_of_a_history_names_its_file_safely_whatever_the_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/history/actor/\u0100-\u6c8f?format=csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="_-_.csv"'


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("cursor=forged", "cursor"), ("obligor=nobody-at-all", "obligor")],
)
async def test_csv_with_a_bad_filter_is_a_400_before_any_row(
    client: httpx.AsyncClient, query: str, parameter: str
) -> None:
    response = await client.get(f"/v1/commitments?format=csv&{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == parameter


@pytest.mark.parametrize(
    ("resource", "entity_type", "model", "field"),
    [
        ("commitments", "commitment", Commitment, "title"),
        ("claims", "claim", Claim, "quote"),
        ("actors", "actor", Actor, "name"),
        ("sources", "source", Source, "title"),
    ],
)
async def test_q_filters_each_list_through_the_full_text_index(
    client: httpx.AsyncClient,
    session: Session,
    resource: str,
    entity_type: str,
    model: Any,
    field: str,
) -> None:
    record = session.exec(select(model).where(col(getattr(model, field)).is_not(None))).first()
    assert record is not None
    word = max(re.findall(r"[A-Za-z]{5,}", getattr(record, field)), key=len)
    found = await ids(client, f"/v1/{resource}?q={word}&limit=200")
    assert record.id in found
    searched = (await client.get(f"/v1/search?q={word}&type={entity_type}&limit=100")).json()
    assert set(found) == {hit["id"] for hit in searched["items"]}
    assert await ids(client, f"/v1/{resource}?q=zzqxjvw") == []
