"""The audit log and per-record history: who wrote what, when, before and after."""

import hashlib
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.models import ApiKey, AuditEntry
from tests.support.http import walk

pytestmark = pytest.mark.anyio

SUBJECT = "audit-subject"


@pytest.fixture
def key_ids(session: Session, keys: dict[str, str]) -> dict[str, int]:
    ids = {}
    for scope, secret in keys.items():
        digest = hashlib.sha256(secret.encode()).hexdigest()
        key = session.exec(select(ApiKey).where(ApiKey.secret_sha256 == digest)).one()
        assert key.id is not None
        ids[scope] = key.id
    return ids


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time 14 hours ahead of UTC, so reading a naive time as local time shows."""
    monkeypatch.setenv("TZ", "XST-14")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def create_update_delete(
    client: httpx.AsyncClient, keys: dict[str, str], actor_id: str = SUBJECT
) -> None:
    """Create with the write key, update with it, delete with the admin key."""
    body = {"id": actor_id, "name": "Audit Subject", "kind": "organisation"}
    created = await client.post("/v1/actors", json=body, headers=bearer(keys["write"]))
    assert created.status_code == 201, created.text
    url = f"/v1/actors/{actor_id}"
    updated = await client.patch(
        url,
        json={"role": "observer"},
        headers=bearer(keys["write"]) | {"If-Match": created.headers["etag"]},
    )
    assert updated.status_code == 200, updated.text
    deleted = await client.delete(
        url, headers=bearer(keys["admin"]) | {"If-Match": updated.headers["etag"]}
    )
    assert deleted.status_code == 204, deleted.text


async def entries(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None, "a filter test outgrew one page"
    items: list[dict[str, Any]] = body["items"]
    return items


def moment(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["occurred_at"])


async def test_writes_are_audited_with_the_key_id_action_and_both_states(
    client: httpx.AsyncClient, keys: dict[str, str], key_ids: dict[str, int]
) -> None:
    await create_update_delete(client, keys)
    response = await client.get("/v1/audit", params={"entity_id": SUBJECT})
    found = response.json()["items"]
    assert [e["action"] for e in found] == ["create", "update", "delete"]
    assert [e["api_key_id"] for e in found] == [
        key_ids["write"],
        key_ids["write"],
        key_ids["admin"],
    ]
    assert {e["entity_type"] for e in found} == {"actor"}
    create, update, delete = found
    assert create["before"] is None
    assert create["after"]["name"] == "Audit Subject"
    assert update["before"]["role"] is None
    assert update["after"]["role"] == "observer"
    assert delete["before"]["role"] == "observer"
    assert delete["after"] is None
    assert [e["id"] for e in found] == sorted(e["id"] for e in found)
    assert moment(create) <= moment(update) <= moment(delete)
    assert all(moment(e).utcoffset() == timedelta(0) for e in found)
    for secret in keys.values():
        assert secret not in response.text
        assert hashlib.sha256(secret.encode()).hexdigest() not in response.text


async def test_each_filter_narrows_to_what_it_names(
    client: httpx.AsyncClient, keys: dict[str, str], key_ids: dict[str, int]
) -> None:
    await create_update_delete(client, keys, "audit-one")
    await create_update_delete(client, keys, "audit-two")
    assert [e["action"] for e in await entries(client, entity_id="audit-one")] == [
        "create",
        "update",
        "delete",
    ]
    sources = await entries(client, entity_type="source")
    assert sources
    assert {e["entity_type"] for e in sources} == {"source"}
    assert {e["api_key_id"] for e in sources} == {None}  # loaded by the seed loader
    by_writer = await entries(client, api_key_id=key_ids["write"])
    assert {(e["entity_id"], e["action"]) for e in by_writer} == {
        (actor, action) for actor in ("audit-one", "audit-two") for action in ("create", "update")
    }
    by_admin = await entries(client, api_key_id=key_ids["admin"], action="delete")
    assert [e["entity_id"] for e in by_admin] == ["audit-one", "audit-two"]
    updates = await entries(client, action="update", entity_type="actor")
    assert [e["entity_id"] for e in updates] == ["audit-one", "audit-two"]
    assert await entries(client, entity_type="claim", entity_id="audit-one") == []
    assert await entries(client, api_key_id=key_ids["revoked"]) == []


@pytest.mark.usefixtures("far_from_utc")
async def test_since_is_inclusive_until_exclusive_and_a_naive_time_is_utc(
    client: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    await create_update_delete(client, keys)
    create, update, delete = await entries(client, entity_id=SUBJECT)
    pivot = moment(update)
    assert pivot.utcoffset() == timedelta(0)
    naive = pivot.replace(tzinfo=None).isoformat()
    in_seoul = pivot.astimezone(timezone(timedelta(hours=9)))
    for written in (naive, pivot.isoformat(), in_seoul.isoformat()):
        since = await entries(client, entity_id=SUBJECT, since=written)
        until = await entries(client, entity_id=SUBJECT, until=written)
        assert [e["action"] for e in since] == ["update", "delete"], written
        assert [e["action"] for e in until] == ["create"], written
    window = await entries(
        client,
        entity_id=SUBJECT,
        since=moment(create).isoformat(),
        until=moment(delete).isoformat(),
    )
    assert [e["action"] for e in window] == ["create", "update"]
    # A naive time read as local time (UTC+14 here) would move the pivot by 14 hours.
    later = (pivot + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    assert await entries(client, entity_id=SUBJECT, since=later) == []


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"since": "2025-11-02T00:00:00Z", "until": "2025-11-01T00:00:00Z"}, "since"),
        ({"since": "2025-11-02T09:00:00+09:00", "until": "2025-11-01T12:00:00"}, "since"),
        ({"since": "last tuesday"}, "since"),
        ({"action": "erase"}, "action"),
        ({"entity_type": "planet"}, "entity_type"),
        ({"api_key_id": "0"}, "api_key_id"),
        ({"who": "me"}, "who"),
    ],
)
async def test_a_bad_filter_is_a_400_naming_it(
    client: httpx.AsyncClient, params: dict[str, str], parameter: str
) -> None:
    response = await client.get("/v1/audit", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    named = {body.get("parameter")} | {e["name"] for e in body.get("errors", [])}
    assert parameter in named, body


async def test_walking_the_pages_returns_every_entry_once_in_order(
    client: httpx.AsyncClient, session: Session, keys: dict[str, str], key_ids: dict[str, int]
) -> None:
    for n in range(3):
        await create_update_delete(client, keys, f"audit-page-{n}")
    stored = set(session.exec(select(AuditEntry.id)).all())
    first = (await client.get("/v1/audit", params={"limit": 37})).json()
    assert (
        first["total"] == len(stored) == session.exec(select(func.count(col(AuditEntry.id)))).one()
    )
    walked = [e["id"] for e in await walk(client, "/v1/audit?limit=37")]
    assert len(walked) == len(set(walked)) == len(stored)
    assert set(walked) == stored
    assert walked == sorted(walked)
    mine = await walk(client, f"/v1/audit?limit=2&api_key_id={key_ids['write']}")
    assert [(e["entity_id"], e["action"]) for e in mine] == [
        (f"audit-page-{n}", action) for n in range(3) for action in ("create", "update")
    ]


async def test_history_lists_create_update_and_delete_even_after_the_delete(
    client: httpx.AsyncClient, keys: dict[str, str], key_ids: dict[str, int]
) -> None:
    await create_update_delete(client, keys)
    assert (await client.get(f"/v1/actors/{SUBJECT}")).status_code == 404
    response = await client.get(f"/v1/history/actor/{SUBJECT}")
    assert response.status_code == 200, response.text
    history = response.json()["items"]
    assert [e["action"] for e in history] == ["create", "update", "delete"]
    assert [e["api_key_id"] for e in history] == [
        key_ids["write"],
        key_ids["write"],
        key_ids["admin"],
    ]
    create, update, delete = history
    assert update["before"] == create["after"]
    assert delete["before"] == update["after"]
    assert (await client.get("/v1/history/source/" + SUBJECT)).json()["items"] == []
    seeded = (await client.get("/v1/history/actor/china")).json()["items"]
    assert [e["action"] for e in seeded] == ["create"]
    assert seeded[0]["api_key_id"] is None
