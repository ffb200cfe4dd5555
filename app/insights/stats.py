"""Counts for dashboard tiles. Vocabulary breakdowns list every value, 0 when unused; the
obligor and source breakdowns list the `STATS_TOP` largest."""

from enum import StrEnum
from typing import Any, TypeVar

from sqlmodel import Session, col, func, select

from app.insights.schemas import (
    STATS_TOP,
    ClaimKindCount,
    ObligorCount,
    SourceCount,
    Stats,
    StatusCount,
    TopicCount,
    Totals,
)
from app.models import Actor, Claim, Commitment, CommitmentLink, CommitmentParty, Source
from app.vocab import ClaimKind, CommitmentStatus, PartyRole, Topic

EnumT = TypeVar("EnumT", bound=StrEnum)


def _by_value(session: Session, column: Any, vocabulary: type[EnumT]) -> dict[EnumT, int]:
    counts = dict(session.exec(select(column, func.count()).group_by(column)).all())
    return {value: counts.get(value, 0) for value in vocabulary}


def _count(session: Session, table: type[Any]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _top_obligors(session: Session) -> list[ObligorCount]:
    """The `STATS_TOP` actors bound by the most commitments. A party row is unique per
    (commitment, actor, role), so its rows are the commitments; they are counted on the
    (actor, role) index before the few actors named are joined."""
    counted = func.count().label("n")
    top = (
        select(col(CommitmentParty.actor_id), counted)
        .where(col(CommitmentParty.role) == PartyRole.OBLIGOR)
        .group_by(col(CommitmentParty.actor_id))
        .order_by(counted.desc(), col(CommitmentParty.actor_id))
        .limit(STATS_TOP)
        .subquery()
    )
    rows = session.exec(
        select(Actor.id, Actor.name, top.c.n)
        .join(top, top.c.actor_id == col(Actor.id))
        .order_by(top.c.n.desc(), col(Actor.id))
    ).all()
    return [ObligorCount(actor_id=actor_id, name=name, count=n) for actor_id, name, n in rows]


def _top_sources(session: Session) -> list[SourceCount]:
    """The `STATS_TOP` sources with the most claims (0 for one without): each source's count
    comes from the claim's source index, one range per source, not from joining the claims."""
    counted = (
        select(func.count())
        .select_from(Claim)
        .where(col(Claim.source_id) == col(Source.id))
        .scalar_subquery()
        .label("n")
    )
    rows = session.exec(
        select(Source.id, Source.title, counted)
        .order_by(counted.desc(), col(Source.id))
        .limit(STATS_TOP)
    ).all()
    return [SourceCount(source_id=source_id, title=title, count=n) for source_id, title, n in rows]


def compute(session: Session) -> Stats:
    return Stats(
        totals=Totals(
            commitments=_count(session, Commitment),
            claims=_count(session, Claim),
            sources=_count(session, Source),
            actors=_count(session, Actor),
            links=_count(session, CommitmentLink),
        ),
        commitments_by_topic=[
            TopicCount(topic=topic, count=n)
            for topic, n in _by_value(session, col(Commitment.topic), Topic).items()
        ],
        commitments_by_status=[
            StatusCount(status=status, count=n)
            for status, n in _by_value(session, col(Commitment.status), CommitmentStatus).items()
        ],
        commitments_by_obligor=_top_obligors(session),
        claims_by_source=_top_sources(session),
        claims_by_kind=[
            ClaimKindCount(kind=kind, count=n)
            for kind, n in _by_value(session, col(Claim.kind), ClaimKind).items()
        ],
    )
