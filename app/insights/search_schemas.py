"""Response shapes of full-text search."""

from enum import StrEnum

from pydantic import BaseModel, Field

# Bounds on the work of one query, so that a word found in a fifth of a million claims costs
# about what a rarer one does (unbounded, ranking and counting it took 0.4 s on SQLite).
RANK_WINDOW = 1_000  # matches ranked at most: the newest ones
TOTAL_LIMIT = 10_000  # matches counted at most


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
        description=f"How many records match (of the requested types), counted up to "
        f"{TOTAL_LIMIT:,}; `items` holds the best `limit` of them."
    )
    total_exact: bool = Field(
        description=f"False when more than {TOTAL_LIMIT:,} records match: `total` is then "
        f"{TOTAL_LIMIT:,}, a lower bound."
    )
    ranked: int = Field(
        description="How many matches were ranked to choose `items`: all of them up to "
        f"{RANK_WINDOW:,}; beyond that, the {RANK_WINDOW:,} most recently added."
    )
