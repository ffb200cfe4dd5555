"""Response helpers: orjson rendering and the one RFC 9457 problem+json renderer."""

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.api.caching import etag_for
from app.errors import ProblemError

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://busan-commitments.example/problems/"

WRITE_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "No API key, or an unknown or revoked one."},
    403: {"description": "The key lacks the `write` scope."},
}


def _pydantic_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_bytes(content: Any) -> bytes:
    """JSON as the API writes it: timestamps in UTC with a `Z`, as pydantic writes them.

    Hot reads build plain dicts from Core rows and send them through here, skipping model
    validation; their routes keep `response_model` for the OpenAPI schema, and the tests check
    the answers against it. Pydantic models met inside are dumped as JSON.
    """
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z
    return orjson.dumps(content, default=_pydantic_default, option=options)


class ORJSONResponse(JSONResponse):
    """JSON rendered by orjson. A `JSONResponse`, so that FastAPI documents each route's
    `response_model` in the OpenAPI schema (for any other class it documents a bare string)."""

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


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
    if error.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette's `Allow` names only the first
    route that matched the path, and FastAPI makes one route per method)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


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


# OperationalErrors worth a retry, as opposed to a bug such as SQL naming a missing table.
# SQLite (primary result codes): BUSY, LOCKED, IOERR, FULL, CANTOPEN; every other one (a
# syntax error, "no such table") is answered as the bug it is. PostgreSQL (SQLSTATE classes):
# connection exceptions, transaction rollbacks (serialization failures, deadlocks), insufficient
# resources, lock not available, operator intervention (statement timeouts, shutdowns), system
# errors; and errors with no SQLSTATE (the connection failed).
_SQLITE_TRANSIENT = frozenset({5, 6, 10, 13, 14})
_POSTGRES_TRANSIENT = frozenset({"08", "40", "53", "55", "57", "58"})


def _is_transient(error: Exception) -> bool:
    driver_error = getattr(error, "orig", None)
    sqlite_code = getattr(driver_error, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return (sqlite_code & 0xFF) in _SQLITE_TRANSIENT
    sqlstate = getattr(driver_error, "sqlstate", None)
    return sqlstate is None or sqlstate[:2] in _POSTGRES_TRANSIENT


async def _database_busy(request: Request, error: Exception) -> Response:
    if not _is_transient(error):
        return await _unexpected_error(request, error)
    response = problem(
        503,
        "Service unavailable",
        "The database is busy; nothing was written. Retry.",
        "unavailable",
        request,
    )
    response.headers["Retry-After"] = "1"
    return response


async def _unexpected_error(request: Request, error: Exception) -> Response:
    """A bare 500: the traceback goes to the log, never to the client."""
    logger.error(
        "Unexpected error answering %s %s", request.method, request.url.path, exc_info=error
    )
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
    body: BaseModel | Mapping[str, Any] | orjson.Fragment,
    version: int,
    status_code: int = 200,
    location: str | None = None,
) -> Response:
    """A single record as JSON with its version-bearing ETag (and `Location` after a create)."""
    content = json_bytes(body)
    headers = {"ETag": etag_for(content, str(version))}
    if location is not None:
        headers["Location"] = location
    return Response(
        content, status_code=status_code, media_type="application/json", headers=headers
    )
