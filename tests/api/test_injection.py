"""Injection strings, huge numbers, over-long ids and mass assignment: never a 5xx.

Every filter answers an injection string with an honest 200 (an exact-match filter then
matches nothing) or a 400 problem naming the parameter; huge numbers and over-long ids get a
precise 4xx; a body that sets what only the server sets (ids, versions, timestamps, the status,
its history, audit fields) or a field that does not exist is a 422 naming it. Nothing is ever
written. The filters, path parameters, body fields and server-owned fields tried are read from
the app's own OpenAPI schema, so whatever a later change adds is attacked too.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.api.deps import MAX_INTEGER
from app.models import Actor, Claim, Commitment, CommitmentLink, Source
from app.vocab import LinkKind
from tests.support.databases import row_counts
from tests.support.routes import Operation, operations, schema_without_database

pytestmark = pytest.mark.anyio

SCHEMA = schema_without_database()
OPERATIONS = operations(SCHEMA)
LONG_ID = "a" * 10_000
WORD = re.compile(r"[^\W_]+")

INJECTIONS = [
    "' OR 1=1 --",
    '"; DROP TABLE claim; --',
    "x' UNION SELECT id, text FROM source --",
    "%",
    "_",
    "%china%",
    "\\",
    "\\' OR 1=1 --",
    "\u2019 OR \u20181\u2019=\u20181",  # typographic quotes
    "\uff07 OR 1=1 \uff0d\uff0d",  # fullwidth apostrophe and hyphens
    "NEAR(tariff soybean, 2)",
    "NEAR(",
    '"unbalanced',
    "*",
    "tariff*",
    "title:china",
    "!:&|",
    "tariff & !soybean | (fentanyl",
    "tariff:*",
    "<->",
    "\x00",
    "tariff\x00' --",
]

# A date, an enum, a boolean or a number cannot take any of them: a sample is enough there.
INJECTIONS_FOR_TYPED = ["' OR 1=1 --", '"; DROP TABLE claim; --', "%", "\\", "NEAR(", "\x00"]


# ---------------------------------------------------------------------------------------------
# Reading the schema


def resolve(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def value_schema(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of one value: `$ref`s followed, `null` options and arrays looked through."""
    schema = resolve(schema)
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if options:
        schema = resolve(options[0])
    if schema.get("type") == "array":
        schema = resolve(schema.get("items", {}))
    return schema


def is_free_text(schema: Mapping[str, Any]) -> bool:
    value = value_schema(schema)
    return value.get("type") == "string" and "enum" not in value and "format" not in value


def is_integer(schema: Mapping[str, Any]) -> bool:
    return value_schema(schema).get("type") == "integer"


def parameters(op: Operation, where: str) -> list[Mapping[str, Any]]:
    return [p for p in op.spec.get("parameters", []) if p["in"] == where]


def request_schema(op: Operation) -> Mapping[str, Any] | None:
    content = op.spec.get("requestBody", {}).get("content", {})
    return resolve(content["application/json"]["schema"]) if content else None


def response_schema(op: Operation) -> Mapping[str, Any]:
    for status, response in op.spec["responses"].items():
        if status.startswith("2"):
            return resolve(response["content"]["application/json"]["schema"])
    raise AssertionError(f"{op} documents no 2xx answer")


