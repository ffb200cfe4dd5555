"""Claim writes: quotes placed in their source, partial update with If-Match, delete, audit."""

import re
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.ingest.quotes import fold
from app.models import (
    Actor,
    AuditEntry,
    Claim,
    ClaimCommitment,
    ClaimSpeaker,
    Commitment,
    Source,
    StatusEvent,
    Tombstone,
)

pytestmark = pytest.mark.anyio

URL = "/v1/claims/test-claim"


def occurrences(text: str, quote: str) -> list[int]:
    """Every start of `quote` in `text`, overlapping ones included (as the API counts them)."""
    return [m.start() for m in re.finditer(f"(?={re.escape(quote)})", text)]


def distinctive_sentences(text: str) -> list[str]:
    """Sentences of the text that occur exactly once in it, even after folding look-alikes."""
    found = []
    for line in text.splitlines():
        for sentence in re.split(r"(?<=\.) ", line):
            sentence = sentence.strip()
            if (
                40 <= len(sentence) <= 300
                and len(occurrences(text, sentence)) == 1
                and len(occurrences(fold(text), fold(sentence))) == 1
            ):
                found.append(sentence)
    return found


def repeated_word(text: str) -> str:
    """A long word that occurs several times in the text."""
    counts: Counter[str] = Counter(re.findall(r"[A-Za-z]{7,}", text))
    for word, _ in counts.most_common():
        if len(occurrences(text, word)) >= 2 and occurrences(text, word) == occurrences(
            fold(text), fold(word)
        ):
            return word
    raise AssertionError("no repeated word")


def discard_failed_write(session: Session) -> None:
    """Undo what a refused write flushed before failing (its version claim). In production its
    session is closed without a commit; here the app shares the test's session, so this undoes
    everything since the last commit."""
    session.rollback()


@pytest.fixture
def source(session: Session) -> Source:
    """The seeded source with the longest text."""
    source = session.exec(
        select(Source).order_by(func.length(Source.text).desc(), col(Source.id))
    ).first()
    assert source is not None
    return source


@pytest.fixture
def sentences(source: Source) -> list[str]:
    found = distinctive_sentences(source.text)
    assert len(found) >= 2
    return found


@pytest.fixture
def speaker(session: Session) -> str:
    actor_id = session.exec(select(Actor.id).order_by(col(Actor.id))).first()
    assert actor_id is not None
    return actor_id


@pytest.fixture
def commitment(session: Session) -> str:
    commitment_id = session.exec(select(Commitment.id).order_by(col(Commitment.id))).first()
    assert commitment_id is not None
    return commitment_id


@pytest.fixture
def new_claim(
    source: Source, sentences: list[str], speaker: str, commitment: str
) -> dict[str, Any]:
    return {
        "id": "test-claim",
        "source_id": source.id,
        "kind": "report",
        "quote": sentences[0],
        "speakers": [speaker],
        "commitments": [{"commitment_id": commitment, "stance": "supports"}],
    }


async def create(
    client: httpx.AsyncClient, writer: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    response = await client.post("/v1/claims", json=body, headers=writer)
    assert response.status_code == 201, response.text
    return response


def stored_span(session: Session, claim_id: str = "test-claim") -> tuple[str, int, int]:
    """The claim's quote and offsets as stored, checked against its source's text."""
    session.expire_all()
    claim = session.get(Claim, claim_id)
    assert claim is not None
    source = session.get(Source, claim.source_id)
    assert source is not None
    assert source.text[claim.start_offset : claim.end_offset] == claim.quote
    return claim.quote, claim.start_offset, claim.end_offset


async def test_create_places_the_quote_returns_the_record_and_audits_it(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_claim: dict[str, Any],
    source: Source,
    speaker: str,
) -> None:
    response = await create(client, writer, new_claim)
    assert response.headers["location"] == URL
    body = response.json()
    start = source.text.index(new_claim["quote"])
    assert (body["start_offset"], body["end_offset"]) == (start, start + len(new_claim["quote"]))
    assert [s["id"] for s in body["speakers"]] == [speaker]
    assert stored_span(session) == (new_claim["quote"], body["start_offset"], body["end_offset"])
    fetched = await client.get(URL)
    assert fetched.headers["etag"] == response.headers["etag"]
    listed = (await client.get(f"/v1/sources/{source.id}")).json()["claims"]
    assert "test-claim" in [claim["id"] for claim in listed]
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity_id == "test-claim")).one()
    assert (entry.action, entry.entity_type, entry.before) == ("create", "claim", None)
    assert entry.after is not None
    assert entry.after["quote"] == new_claim["quote"]
    assert entry.after["start_offset"] == start


