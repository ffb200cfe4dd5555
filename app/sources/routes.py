"""HTTP routes for sources."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import defer
from sqlmodel import col, select

from app.api.deps import ListParamsDep, SessionDep
from app.api.paging import Page, SortKey, paginate
from app.api.responses import set_next_link
from app.models import Source
from app.sources import service as source_service
from app.sources.schemas import SourcePublic
from app.vocab import SourceKind

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.get("", response_model=Page[SourcePublic], summary="List sources")
def list_sources(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    kind: Annotated[SourceKind | None, Query(description="Only sources of this kind.")] = None,
) -> Page[SourcePublic]:
    """The documents the knowledge base is built from (metadata; the text is at `/text`)."""
    text_column: Any = Source.text  # SQLModel types class attributes as their values
    statement = select(Source).options(defer(text_column))
    if kind is not None:
        statement = statement.where(Source.kind == kind)
    result = paginate(
        session,
        statement,
        id_column=col(Source.id),
        sort=SortKey(None),
        limit=page.limit,
        cursor=page.cursor,
    )
    set_next_link(request, response, result.next_cursor)
    return Page(
        items=source_service.to_public(session, result.rows),
        next_cursor=result.next_cursor,
        total=result.total,
    )


@router.get("/{source_id}", response_model=SourcePublic, summary="Get one source")
def get_source(source_id: str, session: SessionDep) -> SourcePublic:
    """One source's metadata by its slug id."""
    return source_service.to_public(session, [source_service.get(session, source_id)])[0]


@router.get(
    "/{source_id}/text",
    response_class=PlainTextResponse,
    summary="Get a source's full text",
    responses={200: {"content": {"text/plain": {}}}},
)
def get_source_text(source_id: str, session: SessionDep) -> PlainTextResponse:
    """The full text exactly as collected. Claim offsets index into it in Unicode code points."""
    return PlainTextResponse(source_service.get(session, source_id).text)
