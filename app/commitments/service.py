"""Commitment logic: writes (with parties and terms), status events, detail with evidence."""

from datetime import date
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from app import writes
from app.actors import service as actor_service
from app.api.paging import PageResult, paginate, sort_key
from app.api.prebuilt import Prebuilt, one_of
from app.api.sql_json import json_array, json_float, json_object, json_text, utc_timestamp
from app.claims import service as claim_service
from app.commitments.schemas import (
    DATE_COLUMNS,
    DATE_FIELDS,
    CommitmentCreate,
    CommitmentFilters,
    CommitmentPublic,
    CommitmentUpdate,
    StatusEventCreate,
    StatusEventIn,
    TermIn,
    date_problem,
)
from app.errors import ConflictError, NotFoundError, UnprocessableError
from app.insights import conflicts, search
from app.models import (
    Actor,
    Claim,
    ClaimCommitment,
    Commitment,
    CommitmentLink,
    CommitmentParty,
    CommitmentTerm,
    Source,
    StatusEvent,
)
from app.vocab import CommitmentStatus, PartyRole, Stance

COMMITMENT_TABLE = SQLModel.metadata.tables["commitment"]


def _not_found(commitment_id: str) -> NotFoundError:
    return NotFoundError(
        f"No commitment has the id {commitment_id!r}.", resource="commitment", id=commitment_id
    )


def get(session: Session, commitment_id: str) -> Commitment:
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise _not_found(commitment_id)
    return commitment


def create(session: Session, data: CommitmentCreate, api_key_id: int | None = None) -> Commitment:
    """A new commitment starts as `proposed` until its first status event."""
    if session.get(Commitment, data.id) is not None:
        raise ConflictError(f"A commitment with the id {data.id!r} already exists.", field="id")
    actor_service.require_existing(session, data.obligors, "obligors")
    actor_service.require_existing(session, data.counterparties, "counterparties")
    commitment = Commitment.model_validate(
        data.model_dump(exclude={"obligors", "counterparties", "terms"}),
        update={"status": CommitmentStatus.PROPOSED},
    )
    session.add(commitment)
    _set_parties(session, data.id, PartyRole.OBLIGOR, data.obligors)
    _set_parties(session, data.id, PartyRole.COUNTERPARTY, data.counterparties)
    _set_terms(session, data.id, data.terms)
    session.flush()
    writes.created(session, "commitment", data.id, api_key_id)
    return commitment


PARTY_FIELDS = {"obligors": PartyRole.OBLIGOR, "counterparties": PartyRole.COUNTERPARTY}


def update(
    session: Session,
    commitment_id: str,
    data: CommitmentUpdate,
    expected_version: int | None,
    api_key_id: int | None,
) -> Commitment:
    changes = data.model_dump(exclude_unset=True)
    for field in PARTY_FIELDS.keys() & changes.keys():
        actor_service.require_existing(session, changes[field], field)
    _require_dates_in_order(get(session, commitment_id), changes)

    def apply() -> None:
        commitment = get(session, commitment_id)
        _require_dates_in_order(commitment, changes)  # again, now that the version is ours
        for field, value in changes.items():
            if field not in (*PARTY_FIELDS, "terms"):
                setattr(commitment, field, value)
        session.add(commitment)
        for field, role in PARTY_FIELDS.items():
            if field in changes:
                session.execute(
                    sa.delete(CommitmentParty).where(
                        col(CommitmentParty.commitment_id) == commitment_id,
                        col(CommitmentParty.role) == role,
                    )
                )
                _set_parties(session, commitment_id, role, changes[field])
        if data.terms is not None:
            session.execute(
                sa.delete(CommitmentTerm).where(col(CommitmentTerm.commitment_id) == commitment_id)
            )
            _set_terms(session, commitment_id, data.terms)

    writes.update(session, "commitment", commitment_id, expected_version, api_key_id, apply)
    return get(session, commitment_id)


def delete(
    session: Session, commitment_id: str, expected_version: int | None, api_key_id: int | None
) -> None:
    """Parties, terms, status events, claim stances and links go with it (the database
    cascades); the tombstone's snapshot keeps them all."""
    get(session, commitment_id)
    writes.delete(session, "commitment", commitment_id, expected_version, api_key_id, lambda: [])


def _require_dates_in_order(commitment: Commitment, changes: dict[str, Any]) -> None:
    merged = {name: getattr(commitment, name) for name in DATE_COLUMNS}
    merged |= {name: value for name, value in changes.items() if name in DATE_COLUMNS}
    problem = date_problem(merged)
    if problem is not None:
        fields, message = problem
        sent = [field for field in fields if field in changes]
        raise UnprocessableError(f"After this change, {message}.", field=(sent or fields)[0])


