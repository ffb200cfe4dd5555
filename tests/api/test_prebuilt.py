"""`app.api.prebuilt`: a statement run on the driver's cursor answers what SQLAlchemy would,
inside the connection's transaction (or none), and fails with SQLAlchemy's errors."""

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, col, func

from app.api.prebuilt import Prebuilt, one_of
from app.commitments.service import COMMITMENT_TABLE
from app.db import single_statement_reader
from app.models import Commitment, StatusEvent
from tests.support.transactions import in_transaction

_ID: sa.BindParameter[str] = sa.bindparam("commitment_id")
_DAY = sa.bindparam("day", type_=sa.Date())
# A constant (the literal) and a parameter with a bind processor on SQLite (the date).
EVENTS_UP_TO = (
    sa.select(func.count(), sa.literal("events"))
    .select_from(StatusEvent)
    .where(col(StatusEvent.commitment_id) == _ID, col(StatusEvent.occurred_on) <= _DAY)
)


def test_a_prebuilt_statement_answers_what_sqlalchemy_does(session: Session) -> None:
    prebuilt = Prebuilt(EVENTS_UP_TO)
    connection = session.connection()
    for commitment_id in session.execute(sa.select(col(Commitment.id))).scalars():
        for day in (date(2025, 10, 29), date(2025, 10, 30), date(2030, 1, 1)):
            values = {"commitment_id": commitment_id, "day": day}
            expected = connection.execute(EVENTS_UP_TO, values).one()
            assert prebuilt.first(connection, values) == tuple(expected)
    assert prebuilt.first(connection, {"commitment_id": "no-such", "day": date.today()}) == (
        0,
        "events",
    )


def test_no_row_is_none(session: Session) -> None:
    prebuilt = Prebuilt(sa.select(col(Commitment.id)).where(col(Commitment.id) == _ID))
    assert prebuilt.first(session.connection(), {"commitment_id": "no-such"}) is None


def test_it_reads_inside_the_connections_transaction(session: Session) -> None:
    commitment = session.execute(sa.select(Commitment)).scalars().first()
    assert commitment is not None
    commitment.title = "Seen before the commit"
    session.add(commitment)
    session.flush()
    prebuilt = Prebuilt(sa.select(col(Commitment.title)).where(col(Commitment.id) == _ID))
    row = prebuilt.first(session.connection(), {"commitment_id": commitment.id})
    assert row == ("Seen before the commit",)


def test_on_a_single_statement_reader_it_opens_no_transaction(seeded_engine: Engine) -> None:
    prebuilt = Prebuilt(sa.select(func.count()).select_from(Commitment))
    with single_statement_reader(seeded_engine).connect() as connection:
        row = prebuilt.first(connection, {})
        assert row is not None
        assert row[0] > 0
        assert not in_transaction(connection.connection.dbapi_connection)


def test_driver_errors_are_sqlalchemy_errors(session: Session) -> None:
    missing = sa.table("no_such_table", sa.column("id"))
    prebuilt = Prebuilt(sa.select(missing.c.id).where(missing.c.id == _ID))
    with pytest.raises(sa.exc.DBAPIError) as raised, session.begin_nested():
        prebuilt.first(session.connection(), {"commitment_id": "x"})
    assert "no_such_table" in str(raised.value)


def test_an_expanding_parameter_is_refused(session: Session) -> None:
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    with pytest.raises(ValueError, match="expanding"):
        Prebuilt(sa.select(col(Commitment.id)).where(col(Commitment.id).in_(ids))).first(
            session.connection(), {"ids": ["a"]}
        )


def test_one_of_matches_the_strings_bound_whatever_they_hold(session: Session) -> None:
    ids = list(
        session.execute(sa.select(col(Commitment.id)).order_by(col(Commitment.id))).scalars()
    )
    commitment_id = COMMITMENT_TABLE.c.id
    prebuilt = Prebuilt(sa.select(commitment_id).where(one_of(commitment_id, "ids")))
    connection = session.connection()
    assert sorted(row[0] for row in prebuilt.all(connection, {"ids": ids})) == ids
    awkward = [ids[0], "it's", 'a "quote"', "[1, 2]", "ünïcode ✓", "%(ids)s", "?", ids[-1]]
    assert sorted(row[0] for row in prebuilt.all(connection, {"ids": awkward})) == sorted(
        {ids[0], ids[-1]}
    )
    assert prebuilt.all(connection, {"ids": []}) == []
    # As a condition of its own: `… IN (…) = 1` would keep SQLite from using the index.
    assert "= 1" not in str(prebuilt.statement.compile(dialect=sqlite.dialect()))


def test_statement_listeners_hear_a_prebuilt_statement(session: Session) -> None:
    heard: list[tuple[str, str]] = []
    connection = session.connection()

    def before(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        heard.append(("before", statement))

    def after(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        heard.append(("after", statement))

    sa.event.listen(connection, "before_cursor_execute", before)
    sa.event.listen(connection, "after_cursor_execute", after)
    try:
        Prebuilt(sa.select(func.count()).select_from(Commitment)).first(connection, {})
    finally:
        sa.event.remove(connection, "before_cursor_execute", before)
        sa.event.remove(connection, "after_cursor_execute", after)
    assert [when for when, _ in heard] == ["before", "after"]
    assert all("count(" in statement for _, statement in heard)
