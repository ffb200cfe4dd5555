"""Checks shared by the filter models of every list."""

from datetime import date

from app.errors import InvalidParameterError


def require_ordered(low: date | None, high: date | None, low_name: str, high_name: str) -> None:
    """A range whose start is after its end is a 400 naming the start parameter."""
    if low is not None and high is not None and low > high:
        raise InvalidParameterError(
            f"`{low_name}` ({low}) is after `{high_name}` ({high}).", parameter=low_name
        )
