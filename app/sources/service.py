"""Source logic: create, update and delete with contributors, lookups, public shapes."""

import hashlib
import html
import itertools
from collections import defaultdict
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app import writes
from app.actors import service as actor_service
from app.api.paging import PageResult, paginate, sort_key
from app.claims import service as claim_service
from app.errors import ConflictError, InvalidParameterError, NotFoundError
from app.insights import search
from app.models import Claim, Source, SourceContributor
from app.sources.schemas import (
    SourceCreate,
    SourceFilters,
    SourcePublic,
    SourceUpdate,
)
from app.vocab import ContributorRole


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get(session: Session, source_id: str) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise NotFoundError(f"No source has the id {source_id!r}.", resource="source", id=source_id)
    return source


def create(session: Session, data: SourceCreate, api_key_id: int | None = None) -> Source:
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
    _add_contributors(session, data.id, ContributorRole.AUTHOR, data.authors)
    _add_contributors(session, data.id, ContributorRole.TRANSLATOR, data.translators)
    session.flush()
    writes.created(session, "source", data.id, api_key_id)
    return source


def update(
    session: Session,
    source_id: str,
    data: SourceUpdate,
    expected_version: int | None,
    api_key_id: int | None,
) -> Source:
    changes = data.model_dump(exclude_unset=True, exclude={"authors", "translators"})
    contributors = {
        "authors": (ContributorRole.AUTHOR, data.authors),
        "translators": (ContributorRole.TRANSLATOR, data.translators),
    }

    def apply() -> None:
        source = get(session, source_id)
        if "text" in changes and changes["text"] != source.text:
            _require_unquoted(session, source_id)
            source.text_sha256 = sha256(changes["text"])
        if changes.get("publisher_id") is not None:
            actor_service.require_existing(session, [changes["publisher_id"]], "publisher_id")
        for field, value in changes.items():
            setattr(source, field, value)
        session.add(source)
        for field, (role, actor_ids) in contributors.items():
            if actor_ids is None:
                continue
            actor_service.require_existing(session, actor_ids, field)
            for row in session.exec(
                select(SourceContributor).where(
                    SourceContributor.source_id == source_id, SourceContributor.role == role
                )
            ).all():
                session.delete(row)
            session.flush()
            _add_contributors(session, source_id, role, actor_ids)

    get(session, source_id)
    writes.update(session, "source", source_id, expected_version, api_key_id, apply)
    return get(session, source_id)


def delete(
    session: Session, source_id: str, expected_version: int | None, api_key_id: int | None
) -> None:
    get(session, source_id)
    writes.delete(
        session,
        "source",
        source_id,
        expected_version,
        api_key_id,
        lambda: _references(session, source_id),
    )


def _add_contributors(
    session: Session, source_id: str, role: ContributorRole, actor_ids: list[str]
) -> None:
    for position, actor_id in enumerate(dict.fromkeys(actor_ids)):
        session.add(
            SourceContributor(source_id=source_id, actor_id=actor_id, role=role, position=position)
        )


def _require_unquoted(session: Session, source_id: str) -> None:
    """A quoted text is frozen: every claim's quote is `text[start:end]`, which a new text
    would silently break."""
    quoting = _references(session, source_id)
    if quoting:
        raise ConflictError(
            f"The text of source {source_id!r} cannot change while claims quote it "
            f"({'; '.join(quoting)}): their quotes and offsets point into this exact text. "
            "Delete those claims (or create a new source for the new text) first.",
            field="text",
            blocked_by=quoting,
        )


def _references(session: Session, source_id: str) -> list[str]:
    """The claims quoting the source (a few ids and how many in all)."""
    quoting = select(Claim.id).where(Claim.source_id == source_id)
    ids = session.exec(quoting.order_by(col(Claim.id)).limit(5)).all()
    if not ids:
        return []
    total = session.exec(select(sa.func.count()).select_from(quoting.subquery())).one()
    more = f" and {total - len(ids)} more" if total > len(ids) else ""
    return [f"claims (quoting it): {', '.join(ids)}{more}"]


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


SORT_COLUMNS = {
    "published_on": col(Source.published_on),
    "title": col(Source.title),
    "updated_at": col(Source.updated_at),
}


def list_page(
    session: Session, filters: SourceFilters, limit: int, cursor: str | None
) -> PageResult[Source]:
    text_column: Any = Source.text  # SQLModel types class attributes as their values
    statement = select(Source).options(defer(text_column))
    if filters.q is not None:
        statement = statement.where(col(Source.id).in_(search.matching_ids("source", filters.q)))
    if filters.kind:
        statement = statement.where(col(Source.kind).in_(filters.kind))
    if filters.language:
        statement = statement.where(col(Source.language).in_(filters.language))
    if filters.publisher:
        publishers = actor_service.resolve_ids(session, filters.publisher, "publisher")
        statement = statement.where(col(Source.publisher_id).in_(publishers))
    if filters.author:
        people = actor_service.resolve_ids(session, filters.author, "author")
        written = select(SourceContributor.source_id).where(
            col(SourceContributor.actor_id).in_(people)
        )
        statement = statement.where(col(Source.id).in_(written))
    if filters.published_from is not None:
        statement = statement.where(col(Source.published_on) >= filters.published_from)
    if filters.published_to is not None:
        statement = statement.where(col(Source.published_on) <= filters.published_to)
    return paginate(
        session,
        statement,
        id_column=col(Source.id),
        sort=sort_key(filters.sort, SORT_COLUMNS),
        limit=limit,
        cursor=cursor,
    )


def detail(session: Session, source: Source) -> dict[str, Any]:
    """A `SourceDetail`: the source, and its claims in text order as the database writes them."""
    claim_ids = session.exec(
        select(Claim.id).where(Claim.source_id == source.id).order_by(col(Claim.start_offset))
    ).all()
    claims = claim_service.items_json(session.connection(), list(claim_ids))
    record = to_public(session, [source])[0].model_dump(mode="json")
    return record | {"claims": [orjson.Fragment(claim) for claim in claims]}


def marked_text(session: Session, source: Source, mark: str) -> str:
    """The text as HTML with claim spans in `<mark>` elements (`mark`: a claim id or `all`).

    Overlapping spans are split into segments; each segment lists every claim covering it in
    `data-claims`. The text itself is HTML-escaped and otherwise unchanged.
    """
    statement = select(Claim.id, Claim.start_offset, Claim.end_offset).where(
        Claim.source_id == source.id
    )
    if mark != "all":
        statement = statement.where(Claim.id == mark)
    spans = session.exec(statement).all()
    if mark != "all" and not spans:
        raise InvalidParameterError(
            f"`mark`: source {source.id!r} has no claim {mark!r}.", parameter="mark"
        )
    text = source.text
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(e for _, _, e in spans)})
    parts: list[str] = []
    for start, end in itertools.pairwise(cuts):
        segment = html.escape(text[start:end])
        covering = sorted(claim_id for claim_id, s, e in spans if s <= start and end <= e)
        if covering:
            parts.append(f'<mark data-claims="{" ".join(covering)}">{segment}</mark>')
        else:
            parts.append(segment)
    return "".join(parts)
