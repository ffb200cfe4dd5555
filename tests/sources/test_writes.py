"""Source writes: create, partial update with If-Match, the frozen quoted text, delete, audit."""

import hashlib
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.models import Actor, AuditEntry, Claim, Source, SourceContributor, Tombstone
from app.vocab import ContributorRole

pytestmark = pytest.mark.anyio

TEXT = (
    "Test memo on the talks.\n"
    "The delegations met for three hours and agreed to meet again in the spring.\n"
    "No joint statement was issued."
)
URL = "/v1/sources/test-memo"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def discard_failed_write(session: Session) -> None:
    """Undo what a refused write flushed before failing (its version claim). In production its
    session is closed without a commit; here the app shares the test's session, so this undoes
    everything since the last commit (commit the fixtures' keys first if none happened yet)."""
    session.rollback()


@pytest.fixture
def people(session: Session) -> list[str]:
    """Two actor ids from the seed, whatever they are."""
    ids = list(session.exec(select(Actor.id).order_by(col(Actor.id)).limit(2)).all())
    assert len(ids) == 2
    return ids


@pytest.fixture
def new_source(people: list[str]) -> dict[str, Any]:
    return {
        "id": "test-memo",
        "title": "A test memo",
        "kind": "official",
        "publisher_id": people[0],
        "published_on": "2025-10-31",
        "language": "en",
        "text": TEXT,
        "authors": [people[1], people[0]],
    }


async def create(
    client: httpx.AsyncClient, writer: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    response = await client.post("/v1/sources", json=body, headers=writer)
    assert response.status_code == 201, response.text
    return response


@pytest.fixture
def quoted_source(session: Session) -> Source:
    """A seeded source that claims quote."""
    source_id = session.exec(select(Claim.source_id).order_by(col(Claim.id))).first()
    assert source_id is not None
    source = session.get(Source, source_id)
    assert source is not None
    return source


async def test_create_returns_the_record_its_etag_and_location_and_audits_it(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_source: dict[str, Any],
    people: list[str],
) -> None:
    response = await create(client, writer, new_source)
    assert response.headers["location"] == URL
    body = response.json()
    assert [author["id"] for author in body["authors"]] == [people[1], people[0]]
    assert body["text_sha256"] == sha256(TEXT)
    assert body["text_length"] == len(TEXT)
    assert body["claims"] == []
    fetched = await client.get(URL)
    assert fetched.headers["etag"] == response.headers["etag"]
    stored = session.get(Source, "test-memo")
    assert stored is not None
    assert stored.text == TEXT
    assert stored.text_sha256 == sha256(TEXT)
    assert (await client.get(f"{URL}/text")).text == TEXT
    entry = session.exec(select(AuditEntry).where(AuditEntry.entity_id == "test-memo")).one()
    assert (entry.action, entry.entity_type, entry.before) == ("create", "source", None)
    assert entry.api_key_id is not None
    assert entry.after is not None
    assert entry.after["text"] == TEXT
    assert entry.after["authors"] == [people[1], people[0]]


async def test_seeded_sources_were_created_through_the_audited_service(session: Session) -> None:
    sources = session.exec(select(func.count()).select_from(Source)).one()
    audited = session.exec(
        select(func.count()).where(
            AuditEntry.entity_type == "source", AuditEntry.action == "create"
        )
    ).one()
    assert audited == sources


async def test_duplicate_id_is_a_409(
    client: httpx.AsyncClient, writer: dict[str, str], new_source: dict[str, Any]
) -> None:
    await create(client, writer, new_source)
    again = await client.post("/v1/sources", json=new_source, headers=writer)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["field"] == "id"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"publisher_id": "no-such-actor"}, "publisher_id"),
        ({"authors": ["no-such-actor"]}, "authors"),
        ({"translators": ["no-such-actor"]}, "translators"),
        ({"kind": "poem"}, "kind"),
        ({"text": ""}, "text"),
        ({"id": "Not A Slug"}, "id"),
        ({"version": 7}, "version"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"text_sha256": "0" * 64}, "text_sha256"),
        ({"start_offset": 3}, "start_offset"),
    ],
)
async def test_invalid_create_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_source: dict[str, Any],
    change: dict[str, object],
    field: str,
) -> None:
    response = await client.post("/v1/sources", json=new_source | change, headers=writer)
    assert response.status_code == 422, response.text
    body = response.json()
    named = {body.get("field")} | {e["name"] for e in body.get("errors", [])}
    assert field in named
    assert session.get(Source, "test-memo") is None
    assert session.get(Source, "Not A Slug") is None
    assert not session.exec(select(AuditEntry).where(col(AuditEntry.api_key_id).is_not(None))).all()


