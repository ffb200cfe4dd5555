"""Load the curated seed file through the same service functions the API uses.

The rule: records are matched by id. A missing record is created with everything the seed says
about it (aliases, contributors, parties, terms, speakers, stances, status history); an existing
record is left exactly as it is, so edits made later through the API are never overwritten or
deleted. A second run therefore changes nothing.
"""

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlmodel import Session

from app.actors import service as actor_service
from app.claims import service as claim_service
from app.commitments import links as link_service
from app.commitments import service as commitment_service
from app.errors import ProblemError, SeedError
from app.ingest import seedfile
from app.models import Actor, Claim, Commitment, Source
from app.sources import service as source_service

Progress = Callable[[str, int], None]


def _ignore(_stage: str, _advance: int) -> None:
    return None


def load(session: Session, seed_path: Path, progress: Progress = _ignore) -> Counter[str]:
    """Create what is missing; return counts like {"claims.created": 96, "claims.kept": 0}.

    Flushes only: the caller commits, so a failure leaves nothing half-written.
    """
    seed = seedfile.read(seed_path)
    counts: Counter[str] = Counter()
    try:
        _load(session, seed, seed_path.parent, counts, progress)
    except ProblemError as error:
        raise SeedError(error.detail) from error
    return counts


def _load(
    session: Session,
    seed: seedfile.SeedFile,
    seed_dir: Path,
    counts: Counter[str],
    progress: Progress,
) -> None:
    for seed_actor in _parents_first(seed.actors):
        if session.get(Actor, seed_actor.id) is None:
            actor_service.create(session, seedfile.actor_request(seed_actor))
            counts["actors.created"] += 1
        else:
            counts["actors.kept"] += 1
        progress("actors", 1)

    for source in seed.sources:
        if session.get(Source, source.id) is None:
            text = seedfile.source_text(seed_dir, source)
            source_service.create(session, seedfile.source_request(source, text))
            counts["sources.created"] += 1
        else:
            counts["sources.kept"] += 1
        progress("sources", 1)

    new_commitments = []
    for item in seed.commitments:
        if session.get(Commitment, item.id) is None:
            commitment_service.create(session, seedfile.commitment_request(item))
            new_commitments.append(item)
            counts["commitments.created"] += 1
        else:
            counts["commitments.kept"] += 1
        progress("commitments", 1)

    for claim in seed.claims:
        if session.get(Claim, claim.id) is None:
            try:
                claim_service.create(session, seedfile.claim_request(claim))
            except ProblemError as error:
                raise SeedError(f"claim {claim.id!r}: {error.detail}") from error
            counts["claims.created"] += 1
        else:
            counts["claims.kept"] += 1
        progress("claims", 1)

    for item in new_commitments:
        commitment = commitment_service.get(session, item.id)
        for event in seedfile.status_requests(item):
            commitment_service.add_status(session, commitment, event)
            counts["status_events.created"] += 1

    for link in seed.links:
        link_request = seedfile.link_request(link)
        if link_service.link_exists(session, link_request):
            counts["links.kept"] += 1
        else:
            link_service.create_link(session, link_request)
            counts["links.created"] += 1
        progress("links", 1)


def _parents_first(actors: list[seedfile.SeedActor]) -> list[seedfile.SeedActor]:
    """Actors ordered so that each one's affiliation comes before it."""
    in_file = {actor.id for actor in actors}
    ordered: list[seedfile.SeedActor] = []
    placed: set[str] = set()
    waiting = list(actors)
    while waiting:
        ready = [
            a for a in waiting if a.affiliation in (None, *placed) or a.affiliation not in in_file
        ]
        if not ready:
            raise SeedError(f"actor affiliations form a cycle among: {[a.id for a in waiting]}")
        ordered.extend(ready)
        placed |= {a.id for a in ready}
        waiting = [a for a in waiting if a.id not in placed]
    return ordered


def stage_sizes(seed_path: Path) -> dict[str, int]:
    """Number of records per stage, for progress bars."""
    seed = seedfile.read(seed_path)
    return {
        "actors": len(seed.actors),
        "sources": len(seed.sources),
        "commitments": len(seed.commitments),
        "claims": len(seed.claims),
        "links": len(seed.links),
    }
