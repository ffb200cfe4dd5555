"""Response helpers: orjson rendering and the one RFC 9457 problem+json renderer."""

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.caching import etag_for
from app.errors import ProblemError

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://busan-commitments.example/problems/"

WRITE_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "No API key, or an unknown or revoked one."},
    403: {"description": "The key lacks the `write` scope."},
}


class ORJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def problem(
    status: int, title: str, detail: str, type_slug: str, request: Request, **extra: Any
) -> Response:
    body = {
        "type": PROBLEM_TYPE_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def _location_name(location: tuple[Any, ...]) -> tuple[str, str]:
    where = str(location[0]) if location else "body"
    name = ".".join(str(part) for part in location[1:]) or where
    return where, name


async def _problem_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ProblemError)
    response = problem(
        error.status, error.title, error.detail, error.type_slug, request, **error.extra
    )
    response.headers.update(error.headers)
    return response


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = []
    for item in error.errors():
        where, name = _location_name(tuple(item.get("loc", ())))
        errors.append({"in": where, "name": name, "message": item.get("msg", "invalid")})
    names = ", ".join(sorted({f"`{e['name']}`" for e in errors}))
    query_only = all(e["in"] in ("query", "path", "header") for e in errors)
    return problem(
        400 if query_only else 422,
        "Invalid query parameter" if query_only else "Unprocessable content",
        f"Invalid value for {names}.",
        "invalid-parameter" if query_only else "validation-error",
        request,
        errors=errors,
    )


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed"}
    response = problem(
        error.status_code,
        titles.get(error.status_code, "HTTP error"),
        str(error.detail),
        "not-found" if error.status_code == 404 else f"http-{error.status_code}",
        request,
    )
    if error.headers:
        response.headers.update(error.headers)
    return response


async def _integrity_error(request: Request, _error: Exception) -> Response:
    """A constraint the database enforced (e.g. two concurrent creates of one id)."""
    return problem(
        409,
        "Conflict",
        "The change conflicts with data already stored (a duplicate or a reference that no "
        "longer exists); nothing was written.",
        "conflict",
        request,
    )


async def _database_busy(request: Request, _error: Exception) -> Response:
    response = problem(
        503,
        "Service unavailable",
        "The database is busy; nothing was written. Retry.",
        "unavailable",
        request,
    )
    response.headers["Retry-After"] = "1"
    return response


async def _unexpected_error(request: Request, _error: Exception) -> Response:
    return problem(
        500, "Internal server error", "An unexpected error occurred.", "internal", request
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(PoolTimeoutError, _database_busy)
    app.add_exception_handler(Exception, _unexpected_error)


def set_next_link(request: Request, response: Response, next_cursor: str | None) -> None:
    """RFC 8288 `Link: <…>; rel="next"` pointing at the next page, when there is one."""
    if next_cursor is not None:
        url = request.url.remove_query_params("cursor").include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'


def record_response(
    body: BaseModel, version: int, status_code: int = 200, location: str | None = None
) -> Response:
    """A single record as JSON with its version-bearing ETag (and `Location` after a create)."""
    content = orjson.dumps(body.model_dump(mode="json"))
    headers = {"ETag": etag_for(content, str(version))}
    if location is not None:
        headers["Location"] = location
    return Response(
        content, status_code=status_code, media_type="application/json", headers=headers
    )
