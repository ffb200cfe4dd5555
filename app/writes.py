"""The write protocol every resource follows, whatever door the write comes through.

* Update and delete first claim the record's version with one conditional
  `UPDATE … SET version = version + 1 WHERE id = :id AND version = :expected`: of several
  writers holding the same version exactly one matches, the others get 412. The claim also
  takes the row lock (PostgreSQL) or runs inside the write lock (SQLite `BEGIN IMMEDIATE`).
* Every create, update, delete and restore is recorded in the audit log with the record before
  and after (export form), in the same transaction.
* Deletes keep the whole record as a tombstone, which an admin can restore.
Nothing here commits: one request, one commit, in the route.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.errors import ConflictError, NotFoundError, PreconditionFailedError
from app.export import snapshot
from app.models import Actor, Claim, Commitment, CommitmentLink, Source, Tombstone
from app.models.base import utcnow

MODELS: dict[str, Any] = {
    "actor": Actor,
    "source": Source,
    "commitment": Commitment,
    "claim": Claim,
    "link": CommitmentLink,
}


def _key(entity_type: str, entity_id: str) -> Any:
    return int(entity_id) if entity_type == "link" else entity_id


def claim_version(session: Session, entity_type: str, entity_id: str, expected: int | None) -> int:
    """Bump the record's version if it is still `expected` (None: any); return the new one."""
    model = MODELS[entity_type]
    conditions = [col(model.id) == _key(entity_type, entity_id)]
    if expected is not None:
        conditions.append(col(model.version) == expected)
    result = session.execute(
        sa.update(model)
        .where(*conditions)
        .values(version=model.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.exec(
            select(model.version).where(col(model.id) == _key(entity_type, entity_id))
        ).first()
        if current is None:
            raise NotFoundError(
                f"No {entity_type} has the id {entity_id!r}.", resource=entity_type, id=entity_id
            )
        raise PreconditionFailedError(
            f"The {entity_type} changed since you read it (it is now at version {current}); "
            "GET it again and retry with the new ETag.",
            current_version=current,
        )
    session.expire_all()
    version: int = session.exec(
        select(model.version).where(col(model.id) == _key(entity_type, entity_id))
    ).one()
    return version


def created(session: Session, entity_type: str, entity_id: str, api_key_id: int | None) -> None:
    """Record a create that a service has just flushed."""
    audit_service.record(
        session,
        api_key_id=api_key_id,
        action="create",
        entity_type=entity_type,
        entity_id=entity_id,
        before=None,
        after=snapshot(session, entity_type, entity_id),
    )


def update(
    session: Session,
    entity_type: str,
    entity_id: str,
    expected_version: int | None,
    api_key_id: int | None,
    apply: Callable[[], None],
    action: str = "update",
) -> None:
    """Claim the version, let `apply` change the record, and audit before and after."""
    claim_version(session, entity_type, entity_id, expected_version)
    before = snapshot(session, entity_type, entity_id)
    apply()
    session.flush()
    session.expire_all()
    audit_service.record(
        session,
        api_key_id=api_key_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=snapshot(session, entity_type, entity_id),
    )


def delete(
    session: Session,
    entity_type: str,
    entity_id: str,
    expected_version: int | None,
    api_key_id: int | None,
    blockers: Callable[[], list[str]],
) -> None:
    """Delete a record (its dependent rows cascade), keeping it whole as a tombstone.

    `blockers` lists what still refers to the record and must go first; any → 409.
    """
    claim_version(session, entity_type, entity_id, expected_version)
    blocking = blockers()
    if blocking:
        raise ConflictError(
            f"The {entity_type} {entity_id!r} is still referred to by {'; '.join(blocking)}. "
            "Delete or change those first.",
            blocked_by=blocking,
        )
    before = snapshot(session, entity_type, entity_id)
    assert before is not None
    existing = session.exec(
        select(Tombstone).where(
            Tombstone.entity_type == entity_type, Tombstone.entity_id == entity_id
        )
    ).first()
    if existing is not None:
        session.delete(existing)
        session.flush()
    session.add(
        Tombstone(
            entity_type=entity_type,
            entity_id=entity_id,
            snapshot=audit_service.jsonable(before) or {},
            api_key_id=api_key_id,
        )
    )
    record = session.get(MODELS[entity_type], _key(entity_type, entity_id))
    session.delete(record)
    session.flush()
    audit_service.record(
        session,
        api_key_id=api_key_id,
        action="delete",
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=None,
    )
