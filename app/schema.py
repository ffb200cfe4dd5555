"""Schema management through Alembic: upgrade, downgrade, and is-the-database-at-head."""

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.config import PROJECT_ROOT

# Tables of raw SQL and triggers, with no model: the full-text search index (migration
# 2026_11_23_0002) and the data version (2026_12_02_0005).
UNMODELLED_TABLES = frozenset({"search_document", "search_fts", "data_version"})


def include_name(
    name: str | None, type_: NameFilterType, _parent_names: NameFilterParentNames
) -> bool:
    """Alembic's name filter: autogenerate and the drift test skip the unmodelled tables,
    FTS5's shadow tables (`search_fts_data`, `_idx`, `_docsize`, `_config`) included."""
    if type_ != "table" or name is None:
        return True
    return name not in UNMODELLED_TABLES and not name.startswith("search_fts_")


def alembic_config(database_url: str) -> Config:
    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def is_at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current is not None and current == head_revision()
