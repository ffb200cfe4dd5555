"""GET /v1/timeline: dated items in order, filters, keyset pages and review flags."""

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.actors import service as actor_service
from app.actors.schemas import ActorCreate
from app.api import deps
from app.api.paging import encode_cursor
from app.commitments import service as commitment_service
from app.commitments.schemas import CommitmentCreate, StatusEventCreate
from app.models import Commitment, CommitmentParty
from app.vocab import ActionKind, ActorKind, CommitmentStatus, DatePrecision, Topic

pytestmark = pytest.mark.anyio

KINDS = ["announced", "effective", "due", "expires"]
TODAY = date(2026, 1, 15)


@pytest.fixture(autouse=True)
def pinned_today(app: FastAPI) -> Iterator[None]:
    app.dependency_overrides[deps.today] = lambda: TODAY
    yield
    app.dependency_overrides.pop(deps.today, None)


@pytest.fixture
def dated(session: Session) -> Commitment:
    """A commitment far in the future with all four dates, owed by one test actor to another."""
    for actor_id, alias in (("zz-test-obligor", "Testland"), ("zz-test-counterparty", "Otherland")):
        actor_service.create(
            session,
            ActorCreate(id=actor_id, name=actor_id, kind=ActorKind.STATE, aliases=[alias]),
        )
    return commitment_service.create(
        session,
        CommitmentCreate(
            id="zz-test-dated",
            title="A test commitment with every date",
            topic=Topic.SHIPPING,
            action=ActionKind.SUSPEND,
            obligors=["zz-test-obligor"],
            counterparties=["zz-test-counterparty"],
            announced_on=date(2031, 1, 1),
            announced_precision=DatePrecision.EXACT,
            effective_on=date(2031, 2, 1),
            due_on=date(2031, 3, 1),
            due_precision=DatePrecision.MONTH,
            due_note="a planned visit",
            expires_on=date(2031, 6, 30),
            expires_precision=DatePrecision.DERIVED,
            expires_note="one year",
        ),
    )


async def _walk(client: httpx.AsyncClient, url: str, today: date = TODAY) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    first, total = True, None
    while url:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["today"] == today.isoformat()
        assert (body["total"] is not None) == first
        if first:
            total = body["total"]
        first = False
        items.extend(body["items"])
        link = response.headers.get("link")
        if body["next_cursor"] is None:
            assert link is None
            break
        assert link is not None
        assert 'rel="next"' in link
        url = link[link.index("<") + 1 : link.index(">")]
    assert len(items) == total
    return items


def _key(item: dict[str, Any]) -> tuple[str, str, str]:
    return (item["date"], item["commitment"]["id"], item["kind"])


def _expected(session: Session) -> list[tuple[str, str, str]]:
    """Every (date, commitment, kind) the database holds, in any order."""
    keys = []
    for commitment in session.exec(select(Commitment)).all():
        for kind in KINDS:
            on = getattr(commitment, f"{kind}_on")
            if on is not None:
                keys.append((on.isoformat(), commitment.id, kind))
    return keys


async def test_every_dated_moment_in_order(
    client: httpx.AsyncClient, session: Session, dated: Commitment
) -> None:
    items = await _walk(client, "/v1/timeline?limit=200")
    keys = [_key(item) for item in items]
    assert sorted(keys) == sorted(_expected(session))
    ids_in_db_order = list(session.exec(select(Commitment.id).order_by(col(Commitment.id))).all())
    rank = {commitment_id: n for n, commitment_id in enumerate(ids_in_db_order)}
    order = [(d, rank[c], KINDS.index(k)) for d, c, k in keys]
    assert order == sorted(order)
    ours = [item for item in items if item["commitment"]["id"] == dated.id]
    assert [item["kind"] for item in ours] == KINDS
    due = ours[2]
    assert (due["date"], due["precision"], due["note"]) == (
        "2031-03-01",
        "month",
        "a planned visit",
    )
    assert due["commitment"] == {
        "id": dated.id,
        "title": dated.title,
        "topic": "shipping",
        "status": "proposed",
    }
    assert ours[1]["precision"] is None


@pytest.mark.usefixtures("dated")
async def test_walking_small_pages_returns_each_item_exactly_once(
    client: httpx.AsyncClient,
) -> None:
    everything = [_key(item) for item in await _walk(client, "/v1/timeline?limit=200")]
    for limit in (1, 3, 7):
        paged = [_key(item) for item in await _walk(client, f"/v1/timeline?limit={limit}")]
        assert paged == everything
    filtered = await _walk(client, "/v1/timeline?limit=1&actor=zz-test-obligor")
    assert [item["kind"] for item in filtered] == KINDS


