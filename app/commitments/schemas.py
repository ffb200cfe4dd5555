"""Request and response shapes for commitments, their status history and links."""

from datetime import date, datetime
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.actors.schemas import ActorRef
from app.api.filters import require_ordered
from app.models.base import FORBID_EXTRA, SLUG_MAX, SLUG_PATTERN
from app.models.commitment import CommitmentBase
from app.vocab import ActionKind, ClaimKind, CommitmentStatus, LinkKind, Stance, Topic

CommitmentSort: TypeAlias = Literal[
    "id", "-id", "title", "-title",
    "announced_on", "-announced_on", "effective_on", "-effective_on",
    "due_on", "-due_on", "expires_on", "-expires_on", "updated_at", "-updated_at",
]  # fmt: skip

DATE_FIELDS = ("announced", "effective", "due", "expires")


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

    @model_validator(mode="after")
    def _dates_in_order(self) -> "CommitmentCreate":
        ordered = [
            (name, getattr(self, f"{name}_on"))
            for name in ("announced", "effective", "expires")
            if getattr(self, f"{name}_on") is not None
        ]
        for (first, first_on), (second, second_on) in zip(ordered, ordered[1:], strict=False):
            if first_on > second_on:
                raise ValueError(f"`{first}_on` ({first_on}) is after `{second}_on` ({second_on})")
        for name in ("announced", "effective", "due", "expires"):
            if (
                getattr(self, f"{name}_precision") is not None
                and getattr(self, f"{name}_on") is None
            ):
                raise ValueError(f"`{name}_precision` is set but `{name}_on` is not")
        return self


class StatusEventCreate(BaseModel):
    occurred_on: date = Field(description="When the status took effect.")
    status: CommitmentStatus
    note: str | None = Field(default=None, max_length=2000)
    evidence_claim_id: str | None = Field(
        default=None, max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Supporting claim id."
    )


class StatusEventOut(BaseModel):
    id: int
    occurred_on: date
    status: CommitmentStatus
    note: str | None
    evidence_claim_id: str | None
    recorded_at: datetime


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN)
    to_id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN)
    kind: LinkKind
    note: str | None = Field(default=None, max_length=1000)


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
