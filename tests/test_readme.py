"""The README never lies: its quickstart script runs against a live server on both engines."""

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app import auth, schema
from app.config import PROJECT_ROOT, Settings
from app.db import create_db_engine
from app.ingest import load as seed_loader
from app.models import Commitment, CommitmentParty
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.live import live_server


def readme_script(marker: str) -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    pattern = rf"<!-- {marker}[^>]*-->\n```python\n(.*?)```"
    match = re.search(pattern, readme, flags=re.DOTALL)
    assert match, f"the README has lost its {marker} script"
    return match.group(1)


def run_script(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_readme_quickstart_answers_its_three_questions(seeded_engine: Engine) -> None:
    url = seeded_engine.url.render_as_string(hide_password=False)
    with live_server(url) as base_url:
        result = run_script(readme_script("quickstart"), BUSAN_API=base_url)
    assert result.returncode == 0, result.stderr
    with Session(seeded_engine) as session:
        chinese_rare_earths = session.exec(
            select(Commitment.title)
            .join(CommitmentParty, col(CommitmentParty.commitment_id) == col(Commitment.id))
            .where(CommitmentParty.actor_id == "china", Commitment.topic == "rare_earths")
        ).all()
        first_expiry = session.exec(select(func.min(Commitment.expires_on))).one()
    assert chinese_rare_earths
    for title in chinese_rare_earths:
        assert title in result.stdout
    assert str(first_expiry) in result.stdout
    assert " / " in result.stdout  # at least one conflict listed


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_readme_first_update_works_with_a_fresh_key(
    engine_name: str, empty_database_url: DatabaseFactory
) -> None:
    url = empty_database_url(engine_name, "readme")
    schema.upgrade(url)
    engine = create_db_engine(url)
    with Session(engine) as session:
        seed_loader.load(session, Settings().seed_file)
        _key, secret = auth.create_key(session, "readme", ["write"])
        session.commit()
    try:
        with live_server(url) as base_url:
            result = run_script(readme_script("first-update"), BUSAN_API=base_url, BUSAN_KEY=secret)
        assert result.returncode == 0, result.stderr
        with Session(engine) as session:
            commitment = session.get(Commitment, "china-soybean-purchases")
            assert commitment is not None
            assert commitment.effective_note == "confirmed by a later report"
            assert commitment.status == "in_effect"
        assert result.stdout.split()[0] == "in_effect"
    finally:
        engine.dispose()
