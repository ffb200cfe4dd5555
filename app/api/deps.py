"""Dependencies shared by every route: the database session and list parameters.

The read dependencies are `async def`: they do no I/O that could block (a session connects
lazily, on its first query), and an async dependency runs on the event loop instead of taking
a trip through the thread pool on every request.
"""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlmodel import Session

from app.api.filters import iso_date, iso_datetime
from app.api.paging import DEFAULT_LIMIT, MAX_LIMIT
from app.errors import InvalidParameterError
from app.write_turns import write_turns


async def get_session(request: Request) -> AsyncIterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_single_statement_connection(request: Request) -> AsyncIterator[Connection]:
    """A connection for a read made of one statement (`app.db.single_statement_reader`)."""
    with request.app.state.single_statement_engine.connect() as connection:
        yield connection


SingleStatementDep = Annotated[Connection, Depends(get_single_statement_connection)]


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for one write request; the route commits once, before it answers. On SQLite
    the request first waits for its turn among the writers (`app.write_turns`)."""
    turns = write_turns(request.app.state.engine)
    with (
        turns.turn() if turns is not None else nullcontext(),
        Session(request.app.state.write_engine, expire_on_commit=False) as session,
    ):
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]


# The largest value of an INTEGER column on PostgreSQL (SQLite's are wider). An integer
# parameter beyond it can match nothing, and binding it would be a database error.
MAX_INTEGER = 2**31 - 1


async def reject_unknown_query_params(request: Request) -> None:
    """A typo in a filter must never silently return everything: unknown parameters are a 400.

    So is a query or path value no database can compare: one holding a NUL character
    (PostgreSQL text cannot), or an integer beyond `MAX_INTEGER`; and a date or time not
    written as ISO 8601 (validation alone would read `0` as a Unix timestamp).
    """
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    parameters = _parameters(route)
    for name in request.query_params:
        if name not in parameters.known:
            allowed = ", ".join(sorted(parameters.known)) or "none"
            raise InvalidParameterError(
                f"Unknown query parameter `{name}`. Allowed here: {allowed}.", parameter=name
            )
    _reject_unstorable_values(request, parameters)


@dataclass(frozen=True)
class _RouteParameters:
    known: frozenset[str]  # every query parameter the route takes
    integers: frozenset[str]  # query and path parameters by the type they take
    dates: frozenset[str]
    times: frozenset[str]


def _parameters(route: Any) -> _RouteParameters:
    """The route's parameters, found by walking its dependency tree once and kept on the
    route (routes are not hashable, so no cache keyed by them)."""
    parameters: _RouteParameters | None = getattr(route, _PARAMETERS_ATTRIBUTE, None)
    if parameters is None:
        dependant = route.dependant
        parameters = _RouteParameters(
            frozenset(_query_names(dependant)),
            frozenset(_names_taking(dependant, int)),
            frozenset(_names_taking(dependant, date)),
            frozenset(_names_taking(dependant, datetime)),
        )
        setattr(route, _PARAMETERS_ATTRIBUTE, parameters)
    return parameters


_PARAMETERS_ATTRIBUTE = "_busan_parameters"


def _reject_unstorable_values(request: Request, parameters: _RouteParameters) -> None:
    located = [
        *(("query", name, value) for name, value in request.query_params.multi_items()),
        *(("path", name, str(value)) for name, value in request.path_params.items()),
    ]
    for where, name, value in located:
        if "\x00" in value:
            message = "must not contain the NUL character (U+0000)"
        elif name in parameters.integers and _beyond_integer_range(value):
            message = f"is out of range: at most {MAX_INTEGER}"
        elif name in parameters.dates and not _is_iso(iso_date, value):
            message = "must be a date written YYYY-MM-DD"
        elif name in parameters.times and not _is_iso(iso_datetime, value):
            message = "must be a date and time written YYYY-MM-DDTHH:MM[:SS][zone]"
        else:
            continue
        raise InvalidParameterError(
            f"`{name}` {message}.",
            parameter=name,
            errors=[{"in": where, "name": name, "message": message}],
        )


def _beyond_integer_range(value: str) -> bool:
    try:
        return abs(int(value)) > MAX_INTEGER
    except ValueError:
        return False  # not an integer (or too long to be one): validation names it


def _is_iso(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except ValueError:
        return False
    return True


def _names_taking(dependant: Dependant, kind: type) -> set[str]:
    """Query and path parameters (filter model fields included) that take a `kind`."""
    names: set[str] = set()
    for param in (*dependant.query_params, *dependant.path_params):
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {
                field.alias or name
                for name, field in annotation.model_fields.items()
                if _takes(field.annotation, kind)
            }
        elif _takes(annotation, kind):
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _names_taking(sub, kind)
    return names


def _takes(annotation: Any, kind: type) -> bool:
    return annotation is kind or kind in get_args(annotation)


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= {field.alias or name for name, field in annotation.model_fields.items()}
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def today() -> date:
    """Today's date (UTC). Tests override this dependency to pin "today"."""
    return datetime.now(UTC).date()


TodayDep = Annotated[date, Depends(today)]


@dataclass(frozen=True)
class ListParams:
    """`limit`, `cursor` and `format`, common to every list."""

    limit: int
    cursor: str | None
    format: Literal["json", "csv"] | None


async def list_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1–{MAX_LIMIT}).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="Opaque cursor from a previous page's `next_cursor`."),
    ] = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(
            description="`csv` streams every matching row as CSV (also chosen by "
            "`Accept: text/csv`); default JSON pages."
        ),
    ] = None,
) -> ListParams:
    return ListParams(limit, cursor, format)


ListParamsDep = Annotated[ListParams, Depends(list_params)]