def sample(schema: Mapping[str, Any]) -> Any:
    """A well-typed value for a field of this schema."""
    schema = resolve(schema)
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if options:
        return sample(options[0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = str(schema.get("type"))
    if kind == "string":
        return {"date": "2025-11-01", "date-time": "2025-11-01T00:00:00Z"}.get(
            schema.get("format", ""), "set-by-client"
        )
    return {"integer": 99, "number": 1.5, "boolean": True, "array": [], "object": {}}.get(kind)


FILTERED_READS = [op for op in OPERATIONS if op.is_read and parameters(op, "query")]
INTEGER_FILTERS = [
    (op, p["name"])
    for op in FILTERED_READS
    for p in parameters(op, "query")
    if is_integer(p["schema"])
]
ID_PATHS = [
    (op, p["name"])
    for op in OPERATIONS
    for p in parameters(op, "path")
    if "enum" not in value_schema(p["schema"])
]
BODY_WRITES = [op for op in OPERATIONS if request_schema(op) is not None]

# Fields no client sets, whatever the resource: bookkeeping, history and audit. (Those a
# request schema does accept, such as a create's `id`, are dropped per operation.)
SERVER_OWNED = {
    "id",
    "version",
    "created_at",
    "updated_at",
    "status",
    "status_history",
    "recorded_at",
    "api_key_id",
    "occurred_at",
    "before",
    "after",
    "deleted_at",
    "text_sha256",
    "end_offset",
}
UNKNOWN_FIELDS = {"is_admin", "owner", "__proto__"}

# Free-text fields whose length is unlimited by design.
UNLIMITED_TEXT = {"text"}


def cases(pairs: list[tuple[Operation, str]]) -> list[Any]:
    """Parameters (operation, name), each with a readable id."""
    return [pytest.param(op, name, id=f"{op} {name}") for op, name in pairs]


def plain_words(payload: str) -> str | None:
    """The words `q` should search for: `q` is split at whitespace into terms, and inside a
    term punctuation only separates words (NULs are dropped). None when a term holds several
    words, whose adjacency the engines treat differently; "" when there is no word at all."""
    terms = [WORD.findall(term) for term in payload.replace("\x00", " ").split()]
    if any(len(words) > 1 for words in terms):
        return None
    return " ".join(words[0] for words in terms if words)


def hits(body: Mapping[str, Any]) -> tuple[Any, list[Any]]:
    return body.get("total"), [(item.get("type"), item["id"]) for item in body["items"]]


# ---------------------------------------------------------------------------------------------
# Answers


def names_in(body: Mapping[str, Any]) -> set[str]:
    named = {body.get("field"), body.get("parameter")}
    named |= {error.get("name") for error in body.get("errors", [])}
    return {str(name) for name in named if name}


def assert_refused(response: httpx.Response, status: int, name: str, what: str) -> None:
    """A problem+json with `status` that names `name` (or a part of it, `name.0`)."""
    summary = f"{what}: {response.status_code} {response.text[:300]}"
    assert response.status_code == status, summary
    assert response.headers["content-type"] == "application/problem+json", summary
    body = response.json()
    assert body["status"] == status, summary
    named = names_in(body)
    assert any(n == name or n.startswith(f"{name}.") for n in named), summary


# ---------------------------------------------------------------------------------------------
# Records to aim at


@dataclass
class Targets:
    """Existing ids for every path parameter, and a body each write would accept."""

    paths: dict[str, str]
    bodies: dict[str, dict[str, Any]]

    def body(self, op: Operation) -> dict[str, Any] | None:
        if request_schema(op) is None:
            return None
        assert str(op) in self.bodies, f"no valid body for {op}: add one to the targets fixture"
        return dict(self.bodies[str(op)])


@pytest.fixture
def targets(session: Session) -> Targets:
    def first(model: Any) -> Any:
        found = session.exec(select(model).order_by(col(model.id))).first()
        assert found is not None, model
        return found

    claim = first(Claim)
    commitments = list(session.exec(select(Commitment.id).order_by(col(Commitment.id))).all())
    linked = {(link.from_id, link.to_id) for link in session.exec(select(CommitmentLink))}
    free_pair = next(
        (a, b)
        for a in commitments
        for b in commitments
        if a != b and (a, b) not in linked and (b, a) not in linked
    )
    paths = {
        "actor_id": first(Actor).id,
        "source_id": first(Source).id,
        "claim_id": claim.id,
        "commitment_id": commitments[0],
        "link_id": str(first(CommitmentLink).id),
        "entity_id": first(Actor).id,
    }
    bodies: dict[str, dict[str, Any]] = {
        "POST /v1/actors": {"id": "hostile-actor", "name": "Hostile", "kind": "person"},
        "PATCH /v1/actors/{actor_id}": {"role": "a role set by the hostile tests"},
        "POST /v1/sources": {"id": "hostile-source", "text": "Some text.", "kind": "news"},
        "PATCH /v1/sources/{source_id}": {"notes": "set by the hostile tests"},
        "POST /v1/claims": {
            "id": "hostile-claim",
            "source_id": claim.source_id,
            "quote": claim.quote,
            "start_offset": claim.start_offset,
            "kind": "report",
        },
        "PATCH /v1/claims/{claim_id}": {"attribution": "set by the hostile tests"},
        "POST /v1/commitments": {
            "id": "hostile-commitment",
            "title": "A hostile commitment",
            "topic": "tariffs",
            "action": "reduce",
            "obligors": [first(Actor).id],
        },
        "PATCH /v1/commitments/{commitment_id}": {"description": "set by the hostile tests"},
        "POST /v1/commitments/{commitment_id}/status": {
            "occurred_on": "2025-11-11",
            "status": "in_effect",
            "note": "set by the hostile tests",
        },
        "POST /v1/links": {
            "from_id": free_pair[0],
            "to_id": free_pair[1],
            "kind": LinkKind.RECIPROCAL_OF.value,
        },
        "PATCH /v1/links/{link_id}": {"note": "set by the hostile tests"},
    }
    return Targets(paths, bodies)


@pytest.fixture
def admin(keys: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys['admin']}"}


async def etag_of(client: httpx.AsyncClient, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200, f"{url}: {response.text[:200]}"
    return response.headers["etag"]


# ---------------------------------------------------------------------------------------------
# Filters


def test_the_attack_surface_is_read_from_the_schema() -> None:
    filtered = {str(op) for op in FILTERED_READS}
    for path in ("/v1/commitments", "/v1/claims", "/v1/actors", "/v1/sources", "/v1/search"):
        assert f"GET {path}" in filtered
    assert {name for _op, name in INTEGER_FILTERS} >= {"limit", "api_key_id"}
    assert {name for _op, name in ID_PATHS} >= {"actor_id", "link_id", "entity_id"}
    assert len(BODY_WRITES) >= 11


@pytest.mark.parametrize("operation", [pytest.param(op, id=str(op)) for op in FILTERED_READS])
async def test_injection_strings_in_every_filter_are_answered_honestly(
    client: httpx.AsyncClient, session: Session, targets: Targets, operation: Operation
) -> None:
    url = operation.url(targets.paths)
    required = dict.fromkeys(operation.required_query(), "tariff")
    before = row_counts(session)
    unfiltered = await client.get(url, params=required)
    assert unfiltered.status_code == 200, unfiltered.text
    for parameter in parameters(operation, "query"):
        name = parameter["name"]
        free_text = is_free_text(parameter["schema"])
        for payload in INJECTIONS if free_text else INJECTIONS_FOR_TYPED:
            response = await client.get(url, params=required | {name: payload})
            what = f"{operation} with {name}={payload!r}"
            if response.status_code != 200:
                assert_refused(response, 400, name, what)
                continue
            assert free_text, f"{what}: a typed filter took it"
            if not response.headers["content-type"].startswith("application/json"):
                continue
            body = response.json()
            if "items" not in body:
                continue
            if name != "q":
                assert body["items"] == [], f"{what} matched {len(body['items'])} items"
                continue
            words = plain_words(payload)
            assert words != "", f"{what}: no word in it, yet no 400"
            if words is not None:
                plain = await client.get(url, params=required | {name: words})
                assert plain.status_code == 200, plain.text
                assert hits(body) == hits(plain.json()), f"{what} is not the words {words!r}"
    assert row_counts(session) == before


@pytest.mark.parametrize(("operation", "name"), cases(INTEGER_FILTERS))
async def test_huge_and_negative_numbers_are_a_400_naming_the_parameter(
    client: httpx.AsyncClient,
    session: Session,
    targets: Targets,
    operation: Operation,
    name: str,
) -> None:
    schema = value_schema(operation.parameter(name)["schema"])
    low, high = schema.get("minimum", -MAX_INTEGER), schema.get("maximum", MAX_INTEGER)
    required = dict.fromkeys(operation.required_query(), "tariff")
    before = row_counts(session)
    for number in sorted({low - 1, high + 1, MAX_INTEGER + 1, 2**63, 10**30, -(10**30)}):
        response = await client.get(
            operation.url(targets.paths), params=required | {name: str(number)}
        )
        assert_refused(response, 400, name, f"{operation} with {name}={number}")
    assert row_counts(session) == before


# ---------------------------------------------------------------------------------------------
# Ids


@pytest.mark.parametrize(("operation", "name"), cases(ID_PATHS))
async def test_over_long_ids_and_huge_numbers_in_paths_are_a_precise_4xx(
    client: httpx.AsyncClient,
    session: Session,
    targets: Targets,
    admin: dict[str, str],
    operation: Operation,
    name: str,
) -> None:
    schema = operation.parameter(name)["schema"]
    # A NUL character goes percent-encoded, as a client would have to send it.
    values = [str(MAX_INTEGER + 1), str(10**30)] if is_integer(schema) else [LONG_ID, "x%00y"]
    headers = admin | {"If-Match": "*"}
    before = row_counts(session)
    for value in values:
        url = operation.url(targets.paths | {name: value})
        response = await client.request(
            operation.method, url, json=targets.body(operation), headers=headers
        )
        what = f"{operation} with {name}={value[:20]!r}"
        if response.status_code == 404:  # no record has that id
            assert response.headers["content-type"] == "application/problem+json", what
        else:  # or a bad value, named
            assert_refused(response, 400, name, what)
    assert row_counts(session) == before


def over_long_fields() -> list[tuple[Operation, str]]:
    found = []
    for op in BODY_WRITES:
        schema = request_schema(op)
        assert schema is not None
        for field, spec in schema.get("properties", {}).items():
            if is_free_text(spec) and field not in UNLIMITED_TEXT:
                found.append((op, field))
    return found


@pytest.mark.parametrize(("operation", "field"), cases(over_long_fields()))
async def test_over_long_strings_and_references_in_bodies_are_a_422_naming_the_field(
    client: httpx.AsyncClient,
    session: Session,
    targets: Targets,
    admin: dict[str, str],
    operation: Operation,
    field: str,
) -> None:
    body = targets.body(operation)
    assert body is not None
    request = resolve(request_schema(operation) or {})
    spec = resolve(request["properties"][field])
    is_list = spec.get("type") == "array" or any(
        o.get("type") == "array" for o in spec.get("anyOf", [])
    )
    body[field] = [LONG_ID] if is_list else LONG_ID
    before = row_counts(session)
    response = await client.request(
        operation.method,
        operation.url(targets.paths),
        json=body,
        headers=admin | {"If-Match": "*"},
    )
    assert_refused(response, 422, field, f"{operation} with a 10,000-character {field}")
    assert row_counts(session) == before


async def test_over_long_ids_nested_in_bodies_are_a_422(
    client: httpx.AsyncClient, session: Session, targets: Targets, admin: dict[str, str]
) -> None:
    claim = targets.bodies["POST /v1/claims"] | {
        "commitments": [{"commitment_id": LONG_ID, "stance": "supports"}]
    }
    status = targets.bodies["POST /v1/commitments/{commitment_id}/status"] | {
        "new_claim": claim | {"id": "hostile-evidence", "speakers": [LONG_ID], "commitments": []}
    }
    before = row_counts(session)
    response = await client.post("/v1/claims", json=claim, headers=admin)
    assert_refused(response, 422, "commitments", "a claim bearing on an over-long id")
    url = f"/v1/commitments/{targets.paths['commitment_id']}/status"
    response = await client.post(url, json=status, headers=admin)
    assert response.status_code == 422, response.text[:300]
    assert "speakers" in response.text
    assert row_counts(session) == before


# ---------------------------------------------------------------------------------------------
# Mass assignment


def server_owned_fields(op: Operation) -> list[str]:
    """What the answer shows but the request may not set, plus bookkeeping and unknown fields."""
    request = request_schema(op)
    assert request is not None
    accepted = set(request.get("properties", {}))
    shown = set(response_schema(op).get("properties", {}))
    return sorted(((shown | SERVER_OWNED) - accepted) | UNKNOWN_FIELDS)


def test_mass_assignment_covers_history_and_bookkeeping() -> None:
    by_op = {str(op): set(server_owned_fields(op)) for op in BODY_WRITES}
    assert {"id", "version", "status", "status_history", "created_at"} <= by_op[
        "PATCH /v1/commitments/{commitment_id}"
    ]
    assert {"status", "status_history", "version"} <= by_op["POST /v1/commitments"]
    assert {"id", "recorded_at", "status_history"} <= by_op[
        "POST /v1/commitments/{commitment_id}/status"
    ]
    assert {"end_offset", "version"} <= by_op["POST /v1/claims"]
    assert {"text_sha256", "id"} <= by_op["PATCH /v1/sources/{source_id}"]


@pytest.mark.parametrize("operation", BODY_WRITES, ids=str)
async def test_mass_assignment_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    session: Session,
    targets: Targets,
    writer: dict[str, str],
    operation: Operation,
) -> None:
    url = operation.url(targets.paths)
    shown: dict[str, Any] = {}
    headers = dict(writer)
    if operation.method == "PATCH":
        current = await client.get(url)
        shown = current.json()
        headers["If-Match"] = current.headers["etag"]
    response_fields = response_schema(operation).get("properties", {})
    before = row_counts(session)
    for field in server_owned_fields(operation):
        value = shown[field] if field in shown else sample(response_fields.get(field, {}))
        body = targets.body(operation)
        assert body is not None
        body[field] = value
        response = await client.request(operation.method, url, json=body, headers=headers)
        assert_refused(response, 422, field, f"{operation} setting {field}={value!r}")
        assert row_counts(session) == before, f"{operation} setting {field} wrote something"
        if operation.method == "PATCH":
            assert await etag_of(client, url) == headers["If-Match"]
    # Without the extra field the same request goes through: the field alone was refused.
    accepted = await client.request(
        operation.method, url, json=targets.body(operation), headers=headers
    )
    assert accepted.status_code in (200, 201), accepted.text[:300]
