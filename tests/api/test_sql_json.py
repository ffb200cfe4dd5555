"""JSON written by the database (`app.api.sql_json`) says exactly what the API's own JSON
would: awkward text, floats to the last bit, nulls, party and term order, timestamps."""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.api.responses import json_bytes
from app.commitments.schemas import CommitmentPublic
from app.models import Actor, Commitment
from tests.commitments.test_writes import NEW_ID, new_commitment

pytestmark = pytest.mark.anyio

AWKWARD_TEXT = 'Quotes " and \\ backslash, é, 中文, 🎉, a tab\t, a bell \x07 and\na newline'
AWKWARD_NUMBERS = [0.1, 0.30000000000000004, 1e20, -3.5e-7, 25.0, 123456789.12345679, None]


async def listed(client: httpx.AsyncClient, commitment_id: str) -> dict[str, Any]:
    response = await client.get("/v1/commitments", params={"limit": 200})
    assert response.status_code == 200, response.text
    items = [item for item in response.json()["items"] if item["id"] == commitment_id]
    assert len(items) == 1
    CommitmentPublic.model_validate(items[0])
    item: dict[str, Any] = items[0]
    return item


async def test_awkward_text_and_numbers_come_back_exactly(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    actors = session.exec(select(Actor.id).order_by(col(Actor.id)).limit(4)).all()
    terms = [
        {"measure": f"measure {i}", "from_value": number, "to_value": number, "unit": "x"}
        for i, number in enumerate(AWKWARD_NUMBERS)
    ]
    body = new_commitment(
        session,
        title=AWKWARD_TEXT,
        description=AWKWARD_TEXT,
        obligors=[actors[2], actors[0]],
        counterparties=[actors[3], actors[1]],
        terms=terms,
    )
    created = await client.post("/v1/commitments", json=body, headers=writer)
    assert created.status_code == 201, created.text

    for item in (await listed(client, NEW_ID), created.json()):
        assert item["title"] == item["description"] == AWKWARD_TEXT
        assert [t["from_value"] for t in item["terms"]] == AWKWARD_NUMBERS
        assert [t["measure"] for t in item["terms"]] == [t["measure"] for t in terms]
        assert [t["note"] for t in item["terms"]] == [None] * len(terms)
        assert [a["id"] for a in item["obligors"]] == [actors[0], actors[2]]
        assert [a["id"] for a in item["counterparties"]] == [actors[1], actors[3]]
        assert item["effective_on"] is None
        assert item["announced_on"] == body["announced_on"]


@pytest.mark.parametrize(
    "moment",
    [datetime(2025, 10, 30, 4, 5, 6, tzinfo=UTC), datetime(2025, 10, 30, 4, 5, 6, 7, tzinfo=UTC)],
    ids=["whole-second", "microseconds"],
)
async def test_timestamps_read_as_the_api_writes_them(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str], moment: datetime
) -> None:
    created = await client.post("/v1/commitments", json=new_commitment(session), headers=writer)
    assert created.status_code == 201, created.text
    commitment = session.get(Commitment, NEW_ID)
    assert commitment is not None
    commitment.created_at = moment
    session.add(commitment)
    session.commit()

    item = await listed(client, NEW_ID)
    assert item["created_at"] == json_bytes(moment).decode().strip('"')
    assert item["updated_at"] == json_bytes(commitment.updated_at).decode().strip('"')
    detail = (await client.get(f"/v1/commitments/{NEW_ID}")).json()
    assert detail["created_at"] == item["created_at"]
