"""HTTP manners: ETags and 304s, Cache-Control, gzip, CORS, the export round trip."""

from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings
from app.export import export
from app.ingest import load as seed_loader
from app.main import create_app
from app.models import Actor

pytestmark = pytest.mark.anyio


async def test_json_reads_carry_a_strong_etag_and_revalidate_to_304(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/v1/commitments?limit=5")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert "max-age" in first.headers["cache-control"]
    again = await client.get("/v1/commitments?limit=5", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = await client.get("/v1/commitments?limit=6", headers={"If-None-Match": etag})
    assert other.status_code == 200


async def test_etag_changes_when_the_data_changes(
    client: httpx.AsyncClient, session: Session
) -> None:
    before = await client.get("/v1/actors/china")
    china = session.get(Actor, "china")
    assert china is not None
    china.role = "a changed role"
    session.add(china)
    session.flush()
    after = await client.get("/v1/actors/china", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]


async def test_errors_get_no_etag(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/actors/nobody")
    assert response.status_code == 404
    assert "etag" not in response.headers


async def test_large_answers_are_gzipped(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/claims?limit=50", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["items"]


async def test_export_loads_back_into_an_empty_database_identically(
    client: httpx.AsyncClient, session: Session, tmp_path: Path
) -> None:
    response = await client.get("/v1/export")
    assert response.status_code == 200
    exported = response.json()
    assert exported == orjson.loads(orjson.dumps(export(session)))
    assert exported["claims"]
    assert exported["sources"][0]["text"]
    # Loading the export over the same database creates nothing: every id is already there.
    path = tmp_path / "export.json"
    path.write_bytes(response.content)
    counts = seed_loader.load(session, path)
    assert not any(counts[key] for key in counts if key.endswith(".created"))


async def test_cors_allows_only_configured_origins(seeded_engine: Engine) -> None:
    settings = Settings(
        database_url=seeded_engine.url.render_as_string(hide_password=False),
        cors_origins=["https://dashboard.example"],
    )
    transport = httpx.ASGITransport(app=create_app(settings, seeded_engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        allowed = await http.get("/v1/actors", headers={"Origin": "https://dashboard.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example"
        refused = await http.get("/v1/actors", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in refused.headers