def _set_parties(session: Session, commitment_id: str, role: PartyRole, ids: list[str]) -> None:
    for actor_id in dict.fromkeys(ids):
        session.add(CommitmentParty(commitment_id=commitment_id, actor_id=actor_id, role=role))


def _set_terms(session: Session, commitment_id: str, terms: list[TermIn]) -> None:
    for position, term in enumerate(terms):
        session.add(
            CommitmentTerm(commitment_id=commitment_id, position=position, **term.model_dump())
        )


def add_status(
    session: Session,
    commitment: Commitment,
    event: StatusEventCreate,
    api_key_id: int | None = None,
) -> StatusEvent:
    """Append a status event; the current status becomes the latest event by (date, id).

    History is never rewritten, so no `If-Match` is needed: the version is bumped whatever it
    was, and the audit entry (action `status`) keeps the record before and after.
    """
    commitment_id = commitment.id
    if event.evidence_claim_id is not None:
        claim_service.get_for_field(session, event.evidence_claim_id, "evidence_claim_id")
    row = StatusEvent(commitment_id=commitment_id, **event.model_dump())

    def apply() -> None:
        session.add(row)
        session.flush()
        latest = session.exec(
            select(StatusEvent.status)
            .where(StatusEvent.commitment_id == commitment_id)
            .order_by(col(StatusEvent.occurred_on).desc(), col(StatusEvent.id).desc())
            .limit(1)
        ).one()
        current = get(session, commitment_id)
        current.status = CommitmentStatus(latest)
        session.add(current)

    writes.update(session, "commitment", commitment_id, None, api_key_id, apply, action="status")
    return row


def record_status(
    session: Session, commitment_id: str, data: StatusEventIn, api_key_id: int | None
) -> Commitment:
    """A status event, with its evidence claim created first when the request brings one."""
    commitment = get(session, commitment_id)
    evidence = data.evidence_claim_id
    if data.new_claim is not None:
        evidence = claim_service.create(session, data.new_claim, api_key_id).id
    event = StatusEventCreate.model_validate(
        data.model_dump(exclude={"new_claim"}) | {"evidence_claim_id": evidence}
    )
    add_status(session, commitment, event, api_key_id)
    return get(session, commitment_id)


SORT_COLUMNS = {
    "title": col(Commitment.title),
    "announced_on": col(Commitment.announced_on),
    "effective_on": col(Commitment.effective_on),
    "due_on": col(Commitment.due_on),
    "expires_on": col(Commitment.expires_on),
    "updated_at": col(Commitment.updated_at),
}


def status_on(day: date | sa.BindParameter[date]) -> sa.ScalarSelect[Any]:
    """Each commitment's status as it stood on `day` (NULL before its first event)."""
    return (
        select(StatusEvent.status)
        .where(col(StatusEvent.commitment_id) == col(Commitment.id), StatusEvent.occurred_on <= day)
        .order_by(col(StatusEvent.occurred_on).desc(), col(StatusEvent.id).desc())
        .limit(1)
        .scalar_subquery()
    )


def list_page(
    session: Session, filters: CommitmentFilters, limit: int, cursor: str | None
) -> PageResult[str]:
    """A page of `CommitmentPublic` items as JSON text, built by the database.

    The keyset query picks the page's ids; one prebuilt statement then writes their JSON (a
    statement built per request would spend more on its cache key than on the SQL).
    """
    sort = sort_key(filters.sort, SORT_COLUMNS)
    keys = [COMMITMENT_TABLE.c.id] + ([sort.column] if sort.column is not None else [])
    statement = sa.select(*keys)
    for condition in _conditions(session, filters):
        statement = statement.where(condition)
    page = paginate(
        session,
        statement,
        id_column=col(Commitment.id),
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    ids = [row.id for row in page.rows]
    parameters: dict[str, Any] = {"ids": ids}
    if filters.as_of is not None:
        parameters["as_of"] = filters.as_of
    items = _ITEMS if filters.as_of is None else _ITEMS_AS_OF
    json_by_id: dict[str, str] = dict(items.all(session.connection(), parameters))
    return PageResult([json_by_id[i] for i in ids], page.next_cursor, page.total)


def _conditions(session: Session, filters: CommitmentFilters) -> list[sa.ColumnElement[bool]]:
    commitment_id = col(Commitment.id)
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.q is not None:
        conditions.append(commitment_id.in_(search.matching_ids("commitment", filters.q)))
    for parameter, role in (
        ("actor", None),
        ("obligor", PartyRole.OBLIGOR),
        ("counterparty", PartyRole.COUNTERPARTY),
    ):
        names = getattr(filters, parameter)
        if names:
            actor_ids = actor_service.resolve_ids(session, names, parameter)
            parties = select(CommitmentParty.commitment_id).where(
                col(CommitmentParty.actor_id).in_(actor_ids)
            )
            if role is not None:
                parties = parties.where(CommitmentParty.role == role)
            conditions.append(commitment_id.in_(parties))
    if filters.topic:
        conditions.append(col(Commitment.topic).in_(filters.topic))
    if filters.action:
        conditions.append(col(Commitment.action).in_(filters.action))
    if filters.status:
        current = col(Commitment.status) if filters.as_of is None else status_on(filters.as_of)
        conditions.append(current.in_(filters.status))
    if filters.as_of is not None:
        conditions.append(status_on(filters.as_of).is_not(None))
    if filters.has_conflicting_claims is not None:
        disputed = commitment_id.in_(conflicts.disputed_commitment_ids())
        conditions.append(disputed if filters.has_conflicting_claims else sa.not_(disputed))
    if filters.source:
        in_sources = (
            select(ClaimCommitment.commitment_id)
            .join(Claim, col(Claim.id) == col(ClaimCommitment.claim_id))
            .where(col(Claim.source_id).in_(filters.source))
        )
        conditions.append(commitment_id.in_(in_sources))
    for name in DATE_FIELDS:
        column = col(getattr(Commitment, f"{name}_on"))
        low, high = getattr(filters, f"{name}_from"), getattr(filters, f"{name}_to")
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column <= high)
    return conditions


