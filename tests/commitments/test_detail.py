"""A commitment's detail, which the database writes in one statement, says what its rows say:
each seeded commitment's evidence, speakers, links, history and corroboration are rebuilt here
from the ORM and compared whole."""

from collections import defaultdict
from datetime import UTC
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.commitments.schemas import CommitmentDetail
from app.models import (
    Actor,
    Claim,
    ClaimCommitment,
    ClaimSpeaker,
    Commitment,
    CommitmentLink,
    Source,
    StatusEvent,
)
from app.vocab import Stance

pytestmark = pytest.mark.anyio


def speakers_by_claim(session: Session) -> dict[str, list[dict[str, str]]]:
    rows = session.exec(
        select(ClaimSpeaker, Actor)
        .join(Actor, col(Actor.id) == col(ClaimSpeaker.actor_id))
        .order_by(col(ClaimSpeaker.position))
    ).all()
    speakers: dict[str, list[dict[str, str]]] = defaultdict(list)
    for link, actor in rows:
        speakers[link.claim_id].append({"id": actor.id, "name": actor.name, "kind": actor.kind})
    return speakers


def expected_evidence(session: Session, commitment_id: str) -> list[dict[str, Any]]:
    speakers = speakers_by_claim(session)
    rows = session.exec(
        select(Claim, ClaimCommitment.stance, Source.title)
        .join(ClaimCommitment, col(ClaimCommitment.claim_id) == col(Claim.id))
        .join(Source, col(Source.id) == col(Claim.source_id))
        .where(ClaimCommitment.commitment_id == commitment_id)
    ).all()
    groups: dict[str, dict[str, Any]] = {}
    for claim, stance, title in sorted(rows, key=lambda r: (r[0].start_offset, r[0].id)):
        group = groups.setdefault(
            claim.source_id, {"source_id": claim.source_id, "title": title, "claims": []}
        )
        group["claims"].append(
            {
                "id": claim.id,
                "quote": claim.quote,
                "start_offset": claim.start_offset,
                "end_offset": claim.end_offset,
                "kind": claim.kind,
                "stance": stance,
                "speakers": speakers.get(claim.id, []),
                "attribution": claim.attribution,
            }
        )
    return [groups[source_id] for source_id in sorted(groups)]


def expected_links(session: Session, commitment_id: str) -> list[dict[str, Any]]:
    links = session.exec(
        select(CommitmentLink).where(
            (CommitmentLink.from_id == commitment_id) | (CommitmentLink.to_id == commitment_id)
        )
    ).all()
    answer = []
    for link in sorted(links, key=lambda k: (k.from_id, k.to_id, k.kind)):
        outgoing = link.from_id == commitment_id
        other = session.get(Commitment, link.to_id if outgoing else link.from_id)
        assert other is not None
        answer.append(
            {
                "kind": link.kind,
                "direction": "outgoing" if outgoing else "incoming",
                "commitment_id": other.id,
                "title": other.title,
                "note": link.note,
            }
        )
    return answer


def expected_history(session: Session, commitment_id: str) -> list[dict[str, Any]]:
    events = session.exec(
        select(StatusEvent)
        .where(StatusEvent.commitment_id == commitment_id)
        .order_by(col(StatusEvent.occurred_on), col(StatusEvent.id))
    ).all()
    return [
        {
            "id": event.id,
            "occurred_on": event.occurred_on.isoformat(),
            "status": event.status,
            "note": event.note,
            "evidence_claim_id": event.evidence_claim_id,
            "recorded_at": event.recorded_at.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z"),
        }
        for event in events
    ]


async def test_every_detail_matches_its_rows(client: httpx.AsyncClient, session: Session) -> None:
    commitments = session.exec(select(Commitment)).all()
    assert any(expected_links(session, c.id) for c in commitments), "the seed has no links"
    checked_speakers = 0
    for commitment in commitments:
        response = await client.get(f"/v1/commitments/{commitment.id}")
        assert response.status_code == 200, response.text
        detail = response.json()
        CommitmentDetail.model_validate(detail)
        evidence = expected_evidence(session, commitment.id)
        assert detail["evidence"] == evidence
        assert detail["links"] == expected_links(session, commitment.id)
        assert detail["status_history"] == expected_history(session, commitment.id)
        supporting = {
            group["source_id"]
            for group in evidence
            for claim in group["claims"]
            if claim["stance"] == Stance.SUPPORTS
        }
        assert detail["corroboration"] == len(supporting)
        assert detail["version"] == commitment.version
        checked_speakers += sum(len(c["speakers"]) for g in evidence for c in g["claims"])
    assert checked_speakers > 0, "the seed's evidence has no speakers to check"


async def test_as_of_before_any_event_is_a_404_and_after_it_cuts_the_history(
    client: httpx.AsyncClient, session: Session
) -> None:
    event = session.exec(select(StatusEvent).order_by(col(StatusEvent.occurred_on))).first()
    assert event is not None
    path = f"/v1/commitments/{event.commitment_id}"
    history = expected_history(session, event.commitment_id)
    first_day = history[0]["occurred_on"]

    too_early = await client.get(path, params={"as_of": "1900-01-01"})
    assert too_early.status_code == 404
    assert too_early.headers["content-type"] == "application/problem+json"

    that_day = (await client.get(path, params={"as_of": first_day})).json()
    standing = [e for e in history if e["occurred_on"] <= first_day]
    assert that_day["status_history"] == standing
    assert that_day["status"] == standing[-1]["status"]
