"""Request and response shapes for commitments, their status history and links."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.actors.schemas import ActorRef
from app.models.base import SLUG_MAX, SLUG_PATTERN
from app.models.commitment import CommitmentBase
from app.vocab import ClaimKind, CommitmentStatus, LinkKind, Stance


class TermIn(BaseModel):
    """A quantified term: `measure` goes from `from_value` to `to_value`, in `unit`."""

    measure: str = Field(max_length=300, description="What is measured.")
    from_value: float | None = Field(default=None, description="Value before the commitment.")
    to_value: float | None = Field(default=None, description="Value the commitment sets.")
    unit: str | None = Field(default=None, max_length=50, description="Unit of both values.")
    note: str | None = Field(default=None, max_length=500)


class TermOut(TermIn):
    pass


class CommitmentCreate(CommitmentBase, extra="forbid"):
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
