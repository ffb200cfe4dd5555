"""Fixed statements compiled once per dialect and run on the driver's cursor, for the hot reads.

SQLAlchemy computes a statement's cache key on every execution by walking the whole statement,
then builds an execution context and a result around the driver's cursor. For the nested JSON
statements of the hot reads (`app.api.sql_json`), which answer one row of a few plain values,
that costs more than the database's own work. A `Prebuilt` compiles its statement once per
dialect into SQL text in a paramstyle that takes a mapping (`:name` for sqlite3, `%(name)s`
for psycopg), keeps the constants the statement carries and the bind processors of its
parameters, and runs it on the connection's driver cursor, inside whatever transaction the
connection is in (none for `app.db.single_statement_reader`). Driver errors come out as
SQLAlchemy's, as from any other statement, so the app's error handlers see no difference, and
the connection's `before_cursor_execute`/`after_cursor_execute` listeners are called (with no
execution context) so that what records statements still sees these.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# The driver paramstyles that take a mapping, for each style a dialect may use by default.
MAPPING_STYLE = {"qmark": "named", "numeric": "named", "named": "named", "format": "pyformat"}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    constants: dict[str, Any]
    processors: dict[str, Callable[[Any], Any]]

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        bound = {**self.constants, **values}
        for name, process in self.processors.items():
            bound[name] = process(bound[name])
        return bound


class Prebuilt:
    def __init__(self, statement: sa.Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def first(
        self, connection: sa.Connection, parameters: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The statement's first row as a plain tuple, or None."""
        rows = self._run(connection, parameters, lambda cursor: [cursor.fetchone()])
        return None if rows[0] is None else tuple(rows[0])

    def all(self, connection: sa.Connection, parameters: Mapping[str, Any]) -> list[Any]:
        """The statement's rows, as the driver gives them (tuples on both drivers)."""
        return self._run(connection, parameters, lambda cursor: cursor.fetchall())

    def _run(
        self,
        connection: sa.Connection,
        parameters: Mapping[str, Any],
        fetch: Callable[[Any], list[Any]],
    ) -> list[Any]:
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _compile(self.statement, dialect)
        bound = compiled.parameters(parameters)
        cursor = connection.connection.cursor()
        events = connection.dispatch  # statement listeners (tests, bench.db_floor) still hear it
        try:
            if events.before_cursor_execute:
                events.before_cursor_execute(connection, cursor, compiled.sql, bound, None, False)
            cursor.execute(compiled.sql, bound)
            rows = fetch(cursor)
            if events.after_cursor_execute:
                events.after_cursor_execute(connection, cursor, compiled.sql, bound, None, False)
            return rows
        except dialect.loaded_dbapi.Error as error:
            raise DBAPIError.instance(
                compiled.sql, bound, error, dialect.loaded_dbapi.Error
            ) from error
        finally:
            cursor.close()


class _StringList(sa.types.TypeDecorator[list[str]]):
    """A list of strings bound as one value: JSON text on SQLite, an array on PostgreSQL."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: Iterable[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return orjson.dumps(list(value)).decode() if dialect.name == "sqlite" else list(value)


class _OneOf(FunctionElement[bool]):
    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a condition as it stands: no `= 1` on SQLite
    name = "one_of"


def one_of(column: sa.ColumnElement[str], name: str) -> sa.ColumnElement[bool]:
    """`column IN (…)` for a list of strings bound as `name`, in SQL text that does not depend
    on the list's length (an expanding `IN` is rewritten on every execution, and cannot be
    prebuilt)."""
    return _OneOf(column, sa.bindparam(name, type_=_StringList()))


@compiles(_OneOf, "sqlite")
def _one_of_sqlite(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} IN (SELECT value FROM json_each({values}))"


@compiles(_OneOf, "postgresql")
def _one_of_postgresql(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{column} = ANY({values})"


def _compile(statement: sa.Select[*tuple[Any, ...]], dialect: Dialect) -> _Compiled:
    # No casts after the placeholders (BindTyping.NONE): the values go to the driver as the
    # bind processors leave them, as they would through `text()`.
    dialect_class: Any = type(dialect)
    styled = dialect_class(paramstyle=MAPPING_STYLE.get(dialect.paramstyle, dialect.paramstyle))
    styled.bind_typing = BindTyping.NONE
    compiled = statement.compile(dialect=styled)
    binds = {name: bind for bind, name in compiled.bind_names.items()}  # as the SQL names them
    if any(bind.expanding for bind in binds.values()):
        raise ValueError("a prebuilt statement cannot take an expanding parameter")
    processors: dict[str, Callable[[Any], Any]] = {}
    for name, bind in binds.items():
        process = bind.type.bind_processor(dialect)
        if process is not None:
            processors[name] = process
    constants = {name: bind.value for name, bind in binds.items() if bind.value is not None}
    return _Compiled(str(compiled), constants, processors)
