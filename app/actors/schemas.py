"""Request and response shapes for actors."""

from datetime import datetime

from pydantic import BaseModel, Field

from app.models.actor import ActorBase
from app.models.base import SLUG_MAX, SLUG_PATTERN
from app.vocab import ActorKind


class ActorCreate(ActorBase, extra="forbid"):
    id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Stable slug.")
    aliases: list[str] = Field(default_factory=list, description="Other names the texts use.")


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
