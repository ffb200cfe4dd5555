"""Counts for dashboard tiles. Vocabulary breakdowns list every value, 0 when unused; the
obligor and source breakdowns list the `STATS_TOP` largest."""

from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
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


def compute(session: Session) -> Stats:
    obligors = session.exec(
        select(Actor.id, Actor.name, func.count(sa.distinct(col(CommitmentParty.commitment_id))))
        .join(CommitmentParty, col(CommitmentParty.actor_id) == col(Actor.id))
        .where(col(CommitmentParty.role) == PartyRole.OBLIGOR)
        .group_by(col(Actor.id), col(Actor.name))
        .order_by(func.count(sa.distinct(col(CommitmentParty.commitment_id))).desc(), col(Actor.id))
        .limit(STATS_TOP)
    ).all()
    claims = func.count(col(Claim.id))
    sources = session.exec(
        select(Source.id, Source.title, claims)
        .outerjoin(Claim, col(Claim.source_id) == col(Source.id))
        .group_by(col(Source.id), col(Source.title))
        .order_by(claims.desc(), col(Source.id))
        .limit(STATS_TOP)
    ).all()
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
        commitments_by_obligor=[
            ObligorCount(actor_id=actor_id, name=name, count=n) for actor_id, name, n in obligors
        ],
        claims_by_source=[
            SourceCount(source_id=source_id, title=title, count=n)
            for source_id, title, n in sources
        ],
        claims_by_kind=[
            ClaimKindCount(kind=kind, count=n)
            for kind, n in _by_value(session, col(Claim.kind), ClaimKind).items()
        ],
    )
