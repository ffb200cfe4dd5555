"""Full-text search over commitments, claims, sources and actors.

The index belongs to migration 2026_11_23_0002 and is written only by database triggers; this
module only reads it.

* SQLite: the FTS5 table `search_fts` (Porter stemming, diacritics folded), ranked by bm25.
* PostgreSQL: `search_document.document`, an `english` tsvector under a GIN index, ranked by
  `ts_rank`.

What is indexed: a commitment's title and description, a claim's quote, a source's title and full
text, an actor's name and aliases (as its title) with its role and description. Titles weigh more
than the rest.

The query: `q` is split at whitespace into terms, and a record matches when it holds every term
(AND), in any inflection ("tariff" finds "tariffs"). Each engine splits a term into words as it
splits the indexed text, so `U.S.` finds "U.S."; on SQLite the words of one term must be
adjacent. User text never reaches the engine as syntax: FTS5 gets every term double-quoted (a
quoted string is plain text to MATCH), PostgreSQL gets `plainto_tsquery`, which has no operators.
NUL characters are dropped (PostgreSQL text cannot hold them); a `q` with no letter or digit is a
400 naming `q`. PostgreSQL also ignores English stop words ("the", "of"): a query made only of
them finds nothing there.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from app.errors import InvalidParameterError
from app.insights.search_schemas import EntityType, SearchHit, SearchResults
from app.models import Actor, Claim, Commitment, Source

MARK_START, MARK_END, ELLIPSIS = "«", "»", "…"
SNIPPET_WORDS = 24

_WORD = re.compile(r"[^\W_]+")

_document = sa.table(
    "search_document", sa.column("entity_type", sa.String), sa.column("entity_id", sa.String)
)


def checked(q: str) -> str:
    """`q` without NUL characters; a 400 naming `q` unless it holds a letter or a digit."""
    text = unicodedata.normalize("NFC", q.replace("\x00", " "))
    if not _WORD.search(text):
        raise InvalidParameterError(
            "`q` holds no word to search for: give at least one letter or digit.", parameter="q"
        )
    return text


class _SearchQuery(sa.types.TypeDecorator[str]):
    """A `checked()` query, bound in each engine's safe form (see the module docstring)."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        if value is None or dialect.name != "sqlite":
            return value
        terms = (term for term in value.split() if _WORD.search(term))
        return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _query(q: str) -> sa.BindParameter[str]:
    return sa.literal(checked(q), type_=_SearchQuery())


class _Matches(FunctionElement[bool]):
    """True for the `search_document` rows matching a `_query()` (compiled per engine)."""

    inherit_cache = True
    type = sa.Boolean()
    name = "search_matches"


@compiles(_Matches, "sqlite")
def _matches_sqlite(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    match = compiler.process(element.clauses, **kw)
    return f"search_document.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {match})"


@compiles(_Matches, "postgresql")
def _matches_postgresql(element: _Matches, compiler: SQLCompiler, **kw: Any) -> str:
    match = compiler.process(element.clauses, **kw)
    return f"search_document.document @@ plainto_tsquery('english', {match})"


def matching_ids(entity_type: str, q: str) -> sa.Select[str]:
    """A SELECT of the ids of the `entity_type` records matching `q`, on either engine.

    For list filters: `select(Claim).where(col(Claim.id).in_(matching_ids("claim", q)))`.
    """
    return sa.select(_document.c.entity_id).where(
        _document.c.entity_type == EntityType(entity_type).value, _Matches(_query(q))
    )


def count(session: Session, q: str, types: Collection[EntityType] = ()) -> int:
    """How many records of `types` (default: all) match `q`."""
    wanted = _type_filter(types)
    if wanted is None and session.get_bind().dialect.name == "sqlite":
        # Straight from the FTS5 index: ~40× faster than through `search_document` for a word
        # that matches a fifth of a million claims.
        return int(session.execute(_COUNT_ALL_SQLITE, {"query": checked(q)}).scalar_one())
    statement = sa.select(sa.func.count()).select_from(_document).where(_Matches(_query(q)))
    if wanted is not None:
        statement = statement.where(_document.c.entity_type.in_(wanted))
    return int(session.execute(statement).scalar_one())


_COUNT_ALL_SQLITE = sa.text(
    "SELECT count(*) FROM search_fts WHERE search_fts MATCH :query"
).bindparams(sa.bindparam("query", type_=_SearchQuery()))


# `{types}` is empty, or a filter on `entity_type` when only some types are wanted.
_SEARCH_SQLITE = f"""
    SELECT entity_type, entity_id, -rank AS score,
           snippet(search_fts, -1, '{MARK_START}', '{MARK_END}', '{ELLIPSIS}', {SNIPPET_WORDS})
    FROM search_fts
    WHERE search_fts MATCH :query AND rank MATCH 'bm25(0.0, 0.0, 2.5, 1.0)' {{types}}
    ORDER BY rank, entity_type, entity_id
    LIMIT :limit
"""

_HEADLINE = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, "
    f'MinWords={SNIPPET_WORDS // 2}, MaxFragments=1, FragmentDelimiter=" {ELLIPSIS} "'
)

