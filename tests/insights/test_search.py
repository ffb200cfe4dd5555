"""Full-text search on both engines: matching, ranking, snippets, the triggers, hostile input."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, col, func, select

from app import schema
from app.claims import service as claim_service
from app.claims.schemas import ClaimCreate
from app.config import Settings
from app.db import create_db_engine
from app.errors import InvalidParameterError
from app.ingest import load as seed_loader
from app.insights import search as search_service
from app.insights.search import matching_ids
from app.insights.search_schemas import RANK_WINDOW, TOTAL_LIMIT, EntityType
from app.models import Actor, ActorAlias, Claim, Commitment, Source
from tests.conftest import ENGINES, DatabaseFactory

pytestmark = pytest.mark.anyio

NONSENSE = "zqxjvwordnotinanytext"
# English stop words PostgreSQL ignores, among those long enough to be picked below.
STOP_WORDS = {"against", "because", "before", "between", "during", "further", "having"}
STOP_WORDS |= {"itself", "myself", "should", "through", "theirs", "themselves", "yourself"}
STOP_WORDS |= {"yourselves", "ourselves", "herself", "himself"}
PUNCTUATION = ".,;:!?\"'“”‘’()[]"


def _words(text: str) -> set[str]:
    """Plain alphabetic words of 6+ letters, which every engine tokenizes the same way."""
    words = {chunk.strip(PUNCTUATION).lower() for chunk in text.split()}
    return {w for w in words if len(w) >= 6 and w.isascii() and w.isalpha()} - STOP_WORDS


def _rare_word(texts: dict[str, str]) -> tuple[str, str]:
    """(id, word): the word of some text that the fewest of these texts contain."""
    words = {record_id: _words(text) for record_id, text in texts.items()}
    frequency: dict[str, int] = {}
    for found in words.values():
        for word in found:
            frequency[word] = frequency.get(word, 0) + 1
    candidates = [(frequency[w], -len(w), w, i) for i, found in words.items() for w in found]
    if not candidates:
        pytest.fail("the seed has no text with a plain word of six letters or more")
    _, _, word, record_id = min(candidates)
    return record_id, word


def _claim_and_word(session: Session) -> tuple[Claim, str]:
    quotes = {claim.id: claim.quote for claim in session.exec(select(Claim)).all()}
    claim_id, word = _rare_word(quotes)
    return session.get_one(Claim, claim_id), word


async def _search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _keys(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(hit["type"], hit["id"]) for hit in body["items"]}


async def test_a_distinctive_word_finds_its_claim_and_the_source_quoted(
    client: httpx.AsyncClient, session: Session
) -> None:
    claim, word = _claim_and_word(session)
    body = await _search(client, q=word, limit=100)
    assert {("claim", claim.id), ("source", claim.source_id)} <= _keys(body)
    assert body["total"] >= len(body["items"]) >= 2
    hit = next(h for h in body["items"] if h["id"] == claim.id)
    assert claim.id in hit["title"]
    ranks = [h["rank"] for h in body["items"]]
    assert ranks == sorted(ranks, reverse=True)
    assert all(0 < rank < 1 for rank in ranks)


async def test_the_snippet_marks_the_matched_word(
    client: httpx.AsyncClient, session: Session
) -> None:
    claim, word = _claim_and_word(session)
    body = await _search(client, q=word, type="claim", limit=100)
    snippet = next(h["snippet"] for h in body["items"] if h["id"] == claim.id)
    marked = [part.split("»")[0] for part in snippet.split("«")[1:]]
    assert marked, snippet
    assert all(m.lower()[:4] == word[:4] for m in marked), snippet
    shown = snippet.replace("«", "").replace("»", "").strip("…")
    assert shown in " ".join(claim.quote.split())


def _record_texts(session: Session, entity_type: str) -> dict[str, str]:
    if entity_type == "commitment":
        return {c.id: c.title for c in session.exec(select(Commitment))}
    if entity_type == "actor":
        return {a.id: a.name for a in session.exec(select(Actor))}
    return {s.id: s.text for s in session.exec(select(Source))}


@pytest.mark.parametrize("entity_type", ["commitment", "actor", "source"])
async def test_a_word_of_a_record_finds_it(
    client: httpx.AsyncClient, session: Session, entity_type: str
) -> None:
    record_id, word = _rare_word(_record_texts(session, entity_type))
    body = await _search(client, q=word.upper(), type=entity_type, limit=100)
    assert (entity_type, record_id) in _keys(body)


async def test_type_keeps_only_the_kinds_asked_for(
    client: httpx.AsyncClient, session: Session
) -> None:
    claim, word = _claim_and_word(session)
    everything = await _search(client, q=word, limit=100)
    claims = await _search(client, q=word, type="claim", limit=100)
    sources = await _search(client, q=word, type="source", limit=100)
    both = await _search(client, q=word, type=["claim", "source"], limit=100)
    assert {t for t, _ in _keys(claims)} == {"claim"}
    assert {t for t, _ in _keys(sources)} == {"source"}
    assert ("claim", claim.id) in _keys(claims)
    assert ("source", claim.source_id) in _keys(sources)
    assert _keys(both) == _keys(claims) | _keys(sources)
    assert claims["total"] + sources["total"] == both["total"] <= everything["total"]


async def test_every_word_must_match(client: httpx.AsyncClient, session: Session) -> None:
    claim, word = _claim_and_word(session)
    other = sorted(_words(claim.quote) - {word})
    if not other:
        pytest.fail(f"claim {claim.id} has a single plain long word")
    together = await _search(client, q=f"{word} {other[0]}", type="claim", limit=100)
    assert ("claim", claim.id) in _keys(together)
    with_nonsense = await _search(client, q=f"{word} {NONSENSE}")
    assert with_nonsense == {"items": [], "total": 0, "total_exact": True, "ranked": 0}


async def test_limit_caps_the_items_not_the_total(
    client: httpx.AsyncClient, session: Session
) -> None:
    claim, _ = _claim_and_word(session)
    word = min(_words(claim.quote), key=len)
    everything = await _search(client, q=word, limit=100)
    one = await _search(client, q=word, limit=1)
    assert len(one["items"]) == 1
    assert one["total"] == everything["total"]
    assert one["items"][0] == everything["items"][0]


def _common_word(session: Session) -> tuple[str, list[tuple[str, str]]]:
    """A word of the claims found in many records, and those records newest first (the order
    of `search_document.id`)."""
    quotes = " ".join(session.exec(select(Claim.quote)).all())
    counted = [(search_service.count(session, w, up_to=10**6), w) for w in sorted(_words(quotes))]
    matches, word = max(counted)
    if matches < 6:
        pytest.fail("no word of the seeded claims is found in six records")
    newest = [
        (hit.type.value, hit.id)
        for hit in search_service.search(session, word, limit=100, window=10**6)
    ]
    order = {
        (entity_type, entity_id): document_id
        for document_id, entity_type, entity_id in session.execute(
            sa.text("SELECT id, entity_type, entity_id FROM search_document")
        )
    }
    return word, sorted(newest, key=order.__getitem__, reverse=True)


async def test_ranking_considers_the_newest_matches_only(session: Session) -> None:
    word, newest = _common_word(session)
    everything = search_service.search(session, word, limit=100, window=10**6)
    assert len(everything) == len(newest)
    ranks = [hit.rank for hit in everything]
    assert ranks == sorted(ranks, reverse=True)
    window = search_service.search(session, word, limit=100, window=3)
    assert {(hit.type.value, hit.id) for hit in window} == set(newest[:3])
    assert window == sorted(
        (h for h in everything if (h.type.value, h.id) in newest[:3]), key=lambda h: -h.rank
    )
    first_claims = [key for key in newest if key[0] == "claim"][:2]
    claims = search_service.search(session, word, [EntityType.CLAIM], limit=100, window=2)
    assert {(hit.type.value, hit.id) for hit in claims} == set(first_claims)


async def test_total_is_counted_up_to_a_limit_and_says_so(
    app: FastAPI, client: httpx.AsyncClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    word, newest = _common_word(session)
    exact = await _search(client, q=word, limit=100)
    assert (exact["total"], exact["total_exact"], exact["ranked"]) == (
        len(newest),
        True,
        len(newest),
    )
    monkeypatch.setattr(search_service, "TOTAL_LIMIT", 4)
    monkeypatch.setattr(search_service, "RANK_WINDOW", 2)
    app.state.response_cache.clear()  # as a restart with the new limits would
    bounded = await _search(client, q=word, limit=100)
    assert (bounded["total"], bounded["total_exact"], bounded["ranked"]) == (4, False, 2)
    assert {(hit["type"], hit["id"]) for hit in bounded["items"]} == set(newest[:2])
    claims = search_service.count(session, word, [EntityType.CLAIM], up_to=10**6)
    assert search_service.count(session, word, [EntityType.CLAIM], up_to=1) == min(claims, 1)


async def test_matching_ids_filters_a_list_query(session: Session) -> None:
    claim, word = _claim_and_word(session)
    statement = select(Claim.id).where(col(Claim.id).in_(matching_ids("claim", word)))
    assert claim.id in session.exec(statement).all()
    nothing = select(Claim.id).where(col(Claim.id).in_(matching_ids("claim", NONSENSE)))
    assert session.exec(nothing).all() == []
    with pytest.raises(InvalidParameterError):
        matching_ids("claim", "*")


def test_a_list_filter_on_q_is_a_condition_an_index_can_serve() -> None:
    """On SQLite, `… IN (SELECT rowid FROM search_fts …) = 1` (a boolean function compared with
    1) would make the planner scan the table instead of starting from the matches: a rare
    phrase over a million claims took 0.64 s that way, 9 ms without."""
    statement = select(Claim.id).where(col(Claim.id).in_(matching_ids("claim", "tariff")))
    sql = str(statement.compile(dialect=sqlite.dialect()))
    assert "search_fts MATCH ?)" in sql
    assert "= 1" not in sql


async def test_a_new_claim_is_found_at_once_and_a_deleted_one_is_not(
    client: httpx.AsyncClient, session: Session
) -> None:
    claim, word = _claim_and_word(session)
    new_id = "search-test-new-claim"
    assert ("claim", new_id) not in _keys(await _search(client, q=word, type="claim"))
    data = ClaimCreate(
        id=new_id,
        source_id=claim.source_id,
        kind=claim.kind,
        quote=claim.quote,
        start_offset=claim.start_offset,
    )
    created = claim_service.create(session, data)
    assert ("claim", new_id) in _keys(await _search(client, q=word, type="claim", limit=100))
    session.delete(created)
    session.flush()
    assert ("claim", new_id) not in _keys(await _search(client, q=word, type="claim", limit=100))


async def test_updates_are_indexed_whatever_writes_them(
    client: httpx.AsyncClient, session: Session
) -> None:
    commitment = session.exec(select(Commitment)).first()
    source = session.exec(select(Source)).first()
    assert commitment is not None
    assert source is not None
    commitment.title = f"{commitment.title} Zorblaxian"
    session.add(commitment)
    session.flush()
    session.execute(
        sa.text("UPDATE source SET title = 'Quixotical ' || coalesce(title, '') WHERE id = :id"),
        {"id": source.id},
    )
    assert _keys(await _search(client, q="zorblaxian")) == {("commitment", commitment.id)}
    assert _keys(await _search(client, q="quixotical")) == {("source", source.id)}


async def test_an_added_alias_is_searchable_and_a_removed_one_is_not(
    client: httpx.AsyncClient, session: Session
) -> None:
    actor = session.exec(select(Actor).order_by(col(Actor.id))).first()
    assert actor is not None
    alias = ActorAlias(actor_id=actor.id, alias="Zorblaxian Authority")
    session.add(alias)
    session.flush()
    body = await _search(client, q="zorblaxian authority")
    assert _keys(body) == {("actor", actor.id)}
    assert body["items"][0]["title"] == actor.name
    session.delete(alias)
    session.flush()
    assert (await _search(client, q="zorblaxian"))["total"] == 0


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_migration_indexes_existing_rows_and_its_downgrade_removes_the_index(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    url = empty_database_url(engine_name, "search")
    schema.upgrade(url)
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            seed_loader.load(session, Settings().seed_file)
            session.commit()
        # Back to before the index, with the data kept, then up again: the migration backfills.
        schema.downgrade(url, "2026_11_23_0001")
        schema.upgrade(url)
        with Session(engine) as session:
            claim, word = _claim_and_word(session)
            hits = search_service.search(session, word, limit=100)
            assert ("claim", claim.id) in {(hit.type, hit.id) for hit in hits}
            indexed = session.execute(sa.text("SELECT count(*) FROM search_document")).scalar()
            records = sum(
                session.exec(select(func.count()).select_from(model)).one()
                for model in (Actor, Claim, Commitment, Source)
            )
            assert indexed == records
        schema.downgrade(url, "2026_11_23_0001")
        tables = set(sa.inspect(engine).get_table_names())
        assert not {name for name in tables if name.startswith("search_")}
        with Session(engine) as session:  # the entity tables work without their triggers
            session.execute(sa.update(Claim).values(quote=Claim.quote))
            session.rollback()
    finally:
        engine.dispose()


@pytest.fixture
def statements(session: Session) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the session's connection sends, with its parameters."""
    connection = session.connection()
    sent: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        sent.append((args[2], args[3]))

    sa.event.listen(connection, "before_cursor_execute", record)
    yield sent
    sa.event.remove(connection, "before_cursor_execute", record)


