"""Command line: `python -m app <command>` (also installed as `busan-kb`)."""

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlmodel import Session

from app import auth, schema
from app import export as export_service
from app.api import docs
from app.config import Settings
from app.db import create_db_engine
from app.errors import NotFoundError, SeedError
from app.ingest import load as seed_loader
from app.main import create_app

cli = typer.Typer(
    help="Busan commitments knowledge base: migrate, seed, serve and export.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database at DATABASE_URL to REVISION (default: the latest)."""
    settings = Settings()
    schema.upgrade(settings.database_url, revision)
    console.print(f"[green]migrated[/green] {settings.database_url} to {revision}")


@cli.command()
def seed(
    path: Annotated[Path | None, typer.Option(help="Seed file (default: SEED_FILE).")] = None,
) -> None:
    """Load the curated seed file: creates what is missing, never changes or deletes what exists."""
    settings = Settings()
    seed_path = path or settings.seed_file
    engine = create_db_engine(settings.database_url)
    with Progress(console=console, transient=True) as progress, Session(engine) as session:
        try:
            sizes = seed_loader.stage_sizes(seed_path)
            tasks = {stage: progress.add_task(stage, total=size) for stage, size in sizes.items()}
            counts = seed_loader.load(
                session, seed_path, lambda stage, n: progress.advance(tasks[stage], n)
            )
        except SeedError as error:
            console.print(f"[red]seed failed, nothing written:[/red] {error}")
            raise typer.Exit(1) from error
        session.commit()
    engine.dispose()
    table = Table("records", "created", "kept as they were")
    for stage in sizes:
        table.add_row(stage, str(counts[f"{stage}.created"]), str(counts[f"{stage}.kept"]))
    table.add_row("status events", str(counts["status_events.created"]), "-")
    console.print(table)


@cli.command()
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Dump the whole knowledge base as JSON in the seed format; `seed --path` loads it back."""
    settings = Settings()
    engine = create_db_engine(settings.database_url)
    with Session(engine) as session:
        data = orjson.dumps(export_service.export(session), option=orjson.OPT_INDENT_2)
    engine.dispose()
    if output is None:
        sys.stdout.buffer.write(data + b"\n")
    else:
        output.write_bytes(data + b"\n")
        console.print(f"[green]exported[/green] to {output}")


@cli.command()
def examples() -> None:
    """Rewrite the OpenAPI response examples from the database at DATABASE_URL (seed it first)."""
    examples_found = asyncio.run(docs.collect_examples(create_app(Settings())))
    docs.write_examples(examples_found)
    console.print(f"[green]wrote[/green] {len(examples_found)} examples to {docs.EXAMPLES_FILE}")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default: HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: WORKERS).")
    ] = None,
) -> None:
    """Serve the API with uvicorn."""
    settings = Settings()
    uvicorn.run(
        "app.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        proxy_headers=True,
    )


keys = typer.Typer(help="Manage API keys for writes (create, list, revoke).", no_args_is_help=True)
cli.add_typer(keys, name="keys")


@keys.command("create")
def create_key(
    scope: Annotated[
        list[str], typer.Option("--scope", help="write or admin; repeat for several.")
    ],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")] = "unnamed",
) -> None:
    """Create a key and print it once, alone on the last line (capture it: it is not stored)."""
    engine = create_db_engine(Settings().database_url)
    with Session(engine) as session:
        try:
            key, secret = auth.create_key(session, name, scope)
        except ValueError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from error
        session.commit()
        console.print(f"created key {key.id} ({key.prefix}…) with scopes: {key.scopes}")
    engine.dispose()
    print(secret)


@keys.command("list")
def list_keys() -> None:
    """List keys: id, name, prefix, scopes, created and revoked dates (never the secret)."""
    engine = create_db_engine(Settings().database_url)
    table = Table("id", "name", "prefix", "scopes", "created", "revoked")
    with Session(engine) as session:
        for key in auth.list_keys(session):
            table.add_row(
                str(key.id),
                key.name,
                key.prefix,
                key.scopes,
                str(key.created_at),
                str(key.revoked_at or ""),
            )
    engine.dispose()
    Console().print(table)


@keys.command("revoke")
def revoke_key(key_id: Annotated[int, typer.Argument(help="Id shown by `keys list`.")]) -> None:
    """Revoke a key: every later request with it is a 401."""
    engine = create_db_engine(Settings().database_url)
    with Session(engine) as session:
        try:
            auth.revoke_key(session, key_id)
        except NotFoundError as error:
            console.print(f"[red]{error.detail}[/red]")
            raise typer.Exit(1) from error
        session.commit()
    engine.dispose()
    console.print(f"revoked key {key_id}")


def main() -> None:
    cli()