async def test_patch_changes_only_what_is_sent_and_needs_the_current_etag(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_source: dict[str, Any],
    people: list[str],
) -> None:
    etag = (await create(client, writer, new_source)).headers["etag"]
    change = {"title": "A corrected title", "translators": [people[0]], "authors": [people[1]]}
    missing = await client.patch(URL, json=change, headers=writer)
    assert missing.status_code == 428
    patched = await client.patch(URL, json=change, headers=writer | {"If-Match": etag})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["title"] == "A corrected title"
    assert body["published_on"] == "2025-10-31"
    assert body["publisher_id"] == people[0]
    assert [a["id"] for a in body["authors"]] == [people[1]]
    assert [t["id"] for t in body["translators"]] == [people[0]]
    assert body["version"] == 2
    assert patched.headers["etag"] != etag
    assert (await client.get(URL)).headers["etag"] == patched.headers["etag"]
    stale = await client.patch(URL, json={"title": "x"}, headers=writer | {"If-Match": etag})
    assert stale.status_code == 412
    rows = session.exec(
        select(SourceContributor.role, SourceContributor.actor_id).where(
            SourceContributor.source_id == "test-memo"
        )
    ).all()
    assert sorted(rows) == sorted(
        [(ContributorRole.AUTHOR, people[1]), (ContributorRole.TRANSLATOR, people[0])]
    )
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.entity_id == "test-memo", AuditEntry.action == "update")
    ).one()
    assert audit.before is not None
    assert audit.after is not None
    assert audit.before["title"] == "A test memo"
    assert audit.after["title"] == "A corrected title"
    assert audit.after["text"] == TEXT


@pytest.mark.parametrize(
    "body",
    [
        {"kind": None},
        {"language": None},
        {"text": None},
        {"authors": None},
        {"translators": None},
        {"id": "other"},
        {"version": 9},
        {"created_at": "2020-01-01T00:00:00Z"},
        {"text_sha256": "0" * 64},
        {"start_offset": 1},
        {"publisher_id": "no-such-actor"},
        {"authors": ["no-such-actor"]},
    ],
)
async def test_patch_refuses_nulls_unknown_fields_and_unknown_actors(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_source: dict[str, Any],
    body: dict[str, Any],
) -> None:
    etag = (await create(client, writer, new_source)).headers["etag"]
    response = await client.patch(URL, json=body, headers=writer | {"If-Match": etag})
    assert response.status_code == 422, response.text
    problem = response.json()
    named = {problem.get("field")} | {e["name"] for e in problem.get("errors", [])}
    assert next(iter(body)) in named
    discard_failed_write(session)
    stored = session.get(Source, "test-memo")
    assert stored is not None
    assert stored.version == 1


