"""Request and response shapes for claims."""

from datetime import datetime
from typing import Literal, TypeAlias

from pydantic import BaseModel, Field, model_validator

from app.actors.schemas import ActorRef
from app.models.base import FORBID_EXTRA, SLUG_MAX, SLUG_PATTERN
from app.models.claim import ClaimBase
from app.vocab import ClaimKind, Stance


class ClaimLinkIn(BaseModel):
    commitment_id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN)
    stance: Stance = Field(description="How the claim bears on the commitment.")


class ClaimCreate(ClaimBase):
    """A new claim. Give the quote; the offsets are found (or, if given, checked) by the API."""

    model_config = FORBID_EXTRA

    id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Stable slug.")
    quote: str = Field(min_length=1, max_length=5000, description="Verbatim span of the source.")
    occurrence: int | None = Field(
        default=None, ge=1, description="Which occurrence (1-based) when the quote repeats."
    )
    start_offset: int | None = Field(
        default=None, ge=0, description="Optional: checked against the text when given."
    )
    speakers: list[str] = Field(default_factory=list, description="Actor ids asserting the claim.")
    commitments: list[ClaimLinkIn] = Field(
        default_factory=list, description="Commitments the claim is about, with a stance."
    )

    @model_validator(mode="after")
    def _value_has_subject_and_property(self) -> "ClaimCreate":
        has_value = self.value_number is not None or self.value_text is not None
        if (self.value_subject is None) != (self.value_property is None) or (
            has_value and self.value_subject is None
        ):
            raise ValueError("a structured value needs both `value_subject` and `value_property`")
        return self


class ClaimCommitmentOut(BaseModel):
    commitment_id: str
    title: str
    stance: Stance


class ClaimPublic(ClaimBase):
    id: str
    quote: str = Field(description="Verbatim span of the source text.")
    start_offset: int = Field(
        description="Start of the quote in the source text, in Unicode code points "
        "(Python string indices; JavaScript strings count UTF-16 units)."
    )
    end_offset: int = Field(description="End of the quote (exclusive), in code points.")
    speakers: list[ActorRef]
    commitments: list[ClaimCommitmentOut]
    created_at: datetime
    updated_at: datetime
    version: int


ClaimSort: TypeAlias = Literal[
    "id", "-id", "start_offset", "-start_offset", "updated_at", "-updated_at"
]


class ClaimFilters(BaseModel):
    """Filters for the claim list; repeat a parameter to match any of several values."""

    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Full-text filter on the quote (all words must match).",
    )
    source: list[str] = Field(default_factory=list, description="Source id.")
    speaker: list[str] = Field(
        default_factory=list, description="Actor id or alias asserting the claim (e.g. `Trump`)."
    )
    kind: list[ClaimKind] = Field(default_factory=list, description="Kind of statement.")
    commitment: list[str] = Field(
        default_factory=list, description="Commitment id the claim bears on."
    )
    stance: list[Stance] = Field(
        default_factory=list,
        description="Stance towards a commitment (towards `commitment` when that is given too).",
    )
    subject: list[str] = Field(default_factory=list, description="Structured value's subject.")
    property: list[str] = Field(
        default_factory=list, description="Structured value's property (e.g. `duration`)."
    )
    has_value: bool | None = Field(
        default=None, description="Only claims with (true) or without (false) a structured value."
    )
    sort: ClaimSort = Field(
        default="id",
        description="Sort field; `-` prefix for descending. `start_offset` gives text order "
        "within a source.",
    )
