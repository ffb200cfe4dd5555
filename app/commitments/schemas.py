"""Request and response shapes for commitments, their status history and links."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.actors.schemas import ActorRef
from app.api.filters import IsoDate, iso_date, not_null, require_ordered
from app.claims.schemas import ClaimCreate
from app.models.base import FORBID_EXTRA, SLUG_MAX, SLUG_PATTERN
from app.models.commitment import CommitmentBase
from app.vocab import (
    ActionKind,
    ClaimKind,
    CommitmentStatus,
    DatePrecision,
    LinkKind,
    Stance,
    Topic,
)

CommitmentSort: TypeAlias = Literal[
    "id", "-id", "title", "-title",
    "announced_on", "-announced_on", "effective_on", "-effective_on",
    "due_on", "-due_on", "expires_on", "-expires_on", "updated_at", "-updated_at",
]  # fmt: skip

DATE_FIELDS = ("announced", "effective", "due", "expires")
DATE_COLUMNS = tuple(
    f"{name}_{part}" for name in DATE_FIELDS for part in ("on", "precision", "note")
)


def date_problem(values: Mapping[str, Any]) -> tuple[tuple[str, str], str] | None:
    """The first break of the date rules in a whole record: the two fields at odds and a
    message, or None.

    Announced, effective and expiry dates must be in that order; a precision needs its date.
    Create checks the request, update the record as it would be after the change.
    """
    ordered: list[tuple[str, date]] = [
        (f"{name}_on", values[f"{name}_on"])
        for name in ("announced", "effective", "expires")
        if values.get(f"{name}_on") is not None
    ]
    for (first, first_on), (second, second_on) in zip(ordered, ordered[1:], strict=False):
        if first_on > second_on:
            return (first, second), f"`{first}` ({first_on}) is after `{second}` ({second_on})"
    for name in DATE_FIELDS:
        if values.get(f"{name}_precision") is not None and values.get(f"{name}_on") is None:
            fields = (f"{name}_precision", f"{name}_on")
            return fields, f"`{name}_precision` is set but `{name}_on` is not"
    return None


class CommitmentFilters(BaseModel):
    """Filters for the commitment list; repeat a parameter to match any of several values."""

    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Full-text filter on title and description (all words must match).",
    )
    actor: list[str] = Field(
        default_factory=list,
        description="Actor id or alias (e.g. `china`, `Beijing`) bound by or owed the commitment.",
    )
    obligor: list[str] = Field(
        default_factory=list, description="Actor id or alias bound by the commitment."
    )
    counterparty: list[str] = Field(
        default_factory=list, description="Actor id or alias the commitment is owed to."
    )
    topic: list[Topic] = Field(default_factory=list, description="Policy area.")
    status: list[CommitmentStatus] = Field(
        default_factory=list, description="Current status (or the status on `as_of`)."
    )
    action: list[ActionKind] = Field(default_factory=list, description="Kind of action promised.")
    source: list[str] = Field(
        default_factory=list, description="Source id: commitments with a claim in that source."
    )
    announced_from: date | None = Field(default=None, description="Announced on or after.")
    announced_to: date | None = Field(default=None, description="Announced on or before.")
    effective_from: date | None = Field(default=None, description="Effective on or after.")
    effective_to: date | None = Field(default=None, description="Effective on or before.")
    due_from: date | None = Field(default=None, description="Due (deadline/plan) on or after.")
    due_to: date | None = Field(default=None, description="Due on or before.")
    expires_from: date | None = Field(default=None, description="Expiring on or after.")
    expires_to: date | None = Field(default=None, description="Expiring on or before.")
    has_conflicting_claims: bool | None = Field(
        default=None,
        description="Only commitments with (true) or without (false) claims that dispute them "
        "or give values conflicting with another source's (see `/v1/conflicts`).",
    )
    as_of: date | None = Field(
        default=None,
        description="Report each status as it stood on this day, from the status history; "
        "commitments with no status yet on that day are left out.",
    )
    sort: CommitmentSort = Field(
        default="id", description="Sort field; `-` prefix for descending (e.g. `-expires_on`)."
    )

    @model_validator(mode="after")
    def _ranges_in_order(self) -> "CommitmentFilters":
        for name in DATE_FIELDS:
            low, high = getattr(self, f"{name}_from"), getattr(self, f"{name}_to")
            require_ordered(low, high, f"{name}_from", f"{name}_to")
        return self


class TermIn(BaseModel):
    """A quantified term: `measure` goes from `from_value` to `to_value`, in `unit`."""

    measure: str = Field(max_length=300, description="What is measured.")
    from_value: float | None = Field(default=None, description="Value before the commitment.")
    to_value: float | None = Field(default=None, description="Value the commitment sets.")
    unit: str | None = Field(default=None, max_length=50, description="Unit of both values.")
    note: str | None = Field(default=None, max_length=500)


class TermOut(TermIn):
    pass


class CommitmentCreate(CommitmentBase):
    model_config = FORBID_EXTRA

    id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Stable slug.")
    obligors: list[str] = Field(min_length=1, description="Actor ids bound by the commitment.")
    counterparties: list[str] = Field(default_factory=list, description="Actor ids it is owed to.")
    terms: list[TermIn] = Field(default_factory=list, description="Quantified terms.")

    _iso_dates = field_validator(*(f"{name}_on" for name in DATE_FIELDS), mode="before")(iso_date)

    @model_validator(mode="after")
    def _dates_in_order(self) -> "CommitmentCreate":
        problem = date_problem({name: getattr(self, name) for name in DATE_COLUMNS})
        if problem is not None:
            raise ValueError(problem[1])
        return self


class CommitmentUpdate(BaseModel):
    """A partial update: only the fields sent change; `null` clears an optional field; lists
    (`obligors`, `counterparties`, `terms`) replace the whole list. The status changes only
    through status events."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=not_null(
            "title", "topic", "action", "obligors", "counterparties", "terms"
        ),
    )

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=4000)
    topic: Topic | None = None
    action: ActionKind | None = None
    announced_on: IsoDate | None = None
    announced_precision: DatePrecision | None = None
    announced_note: str | None = Field(default=None, max_length=500)
    effective_on: IsoDate | None = None
    effective_precision: DatePrecision | None = None
    effective_note: str | None = Field(default=None, max_length=500)
    due_on: IsoDate | None = None
    due_precision: DatePrecision | None = None
    due_note: str | None = Field(default=None, max_length=500)
    expires_on: IsoDate | None = None
    expires_precision: DatePrecision | None = None
    expires_note: str | None = Field(default=None, max_length=500)
    obligors: list[str] | None = Field(
        default=None, min_length=1, description="Replaces every obligor (actor ids)."
    )
    counterparties: list[str] | None = Field(
        default=None, description="Replaces every counterparty (actor ids); `[]` clears them."
    )
    terms: list[TermIn] | None = Field(
        default=None, description="Replaces every term, in order; `[]` clears them."
    )

    @model_validator(mode="after")
    def _required_stay_set(self) -> "CommitmentUpdate":
        for name in ("title", "topic", "action", "obligors", "counterparties", "terms"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"`{name}` cannot be null")
        return self


class StatusEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurred_on: IsoDate = Field(description="When the status took effect.")
    status: CommitmentStatus = Field(description="The status from that day on.")
    note: str | None = Field(default=None, max_length=2000, description="What happened.")
    evidence_claim_id: str | None = Field(
        default=None, max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Supporting claim id."
    )


class StatusEventIn(StatusEventCreate):
    """A status event whose evidence is an existing claim or a claim created with it."""

    new_claim: ClaimCreate | None = Field(
        default=None,
        description="A new claim to create and cite as the evidence, instead of "
        "`evidence_claim_id`. Give it a `commitments` entry to list it in this "
        "commitment's evidence too.",
    )

    @model_validator(mode="after")
    def _one_evidence(self) -> "StatusEventIn":
        if self.new_claim is not None and self.evidence_claim_id is not None:
            raise ValueError("give either `evidence_claim_id` or `new_claim`, not both")
        return self


class StatusEventOut(BaseModel):
    id: int
    occurred_on: date
    status: CommitmentStatus
    note: str | None
    evidence_claim_id: str | None
    recorded_at: datetime


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_id: str = Field(
        max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="The commitment the link is from."
    )
    to_id: str = Field(
        max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="The commitment it points to."
    )
    kind: LinkKind = Field(
        description="`from` is reciprocal of / conditional on / supersedes `to`."
    )
    note: str | None = Field(default=None, max_length=1000, description="Why the link holds.")


class LinkUpdate(BaseModel):
    """A partial update of a link: its kind and/or note (its ends are fixed)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=not_null("kind"))

    kind: LinkKind | None = Field(default=None, description="The new kind.")
    note: str | None = Field(default=None, max_length=1000, description="`null` clears it.")

    @model_validator(mode="after")
    def _kind_stays_set(self) -> "LinkUpdate":
        if "kind" in self.model_fields_set and self.kind is None:
            raise ValueError("`kind` cannot be null")
        return self


class LinkPublic(BaseModel):
    """A typed, directed link between two commitments."""

    id: int = Field(description="Numeric id of the link.")
    from_id: str = Field(description="The commitment the link is from.")
    to_id: str = Field(description="The commitment it points to.")
    kind: LinkKind = Field(
        description="`from` is reciprocal of / conditional on / supersedes `to`."
    )
    note: str | None = Field(description="Why the link holds.")
    version: int = Field(description="Bumped by every change; the ETag carries it.")


class LinkOut(BaseModel):
    """A link seen from one commitment: `direction` says whether it points out or in."""

    kind: LinkKind
    direction: str = Field(
        description="`outgoing`: this commitment → other; `incoming`: other → this."
    )
    commitment_id: str = Field(description="The other commitment.")
    title: str
    note: str | None


class CommitmentPublic(CommitmentBase):
    id: str
    status: CommitmentStatus = Field(description="Current status (latest status event by date).")
    obligors: list[ActorRef]
    counterparties: list[ActorRef]
    terms: list[TermOut]
    created_at: datetime
    updated_at: datetime
    version: int


class EvidenceClaim(BaseModel):
    id: str
    quote: str
    start_offset: int
    end_offset: int
    kind: ClaimKind
    stance: Stance
    speakers: list[ActorRef]
    attribution: str | None


class EvidenceSource(BaseModel):
    source_id: str
    title: str | None
    claims: list[EvidenceClaim]


class CommitmentDetail(CommitmentPublic):
    status_history: list[StatusEventOut] = Field(description="Every status event, oldest first.")
    links: list[LinkOut]
    evidence: list[EvidenceSource] = Field(description="Claims about it, grouped by source.")
    corroboration: int = Field(description="Number of distinct sources with a supporting claim.")
