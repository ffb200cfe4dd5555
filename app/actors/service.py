"""Actor logic: creation with its aliases, lookups, lists."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, func, select

from app import writes
from app.actors.schemas import (
    CLAIMS_IN_DETAIL,
    COMMITMENTS_IN_DETAIL,
    ActorCreate,
    ActorDetail,
    ActorFilters,
    ActorPublic,
    ActorRef,
    ActorUpdate,
)
from app.api.paging import PageResult, paginate, sort_key
from app.api.prebuilt import Prebuilt
from app.api.sql_json import (
    json_array,
    json_nested,
    json_object,
    json_string,
    json_text,
    utc_timestamp,
)
from app.errors import ConflictError, InvalidParameterError, NotFoundError, UnprocessableError
from app.insights import search
from app.models import (
    Actor,
    ActorAlias,
    Claim,
    ClaimSpeaker,
    Commitment,
    CommitmentParty,
    Source,
    SourceContributor,
)
from app.vocab import PartyRole

ACTOR_TABLE = SQLModel.metadata.tables["actor"]
ALIAS_TABLE = SQLModel.metadata.tables["actor_alias"]


def _not_found(actor_id: str) -> NotFoundError:
    return NotFoundError(f"No actor has the id {actor_id!r}.", resource="actor", id=actor_id)


def get(session: Session, actor_id: str) -> Actor:
    actor = session.get(Actor, actor_id)
    if actor is None:
        raise _not_found(actor_id)
    return actor


def require_existing(session: Session, actor_ids: Iterable[str], field: str) -> None:
    """Raise a 422 naming `field` unless every id is an existing actor."""
    wanted = set(actor_ids)
    if not wanted:
        return
    found = set(session.exec(select(Actor.id).where(col(Actor.id).in_(wanted))).all())
    missing = sorted(wanted - found)
    if missing:
        raise UnprocessableError(
            f"Unknown actor id(s) in `{field}`: {', '.join(missing)}.", field=field
        )


def create(session: Session, data: ActorCreate, api_key_id: int | None = None) -> Actor:
    if session.get(Actor, data.id) is not None:
        raise ConflictError(f"An actor with the id {data.id!r} already exists.", field="id")
    if data.affiliation_id is not None:
        _require_affiliation(session, data.id, data.affiliation_id)
    actor = Actor.model_validate(data.model_dump(exclude={"aliases"}))
    session.add(actor)
    _set_aliases(session, data.id, data.aliases)
    session.flush()
    writes.created(session, "actor", data.id, api_key_id)
    return actor


def update(
    session: Session,
    actor_id: str,
    data: ActorUpdate,
    expected_version: int | None,
    api_key_id: int | None,
) -> Actor:
    changes = data.model_dump(exclude_unset=True)

    def apply() -> None:
        actor = get(session, actor_id)
        if changes.get("affiliation_id") is not None:
            _require_affiliation(session, actor_id, changes["affiliation_id"])
        for field, value in changes.items():
            if field != "aliases":
                setattr(actor, field, value)
        session.add(actor)
        if "aliases" in changes:
            session.execute(sa.delete(ActorAlias).where(col(ActorAlias.actor_id) == actor_id))
            _set_aliases(session, actor_id, changes["aliases"])

    get(session, actor_id)
    writes.update(session, "actor", actor_id, expected_version, api_key_id, apply)
    return get(session, actor_id)


def delete(
    session: Session, actor_id: str, expected_version: int | None, api_key_id: int | None
) -> None:
    get(session, actor_id)
    writes.delete(
        session,
        "actor",
        actor_id,
        expected_version,
        api_key_id,
        lambda: _references(session, actor_id),
    )


def _require_affiliation(session: Session, actor_id: str, affiliation_id: str) -> None:
    """The parent must exist, and following parents from it must never lead back here."""
    require_existing(session, [affiliation_id], "affiliation_id")
    seen = {actor_id}
    current: str | None = affiliation_id
    while current is not None:
        if current in seen:
            raise UnprocessableError(
                "`affiliation_id` would make an actor its own ancestor.", field="affiliation_id"
            )
        seen.add(current)
        current = session.exec(select(Actor.affiliation_id).where(Actor.id == current)).first()


def _set_aliases(session: Session, actor_id: str, aliases: list[str]) -> None:
    for alias in dict.fromkeys(aliases):
        session.add(ActorAlias(actor_id=actor_id, alias=alias))


def _references(session: Session, actor_id: str) -> list[str]:
    """What still refers to the actor (and must be changed before it can be deleted)."""
    checks = {
        "commitments (as a party)": select(CommitmentParty.commitment_id).where(
            CommitmentParty.actor_id == actor_id
        ),
        "claims (as a speaker)": select(ClaimSpeaker.claim_id).where(
            ClaimSpeaker.actor_id == actor_id
        ),
        "sources (as author or translator)": select(SourceContributor.source_id).where(
            SourceContributor.actor_id == actor_id
        ),
        "sources (as publisher)": select(Source.id).where(Source.publisher_id == actor_id),
        "actors (as their affiliation)": select(Actor.id).where(Actor.affiliation_id == actor_id),
    }
    found = []
    for label, query in checks.items():
        ids = sorted(set(session.exec(query.limit(5)).all()))
        if ids:
            found.append(f"{label}: {', '.join(ids)}")
    return found


_ALIASES = (
    sa.select(col(ActorAlias.actor_id), col(ActorAlias.alias))
    .where(col(ActorAlias.actor_id).in_(sa.bindparam("actor_ids", expanding=True)))
    .order_by(col(ActorAlias.id))
)


def aliases_by_actor(session: Session, actor_ids: Iterable[str]) -> dict[str, list[str]]:
    rows = session.connection().execute(_ALIASES, {"actor_ids": list(actor_ids)})
    aliases: dict[str, list[str]] = defaultdict(list)
    for actor_id, alias in rows:
        aliases[actor_id].append(alias)
    return aliases


def to_public(actors: list[Actor], aliases: dict[str, list[str]]) -> list[ActorPublic]:
    return [
        ActorPublic.model_validate(actor, update={"aliases": aliases.get(actor.id, [])})
        for actor in actors
    ]


def refs(session: Session, actor_ids: Iterable[str]) -> dict[str, ActorRef]:
    ids = list(set(actor_ids))
    if not ids:
        return {}
    actors = session.exec(select(Actor).where(col(Actor.id).in_(ids))).all()
    return {a.id: ActorRef(id=a.id, name=a.name, kind=a.kind) for a in actors}


def resolve(session: Session, name: str) -> list[Actor]:
    """Actors whose id, name or alias equals `name`, ignoring case ("Beijing" → china)."""
    lowered = name.lower()
    alias_match = select(ActorAlias.actor_id).where(sa.func.lower(ActorAlias.alias) == lowered)
    statement = select(Actor).where(
        sa.or_(
            col(Actor.id) == lowered,
            sa.func.lower(Actor.name) == lowered,
            col(Actor.id).in_(alias_match),
        )
    )
    return list(session.exec(statement).all())


def resolve_ids(session: Session, names: Iterable[str], parameter: str) -> set[str]:
    """Ids of the actors each name denotes (id, name or alias); an unknown name is a 400."""
    ids: set[str] = set()
    for name in names:
        found = resolve(session, name)
        if not found:
            raise InvalidParameterError(
                f"`{parameter}`: no actor has the id, name or alias {name!r}.", parameter=parameter
            )
        ids |= {actor.id for actor in found}
    return ids


SORT_COLUMNS = {"name": col(Actor.name), "updated_at": col(Actor.updated_at)}


def list_page(
    session: Session, filters: ActorFilters, limit: int, cursor: str | None
) -> PageResult[Actor]:
    statement = select(Actor)
    if filters.q is not None:
        statement = statement.where(col(Actor.id).in_(search.matching_ids("actor", filters.q)))
    if filters.kind:
        statement = statement.where(col(Actor.kind).in_(filters.kind))
    if filters.country:
        statement = statement.where(col(Actor.country_code).in_(filters.country))
    if filters.affiliation:
        parents = resolve_ids(session, filters.affiliation, "affiliation")
        statement = statement.where(col(Actor.affiliation_id).in_(parents))
    return paginate(
        session,
        statement,
        id_column=col(Actor.id),
        sort=sort_key(filters.sort, SORT_COLUMNS),
        limit=limit,
        cursor=cursor,
    )


# An actor's detail, written as JSON by the database in one statement (`app.api.sql_json`).
# The capped lists join from the actor's index entries, in their order, so each stops after
# its cap (indexes of migration 2026_11_23_0004).
_ACTOR_ID: sa.BindParameter[str] = sa.bindparam("actor_id")
_PARENT = ACTOR_TABLE.alias("parent")
_MEMBER = ACTOR_TABLE.alias("member")


def actor_ref(actor: sa.FromClause) -> json_object:
    """An `ActorRef` as JSON, from a row of the actor table (or an alias of it)."""
    return json_object({"id": actor.c.id, "name": actor.c.name, "kind": actor.c.kind})


def _owed(role: PartyRole) -> sa.ColumnElement[Any]:
    commitment = json_object(
        {
            "id": col(Commitment.id),
            "title": col(Commitment.title),
            "topic": col(Commitment.topic),
            "status": col(Commitment.status),
        }
    )
    rows = (
        sa.select()
        .select_from(CommitmentParty)
        .join(Commitment, col(Commitment.id) == col(CommitmentParty.commitment_id))
        .where(col(CommitmentParty.actor_id) == _ACTOR_ID, col(CommitmentParty.role) == role)
        .order_by(col(CommitmentParty.commitment_id))
        .limit(COMMITMENTS_IN_DETAIL)
    )
    return json_array(commitment, rows)


def _owed_total(role: PartyRole) -> sa.ScalarSelect[int]:
    return (
        sa.select(func.count())
        .where(col(CommitmentParty.actor_id) == _ACTOR_ID, col(CommitmentParty.role) == role)
        .scalar_subquery()
    )


_ASSERTED = json_array(
    json_object(
        {
            "id": col(Claim.id),
            "source_id": col(Claim.source_id),
            "kind": col(Claim.kind),
            "quote": col(Claim.quote),
        }
    ),
    sa.select()
    .select_from(ClaimSpeaker)
    .join(Claim, col(Claim.id) == col(ClaimSpeaker.claim_id))
    .where(col(ClaimSpeaker.actor_id) == _ACTOR_ID)
    .order_by(col(ClaimSpeaker.claim_id))
    .limit(CLAIMS_IN_DETAIL),
)


def _detail() -> sa.Select[Any]:
    """(version, `ActorDetail` JSON text) of the actor bound as `actor_id`."""
    columns = ACTOR_TABLE.c
    aliases = json_array(
        json_string(ALIAS_TABLE.c.alias),
        sa.select()
        .select_from(ActorAlias)
        .where(col(ActorAlias.actor_id) == _ACTOR_ID)
        .order_by(col(ActorAlias.id)),
    )
    affiliation = json_nested(
        sa.select(actor_ref(_PARENT))
        .where(_PARENT.c.id == columns.affiliation_id)
        .correlate(ACTOR_TABLE)
        .scalar_subquery()
    )
    members = json_array(
        actor_ref(_MEMBER),
        sa.select()
        .select_from(_MEMBER)
        .where(_MEMBER.c.affiliation_id == _ACTOR_ID)
        .order_by(_MEMBER.c.id),
    )
    values: dict[str, Any] = {
        "aliases": aliases,
        "created_at": utc_timestamp(columns.created_at),
        "updated_at": utc_timestamp(columns.updated_at),
        "affiliation": affiliation,
        "members": members,
        "commitments_owed": _owed(PartyRole.OBLIGOR),
        "commitments_owed_total": _owed_total(PartyRole.OBLIGOR),
        "commitments_owed_to": _owed(PartyRole.COUNTERPARTY),
        "commitments_owed_to_total": _owed_total(PartyRole.COUNTERPARTY),
        "claims_asserted": _ASSERTED,
        "claims_asserted_total": sa.select(func.count())
        .where(col(ClaimSpeaker.actor_id) == _ACTOR_ID)
        .scalar_subquery(),
    }
    fields = {name: values.get(name, columns.get(name)) for name in ActorDetail.model_fields}
    item = json_text(json_object(fields))
    return sa.select(columns.version, item.label("detail")).where(columns.id == _ACTOR_ID)


_DETAIL = Prebuilt(_detail())


def detail_json(connection: sa.Connection, actor_id: str) -> tuple[int, str]:
    """The actor's version and its `ActorDetail` as JSON text. The lists are capped
    (`COMMITMENTS_IN_DETAIL`, `CLAIMS_IN_DETAIL`) with their totals beside them, so the answer
    stays small for a state that owes thousands."""
    row = _DETAIL.first(connection, {"actor_id": actor_id})
    if row is None:
        raise _not_found(actor_id)
    version, detail = row
    return version, detail


def detail(session: Session, actor_id: str) -> orjson.Fragment:
    """The current `ActorDetail`, for the answers to writes: the same bytes a GET sends."""
    return orjson.Fragment(detail_json(session.connection(), actor_id)[1])