async def test_search_uses_the_full_text_index(
    client: httpx.AsyncClient,
    session: Session,
    engine_name: str,
    statements: list[tuple[str, Any]],
) -> None:
    _, word = _claim_and_word(session)
    await _search(client, q=word)
    connection = session.connection()
    if engine_name == "sqlite":
        statement, parameters = next(s for s in statements if "snippet(" in s[0])
        assert "search_fts MATCH" in statement
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        assert any("VIRTUAL TABLE INDEX" in row[-1] for row in plan), plan
    else:
        statement, parameters = next(s for s in statements if "ts_headline(" in s[0])
        # The seed is tiny: left alone, the planner walks the newest rows by primary key.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
        plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
        assert any("ix_search_document_document" in line for line in plan), plan
    assert "LIKE" not in statement.upper()


HOSTILE = [
    '"',
    "'",
    "*",
    "(",
    ")",
    "NEAR(",
    "NEAR(a b, 2)",
    "a OR",
    "OR",
    "AND NOT",
    "-",
    "-tariff",
    "^tariff",
    "tariff*",
    "title: tariff",
    "{title body}: tariff",
    '"unbalanced',
    "a\\b",
    "%",
    "_",
    "'; DROP TABLE claim; --",
    "x" * 200,
    "稀土",
    "Café crème",
    "\x00",
    "tariff\x00s",
    "!:&|<->()",
]


