"""Hostile input is answered with a precise 4xx and writes nothing."""

import json

import httpx
import pytest
from sqlmodel import Session, func, select

from app.models import Actor, AuditEntry

pytestmark = pytest.mark.anyio

ACTOR = {"id": "hostile-test", "name": "Hostile", "kind": "person"}


def counts(session: Session) -> tuple[int, int]:
    actors = session.exec(select(func.count()).select_from(Actor)).one()
    audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
    return actors, audits


async def test_oversized_body_is_a_413(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    before = counts(session)
    huge = ACTOR | {"description": "x" * 2_000_000}
    response = await client.post("/v1/actors", json=huge, headers=writer)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert counts(session) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_wrong_content_type_is_a_415(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], content_type: str
) -> None:
    before = counts(session)
    response = await client.post(
        "/v1/actors",
        content=json.dumps(ACTOR).encode(),
        headers=writer | {"Content-Type": content_type},
    )
    assert response.status_code == 415
    assert counts(session) == before


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"id": "x",}',
        b"[1, 2",
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 1010 + "1" + "}" * 1010,
        b"\xff\xfe",
    ],
    ids=["garbage", "trailing-comma", "unclosed", "very-deep", "deeper-than-python", "bad-utf8"],
)
async def test_malformed_json_is_a_422(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], body: bytes | str
) -> None:
    before = counts(session)
    response = await client.post(
        "/v1/actors",
        content=body.encode() if isinstance(body, str) else body,
        headers=writer | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert counts(session) == before


@pytest.mark.parametrize("value", ["nul\x00byte", "lone\ud800surrogate"])
async def test_nul_bytes_and_lone_surrogates_are_refused(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], value: str
) -> None:
    before = counts(session)
    raw = json.dumps(ACTOR | {"name": value}).encode()
    response = await client.post(
        "/v1/actors", content=raw, headers=writer | {"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert counts(session) == before
