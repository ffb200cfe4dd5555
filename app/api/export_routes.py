"""HTTP route for the whole-knowledge-base export."""

from fastapi import APIRouter, Response

from app import export as export_service
from app.api.deps import SessionDep
from app.api.responses import ORJSONResponse

router = APIRouter(prefix="/v1", tags=["export"])


@router.get(
    "/export",
    summary="Export the whole knowledge base",
    response_class=ORJSONResponse,
    responses={200: {"content": {"application/json": {}}}},
)
def export_knowledge_base(session: SessionDep) -> Response:
    """Every actor, source (with its full text), commitment (with its status history), link and
    claim, in the seed file's format, ordered by id. Loading it into an empty database
    (`python -m app seed --path export.json`) reproduces the knowledge base exactly."""
    return ORJSONResponse(
        export_service.export(session),
        headers={"Content-Disposition": 'attachment; filename="busan-commitments.json"'},
    )
