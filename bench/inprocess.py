"""Time one API path in-process: the app's ASGI callable called directly, no HTTP, no server.

What a request costs the app itself (routing, dependencies, SQL, JSON, middleware), without
uvicorn, the network or the load generator sharing the two cores. `--profile` prints cProfile's
top functions for the timed calls.

    .venv/bin/python -m bench.inprocess --database sqlite:///bench/data/bench-10k.db \\
        '/v1/commitments?topic=tariffs&status=announced&limit=50'
"""

import argparse
import asyncio
import cProfile
import pstats
import time
from typing import Any

from app.config import Settings
from app.main import create_app

ASGIApp = Any
Message = dict[str, Any]


async def call(app: ASGIApp, path: str) -> tuple[int, bytes]:
    """One GET of `path`; the status and the body."""
    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    requested = False
    status = 0
    body: list[bytes] = []

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect: a streamed answer runs to its end
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


async def measure(app: ASGIApp, path: str, calls: int, profile: bool) -> float:
    """Microseconds per call of `path`, after a warm-up."""
    status, body = await call(app, path)
    if status != 200:
        raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    for _ in range(max(calls // 10, 20)):
        await call(app, path)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    for _ in range(calls):
        await call(app, path)
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="API paths with their query strings")
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a loaded database")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    app = create_app(Settings(database_url=args.database))
    for path in args.paths:
        micros = asyncio.run(measure(app, path, args.calls, args.profile))
        print(f"{micros:8,.0f} µs  {path}")


if __name__ == "__main__":
    main()