async def test_seeded_claims_were_created_through_the_audited_service(session: Session) -> None:
    claims = session.exec(select(func.count()).select_from(Claim)).one()
    audited = session.exec(
        select(func.count()).where(AuditEntry.entity_type == "claim", AuditEntry.action == "create")
    ).one()
    assert audited == claims


async def test_duplicate_id_is_a_409(
    client: httpx.AsyncClient, writer: dict[str, str], new_claim: dict[str, Any]
) -> None:
    await create(client, writer, new_claim)
    again = await client.post("/v1/claims", json=new_claim, headers=writer)
    assert again.status_code == 409
    assert again.json()["field"] == "id"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"source_id": "no-such-source"}, "source_id"),
        ({"speakers": ["no-such-actor"]}, "speakers"),
        ({"commitments": [{"commitment_id": "no-such-one", "stance": "supports"}]}, "commitments"),
        ({"quote": "These words are not in any of the seeded sources."}, "quote"),
        ({"start_offset": 10**7}, "quote"),
        ({"kind": "rumour"}, "kind"),
        ({"id": "Not A Slug"}, "id"),
        ({"end_offset": 10}, "end_offset"),
        ({"version": 7}, "version"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"value_subject": "tariff"}, "body"),
        ({"value_number": 10}, "body"),
    ],
)
async def test_invalid_create_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_claim: dict[str, Any],
    change: dict[str, object],
    field: str,
) -> None:
    response = await client.post("/v1/claims", json=new_claim | change, headers=writer)
    assert response.status_code == 422, response.text
    body = response.json()
    named = {body.get("field")} | {e["name"] for e in body.get("errors", [])}
    assert field in named
    assert session.get(Claim, "test-claim") is None
    assert not session.exec(select(AuditEntry).where(col(AuditEntry.api_key_id).is_not(None))).all()


async def test_a_correct_start_offset_is_accepted(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], new_claim: dict[str, Any]
) -> None:
    _, start, end = stored_span(session, (await create(client, writer, new_claim)).json()["id"])
    shifted = new_claim | {"id": "test-claim-again", "start_offset": start + 1}
    refused = await client.post("/v1/claims", json=shifted, headers=writer)
    assert refused.status_code == 422
    assert refused.json()["field"] == "quote"
    body = (await create(client, writer, shifted | {"start_offset": start})).json()
    assert (body["start_offset"], body["end_offset"]) == (start, end)


async def test_an_ambiguous_quote_needs_an_occurrence(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_claim: dict[str, Any],
    source: Source,
) -> None:
    word = repeated_word(source.text)
    starts = occurrences(source.text, word)
    ambiguous = await client.post("/v1/claims", json=new_claim | {"quote": word}, headers=writer)
    assert ambiguous.status_code == 422
    assert ambiguous.json()["field"] == "quote"
    assert f"occurs {len(starts)} times" in ambiguous.json()["detail"]
    too_far = new_claim | {"quote": word, "occurrence": len(starts) + 1}
    assert (await client.post("/v1/claims", json=too_far, headers=writer)).status_code == 422
    chosen = await create(client, writer, new_claim | {"quote": word, "occurrence": 2})
    assert chosen.json()["start_offset"] == starts[1]
    assert stored_span(session) == (word, starts[1], starts[1] + len(word))


