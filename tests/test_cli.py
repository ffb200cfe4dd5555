"""The command line, run as users run it (`python -m app ...`), on both engines."""

import json
from pathlib import Path

import pytest

from app import schema
from tests.conftest import ENGINES, DatabaseFactory
from tests.support.cli import run_cli


def test_help_explains_every_command() -> None:
    result = run_cli("--help", database_url="sqlite://")
    assert result.returncode == 0
    for command in ("migrate", "seed", "export", "serve"):
        assert command in result.stdout


@pytest.mark.parametrize("engine_name", ENGINES)
def test_migrate_seed_export_and_reload_reproduce_the_knowledge_base(
    engine_name: str, empty_database_url: DatabaseFactory, tmp_path: Path
) -> None:
    url = empty_database_url(engine_name, "cli")
    assert run_cli("migrate", database_url=url).returncode == 0
    seeded = run_cli("seed", database_url=url)
    assert seeded.returncode == 0, seeded.stderr
    first = run_cli("export", database_url=url)
    assert first.returncode == 0
    exported = json.loads(first.stdout)
    assert exported["claims"]

    # Reseeding is idempotent (tests/ingest/test_seed_data.py proves it in-process).
    copy_url = empty_database_url(engine_name, "cli_copy")
    export_file = tmp_path / "export.json"
    export_file.write_text(first.stdout, encoding="utf-8")
    schema.upgrade(copy_url)  # `migrate` itself ran above
    reloaded = run_cli("seed", "--path", str(export_file), database_url=copy_url)
    assert reloaded.returncode == 0, reloaded.stderr
    assert json.loads(run_cli("export", database_url=copy_url).stdout) == exported


def test_a_broken_seed_file_fails_and_writes_nothing(
    empty_database_url: DatabaseFactory, tmp_path: Path
) -> None:
    url = empty_database_url("sqlite", "cli_broken")
    assert run_cli("migrate", database_url=url).returncode == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "actors: [{id: a, name: A, kind: state}]\nsources: []\ncommitments: []\n"
        "claims: [{id: c, source: nowhere, quote: x, kind: report}]\n",
        encoding="utf-8",
    )
    result = run_cli("seed", "--path", str(broken), database_url=url)
    assert result.returncode == 1
    assert "nothing written" in result.stderr
    export = json.loads(run_cli("export", database_url=url).stdout)
    assert export["actors"] == []
