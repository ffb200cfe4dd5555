"""Request and response shapes for actors."""

from datetime import datetime
from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.filters import not_null
from app.models.actor import ActorBase
from app.models.base import FORBID_EXTRA, SLUG_MAX, SLUG_PATTERN
from app.vocab import ActorKind

CLAIMS_IN_DETAIL = 50
Alias = Annotated[str, Field(min_length=1, max_length=200)]  # as `actor_alias.alias`
COMMITMENTS_IN_DETAIL = 50


class ActorCreate(ActorBase):
    model_config = FORBID_EXTRA

    id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Stable slug.")
    aliases: list[Alias] = Field(default_factory=list, description="Other names the texts use.")


class ActorRef(BaseModel):
    """A compact reference to an actor, used inside other resources."""

    id: str
    name: str
    kind: ActorKind


class ActorPublic(ActorBase):
    id: str
    aliases: list[str] = Field(description="Other names the texts use for this actor.")
    created_at: datetime
    updated_at: datetime
    version: int


ActorSort: TypeAlias = Literal["id", "-id", "name", "-name", "updated_at", "-updated_at"]


class ActorFilters(BaseModel):
    """Filters for the actor list; repeat a parameter to match any of several values."""

    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Full-text filter on name, aliases, role and description.",
    )
    kind: list[ActorKind] = Field(default_factory=list, description="Kind of actor.")
    country: list[str] = Field(
        default_factory=list, description="ISO 3166-1 alpha-2 country code (e.g. `CN`)."
    )
    affiliation: list[str] = Field(
        default_factory=list,
        description="Actor id or alias of the parent: its direct members (e.g. a university's "
        "researchers).",
    )
    sort: ActorSort = Field(default="id", description="Sort field; `-` prefix for descending.")


class CommitmentRef(BaseModel):
    """A compact reference to a commitment."""

    id: str
    title: str
    topic: str
    status: str


class ClaimRef(BaseModel):
    """A compact reference to a claim."""

    id: str
    source_id: str
    kind: str
    quote: str


class ActorDetail(ActorPublic):
    affiliation: ActorRef | None = Field(description="The parent actor, if any.")
    members: list[ActorRef] = Field(description="Actors whose affiliation is this actor.")
    commitments_owed: list[CommitmentRef] = Field(
        description=f"Commitments it is bound by (the first {COMMITMENTS_IN_DETAIL} by id; "
        "`/v1/commitments?obligor=<id>` lists them all)."
    )
    commitments_owed_total: int = Field(description="How many commitments it is bound by.")
    commitments_owed_to: list[CommitmentRef] = Field(
        description=f"Commitments owed to it (the first {COMMITMENTS_IN_DETAIL} by id; "
        "`/v1/commitments?counterparty=<id>` lists them all)."
    )
    commitments_owed_to_total: int = Field(description="How many commitments are owed to it.")
    claims_asserted: list[ClaimRef] = Field(
        description=f"Claims it asserts (the first {CLAIMS_IN_DETAIL}; "
        "`/v1/claims?speaker=<id>` lists them all)."
    )
    claims_asserted_total: int = Field(description="How many claims it asserts in all.")


class ActorUpdate(BaseModel):
    """A partial update: only the fields sent change; `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=not_null("name", "kind", "aliases"))

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: ActorKind | None = None
    country_code: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    affiliation_id: str | None = Field(default=None, max_length=SLUG_MAX, pattern=SLUG_PATTERN)
    role: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=2000)
    aliases: list[Alias] | None = Field(default=None, description="Replaces every alias.")

    @model_validator(mode="after")
    def _required_stay_set(self) -> "ActorUpdate":
        for name in ("name", "kind", "aliases"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"`{name}` cannot be null")
        return self
