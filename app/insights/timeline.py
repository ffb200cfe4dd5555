"""The timeline: every dated moment of every commitment in date order, with review flags.

Each commitment contributes up to four items (announced, effective, due, expires), built as one
UNION ALL in SQL so that filters, the review flag, the count and the keyset page all run in the
database. Items are ordered by (date, commitment id, kind), kind in the order of `TimelineKind`,
which is also the keyset of the opaque cursor. Each branch is cut to one page in its own date
order before the branches are merged, so a page costs the same on page 1 and page 2,000.

A due or expiry item is *due for review* when its date is before `today`, the commitment has
no status event dated on or after that date, and its current status is not a final one
(fulfilled, broken, expired, withdrawn, superseded): the moment has passed and nobody has
recorded what became of the commitment since.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.actors import service as actor_service
from app.api.filters import require_ordered
from app.api.paging import decode_cursor, encode_cursor
from app.errors import InvalidParameterError
from app.insights.schemas import (
    TimelineCommitment,
    TimelineFilters,
    TimelineItem,
    TimelineKind,
    TimelinePage,
)
from app.models import Commitment, CommitmentParty, StatusEvent
from app.vocab import CommitmentStatus

_KINDS = list(TimelineKind)
_REVIEWED_KINDS = {TimelineKind.DUE, TimelineKind.EXPIRES}
FINAL_STATUSES = (
    CommitmentStatus.FULFILLED,
    CommitmentStatus.BROKEN,
    CommitmentStatus.EXPIRED,
    CommitmentStatus.WITHDRAWN,
    CommitmentStatus.SUPERSEDED,
)


def _column(kind: TimelineKind, field: str) -> Any:
    """`Commitment.<kind>_<field>`: every kind has its `_on`, `_precision` and `_note` columns."""
    return col(getattr(Commitment, f"{kind.value}_{field}"))


def _review(kind: TimelineKind, on: Any, today: date) -> sa.ColumnElement[bool]:
    if kind not in _REVIEWED_KINDS:
        return sa.false()
    later_event = (
        select(StatusEvent.id)
        .where(
            col(StatusEvent.commitment_id) == col(Commitment.id),
            col(StatusEvent.occurred_on) >= on,
        )
        .exists()
    )
    still_open = col(Commitment.status).not_in(FINAL_STATUSES)
    return sa.and_(on < today, sa.not_(later_event), still_open)


def _branch(
    kind: TimelineKind, filters: TimelineFilters, actor_ids: set[str] | None, today: date
) -> sa.Select[date, str, int, bool] | None:
    """The items of one kind as a SELECT, or None when the filters rule the kind out."""
    if filters.kind is not None and filters.kind != kind:
        return None
    if filters.due_for_review and kind not in _REVIEWED_KINDS:
        return None
    on = _column(kind, "on")
    review = _review(kind, on, today)
    conditions: list[Any] = [on.is_not(None)]
    if filters.from_on is not None:
        conditions.append(on >= filters.from_on)
    if filters.to_on is not None:
        conditions.append(on <= filters.to_on)
    if filters.topic is not None:
        conditions.append(col(Commitment.topic) == filters.topic)
    if actor_ids is not None:
        parties = select(CommitmentParty.commitment_id).where(
            col(CommitmentParty.actor_id).in_(actor_ids)
        )
        conditions.append(col(Commitment.id).in_(parties))
    if filters.due_for_review is True:
        conditions.append(review)
    elif filters.due_for_review is False and kind in _REVIEWED_KINDS:
        conditions.append(sa.not_(review))
    return sa.select(
        on.label("day"),
        col(Commitment.id).label("commitment_id"),
        sa.literal_column(str(_KINDS.index(kind)), sa.Integer).label("rank"),
        review.label("due_for_review"),
    ).where(*conditions)


def _position(cursor: str) -> tuple[date, str, int]:
    """The (date, commitment id, kind rank) a cursor points after."""
    try:
        raw_day, commitment_id, rank = decode_cursor(cursor)
        if not isinstance(commitment_id, str) or not isinstance(rank, int):
            raise TypeError
        if not 0 <= rank < len(_KINDS):
            raise ValueError
        return date.fromisoformat(raw_day), commitment_id, rank
    except (TypeError, ValueError) as error:
        raise InvalidParameterError(
            "`cursor` is not a timeline cursor this API issued", parameter="cursor"
        ) from error


def _after(kind: TimelineKind, position: tuple[date, str, int]) -> sa.ColumnElement[bool]:
    """Items of `kind` past the keyset `position`; `on >= day` keeps the date index usable."""
    day, commitment_id, rank = position
    on, commitment = _column(kind, "on"), col(Commitment.id)
    same_day_after = (
        commitment >= commitment_id if _KINDS.index(kind) > rank else commitment > commitment_id
    )
    return sa.and_(on >= day, sa.or_(on > day, same_day_after))


def items(
    session: Session,
    filters: TimelineFilters,
    *,
    today: date,
    limit: int,
    cursor: str | None,
) -> TimelinePage:
    """One keyset page. Each kind's branch is cut to `limit + 1` rows in its own date order
    before the union is merged, so a page reads a few hundred rows however long the timeline."""
    require_ordered(filters.from_on, filters.to_on, "from", "to")
    after = _position(cursor) if cursor is not None else None
    actor_ids = None
    if filters.actor is not None:
        actor_ids = actor_service.resolve_ids(session, [filters.actor], "actor")
    branches = {
        kind: b for kind in _KINDS if (b := _branch(kind, filters, actor_ids, today)) is not None
    }
    if not branches:
        return TimelinePage(
            items=[], next_cursor=None, total=0 if after is None else None, today=today
        )
    total = None
    if after is None:
        # Each kind counted on its own: a count of the union would build every item's review
        # flag, while each branch's count reads only its date index.
        counts = [
            branch.with_only_columns(func.count(), maintain_column_froms=True).scalar_subquery()
            for branch in branches.values()
        ]
        total = session.exec(select(sum(counts[1:], counts[0]))).one()
    heads = []
    for kind, branch in branches.items():
        if after is not None:
            branch = branch.where(_after(kind, after))
        head = branch.order_by(_column(kind, "on"), col(Commitment.id)).limit(limit + 1)
        heads.append(sa.select(head.subquery()))
    timeline = sa.union_all(*heads).subquery("timeline")
    rows = session.exec(
        select(timeline.c.day, timeline.c.rank, timeline.c.due_for_review, Commitment)
        .join(Commitment, col(Commitment.id) == timeline.c.commitment_id)
        .order_by(timeline.c.day, timeline.c.commitment_id, timeline.c.rank)
        .limit(limit + 1)
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        day, rank, _, commitment = rows[-1]
        next_cursor = encode_cursor([day.isoformat(), commitment.id, rank])
    return TimelinePage(
        items=[_item(*row) for row in rows],
        next_cursor=next_cursor,
        total=total,
        today=today,
    )


def _item(day: date, rank: int, due_for_review: bool, commitment: Commitment) -> TimelineItem:
    kind = _KINDS[rank]
    return TimelineItem(
        date=day,
        precision=getattr(commitment, f"{kind.value}_precision"),
        kind=kind,
        note=getattr(commitment, f"{kind.value}_note"),
        commitment=TimelineCommitment(
            id=commitment.id,
            title=commitment.title,
            topic=commitment.topic,
            status=commitment.status,
        ),
        due_for_review=bool(due_for_review),
    )