async def test_filters(client: httpx.AsyncClient, session: Session, dated: Commitment) -> None:
    everything = await _walk(client, "/v1/timeline?limit=200")
    topic_of = dict(session.exec(select(Commitment.id, Commitment.topic)).all())

    async def check(query: str, keep: Any) -> None:
        got = [_key(item) for item in await _walk(client, f"/v1/timeline?limit=5&{query}")]
        assert got == [_key(item) for item in everything if keep(item)], query

    await check(
        "from=2031-02-01&to=2031-03-01", lambda i: "2031-02-01" <= i["date"] <= "2031-03-01"
    )
    await check("from=2031-03-01", lambda i: i["date"] >= "2031-03-01")
    await check("to=2025-10-30", lambda i: i["date"] <= "2025-10-30")
    await check("from=2031-03-01&to=2031-03-01", lambda i: i["date"] == "2031-03-01")
    for kind in KINDS:
        await check(f"kind={kind}", lambda i, kind=kind: i["kind"] == kind)
    for topic in {str(t) for t in topic_of.values()}:
        await check(
            f"topic={topic}", lambda i, topic=topic: topic_of[i["commitment"]["id"]] == topic
        )
    await check(
        "topic=shipping&kind=due",
        lambda i: topic_of[i["commitment"]["id"]] == "shipping" and i["kind"] == "due",
    )
    for review in ("true", "false"):
        await check(
            f"due_for_review={review}", lambda i, r=review: i["due_for_review"] == (r == "true")
        )
    await check("kind=announced&due_for_review=true", lambda _: False)
    for actor in ("zz-test-obligor", "zz-test-counterparty", "testland", "Otherland"):
        await check(f"actor={actor}", lambda i: i["commitment"]["id"] == dated.id)
    seed_actor = session.exec(select(CommitmentParty.actor_id)).first()
    if seed_actor is not None:
        bound = set(
            session.exec(
                select(CommitmentParty.commitment_id).where(CommitmentParty.actor_id == seed_actor)
            ).all()
        )
        await check(f"actor={seed_actor}", lambda i: i["commitment"]["id"] in bound)


async def _flags(client: httpx.AsyncClient, app: FastAPI, today: date) -> dict[str, bool]:
    app.dependency_overrides[deps.today] = lambda: today
    response = await client.get("/v1/timeline?actor=zz-test-obligor")
    body = response.json()
    assert body["today"] == today.isoformat()
    return {item["kind"]: item["due_for_review"] for item in body["items"]}


async def test_review_flags_follow_today_and_status_events(
    client: httpx.AsyncClient, app: FastAPI, session: Session, dated: Commitment
) -> None:
    none = dict.fromkeys(KINDS, False)
    assert await _flags(client, app, date(2031, 3, 1)) == none
    assert await _flags(client, app, date(2031, 3, 2)) == {**none, "due": True}
    assert await _flags(client, app, date(2031, 6, 30)) == {**none, "due": True}
    assert await _flags(client, app, date(2031, 7, 1)) == {**none, "due": True, "expires": True}

    # A status event before a date does not answer for it; one on or after it does.
    event = StatusEventCreate(occurred_on=date(2031, 2, 15), status=CommitmentStatus.IN_EFFECT)
    commitment_service.add_status(session, dated, event)
    assert await _flags(client, app, date(2031, 7, 1)) == {**none, "due": True, "expires": True}
    event = StatusEventCreate(occurred_on=date(2031, 3, 1), status=CommitmentStatus.IN_EFFECT)
    commitment_service.add_status(session, dated, event)
    assert await _flags(client, app, date(2031, 7, 1)) == {**none, "expires": True}
    event = StatusEventCreate(occurred_on=date(2031, 7, 1), status=CommitmentStatus.EXPIRED)
    commitment_service.add_status(session, dated, event)
    assert await _flags(client, app, date(2031, 7, 2)) == none

    later = date(2031, 7, 2)
    app.dependency_overrides[deps.today] = lambda: later
    flagged = await _walk(client, "/v1/timeline?due_for_review=true&actor=zz-test-obligor", later)
    assert flagged == []


async def test_a_commitment_already_in_a_final_status_is_not_flagged(
    client: httpx.AsyncClient, app: FastAPI, session: Session, dated: Commitment
) -> None:
    none = dict.fromkeys(KINDS, False)
    assert await _flags(client, app, date(2031, 7, 1)) == {**none, "due": True, "expires": True}
    # Fulfilled before its deadline: the deadline passing later asks for no review.
    event = StatusEventCreate(occurred_on=date(2031, 1, 15), status=CommitmentStatus.FULFILLED)
    commitment_service.add_status(session, dated, event)
    assert await _flags(client, app, date(2031, 7, 1)) == none


@pytest.mark.usefixtures("dated")
async def test_due_for_review_filter_uses_the_injected_today(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    app.dependency_overrides[deps.today] = lambda: date(2031, 7, 1)
    response = await client.get("/v1/timeline?due_for_review=true&actor=zz-test-obligor")
    assert [item["kind"] for item in response.json()["items"]] == ["due", "expires"]
    response = await client.get("/v1/timeline?due_for_review=false&actor=zz-test-obligor")
    assert [item["kind"] for item in response.json()["items"]] == ["announced", "effective"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2025-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2025-02-30", "from"),
        ("kind=signed", "kind"),
        ("due_for_review=maybe", "due_for_review"),
    ],
)
async def test_bad_values_are_a_400_naming_the_parameter(
    client: httpx.AsyncClient, query: str, parameter: str
) -> None:
    response = await client.get(f"/v1/timeline?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["name"] for error in response.json()["errors"]] == [parameter]


async def test_unknown_actor_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/timeline?actor=atlantis")
    assert response.status_code == 400
    assert response.json()["parameter"] == "actor"


async def test_from_after_to_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/timeline?from=2026-01-02&to=2026-01-01")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == "from"


@pytest.mark.parametrize(
    "cursor",
    [
        "bm90LWEtY3Vyc29y",
        encode_cursor(["2025-10-30", "an-id"]),
        encode_cursor(["2025-10-30", "an-id", 9]),
        encode_cursor(["not-a-date", "an-id", 0]),
        encode_cursor(["2025-10-30", ["an-id"], 0]),
    ],
)
async def test_forged_cursor_is_a_400(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get(f"/v1/timeline?cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["parameter"] == "cursor"


async def test_csv_streams_every_timeline_item(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.dependency_overrides[deps.today] = lambda: TODAY
    everything = await _walk(client, "/v1/timeline?limit=7")
    response = await client.get("/v1/timeline?format=csv&limit=3")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["date"], row["kind"]) for row in rows] == [
        (item["date"], item["kind"]) for item in everything
    ]