# The hot reads below have the database write each `CommitmentPublic` item as JSON
# (`app.api.sql_json`): no ORM object, no row processing and no model validation per row; the
# list hands the text straight to the response. Their statements are built once, at import,
# and run on the session's connection.
_ID: sa.BindParameter[str] = sa.bindparam("commitment_id")
_ACTOR_REF = actor_service.actor_ref(actor_service.ACTOR_TABLE)


def _parties(role: PartyRole) -> sa.ColumnElement[Any]:
    rows = (
        sa.select()
        .select_from(CommitmentParty)
        .join(Actor, col(Actor.id) == col(CommitmentParty.actor_id))
        .where(
            col(CommitmentParty.commitment_id) == COMMITMENT_TABLE.c.id,
            col(CommitmentParty.role) == role,
        )
        .order_by(col(Actor.id))
    )
    return json_array(_ACTOR_REF, rows, COMMITMENT_TABLE)


_TERMS = json_array(
    json_object(
        {
            "measure": col(CommitmentTerm.measure),
            "from_value": json_float(col(CommitmentTerm.from_value)),
            "to_value": json_float(col(CommitmentTerm.to_value)),
            "unit": col(CommitmentTerm.unit),
            "note": col(CommitmentTerm.note),
        }
    ),
    sa.select()
    .select_from(CommitmentTerm)
    .where(col(CommitmentTerm.commitment_id) == COMMITMENT_TABLE.c.id)
    .order_by(col(CommitmentTerm.position)),
    COMMITMENT_TABLE,
)


def _fields(status: sa.ColumnElement[Any]) -> dict[str, Any]:
    """A commitment row's `CommitmentPublic` fields as SQL, with `status` as its status."""
    columns = COMMITMENT_TABLE.c
    values: dict[str, Any] = {
        "status": status,
        "obligors": _parties(PartyRole.OBLIGOR),
        "counterparties": _parties(PartyRole.COUNTERPARTY),
        "terms": _TERMS,
        "created_at": utc_timestamp(columns.created_at),
        "updated_at": utc_timestamp(columns.updated_at),
    }
    return {name: values.get(name, columns.get(name)) for name in CommitmentPublic.model_fields}


