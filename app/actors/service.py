"""Actor logic: creation with its aliases, lookups, lists."""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.actors.schemas import ActorCreate, ActorPublic, ActorRef
from app.errors import ConflictError, NotFoundError, UnprocessableError
from app.models import Actor, ActorAlias


def get(session: Session, actor_id: str) -> Actor:
    actor = session.get(Actor, actor_id)
    if actor is None:
        raise NotFoundError(f"No actor has the id {actor_id!r}.", resource="actor", id=actor_id)
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


def create(session: Session, data: ActorCreate) -> Actor:
    if session.get(Actor, data.id) is not None:
        raise ConflictError(f"An actor with the id {data.id!r} already exists.", field="id")
    if data.affiliation_id is not None and data.affiliation_id != data.id:
        require_existing(session, [data.affiliation_id], "affiliation_id")
    actor = Actor.model_validate(data.model_dump(exclude={"aliases"}))
    session.add(actor)
    for alias in dict.fromkeys(data.aliases):
        session.add(ActorAlias(actor_id=data.id, alias=alias))
    session.flush()
    return actor


def aliases_by_actor(session: Session, actor_ids: Iterable[str]) -> dict[str, list[str]]:
    rows = session.exec(
        select(ActorAlias.actor_id, ActorAlias.alias)
        .where(col(ActorAlias.actor_id).in_(list(actor_ids)))
        .order_by(col(ActorAlias.id))
    ).all()
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
