"""Conflicts: different sources giving different values for the same measurable fact.

A fact is a (`value_subject`, `value_property`) pair; a value is (`value_number` or `value_text`,
`value_unit`). A fact is in conflict when its claims give at least two distinct values and come
from at least two sources. Those two counts together hold exactly when some pair of claims from
different sources disagrees, so one source contradicting itself is not a conflict, and claims
about the same subject but another property ("60% of mining" vs "70% of processing") never meet.
Units are compared as recorded, never converted.
"""

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.actors.schemas import ActorRef
from app.claims import service as claim_service
from app.errors import InvalidParameterError
from app.insights.schemas import (
    ConflictClaim,
    ConflictFilters,
    ConflictGroup,
    ConflictList,
    ConflictValue,
)
from app.models import Claim, ClaimCommitment, Commitment, Source
from app.vocab import Stance

_SUBJECT = col(Claim.value_subject)
_PROPERTY = col(Claim.value_property)
_NUMBER = col(Claim.value_number)
_TEXT = col(Claim.value_text)
_UNIT = col(Claim.value_unit)


def _valued(filters: ConflictFilters) -> list[sa.ColumnElement[bool]]:
    """Claims that give a value, narrowed by the subject and property filters."""
    conditions = [_SUBJECT.is_not(None), sa.or_(_NUMBER.is_not(None), _TEXT.is_not(None))]
    if filters.subject is not None:
        conditions.append(_SUBJECT == filters.subject)
    if filters.property is not None:
        conditions.append(_PROPERTY == filters.property)
    return conditions


def _conflicting_facts(filters: ConflictFilters) -> sa.Subquery:
    """(value_subject, value_property) pairs in conflict, as one SQL statement."""
    valued = _valued(filters)
    distinct_values = (
        sa.select(_SUBJECT, _PROPERTY, _NUMBER, _TEXT, _UNIT).where(*valued).distinct().subquery()
    )
    several_values = (
        select(distinct_values.c.value_subject, distinct_values.c.value_property)
        .group_by(distinct_values.c.value_subject, distinct_values.c.value_property)
        .having(func.count() >= 2)
    )
    several_sources = (
        select(_SUBJECT, _PROPERTY)
        .where(*valued)
        .group_by(_SUBJECT, _PROPERTY)
        .having(func.count(sa.distinct(col(Claim.source_id))) >= 2)
    )
    parts: list[Any] = [several_values, several_sources]
    if filters.commitment is not None:
        parts.append(
            select(_SUBJECT, _PROPERTY)
            .join(ClaimCommitment, col(ClaimCommitment.claim_id) == col(Claim.id))
            .where(*valued, col(ClaimCommitment.commitment_id) == filters.commitment)
        )
    return sa.intersect(*parts).subquery("facts")


def disputed_commitment_ids() -> sa.Select[tuple[str]]:
    """Ids of the commitments with a claim that disputes them, or a claim whose value is in
    conflict with another source's (the `has_conflicting_claims` filter)."""
    facts = _conflicting_facts(ConflictFilters())
    in_conflict = (
        sa.select(col(ClaimCommitment.commitment_id))
        .join(Claim, col(Claim.id) == col(ClaimCommitment.claim_id))
        .join(
            facts,
            sa.and_(facts.c.value_subject == _SUBJECT, facts.c.value_property == _PROPERTY),
        )
    )
    disputing = sa.select(col(ClaimCommitment.commitment_id)).where(
        col(ClaimCommitment.stance) == Stance.DISPUTES
    )
    return sa.select(sa.union(disputing, in_conflict).subquery().c[0])


def find(session: Session, filters: ConflictFilters) -> ConflictList:
    if filters.commitment is not None and session.get(Commitment, filters.commitment) is None:
        raise InvalidParameterError(
            f"`commitment`: no commitment has the id {filters.commitment!r}.",
            parameter="commitment",
        )
    facts = _conflicting_facts(filters)
    rows = session.exec(
        select(Claim, Source.title)
        .join(Source, col(Source.id) == col(Claim.source_id))
        .join(
            facts,
            sa.and_(facts.c.value_subject == _SUBJECT, facts.c.value_property == _PROPERTY),
        )
        .where(*_valued(filters))
        .order_by(
            _SUBJECT,
            _PROPERTY,
            _NUMBER.asc().nulls_last(),
            _TEXT.asc().nulls_last(),
            _UNIT.asc().nulls_last(),
            col(Claim.source_id),
            col(Claim.start_offset),
            col(Claim.id),
        )
    ).all()
    speakers = claim_service.speaker_refs(session, [claim.id for claim, _ in rows])
    groups: dict[tuple[str, str], dict[tuple[Any, ...], ConflictValue]] = defaultdict(dict)
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    for claim, title in rows:
        fact = (claim.value_subject or "", claim.value_property or "")
        key = (claim.value_number, claim.value_text, claim.value_unit)
        value = groups[fact].setdefault(
            key,
            ConflictValue(
                value_number=claim.value_number,
                value_text=claim.value_text,
                unit=claim.value_unit,
                claims=[],
            ),
        )
        value.claims.append(
            ConflictClaim(
                claim_id=claim.id,
                source_id=claim.source_id,
                source_title=title,
                kind=claim.kind,
                quote=claim.quote,
                start_offset=claim.start_offset,
                end_offset=claim.end_offset,
                speakers=[ActorRef(**speaker) for speaker in speakers.get(claim.id, [])],
                attribution=claim.attribution,
            )
        )
        sources[fact].add(claim.source_id)
    items = [
        ConflictGroup(
            subject=subject,
            property=prop,
            source_count=len(sources[(subject, prop)]),
            values=list(values.values()),
        )
        for (subject, prop), values in groups.items()
    ]
    return ConflictList(items=items, total=len(items))
