"""Status events: appended (never rewritten), current status = latest by date, evidence as an
existing claim or a claim created in the same request, audited as `status`."""

from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.models import AuditEntry, Claim, ClaimCommitment, Commitment, Source, StatusEvent
from tests.commitments.test_writes import NEW_ID, create

pytestmark = pytest.mark.anyio

URL = f"/v1/commitments/{NEW_ID}/status"


def unique_quote(session: Session) -> tuple[str, str, int]:
    """A source id, a span of its text that occurs exactly once, and where it starts."""
    for source_id, text in session.exec(select(Source.id, Source.text).order_by(col(Source.id))):
        for start in range(0, len(text) - 60, 40):
            quote = text[start : start + 60].strip()
            if quote and text.count(quote) == 1:
                return source_id, quote, text.index(quote)
    raise AssertionError("no source has a unique 60-character span")


def any_claim(session: Session) -> str:
    claim_id = session.exec(select(Claim.id).order_by(col(Claim.id))).first()
    assert claim_id is not None
    return claim_id


def history(session: Session, commitment_id: str) -> list[tuple[Any, ...]]:
    return [
        (e.id, e.occurred_on, e.status, e.note, e.evidence_claim_id, e.recorded_at)
        for e in session.exec(
            select(StatusEvent)
            .where(StatusEvent.commitment_id == commitment_id)
            .order_by(col(StatusEvent.id))
        )
    ]


