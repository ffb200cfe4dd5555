"""Request and response shapes for sources."""

from datetime import datetime

from pydantic import Field

from app.actors.schemas import ActorRef
from app.models.base import SLUG_MAX, SLUG_PATTERN
from app.models.source import SourceBase


class SourceCreate(SourceBase, extra="forbid"):
    id: str = Field(max_length=SLUG_MAX, pattern=SLUG_PATTERN, description="Stable slug.")
    text: str = Field(min_length=1, description="Full text; claims quote it verbatim.")
    authors: list[str] = Field(default_factory=list, description="Actor ids of the authors.")
    translators: list[str] = Field(default_factory=list, description="Actor ids of translators.")


class SourcePublic(SourceBase):
    id: str
    authors: list[ActorRef] = Field(description="Authors, in the order the text names them.")
    translators: list[ActorRef] = Field(description="Translators, if the text is a translation.")
    text_sha256: str = Field(description="SHA-256 of the UTF-8 encoded full text.")
    text_length: int = Field(description="Length of the text in Unicode code points.")
    created_at: datetime
    updated_at: datetime
    version: int
