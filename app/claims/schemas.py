"""Request and response shapes for claims."""

from datetime import datetime
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.actors.schemas import ActorRef
from app.api.filters import not_null
from app.models.base import FORBID_EXTRA, SLUG_MAX, SLUG_PATTERN
from app.models.claim import ClaimBase
from app.vocab import ClaimKind, Stance


def value_problem(
    subject: str | None, prop: str | None, number: float | None, text: str | None
) -> str | None:
    """Why a structured value is incomplete, or None when it is consistent (or absent)."""
    has_value = number is not None or text is not None
    if (subject is None) != (prop is None) or (has_value and subject is None):
        return "a structured value needs both `value_subject` and `value_property`"
    if number is not None and text is not None:
        return "give `value_number` or `value_text`, not both"
    return None


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
        problem = value_problem(
            self.value_subject, self.value_property, self.value_number, self.value_text
        )
        if problem is not None:
            raise ValueError(problem)
        return self


class ClaimUpdate(BaseModel):
    """A partial update: only the fields sent change; `null` clears an optional field; `speakers`
    and `commitments` replace the lists. A claim stays in its source (`source_id` cannot change:
    create a new claim instead). A new `quote`, `occurrence` or `start_offset` places the quote
    again, exactly as on create."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra=not_null("quote", "kind", "speakers", "commitments")
    )

    quote: str | None = Field(
        default=None, min_length=1, max_length=5000, description="Verbatim span of the source."
    )
    occurrence: int | None = Field(
        default=None, ge=1, description="Which occurrence (1-based) when the quote repeats."
    )
    start_offset: int | None = Field(
        default=None,
        ge=0,
        description="Optional: where the quote starts; checked against the text.",
    )
    kind: ClaimKind | None = Field(default=None, description="What kind of statement.")
    attribution: str | None = Field(
        default=None, max_length=300, description="How the text attributes the claim."
    )
    speakers: list[str] | None = Field(
        default=None, description="Actor ids asserting the claim; replaces the list."
    )
    commitments: list[ClaimLinkIn] | None = Field(
        default=None,
        description="Commitments the claim is about, with a stance; replaces the list.",
    )
    value_subject: str | None = Field(
        default=None, max_length=200, description="What a structured value is about."
    )
    value_property: str | None = Field(
        default=None, max_length=200, description="Exactly what the value measures."
    )
    value_number: float | None = Field(default=None, description="The value, when a number.")
    value_text: str | None = Field(
        default=None, max_length=200, description="The value, when not a number (ISO dates...)."
    )
    value_unit: str | None = Field(
        default=None, max_length=50, description="Canonical unit of `value_number`."
    )

    @field_validator("quote", "kind", "speakers", "commitments")
    @classmethod
    def _required_stay_set(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            raise ValueError(f"`{info.field_name}` cannot be null")
        return value


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
