"""HTTP routes for the audit log and per-record history."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import Session

from app.api.deps import ListParamsDep, SessionDep
from app.api.listing import FetchPage, respond_page
from app.api.paging import Page, PageResult
from app.audit import service as audit_service
from app.audit.schemas import AuditEntryPublic, AuditFilters, EntityType
from app.models import AuditEntry
from app.models.base import SLUG_MAX

router = APIRouter(prefix="/v1", tags=["audit"])


def _fetcher(session: Session, filters: AuditFilters) -> FetchPage:
    def fetch(
        limit: int, cursor: str | None
    ) -> tuple[list[AuditEntryPublic], PageResult[AuditEntry]]:
        result = audit_service.list_page(session, filters, limit, cursor)
        items = [AuditEntryPublic.model_validate(e, from_attributes=True) for e in result.rows]
        return items, result

    return fetch


@router.get("/audit", response_model=Page[AuditEntryPublic], summary="The audit log")
def list_audit_entries(
    request: Request,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[AuditFilters, Query()],
) -> Response:
    """Every write ever made, oldest first: when, by which key (its id, never its secret), what
    was done to which record, and the record before and after. Seed loads appear with a null
    key. Deleted records stay here (and in `/v1/tombstones`)."""
    return respond_page(request, page, _fetcher(session, filters), AuditEntryPublic)


@router.get(
    "/history/{entity_type}/{entity_id}",
    response_model=Page[AuditEntryPublic],
    summary="One record's history",
)
def get_history(
    request: Request,
    session: SessionDep,
    page: ListParamsDep,
    entity_type: EntityType,
    entity_id: Annotated[str, Path(max_length=SLUG_MAX, description="The record's id.")],
) -> Response:
    """Every write to one record (`actor`, `source`, `commitment`, `claim` or `link`, by id),
    oldest first, with the record before and after each one; also for deleted records."""
    filters = AuditFilters(entity_type=entity_type, entity_id=entity_id)
    return respond_page(request, page, _fetcher(session, filters), AuditEntryPublic)
