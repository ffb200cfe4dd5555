"""`python -m app keys …`: create prints the secret once, list never shows it, revoke stops it."""

import hashlib
import re

import httpx
import pytest
from sqlmodel import Session, func, select

from app.config import Settings
from app.db import create_db_engine
from app.main import create_app
from app.models import ApiKey
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.cli import run_cli
from tests.support.databases import migrate

pytestmark = pytest.mark.anyio

SECRET = re.compile(r"bk_[A-Za-z0-9_-]{40,}")
ACTOR = {"id": "cli-institute", "name": "CLI Institute", "kind": "organisation"}


async def post_actor(database_url: str, secret: str, actor_id: str) -> httpx.Response:
    """A create through the real app (its own sessions and commits) on `database_url`."""
    engine = create_db_engine(database_url)
    try:
        app = create_app(Settings(database_url=database_url), engine)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.post(
                "/v1/actors",
                json=ACTOR | {"id": actor_id},
                headers={"Authorization": f"Bearer {secret}"},
            )
    finally:
        engine.dispose()


def stored_keys(database_url: str) -> list[ApiKey]:
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(ApiKey).order_by(ApiKey.id)).all())  # type: ignore[arg-type]
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine_name", ENGINES)
async def test_a_key_is_printed_once_works_is_never_listed_and_revokes(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    url = empty_database_url(engine_name, "cli_keys")
    migrate(url, seed=False)

    created = run_cli("keys", "create", "--scope", "write", "--name", "ci bot", database_url=url)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.splitlines()[-1]
    assert SECRET.fullmatch(secret), created.stdout
    assert created.stdout == secret + "\n"  # the key, alone, and nothing else on stdout
    [key] = stored_keys(url)
    assert key.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert key.scopes == "write"
    assert key.name == "ci bot"
    assert key.revoked_at is None
    assert secret[12:] not in f"{key.name} {key.prefix} {key.scopes}"

    works = await post_actor(url, secret, "cli-institute")
    assert works.status_code == 201, works.text

    listed = run_cli("keys", "list", database_url=url)
    assert listed.returncode == 0, listed.stderr
    shown = listed.stdout + listed.stderr
    assert key.prefix in shown
    assert "ci bot" in shown
    for form in (secret, secret[12:], key.secret_sha256):
        assert form not in shown

    revoked = run_cli("keys", "revoke", str(key.id), database_url=url)
    assert revoked.returncode == 0, revoked.stderr
    assert secret not in revoked.stdout + revoked.stderr
    refused = await post_actor(url, secret, "cli-institute-2")
    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    [key] = stored_keys(url)
    assert key.revoked_at is not None

    bogus = run_cli("keys", "create", "--scope", "bogus", database_url=url)
    assert bogus.returncode != 0
    assert not SECRET.search(bogus.stdout + bogus.stderr)
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            assert session.exec(select(func.count()).select_from(ApiKey)).one() == 1
    finally:
        engine.dispose()
