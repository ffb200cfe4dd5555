"""Claims: statements in a source, each a verbatim span of its text."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import SLUG_MAX, SLUG_PATTERN, Versioned, slug_field, vocab_type
from app.vocab import ClaimKind, Stance


class ClaimBase(SQLModel):
    source_id: str = Field(
        foreign_key="source.id",
        index=True,
        max_length=SLUG_MAX,
        regex=SLUG_PATTERN,
        description="Id of the source the quote is taken from.",
    )
    kind: ClaimKind = Field(
        sa_type=vocab_type(ClaimKind, "kind"), description="What kind of statement."
    )
    attribution: str | None = Field(
        default=None,
        max_length=300,
        description='How the text attributes the claim when it names no one ("one analyst").',
    )
    value_subject: str | None = Field(
        default=None, max_length=200, index=True, description="What a structured value is about."
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


class Claim(ClaimBase, Versioned, table=True):
    __table_args__ = (
        sa.CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="span"),
        sa.CheckConstraint(
            "(value_subject IS NULL) = (value_property IS NULL)", name="value_subject_property"
        ),
        # The claims by kind of `/v1/stats`, counted from the index instead of the table.
        sa.Index("ix_claim_kind", "kind"),
    )

    id: str = slug_field("Stable slug, e.g. `aspi-meeting-duration`.")
    quote: str = Field(sa_type=sa.Text, description="Verbatim span of the source text.")
    start_offset: int = Field(description="Start of the quote in the source text (code points).")
    end_offset: int = Field(description="End (exclusive) of the quote in the source text.")


class ClaimSpeaker(SQLModel, table=True):
    """Who asserts a claim: the source's authors, or a person the source quotes."""

    __tablename__ = "claim_speaker"
    # An actor's claims in id order, straight from the index (actor detail).
    __table_args__ = (sa.Index("ix_claim_speaker_actor_id_claim_id", "actor_id", "claim_id"),)

    claim_id: str = Field(foreign_key="claim.id", primary_key=True, ondelete="CASCADE")
    actor_id: str = Field(foreign_key="actor.id", primary_key=True)
    position: int = Field(default=0)


class ClaimCommitment(SQLModel, table=True):
    """A claim's bearing on a commitment."""

    __tablename__ = "claim_commitment"

    claim_id: str = Field(foreign_key="claim.id", primary_key=True, ondelete="CASCADE")
    commitment_id: str = Field(
        foreign_key="commitment.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    stance: Stance = Field(sa_type=vocab_type(Stance, "stance"))
