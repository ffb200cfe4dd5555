"""Claim logic: create, update and delete (offsets found and checked), lookups, public shapes."""

from collections import defaultdict
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app import writes
from app.actors import service as actor_service
from app.api.paging import PageResult, paginate, sort_key
from app.api.prebuilt import Prebuilt, one_of
from app.api.sql_json import json_array, json_float, json_object, json_text, utc_timestamp
from app.claims.schemas import (
    ClaimCreate,
    ClaimFilters,
    ClaimLinkIn,
    ClaimPublic,
    ClaimUpdate,
    value_problem,
)
from app.errors import ConflictError, NotFoundError, UnprocessableError
from app.ingest.quotes import QuoteError, check_span, find_quote
from app.insights import search
from app.models import (
    Actor,
    Claim,
    ClaimCommitment,
    ClaimSpeaker,
    Commitment,
    Source,
    StatusEvent,
)

# The fields of a structured value, in the order `value_problem` takes them.
VALUES = ("value_subject", "value_property", "value_number", "value_text")


def _not_found(claim_id: str) -> NotFoundError:
    return NotFoundError(f"No claim has the id {claim_id!r}.", resource="claim", id=claim_id)


def get(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise _not_found(claim_id)
    return claim


def create(session: Session, data: ClaimCreate, api_key_id: int | None = None) -> Claim:
    if session.get(Claim, data.id) is not None:
        raise ConflictError(f"A claim with the id {data.id!r} already exists.", field="id")
    quote, start, end = _place_quote(
        session, data.source_id, data.id, data.quote, data.occurrence, data.start_offset
    )
    actor_service.require_existing(session, data.speakers, "speakers")
    _require_commitments(session, [link.commitment_id for link in data.commitments])
    claim = Claim.model_validate(
        data.model_dump(exclude={"quote", "occurrence", "start_offset", "speakers", "commitments"}),
        update={"quote": quote, "start_offset": start, "end_offset": end},
    )
    session.add(claim)
    _add_speakers(session, data.id, data.speakers)
    _add_commitments(session, data.id, data.commitments)
    session.flush()
    writes.created(session, "claim", data.id, api_key_id)
    return claim


def update(
    session: Session,
    claim_id: str,
    data: ClaimUpdate,
    expected_version: int | None,
    api_key_id: int | None,
) -> Claim:
    sent = data.model_fields_set

    def apply() -> None:
        claim = get(session, claim_id)
        problem = value_problem(*(getattr(data if f in sent else claim, f) for f in VALUES))
        if problem is not None:
            raise UnprocessableError(f"Claim {claim_id!r}: {problem}.", field="value_subject")
        if sent & {"quote", "occurrence", "start_offset"}:
            claim.quote, claim.start_offset, claim.end_offset = _place_quote(
                session,
                claim.source_id,
                claim_id,
                data.quote if data.quote is not None else claim.quote,
                data.occurrence,
                data.start_offset,
            )
        for field in sent & {"kind", "attribution", *VALUES}:
            setattr(claim, field, getattr(data, field))
        session.add(claim)
        if data.speakers is not None:
            actor_service.require_existing(session, data.speakers, "speakers")
            _remove(session, select(ClaimSpeaker).where(ClaimSpeaker.claim_id == claim_id))
            _add_speakers(session, claim_id, data.speakers)
        if data.commitments is not None:
            _require_commitments(session, [link.commitment_id for link in data.commitments])
            _remove(session, select(ClaimCommitment).where(ClaimCommitment.claim_id == claim_id))
            _add_commitments(session, claim_id, data.commitments)

    get(session, claim_id)
    writes.update(session, "claim", claim_id, expected_version, api_key_id, apply)
    return get(session, claim_id)


def delete(
    session: Session, claim_id: str, expected_version: int | None, api_key_id: int | None
) -> None:
    get(session, claim_id)
    writes.delete(
        session,
        "claim",
        claim_id,
        expected_version,
        api_key_id,
        lambda: _references(session, claim_id),
    )


def _place_quote(
    session: Session,
    source_id: str,
    claim_id: str,
    quote: str,
    occurrence: int | None,
    start_offset: int | None,
) -> tuple[str, int, int]:
    """The quote as the source spells it, and its offsets: checked at `start_offset` when that
    is given, otherwise found (the `occurrence`-th time when the quote repeats).

    The source row is share-locked (PostgreSQL) so that its text cannot change, nor the source
    be deleted, before this claim commits; SQLite writers are serialised anyway.
    """
    text = session.exec(
        select(Source.text).where(Source.id == source_id).with_for_update(read=True)
    ).first()
    if text is None:
        raise UnprocessableError(f"Unknown source id {source_id!r}.", field="source_id")
    try:
        if start_offset is not None:
            start, end = start_offset, start_offset + len(quote)
            check_span(text, quote, start, end)
        else:
            span = find_quote(text, quote, occurrence)
            start, end = span.start, span.end
    except QuoteError as error:
        raise UnprocessableError(f"Claim {claim_id!r}: {error}.", field="quote") from error
    return text[start:end], start, end


def _add_speakers(session: Session, claim_id: str, actor_ids: list[str]) -> None:
    for position, actor_id in enumerate(dict.fromkeys(actor_ids)):
        session.add(ClaimSpeaker(claim_id=claim_id, actor_id=actor_id, position=position))


def _add_commitments(session: Session, claim_id: str, links: list[ClaimLinkIn]) -> None:
    for link in {link.commitment_id: link for link in links}.values():
        session.add(
            ClaimCommitment(claim_id=claim_id, commitment_id=link.commitment_id, stance=link.stance)
        )


def _remove(session: Session, rows: SelectOfScalar[Any]) -> None:
    """Delete rows through the ORM and flush, so that rows with the same keys can be re-added."""
    for row in session.exec(rows).all():
        session.delete(row)
    session.flush()


def _references(session: Session, claim_id: str) -> list[str]:
    """Status events citing the claim as evidence: history is never rewritten, so they block."""
    commitment_ids = session.exec(
        select(StatusEvent.commitment_id)
        .where(StatusEvent.evidence_claim_id == claim_id)
        .distinct()
        .order_by(col(StatusEvent.commitment_id))
        .limit(5)
    ).all()
    if not commitment_ids:
        return []
    return [f"status events (as their evidence) of commitments: {', '.join(commitment_ids)}"]


def _require_commitments(session: Session, commitment_ids: list[str]) -> None:
    if not commitment_ids:
        return
    found = set(
        session.exec(select(Commitment.id).where(col(Commitment.id).in_(commitment_ids))).all()
    )
    missing = sorted(set(commitment_ids) - found)
    if missing:
        raise UnprocessableError(
            f"Unknown commitment id(s) in `commitments`: {', '.join(missing)}.", field="commitments"
        )


_SPEAKERS = (
    sa.select(col(ClaimSpeaker.claim_id), col(Actor.id), col(Actor.name), col(Actor.kind))
    .join(Actor, col(Actor.id) == col(ClaimSpeaker.actor_id))
    .where(col(ClaimSpeaker.claim_id).in_(sa.bindparam("claim_ids", expanding=True)))
    .order_by(col(ClaimSpeaker.claim_id), col(ClaimSpeaker.position))
)


def speaker_refs(session: Session, claim_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each claim's speakers in order, as `ActorRef` dicts, in one query."""
    rows = session.connection().execute(_SPEAKERS, {"claim_ids": claim_ids})
    speakers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim_id, actor_id, name, kind in rows:
        speakers[claim_id].append({"id": actor_id, "name": name, "kind": kind})
    return speakers


# A claim as `ClaimPublic` JSON, written by the database (`app.api.sql_json`).
CLAIM_TABLE = SQLModel.metadata.tables["claim"]
_CLAIM_ID: sa.BindParameter[str] = sa.bindparam("claim_id")
SPEAKER_REFS = json_array(
    actor_service.actor_ref(actor_service.ACTOR_TABLE),
    sa.select()
    .select_from(ClaimSpeaker)
    .join(Actor, col(Actor.id) == col(ClaimSpeaker.actor_id))
    .where(col(ClaimSpeaker.claim_id) == CLAIM_TABLE.c.id)
    .order_by(col(ClaimSpeaker.position)),
    CLAIM_TABLE,
)
_COMMITMENT_REFS = json_array(
    json_object(
        {
            "commitment_id": col(Commitment.id),
            "title": col(Commitment.title),
            "stance": col(ClaimCommitment.stance),
        }
    ),
    sa.select()
    .select_from(ClaimCommitment)
    .join(Commitment, col(Commitment.id) == col(ClaimCommitment.commitment_id))
    .where(col(ClaimCommitment.claim_id) == CLAIM_TABLE.c.id)
    .order_by(col(ClaimCommitment.commitment_id)),
    CLAIM_TABLE,
)


def _item() -> sa.ColumnElement[str]:
    columns = CLAIM_TABLE.c
    values: dict[str, Any] = {
        "value_number": json_float(columns.value_number),
        "speakers": SPEAKER_REFS,
        "commitments": _COMMITMENT_REFS,
        "created_at": utc_timestamp(columns.created_at),
        "updated_at": utc_timestamp(columns.updated_at),
    }
    fields = {name: values.get(name, columns.get(name)) for name in ClaimPublic.model_fields}
    return json_text(json_object(fields)).label("item")


_ITEM = _item()
_ITEMS = Prebuilt(sa.select(CLAIM_TABLE.c.id, _ITEM).where(one_of(CLAIM_TABLE.c.id, "ids")))
_ONE = Prebuilt(sa.select(CLAIM_TABLE.c.version, _ITEM).where(CLAIM_TABLE.c.id == _CLAIM_ID))


def items_json(connection: sa.Connection, claim_ids: list[str]) -> list[str]:
    """The claims as `ClaimPublic` JSON texts, in the order of `claim_ids`."""
    json_by_id: dict[str, str] = dict(_ITEMS.all(connection, {"ids": claim_ids}))
    return [json_by_id[claim_id] for claim_id in claim_ids]


def public_json(connection: sa.Connection, claim_id: str) -> tuple[int, str]:
    """The claim's version and its `ClaimPublic` JSON text."""
    row = _ONE.first(connection, {"claim_id": claim_id})
    if row is None:
        raise _not_found(claim_id)
    version, item = row
    return version, item


def public(session: Session, claim_id: str) -> orjson.Fragment:
    """The claim as a GET sends it, for the answers to writes (the same bytes, the same ETag)."""
    return orjson.Fragment(public_json(session.connection(), claim_id)[1])


def get_for_field(session: Session, claim_id: str, field: str) -> Claim:
    """Like `get`, but a missing claim is a 422 naming the request field that referenced it."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise UnprocessableError(f"Unknown claim id {claim_id!r} in `{field}`.", field=field)
    return claim


SORT_COLUMNS = {"start_offset": col(Claim.start_offset), "updated_at": col(Claim.updated_at)}


def list_page(
    session: Session, filters: ClaimFilters, limit: int, cursor: str | None
) -> PageResult[str]:
    """A page of `ClaimPublic` items as JSON text: the keyset query picks the page's ids, one
    prebuilt statement writes their JSON."""
    sort = sort_key(filters.sort, SORT_COLUMNS)
    claim_id = col(Claim.id)
    statement = sa.select(claim_id, *([sort.column] if sort.column is not None else []))
    if filters.q is not None:
        statement = statement.where(claim_id.in_(search.matching_ids("claim", filters.q)))
    if filters.source:
        statement = statement.where(col(Claim.source_id).in_(filters.source))
    if filters.kind:
        statement = statement.where(col(Claim.kind).in_(filters.kind))
    if filters.speaker:
        actor_ids = actor_service.resolve_ids(session, filters.speaker, "speaker")
        spoken = select(ClaimSpeaker.claim_id).where(col(ClaimSpeaker.actor_id).in_(actor_ids))
        statement = statement.where(claim_id.in_(spoken))
    if filters.commitment or filters.stance:
        linked = select(ClaimCommitment.claim_id)
        if filters.commitment:
            linked = linked.where(col(ClaimCommitment.commitment_id).in_(filters.commitment))
        if filters.stance:
            linked = linked.where(col(ClaimCommitment.stance).in_(filters.stance))
        statement = statement.where(claim_id.in_(linked))
    if filters.subject:
        statement = statement.where(col(Claim.value_subject).in_(filters.subject))
    if filters.property:
        statement = statement.where(col(Claim.value_property).in_(filters.property))
    if filters.has_value is not None:
        has_value = col(Claim.value_subject).is_not(None)
        statement = statement.where(has_value if filters.has_value else sa.not_(has_value))
    page = paginate(session, statement, id_column=claim_id, sort=sort, limit=limit, cursor=cursor)
    items = items_json(session.connection(), [row.id for row in page.rows])
    return PageResult(items, page.next_cursor, page.total)
