"""Deleted records kept whole, listed and restored by admins.

A restore is a flow across services: the record is recreated from its snapshot through the
same create services as any other write (so every rule is checked again, a claim's offsets
included), then audited as a `restore` as a whole. What the record pointed to and has since
been deleted is left out and reported, never invented.
"""

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from app import writes
from app.actors import service as actor_service
from app.api.paging import PageResult, paginate, sort_key
from app.audit import service as audit_service
from app.audit.schemas import EntityType
from app.claims import service as claim_service
from app.commitments import links as link_service
from app.commitments import service as commitment_service
from app.errors import ConflictError, NotFoundError, SeedError, UnprocessableError
from app.export import snapshot
from app.ingest import seedfile
from app.models import Claim, ClaimCommitment, Commitment, Tombstone
from app.sources import service as source_service
from app.tombstones.schemas import RestoredPublic, TombstoneFilters
from app.vocab import Stance

Restorer = Callable[[Session, str, dict[str, Any], int | None], list[str]]


def list_page(
    session: Session, filters: TombstoneFilters, limit: int, cursor: str | None
) -> PageResult[Tombstone]:
    statement = select(Tombstone)
    if filters.entity_type:
        statement = statement.where(col(Tombstone.entity_type).in_(filters.entity_type))
    return paginate(
        session,
        statement,
        id_column=col(Tombstone.id),
        sort=sort_key(filters.sort, {}),
        limit=limit,
        cursor=cursor,
    )


def get(session: Session, entity_type: EntityType, entity_id: str) -> Tombstone:
    tombstone = session.exec(
        select(Tombstone).where(
            Tombstone.entity_type == entity_type, Tombstone.entity_id == entity_id
        )
    ).first()
    if tombstone is None:
        raise NotFoundError(
            f"No deleted {entity_type} has the id {entity_id!r}.",
            resource="tombstone",
            id=entity_id,
        )
    return tombstone


def restore(
    session: Session, entity_type: EntityType, entity_id: str, api_key_id: int | None
) -> RestoredPublic:
    """Recreate a deleted record from its tombstone, audit it, and drop the tombstone."""
    tombstone = get(session, entity_type, entity_id)
    model = writes.MODELS[entity_type]
    key = int(entity_id) if entity_type == "link" else entity_id
    if session.get(model, key) is not None:
        raise ConflictError(
            f"A {entity_type} with the id {entity_id!r} exists again; delete or rename it first.",
            field="entity_id",
        )
    try:
        left_out = RESTORERS[entity_type](session, entity_id, dict(tombstone.snapshot), api_key_id)
    except (ValidationError, SeedError) as error:
        raise UnprocessableError(
            f"The deleted {entity_type} no longer passes the rules of a create: {error}",
            field="snapshot",
        ) from error
    after = snapshot(session, entity_type, entity_id)
    assert after is not None
    audit_service.record(
        session,
        api_key_id=api_key_id,
        action="restore",
        entity_type=entity_type,
        entity_id=entity_id,
        before=None,
        after=after,
    )
    session.delete(tombstone)
    session.flush()
    version = session.exec(select(model.version).where(model.id == key)).one()
    return RestoredPublic(
        entity_type=entity_type,
        entity_id=entity_id,
        record=audit_service.jsonable(after) or {},
        version=version,
        left_out=left_out,
    )


def _actor(session: Session, _id: str, record: dict[str, Any], key: int | None) -> list[str]:
    actor_service.create(
        session, seedfile.actor_request(seedfile.SeedActor.model_validate(record)), key
    )
    return []


def _source(session: Session, _id: str, record: dict[str, Any], key: int | None) -> list[str]:
    item = seedfile.SeedSource.model_validate(record)
    request = seedfile.source_request(item, item.text or "")
    source_service.create(session, request, key)
    return []


def _claim(session: Session, _id: str, record: dict[str, Any], key: int | None) -> list[str]:
    item = seedfile.SeedClaim.model_validate(record)
    kept = [stance for stance in item.commitments if session.get(Commitment, stance.id)]
    request = seedfile.claim_request(item.model_copy(update={"commitments": kept}))
    claim_service.create(session, request, key)
    return [
        f"stance towards deleted commitment {stance.id!r}"
        for stance in item.commitments
        if stance not in kept
    ]


def _commitment(
    session: Session, commitment_id: str, record: dict[str, Any], key: int | None
) -> list[str]:
    links, stances = record.pop("links", []), record.pop("claim_stances", [])
    item = seedfile.SeedCommitment.model_validate(record)
    commitment = commitment_service.create(session, seedfile.commitment_request(item), key)
    left_out = []
    for event in seedfile.status_requests(item):
        evidence = event.evidence_claim_id
        if evidence is not None and session.get(Claim, evidence) is None:
            left_out.append(f"deleted evidence claim {evidence!r} of the {event.occurred_on} event")
            event = event.model_copy(update={"evidence_claim_id": None})
        commitment_service.add_status(session, commitment, event, key)
    for raw in links:
        link = seedfile.SeedLink.model_validate(raw)
        other = link.to if link.from_ == commitment_id else link.from_
        if session.get(Commitment, other) is None:
            left_out.append(f"{link.kind} link with deleted commitment {other!r}")
        else:
            link_service.create_link(session, seedfile.link_request(link), key)
    for stance in stances:
        if session.get(Claim, stance["claim"]) is None:
            left_out.append(f"stance of deleted claim {stance['claim']!r}")
        else:
            _add_stance(session, stance["claim"], commitment_id, Stance(stance["stance"]), key)
    return left_out


def _add_stance(
    session: Session, claim_id: str, commitment_id: str, stance: Stance, key: int | None
) -> None:
    """Give a claim back its stance: a change to the claim, so its version moves on and the
    change is audited on it."""

    def apply() -> None:
        session.add(ClaimCommitment(claim_id=claim_id, commitment_id=commitment_id, stance=stance))

    writes.update(session, "claim", claim_id, None, key, apply)


def _link(session: Session, link_id: str, record: dict[str, Any], key: int | None) -> list[str]:
    request = seedfile.link_request(seedfile.SeedLink.model_validate(record))
    link_service.create_link(session, request, key, link_id=int(link_id))
    return []


RESTORERS: dict[str, Restorer] = {
    "actor": _actor,
    "source": _source,
    "claim": _claim,
    "commitment": _commitment,
    "link": _link,
}
