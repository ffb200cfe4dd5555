"""Response examples in the OpenAPI docs, taken from the real seed data.

`app/api/examples.json` maps each documented path to an example request and its response as
the seeded knowledge base answers it (lists cut to three items, bookkeeping timestamps left out
so that the file does not change with every load). `python -m app examples` rewrites it; a test
replays every request against a freshly seeded database and fails when an example has drifted.
Search has no stored example: its ranking and snippets differ between the two engines.
"""

from pathlib import Path
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.openapi_contract import install_contract
from app.api.openapi_links import install_links

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
EXAMPLE_LIST_ITEMS = 3
VOLATILE_KEYS = frozenset({"created_at", "updated_at", "recorded_at"})

EXAMPLE_REQUESTS = {
    "/v1/commitments": "/v1/commitments?obligor=China&topic=rare_earths",
    "/v1/commitments/{commitment_id}": "/v1/commitments/china-rare-earth-export-controls-delay",
    "/v1/claims": "/v1/claims?speaker=Tangen&sort=start_offset",
    "/v1/claims/{claim_id}": "/v1/claims/aspi-meeting-duration",
    "/v1/actors": "/v1/actors?kind=state&limit=3",
    "/v1/actors/{actor_id}": "/v1/actors/einar-tangen",
    "/v1/sources": "/v1/sources?sort=-published_on&limit=3",
    "/v1/sources/{source_id}": "/v1/sources/chinese-perspective-commentary",
    "/v1/conflicts": "/v1/conflicts",
    "/v1/stats": "/v1/stats",
}


def shorten(value: Any) -> Any:
    """The example form of a response: lists cut short, volatile timestamps removed."""
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [shorten(v) for v in value[:EXAMPLE_LIST_ITEMS]]
    return value


def load_examples() -> dict[str, dict[str, Any]]:
    if not EXAMPLES_FILE.exists():
        return {}
    examples: dict[str, dict[str, Any]] = orjson.loads(EXAMPLES_FILE.read_bytes())
    return examples


async def collect_examples(app: FastAPI) -> dict[str, dict[str, Any]]:
    """Ask `app` (on a seeded database) every example request; return the examples."""
    transport = httpx.ASGITransport(app=app)
    examples: dict[str, dict[str, Any]] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://docs") as client:
        for path, request in EXAMPLE_REQUESTS.items():
            response = await client.get(request)
            response.raise_for_status()
            examples[path] = {"request": request, "response": shorten(response.json())}
    return examples


def write_examples(examples: dict[str, dict[str, Any]]) -> None:
    EXAMPLES_FILE.write_bytes(orjson.dumps(examples, option=orjson.OPT_INDENT_2) + b"\n")


def install_examples(app: FastAPI) -> None:
    """Serve an OpenAPI schema whose documented GETs carry their stored example, with the
    problems and CSV forms every operation can answer and the links between operations."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            for path, example in load_examples().items():
                operation = schema["paths"].get(path, {}).get("get")
                if operation is None:
                    continue
                content = operation["responses"]["200"].setdefault("content", {})
                content.setdefault("application/json", {})["example"] = example["response"]
                operation["description"] = (
                    operation.get("description", "")
                    + f"\n\n**Example:** `GET {example['request']}` (lists shortened)."
                )
            install_contract(schema)
            install_links(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
