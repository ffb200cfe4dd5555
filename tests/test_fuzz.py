"""Schemathesis against the app's own OpenAPI schema, on a fresh database of each engine.

Every operation of the schema is fuzzed with every check schemathesis has (no 5xx; status
codes, content types, headers and bodies as documented; invalid input refused; valid input
accepted; auth enforced; unsupported methods refused with a true `Allow`), with a key holding
the `write` and `admin` scopes, so that writes really write. Then the stateful phase follows
the schema's OpenAPI links: create a record, read it, patch and delete it with the ETag the
last answer gave. Each engine gets a fresh database, migrated and seeded, and commits are real.
Run with `pytest -n 0 -s` to see the figures.

The run is bounded: FUZZ_EXAMPLES cases per operation (and stateful scenarios), in the phases
FUZZ_PHASES names. CI uses the defaults; `make fuzz` raises both for a release.
"""

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from app.config import Settings
from app.db import create_db_engine
from app.main import create_app
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.databases import migrate, new_key

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",")
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "6"))  # per stateful suite
STEPS = 6  # calls per stateful scenario, at most
PHASES_KNOWN = ("examples", "coverage", "fuzzing")  # of the stateless tests

# schemathesis' defaults, plus 412 in both. A well-formed `If-Match` that is not the record's
# current ETag is a 412 (the schema cannot say which ETag is current), as an id that does not
# exist is a 404. And a PATCH or DELETE whose `If-Match` is not current is refused with 412
# even when its body is invalid too: the precondition is a dependency, which FastAPI resolves
# before it validates the body. Either way nothing is written.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429"]
# 428 Precondition Required (RFC 6585) is the answer to a write without `If-Match`.
MISSING_HEADER = ["400", "401", "403", "406", "415", "422", "428"]


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "suppress-health-check": ["too_slow", "filter_too_much", "large_base_example"],
            "phases": {
                **{phase: {"enabled": phase in PHASES} for phase in PHASES_KNOWN},
                # Scenarios are for reaching records: valid data, without the NUL characters
                # the other phases send (and the app refuses), so that creates succeed.
                "stateful": {"generation": {"mode": "positive", "allow-x00": False}},
            },
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "checks": {
                # Replaced by `schema_valid_requests_are_accepted` below, which calls it.
                "positive_data_acceptance": {"enabled": False, "expected-statuses": ACCEPTED},
                "negative_data_rejection": {"expected-statuses": [*REJECTED, "5xx"]},
                "missing_required_header": {"expected-statuses": MISSING_HEADER},
            },
        }
    )


