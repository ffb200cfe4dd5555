"""What the routes cannot declare themselves, added to the OpenAPI schema centrally.

FastAPI documents each route's success and a 422 in its own validation-error format. This API
answers every error as an RFC 9457 problem (app/api/responses.py) with the statuses below, every
list also as CSV, and refuses a PATCH or DELETE without `If-Match` (428), which FastAPI cannot
call required. Which operations a rule applies to is read off the operation itself (its prefix,
path parameters, body, security, `If-Match` and `format` parameters), so a route added later is
documented without anyone having to remember it.
"""

from collections.abc import Callable
from typing import Any

from app.api.responses import PROBLEM_MEDIA_TYPE

Operation = dict[str, Any]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem. Extra members say more: `parameter` names the bad "
    "parameter, `errors` lists each invalid field, `current_version` follows a 412.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, for a human."},
        "instance": {"type": "string", "description": "The path of the request."},
    },
}


def _has(location: str) -> Callable[[str, Operation], bool]:
    return lambda _path, op: any(p["in"] == location for p in op.get("parameters", []))


def _has_parameter(name: str) -> Callable[[str, Operation], bool]:
    return lambda _path, op: any(p["name"] == name for p in op.get("parameters", []))


def _in_api(path: str, _op: Operation) -> bool:
    return path.startswith("/v1/")


def _has_body(_path: str, op: Operation) -> bool:
    return "requestBody" in op


def _secured(_path: str, op: Operation) -> bool:
    return bool(op.get("security"))


# (status, what it means, which operations answer it)
PROBLEMS: tuple[tuple[str, str, Callable[[str, Operation], bool]], ...] = (
    ("400", "An unknown query parameter, or a bad parameter value; `parameter` names it.", _in_api),
    ("401", "No API key, or an unknown or revoked one.", _secured),
    ("403", "The key lacks the scope this operation needs.", _secured),
    ("404", "No record has this id.", _has("path")),
    (
        "409",
        "The write conflicts with stored data (a duplicate, a record still referred to, or "
        "the same `Idempotency-Key` in flight); nothing was written.",
        _secured,
    ),
    (
        "412",
        "`If-Match` is not the record's current ETag; `current_version` says which is.",
        _has_parameter("if-match"),
    ),
    ("413", "The body is larger than the server's limit.", _has_body),
    ("415", "The body is not sent as JSON.", _has_body),
    (
        "422",
        "The body is not valid JSON, or breaks a rule of the record; `errors` lists why.",
        _has_body,
    ),
    ("428", "`If-Match` is missing.", _has_parameter("if-match")),
    (
        "503",
        "The database is busy; nothing was written. Retry after `Retry-After` seconds.",
        _secured,
    ),
)
CSV = {"schema": {"type": "string"}, "example": "id,name\r\n"}


def install_contract(schema: dict[str, Any]) -> None:
    """Document every problem each operation can answer, the CSV form of every list, and
    `If-Match` as required."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            responses = operation["responses"]
            responses.pop("422", None)  # FastAPI's own, in a format this API never answers
            for status, description, applies in PROBLEMS:
                if applies(path, operation):
                    responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if int(status) >= 400:
                    response["content"] = problem
            if _has_parameter("format")(path, operation):
                responses["200"]["content"]["text/csv"] = CSV
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "if-match":
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "title": "If-Match"}
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)
