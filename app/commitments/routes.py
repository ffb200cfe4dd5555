"""HTTP routes for commitments."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from app.api.deps import ListParamsDep, SessionDep
from app.api.paging import Page, SortKey, paginate
from app.api.responses import set_next_link
from app.commitments import service as commitment_service
from app.commitments.schemas import CommitmentDetail, CommitmentPublic
from app.models import Commitment
from app.vocab import CommitmentStatus, Topic

router = APIRouter(prefix="/v1/commitments", tags=["commitments"])


@router.get("", response_model=Page[CommitmentPublic], summary="List commitments")
def list_commitments(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    topic: Annotated[Topic | None, Query(description="Only commitments on this topic.")] = None,
    status: Annotated[
        CommitmentStatus | None, Query(description="Only commitments with this current status.")
    ] = None,
) -> Page[CommitmentPublic]:
    """Who promised what: each commitment with its parties, terms, dates and current status."""
    statement = select(Commitment)
    if topic is not None:
        statement = statement.where(Commitment.topic == topic)
    if status is not None:
        statement = statement.where(Commitment.status == status)
    result = paginate(
        session,
        statement,
        id_column=col(Commitment.id),
        sort=SortKey(None),
        limit=page.limit,
        cursor=page.cursor,
    )
    set_next_link(request, response, result.next_cursor)
    return Page(
        items=commitment_service.to_public(session, result.rows),
        next_cursor=result.next_cursor,
        total=result.total,
    )


@router.get("/{commitment_id}", response_model=CommitmentDetail, summary="Get one commitment")
def get_commitment(commitment_id: str, session: SessionDep) -> CommitmentDetail:
    """A commitment with its status history, linked commitments and evidence grouped by source."""
    return commitment_service.detail(session, commitment_service.get(session, commitment_id))