@schemathesis.check
def schema_valid_requests_are_accepted(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """schemathesis' `positive_data_acceptance`, except for a 400 or 422 that the app's own
    rules explain, which no schema can: a problem naming the `parameter` or `field` that is
    wrong against stored data (an unknown id or name, a cursor this API did not issue) or
    against another field (a range whose start is after its end), or whose errors each concern
    a whole object (a rule across its fields, or one on every string: no NUL character). An
    error on a single field means the schema promised what validation refuses: still a failure.
    """
    if response.status_code in (400, 422) and _is_problem(response):
        problem = response.json()
        if "parameter" in problem or "field" in problem:
            return None
        errors = problem.get("errors", [])
        if errors and all(_is_object(case, error["name"]) for error in errors):
            return None
    accepted: bool | None = schemathesis.checks.positive_data_acceptance(ctx, response, case)
    return accepted


def _is_problem(response: Response) -> bool:
    return response.headers.get("content-type", [""])[0] == "application/problem+json"


def _is_object(case: Case[Any], name: str) -> bool:
    """Whether an error's `name` (`body`, `new_claim`, `terms.0`) names an object of the body."""
    value = case.body
    for part in name.split(".") if name != "body" else []:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False
    return isinstance(value, dict)


class AppUnderTest:
    """The ASGI app schemathesis calls: the app on the engine being fuzzed (until there is one,
    an app without a database, which only serves the schema), and a key of that database."""

    def __init__(self) -> None:
        self.app = create_app(Settings(database_url="sqlite://"))
        self.engine_name = ""
        self.secret = ""
        self.calls: dict[str, Counter[str]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


UNDER_TEST = AppUnderTest()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", UNDER_TEST, config=config())
UNDER_TEST.app.state.engine.dispose()


@SCHEMA.auth(refresh_interval=None)
class WriteKey:
    """Every request carries the write and admin key as `Authorization: Bearer`."""

    def get(self, _case: Case[Any], _ctx: schemathesis.AuthContext) -> str:
        return UNDER_TEST.secret

    def set(self, case: Case[Any], secret: str, _ctx: schemathesis.AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {secret}"


@schemathesis.hook
def after_call(_context: HookContext, case: Case[Any], _response: Response) -> None:
    phase = case.meta.phase.name.value if case.meta is not None else "explicit"
    calls = UNDER_TEST.calls.setdefault(UNDER_TEST.engine_name, Counter())
    calls[phase] += 1


@pytest.fixture(scope="module", params=ENGINES)
def fuzzed(request: pytest.FixtureRequest, empty_database_url: DatabaseFactory) -> Iterator[str]:
    """A fresh migrated and seeded database of each engine, served to schemathesis."""
    url = empty_database_url(request.param, "fuzz")
    migrate(url, seed=True)
    _key_id, secret = new_key(url, ("write", "admin"))
    engine = create_db_engine(url)
    UNDER_TEST.app = create_app(Settings(database_url=url), engine)
    UNDER_TEST.engine_name, UNDER_TEST.secret = request.param, secret
    yield request.param
    calls = UNDER_TEST.calls.get(request.param, Counter())
    phases = {name: n for name, n in calls.items() if ":" not in name}
    links = {name: n for name, n in calls.items() if ":" in name}
    print(f"\n[{request.param}] {sum(phases.values())} cases {phases}; stateful {links}")
    engine.dispose()


@SCHEMA.parametrize()
def test_every_operation_keeps_its_contract(case: Case[Any], fuzzed: str) -> None:
    assert UNDER_TEST.engine_name == fuzzed
    case.call_and_validate()


# One stateful suite per kind of record: schemathesis starts scenarios only from operations it
# judges likely to succeed, and across the whole schema it picks only the lists and creates of
# claims and commitments (it takes `affiliation_id`, `publisher_id` and `from_id` for ids of
# records nothing creates). Links connect commitments, so they share a suite.
SUITES = {
    "actors": "/v1/actors",
    "sources": "/v1/sources",
    "claims": "/v1/claims",
    "commitments and links": "/v1/commitments|/v1/links",
}


@pytest.mark.parametrize("suite", SUITES)
def test_linked_operations_keep_their_contract_in_sequence(suite: str, fuzzed: str) -> None:
    """Scenarios along the OpenAPI links (create, read, patch and delete with the ETag each
    answer gave), every check after every call; and links were really followed, with values
    taken from earlier answers."""
    schema = SCHEMA.include(path_regex=f"^({SUITES[suite]})(/|$)")
    calls = UNDER_TEST.calls.setdefault(fuzzed, Counter())
    followed, reached = f"{suite}: links followed", f"{suite}: links followed to a 2xx"

    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def step(self, input: StepInput) -> StepOutput:
            output: StepOutput = super().step(input)
            if input.is_applied:
                calls[followed] += 1
                calls[reached] += output.response.status_code < 300
            return output

    settings = hypothesis.settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        phases=[hypothesis.Phase.generate],
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    try:
        Scenarios.run(settings=settings)
    except hypothesis.errors.FlakyStrategyDefinition:
        # Scenarios draw from the answers of a database that changes as they run, so a later
        # scenario can draw differently after the same first steps, which Hypothesis reports as
        # inconsistent generation. Like schemathesis' own runner, take it as the end of the
        # suite, not as a failure of the API: a failed check raises its own error.
        pass
    assert calls[followed] > 0, dict(calls)


def test_every_record_an_answer_names_links_to_its_operations() -> None:
    """Each 201 that answers a record links to every operation on it (PATCH and DELETE with
    its ETag as `If-Match`)."""
    paths = SCHEMA.raw_schema["paths"]
    creates = [
        path
        for path, operations in paths.items()
        if "201" in operations.get("post", {}).get("responses", {})
        and not path.startswith("/v1/tombstones/")
    ]
    assert len(creates) == 6
    for path in creates:
        links = paths[path]["post"]["responses"]["201"].get("links", {})
        record = path.removesuffix("/status") if path.endswith("/status") else None
        targets = {
            f"{method.upper()} {target}"
            for target, operations in paths.items()
            if target.startswith(record or path + "/{") and target != path
            for method in operations
        }
        assert targets, path
        assert targets <= set(links), (path, targets - set(links))
        for name, link in links.items():
            if name.startswith(("PATCH", "DELETE")):
                assert link["parameters"]["header.if-match"] == "$response.header.ETag", name