def _item(status: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """A commitment row as `CommitmentPublic` JSON text."""
    return json_text(json_object(_fields(status)))


def _items(item: sa.ColumnElement[str]) -> Prebuilt:
    """(id, JSON text) of the commitments whose ids are bound as `ids`."""
    return Prebuilt(
        sa.select(COMMITMENT_TABLE.c.id, item).where(one_of(COMMITMENT_TABLE.c.id, "ids"))
    )


_AS_OF: sa.BindParameter[date] = sa.bindparam("as_of", type_=sa.Date())
_ITEM = _item(COMMITMENT_TABLE.c.status)
_ITEMS = _items(_ITEM)
_ITEMS_AS_OF = _items(_item(status_on(_AS_OF)))


def _history(as_of: bool) -> sa.ColumnElement[Any]:
    """The status events, oldest first; with `as_of`, those up to that day."""
    rows = (
        sa.select()
        .select_from(StatusEvent)
        .where(col(StatusEvent.commitment_id) == _ID)
        .order_by(col(StatusEvent.occurred_on), col(StatusEvent.id))
    )
    if as_of:
        rows = rows.where(col(StatusEvent.occurred_on) <= _AS_OF)
    event = json_object(
        {
            "id": col(StatusEvent.id),
            "occurred_on": col(StatusEvent.occurred_on),
            "status": col(StatusEvent.status),
            "note": col(StatusEvent.note),
            "evidence_claim_id": col(StatusEvent.evidence_claim_id),
            "recorded_at": utc_timestamp(col(StatusEvent.recorded_at)),
        }
    )
    return json_array(event, rows)


_OUTGOING = col(CommitmentLink.from_id) == _ID
_LINKS = json_array(
    json_object(
        {
            "kind": col(CommitmentLink.kind),
            "direction": sa.case((_OUTGOING, sa.literal("outgoing")), else_=sa.literal("incoming")),
            "commitment_id": col(Commitment.id),
            "title": col(Commitment.title),
            "note": col(CommitmentLink.note),
        }
    ),
    sa.select()
    .select_from(CommitmentLink)
    .join(
        Commitment,
        col(Commitment.id)
        == sa.case((_OUTGOING, col(CommitmentLink.to_id)), else_=col(CommitmentLink.from_id)),
    )
    .where(sa.or_(_OUTGOING, col(CommitmentLink.to_id) == _ID))
    .order_by(col(CommitmentLink.from_id), col(CommitmentLink.to_id), col(CommitmentLink.kind)),
)
_CLAIMS_ABOUT_IT = (
    sa.select()
    .select_from(Claim)
    .join(ClaimCommitment, col(ClaimCommitment.claim_id) == col(Claim.id))
    .where(col(ClaimCommitment.commitment_id) == _ID)
)
_EVIDENCE_CLAIMS = json_array(
    json_object(
        {
            "id": col(Claim.id),
            "quote": col(Claim.quote),
            "start_offset": col(Claim.start_offset),
            "end_offset": col(Claim.end_offset),
            "kind": col(Claim.kind),
            "stance": col(ClaimCommitment.stance),
            "speakers": claim_service.SPEAKER_REFS,
            "attribution": col(Claim.attribution),
        }
    ),
    _CLAIMS_ABOUT_IT.where(col(Claim.source_id) == col(Source.id)).order_by(
        col(Claim.start_offset), col(Claim.id)
    ),
    SQLModel.metadata.tables["source"],
)
_EVIDENCE = json_array(
    json_object(
        {"source_id": col(Source.id), "title": col(Source.title), "claims": _EVIDENCE_CLAIMS}
    ),
    sa.select()
    .select_from(Source)
    .where(col(Source.id).in_(_CLAIMS_ABOUT_IT.add_columns(col(Claim.source_id))))
    .order_by(col(Source.id)),
)
_CORROBORATION = (
    _CLAIMS_ABOUT_IT.add_columns(sa.func.count(sa.distinct(col(Claim.source_id))))
    .where(col(ClaimCommitment.stance) == Stance.SUPPORTS)
    .scalar_subquery()
)


def _detail(as_of: bool) -> sa.Select[Any]:
    """(version, status, `CommitmentDetail` JSON text) of the commitment bound as
    `commitment_id`; with `as_of`, the status that stood on that day (NULL before its first
    event) and the history up to it."""
    status = status_on(_AS_OF) if as_of else COMMITMENT_TABLE.c.status
    fields = _fields(status) | {
        "status_history": _history(as_of),
        "links": _LINKS,
        "evidence": _EVIDENCE,
        "corroboration": _CORROBORATION,
    }
    detail = json_text(json_object(fields)).label("detail")
    return sa.select(COMMITMENT_TABLE.c.version, status.label("status"), detail).where(
        COMMITMENT_TABLE.c.id == _ID
    )


_DETAIL = Prebuilt(_detail(as_of=False))
_DETAIL_AS_OF = Prebuilt(_detail(as_of=True))


def detail_json(
    connection: sa.Connection, commitment_id: str, as_of: date | None = None
) -> tuple[int, str]:
    """The commitment's version and its `CommitmentDetail` as JSON text, written by the
    database in one statement: history, links and evidence (grouped by source) included. With
    `as_of`, its status and history as they stood that day."""
    parameters: dict[str, Any] = {"commitment_id": commitment_id}
    if as_of is not None:
        parameters["as_of"] = as_of
    statement = _DETAIL if as_of is None else _DETAIL_AS_OF
    row = statement.first(connection, parameters)
    if row is None:
        raise _not_found(commitment_id)
    version, status, detail = row
    if status is None:
        raise NotFoundError(
            f"Commitment {commitment_id!r} had no recorded status on {as_of}.",
            resource="commitment",
            id=commitment_id,
        )
    return version, detail


def detail(session: Session, commitment_id: str) -> orjson.Fragment:
    """The current `CommitmentDetail`, for the answers to writes: the same bytes a GET sends,
    so that both carry the same ETag."""
    return orjson.Fragment(detail_json(session.connection(), commitment_id)[1])
