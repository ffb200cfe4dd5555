"""HTTP routes for conflicts, timeline and stats."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.deps import ListParamsDep, SessionDep, TodayDep
from app.api.listing import csv_response
from app.api.paging import PageResult
from app.api.responses import set_next_link
from app.insights import conflicts, stats, timeline
from app.insights.schemas import (
    ConflictFilters,
    ConflictList,
    Stats,
    TimelineFilters,
    TimelineItem,
    TimelineKind,
    TimelinePage,
)
from app.models.base import SLUG_MAX
from app.vocab import Topic

router = APIRouter(prefix="/v1", tags=["insights"])


@router.get("/conflicts", response_model=ConflictList, summary="Where sources disagree on a figure")
def list_conflicts(
    session: SessionDep,
    subject: Annotated[
        str | None,
        Query(max_length=200, description="Only facts about this `value_subject` (exact)."),
    ] = None,
    property: Annotated[
        str | None,
        Query(max_length=200, description="Only facts measuring this `value_property` (exact)."),
    ] = None,
    commitment: Annotated[
        str | None,
        Query(
            max_length=SLUG_MAX,
            description="Only conflicts where at least one claim bears on this commitment id "
            "(an unknown id is a 400).",
        ),
    ] = None,
) -> ConflictList:
    """Facts on which different sources give different values, each value with its quotes.

    A fact is a claim's structured `value_subject` and `value_property` (say, a tariff cut and
    its size in percentage points). It is listed when its claims give at least two different
    values (number or text, with unit) and come from at least two sources; every claim giving a
    value is shown under that value, with its source, verbatim quote, offsets and speakers, so
    each side of the disagreement can be checked in the text. Claims about the same subject but
    a different property are different facts and never conflict; a source that gives two values
    on its own is not a disagreement between sources. Units are compared as recorded, not
    converted. Ordered by subject, then property.
    """
    filters = ConflictFilters(subject=subject, property=property, commitment=commitment)
    return conflicts.find(session, filters)


@router.get("/timeline", response_model=TimelinePage, summary="Commitments' dates in order")
def list_timeline(
    request: Request,
    response: Response,
    session: SessionDep,
    today: TodayDep,
    page: ListParamsDep,
    from_on: Annotated[
        date | None,
        Query(alias="from", description="Only items on or after this date (YYYY-MM-DD)."),
    ] = None,
    to_on: Annotated[
        date | None,
        Query(alias="to", description="Only items on or before this date (YYYY-MM-DD)."),
    ] = None,
    actor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only commitments binding (obligor) or owed to (counterparty) this "
            "actor: an id, name or alias (`china`, `Beijing`). An unknown actor is a 400.",
        ),
    ] = None,
    topic: Annotated[Topic | None, Query(description="Only commitments on this topic.")] = None,
    kind: Annotated[
        TimelineKind | None,
        Query(description="Only this kind of date: announced, effective, due or expires."),
    ] = None,
    due_for_review: Annotated[
        bool | None,
        Query(description="`true`: only items due for review; `false`: only the others."),
    ] = None,
) -> TimelinePage | StreamingResponse:
    """Every dated moment of every commitment, earliest first.

    Each commitment contributes up to four items: when it was `announced`, when it took or takes
    `effective`, when it is `due` (a deadline, or a planned date such as a visit) and when it
    `expires`. Each item carries the date's precision (`derived` dates are computed from the
    text, such as "for one year") and a note on where the date comes from. Items are ordered by
    date, then commitment id, then kind (announced, effective, due, expires).

    `due_for_review` is true for a due or expiry date that lies before `today` (returned with
    the page, UTC) when the commitment has no status event dated on or after it: the moment has
    passed and nothing has been recorded about what happened. Adding a status event clears it.

    Paginated like every list: follow `next_cursor` or the `Link: rel="next"` header; `total` is
    counted on the first page only. `format=csv` (or `Accept: text/csv`) streams every item.
    """
    filters = TimelineFilters(
        from_on=from_on,
        to_on=to_on,
        actor=actor,
        topic=topic,
        kind=kind,
        due_for_review=due_for_review,
    )

    def fetch(limit: int, cursor: str | None) -> tuple[list[TimelineItem], PageResult[Any]]:
        found = timeline.items(session, filters, today=today, limit=limit, cursor=cursor)
        return found.items, PageResult(rows=[], next_cursor=found.next_cursor, total=found.total)

    streamed = csv_response(request, page, fetch, TimelineItem)
    if streamed is not None:
        return streamed
    result = timeline.items(session, filters, today=today, limit=page.limit, cursor=page.cursor)
    set_next_link(request, response, result.next_cursor)
    return result


@router.get("/stats", response_model=Stats, summary="Counts for dashboards")
def get_stats(session: SessionDep) -> Stats:
    """How many commitments, claims, sources, actors and links the knowledge base holds.

    Commitments are broken down by topic, by current status and by obligor; claims by source and
    by kind. Every topic, status and claim kind of the vocabulary is listed, with 0 when unused,
    so a dashboard tile never disappears; every source is listed, with 0 when no claim quotes it.
    """
    return stats.compute(session)
