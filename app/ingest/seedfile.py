"""The curated seed file (seeds/busan.yaml): its shape, and its translation into create requests."""

import re
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.actors.schemas import ActorCreate
from app.claims.schemas import ClaimCreate, ClaimLinkIn
from app.commitments.schemas import CommitmentCreate, LinkCreate, StatusEventCreate, TermIn
from app.errors import SeedError
from app.sources.schemas import SourceCreate
from app.vocab import ClaimKind, CommitmentStatus, DatePrecision, LinkKind, SourceKind, Stance

ModelT = TypeVar("ModelT", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SeedDate(_Strict):
    on: date
    precision: DatePrecision
    note: str | None = None


class SeedStatus(_Strict):
    on: date
    status: CommitmentStatus
    note: str | None = None
    evidence: str | None = None


class SeedActor(_Strict):
    id: str
    name: str
    kind: str
    country_code: str | None = None
    affiliation: str | None = None
    role: str | None = None
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None


class SeedSource(_Strict):
    """A source; its text is either inline (`text`, as exports write it) or a file in texts/."""

    id: str
    file: str | None = None
    text: str | None = None
    title: str | None = None
    kind: SourceKind
    publisher: str | None = None
    authors: list[str] = Field(default_factory=list)
    translators: list[str] = Field(default_factory=list)
    published_on: date | None = None
    language: str = "en"
    original_language: str | None = None
    notes: str | None = None


class SeedCommitment(_Strict):
    id: str
    title: str
    description: str | None = None
    topic: str
    action: str
    obligors: list[str]
    counterparties: list[str] = Field(default_factory=list)
    terms: list[TermIn] = Field(default_factory=list)
    announced: SeedDate | None = None
    effective: SeedDate | None = None
    due: SeedDate | None = None
    expires: SeedDate | None = None
    status_history: list[SeedStatus] = Field(default_factory=list)


class SeedLink(_Strict):
    from_: str = Field(alias="from")
    to: str
    kind: LinkKind
    note: str | None = None


class SeedValue(_Strict):
    subject: str
    property: str
    value: float | str | None = None
    unit: str | None = None


class SeedClaimLink(_Strict):
    id: str
    stance: Stance


class SeedClaim(_Strict):
    id: str
    source: str
    quote: str
    occurrence: int | None = None
    start_offset: int | None = None
    kind: ClaimKind
    speakers: list[str] = Field(default_factory=list)
    attribution: str | None = None
    commitments: list[SeedClaimLink] = Field(default_factory=list)
    value: SeedValue | None = None


class SeedFile(_Strict):
    actors: list[SeedActor]
    sources: list[SeedSource]
    commitments: list[SeedCommitment]
    links: list[SeedLink] = Field(default_factory=list)
    claims: list[SeedClaim]


class SeedYamlLoader(yaml.SafeLoader):
    """SafeLoader where only true/false are booleans, as in YAML 1.2 (`on:` stays a key)."""


SeedYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SeedYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read(path: Path) -> SeedFile:
    try:
        return SeedFile.model_validate(_parse(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise SeedError(f"{path}: {error}") from error


def _parse(text: str) -> Any:
    """JSON (what `export` writes) as JSON; anything else as YAML.

    JSON is nearly YAML, but not in what an export holds: YAML folds a NEL (U+0085) inside a
    string into a space, refuses DEL and the C1 control characters outright, and reads a
    number such as `1e+20` as a string. Parsed as YAML, an export would not load back exactly.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return yaml.load(text, Loader=SeedYamlLoader)  # noqa: S506


def source_text(seed_dir: Path, source: SeedSource) -> str:
    """The inline text, or the file's text exactly as the file holds it (no newline translation)."""
    if source.text is not None:
        return source.text
    if source.file is None:
        raise SeedError(f"source {source.id!r} has neither `text` nor `file`")
    with (seed_dir / "texts" / source.file).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def actor_request(item: SeedActor) -> ActorCreate:
    data = item.model_dump(exclude={"affiliation"}) | {"affiliation_id": item.affiliation}
    return _validated(ActorCreate, item.id, data)


def source_request(item: SeedSource, text: str) -> SourceCreate:
    data = {
        "id": item.id,
        "title": item.title,
        "kind": item.kind,
        "publisher_id": item.publisher,
        "published_on": item.published_on,
        "language": item.language,
        "original_language": item.original_language,
        "file_name": item.file,
        "notes": item.notes,
        "text": text,
        "authors": item.authors,
        "translators": item.translators,
    }
    return _validated(SourceCreate, item.id, data)


def commitment_request(item: SeedCommitment) -> CommitmentCreate:
    dates: dict[str, Any] = {}
    for name in ("announced", "effective", "due", "expires"):
        seed_date: SeedDate | None = getattr(item, name)
        if seed_date is not None:
            dates |= {
                f"{name}_on": seed_date.on,
                f"{name}_precision": seed_date.precision,
                f"{name}_note": seed_date.note,
            }
    return _validated(
        CommitmentCreate,
        item.id,
        item.model_dump(
            include={
                "id",
                "title",
                "description",
                "topic",
                "action",
                "obligors",
                "counterparties",
                "terms",
            }
        )
        | dates,
    )


def status_requests(item: SeedCommitment) -> list[StatusEventCreate]:
    return [
        StatusEventCreate(
            occurred_on=event.on,
            status=event.status,
            note=event.note,
            evidence_claim_id=event.evidence,
        )
        for event in item.status_history
    ]


def link_request(item: SeedLink) -> LinkCreate:
    return LinkCreate(from_id=item.from_, to_id=item.to, kind=item.kind, note=item.note)


def claim_request(item: SeedClaim) -> ClaimCreate:
    value: dict[str, Any] = {}
    if item.value is not None:
        raw = item.value.value
        number = raw if isinstance(raw, float) else None
        value = {
            "value_subject": item.value.subject,
            "value_property": item.value.property,
            "value_number": number,
            "value_text": raw if isinstance(raw, str) else None,
            "value_unit": item.value.unit,
        }
    return _validated(
        ClaimCreate,
        item.id,
        {
            "id": item.id,
            "source_id": item.source,
            "quote": item.quote,
            "occurrence": item.occurrence,
            "start_offset": item.start_offset,
            "kind": item.kind,
            "speakers": item.speakers,
            "attribution": item.attribution,
            "commitments": [
                ClaimLinkIn(commitment_id=c.id, stance=c.stance) for c in item.commitments
            ],
            **value,
        },
    )


def _validated(model: type[ModelT], record_id: str, data: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise SeedError(f"{model.__name__} {record_id!r}: {error}") from error
