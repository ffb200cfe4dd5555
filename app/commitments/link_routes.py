"""HTTP routes for the typed links between commitments."""

from fastapi import APIRouter, Response

from app.api.deps import SessionDep, WriteSessionDep
from app.api.idempotency import IdempotencyDep
from app.api.preconditions import VERSION_HEADER, IfMatchDep
from app.api.responses import WRITE_RESPONSES, record_response
from app.auth import WriterDep
from app.commitments import links as link_service
from app.commitments.schemas import LinkCreate, LinkPublic, LinkUpdate
from app.db import commit

router = APIRouter(prefix="/v1/links", tags=["commitments"])


@router.get("/{link_id}", response_model=LinkPublic, summary="Get one link")
def get_link(link_id: int, session: SessionDep, response: Response) -> LinkPublic:
    """One typed, directed link between two commitments: `from_id` is reciprocal of,
    conditional on, or supersedes `to_id`. Both commitments list it under `links`. The ETag
    carries the link's version, for `If-Match` on writes."""
    link = link_service.get_link(session, link_id)
    response.headers[VERSION_HEADER] = str(link.version)
    return LinkPublic.model_validate(link, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=LinkPublic,
    summary="Link two commitments",
    responses=WRITE_RESPONSES,
)
def create_link(
    data: LinkCreate, session: WriteSessionDep, key: WriterDep, idempotency: IdempotencyDep
) -> Response:
    """Record that one commitment is reciprocal of, conditional on, or supersedes another.
    Both must exist and differ; the same link (ends and kind) cannot be recorded twice (409).
    Needs a key with the `write` scope; send an `Idempotency-Key` to make retries safe."""
    if (replayed := idempotency.replay(session)) is not None:
        return replayed
    link = link_service.create_link(session, data, key.id)
    body = LinkPublic.model_validate(link, from_attributes=True)
    response = record_response(body, link.version, 201, f"/v1/links/{link.id}")
    return idempotency.finish(session, response)


@router.patch(
    "/{link_id}", response_model=LinkPublic, summary="Update a link", responses=WRITE_RESPONSES
)
def update_link(
    link_id: int,
    data: LinkUpdate,
    session: WriteSessionDep,
    key: WriterDep,
    expected_version: IfMatchDep,
) -> Response:
    """Change a link's kind and/or note; its two ends are fixed (delete it and create another
    to move it). Needs `If-Match` with the ETag of your last GET: 412 if the link changed
    since."""
    link = link_service.update_link(session, link_id, data, expected_version, key.id)
    body = LinkPublic.model_validate(link, from_attributes=True)
    commit(session)
    return record_response(body, link.version)


@router.delete("/{link_id}", status_code=204, summary="Delete a link", responses=WRITE_RESPONSES)
def delete_link(
    link_id: int, session: WriteSessionDep, key: WriterDep, expected_version: IfMatchDep
) -> Response:
    """Delete a link (the commitments stay). It is kept as a tombstone that an admin can
    restore under the same id; the audit log keeps its last state. Needs `If-Match`."""
    link_service.delete_link(session, link_id, expected_version, key.id)
    commit(session)
    return Response(status_code=204)
