"""GET /v1/stats: counts equal to the database's own, every vocabulary value present."""

from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from app.actors import service as actor_service
from app.actors.schemas import ActorCreate
from app.commitments import service as commitment_service
from app.commitments.schemas import CommitmentCreate
from app.insights import stats
from app.models import Actor, Claim, Commitment, CommitmentLink, CommitmentParty, Source
from app.sources import service as source_service
from app.sources.schemas import SourceCreate
from app.vocab import (
    ActionKind,
    ActorKind,
    ClaimKind,
    CommitmentStatus,
    PartyRole,
    SourceKind,
    Topic,
)

pytestmark = pytest.mark.anyio


async def _stats(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/v1/stats")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _count(session: Session, table: Any) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _grouped(session: Session, column: Any) -> dict[str, int]:
    return {str(k): n for k, n in session.exec(select(column, func.count()).group_by(column))}


async def test_totals_equal_database_counts(client: httpx.AsyncClient, session: Session) -> None:
    stats = await _stats(client)
    assert stats["totals"] == {
        "commitments": _count(session, Commitment),
        "claims": _count(session, Claim),
        "sources": _count(session, Source),
        "actors": _count(session, Actor),
        "links": _count(session, CommitmentLink),
    }


async def test_vocabulary_breakdowns_list_every_value_with_zeros(
    client: httpx.AsyncClient, session: Session
) -> None:
    stats = await _stats(client)
    for key, field, vocabulary, column in (
        ("commitments_by_topic", "topic", Topic, Commitment.topic),
        ("commitments_by_status", "status", CommitmentStatus, Commitment.status),
        ("claims_by_kind", "kind", ClaimKind, Claim.kind),
    ):
        counts = _grouped(session, col(column))
        assert [row[field] for row in stats[key]] == [str(v) for v in vocabulary], key
        assert {row[field]: row["count"] for row in stats[key]} == {
            str(v): counts.get(str(v), 0) for v in vocabulary
        }, key
    total = stats["totals"]["commitments"]
    assert sum(row["count"] for row in stats["commitments_by_topic"]) == total
    assert sum(row["count"] for row in stats["commitments_by_status"]) == total
    assert sum(row["count"] for row in stats["claims_by_kind"]) == stats["totals"]["claims"]


async def test_an_unused_topic_is_zero_and_counts_once_used(
    client: httpx.AsyncClient, session: Session
) -> None:
    used = set(_grouped(session, col(Commitment.topic)))
    unused = next((t for t in Topic if str(t) not in used), None)
    actor_service.create(
        session, ActorCreate(id="zz-test-state", name="Test State", kind=ActorKind.STATE)
    )
    if unused is not None:
        before = await _stats(client)
        assert {r["topic"]: r["count"] for r in before["commitments_by_topic"]}[unused] == 0
    topic = unused or Topic.TAIWAN
    before_counts = {r["topic"]: r["count"] for r in (await _stats(client))["commitments_by_topic"]}
    commitment_service.create(
        session,
        CommitmentCreate(
            id="zz-test-commitment",
            title="Test",
            topic=topic,
            action=ActionKind.MAINTAIN,
            obligors=["zz-test-state"],
        ),
    )
    after = await _stats(client)
    counts = {r["topic"]: r["count"] for r in after["commitments_by_topic"]}
    assert counts[topic] == before_counts[topic] + 1
    assert {"actor_id": "zz-test-state", "name": "Test State", "count": 1} in after[
        "commitments_by_obligor"
    ]


async def test_obligors_match_the_database(client: httpx.AsyncClient, session: Session) -> None:
    rows = session.exec(
        select(CommitmentParty.actor_id, Actor.name)
        .join(Actor, col(Actor.id) == col(CommitmentParty.actor_id))
        .where(CommitmentParty.role == PartyRole.OBLIGOR)
    ).all()
    expected: dict[str, int] = {}
    for actor_id, _ in rows:
        expected[actor_id] = expected.get(actor_id, 0) + 1
    names = dict(rows)
    stats = await _stats(client)
    got = stats["commitments_by_obligor"]
    assert {r["actor_id"]: r["count"] for r in got} == expected
    assert all(r["name"] == names[r["actor_id"]] for r in got)
    assert [r["count"] for r in got] == sorted((r["count"] for r in got), reverse=True)


async def test_claims_by_source_lists_every_source(
    client: httpx.AsyncClient, session: Session
) -> None:
    source_service.create(
        session,
        SourceCreate(id="zz-test-unquoted", text="Nobody quotes this.", kind=SourceKind.NEWS),
    )
    claims = _grouped(session, col(Claim.source_id))
    titles = dict(session.exec(select(Source.id, Source.title)).all())
    stats = await _stats(client)
    got = stats["claims_by_source"]
    assert {r["source_id"]: r["count"] for r in got} == {s: claims.get(s, 0) for s in titles}
    assert all(r["title"] == titles[r["source_id"]] for r in got)
    assert {"source_id": "zz-test-unquoted", "title": None, "count": 0} in got
    assert sum(r["count"] for r in got) == stats["totals"]["claims"]


async def test_the_top_lists_keep_the_largest_most_first_ties_by_id(
    client: httpx.AsyncClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut to `STATS_TOP` (3 here, fewer than the obligors and sources), the lists are the
    first entries of the full ranking: count descending, then id. The added obligor's id sorts
    before every other, and its two commitments tie it at the cut with another obligor."""
    actor_service.create(
        session, ActorCreate(id="aa-test-state", name="Test State", kind=ActorKind.STATE)
    )
    for number in (1, 2):
        commitment_service.create(
            session,
            CommitmentCreate(
                id=f"zz-test-commitment-{number}",
                title="Test",
                topic=Topic.TARIFFS,
                action=ActionKind.MAINTAIN,
                obligors=["aa-test-state"],
            ),
        )
    monkeypatch.setattr(stats, "STATS_TOP", 3)
    obligors = dict(
        session.exec(
            select(CommitmentParty.actor_id, func.count())
            .where(CommitmentParty.role == PartyRole.OBLIGOR)
            .group_by(col(CommitmentParty.actor_id))
        ).all()
    )
    claims = _grouped(session, col(Claim.source_id))
    sources = {source_id: claims.get(source_id, 0) for source_id in session.exec(select(Source.id))}
    assert len(obligors) > 3
    assert len(sources) > 3
    assert sorted(obligors.values(), reverse=True)[2:4] == [2, 2]  # a tie at the cut

    def ranked(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:3]

    body = await _stats(client)
    assert [(r["actor_id"], r["count"]) for r in body["commitments_by_obligor"]] == ranked(obligors)
    assert [(r["source_id"], r["count"]) for r in body["claims_by_source"]] == ranked(sources)