async def test_text_is_frozen_while_claims_quote_it_and_correctable_once_none_do(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], new_source: dict[str, Any]
) -> None:
    etag = (await create(client, writer, new_source)).headers["etag"]
    claim = {
        "id": "test-memo-meeting",
        "source_id": "test-memo",
        "kind": "report",
        "quote": "met for three hours",
    }
    claim_etag = (await client.post("/v1/claims", json=claim, headers=writer)).headers["etag"]
    corrected = TEXT.replace("three hours", "four hours")
    refused = await client.patch(URL, json={"text": corrected}, headers=writer | {"If-Match": etag})
    assert refused.status_code == 409
    assert refused.json()["field"] == "text"
    assert "test-memo-meeting" in refused.json()["blocked_by"][0]
    assert "quote" in refused.json()["detail"]
    discard_failed_write(session)
    stored = session.get(Source, "test-memo")
    assert stored is not None
    assert (stored.text, stored.version) == (TEXT, 1)

    deleted = await client.delete(
        "/v1/claims/test-memo-meeting", headers=writer | {"If-Match": claim_etag}
    )
    assert deleted.status_code == 204
    patched = await client.patch(URL, json={"text": corrected}, headers=writer | {"If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert patched.json()["text_sha256"] == sha256(corrected)
    assert patched.json()["text_length"] == len(corrected)
    session.expire_all()
    stored = session.get(Source, "test-memo")
    assert stored is not None
    assert (stored.text, stored.text_sha256) == (corrected, sha256(corrected))
    assert (await client.get(f"{URL}/text")).text == corrected


async def test_seeded_quoted_source_keeps_its_text_but_its_metadata_can_change(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], quoted_source: Source
) -> None:
    session.commit()  # keep the test's API keys when the refused write is discarded
    url = f"/v1/sources/{quoted_source.id}"
    text, sha = quoted_source.text, quoted_source.text_sha256
    etag = (await client.get(url)).headers["etag"]
    refused = await client.patch(
        url, json={"text": text + "\nAppended."}, headers=writer | {"If-Match": etag}
    )
    assert refused.status_code == 409
    assert refused.json()["blocked_by"]
    discard_failed_write(session)
    same_text = await client.patch(
        url, json={"text": text, "notes": "Checked again."}, headers=writer | {"If-Match": etag}
    )
    assert same_text.status_code == 200, same_text.text
    assert same_text.json()["notes"] == "Checked again."
    session.expire_all()
    stored = session.get(Source, quoted_source.id)
    assert stored is not None
    assert (stored.text, stored.text_sha256) == (text, sha)


async def test_delete_keeps_a_tombstone_and_the_source_is_gone(
    client: httpx.AsyncClient,
    session: Session,
    writer: dict[str, str],
    new_source: dict[str, Any],
    people: list[str],
) -> None:
    etag = (await create(client, writer, new_source)).headers["etag"]
    missing = await client.delete(URL, headers=writer)
    assert missing.status_code == 428
    deleted = await client.delete(URL, headers=writer | {"If-Match": etag})
    assert deleted.status_code == 204
    assert (await client.get(URL)).status_code == 404
    assert (await client.get(f"{URL}/text")).status_code == 404
    assert session.get(Source, "test-memo") is None
    contributors = select(SourceContributor).where(SourceContributor.source_id == "test-memo")
    assert not session.exec(contributors).all()
    tombstone = session.exec(select(Tombstone).where(Tombstone.entity_id == "test-memo")).one()
    assert tombstone.entity_type == "source"
    assert tombstone.snapshot["text"] == TEXT
    assert tombstone.snapshot["authors"] == [people[1], people[0]]
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.entity_id == "test-memo", AuditEntry.action == "delete")
    ).one()
    assert audit.after is None
    again = await client.delete(URL, headers=writer | {"If-Match": etag})
    assert again.status_code == 404


async def test_deleting_a_quoted_source_is_a_409_listing_the_claims(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], quoted_source: Source
) -> None:
    url = f"/v1/sources/{quoted_source.id}"
    etag = (await client.get(url)).headers["etag"]
    refused = await client.delete(url, headers=writer | {"If-Match": etag})
    assert refused.status_code == 409
    first_claim = session.exec(
        select(Claim.id).where(Claim.source_id == quoted_source.id).order_by(col(Claim.id))
    ).first()
    assert first_claim is not None
    assert first_claim in refused.json()["blocked_by"][0]
    discard_failed_write(session)
    assert session.get(Source, quoted_source.id) is not None
    assert (await client.get(url)).headers["etag"] == etag


async def test_anonymous_or_revoked_writes_are_401_and_write_nothing(
    client: httpx.AsyncClient,
    session: Session,
    keys: dict[str, str],
    new_source: dict[str, Any],
    quoted_source: Source,
) -> None:
    revoked = {"Authorization": f"Bearer {keys['revoked']}"}
    for headers in ({}, revoked):
        created = await client.post("/v1/sources", json=new_source, headers=headers)
        assert created.status_code == 401
        assert created.headers["www-authenticate"].startswith("Bearer")
    url = f"/v1/sources/{quoted_source.id}"
    etag = (await client.get(url)).headers["etag"]
    patched = await client.patch(url, json={"notes": "x"}, headers={"If-Match": etag})
    assert patched.status_code == 401
    deleted = await client.delete(url, headers={"If-Match": etag})
    assert deleted.status_code == 401
    assert session.get(Source, "test-memo") is None
    assert (await client.get(url)).headers["etag"] == etag
    assert not session.exec(select(AuditEntry).where(col(AuditEntry.api_key_id).is_not(None))).all()


async def test_a_retried_create_with_the_same_idempotency_key_is_replayed(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], new_source: dict[str, Any]
) -> None:
    headers = writer | {"Idempotency-Key": "test-memo-once"}
    first = await client.post("/v1/sources", json=new_source, headers=headers)
    assert first.status_code == 201
    retry = await client.post("/v1/sources", json=new_source, headers=headers)
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content
    assert retry.headers["etag"] == first.headers["etag"]
    creates = select(AuditEntry).where(
        AuditEntry.entity_id == "test-memo", AuditEntry.action == "create"
    )
    assert len(session.exec(creates).all()) == 1