async def test_patch_changes_only_what_is_sent_and_needs_the_current_etag(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_claim: dict[str, Any],
    commitment: str,
) -> None:
    created = await create(client, writer, new_claim)
    etag, span = created.headers["etag"], stored_span(session)
    change = {"attribution": "one analyst", "speakers": []}
    missing = await client.patch(URL, json=change, headers=writer)
    assert missing.status_code == 428
    patched = await client.patch(URL, json=change, headers=writer | {"If-Match": etag})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["attribution"], body["speakers"], body["kind"]) == ("one analyst", [], "report")
    assert [c["commitment_id"] for c in body["commitments"]] == [commitment]
    assert body["version"] == 2
    assert stored_span(session) == span
    assert (await client.get(URL)).headers["etag"] == patched.headers["etag"]
    stale = await client.patch(URL, json={"kind": "quote"}, headers=writer | {"If-Match": etag})
    assert stale.status_code == 412
    assert not session.exec(select(ClaimSpeaker).where(ClaimSpeaker.claim_id == "test-claim")).all()
    audit = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_id == "test-claim", AuditEntry.action == "update"
        )
    ).one()
    assert audit.before is not None
    assert audit.after is not None
    assert (audit.before["attribution"], audit.after["attribution"]) == (None, "one analyst")
    assert audit.before["speakers"] == new_claim["speakers"]
    assert audit.after["speakers"] == []


