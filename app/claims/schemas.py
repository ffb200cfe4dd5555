"""Request and response shapes for claims."""

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from app.actors.schemas import ActorRef
from app.models.base import SLUG_MAX, SLUG_PATTERN
from app.models.claim import ClaimBase
from app.vocab import Stance


class ClaimLinkIn(BaseModel):
    commitment_id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN)
    stance: Stance = Field(description="How the claim bears on the commitment.")


class ClaimCreate(ClaimBase, extra="forbid"):
    """A new claim. Give the quote; the offsets are found (or, if given, checked) by the API."""

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
