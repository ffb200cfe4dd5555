"""API keys, the audit log, idempotency records and tombstones of deleted records."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import aware_datetime, utcnow


class ApiKey(SQLModel, table=True):
    """A key for writes. Only the SHA-256 of the secret is stored; `prefix` identifies it."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16, index=True)
    secret_sha256: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=200, description="Space-separated scopes: write, admin.")
    created_at: datetime = Field(default_factory=utcnow, sa_type=aware_datetime())
    revoked_at: datetime | None = Field(default=None, sa_type=aware_datetime())


class AuditEntry(SQLModel, table=True):
    """One write: who (key), when, what (entity), and the record before and after."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=aware_datetime(), index=True)
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id", index=True)
    action: str = Field(max_length=20)
    entity_type: str = Field(max_length=20)
    entity_id: str = Field(max_length=120)
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)

    __table_args__ = (sa.Index("ix_audit_entry_entity", "entity_type", "entity_id"),)


class IdempotencyRecord(SQLModel, table=True):
    """The stored answer to a POST made with an `Idempotency-Key`, replayed on a retry."""

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("api_key_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key="api_key.id")
    key: str = Field(max_length=200)
    request_sha256: str = Field(max_length=64)
    status_code: int
    response_body: bytes = Field(sa_type=sa.LargeBinary)
    response_headers: dict[str, str] = Field(sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=aware_datetime())


class Tombstone(SQLModel, table=True):
    """A deleted record, kept whole so that an admin can restore it."""

    __table_args__ = (sa.UniqueConstraint("entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity_type: str = Field(max_length=20)
    entity_id: str = Field(max_length=120)
    snapshot: dict[str, Any] = Field(sa_type=sa.JSON)
    deleted_at: datetime = Field(default_factory=utcnow, sa_type=aware_datetime())
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
