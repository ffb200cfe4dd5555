"""Response shapes of full-text search."""

from enum import StrEnum

from pydantic import BaseModel, Field


class EntityType(StrEnum):
    """What kind of record a search hit is."""

    COMMITMENT = "commitment"
    CLAIM = "claim"
    SOURCE = "source"
    ACTOR = "actor"


class SearchHit(BaseModel):
    """One record that matches every word of the query."""

    type: EntityType = Field(description="What kind of record this is.")
    id: str = Field(description="Its id: fetch it at `/v1/{type}s/{id}`.")
    title: str = Field(
        description="A commitment's title, an actor's name, a source's title (its id when it "
        "has none), or for a claim its source's title followed by the claim id."
    )
    snippet: str = Field(
        description="A short extract around the best match, matched words between « and »; "
        "… marks text left out."
    )
    rank: float = Field(
        description="Relevance between 0 and 1, higher is better. Comparable within one "
        "response only: it depends on the whole collection and on the database engine."
    )


class SearchResults(BaseModel):
    items: list[SearchHit] = Field(description="Matches, most relevant first.")
    total: int = Field(
        description="How many records match in all (of the requested types); `items` holds the "
        "first `limit` of them."
    )