async def test_an_event_is_appended_and_becomes_the_current_status(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    etag = await create(client, session, writer)
    claim_id = any_claim(session)
    event = {"occurred_on": "2025-10-30", "status": "announced", "evidence_claim_id": claim_id}
    response = await client.post(URL, json=event, headers=writer)
    assert response.status_code == 201, response.text
    detail = response.json()
    assert detail["status"] == "announced"
    assert detail["version"] == 2
    assert [(e["status"], e["evidence_claim_id"]) for e in detail["status_history"]] == [
        ("announced", claim_id)
    ]
    assert response.headers["etag"] != etag
    assert (await client.get(f"/v1/commitments/{NEW_ID}")).headers["etag"] == response.headers[
        "etag"
    ]


async def test_the_current_status_is_the_latest_by_date_not_the_latest_recorded(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await create(client, session, writer)
    for on, status in (("2025-11-10", "in_effect"), ("2025-10-30", "announced")):
        response = await client.post(
            URL, json={"occurred_on": on, "status": status}, headers=writer
        )
        assert response.status_code == 201, response.text
    detail = response.json()
    assert detail["status"] == "in_effect"
    assert [e["status"] for e in detail["status_history"]] == ["announced", "in_effect"]
    stored = session.get(Commitment, NEW_ID)
    assert stored is not None
    assert stored.status == "in_effect"
    same_day = {"occurred_on": "2025-11-10", "status": "fulfilled"}
    latest = await client.post(URL, json=same_day, headers=writer)
    assert latest.json()["status"] == "fulfilled", "same date: the later recorded event wins"


async def test_history_is_never_rewritten(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    commitment_id = session.exec(
        select(StatusEvent.commitment_id).order_by(col(StatusEvent.commitment_id))
    ).first()
    assert commitment_id is not None
    kept = history(session, commitment_id)
    url = f"/v1/commitments/{commitment_id}/status"
    event = {"occurred_on": "2020-01-01", "status": "proposed", "note": "backdated"}
    assert (await client.post(url, json=event, headers=writer)).status_code == 201
    after = history(session, commitment_id)
    assert after[: len(kept)] == kept
    assert len(after) == len(kept) + 1
    etag = (await client.get(f"/v1/commitments/{commitment_id}")).headers["etag"]
    rewrite = await client.patch(
        f"/v1/commitments/{commitment_id}",
        json={"status_history": []},
        headers=writer | {"If-Match": etag},
    )
    assert rewrite.status_code == 422
    assert history(session, commitment_id) == after


async def test_a_new_claim_is_created_and_cited_in_the_same_request(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await create(client, session, writer)
    source_id, quote, start = unique_quote(session)
    new_claim = {
        "id": "test-status-evidence",
        "source_id": source_id,
        "quote": quote,
        "kind": "report",
        "commitments": [{"commitment_id": NEW_ID, "stance": "supports"}],
    }
    event = {"occurred_on": "2025-11-01", "status": "in_effect", "new_claim": new_claim}
    response = await client.post(URL, json=event, headers=writer)
    assert response.status_code == 201, response.text
    detail = response.json()
    assert detail["status_history"][-1]["evidence_claim_id"] == "test-status-evidence"
    cited = [c["id"] for group in detail["evidence"] for c in group["claims"]]
    assert cited == ["test-status-evidence"]
    claim = session.get(Claim, "test-status-evidence")
    assert claim is not None
    assert (claim.start_offset, claim.quote) == (start, quote)


async def test_a_new_claim_that_fails_writes_nothing(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await create(client, session, writer)
    source_id, _quote, _start = unique_quote(session)
    new_claim = {"id": "test-bad", "source_id": source_id, "quote": "no such words " * 5}
    event = {
        "occurred_on": "2025-11-01",
        "status": "in_effect",
        "new_claim": new_claim | {"kind": "report"},
    }
    response = await client.post(URL, json=event, headers=writer)
    assert response.status_code == 422, response.text
    assert session.get(Claim, "test-bad") is None
    assert history(session, NEW_ID) == []


@pytest.mark.parametrize("evidence", ["both", "unknown"])
async def test_bad_evidence_is_a_422_and_records_nothing(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], evidence: str
) -> None:
    await create(client, session, writer)
    event: dict[str, Any] = {"occurred_on": "2025-11-01", "status": "in_effect"}
    if evidence == "unknown":
        event["evidence_claim_id"] = "no-such-claim"
    else:
        source_id, quote, _start = unique_quote(session)
        event["evidence_claim_id"] = any_claim(session)
        event["new_claim"] = {
            "id": "test-both",
            "source_id": source_id,
            "quote": quote,
            "kind": "report",
        }
    response = await client.post(URL, json=event, headers=writer)
    assert response.status_code == 422, response.text
    body = response.json()
    if evidence == "unknown":
        assert body["field"] == "evidence_claim_id"
    assert history(session, NEW_ID) == []
    assert session.get(Claim, "test-both") is None
    assert (
        session.exec(select(ClaimCommitment).where(ClaimCommitment.commitment_id == NEW_ID)).all()
        == []
    )


async def test_each_event_is_audited_as_status_with_before_and_after(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await create(client, session, writer)
    event = {"occurred_on": "2025-10-30", "status": "announced", "note": "test"}
    assert (await client.post(URL, json=event, headers=writer)).status_code == 201
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.entity_id == NEW_ID, AuditEntry.action == "status")
    ).one()
    assert entry.api_key_id is not None
    assert entry.before is not None
    assert entry.after is not None
    assert entry.before["status_history"] == []
    assert entry.after["status_history"] == [
        {"on": "2025-10-30", "status": "announced", "note": "test", "evidence": None}
    ]


async def test_status_needs_a_key_but_no_if_match_and_retries_replay(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await create(client, session, writer)
    event = {"occurred_on": "2025-10-30", "status": "announced"}
    assert (await client.post(URL, json=event)).status_code == 401
    headers = writer | {"Idempotency-Key": "test-status-once"}
    first = await client.post(URL, json=event, headers=headers)
    again = await client.post(URL, json=event, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert len(history(session, NEW_ID)) == 1
    missing = await client.post(
        "/v1/commitments/no-such-commitment/status", json=event, headers=writer
    )
    assert missing.status_code == 404


async def test_unknown_fields_in_an_event_are_refused(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    await create(client, session, writer)
    event = {
        "occurred_on": "2025-10-30",
        "status": "announced",
        "recorded_at": "2020-01-01T00:00:00Z",
    }
    response = await client.post(URL, json=event, headers=writer)
    assert response.status_code == 422
    assert history(session, NEW_ID) == []
