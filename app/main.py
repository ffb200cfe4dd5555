"""The application factory: `create_app(settings)` builds one app per database."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy import Engine

from app.actors.routes import router as actors_router
from app.api.caching import ConditionalGetMiddleware
from app.api.deps import reject_unknown_query_params
from app.api.docs import install_examples
from app.api.export_routes import router as export_router
from app.api.health import router as health_router
from app.api.limits import RequestBodyGuard
from app.api.response_cache import AnswerCache, ResponseCacheMiddleware
from app.api.responses import ORJSONResponse, install_error_handlers
from app.audit.routes import router as audit_router
from app.claims.routes import router as claims_router
from app.commitments.link_routes import router as links_router
from app.commitments.routes import router as commitments_router
from app.config import Settings
from app.data_version import pool_without_ping
from app.data_version import reader as data_version_reader
from app.db import create_db_engine, single_statement_reader, writer
from app.insights.routes import router as insights_router
from app.insights.search_routes import router as search_router
from app.sources.routes import router as sources_router
from app.tombstones.routes import router as tombstones_router

DESCRIPTION = """
Who promised what at the 30 October 2025 Trump–Xi summit in Busan: every commitment with its
terms, dates and status history, every claim with the exact words of its source, and every actor
and source behind them.

* **Traceable**: a claim's `quote` is always `text[start_offset:end_offset]` of its source.
  Offsets count Unicode code points (Python string indices). JavaScript strings count UTF-16
  units, which differ only for characters outside the Basic Multilingual Plane.
* **Lists** are paginated with opaque cursors: follow `next_cursor` or the `Link: rel="next"`
  header. `total` is counted on the first page only.
* **Errors** are RFC 9457 `application/problem+json`; an unknown query parameter is a 400 that
  names it.
* **Fresh**: repeated reads are answered from each server process's cache, but every request
  first checks the database's data version, so a write committed before a request began
  always shows in its answer. Send `If-None-Match` with an `ETag` to get a 304 when nothing
  changed.
"""

# zlib's level 6 compresses a 45 kB page about as well as 9 (the default) in half the time.
GZIP_LEVEL = 6

TAGS = [
    {"name": "commitments", "description": "Promises made at or around the summit."},
    {"name": "claims", "description": "Statements in the sources, quoted verbatim."},
    {"name": "actors", "description": "States, bodies, people and organisations."},
    {"name": "sources", "description": "The documents, with their full text."},
    {"name": "search", "description": "Ranked full-text search across every resource."},
    {"name": "insights", "description": "Conflicts between sources, the timeline, statistics."},
    {"name": "export", "description": "The whole knowledge base in one JSON document."},
    {"name": "audit", "description": "Every write: who, when, what, before and after."},
    {"name": "tombstones", "description": "Deleted records, restorable by admins."},
    {"name": "health", "description": "Probes for process managers and load balancers."},
]


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the app. An engine passed in stays the caller's to dispose."""
    settings = settings or Settings()
    owns_engine = engine is None
    engine = engine or create_db_engine(settings.database_url)
    # An app that owns its engine reads the data version on PostgreSQL without pre-ping.
    version_engine = engine
    if owns_engine and engine.dialect.name == "postgresql":
        version_engine = pool_without_ping(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_engine:
            engine.dispose()
            version_engine.dispose()

    app = FastAPI(
        title="Busan commitments knowledge base",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        default_response_class=ORJSONResponse,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.write_engine = writer(engine)
    app.state.single_statement_engine = single_statement_reader(engine)
    app.state.data_version = data_version_reader(single_statement_reader(version_engine))
    app.state.response_cache = AnswerCache(settings.response_cache_mb << 20)
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(ConditionalGetMiddleware)
    app.add_middleware(ResponseCacheMiddleware, cache=app.state.response_cache)
    app.add_middleware(RequestBodyGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=GZIP_LEVEL)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Link"],
        )
    strict = [Depends(reject_unknown_query_params)]
    app.include_router(health_router)
    for router in (
        commitments_router,
        claims_router,
        actors_router,
        sources_router,
        search_router,
        insights_router,
        export_router,
        links_router,
        audit_router,
        tombstones_router,
    ):
        app.include_router(router, dependencies=strict)
    install_examples(app)
    return app
