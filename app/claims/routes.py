"""HTTP routes for claims."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from app.api.deps import ListParamsDep, SessionDep, SingleStatementDep, WriteSessionDep
from app.api.idempotency import IdempotencyDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.api.preconditions import VERSION_HEADER, IfMatchDep
from app.api.responses import WRITE_RESPONSES, ORJSONResponse, record_response
from app.auth import WriterDep
from app.claims import service as claim_service
from app.claims.schemas import ClaimCreate, ClaimFilters, ClaimPublic, ClaimUpdate
from app.db import commit

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get("", response_model=Page[ClaimPublic], summary="List claims")
async def list_claims(
    request: Request,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[ClaimFilters, Query()],
) -> Response:
    """Statements in the sources. Each claim's `quote` is exactly
    `text[start_offset:end_offset]` of its source (offsets in Unicode code points), with who
    asserts it, what kind of statement it is (report, quote, assessment, prediction,
    recommendation), the commitments it bears on and, where it gives a figure, a structured
    value (`value_subject`, `value_property`, `value_number` or `value_text`, `value_unit`).
    """

    def fetch(limit: int, cursor: str | None) -> tuple[list[orjson.Fragment], PageResult[Any]]:
        result = claim_service.list_page(session, filters, limit, cursor)
        return [orjson.Fragment(item) for item in result.rows], result

    return respond_page(request, page, fetch, ClaimPublic)


@router.get("/{claim_id}", response_model=ClaimPublic, summary="Get one claim")
async def get_claim(claim_id: str, connection: SingleStatementDep) -> Response:
    """One claim with its speakers and the commitments it bears on. The ETag carries the
    claim's version, for `If-Match` on writes."""
    version, text = claim_service.public_json(connection, claim_id)
    return ORJSONResponse(orjson.Fragment(text), headers={VERSION_HEADER: str(version)})


@router.post(
    "",
    status_code=201,
    response_model=ClaimPublic,
    summary="Create a claim",
    responses=WRITE_RESPONSES,
)
def create_claim(
    data: ClaimCreate, session: WriteSessionDep, key: WriterDep, idempotency: IdempotencyDep
) -> Response:
    """Add a statement from a source. Send the `quote` exactly as the source words it (curly
    quotes, dashes and non-breaking spaces may be typed plainly); the API finds it in the text
    and stores its offsets. A quote that is not in the source, or that occurs more than once
    without an `occurrence` (1-based) saying which, is a 422; a `start_offset`, if you give one,
    is checked instead. `speakers` and `commitments` must name existing actors and commitments.
    Needs a key with the `write` scope; send an `Idempotency-Key` to make retries safe."""
    if (replayed := idempotency.replay(session)) is not None:
        return replayed
    claim = claim_service.create(session, data, key.id)
    body = claim_service.public(session, claim.id)
    response = record_response(body, claim.version, 201, f"/v1/claims/{claim.id}")
    return idempotency.finish(session, response)


@router.patch(
    "/{claim_id}",
    response_model=ClaimPublic,
    summary="Update a claim",
    responses=WRITE_RESPONSES,
)
def update_claim(
    claim_id: str,
    data: ClaimUpdate,
    session: WriteSessionDep,
    key: WriterDep,
    expected_version: IfMatchDep,
) -> Response:
    """Change some of a claim's fields (only those sent; `null` clears an optional one;
    `speakers` and `commitments` replace the lists). A new `quote`, `occurrence` or
    `start_offset` is placed in the source again exactly as on create. A claim cannot move to
    another source: create a new one. Needs `If-Match` with the ETag of your last GET: 412 if
    the claim changed since."""
    claim = claim_service.update(session, claim_id, data, expected_version, key.id)
    body = claim_service.public(session, claim.id)
    commit(session)
    return record_response(body, claim.version)


@router.delete("/{claim_id}", status_code=204, summary="Delete a claim", responses=WRITE_RESPONSES)
def delete_claim(
    claim_id: str, session: WriteSessionDep, key: WriterDep, expected_version: IfMatchDep
) -> Response:
    """Delete a claim, with its speakers and its stances towards commitments. A claim cited as
    the evidence of a status event cannot be deleted (409 names the commitments): status
    history is never rewritten. The claim is kept as a tombstone that an admin can restore;
    the audit log keeps its last state."""
    claim_service.delete(session, claim_id, expected_version, key.id)
    commit(session)
    return Response(status_code=204)
