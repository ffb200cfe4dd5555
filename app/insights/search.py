"""Full-text search over commitments, claims, sources and actors.

The index belongs to migration 2026_11_23_0002 and is written only by database triggers; this
module only reads it.

* SQLite: the FTS5 table `search_fts` (Porter stemming, diacritics folded), ranked by bm25.
* PostgreSQL: `search_document.document`, an `english` tsvector under a GIN index, ranked by
  `ts_rank`.

What is indexed: a commitment's title and description, a claim's quote, a source's title and full
text, an actor's name and aliases (as its title) with its role and description. Titles weigh more
than the rest.

Ranking considers at most the `RANK_WINDOW` newest matches (by `search_document.id`, which
follows the order records were added in), so that a query matching a large part of the
knowledge base costs no more than one matching a few thousand records.

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
from app.insights.search_schemas import (
    RANK_WINDOW,
    TOTAL_LIMIT,
    EntityType,
    SearchHit,
    SearchResults,
)
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
    _is_implicitly_boolean = True  # a condition as it stands: no `= 1` on SQLite


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


def count(
    session: Session, q: str, types: Collection[EntityType] = (), up_to: int = TOTAL_LIMIT
) -> int:
    """How many records of `types` (default: all) match `q`, counting no further than `up_to`
    (so the answer `up_to` means "at least that many")."""
    wanted = _type_filter(types)
    statement = _COUNT[session.get_bind().dialect.name, wanted is not None]
    parameters: dict[str, Any] = {"query": checked(q), "up_to": up_to}
    if wanted is not None:
        parameters["types"] = wanted
    return int(session.execute(statement, parameters).scalar_one())


# Straight from the FTS5 index on SQLite: through `search_document` the matching ids would be
# gathered in full before any limit applies.
_COUNT_SQL = {
    "sqlite": "SELECT count(*) FROM (SELECT 1 FROM search_fts {join} "
    "WHERE search_fts MATCH :query {types} LIMIT :up_to)",
    "postgresql": "SELECT count(*) FROM (SELECT 1 FROM search_document "
    "WHERE document @@ plainto_tsquery('english', :query) {types} LIMIT :up_to) AS matches",
}


# `{join}` and `{types}` are empty, or a filter on the entity type when only some types are
# wanted (`_FILTERS`). The newest `:window` matches are scored reading nothing but the index
# (`rowid` is `search_document.id`); the ties of the best are broken by type and id, and only
# the page gets snippets.
_SEARCH_SQLITE = f"""
    WITH newest AS (
        SELECT search_fts.rowid AS id, -bm25(search_fts, 0.0, 0.0, 2.5, 1.0) AS score
        FROM search_fts {{join}}
        WHERE search_fts MATCH :query {{types}}
        ORDER BY search_fts.rowid DESC
        LIMIT :window
    ), best AS (
        SELECT newest.id, newest.score, document.entity_type, document.entity_id
        FROM newest JOIN search_document AS document ON document.id = newest.id
        ORDER BY newest.score DESC, document.entity_type, document.entity_id
        LIMIT :limit
    )
    SELECT best.entity_type, best.entity_id, best.score,
           snippet(search_fts, -1, '{MARK_START}', '{MARK_END}', '{ELLIPSIS}', {SNIPPET_WORDS})
    FROM best JOIN search_fts ON search_fts.rowid = best.id
    WHERE search_fts MATCH :query
    ORDER BY best.score DESC, best.entity_type, best.entity_id
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
        FROM (
            SELECT entity_type, entity_id, title, body, document
            FROM search_document
            WHERE document @@ plainto_tsquery('english', :query) {{types}}
            ORDER BY id DESC
            LIMIT :window
        ) AS newest
        ORDER BY score DESC, entity_type, entity_id
        LIMIT :limit
    ) AS hit
    ORDER BY hit.score DESC, hit.entity_type, hit.entity_id
"""

# On SQLite the type is read from `search_document` (its first columns) rather than from the
# FTS5 table, which would read each match's whole external-content row: 3× faster.
_FILTERS = {
    "sqlite": (
        "JOIN search_document AS filtered ON filtered.id = search_fts.rowid",
        "AND filtered.entity_type IN :types",
    ),
    "postgresql": ("", "AND entity_type IN :types"),
}


def _statements(sql: dict[str, str]) -> dict[tuple[str, bool], sa.TextClause]:
    """Each engine's statement, without and with a filter on the entity types."""
    statements = {}
    for dialect, text in sql.items():
        join, types = _FILTERS[dialect]
        statements[dialect, False] = sa.text(text.format(join="", types="")).bindparams(
            sa.bindparam("query", type_=_SearchQuery())
        )
        statements[dialect, True] = sa.text(text.format(join=join, types=types)).bindparams(
            sa.bindparam("query", type_=_SearchQuery()), sa.bindparam("types", expanding=True)
        )
    return statements


_COUNT = _statements(_COUNT_SQL)
_SEARCH = _statements({"sqlite": _SEARCH_SQLITE, "postgresql": _SEARCH_POSTGRESQL})


def search(
    session: Session,
    q: str,
    types: Collection[EntityType] = (),
    limit: int = 20,
    window: int = RANK_WINDOW,
) -> list[SearchHit]:
    """The `limit` best of the `window` newest matches of `q` among records of `types`
    (default: all), best first. Newest means most recently added: the index keeps a record's
    place when it is edited.

    `rank` is the engine's score s (bm25 negated on SQLite, `ts_rank` on PostgreSQL; both grow
    with relevance) mapped to s / (1 + s), so it lies between 0 and 1 on either engine.
    """
    wanted = _type_filter(types)
    statement = _SEARCH[session.get_bind().dialect.name, wanted is not None]
    parameters: dict[str, Any] = {"query": checked(q), "limit": limit, "window": window}
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
    """The best `limit` hits, the number of matches (up to `TOTAL_LIMIT`) and how many of them
    were ranked."""
    total = count(session, q, types, TOTAL_LIMIT + 1)
    return SearchResults(
        items=search(session, q, types, limit, RANK_WINDOW),
        total=min(total, TOTAL_LIMIT),
        total_exact=total <= TOTAL_LIMIT,
        ranked=min(total, RANK_WINDOW),
    )


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
