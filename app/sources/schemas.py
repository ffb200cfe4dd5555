"""Request and response shapes for sources."""

from datetime import date, datetime
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.actors.schemas import ActorRef
from app.api.filters import IsoDate, iso_date, not_null, require_ordered
from app.claims.schemas import ClaimPublic
from app.models.base import FORBID_EXTRA, SLUG_MAX, SLUG_PATTERN
from app.models.source import SourceBase
from app.vocab import SourceKind


class SourceCreate(SourceBase):
    model_config = FORBID_EXTRA

    id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Stable slug.")
    text: str = Field(min_length=1, description="Full text; claims quote it verbatim.")
    authors: list[str] = Field(default_factory=list, description="Actor ids of the authors.")
    translators: list[str] = Field(default_factory=list, description="Actor ids of translators.")

    _iso_published_on = field_validator("published_on", mode="before")(iso_date)


class SourcePublic(SourceBase):
    id: str
    authors: list[ActorRef] = Field(description="Authors, in the order the text names them.")
    translators: list[ActorRef] = Field(description="Translators, if the text is a translation.")
    text_sha256: str = Field(description="SHA-256 of the UTF-8 encoded full text.")
    text_length: int = Field(description="Length of the text in Unicode code points.")
    created_at: datetime
    updated_at: datetime
    version: int


SourceSort: TypeAlias = Literal[
    "id", "-id", "published_on", "-published_on", "title", "-title", "updated_at", "-updated_at"
]


class SourceFilters(BaseModel):
    """Filters for the source list; repeat a parameter to match any of several values."""

    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Full-text filter on title and full text (all words must match).",
    )
    kind: list[SourceKind] = Field(default_factory=list, description="Kind of document.")
    publisher: list[str] = Field(default_factory=list, description="Publisher's actor id or alias.")
    author: list[str] = Field(
        default_factory=list, description="Author's or translator's actor id or alias."
    )
    language: list[str] = Field(default_factory=list, description="Language tag (e.g. `en`).")
    published_from: date | None = Field(default=None, description="Published on or after.")
    published_to: date | None = Field(default=None, description="Published on or before.")
    sort: SourceSort = Field(
        default="id", description="Sort field; `-` prefix for descending (undated sources last)."
    )

    @model_validator(mode="after")
    def _range_in_order(self) -> "SourceFilters":
        require_ordered(self.published_from, self.published_to, "published_from", "published_to")
        return self


class SourceDetail(SourcePublic):
    claims: list[ClaimPublic] = Field(description="Every claim quoting this source, in text order.")


class SourceUpdate(BaseModel):
    """A partial update: only the fields sent change; `null` clears an optional field;
    `authors` and `translators` replace the lists."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=not_null("kind", "language", "text", "authors", "translators"),
    )

    title: str | None = Field(
        default=None, max_length=500, description="Title as printed; null when none is printed."
    )
    kind: SourceKind | None = Field(default=None, description="What kind of document.")
    publisher_id: str | None = Field(
        default=None,
        max_length=SLUG_MAX,
        pattern=SLUG_PATTERN,
        description="Actor id of the publisher the text names.",
    )
    published_on: IsoDate | None = Field(
        default=None, description="Publication date the text names; null if none."
    )
    language: str | None = Field(
        default=None, min_length=1, max_length=16, description="Language of the text (BCP 47)."
    )
    original_language: str | None = Field(
        default=None, max_length=16, description="Language of the original, for translations."
    )
    file_name: str | None = Field(
        default=None, max_length=200, description="File the text was loaded from."
    )
    notes: str | None = Field(
        default=None, max_length=2000, description="Provenance as the text states it."
    )
    text: str | None = Field(
        default=None,
        min_length=1,
        description="Full text; can change only while no claim quotes the source.",
    )
    authors: list[str] | None = Field(
        default=None, description="Actor ids of the authors; replaces the list."
    )
    translators: list[str] | None = Field(
        default=None, description="Actor ids of the translators; replaces the list."
    )

    @field_validator("kind", "language", "text", "authors", "translators")
    @classmethod
    def _required_stay_set(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            raise ValueError(f"`{info.field_name}` cannot be null")
        return value
