"""HTTP routes for actors."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.actors import service as actor_service
from app.actors.schemas import ActorDetail, ActorFilters, ActorPublic
from app.api.deps import ListParamsDep, SessionDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.models import Actor

router = APIRouter(prefix="/v1/actors", tags=["actors"])


@router.get("", response_model=Page[ActorPublic], summary="List actors")
def list_actors(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[ActorFilters, Query()],
) -> Page[ActorPublic] | StreamingResponse:
    """States, government bodies, people, organisations, companies, media and forums named in
    the sources, each with the other names the texts use for it (`aliases`)."""

    def fetch(limit: int, cursor: str | None) -> tuple[list[ActorPublic], PageResult[Actor]]:
        result = actor_service.list_page(session, filters, limit, cursor)
        aliases = actor_service.aliases_by_actor(session, (a.id for a in result.rows))
        return actor_service.to_public(result.rows, aliases), result

    return respond_page(request, response, page, fetch, ActorPublic)


@router.get("/{actor_id}", response_model=ActorDetail, summary="Get one actor")
def get_actor(actor_id: str, session: SessionDep) -> ActorDetail:
    """One actor with its affiliation and members, the commitments it owes and is owed, and
    the claims it asserts."""
    return actor_service.detail(session, actor_service.get(session, actor_id))
