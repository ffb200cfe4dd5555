"""HTTP routes for commitments."""

from datetime import date
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
from app.commitments import service as commitment_service
from app.commitments.schemas import (
    CommitmentCreate,
    CommitmentDetail,
    CommitmentFilters,
    CommitmentPublic,
    CommitmentUpdate,
    StatusEventIn,
)
from app.db import commit

router = APIRouter(prefix="/v1/commitments", tags=["commitments"])


@router.get("", response_model=Page[CommitmentPublic], summary="List commitments")
async def list_commitments(
    request: Request,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[CommitmentFilters, Query()],
) -> Response:
    """Who promised what: each commitment with its parties, quantified terms, dates (each with
    its precision) and current status.

    Filters combine with AND; repeating a parameter (`topic=tariffs&topic=rare_earths`) matches
    any of its values. Actor filters accept ids or the names and aliases the sources use
    (`actor=Beijing`). With `as_of=2025-11-01`, statuses are those that stood on that day.
    """

    def fetch(limit: int, cursor: str | None) -> tuple[list[orjson.Fragment], PageResult[Any]]:
        result = commitment_service.list_page(session, filters, limit, cursor)
        return [orjson.Fragment(item) for item in result.rows], result

    return respond_page(request, page, fetch, CommitmentPublic)


@router.get("/{commitment_id}", response_model=CommitmentDetail, summary="Get one commitment")
async def get_commitment(
    commitment_id: str,
    connection: SingleStatementDep,
    as_of: Annotated[
        date | None,
        Query(description="Show the status and history as they stood on this day."),
    ] = None,
) -> Response:
    """A commitment with everything behind it: parties, terms, dates with their precision, the
    full status history, linked commitments in both directions (`outgoing`: this one is
    reciprocal of / conditional on / supersedes the other), and the evidence: every claim about
    it grouped by source, each with its verbatim quote, offsets, speakers, kind and stance.
    `corroboration` counts the distinct sources with a supporting claim. The ETag carries the
    commitment's version, for `If-Match` on writes.
    """
    version, text = commitment_service.detail_json(connection, commitment_id, as_of)
    return ORJSONResponse(orjson.Fragment(text), headers={VERSION_HEADER: str(version)})


@router.post(
    "",
    status_code=201,
    response_model=CommitmentDetail,
    summary="Create a commitment",
    responses=WRITE_RESPONSES,
)
def create_commitment(
    data: CommitmentCreate, session: WriteSessionDep, key: WriterDep, idempotency: IdempotencyDep
) -> Response:
    """Add a commitment: who (`obligors`, at least one, and `counterparties`: existing actor
    ids) promised what (`topic`, `action`, `terms`), and when (each date with its precision;
    announced ≤ effective ≤ expires). The id is a lowercase slug you choose. It starts as
    `proposed`; post status events to `/v1/commitments/{id}/status` to move it on. Needs a key
    with the `write` scope; send an `Idempotency-Key` to make retries safe."""
    if (replayed := idempotency.replay(session)) is not None:
        return replayed
    commitment = commitment_service.create(session, data, key.id)
    body = commitment_service.detail(session, commitment.id)
    location = f"/v1/commitments/{commitment.id}"
    response = record_response(body, commitment.version, 201, location)
    return idempotency.finish(session, response)


@router.patch(
    "/{commitment_id}",
    response_model=CommitmentDetail,
    summary="Update a commitment",
    responses=WRITE_RESPONSES,
)
def update_commitment(
    commitment_id: str,
    data: CommitmentUpdate,
    session: WriteSessionDep,
    key: WriterDep,
    expected_version: IfMatchDep,
) -> Response:
    """Change some of a commitment's fields (only those sent; `null` clears an optional one;
    `obligors`, `counterparties` and `terms` replace their lists). The date rules apply to the
    commitment as it would be after the change. The status is not editable: it follows the
    status history. Needs `If-Match` with the ETag of your last GET: 412 if the commitment
    changed since."""
    commitment = commitment_service.update(session, commitment_id, data, expected_version, key.id)
    body = commitment_service.detail(session, commitment.id)
    commit(session)
    return record_response(body, commitment.version)


@router.delete(
    "/{commitment_id}",
    status_code=204,
    summary="Delete a commitment",
    responses=WRITE_RESPONSES,
)
def delete_commitment(
    commitment_id: str, session: WriteSessionDep, key: WriterDep, expected_version: IfMatchDep
) -> Response:
    """Delete a commitment with its parties, terms, status history, links and the claims'
    stances towards it (the claims themselves stay). It is kept whole as a tombstone that an
    admin can restore; the audit log keeps its last state. Needs `If-Match`."""
    commitment_service.delete(session, commitment_id, expected_version, key.id)
    commit(session)
    return Response(status_code=204)


@router.post(
    "/{commitment_id}/status",
    status_code=201,
    response_model=CommitmentDetail,
    summary="Record a status change",
    responses=WRITE_RESPONSES,
)
def add_status_event(
    commitment_id: str,
    data: StatusEventIn,
    session: WriteSessionDep,
    key: WriterDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Append an event to a commitment's status history: on `occurred_on` it became `status`.
    The history is only ever added to, so no `If-Match` is needed; the current status is the
    latest event by date (an event dated earlier than the latest changes the history, not the
    current status). Cite the evidence as an existing claim (`evidence_claim_id`) or create it
    in the same request (`new_claim`, with its verbatim quote), not both. Answers the updated
    commitment with its new ETag. Needs the `write` scope; send an `Idempotency-Key` to make
    retries safe."""
    if (replayed := idempotency.replay(session)) is not None:
        return replayed
    commitment = commitment_service.record_status(session, commitment_id, data, key.id)
    body = commitment_service.detail(session, commitment.id)
    location = f"/v1/commitments/{commitment.id}"
    response = record_response(body, commitment.version, 201, location)
    return idempotency.finish(session, response)
