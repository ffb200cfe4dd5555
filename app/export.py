"""Records in the seed file's format: the whole knowledge base (`export`), which `seed` loads
back, or one record (`snapshot`), which the audit log and tombstones keep."""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.models import (
    Actor,
    ActorAlias,
    Claim,
    ClaimCommitment,
    ClaimSpeaker,
    Commitment,
    CommitmentLink,
    CommitmentParty,
    CommitmentTerm,
    Source,
    SourceContributor,
    StatusEvent,
)
from app.vocab import ContributorRole, PartyRole

DATE_NAMES = ("announced", "effective", "due", "expires")
Ids = list[str] | None


def export(session: Session) -> dict[str, Any]:
    """Every record, ordered by id, so two identical knowledge bases export identically."""
    return {
        "actors": actors(session),
        "sources": sources(session),
        "commitments": commitments(session),
        "links": links(session),
        "claims": claims(session),
    }


def snapshot(session: Session, entity_type: str, entity_id: str) -> dict[str, Any] | None:
    """One record in export form (a commitment also lists its links and claim stances)."""
    found = RECORDS[entity_type](session, [entity_id])
    if not found:
        return None
    record = found[0]
    if entity_type == "commitment":
        touching = select(CommitmentLink.id).where(
            sa.or_(col(CommitmentLink.from_id) == entity_id, col(CommitmentLink.to_id) == entity_id)
        )
        record["links"] = links(session, [str(i) for i in session.exec(touching)])
        record["claim_stances"] = [
            {"claim": claim_id, "stance": stance}
            for claim_id, stance in session.exec(
                select(ClaimCommitment.claim_id, ClaimCommitment.stance)
                .where(ClaimCommitment.commitment_id == entity_id)
                .order_by(col(ClaimCommitment.claim_id))
            )
        ]
    return record


def _grouped(rows: Any, key: str, value: str) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(getattr(row, value) if value else row)
    return grouped


def _only(statement: Any, column: Any, ids: Ids) -> Any:
    return statement if ids is None else statement.where(col(column).in_(ids))


def actors(session: Session, ids: Ids = None) -> list[dict[str, Any]]:
    aliases = _grouped(
        session.exec(
            _only(select(ActorAlias), ActorAlias.actor_id, ids).order_by(col(ActorAlias.id))
        ),
        "actor_id",
        "alias",
    )
    return [
        {
            "id": a.id,
            "name": a.name,
            "kind": a.kind,
            "country_code": a.country_code,
            "affiliation": a.affiliation_id,
            "role": a.role,
            "description": a.description,
            "aliases": aliases.get(a.id, []),
        }
        for a in session.exec(_only(select(Actor), Actor.id, ids).order_by(col(Actor.id)))
    ]


def sources(session: Session, ids: Ids = None) -> list[dict[str, Any]]:
    contributors = session.exec(
        _only(select(SourceContributor), SourceContributor.source_id, ids).order_by(
            col(SourceContributor.position)
        )
    ).all()
    people: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in contributors:
        people[(row.source_id, row.role)].append(row.actor_id)
    return [
        {
            "id": s.id,
            "file": s.file_name,
            "text": s.text,
            "title": s.title,
            "kind": s.kind,
            "publisher": s.publisher_id,
            "authors": people[(s.id, ContributorRole.AUTHOR)],
            "translators": people[(s.id, ContributorRole.TRANSLATOR)],
            "published_on": s.published_on,
            "language": s.language,
            "original_language": s.original_language,
            "notes": s.notes,
        }
        for s in session.exec(_only(select(Source), Source.id, ids).order_by(col(Source.id)))
    ]


def commitments(session: Session, ids: Ids = None) -> list[dict[str, Any]]:
    parties = session.exec(
        _only(select(CommitmentParty), CommitmentParty.commitment_id, ids).order_by(
            col(CommitmentParty.actor_id)
        )
    ).all()
    roles: dict[tuple[str, str], list[str]] = defaultdict(list)
    for party in parties:
        roles[(party.commitment_id, party.role)].append(party.actor_id)
    terms = _grouped(
        session.exec(
            _only(select(CommitmentTerm), CommitmentTerm.commitment_id, ids).order_by(
                col(CommitmentTerm.position)
            )
        ),
        "commitment_id",
        "",
    )
    history = _grouped(
        session.exec(
            _only(select(StatusEvent), StatusEvent.commitment_id, ids).order_by(
                col(StatusEvent.occurred_on), col(StatusEvent.id)
            )
        ),
        "commitment_id",
        "",
    )
    out = []
    for c in session.exec(
        _only(select(Commitment), Commitment.id, ids).order_by(col(Commitment.id))
    ):
        record: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "topic": c.topic,
            "action": c.action,
            "obligors": roles[(c.id, PartyRole.OBLIGOR)],
            "counterparties": roles[(c.id, PartyRole.COUNTERPARTY)],
            "terms": [
                {k: getattr(t, k) for k in ("measure", "from_value", "to_value", "unit", "note")}
                for t in terms.get(c.id, [])
            ],
            "status_history": [
                {
                    "on": e.occurred_on,
                    "status": e.status,
                    "note": e.note,
                    "evidence": e.evidence_claim_id,
                }
                for e in history.get(c.id, [])
            ],
        }
        for name in DATE_NAMES:
            on = getattr(c, f"{name}_on")
            record[name] = (
                None
                if on is None
                else {
                    "on": on,
                    "precision": getattr(c, f"{name}_precision"),
                    "note": getattr(c, f"{name}_note"),
                }
            )
        out.append(record)
    return out


def links(session: Session, ids: Ids = None) -> list[dict[str, Any]]:
    """Links, identified in snapshots by their numeric id as a string."""
    statement = select(CommitmentLink)
    if ids is not None:
        statement = statement.where(col(CommitmentLink.id).in_([int(i) for i in ids]))
    ordered = statement.order_by(
        col(CommitmentLink.from_id), col(CommitmentLink.to_id), col(CommitmentLink.kind)
    )
    return [
        {"from": link.from_id, "to": link.to_id, "kind": link.kind, "note": link.note}
        for link in session.exec(ordered)
    ]


def claims(session: Session, ids: Ids = None) -> list[dict[str, Any]]:
    speakers = _grouped(
        session.exec(
            _only(select(ClaimSpeaker), ClaimSpeaker.claim_id, ids).order_by(
                col(ClaimSpeaker.position)
            )
        ),
        "claim_id",
        "actor_id",
    )
    stances = _grouped(
        session.exec(
            _only(select(ClaimCommitment), ClaimCommitment.claim_id, ids).order_by(
                col(ClaimCommitment.commitment_id)
            )
        ),
        "claim_id",
        "",
    )
    out = []
    for c in session.exec(_only(select(Claim), Claim.id, ids).order_by(col(Claim.id))):
        value = None
        if c.value_subject is not None:
            value = {
                "subject": c.value_subject,
                "property": c.value_property,
                "value": c.value_number if c.value_number is not None else c.value_text,
                "unit": c.value_unit,
            }
        out.append(
            {
                "id": c.id,
                "source": c.source_id,
                "quote": c.quote,
                "start_offset": c.start_offset,
                "kind": c.kind,
                "speakers": speakers.get(c.id, []),
                "attribution": c.attribution,
                "commitments": [
                    {"id": s.commitment_id, "stance": s.stance} for s in stances.get(c.id, [])
                ],
                "value": value,
            }
        )
    return out


RECORDS: dict[str, Callable[[Session, Ids], list[dict[str, Any]]]] = {
    "actor": actors,
    "source": sources,
    "commitment": commitments,
    "link": links,
    "claim": claims,
}
