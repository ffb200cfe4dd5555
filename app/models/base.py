"""Shared column helpers and the metadata every table registers on."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Request schemas built on the SQLModel families reject unknown fields. SQLModel ignores the
# `extra=` class keyword, so it has to be set through model_config (typed as its own dict).
FORBID_EXTRA: Any = {"extra": "forbid"}

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MAX = 120


def utcnow() -> datetime:
    return datetime.now(UTC)


def vocab_type(enum: type[StrEnum], column: str) -> sa.Enum:
    """A VARCHAR with a CHECK constraint (named after `column`): vocabularies can grow
    without the ALTER TYPE dance that native PostgreSQL enums need."""
    return sa.Enum(
        enum,
        name=column,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def slug_field(description: str, **kwargs: Any) -> Any:
    return Field(
        primary_key=True,
        max_length=SLUG_MAX,
        regex=SLUG_PATTERN,
        description=description,
        **kwargs,
    )


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:  # noqa: ARG002
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def aware_datetime() -> UTCDateTime:
    return UTCDateTime()


class Versioned(SQLModel):
    """Bookkeeping columns every top-level entity carries (its ETag derives from `version`)."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=aware_datetime(), nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=aware_datetime(), nullable=False)
    version: int = Field(default=1, nullable=False)
