"""The README never lies: its quickstart script runs against a live server on both engines."""

import os
import re
import subprocess
import sys

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.config import PROJECT_ROOT
from app.models import Commitment, CommitmentParty
from tests.support.live import live_server


def quickstart_script() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- quickstart[^>]*-->\n```python\n(.*?)```", readme, flags=re.DOTALL)
    assert match, "the README has lost its quickstart script"
    return match.group(1)


def test_the_readme_quickstart_answers_its_three_questions(seeded_engine: Engine) -> None:
    url = seeded_engine.url.render_as_string(hide_password=False)
    with live_server(url) as base_url:
        result = subprocess.run(
            [sys.executable, "-c", quickstart_script()],
            env={**os.environ, "BUSAN_API": base_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
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
