"""Alembic owns the schema: it upgrades and downgrades on both engines, with data in the database
losing no row, and matches the models."""

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app import schema
from app.config import Settings
from app.db import create_db_engine
from app.main import create_app
from app.models.base import UTCDateTime
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.databases import migrate, new_key
from tests.support.http import walk


@pytest.mark.parametrize("engine_name", ENGINES)
def test_upgrade_to_head_then_downgrade_to_base(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    url = empty_database_url(engine_name, "updown")
    schema.upgrade(url)
    engine = create_db_engine(url)
    try:
        assert schema.is_at_head(engine)
        tables = set(sa.inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        schema.downgrade(url, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        assert not schema.is_at_head(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine_name", ENGINES)
def test_models_and_migrations_do_not_drift(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    url = empty_database_url(engine_name, "drift")
    schema.upgrade(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": schema.include_name}
            )
            differences = compare_metadata(context, SQLModel.metadata)
        assert differences == []
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# Migrations under data


Rows = dict[str, tuple[list[str], Counter[tuple[Any, ...]]]]
REVISIONS = [
    revision.revision
    for revision in reversed(
        list(ScriptDirectory.from_config(schema.alembic_config("sqlite://")).walk_revisions())
    )
]  # first to head
FIRST = REVISIONS[0]


def table_rows(engine: Engine) -> Rows:
    """Every row of every table but Alembic's own, as the driver returns it."""
    rows: Rows = {}
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            if table == "alembic_version":
                continue
            result = connection.execute(sa.text(f'SELECT * FROM "{table}"'))
            rows[table] = (list(result.keys()), Counter(tuple(map(_frozen, r)) for r in result))
    return rows


def _frozen(value: Any) -> Any:
    """A JSON column's value, hashable."""
    return (
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        if isinstance(value, dict | list)
        else value
    )


def _projected(
    table: tuple[list[str], Counter[tuple[Any, ...]]], columns: list[str]
) -> Counter[Any]:
    names, rows = table
    at = [names.index(column) for column in columns]
    return Counter({tuple(row[i] for i in at): count for row, count in rows.items()})


def assert_no_row_lost(before: Rows, after: Rows, step: str, only: Rows | None = None) -> None:
    """Every table in both (or in `only`) holds the same rows, on the columns in both (or in
    `only`'s table)."""
    tables = (only or before).keys() & before.keys() & after.keys()
    assert tables, step
    for table in sorted(tables):
        names = (only or before)[table][0]
        columns = [c for c in names if c in before[table][0] and c in after[table][0]]
        assert _projected(before[table], columns) == _projected(after[table], columns), (
            f"{step}: rows of {table} changed"
        )


@asynccontextmanager
async def api(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on `engine`, with its own sessions and real commits."""
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url), engine)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def edit_through_the_api(client: httpx.AsyncClient, secret: str) -> None:
    """Creates, patches, deletes and status events, as a client would make them."""
    key = {"Authorization": f"Bearer {secret}"}

    async def send(method: str, url: str, status: int, body: Any = None) -> None:
        headers = key | ({"If-Match": "*"} if method in ("PATCH", "DELETE") else {})
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code == status, f"{method} {url}: {response.text}"

    actor = {"id": "migrated-agency", "name": "Migrated Agency", "kind": "government_body"}
    await send("POST", "/v1/actors", 201, actor | {"aliases": ["the Agency"]})
    await send("PATCH", "/v1/actors/migrated-agency", 200, {"role": "regulator"})
    await send("POST", "/v1/actors", 201, {"id": "short-lived", "name": "Gone", "kind": "person"})
    await send("DELETE", "/v1/actors/short-lived", 204)
    commitment = {
        "id": "migrated-promise",
        "title": "A promise made before a downgrade",
        "topic": "energy",
        "action": "cooperate",
        "obligors": ["migrated-agency"],
        "counterparties": ["china"],
        "expires_on": "2026-11-10",
        "expires_precision": "exact",
        "terms": [{"measure": "barrels", "from_value": 0, "to_value": 1.5e6, "unit": "bbl"}],
    }
    await send("POST", "/v1/commitments", 201, commitment)
    await send("PATCH", "/v1/commitments/migrated-promise", 200, {"description": "patched"})
    event = {"occurred_on": "2025-11-20", "status": "in_effect", "note": "started"}
    await send("POST", "/v1/commitments/migrated-promise/status", 201, event)
    link = {
        "from_id": "migrated-promise",
        "to_id": "china-soybean-purchases",
        "kind": "reciprocal_of",
    }
    await send("POST", "/v1/links", 201, link)
    exported = (await client.get("/v1/export")).json()
    claim = next(c for c in exported["claims"] if c["commitments"])
    await send("PATCH", f"/v1/claims/{claim['id']}", 200, {"attribution": "a migrated claim"})
    deletable = next(c for c in exported["claims"] if not c["commitments"])
    await send("DELETE", f"/v1/claims/{deletable['id']}", 204)


async def api_reads(client: httpx.AsyncClient, link_ids: list[int]) -> dict[str, Any]:
    """What a client reads: the export, every list and detail, search, insights, links."""
    reads: dict[str, Any] = {"export": (await client.get("/v1/export")).json()}
    for resource in ("commitments", "claims", "actors", "sources"):
        items = await walk(client, f"/v1/{resource}?limit=200")
        reads[resource] = items
        if resource != "claims":  # the claim list already shows all a claim's detail has
            for item in items:
                reads[f"{resource}/{item['id']}"] = (
                    await client.get(f"/v1/{resource}/{item['id']}")
                ).json()
    reads["timeline"] = await walk(client, "/v1/timeline?limit=200")
    for url in ("/v1/stats", "/v1/conflicts"):
        reads[url] = (await client.get(url)).json()
    for q in ("tariff", "soybean", "Beijing", "barrels", "Agency"):
        found = (await client.get("/v1/search", params={"q": q, "limit": 100})).json()
        assert found["total"] <= 100, q
        # Hits of equal rank in (type, id) order: SQLite leaves them in index order, which a
        # rebuilt index changes (see test_properties.py, test_search_ties_are_in_type_and_id_order).
        found["items"].sort(key=lambda hit: (-hit["rank"], hit["type"], hit["id"]))
        reads[f"search {q}"] = found
    for link_id in link_ids:
        link = (await client.get(f"/v1/links/{link_id}")).json()
        link.pop("version")  # bookkeeping added by a later revision: see the test
        reads[f"links/{link_id}"] = link
    return reads


def link_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(sa.text("SELECT id FROM commitment_link ORDER BY id")).scalars()
        )


@pytest.mark.anyio
@pytest.mark.parametrize("engine_name", ENGINES)
async def test_a_populated_database_goes_down_to_the_first_revision_and_back_losing_no_row(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    """Seeded and edited through the API at head, then down one revision at a time to the
    first and back up: no step loses a row of a table it keeps (on the columns it keeps), and
    at head again the API reads exactly what it read before.

    What a downgrade below a revision cannot keep is that revision's own: its tables (API
    keys, audit entries, tombstones, idempotency records, the search index, which the upgrade
    rebuilds) and its columns (a link's version and timestamps, back to 1 and the time of the
    upgrade).
    """
    url = empty_database_url(engine_name, "populated")
    migrate(url, seed=True)
    _key_id, secret = new_key(url)
    engine = create_db_engine(url)
    try:
        async with api(engine) as client:
            await edit_through_the_api(client, secret)
            links = link_ids(engine)
            before = await api_reads(client, links)
        at_head = table_rows(engine)
        assert at_head["audit_entry"][1], "the edits left no audit entry"
        assert at_head["tombstone"][1], "the edits left no tombstone"
        current, snapshots = at_head, {REVISIONS[-1]: at_head}
        down = list(reversed(REVISIONS[:-1]))
        for target, move in [(r, schema.downgrade) for r in down] + [
            (r, schema.upgrade) for r in REVISIONS[1:]
        ]:
            move(url, target)
            reached = table_rows(engine)
            assert_no_row_lost(current, reached, f"{move.__name__} to {target}")
            current = snapshots[target] = reached
        assert schema.is_at_head(engine)
        assert_no_row_lost(at_head, current, "the round trip", only=snapshots[FIRST])
        async with api(engine) as client:
            after = await api_reads(client, links)
        assert after.keys() == before.keys()
        for read in before:
            assert after[read] == before[read], read
    finally:
        engine.dispose()


NOW = datetime(2025, 11, 1, 12, 30, tzinfo=UTC)
STAMPS = {"created_at": NOW, "updated_at": NOW, "version": 1}
TYPED = {"created_at": UTCDateTime(), "updated_at": UTCDateTime(), "recorded_at": UTCDateTime()}
OLD_ROWS: dict[str, list[dict[str, Any]]] = {
    "actor": [
        {"id": "old-state", "name": "Old State", "kind": "state", **STAMPS},
        {"id": "old-ministry", "name": "Old Ministry", "kind": "government_body", **STAMPS}
        | {"affiliation_id": "old-state"},
    ],
    "actor_alias": [{"actor_id": "old-state", "alias": "Oldland"}],
    "commitment": [
        {"id": "old-promise", "title": "Quinoa purchases", "topic": "agriculture"}
        | {"action": "purchase", "status": "in_effect", **STAMPS},
        {"id": "old-reply", "title": "Tariff relief in return", "topic": "tariffs"}
        | {"action": "reduce", "status": "announced", **STAMPS},
    ],
    "commitment_party": [
        {"commitment_id": "old-promise", "actor_id": "old-state", "role": "obligor"},
        {"commitment_id": "old-reply", "actor_id": "old-ministry", "role": "obligor"},
    ],
    "status_event": [
        {"commitment_id": "old-promise", "occurred_on": date(2025, 11, 1)}
        | {"status": "in_effect", "recorded_at": NOW},
    ],
    "commitment_link": [
        {"from_id": "old-reply", "to_id": "old-promise", "kind": "reciprocal_of"}
        | {"note": "made before links had versions"},
    ],
}


@pytest.mark.anyio
@pytest.mark.parametrize("engine_name", ENGINES)
async def test_data_written_at_the_first_revision_upgrades_to_head_and_serves(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    """Rows written at the first revision survive each upgrade step, are found by the search
    index the next revision backfills, and the link gets the version the last one adds."""
    url = empty_database_url(engine_name, "first")
    schema.upgrade(url, FIRST)
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            for table, rows in OLD_ROWS.items():
                columns = [sa.column(name, TYPED.get(name)) for name in rows[0]]
                connection.execute(sa.table(table, *columns).insert(), rows)
        current = table_rows(engine)
        for target in REVISIONS[1:]:
            schema.upgrade(url, target)
            reached = table_rows(engine)
            assert_no_row_lost(current, reached, f"up to {target}")
            current = reached
        assert schema.is_at_head(engine)
        _key_id, secret = new_key(url)
        async with api(engine) as client:
            assert (await client.get("/readyz")).json() == {"status": "ready"}
            promise = (await client.get("/v1/commitments/old-promise")).json()
            assert promise["status"] == "in_effect"
            assert [p["id"] for p in promise["obligors"]] == ["old-state"]
            assert [(k["direction"], k["commitment_id"]) for k in promise["links"]] == [
                ("incoming", "old-reply")
            ]
            assert promise["created_at"] == "2025-11-01T12:30:00Z"
            for q, found in (("quinoa", "old-promise"), ("Oldland", "old-state")):
                hits = (await client.get("/v1/search", params={"q": q})).json()["items"]
                assert [hit["id"] for hit in hits] == [found], q
            [link_id] = link_ids(engine)
            link = await client.get(f"/v1/links/{link_id}")
            assert link.json()["version"] == 1
            headers = {"Authorization": f"Bearer {secret}", "If-Match": link.headers["etag"]}
            patched = await client.patch(
                f"/v1/links/{link_id}", json={"note": "edited at head"}, headers=headers
            )
            assert patched.status_code == 200, patched.text
            assert patched.json()["version"] == 2
    finally:
        engine.dispose()