@pytest.mark.parametrize("q", HOSTILE)
async def test_hostile_queries_are_answered_never_a_500(
    client: httpx.AsyncClient, session: Session, q: str
) -> None:
    claims = session.exec(select(func.count()).select_from(Claim)).one()
    response = await client.get("/v1/search", params={"q": q})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["parameter"] == "q"
    else:
        assert response.json()["total"] >= len(response.json()["items"])
    assert session.exec(select(func.count()).select_from(Claim)).one() == claims


@pytest.mark.parametrize("q", ["*", "\x00", "  ", "«»", "-- ;"])
async def test_a_query_without_a_word_is_a_400_naming_q(client: httpx.AsyncClient, q: str) -> None:
    response = await client.get("/v1/search", params={"q": q})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == "q"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=" + "x" * 201, "q"),
        ("q=tariff&type=treaty", "type"),
        ("q=tariff&limit=0", "limit"),
        ("q=tariff&limit=101", "limit"),
    ],
)
async def test_bad_parameters_are_a_400_naming_them(
    client: httpx.AsyncClient, query: str, name: str
) -> None:
    response = await client.get(f"/v1/search?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert {error["name"].split(".")[0] for error in response.json()["errors"]} == {name}


async def test_the_route_is_documented(app: FastAPI) -> None:
    operation = app.openapi()["paths"]["/v1/search"]["get"]
    assert operation["tags"] == ["search"]
    assert "«" in operation["description"]
    # The limits are written out in the description: it must say the ones in force.
    assert f"{RANK_WINDOW:,} most recently added" in operation["description"]
    assert f"up to {TOTAL_LIMIT:,}" in operation["description"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "type", "limit"}
    assert all(p.get("description") for p in operation["parameters"])
