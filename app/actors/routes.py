"""HTTP routes for actors."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col, select

from app.actors import service as actor_service
from app.actors.schemas import ActorPublic
from app.api.deps import ListParamsDep, SessionDep
from app.api.paging import Page, SortKey, paginate
from app.api.responses import set_next_link
from app.models import Actor
from app.vocab import ActorKind

router = APIRouter(prefix="/v1/actors", tags=["actors"])


@router.get("", response_model=Page[ActorPublic], summary="List actors")
def list_actors(
    request: Request,
    response: Response,
    session: SessionDep,
    page: ListParamsDep,
    kind: Annotated[ActorKind | None, Query(description="Only actors of this kind.")] = None,
    country: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code.")
    ] = None,
) -> Page[ActorPublic]:
    """States, government bodies, people and organisations named in the sources, by id."""
    statement = select(Actor)
    if kind is not None:
        statement = statement.where(Actor.kind == kind)
    if country is not None:
        statement = statement.where(Actor.country_code == country)
    result = paginate(
        session,
        statement,
        id_column=col(Actor.id),
        sort=SortKey(None),
        limit=page.limit,
        cursor=page.cursor,
    )
    set_next_link(request, response, result.next_cursor)
    aliases = actor_service.aliases_by_actor(session, (a.id for a in result.rows))
    return Page(
        items=actor_service.to_public(result.rows, aliases),
        next_cursor=result.next_cursor,
        total=result.total,
    )


@router.get("/{actor_id}", response_model=ActorPublic, summary="Get one actor")
def get_actor(actor_id: str, session: SessionDep) -> ActorPublic:
    """One actor by its slug id, with its aliases."""
    actor = actor_service.get(session, actor_id)
    return actor_service.to_public([actor], actor_service.aliases_by_actor(session, [actor.id]))[0]
