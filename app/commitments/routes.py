"""HTTP routes for commitments."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import ListParamsDep, SessionDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.commitments import service as commitment_service
from app.commitments.schemas import CommitmentDetail, CommitmentFilters, CommitmentPublic
from app.models import Commitment

router = APIRouter(prefix="/v1/commitments", tags=["commitments"])


@router.get("", response_model=Page[CommitmentPublic], summary="List commitments")
def list_commitments(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[CommitmentFilters, Query()],
) -> Page[CommitmentPublic] | StreamingResponse:
    """Who promised what: each commitment with its parties, quantified terms, dates (each with
    its precision) and current status.

    Filters combine with AND; repeating a parameter (`topic=tariffs&topic=rare_earths`) matches
    any of its values. Actor filters accept ids or the names and aliases the sources use
    (`actor=Beijing`). With `as_of=2025-11-01`, statuses are those that stood on that day.
    """

    def fetch(
        limit: int, cursor: str | None
    ) -> tuple[list[CommitmentPublic], PageResult[Commitment]]:
        result = commitment_service.list_page(session, filters, limit, cursor)
        return commitment_service.to_public(session, result.rows, filters.as_of), result

    return respond_page(request, response, page, fetch, CommitmentPublic)


@router.get("/{commitment_id}", response_model=CommitmentDetail, summary="Get one commitment")
def get_commitment(
    commitment_id: str,
    session: SessionDep,
    as_of: Annotated[
        date | None,
        Query(description="Show the status and history as they stood on this day."),
    ] = None,
) -> CommitmentDetail:
    """A commitment with everything behind it: parties, terms, dates with their precision, the
    full status history, linked commitments in both directions (`outgoing`: this one is
    reciprocal of / conditional on / supersedes the other), and the evidence: every claim about
    it grouped by source, each with its verbatim quote, offsets, speakers, kind and stance.
    `corroboration` counts the distinct sources with a supporting claim.
    """
    commitment = commitment_service.get(session, commitment_id)
    return commitment_service.detail(session, commitment, as_of)
