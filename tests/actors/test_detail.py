"""An actor's detail, which the database writes in one statement, says what its rows say:
aliases in order, affiliation, members, and the claims it asserts, for every seeded actor."""

import httpx
import pytest
from sqlmodel import Session, col, select

from app.actors.schemas import CLAIMS_IN_DETAIL, ActorDetail
from app.models import Actor, ActorAlias, Claim, ClaimSpeaker

pytestmark = pytest.mark.anyio


def ref(actor: Actor) -> dict[str, str]:
    return {"id": actor.id, "name": actor.name, "kind": actor.kind}


async def test_every_actor_detail_matches_its_rows(
    client: httpx.AsyncClient, session: Session
) -> None:
    actors = {actor.id: actor for actor in session.exec(select(Actor)).all()}
    assert any(a.affiliation_id for a in actors.values()), "the seed has no affiliations"
    for actor in actors.values():
        response = await client.get(f"/v1/actors/{actor.id}")
        assert response.status_code == 200, response.text
        detail = response.json()
        ActorDetail.model_validate(detail)
        aliases = session.exec(
            select(ActorAlias.alias)
            .where(ActorAlias.actor_id == actor.id)
            .order_by(col(ActorAlias.id))
        ).all()
        assert detail["aliases"] == list(aliases)
        parent = actors.get(actor.affiliation_id or "")
        assert detail["affiliation"] == (ref(parent) if parent else None)
        members = sorted(
            (a for a in actors.values() if a.affiliation_id == actor.id), key=lambda a: a.id
        )
        assert detail["members"] == [ref(m) for m in members]
        asserted = session.exec(
            select(Claim)
            .join(ClaimSpeaker, col(ClaimSpeaker.claim_id) == col(Claim.id))
            .where(ClaimSpeaker.actor_id == actor.id)
            .order_by(col(Claim.id))
            .limit(CLAIMS_IN_DETAIL)
        ).all()
        assert detail["claims_asserted"] == [
            {"id": c.id, "source_id": c.source_id, "kind": c.kind, "quote": c.quote}
            for c in asserted
        ]
        assert detail["version"] == actor.version
