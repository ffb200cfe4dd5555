"""HTTP routes for claims."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import ListParamsDep, SessionDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.claims import service as claim_service
from app.claims.schemas import ClaimFilters, ClaimPublic
from app.models import Claim

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get("", response_model=Page[ClaimPublic], summary="List claims")
def list_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[ClaimFilters, Query()],
) -> Page[ClaimPublic] | StreamingResponse:
    """Statements in the sources. Each claim's `quote` is exactly
    `text[start_offset:end_offset]` of its source (offsets in Unicode code points), with who
    asserts it, what kind of statement it is (report, quote, assessment, prediction,
    recommendation), the commitments it bears on and, where it gives a figure, a structured
    value (`value_subject`, `value_property`, `value_number` or `value_text`, `value_unit`).
    """

    def fetch(limit: int, cursor: str | None) -> tuple[list[ClaimPublic], PageResult[Claim]]:
        result = claim_service.list_page(session, filters, limit, cursor)
        return claim_service.to_public(session, result.rows), result

    return respond_page(request, response, page, fetch, ClaimPublic)


@router.get("/{claim_id}", response_model=ClaimPublic, summary="Get one claim")
def get_claim(claim_id: str, session: SessionDep) -> ClaimPublic:
    """One claim with its speakers and the commitments it bears on."""
    return claim_service.to_public(session, [claim_service.get(session, claim_id)])[0]
