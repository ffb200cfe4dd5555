"""Whether a driver connection is inside a transaction, on either driver."""

from typing import Any


def in_transaction(dbapi_connection: Any) -> bool:
    if hasattr(dbapi_connection, "in_transaction"):  # sqlite3
        return bool(dbapi_connection.in_transaction)
    return bool(dbapi_connection.info.transaction_status.name != "IDLE")  # psycopg
