"""The curated seed data: traceable to the texts, complete in its links, and idempotent to load."""

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import SeedError
from app.export import export
from app.ingest import load as seed_loader
from app.ingest.seedfile import SeedYamlLoader
from app.models import Actor, Claim, ClaimCommitment, Commitment, Source, StatusEvent
from app.vocab import Stance

SEED_DIR = Settings().seed_file.parent
TEXT_DIR = SEED_DIR / "texts"


def test_every_claim_quote_is_its_source_text_at_its_offsets(session: Session) -> None:
    texts = dict(session.exec(select(Source.id, Source.text)).all())
    claims = session.exec(select(Claim)).all()
    assert claims
    for claim in claims:
        assert texts[claim.source_id][claim.start_offset : claim.end_offset] == claim.quote, (
            claim.id
        )


def test_every_source_text_is_byte_identical_to_its_seed_file(session: Session) -> None:
    sources = session.exec(select(Source)).all()
    assert {s.file_name for s in sources} == {p.name for p in TEXT_DIR.glob("*.txt")}
    for source in sources:
        raw = (TEXT_DIR / str(source.file_name)).read_bytes()
        assert source.text.encode("utf-8") == raw, source.id
        assert source.text_sha256 == hashlib.sha256(raw).hexdigest()


def test_seed_texts_match_the_checksums_of_the_collected_originals() -> None:
    """SHA256SUMS was taken from the originals in shared/seeds when they were copied in."""
    sums: dict[str, str] = {}
    for line in (TEXT_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    assert set(sums) == {p.name for p in TEXT_DIR.glob("*.txt")}
    for name, digest in sums.items():
        assert hashlib.sha256((TEXT_DIR / name).read_bytes()).hexdigest() == digest, name


def test_every_commitment_is_supported_by_a_claim(session: Session) -> None:
    supported = set(
        session.exec(
            select(ClaimCommitment.commitment_id).where(ClaimCommitment.stance == Stance.SUPPORTS)
        ).all()
    )
    commitments = set(session.exec(select(Commitment.id)).all())
    assert commitments
    assert commitments <= supported, commitments - supported


def test_every_commitment_has_a_status_history_matching_its_status(session: Session) -> None:
    for commitment in session.exec(select(Commitment)).all():
        events = session.exec(
            select(StatusEvent)
            .where(StatusEvent.commitment_id == commitment.id)
            .order_by(col(StatusEvent.occurred_on), col(StatusEvent.id))
        ).all()
        assert events, commitment.id
        assert events[-1].status == commitment.status


def test_every_actor_is_referenced_by_something(session: Session) -> None:
    data = export(session)
    referenced: set[str] = set()
    for actor in data["actors"]:
        if actor["affiliation"]:
            referenced.add(actor["affiliation"])
    for source in data["sources"]:
        referenced |= {source["publisher"], *source["authors"], *source["translators"]}
    for commitment in data["commitments"]:
        referenced |= {*commitment["obligors"], *commitment["counterparties"]}
    for claim in data["claims"]:
        referenced |= set(claim["speakers"])
    ids = set(session.exec(select(Actor.id)).all())
    described = {a["id"] for a in data["actors"] if a["description"]}
    assert ids <= referenced | described, sorted(ids - referenced - described)


def test_loading_twice_changes_nothing(session: Session) -> None:
    before = export(session)
    counts = seed_loader.load(session, Settings().seed_file)
    assert not [key for key in counts if key.endswith(".created") and counts[key]]
    assert export(session) == before


def test_a_later_edit_survives_a_reseed(session: Session) -> None:
    commitment = session.exec(select(Commitment)).first()
    assert commitment is not None
    commitment.title = "Edited through the API"
    session.add(commitment)
    session.flush()
    seed_loader.load(session, Settings().seed_file)
    session.expire_all()
    reloaded = session.get(Commitment, commitment.id)
    assert reloaded is not None
    assert reloaded.title == "Edited through the API"


def _seed_with_claim(tmp_path: Path, quote: str, occurrence: int | None = None) -> Path:
    data = yaml.load(Settings().seed_file.read_text(encoding="utf-8"), Loader=SeedYamlLoader)  # noqa: S506
    first_source = data["sources"][0]
    data["claims"].append(
        {
            "id": "zz-test-claim",
            "source": first_source["id"],
            "quote": quote,
            "occurrence": occurrence,
            "kind": "report",
        }
    )
    (tmp_path / "texts").symlink_to(TEXT_DIR)
    path = tmp_path / "seed.yaml"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")  # JSON is YAML
    return path


def test_a_quote_missing_from_its_source_fails_naming_the_claim(
    session: Session, tmp_path: Path
) -> None:
    path = _seed_with_claim(tmp_path, "words that appear in no seed text at all")
    with pytest.raises(SeedError, match="zz-test-claim.*does not occur"):
        seed_loader.load(session, path)


def test_an_ambiguous_quote_fails_naming_the_claim(session: Session, tmp_path: Path) -> None:
    path = _seed_with_claim(tmp_path, "Busan")
    with pytest.raises(SeedError, match="zz-test-claim.*occurrence"):
        seed_loader.load(session, path)