async def test_patching_the_quote_places_it_again(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_claim: dict[str, Any],
    source: Source,
    sentences: list[str],
) -> None:
    etag = (await create(client, writer, new_claim)).headers["etag"]
    patched = await client.patch(
        URL, json={"quote": sentences[1]}, headers=writer | {"If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    start = source.text.index(sentences[1])
    assert stored_span(session) == (sentences[1], start, start + len(sentences[1]))
    assert patched.json()["start_offset"] == start
    etag = patched.headers["etag"]
    word = repeated_word(source.text)
    headers = writer | {"If-Match": etag}
    ambiguous = await client.patch(URL, json={"quote": word}, headers=headers)
    assert ambiguous.status_code == 422
    assert ambiguous.json()["field"] == "quote"
    discard_failed_write(session)
    missing = await client.patch(URL, json={"quote": "Not in the source at all."}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["field"] == "quote"
    assert stored_span(session) == (sentences[1], start, start + len(sentences[1]))
    discard_failed_write(session)
    second = occurrences(source.text, word)[1]
    moved = await client.patch(URL, json={"quote": word, "occurrence": 2}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert stored_span(session) == (word, second, second + len(word))
    first = occurrences(source.text, word)[0]
    back = await client.patch(
        URL, json={"start_offset": first}, headers=writer | {"If-Match": moved.headers["etag"]}
    )
    assert back.status_code == 200, back.text
    assert stored_span(session) == (word, first, first + len(word))


@pytest.mark.parametrize(
    "body",
    [
        {"source_id": "another-source"},
        {"id": "other"},
        {"end_offset": 3},
        {"version": 9},
        {"updated_at": "2020-01-01T00:00:00Z"},
        {"quote": None},
        {"kind": None},
        {"speakers": None},
        {"commitments": None},
        {"speakers": ["no-such-actor"]},
        {"commitments": [{"commitment_id": "no-such-one", "stance": "supports"}]},
        {"value_subject": "tariff"},
        {"value_number": 10},
    ],
)
async def test_patch_refuses_moves_nulls_unknown_fields_and_inconsistent_values(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_claim: dict[str, Any],
    body: dict[str, Any],
) -> None:
    etag = (await create(client, writer, new_claim)).headers["etag"]
    response = await client.patch(URL, json=body, headers=writer | {"If-Match": etag})
    assert response.status_code == 422, response.text
    problem = response.json()
    named = {problem.get("field")} | {e["name"] for e in problem.get("errors", [])}
    assert named & {next(iter(body)), "value_subject"}
    discard_failed_write(session)
    claim = session.get(Claim, "test-claim")
    assert claim is not None
    assert (claim.version, claim.value_subject) == (1, None)


async def test_structured_values_stay_consistent_after_a_merge(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], new_claim: dict[str, Any]
) -> None:
    valued = new_claim | {
        "value_subject": "test subject",
        "value_property": "duration",
        "value_number": 1,
        "value_unit": "year",
    }
    etag = (await create(client, writer, valued)).headers["etag"]
    headers = writer | {"If-Match": etag}
    dropped = await client.patch(URL, json={"value_property": None}, headers=headers)
    assert dropped.status_code == 422
    assert dropped.json()["field"] == "value_subject"
    discard_failed_write(session)
    changed = await client.patch(URL, json={"value_number": 2}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["value_number"], changed.json()["value_property"]) == (2, "duration")
    cleared = await client.patch(
        URL,
        json=dict.fromkeys(("value_subject", "value_property", "value_number", "value_unit")),
        headers=writer | {"If-Match": changed.headers["etag"]},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["value_subject"] is None


async def test_delete_keeps_a_tombstone_and_the_claim_is_gone(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_claim: dict[str, Any],
    source: Source,
) -> None:
    etag = (await create(client, writer, new_claim)).headers["etag"]
    missing = await client.delete(URL, headers=writer)
    assert missing.status_code == 428
    deleted = await client.delete(URL, headers=writer | {"If-Match": etag})
    assert deleted.status_code == 204
    assert (await client.get(URL)).status_code == 404
    assert session.get(Claim, "test-claim") is None
    for table in (ClaimSpeaker, ClaimCommitment):
        assert not session.exec(select(table).where(col(table.claim_id) == "test-claim")).all()
    tombstone = session.exec(select(Tombstone).where(Tombstone.entity_id == "test-claim")).one()
    assert tombstone.entity_type == "claim"
    assert tombstone.snapshot["quote"] == new_claim["quote"]
    assert tombstone.snapshot["speakers"] == new_claim["speakers"]
    listed = (await client.get(f"/v1/sources/{source.id}")).json()["claims"]
    assert "test-claim" not in [claim["id"] for claim in listed]
    audit = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_id == "test-claim", AuditEntry.action == "delete"
        )
    ).one()
    assert audit.after is None


async def test_a_claim_cited_by_status_history_cannot_be_deleted(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    event = session.exec(
        select(StatusEvent)
        .where(col(StatusEvent.evidence_claim_id).is_not(None))
        .order_by(col(StatusEvent.id))
    ).first()
    assert event is not None
    assert event.evidence_claim_id is not None
    url = f"/v1/claims/{event.evidence_claim_id}"
    etag = (await client.get(url)).headers["etag"]
    refused = await client.delete(url, headers=writer | {"If-Match": etag})
    assert refused.status_code == 409
    assert event.commitment_id in refused.json()["blocked_by"][0]
    discard_failed_write(session)
    assert session.get(Claim, event.evidence_claim_id) is not None
    assert (await client.get(url)).headers["etag"] == etag


async def test_anonymous_or_revoked_writes_are_401_and_write_nothing(
    client: httpx.AsyncClient,
    session: Session,
    keys: dict[str, str],
    new_claim: dict[str, Any],
) -> None:
    revoked = {"Authorization": f"Bearer {keys['revoked']}"}
    for headers in ({}, revoked):
        created = await client.post("/v1/claims", json=new_claim, headers=headers)
        assert created.status_code == 401
    seeded = session.exec(select(Claim.id).order_by(col(Claim.id))).first()
    url = f"/v1/claims/{seeded}"
    etag = (await client.get(url)).headers["etag"]
    patched = await client.patch(url, json={"attribution": "x"}, headers={"If-Match": etag})
    assert patched.status_code == 401
    deleted = await client.delete(url, headers={"If-Match": etag})
    assert deleted.status_code == 401
    assert session.get(Claim, "test-claim") is None
    assert (await client.get(url)).headers["etag"] == etag
    assert not session.exec(select(AuditEntry).where(col(AuditEntry.api_key_id).is_not(None))).all()
