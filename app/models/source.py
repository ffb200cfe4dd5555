"""Sources: the documents, with their full text exactly as collected."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import SLUG_MAX, SLUG_PATTERN, Versioned, slug_field, vocab_type
from app.vocab import ContributorRole, SourceKind


class SourceBase(SQLModel):
    title: str | None = Field(
        default=None, max_length=500, description="Title as printed; null when none is printed."
    )
    kind: SourceKind = Field(
        sa_type=vocab_type(SourceKind, "kind"), description="What kind of document."
    )
    publisher_id: str | None = Field(
        default=None,
        foreign_key="actor.id",
        max_length=SLUG_MAX,
        regex=SLUG_PATTERN,
        index=True,
        description="Actor id of the publisher the text names.",
    )
    published_on: date | None = Field(
        default=None, index=True, description="Publication date the text names; null if none."
    )
    language: str = Field(
        default="en", max_length=16, description="Language of the text (BCP 47 tag)."
    )
    original_language: str | None = Field(
        default=None, max_length=16, description="Language of the original, for translations."
    )
    file_name: str | None = Field(
        default=None, max_length=200, description="Seed file the text was loaded from."
    )
    notes: str | None = Field(
        default=None, max_length=2000, description="Provenance as the text states it."
    )


class Source(SourceBase, Versioned, table=True):
    id: str = slug_field("Stable slug, e.g. `aspi-asia-asap-busan`.")
    text: str = Field(sa_type=sa.Text, description="Full text, exactly as the file holds it.")
    text_sha256: str = Field(max_length=64, description="SHA-256 of the UTF-8 encoded text.")


class SourceContributor(SQLModel, table=True):
    """Authors and translators of a source, in the order the text names them."""

    __tablename__ = "source_contributor"

    source_id: str = Field(foreign_key="source.id", primary_key=True, ondelete="CASCADE")
    actor_id: str = Field(foreign_key="actor.id", primary_key=True, index=True)
    role: ContributorRole = Field(sa_type=vocab_type(ContributorRole, "role"), primary_key=True)
    position: int = Field(default=0)
