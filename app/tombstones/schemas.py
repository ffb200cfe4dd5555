"""Response shapes and filters for tombstones and restores."""

from datetime import datetime
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from app.audit.schemas import EntityType

TombstoneSort: TypeAlias = Literal["id", "-id"]


class TombstoneFilters(BaseModel):
    """Filters for the tombstone list; repeat a parameter to match any of several values."""

    entity_type: list[EntityType] = Field(
        default_factory=list, description="Kind of deleted record (`commitment`, `link`, …)."
    )
    sort: TombstoneSort = Field(
        default="id",
        description="`id`: in the order they were deleted; `-id`: the latest deletions first.",
    )


class TombstonePublic(BaseModel):
    id: int
    entity_type: EntityType = Field(description="Kind of the deleted record.")
    entity_id: str = Field(description="Its id (a link's numeric id as a string).")
    snapshot: dict[str, Any] = Field(
        description="The whole record as it was when deleted, in export form; a commitment's "
        "also lists its `links` and `claim_stances`."
    )
    deleted_at: datetime = Field(description="When it was deleted (UTC).")
    api_key_id: int | None = Field(description="Id of the API key that deleted it.")


class RestoredPublic(BaseModel):
    """A record brought back from its tombstone."""

    entity_type: EntityType
    entity_id: str
    record: dict[str, Any] = Field(description="The restored record, in export form.")
    version: int = Field(description="Its version now; the ETag carries it.")
    left_out: list[str] = Field(
        description="What could not come back because the other side is gone (a link to a "
        "deleted commitment, a stance of a deleted claim, a deleted evidence claim)."
    )
