"""HTTP route for full-text search across resources."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SessionDep
from app.insights import search as search_service
from app.insights.search_schemas import EntityType, SearchResults

router = APIRouter(prefix="/v1", tags=["search"])

MAX_RESULTS = 100


@router.get("/search", response_model=SearchResults, summary="Search every resource")
def search(
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Words to look for; a record must contain all of them, in any "
            "inflection (`tariff` also finds `tariffs`). Punctuation only separates words.",
        ),
    ],
    types: Annotated[
        list[EntityType] | None,
        Query(
            alias="type",
            description="Only records of this kind; repeat to allow several "
            "(`type=claim&type=source`). Default: all four.",
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_RESULTS, description=f"How many hits to return (1–{MAX_RESULTS})."),
    ] = 20,
) -> SearchResults:
    """Find commitments, claims, sources and actors by the words they contain.

    Searched: a commitment's title and description, a claim's verbatim quote, a source's title
    and full text, an actor's name, aliases, role and description.

    * **Every word must match** (AND): `rare earth` finds records holding both words, anywhere,
      in any order and in any inflection (`tariffs` also finds `tariff`). There are no phrases,
      prefixes or operators: `OR` and `NOT` are ordinary words, and quotes, `-`, `*` and other
      punctuation only separate words. Case and accents are ignored. On PostgreSQL very common
      English words (`the`, `of`) are ignored too.
    * **Ranking**: best match first, by how often and where the words occur, a match in a title
      (or an actor's name or alias) counting more than one in the text. `rank` lies between 0
      and 1, higher is better; compare it only within one response.
      A query matching more than 1,000 records is ranked among the 1,000 most recently added
      (`ranked` says how many were ranked): add words or a `type` to have every match ranked.
    * **Snippets** show a short extract around the match with each matched word between
      `«` and `»`, e.g. `the U.S. will «suspend» the «tariffs»`.
    * `total` counts the matching records of the requested types up to 10,000 (beyond,
      `total_exact` is false); `items` holds the best `limit` of them. There is no second
      page: narrow the query or the `type` instead. For an exact count of a kind of record,
      use its list's `q` filter (`/v1/claims?q=…` counts every match on its first page).

    A `q` with no letter or digit is a 400 naming `q`.
    """
    return search_service.find(session, q, types or [], limit)
