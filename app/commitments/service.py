"""Commitment logic: writes (with parties and terms), status events, detail with evidence."""

from datetime import date
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from app import writes
from app.actors import service as actor_service
from app.api.paging import PageResult, paginate, sort_key
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


def status_on(day: date) -> sa.ScalarSelect[Any]:
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
    items = _ITEMS if filters.as_of is None else _items(_item(status_on(filters.as_of)))
    rows = session.connection().execute(items, {"ids": ids})
    json_by_id: dict[str, str] = dict(rows.all())
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
Record = dict[str, Any]

_ID: sa.BindParameter[str] = sa.bindparam("commitment_id")
_ACTOR_REF = json_object({"id": col(Actor.id), "name": col(Actor.name), "kind": col(Actor.kind)})


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


def _item(status: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """A commitment row as `CommitmentPublic` JSON text, with `status` as its status."""
    columns = COMMITMENT_TABLE.c
    values: dict[str, Any] = {
        "status": status,
        "obligors": _parties(PartyRole.OBLIGOR),
        "counterparties": _parties(PartyRole.COUNTERPARTY),
        "terms": _TERMS,
        "created_at": utc_timestamp(columns.created_at),
        "updated_at": utc_timestamp(columns.updated_at),
    }
    fields = {name: values.get(name, columns.get(name)) for name in CommitmentPublic.model_fields}
    return json_text(json_object(fields))


def _items(item: sa.ColumnElement[str]) -> sa.Select[Any]:
    """(id, JSON text) of the commitments whose ids are bound as `ids`."""
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    return sa.select(COMMITMENT_TABLE.c.id, item).where(COMMITMENT_TABLE.c.id.in_(ids))


_ITEM = _item(COMMITMENT_TABLE.c.status)
_ITEMS = _items(_ITEM)
_ROW = sa.select(_ITEM).where(COMMITMENT_TABLE.c.id == _ID)
_HISTORY = (
    sa.select(
        col(StatusEvent.id),
        col(StatusEvent.occurred_on),
        col(StatusEvent.status),
        col(StatusEvent.note),
        col(StatusEvent.evidence_claim_id),
        col(StatusEvent.recorded_at),
    )
    .where(col(StatusEvent.commitment_id) == _ID)
    .order_by(col(StatusEvent.occurred_on), col(StatusEvent.id))
)
_HISTORY_AS_OF = _HISTORY.where(col(StatusEvent.occurred_on) <= sa.bindparam("as_of"))
_OTHER_END = sa.case(
    (col(CommitmentLink.from_id) == _ID, col(CommitmentLink.to_id)),
    else_=col(CommitmentLink.from_id),
)
_LINKS = (
    sa.select(
        col(CommitmentLink.kind),
        col(CommitmentLink.from_id),
        _OTHER_END,
        col(Commitment.title),
        col(CommitmentLink.note),
    )
    .join(Commitment, col(Commitment.id) == _OTHER_END)
    .where(sa.or_(col(CommitmentLink.from_id) == _ID, col(CommitmentLink.to_id) == _ID))
    .order_by(col(CommitmentLink.from_id), col(CommitmentLink.to_id), col(CommitmentLink.kind))
)
_EVIDENCE = (
    sa.select(
        col(Claim.source_id),
        col(Source.title),
        col(Claim.id),
        col(Claim.quote),
        col(Claim.start_offset),
        col(Claim.end_offset),
        col(Claim.kind),
        col(ClaimCommitment.stance),
        col(Claim.attribution),
    )
    .join(ClaimCommitment, col(ClaimCommitment.claim_id) == col(Claim.id))
    .join(Source, col(Source.id) == col(Claim.source_id))
    .where(col(ClaimCommitment.commitment_id) == _ID)
    .order_by(col(Claim.source_id), col(Claim.start_offset), col(Claim.id))
)


def detail(session: Session, commitment_id: str, as_of: date | None = None) -> Record:
    """A `CommitmentDetail` dict: the commitment with its history, links and evidence; with
    `as_of`, its status and history as they stood that day."""
    connection = session.connection()
    key = {"commitment_id": commitment_id}
    row = connection.execute(_ROW, key).first()
    if row is None:
        raise _not_found(commitment_id)
    if as_of is None:
        history = connection.execute(_HISTORY, key).all()
    else:
        history = connection.execute(_HISTORY_AS_OF, {**key, "as_of": as_of}).all()
    if as_of is not None and not history:
        raise NotFoundError(
            f"Commitment {commitment_id!r} had no recorded status on {as_of}.",
            resource="commitment",
            id=commitment_id,
        )
    record: Record = orjson.loads(row[0])
    if as_of is not None:
        record["status"] = history[-1].status
    record["status_history"] = [dict(event._mapping) for event in history]
    record["links"] = [
        {
            "kind": kind,
            "direction": "outgoing" if from_id == commitment_id else "incoming",
            "commitment_id": other_id,
            "title": title,
            "note": note,
        }
        for kind, from_id, other_id, title, note in connection.execute(_LINKS, key)
    ]
    record |= _evidence(session, commitment_id)
    return record


def _evidence(session: Session, commitment_id: str) -> Record:
    rows = session.connection().execute(_EVIDENCE, {"commitment_id": commitment_id}).all()
    speakers = claim_service.speaker_refs(session, [row.id for row in rows])
    groups: dict[str, Record] = {}
    supporting: set[str] = set()
    for source_id, title, claim_id, quote, start, end, kind, stance, attribution in rows:
        group = groups.setdefault(source_id, {"source_id": source_id, "title": title, "claims": []})
        group["claims"].append(
            {
                "id": claim_id,
                "quote": quote,
                "start_offset": start,
                "end_offset": end,
                "kind": kind,
                "stance": stance,
                "speakers": speakers.get(claim_id, []),
                "attribution": attribution,
            }
        )
        if stance == Stance.SUPPORTS:
            supporting.add(source_id)
    return {"evidence": list(groups.values()), "corroboration": len(supporting)}
