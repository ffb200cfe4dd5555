"""The framework floor: the same server stack (uvicorn + FastAPI) answering constant JSON bodies.

Each body has the size of one of the API's answers (`BENCH_FLOOR_SIZES="list=21000,detail=6000"`,
set by `bench.run` from the real responses), so the floor pays for the same bytes on the wire
and nothing else: no database, no validation, no serialisation. `/async/{name}` runs on the event
loop; `/sync/{name}` is a plain `def` route, so the difference between the two is the cost of
FastAPI's threadpool hop, which every sync route of the API pays.

    BENCH_FLOOR_SIZES=list=21000 uvicorn bench.floor_app:app --port 8002
"""

import os

from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse


def constant_body(size: int) -> bytes:
    """A valid JSON object of exactly `size` bytes (at least 12)."""
    shell = b'{"items":""}'
    return shell[:-2] + b"x" * max(size - len(shell), 0) + shell[-2:]


def parse_sizes(spec: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for part in spec.split(","):
        if part.strip():
            name, _, value = part.partition("=")
            sizes[name.strip()] = int(value)
    return sizes


def create_app(sizes: dict[str, int]) -> FastAPI:
    bodies = {name: constant_body(size) for name, size in sizes.items()}
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz", response_class=PlainTextResponse)
    async def healthz() -> str:
        return "ok"

    @app.get("/async/{name}")
    async def constant_async(name: str) -> Response:
        return Response(bodies[name], media_type="application/json")

    @app.get("/sync/{name}")
    def constant_sync(name: str) -> Response:
        return Response(bodies[name], media_type="application/json")

    return app


app = create_app(parse_sizes(os.environ.get("BENCH_FLOOR_SIZES", "list=20000")))
