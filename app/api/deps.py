"""Dependencies shared by every route: the database session and list parameters."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from sqlmodel import Session

from app.api.paging import DEFAULT_LIMIT, MAX_LIMIT
from app.errors import InvalidParameterError


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_write_session(request: Request) -> Iterator[Session]:
    """A session for one write request; the route commits once, before it answers."""
    with Session(request.app.state.write_engine, expire_on_commit=False) as session:
        yield session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]


def reject_unknown_query_params(request: Request) -> None:
    """A typo in a filter must never silently return everything: unknown parameters are a 400."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    known = _query_names(route.dependant)
    for name in request.query_params:
        if name not in known:
            allowed = ", ".join(sorted(known)) or "none"
            raise InvalidParameterError(
                f"Unknown query parameter `{name}`. Allowed here: {allowed}.", parameter=name
            )


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


def today() -> date:
    """Today's date (UTC). Tests override this dependency to pin "today"."""
    return datetime.now(UTC).date()


TodayDep = Annotated[date, Depends(today)]


class ListParams:
    """`limit`, `cursor` and `format`, common to every list."""

    def __init__(
        self,
        limit: Annotated[
            int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (1–{MAX_LIMIT}).")
        ] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None,
            Query(
                max_length=500, description="Opaque cursor from a previous page's `next_cursor`."
            ),
        ] = None,
        format: Annotated[
            Literal["json", "csv"] | None,
            Query(
                description="`csv` streams every matching row as CSV (also chosen by "
                "`Accept: text/csv`); default JSON pages."
            ),
        ] = None,
    ) -> None:
        self.limit = limit
        self.cursor = cursor
        self.format = format


ListParamsDep = Annotated[ListParams, Depends()]
