"""The data version: a number that every committed write changes (migration 2026_12_02_0005).

Triggers on every table add one to `data_version.n` inside the writing transaction, so a reader
that sees a number also sees every write committed before it, and a number it saw once never
stands for other data later. Reading it is one indexed row.
"""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from app.api.prebuilt import Prebuilt

_CURRENT = Prebuilt(sa.select(sa.column("n")).select_from(sa.table("data_version")))

DataVersionReader = Callable[[], int]


def read(connection: Connection) -> int:
    row = _CURRENT.first(connection, {})
    if row is None:
        raise LookupError("data_version has no row: is the database migrated?")
    return int(row[0])


def reader(engine: Engine) -> DataVersionReader:
    """Reads the current version on a connection of its own from `engine`'s pool."""

    def current() -> int:
        with engine.connect() as connection:
            return read(connection)

    return current
