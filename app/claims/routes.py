"""HTTP routes for claims."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from app.api.deps import ListParamsDep, SessionDep
from app.api.paging import Page, SortKey, paginate
from app.api.responses import set_next_link
from app.claims import service as claim_service
from app.claims.schemas import ClaimPublic
from app.models import Claim
from app.vocab import ClaimKind

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get("", response_model=Page[ClaimPublic], summary="List claims")
def list_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    source: Annotated[
        str | None, Query(max_length=120, description="Only claims in this source.")
    ] = None,
    kind: Annotated[ClaimKind | None, Query(description="Only claims of this kind.")] = None,
) -> Page[ClaimPublic]:
    """Statements in the sources, each a verbatim quote with its character offsets."""
    statement = select(Claim)
    if source is not None:
        statement = statement.where(Claim.source_id == source)
    if kind is not None:
        statement = statement.where(Claim.kind == kind)
    result = paginate(
        session,
        statement,
        id_column=col(Claim.id),
        sort=SortKey(None),
        limit=page.limit,
        cursor=page.cursor,
    )
    set_next_link(request, response, result.next_cursor)
    return Page(
        items=claim_service.to_public(session, result.rows),
        next_cursor=result.next_cursor,
        total=result.total,
    )


@router.get("/{claim_id}", response_model=ClaimPublic, summary="Get one claim")
def get_claim(claim_id: str, session: SessionDep) -> ClaimPublic:
    """One claim by its slug id, with its speakers and the commitments it bears on."""
    return claim_service.to_public(session, [claim_service.get(session, claim_id)])[0]
