"""One way every list answers: a JSON page with a `Link` header, or the whole list as CSV.

CSV (`format=csv` or `Accept: text/csv`) streams every matching row in the list's sort order,
walking the same keyset pages internally, so memory stays flat however long the list is.
Nested values are flattened: lists of references become `;`-separated ids, other nested
values JSON.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

import orjson
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from app.api.deps import ListParams
from app.api.paging import PageResult
from app.api.responses import ORJSONResponse, json_bytes, set_next_link

# A page's items: response models, plain dicts of the same shape, or the JSON text of one
# that the database wrote (see `app.api.sql_json`).
Item = BaseModel | Mapping[str, Any] | orjson.Fragment
FetchPage = Callable[[int, str | None], tuple[Sequence[Item], PageResult[Any]]]

CSV_CHUNK = 500
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

ListFormat = Literal["json", "csv"]


def respond_page(
    request: Request, params: ListParams, fetch: "FetchPage", item_type: type[BaseModel]
) -> Response:
    """Answer one page as JSON, or (for CSV) every matching row from `params.cursor` on.

    The page is `Page[item_type]` in shape; it is written straight to JSON (see `json_bytes`).
    """
    streamed = csv_response(request, params, fetch, item_type)
    if streamed is not None:
        return streamed
    items, result = fetch(params.limit, params.cursor)
    page = {"items": items, "next_cursor": result.next_cursor, "total": result.total}
    response = ORJSONResponse(page)
    set_next_link(request, response, result.next_cursor)
    return response


def csv_response(
    request: Request, params: ListParams, fetch: FetchPage, item_type: type[BaseModel]
) -> StreamingResponse | None:
    """The whole list as streamed CSV when the client asked for CSV, else None."""
    if not _wants_csv(request, params.format):
        return None
    # The last path segment, in the characters a header can carry (an id may hold any).
    segment = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    filename = _UNSAFE_IN_FILENAME.sub("_", segment)
    # The first chunk is read now: a bad filter or cursor is then a 400 problem, which could
    # not be sent any more once the 200 and the CSV header line were on their way.
    first = fetch(CSV_CHUNK, params.cursor)
    return StreamingResponse(
        _csv_lines(fetch, first, csv_columns(item_type)),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def _wants_csv(request: Request, format_: ListFormat | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def csv_columns(item_type: type[BaseModel]) -> list[str]:
    names = list(item_type.model_fields)
    return ["id", *(name for name in names if name != "id")] if "id" in names else names


def _csv_lines(
    fetch: FetchPage, first: tuple[Sequence[Item], PageResult[Any]], columns: list[str]
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    items, result = first
    while True:
        writer.writerows(flatten(item) for item in items)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if result.next_cursor is None:
            return
        items, result = fetch(CSV_CHUNK, result.next_cursor)


def flatten(item: Item) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in orjson.loads(json_bytes(item)).items():
        if isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value):
            row[name] = ";".join(str(v["id"]) for v in value)
        elif isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
            row[name] = ";".join(str(v) for v in value)
        elif isinstance(value, dict | list):
            row[name] = orjson.dumps(value).decode()
        else:
            row[name] = value
    return row
