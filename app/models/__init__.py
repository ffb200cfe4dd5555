"""Table classes. Importing this package registers every table on `SQLModel.metadata`."""

from app.models.actor import Actor, ActorAlias
from app.models.audit import ApiKey, AuditEntry, IdempotencyRecord, Tombstone
from app.models.claim import Claim, ClaimCommitment, ClaimSpeaker
from app.models.commitment import (
    Commitment,
    CommitmentLink,
    CommitmentParty,
    CommitmentTerm,
    StatusEvent,
)
from app.models.source import Source, SourceContributor

__all__ = [
    "Actor",
    "ActorAlias",
    "ApiKey",
    "AuditEntry",
    "IdempotencyRecord",
    "Tombstone",
    "Claim",
    "ClaimCommitment",
    "ClaimSpeaker",
    "Commitment",
    "CommitmentLink",
    "CommitmentParty",
    "CommitmentTerm",
    "Source",
    "SourceContributor",
    "StatusEvent",
]
