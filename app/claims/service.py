"""Claim logic: creation (offsets found and checked), lookups, public shapes."""

from collections import defaultdict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.actors import service as actor_service
from app.api.paging import PageResult, paginate, sort_key
from app.claims.schemas import ClaimCommitmentOut, ClaimCreate, ClaimFilters, ClaimPublic
from app.errors import ConflictError, NotFoundError, UnprocessableError
from app.ingest.quotes import QuoteError, check_span, find_quote
from app.insights import search
from app.models import Claim, ClaimCommitment, ClaimSpeaker, Commitment, Source


def get(session: Session, claim_id: str) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFoundError(f"No claim has the id {claim_id!r}.", resource="claim", id=claim_id)
    return claim


def create(session: Session, data: ClaimCreate) -> Claim:
    if session.get(Claim, data.id) is not None:
        raise ConflictError(f"A claim with the id {data.id!r} already exists.", field="id")
    text = session.exec(select(Source.text).where(Source.id == data.source_id)).first()
    if text is None:
        raise UnprocessableError(f"Unknown source id {data.source_id!r}.", field="source_id")
    try:
        if data.start_offset is not None:
            start, end = data.start_offset, data.start_offset + len(data.quote)
            check_span(text, data.quote, start, end)
        else:
            span = find_quote(text, data.quote, data.occurrence)
            start, end = span.start, span.end
    except QuoteError as error:
        raise UnprocessableError(f"Claim {data.id!r}: {error}.", field="quote") from error
    actor_service.require_existing(session, data.speakers, "speakers")
    commitment_ids = [link.commitment_id for link in data.commitments]
    _require_commitments(session, commitment_ids)
    claim = Claim.model_validate(
        data.model_dump(exclude={"quote", "occurrence", "start_offset", "speakers", "commitments"}),
        update={"quote": text[start:end], "start_offset": start, "end_offset": end},
    )
    session.add(claim)
    for position, actor_id in enumerate(dict.fromkeys(data.speakers)):
        session.add(ClaimSpeaker(claim_id=data.id, actor_id=actor_id, position=position))
    for link in {link.commitment_id: link for link in data.commitments}.values():
        session.add(
            ClaimCommitment(claim_id=data.id, commitment_id=link.commitment_id, stance=link.stance)
        )
    session.flush()
    return claim


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


def to_public(session: Session, claims: list[Claim]) -> list[ClaimPublic]:
    ids = [claim.id for claim in claims]
    speaker_rows = session.exec(
        select(ClaimSpeaker)
        .where(col(ClaimSpeaker.claim_id).in_(ids))
        .order_by(col(ClaimSpeaker.position))
    ).all()
    link_rows = session.exec(
        select(
            ClaimCommitment.claim_id,
            ClaimCommitment.commitment_id,
            ClaimCommitment.stance,
            Commitment.title,
        )
        .join(Commitment, col(Commitment.id) == ClaimCommitment.commitment_id)
        .where(col(ClaimCommitment.claim_id).in_(ids))
        .order_by(col(ClaimCommitment.commitment_id))
    ).all()
    refs = actor_service.refs(session, (row.actor_id for row in speaker_rows))
    speakers: dict[str, list[str]] = defaultdict(list)
    for row in speaker_rows:
        speakers[row.claim_id].append(row.actor_id)
    links: dict[str, list[ClaimCommitmentOut]] = defaultdict(list)
    for claim_id, commitment_id, stance, title in link_rows:
        links[claim_id].append(
            ClaimCommitmentOut(commitment_id=commitment_id, title=title, stance=stance)
        )
    return [
        ClaimPublic.model_validate(
            claim,
            update={
                "speakers": [refs[a] for a in speakers[claim.id]],
                "commitments": links[claim.id],
            },
        )
        for claim in claims
    ]


def get_for_field(session: Session, claim_id: str, field: str) -> Claim:
    """Like `get`, but a missing claim is a 422 naming the request field that referenced it."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise UnprocessableError(f"Unknown claim id {claim_id!r} in `{field}`.", field=field)
    return claim


SORT_COLUMNS = {"start_offset": col(Claim.start_offset), "updated_at": col(Claim.updated_at)}


def list_page(
    session: Session, filters: ClaimFilters, limit: int, cursor: str | None
) -> PageResult[Claim]:
    statement = select(Claim)
    claim_id = col(Claim.id)
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
    return paginate(
        session,
        statement,
        id_column=claim_id,
        sort=sort_key(filters.sort, SORT_COLUMNS),
        limit=limit,
        cursor=cursor,
    )
