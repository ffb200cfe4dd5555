"""Actors: states, government bodies, people and organisations named in the sources."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import SLUG_MAX, SLUG_PATTERN, Versioned, slug_field, vocab_type
from app.vocab import ActorKind


class ActorBase(SQLModel):
    name: str = Field(max_length=200, description="Name as the sources most often give it.")
    kind: ActorKind = Field(
        sa_type=vocab_type(ActorKind, "kind"), description="What kind of actor this is."
    )
    country_code: str | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        regex=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 code of the state the actor belongs to.",
    )
    affiliation_id: str | None = Field(
        default=None,
        foreign_key="actor.id",
        max_length=SLUG_MAX,
        regex=SLUG_PATTERN,
        index=True,
        description="Id of the parent actor (a person's institute, a ministry's state).",
    )
    role: str | None = Field(
        default=None, max_length=300, description="Title or role as the sources give it."
    )
    description: str | None = Field(
        default=None, max_length=2000, description="One line on who this is, from the sources."
    )


class Actor(ActorBase, Versioned, table=True):
    id: str = slug_field("Stable slug, e.g. `xi-jinping`.")


class ActorAlias(SQLModel, table=True):
    """Other names the texts use for an actor ("Beijing", "the U.S.")."""

    __tablename__ = "actor_alias"
    __table_args__ = (sa.UniqueConstraint("actor_id", "alias"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: str = Field(foreign_key="actor.id", index=True, ondelete="CASCADE")
    alias: str = Field(max_length=200)
