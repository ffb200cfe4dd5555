"""HTTP routes for sources."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from app.api.deps import ListParamsDep, SessionDep, WriteSessionDep
from app.api.idempotency import IdempotencyDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.api.preconditions import VERSION_HEADER, IfMatchDep
from app.api.responses import WRITE_RESPONSES, ORJSONResponse, record_response
from app.auth import WriterDep
from app.db import commit
from app.models import Source
from app.sources import service as source_service
from app.sources.schemas import (
    SourceCreate,
    SourceDetail,
    SourceFilters,
    SourcePublic,
    SourceUpdate,
)

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.get("", response_model=Page[SourcePublic], summary="List sources")
def list_sources(
    request: Request,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[SourceFilters, Query()],
) -> Response:
    """The documents the knowledge base is built from: metadata only as the texts state it
    (unknown dates, titles and authors are null, never invented). The text is at `/text`."""

    def fetch(limit: int, cursor: str | None) -> tuple[list[SourcePublic], PageResult[Source]]:
        result = source_service.list_page(session, filters, limit, cursor)
        return source_service.to_public(session, result.rows), result

    return respond_page(request, page, fetch, SourcePublic)


@router.get("/{source_id}", response_model=SourceDetail, summary="Get one source")
def get_source(source_id: str, session: SessionDep) -> Response:
    """A source's metadata and every claim quoting it, in text order. The ETag carries the
    source's version, for `If-Match` on writes."""
    source = source_service.get(session, source_id)
    record = source_service.detail(session, source)
    return ORJSONResponse(record, headers={VERSION_HEADER: str(source.version)})


@router.post(
    "",
    status_code=201,
    response_model=SourceDetail,
    summary="Create a source",
    responses=WRITE_RESPONSES,
)
def create_source(
    data: SourceCreate, session: WriteSessionDep, key: WriterDep, idempotency: IdempotencyDep
) -> Response:
    """Add a document with its full text, exactly as collected: claims will quote it verbatim
    and index into it in Unicode code points, and `text_sha256` lets anyone check their copy.
    The id is a lowercase slug you choose (`[a-z0-9]+(-[a-z0-9]+)*`); `publisher_id`, `authors`
    and `translators` must name existing actors. Needs a key with the `write` scope; send an
    `Idempotency-Key` to make retries safe."""
    if (replayed := idempotency.replay(session)) is not None:
        return replayed
    source = source_service.create(session, data, key.id)
    body = source_service.detail(session, source)
    response = record_response(body, source.version, 201, f"/v1/sources/{source.id}")
    return idempotency.finish(session, response)


@router.patch(
    "/{source_id}",
    response_model=SourceDetail,
    summary="Update a source",
    responses=WRITE_RESPONSES,
)
def update_source(
    source_id: str,
    data: SourceUpdate,
    session: WriteSessionDep,
    key: WriterDep,
    expected_version: IfMatchDep,
) -> Response:
    """Change some of a source's metadata (only the fields sent; `null` clears an optional
    one; `authors` and `translators` replace the lists). The `text` can be corrected only while
    no claim quotes the source (409 otherwise, listing the claims): every claim's quote is an
    exact span of this text. Needs `If-Match` with the ETag of your last GET: 412 if the source
    changed since."""
    source = source_service.update(session, source_id, data, expected_version, key.id)
    body = source_service.detail(session, source)
    commit(session)
    return record_response(body, source.version)


@router.delete(
    "/{source_id}", status_code=204, summary="Delete a source", responses=WRITE_RESPONSES
)
def delete_source(
    source_id: str, session: WriteSessionDep, key: WriterDep, expected_version: IfMatchDep
) -> Response:
    """Delete a source that no claim quotes any more (409 lists the claims that still do). The
    source, text included, is kept as a tombstone that an admin can restore; the audit log
    keeps its last state."""
    source_service.delete(session, source_id, expected_version, key.id)
    commit(session)
    return Response(status_code=204)


@router.get(
    "/{source_id}/text",
    response_class=PlainTextResponse,
    summary="Get a source's full text",
    responses={
        200: {
            "content": {
                "text/plain": {"example": "Asia ASAP: Trump and Xi Meet in Busan\n…"},
                "text/html": {"example": '… <mark data-claims="aspi-meeting">90-minute</mark> …'},
            }
        }
    },
)
def get_source_text(
    source_id: str,
    session: SessionDep,
    mark: Annotated[
        str | None,
        Query(
            max_length=120,
            description="A claim id, or `all`: answer HTML with those claims' spans in "
            '`<mark data-claims="…">` elements, for display.',
        ),
    ] = None,
) -> Response:
    """The full text exactly as collected (`text/plain; charset=utf-8`). Claim offsets index
    into it in Unicode code points. With `mark`, the text comes as HTML-escaped `text/html`
    with the claims' spans marked; overlapping spans are split into segments that list every
    claim covering them."""
    source = source_service.get(session, source_id)
    if mark is None:
        return PlainTextResponse(source.text)
    return HTMLResponse(source_service.marked_text(session, source, mark))
