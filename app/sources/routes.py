"""HTTP routes for sources."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse

from app.api.deps import ListParamsDep, SessionDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.models import Source
from app.sources import service as source_service
from app.sources.schemas import SourceDetail, SourceFilters, SourcePublic

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.get("", response_model=Page[SourcePublic], summary="List sources")
def list_sources(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[SourceFilters, Query()],
) -> Page[SourcePublic] | StreamingResponse:
    """The documents the knowledge base is built from: metadata only as the texts state it
    (unknown dates, titles and authors are null, never invented). The text is at `/text`."""

    def fetch(limit: int, cursor: str | None) -> tuple[list[SourcePublic], PageResult[Source]]:
        result = source_service.list_page(session, filters, limit, cursor)
        return source_service.to_public(session, result.rows), result

    return respond_page(request, response, page, fetch, SourcePublic)


@router.get("/{source_id}", response_model=SourceDetail, summary="Get one source")
def get_source(source_id: str, session: SessionDep) -> SourceDetail:
    """A source's metadata and every claim quoting it, in text order."""
    return source_service.detail(session, source_service.get(session, source_id))


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
