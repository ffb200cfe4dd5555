"""Liveness and readiness probes (outside /v1, not part of the data API)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from app.api.responses import ORJSONResponse, problem
from app.schema import is_at_head

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process is up")
def healthz() -> Response:
    """Answers 200 as long as the process serves requests; touches no database."""
    return ORJSONResponse({"status": "ok"})


@router.get(
    "/readyz",
    summary="Readiness: the database is reachable and migrated",
    responses={503: {"description": "The database is unreachable or not migrated to head."}},
)
def readyz(request: Request) -> Response:
    """200 when the database answers and its schema is at the latest migration, else 503."""
    try:
        migrated = is_at_head(request.app.state.engine)
    except SQLAlchemyError:
        return problem(503, "Not ready", "The database is unreachable.", "not-ready", request)
    if not migrated:
        return problem(
            503, "Not ready", "The database is not migrated to head.", "not-ready", request
        )
    return ORJSONResponse({"status": "ready"})