# The headline is computed for the page only, after ranking and LIMIT.
_SEARCH_POSTGRESQL = f"""
    SELECT hit.entity_type, hit.entity_id, hit.score,
           ts_headline('english', concat_ws(' {ELLIPSIS} ', hit.title, hit.body),
                       plainto_tsquery('english', :query), '{_HEADLINE}')
    FROM (
        SELECT entity_type, entity_id, title, body,
               ts_rank(document, plainto_tsquery('english', :query), 1) AS score
        FROM search_document
        WHERE document @@ plainto_tsquery('english', :query) {{types}}
        ORDER BY score DESC, entity_type, entity_id
        LIMIT :limit
    ) AS hit
    ORDER BY hit.score DESC, hit.entity_type, hit.entity_id
"""

_SEARCH = {
    (dialect, filtered): sa.text(
        sql.format(types="AND entity_type IN :types" if filtered else "")
    ).bindparams(
        sa.bindparam("query", type_=_SearchQuery()),
        *([sa.bindparam("types", expanding=True)] if filtered else []),
    )
    for dialect, sql in (("sqlite", _SEARCH_SQLITE), ("postgresql", _SEARCH_POSTGRESQL))
    for filtered in (False, True)
}


def search(
    session: Session, q: str, types: Collection[EntityType] = (), limit: int = 20
) -> list[SearchHit]:
    """The `limit` best matches of `q` among records of `types` (default: all), best first.

    `rank` is the engine's score s (bm25 negated on SQLite, `ts_rank` on PostgreSQL; both grow
    with relevance) mapped to s / (1 + s), so it lies between 0 and 1 on either engine.
    """
    wanted = _type_filter(types)
    statement = _SEARCH[session.get_bind().dialect.name, wanted is not None]
    parameters: dict[str, Any] = {"query": checked(q), "limit": limit}
    if wanted is not None:
        parameters["types"] = wanted
    rows = [
        (EntityType(entity_type), entity_id, max(float(score), 0.0), " ".join(snippet.split()))
        for entity_type, entity_id, score, snippet in session.execute(statement, parameters)
    ]
    titles = _titles(session, [(entity_type, entity_id) for entity_type, entity_id, *_ in rows])
    return [
        SearchHit(
            type=entity_type,
            id=entity_id,
            title=titles.get((entity_type, entity_id), entity_id),
            snippet=snippet,
            rank=score / (1.0 + score),
        )
        for entity_type, entity_id, score, snippet in rows
    ]


def find(session: Session, q: str, types: Collection[EntityType], limit: int) -> SearchResults:
    """The best `limit` hits and the number of all matches."""
    return SearchResults(items=search(session, q, types, limit), total=count(session, q, types))


def _type_filter(types: Collection[EntityType]) -> list[str] | None:
    """The entity types to filter on; None when all of them are wanted."""
    wanted = sorted({EntityType(t).value for t in types})
    return wanted if wanted and len(wanted) < len(EntityType) else None


def _titles(
    session: Session, keys: Iterable[tuple[EntityType, str]]
) -> dict[tuple[EntityType, str], str]:
    ids: dict[EntityType, list[str]] = defaultdict(list)
    for entity_type, entity_id in keys:
        ids[entity_type].append(entity_id)
    titles: dict[tuple[EntityType, str], str] = {}
    for entity_type, entity_ids in ids.items():
        for entity_id, title in session.execute(_TITLE_QUERIES[entity_type](entity_ids)):
            titles[entity_type, entity_id] = title
    return titles


def _source_title() -> sa.ColumnElement[str]:
    return sa.func.coalesce(col(Source.title), col(Source.id))


_TITLE_QUERIES: dict[EntityType, Callable[[list[str]], sa.Select[str, str]]] = {
    EntityType.COMMITMENT: lambda ids: sa.select(col(Commitment.id), col(Commitment.title)).where(
        col(Commitment.id).in_(ids)
    ),
    EntityType.ACTOR: lambda ids: sa.select(col(Actor.id), col(Actor.name)).where(
        col(Actor.id).in_(ids)
    ),
    EntityType.SOURCE: lambda ids: sa.select(col(Source.id), _source_title()).where(
        col(Source.id).in_(ids)
    ),
    EntityType.CLAIM: lambda ids: (
        sa.select(col(Claim.id), _source_title().concat(", claim ").concat(col(Claim.id)))
        .join(Source, col(Source.id) == col(Claim.source_id))
        .where(col(Claim.id).in_(ids))
    ),
}
