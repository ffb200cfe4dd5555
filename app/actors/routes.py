"""HTTP routes for actors."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response

from app.actors import service as actor_service
from app.actors.schemas import ActorCreate, ActorDetail, ActorFilters, ActorPublic, ActorUpdate
from app.api.deps import ListParamsDep, SessionDep, SingleStatementDep, WriteSessionDep
from app.api.idempotency import IdempotencyDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.api.preconditions import VERSION_HEADER, IfMatchDep
from app.api.responses import WRITE_RESPONSES, ORJSONResponse, record_response
from app.auth import WriterDep
from app.db import commit
from app.models import Actor

router = APIRouter(prefix="/v1/actors", tags=["actors"])


@router.get("", response_model=Page[ActorPublic], summary="List actors")
def list_actors(
    request: Request,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[ActorFilters, Query()],
) -> Response:
    """States, government bodies, people, organisations, companies, media and forums named in
    the sources, each with the other names the texts use for it (`aliases`)."""

    def fetch(limit: int, cursor: str | None) -> tuple[list[ActorPublic], PageResult[Actor]]:
        result = actor_service.list_page(session, filters, limit, cursor)
        aliases = actor_service.aliases_by_actor(session, (a.id for a in result.rows))
        return actor_service.to_public(result.rows, aliases), result

    return respond_page(request, page, fetch, ActorPublic)


@router.get("/{actor_id}", response_model=ActorDetail, summary="Get one actor")
async def get_actor(actor_id: str, connection: SingleStatementDep) -> Response:
    """One actor with its affiliation and members, the commitments it owes and is owed, and
    the claims it asserts. The ETag carries the actor's version, for `If-Match` on writes."""
    version, text = actor_service.detail_json(connection, actor_id)
    return ORJSONResponse(orjson.Fragment(text), headers={VERSION_HEADER: str(version)})


@router.post(
    "",
    status_code=201,
    response_model=ActorDetail,
    summary="Create an actor",
    responses=WRITE_RESPONSES,
)
def create_actor(
    data: ActorCreate, session: WriteSessionDep, key: WriterDep, idempotency: IdempotencyDep
) -> Response:
    """Add an actor. The id is a lowercase slug you choose (`[a-z0-9]+(-[a-z0-9]+)*`);
    `affiliation_id` must name an existing actor. Needs a key with the `write` scope; send an
    `Idempotency-Key` to make retries safe."""
    if (replayed := idempotency.replay(session)) is not None:
        return replayed
    actor = actor_service.create(session, data, key.id)
    body = actor_service.detail(session, actor.id)
    response = record_response(body, actor.version, 201, f"/v1/actors/{actor.id}")
    return idempotency.finish(session, response)


@router.patch(
    "/{actor_id}",
    response_model=ActorDetail,
    summary="Update an actor",
    responses=WRITE_RESPONSES,
)
def update_actor(
    actor_id: str,
    data: ActorUpdate,
    session: WriteSessionDep,
    key: WriterDep,
    expected_version: IfMatchDep,
) -> Response:
    """Change some of an actor's fields (only those sent; `null` clears an optional one;
    `aliases` replaces the list). Needs `If-Match` with the ETag of your last GET: 412 if the
    actor changed since."""
    actor = actor_service.update(session, actor_id, data, expected_version, key.id)
    body = actor_service.detail(session, actor.id)
    commit(session)
    return record_response(body, actor.version)


@router.delete("/{actor_id}", status_code=204, summary="Delete an actor", responses=WRITE_RESPONSES)
def delete_actor(
    actor_id: str, session: WriteSessionDep, key: WriterDep, expected_version: IfMatchDep
) -> Response:
    """Delete an actor that nothing refers to any more (409 lists what still does). The actor
    is kept as a tombstone that an admin can restore; the audit log keeps its last state."""
    actor_service.delete(session, actor_id, expected_version, key.id)
    commit(session)
    return Response(status_code=204)
