"""Keyset pagination with opaque cursors (sort value + id as tie-breaker, `limit + 1` fetched)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import orjson
import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import Session, func, select
from sqlmodel.sql.expression import SelectOfScalar

from app.errors import InvalidParameterError

# A mapped column as `sqlmodel.col()` returns it; typed loosely because SQLModel's stubs
# type class attributes as their Python values.
Column = Any

ItemT = TypeVar("ItemT")
RowT = TypeVar("RowT")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[ItemT]):
    """One page of a list. Follow `next_cursor` (or the `Link: rel="next"` header) for more."""

    items: list[ItemT]
    next_cursor: str | None = Field(
        description="Opaque cursor of the next page; null on the last page."
    )
    total: int | None = Field(
        description="Matching items, counted on the first page only (null on later pages)."
    )


@dataclass(frozen=True)
class SortKey:
    """Order by `column` (nulls last) then by id, which makes the order total.

    With no column the order is by id alone, ascending or descending.
    """

    name: str
    column: Column | None
    descending: bool = False


BY_ID = SortKey("id", None)


@dataclass
class PageResult(Generic[RowT]):
    rows: list[RowT]
    next_cursor: str | None
    total: int | None


def sort_key(value: str, columns: dict[str, Column]) -> SortKey:
    """`"-expires_on"` → SortKey(expires_on column, descending); `"id"` sorts by id alone."""
    name = value.removeprefix("-")
    return SortKey(value, columns.get(name), descending=value.startswith("-"))


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values, default=str)).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeEncodeError) as error:
        raise InvalidParameterError(
            "`cursor` is not a cursor this API issued", parameter="cursor"
        ) from error
    scalar = (str, int, float, type(None))
    if (
        not isinstance(values, list)
        or len(values) != 3
        or not all(isinstance(v, scalar) and not isinstance(v, bool) for v in values)
        or not isinstance(values[2], str | int)
    ):
        raise InvalidParameterError("`cursor` is not a cursor this API issued", parameter="cursor")
    return values


def _sort_value_from_cursor(column: Column, raw: Any) -> Any:
    if raw is None:
        return None
    column_type = column.type
    python_type = getattr(getattr(column_type, "impl", column_type), "python_type", object)
    try:
        if python_type in (date, datetime):
            return python_type.fromisoformat(raw)
        if python_type in (int, float):
            return python_type(raw)
    except (TypeError, ValueError) as error:
        raise InvalidParameterError(
            "`cursor` does not fit this sort order", parameter="cursor"
        ) from error
    if not isinstance(raw, str):
        raise InvalidParameterError("`cursor` does not fit this sort order", parameter="cursor")
    return raw


def paginate(
    session: Session,
    statement: SelectOfScalar[Any] | sa.Select[Any],
    *,
    id_column: Column,
    sort: SortKey,
    limit: int,
    cursor: str | None,
) -> PageResult[Any]:
    """Apply order, keyset condition and limit to `statement` (which selects the entity)."""
    total = None
    if cursor is None:
        # Over the ids alone: a row's other columns (JSON built per row, say) cost nothing.
        matching = statement.with_only_columns(id_column, maintain_column_froms=True)
        counted = select(func.count()).select_from(matching.order_by(None).subquery())
        total = session.connection().execute(counted).scalar_one()
    column = sort.column
    if cursor is not None:
        sort_name, raw_value, last_id = decode_cursor(cursor)
        if sort_name != sort.name:
            raise InvalidParameterError(
                f"`cursor` belongs to sort `{sort_name}`, not `{sort.name}`", parameter="cursor"
            )
        if column is None:
            after_id = id_column < last_id if sort.descending else id_column > last_id
            statement = statement.where(after_id)
        else:
            value = _sort_value_from_cursor(column, raw_value)
            statement = statement.where(_after(column, id_column, value, last_id, sort.descending))
    order: list[Any] = []
    if column is not None:
        direction = column.desc() if sort.descending else column.asc()
        order.append(direction.nulls_last())
        order.append(id_column.asc())
    else:
        order.append(id_column.desc() if sort.descending else id_column.asc())
    page = statement.order_by(*order).limit(limit + 1)
    # Entities through the ORM; a Core select of columns straight on the connection (faster).
    result = (
        session.exec(page)
        if isinstance(page, SelectOfScalar)
        else session.connection().execute(page)
    )
    rows: list[Any] = list(result.all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        sort_value = _value(last, column.key) if column is not None else None
        next_cursor = encode_cursor([sort.name, sort_value, _value(last, id_column.key)])
    return PageResult(rows=rows, next_cursor=next_cursor, total=total)


def _value(row: Any, key: str) -> Any:
    """`key` of a page's row: an entity, a Core row of columns, or a row whose first item is
    the entity."""
    if isinstance(row, sa.Row):
        mapping = row._mapping
        return mapping[key] if key in mapping else getattr(row[0], key)
    return getattr(row, key)


def _after(
    column: Column,
    id_column: Column,
    value: Any,
    last_id: Any,
    descending: bool,
) -> sa.ColumnElement[bool]:
    if value is None:
        return sa.and_(column.is_(None), id_column > last_id)
    beyond = column < value if descending else column > value
    return sa.or_(beyond, sa.and_(column == value, id_column > last_id), column.is_(None))
