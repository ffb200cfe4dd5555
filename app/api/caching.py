"""Strong ETags and conditional GETs for JSON reads, as a pure ASGI middleware.

A GET (or HEAD) under /v1 that answers 200 with a JSON body gets a strong ETag and
`Cache-Control`; a request whose `If-None-Match` holds that tag gets `304 Not Modified` with no
body. The tag is `"<digest of the body>"`, or `"<version>-<digest>"` for a single record (its
route sets `X-Entity-Version`, which this middleware turns into the tag). Streaming answers
(CSV) pass through untouched.
"""

import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.api.preconditions import VERSION_HEADER, version_etag

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CACHE_CONTROL = b"public, max-age=60"


def digest(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def etag_for(body: bytes, version: str | None = None) -> str:
    return version_etag(int(version), digest(body)) if version else f'"{digest(body)}"'


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def already_held(scope: Scope, etag: bytes) -> bool:
    """Whether the request's `If-None-Match` names `etag`: the client holds this answer."""
    if_none_match = dict(scope["headers"]).get(b"if-none-match", b"").decode("latin-1")
    return bool(if_none_match) and _matches(if_none_match, etag.decode("latin-1"))


def not_modified(headers: list[tuple[bytes, bytes]]) -> Message:
    """The start of a 304 for an answer with `headers` (which then has no body)."""
    kept = [(k, v) for k, v in headers if k not in (b"content-type", b"content-length")]
    return {"type": "http.response.start", "status": 304, "headers": kept}


class ConditionalGetMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/v1") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def capture(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                is_json = content_type.startswith(b"application/json")
                if message["status"] != 200 or not is_json:
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            version_key = VERSION_HEADER.lower().encode()
            original = start.get("headers", [])
            version = dict(original).get(version_key)
            etag = etag_for(body, version.decode() if version else None)
            dropped = (b"content-length", version_key, b"etag")
            headers = [(k, v) for k, v in original if k not in dropped]
            headers.append((b"etag", etag.encode("latin-1")))
            headers.append((b"cache-control", CACHE_CONTROL))
            if already_held(scope, etag.encode("latin-1")):
                await send(not_modified(headers))
                await send({"type": "http.response.body", "body": b""})
                return
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
