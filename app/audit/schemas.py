"""Response shapes and filters for the audit log."""

from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, Field, model_validator

from app.errors import InvalidParameterError

EntityType: TypeAlias = Literal["actor", "source", "commitment", "claim", "link"]
AuditAction: TypeAlias = Literal["create", "update", "delete", "restore", "status"]


class AuditEntryPublic(BaseModel):
    id: int
    occurred_at: datetime = Field(
        description="When the write was made (UTC), inside its transaction; entries of writes "
        "that ran at the same time may commit in a different order than their ids."
    )
    api_key_id: int | None = Field(
        description="Id of the API key that made it; null for the seed loader and the CLI."
    )
    action: AuditAction
    entity_type: EntityType
    entity_id: str
    before: dict[str, Any] | None = Field(description="The record before (null on create).")
    after: dict[str, Any] | None = Field(description="The record after (null on delete).")


class AuditFilters(BaseModel):
    entity_type: EntityType | None = Field(default=None, description="Only this kind of record.")
    entity_id: str | None = Field(default=None, max_length=120, description="Only this record.")
    api_key_id: int | None = Field(default=None, ge=1, description="Only writes by this key.")
    action: AuditAction | None = Field(default=None, description="Only this kind of write.")
    since: datetime | None = Field(default=None, description="Only writes at or after this time.")
    until: datetime | None = Field(default=None, description="Only writes before this time.")

    @model_validator(mode="after")
    def _window_in_order(self) -> "AuditFilters":
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                setattr(self, name, moment.replace(tzinfo=UTC))  # a time without zone is UTC
        if self.since is not None and self.until is not None and self.since > self.until:
            raise InvalidParameterError("`since` is after `until`.", parameter="since")
        return self
