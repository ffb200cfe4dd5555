"""Reads of one statement run outside a transaction (`app.db.single_statement_reader`); every
other connection still opens one, as the reads of several statements and the writes need."""

from sqlalchemy import Engine, text

from app.db import single_statement_reader
from tests.support.transactions import in_transaction


def open_transaction_after_a_read(engine: Engine) -> bool:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM commitment")).scalar_one() > 0
        return in_transaction(connection.connection.dbapi_connection)


def test_a_single_statement_read_opens_no_transaction(seeded_engine: Engine) -> None:
    assert open_transaction_after_a_read(seeded_engine)
    assert not open_transaction_after_a_read(single_statement_reader(seeded_engine))
    # The pool hands the same connections back to ordinary reads, in a transaction again.
    assert open_transaction_after_a_read(seeded_engine)
