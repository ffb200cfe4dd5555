"""HTTP routes for tombstones: list deleted records and restore them."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.deps import ListParamsDep, SessionDep, WriteSessionDep
from app.api.listing import respond_page
from app.api.paging import Page, PageResult
from app.api.responses import record_response
from app.audit.schemas import EntityType
from app.auth import AdminDep
from app.db import commit
from app.models import Tombstone
from app.tombstones import service as tombstone_service
from app.tombstones.schemas import RestoredPublic, TombstoneFilters, TombstonePublic

router = APIRouter(prefix="/v1/tombstones", tags=["tombstones"])
ADMIN_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "No API key, or an unknown or revoked one."},
    403: {"description": "The key lacks the `admin` scope (a `write` key is not enough)."},
}
RESOURCE_PATHS = {
    "actor": "actors",
    "source": "sources",
    "commitment": "commitments",
    "claim": "claims",
    "link": "links",
}


@router.get("", response_model=Page[TombstonePublic], summary="List deleted records")
def list_tombstones(
    request: Request,
    session: SessionDep,
    page: ListParamsDep,
    filters: Annotated[TombstoneFilters, Query()],
) -> Response:
    """Records deleted through the API and not (yet) restored, each kept whole as it was at
    deletion: a deleted commitment's snapshot also holds its status history, its links and the
    claims' stances towards it. The audit log (`/v1/history/{type}/{id}`) says who deleted it
    and what it looked like before."""

    def fetch(
        limit: int, cursor: str | None
    ) -> tuple[list[TombstonePublic], PageResult[Tombstone]]:
        result = tombstone_service.list_page(session, filters, limit, cursor)
        items = [TombstonePublic.model_validate(t, from_attributes=True) for t in result.rows]
        return items, result

    return respond_page(request, page, fetch, TombstonePublic)


@router.post(
    "/{entity_type}/{entity_id}/restore",
    status_code=201,
    response_model=RestoredPublic,
    summary="Restore a deleted record",
    responses=ADMIN_RESPONSES,
)
def restore_record(
    entity_type: Annotated[EntityType, Path(description="Kind of the deleted record.")],
    entity_id: Annotated[str, Path(description="Its id (a link's numeric id).")],
    session: WriteSessionDep,
    key: AdminDep,
) -> Response:
    """Bring a deleted record back under its old id, through the same checks as a create (a
    claim's quote must still be at its offsets in its source). A commitment comes back with its
    status history, its links and the claims' stances towards it, except those whose other side
    has since been deleted: `left_out` lists them. 404 if nothing of that id was deleted, 409
    if a record with that id exists again. The restore is audited as `restore`. Needs a key
    with the `admin` scope."""
    restored = tombstone_service.restore(session, entity_type, entity_id, key.id)
    commit(session)
    location = f"/v1/{RESOURCE_PATHS[entity_type]}/{entity_id}"
    return record_response(restored, restored.version, 201, location)
