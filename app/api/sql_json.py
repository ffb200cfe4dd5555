"""JSON built by the database, for hot reads that hand rows straight to the response.

Each construct here compiles to SQLite's JSON1 functions or to PostgreSQL's, so that one
statement serves both engines. What comes back is JSON text in the API's own conventions:
timestamps in UTC with a `Z` (as `app.api.responses.json_bytes` writes them), dates as
`YYYY-MM-DD`, floats exact to the last bit. `tests/api/test_sql_json.py` checks the text
against what the response models write, on both engines.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class json_object(FunctionElement[Any]):  # noqa: N801 (reads as the SQL function it is)
    """`json_object(key, value, …)` from alternating keys and values."""

    type = sa.String()
    inherit_cache = True

    def __init__(self, fields: dict[str, Any]) -> None:
        arguments: list[Any] = []
        for key, value in fields.items():
            arguments += [sa.literal_column(f"'{key}'"), value]
        super().__init__(*arguments)


@compiles(json_object, "sqlite")
def _json_object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "postgresql")
def _json_object_postgresql(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


class json_text(FunctionElement[str]):  # noqa: N801
    """A JSON value as text for the client: PostgreSQL's `json` would be parsed by the driver."""

    type = sa.String()
    inherit_cache = True


@compiles(json_text, "sqlite")
def _json_text_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(json_text, "postgresql")
def _json_text_postgresql(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


class json_nested(FunctionElement[Any]):  # noqa: N801
    """JSON coming out of a subquery, to be nested as JSON (SQLite forgets across a subquery
    that a text is JSON, and would quote it)."""

    type = sa.String()
    inherit_cache = True


@compiles(json_nested, "sqlite")
def _json_nested_sqlite(element: json_nested, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json({compiler.process(element.clauses, **kw)})"


@compiles(json_nested, "postgresql")
def _json_nested_postgresql(element: json_nested, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class json_string(FunctionElement[Any]):  # noqa: N801
    """A text column as a JSON string, to be an item of `json_array`."""

    type = sa.String()
    inherit_cache = True


@compiles(json_string, "sqlite")
def _json_string_sqlite(element: json_string, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_quote({compiler.process(element.clauses, **kw)})"


@compiles(json_string, "postgresql")
def _json_string_postgresql(element: json_string, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_json({compiler.process(element.clauses, **kw)})"


class _json_array_agg(FunctionElement[Any]):  # noqa: N801
    type = sa.String()
    inherit_cache = True


@compiles(_json_array_agg, "sqlite")
def _json_array_agg_sqlite(element: _json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json({compiler.process(element.clauses, **kw)}))"


@compiles(_json_array_agg, "postgresql")
def _json_array_agg_postgresql(element: _json_array_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"coalesce(json_agg({compiler.process(element.clauses, **kw)}), '[]'::json)"


def json_array(
    item: sa.ColumnElement[Any], rows: sa.Select[Any], *correlated: sa.FromClause
) -> sa.ColumnElement[Any]:
    """The JSON array of `item` (JSON: an object, or a `json_string`) over the ordered `rows`
    (a select with its WHERE and ORDER BY but no columns yet), correlated to the enclosing
    statement's `correlated` tables; `[]` when there are none.

    The items come from an ordered subquery: SQLite before 3.44 has no ORDER BY inside an
    aggregate, and both engines aggregate a sorted subquery in its order.
    """
    ordered = rows.add_columns(item.label("item")).correlate(*correlated).subquery()
    return json_nested(sa.select(_json_array_agg(ordered.c.item)).scalar_subquery())


class utc_timestamp(FunctionElement[str]):  # noqa: N801
    """A UTC timestamp column as the API writes it: `2025-10-30T04:05:06.123456Z`, with no
    fraction when it is zero (orjson's `OPT_UTC_Z` form)."""

    type = sa.String()
    inherit_cache = True


@compiles(utc_timestamp, "sqlite")
def _utc_timestamp_sqlite(element: utc_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'.
    value = compiler.process(element.clauses, **kw)
    return (
        f"(substr({value}, 1, 10) || 'T' || substr({value}, 12, 8)"
        f" || CASE WHEN substr({value}, 21) IN ('', '000000') THEN ''"
        f" ELSE '.' || substr({value}, 21) END || 'Z')"
    )


@compiles(utc_timestamp, "postgresql")
def _utc_timestamp_postgresql(element: utc_timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    value = f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({value}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_trunc('second', {value}) = {value} THEN ''"
        f" ELSE to_char({value}, '.US') END || 'Z')"
    )


class json_float(FunctionElement[Any]):  # noqa: N801
    """A float column as a JSON number that reads back as the same double.

    SQLite's JSON functions keep 15 significant digits (0.1 + 0.2 would come out as 0.3);
    17 always round-trip. PostgreSQL writes the shortest exact form already.
    """

    type = sa.String()
    inherit_cache = True


@compiles(json_float, "sqlite")
def _json_float_sqlite(element: json_float, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"CASE WHEN {value} IS NULL THEN NULL ELSE json(printf('%!.17g', {value})) END"


@compiles(json_float, "postgresql")
def _json_float_postgresql(element: json_float, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)
