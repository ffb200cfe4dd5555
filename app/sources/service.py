"""Source logic: creation with contributors, lookups, public shapes."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.actors import service as actor_service
from app.errors import ConflictError, NotFoundError
from app.models import Source, SourceContributor
from app.sources.schemas import SourceCreate, SourcePublic
from app.vocab import ContributorRole


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get(session: Session, source_id: str) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFoundError(f"No source has the id {source_id!r}.", resource="source", id=source_id)
    return source


def create(session: Session, data: SourceCreate) -> Source:
    if session.get(Source, data.id) is not None:
        raise ConflictError(f"A source with the id {data.id!r} already exists.", field="id")
    if data.publisher_id is not None:
        actor_service.require_existing(session, [data.publisher_id], "publisher_id")
    actor_service.require_existing(session, data.authors, "authors")
    actor_service.require_existing(session, data.translators, "translators")
    source = Source.model_validate(
        data.model_dump(exclude={"authors", "translators"}),
        update={"text_sha256": sha256(data.text)},
    )
    session.add(source)
    for role, actor_ids in (
        (ContributorRole.AUTHOR, data.authors),
        (ContributorRole.TRANSLATOR, data.translators),
    ):
        for position, actor_id in enumerate(dict.fromkeys(actor_ids)):
            session.add(
                SourceContributor(
                    source_id=data.id, actor_id=actor_id, role=role, position=position
                )
            )
    session.flush()
    return source


def to_public(session: Session, sources: list[Source]) -> list[SourcePublic]:
    ids = [source.id for source in sources]
    rows = session.exec(
        select(SourceContributor)
        .where(col(SourceContributor.source_id).in_(ids))
        .order_by(col(SourceContributor.position))
    ).all()
    refs = actor_service.refs(session, (row.actor_id for row in rows))
    people: dict[tuple[str, ContributorRole], list[str]] = defaultdict(list)
    for row in rows:
        people[(row.source_id, row.role)].append(row.actor_id)
    lengths = dict(
        session.exec(
            select(Source.id, sa.func.length(Source.text)).where(col(Source.id).in_(ids))
        ).all()
    )
    return [
        SourcePublic.model_validate(
            source,
            update={
                "authors": [refs[a] for a in people[(source.id, ContributorRole.AUTHOR)]],
                "translators": [refs[a] for a in people[(source.id, ContributorRole.TRANSLATOR)]],
                "text_length": lengths[source.id],
            },
        )
        for source in sources
    ]


def texts(session: Session, source_ids: Iterable[str]) -> dict[str, str]:
    rows = session.exec(
        select(Source.id, Source.text).where(col(Source.id).in_(list(source_ids)))
    ).all()
    return dict(rows)
