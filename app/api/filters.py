"""Checks shared by the filter models of every list, and types shared by every request."""

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

from app.errors import InvalidParameterError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def iso_date(value: Any) -> Any:
    """A date must be written `YYYY-MM-DD`: pydantic alone reads a number (`0`, or `"0"` in a
    query string) as a Unix timestamp, which the schema's `format: date` does not allow."""
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("expected a date as YYYY-MM-DD")


def iso_datetime(value: Any) -> Any:
    """A time must be an RFC 3339 date-time (`2025-10-30T09:00:00Z`), not a number."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return value
    raise ValueError("expected a date and time as YYYY-MM-DDTHH:MM[:SS][zone]")


IsoDate = Annotated[date, BeforeValidator(iso_date)]


def not_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """A model's `json_schema_extra` for the fields of a partial update that may be left out
    but not set to null: the model keeps `X | None` (None is "not sent", and a validator
    refuses an explicit null), while the schema offers only X."""

    def drop_null(schema: dict[str, Any]) -> None:
        for name in names:
            field = schema["properties"][name]
            field.update(next(b for b in field.pop("anyOf") if b != {"type": "null"}))

    return drop_null


def require_ordered(low: date | None, high: date | None, low_name: str, high_name: str) -> None:
    """A range whose start is after its end is a 400 naming the start parameter."""
    if low is not None and high is not None and low > high:
        raise InvalidParameterError(
            f"`{low_name}` ({low}) is after `{high_name}` ({high}).", parameter=low_name
        )
