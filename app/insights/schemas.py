"""Response shapes for conflicts, the timeline and stats."""

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

from app.actors.schemas import ActorRef
from app.api.paging import Page
from app.vocab import ClaimKind, CommitmentStatus, DatePrecision, Topic


class ConflictFilters(BaseModel):
    subject: str | None = None
    property: str | None = None
    commitment: str | None = None


class ConflictClaim(BaseModel):
    """One claim giving a value, with the exact words of its source."""

    claim_id: str
    source_id: str
    source_title: str | None = Field(description="Title of the source; null when none is printed.")
    kind: ClaimKind
    quote: str = Field(description="Verbatim span of the source text.")
    start_offset: int = Field(description="Start of the quote in the source text (code points).")
    end_offset: int = Field(description="End (exclusive) of the quote in the source text.")
    speakers: list[ActorRef] = Field(description="Who asserts the claim, in the source's order.")
    attribution: str | None = Field(
        description='How the text attributes the claim when it names no one ("one analyst").'
    )


class ConflictValue(BaseModel):
    """One of the values the sources give, with every claim that gives it."""

    value_number: float | None = Field(description="The value, when a number.")
    value_text: str | None = Field(description="The value, when not a number (ISO dates...).")
    unit: str | None = Field(description="Unit of the value, as recorded on the claims.")
    claims: list[ConflictClaim] = Field(description="Claims giving this value, by source.")


class ConflictGroup(BaseModel):
    """Sources disagreeing on one measurable fact: same subject, same property, other values."""

    subject: str = Field(description="What the value is about (`value_subject` of the claims).")
    property: str = Field(description="Exactly what is measured (`value_property`).")
    source_count: int = Field(description="Distinct sources giving a value for this fact.")
    values: list[ConflictValue] = Field(description="At least two different values.")


class ConflictList(BaseModel):
    items: list[ConflictGroup] = Field(description="Conflicts, ordered by subject then property.")
    total: int = Field(description="Number of conflicts matching the filters.")


class TimelineKind(StrEnum):
    """Which of a commitment's dates an item is, in the order they fall on the same day."""

    ANNOUNCED = "announced"
    EFFECTIVE = "effective"
    DUE = "due"
    EXPIRES = "expires"


class TimelineFilters(BaseModel):
    from_on: dt.date | None = None
    to_on: dt.date | None = None
    actor: str | None = None
    topic: Topic | None = None
    kind: TimelineKind | None = None
    due_for_review: bool | None = None


class TimelineCommitment(BaseModel):
    id: str
    title: str
    topic: Topic
    status: CommitmentStatus = Field(description="Current status (latest status event by date).")


class TimelineItem(BaseModel):
    date: dt.date
    precision: DatePrecision | None = Field(description="How exact the date is.")
    kind: TimelineKind = Field(description="Which of the commitment's dates this is.")
    note: str | None = Field(description="Where the date comes from.")
    commitment: TimelineCommitment
    due_for_review: bool = Field(
        description="A deadline or expiry that has passed (before `today`) with no status event "
        "recorded on or after it: the commitment's status needs checking."
    )


class TimelinePage(Page[TimelineItem]):
    today: dt.date = Field(description="The date `due_for_review` was judged against (UTC).")


class TopicCount(BaseModel):
    topic: Topic
    count: int


class StatusCount(BaseModel):
    status: CommitmentStatus
    count: int


class ObligorCount(BaseModel):
    actor_id: str
    name: str
    count: int = Field(description="Commitments binding this actor.")


class SourceCount(BaseModel):
    source_id: str
    title: str | None
    count: int = Field(description="Claims quoting this source.")


class ClaimKindCount(BaseModel):
    kind: ClaimKind
    count: int


class Totals(BaseModel):
    commitments: int
    claims: int
    sources: int
    actors: int
    links: int = Field(description="Typed links between commitments.")


STATS_TOP = 50  # obligors and sources listed, so the tile stays small however large the data


class Stats(BaseModel):
    totals: Totals
    commitments_by_topic: list[TopicCount] = Field(
        description="Every topic of the vocabulary, in vocabulary order, 0 when unused."
    )
    commitments_by_status: list[StatusCount] = Field(
        description="Every status of the vocabulary, in vocabulary order, 0 when unused."
    )
    commitments_by_obligor: list[ObligorCount] = Field(
        description=f"The {STATS_TOP} actors bound by the most commitments, most first "
        "(`/v1/commitments?obligor=<id>` lists an actor's)."
    )
    claims_by_source: list[SourceCount] = Field(
        description=f"The {STATS_TOP} sources with the most claims, most first (0 for a "
        "source nobody quotes yet; `/v1/sources` lists them all)."
    )
    claims_by_kind: list[ClaimKindCount] = Field(
        description="Every claim kind of the vocabulary, in vocabulary order, 0 when unused."
    )
