"""The audit log: every write, recorded in the same transaction as the write itself."""

from typing import Any

import orjson
from sqlmodel import Session, col, select

from app.api.paging import BY_ID, PageResult, paginate
from app.audit.schemas import AuditFilters
from app.models import AuditEntry


def jsonable(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """Dates and enums as JSON strings, so both engines store and return the same document."""
    if record is None:
        return None
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(record))
    return loaded


def record(
    session: Session,
    *,
    api_key_id: int | None,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    entry = AuditEntry(
        api_key_id=api_key_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=jsonable(before),
        after=jsonable(after),
    )
    session.add(entry)
    session.flush()
    return entry


def list_page(
    session: Session, filters: AuditFilters, limit: int, cursor: str | None
) -> PageResult[AuditEntry]:
    statement = select(AuditEntry)
    if filters.entity_type is not None:
        statement = statement.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        statement = statement.where(AuditEntry.entity_id == filters.entity_id)
    if filters.api_key_id is not None:
        statement = statement.where(AuditEntry.api_key_id == filters.api_key_id)
    if filters.action is not None:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        statement = statement.where(col(AuditEntry.occurred_at) >= filters.since)
    if filters.until is not None:
        statement = statement.where(col(AuditEntry.occurred_at) < filters.until)
    return paginate(
        session, statement, id_column=col(AuditEntry.id), sort=BY_ID, limit=limit, cursor=cursor
    )
