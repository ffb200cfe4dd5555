"""API keys: creation (the secret is shown once), revocation, and scope checks for writes.

Reads are public. Writes send `Authorization: Bearer <key>`. A key holds scopes: `write`
(create, update, delete, status events) and `admin` (also restores deleted records, and
implies `write`). Only the SHA-256 of a key is stored.
"""

import hashlib
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, col, select

from app.api.deps import WriteSessionDep
from app.errors import ForbiddenError, NotFoundError, UnauthorizedError
from app.models import ApiKey
from app.models.base import utcnow

SCOPES = ("write", "admin")
KEY_PREFIX = "bk_"

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer bk_…`.")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is not stored and cannot be shown again."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(scopes)})")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=secret[:12],
        secret_sha256=hash_secret(secret),
        scopes=" ".join(sorted(set(scopes))),
    )
    session.add(key)
    session.flush()
    return key, secret


def revoke_key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFoundError(f"No API key has the id {key_id}.", resource="api_key", id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def has_scope(key: ApiKey, scope: str) -> bool:
    granted = set(key.scopes.split())
    return scope in granted or "admin" in granted


def require_scope(scope: str) -> Callable[..., ApiKey]:
    """A dependency: the request's key, which must be valid, unrevoked and hold `scope`."""

    def dependency(
        session: WriteSessionDep,  # the request's own connection: one per write request
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise UnauthorizedError("Writes need an API key: `Authorization: Bearer <key>`.")
        key = session.exec(
            select(ApiKey).where(ApiKey.secret_sha256 == hash_secret(credentials.credentials))
        ).first()
        if key is None or key.revoked_at is not None:
            raise UnauthorizedError("The API key is unknown or revoked.")
        if not has_scope(key, scope):
            raise ForbiddenError(f"This key lacks the `{scope}` scope.", scope=scope)
        return key

    return dependency


WriterDep = Annotated[ApiKey, Depends(require_scope("write"))]
AdminDep = Annotated[ApiKey, Depends(require_scope("admin"))]
