"""Commitments, their parties and terms, their status history and the links between them."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import Versioned, aware_datetime, slug_field, utcnow, vocab_type
from app.vocab import (
    ActionKind,
    CommitmentStatus,
    DatePrecision,
    LinkKind,
    PartyRole,
    Topic,
)


class CommitmentBase(SQLModel):
    title: str = Field(max_length=300, description="Short statement of the commitment.")
    description: str | None = Field(
        default=None, max_length=4000, description="What was promised, in the sources' terms."
    )
    topic: Topic = Field(sa_type=vocab_type(Topic, "topic"), description="Policy area.")
    action: ActionKind = Field(
        sa_type=vocab_type(ActionKind, "action"), description="What the obligor undertakes to do."
    )
    announced_on: date | None = Field(default=None, index=True, description="The announced date.")
    announced_precision: DatePrecision | None = Field(
        default=None,
        sa_type=vocab_type(DatePrecision, "announced_precision"),
        description="How exact `announced_on` is.",
    )
    announced_note: str | None = Field(
        default=None, max_length=500, description="Where `announced_on` comes from."
    )
    effective_on: date | None = Field(default=None, index=True, description="The effective date.")
    effective_precision: DatePrecision | None = Field(
        default=None,
        sa_type=vocab_type(DatePrecision, "effective_precision"),
        description="How exact `effective_on` is.",
    )
    effective_note: str | None = Field(
        default=None, max_length=500, description="Where `effective_on` comes from."
    )
    due_on: date | None = Field(
        default=None, index=True, description="The due (deadline or planned) date."
    )
    due_precision: DatePrecision | None = Field(
        default=None,
        sa_type=vocab_type(DatePrecision, "due_precision"),
        description="How exact `due_on` is.",
    )
    due_note: str | None = Field(
        default=None, max_length=500, description="Where `due_on` comes from."
    )
    expires_on: date | None = Field(default=None, index=True, description="The expiry date.")
    expires_precision: DatePrecision | None = Field(
        default=None,
        sa_type=vocab_type(DatePrecision, "expires_precision"),
        description="How exact `expires_on` is.",
    )
    expires_note: str | None = Field(
        default=None, max_length=500, description="Where `expires_on` comes from."
    )


class Commitment(CommitmentBase, Versioned, table=True):
    # The dashboards' usual filter (a topic and a status), counted and paged in id order
    # from the index alone; it also serves the topic filter on its own.
    __table_args__ = (sa.Index("ix_commitment_topic_status", "topic", "status", "id"),)

    id: str = slug_field("Stable slug, e.g. `us-fentanyl-tariff-cut`.")
    status: CommitmentStatus = Field(
        default=CommitmentStatus.ANNOUNCED,
        sa_type=vocab_type(CommitmentStatus, "status"),
        index=True,
        description="Current status: the latest status event by date.",
    )


class CommitmentParty(SQLModel, table=True):
    """An actor bound by (obligor) or owed (counterparty) a commitment."""

    __tablename__ = "commitment_party"
    # What an actor owes or is owed, in commitment id order, straight from the index.
    __table_args__ = (
        sa.Index("ix_commitment_party_actor_id_role", "actor_id", "role", "commitment_id"),
    )

    commitment_id: str = Field(foreign_key="commitment.id", primary_key=True, ondelete="CASCADE")
    actor_id: str = Field(foreign_key="actor.id", primary_key=True)
    role: PartyRole = Field(sa_type=vocab_type(PartyRole, "role"), primary_key=True)


class CommitmentTerm(SQLModel, table=True):
    """A quantified term: `measure` goes from `from_value` to `to_value` in `unit`."""

    __tablename__ = "commitment_term"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: str = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    measure: str = Field(max_length=300)
    from_value: float | None = Field(default=None)
    to_value: float | None = Field(default=None)
    unit: str | None = Field(default=None, max_length=50)
    note: str | None = Field(default=None, max_length=500)


class StatusEvent(SQLModel, table=True):
    """One entry of a commitment's status history; history is appended, never rewritten."""

    __tablename__ = "status_event"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: str = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    occurred_on: date = Field(index=True)
    status: CommitmentStatus = Field(sa_type=vocab_type(CommitmentStatus, "status"))
    note: str | None = Field(default=None, max_length=2000)
    evidence_claim_id: str | None = Field(default=None, foreign_key="claim.id", index=True)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=aware_datetime())


class CommitmentLink(Versioned, table=True):
    """A typed, directed link: `from` is reciprocal of / conditional on / supersedes `to`."""

    __tablename__ = "commitment_link"
    __table_args__ = (
        sa.UniqueConstraint("from_id", "to_id", "kind"),
        sa.CheckConstraint("from_id <> to_id", name="not_self"),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_id: str = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    to_id: str = Field(foreign_key="commitment.id", index=True, ondelete="CASCADE")
    kind: LinkKind = Field(sa_type=vocab_type(LinkKind, "kind"))
    note: str | None = Field(default=None, max_length=1000)
