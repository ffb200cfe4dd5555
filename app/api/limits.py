"""Guards on request bodies, before any route sees them.

Writes under /v1 must send JSON (`application/json` or `application/merge-patch+json`; other
types get 415) of at most `MAX_BODY_BYTES` (413, checked on the declared length and again on
the bytes actually received). The body must parse as JSON nested at most 64 levels deep,
with no NUL character and no lone surrogate in any string (PostgreSQL cannot store either):
otherwise 422. Nothing of a refused request reaches a route, so nothing is written.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from app.api.responses import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON_TYPES = ("application/json", "application/merge-patch+json")
BODY_METHODS = ("POST", "PUT", "PATCH")
MAX_DEPTH = 64


class RequestBodyGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int, prefix: str = "/v1") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._problem(
                scope, send, 413, "Content too large", self._too_large(), "too-large"
            )
            return
        media_type = headers.get(b"content-type", b"").split(b";")[0].strip().decode("latin-1")
        has_body = declared not in (None, b"0") or b"transfer-encoding" in headers
        if has_body and media_type.lower() not in JSON_TYPES:
            sent = media_type or "no content type"
            detail = f"Send the body as JSON (`Content-Type: application/json`), not `{sent}`."
            await self._problem(
                scope, send, 415, "Unsupported media type", detail, "unsupported-media-type"
            )
            return
        body = bytearray()
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more_body = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await self._problem(
                    scope, send, 413, "Content too large", self._too_large(), "too-large"
                )
                return
        if body:
            problem = _json_problem(bytes(body))
            if problem is not None:
                # Like every 422, it lists its errors: here one rule on the body as a whole.
                errors = [{"in": "body", "name": "body", "message": problem}]
                await self._problem(
                    scope, send, 422, "Unprocessable content", problem, "validation-error", errors
                )
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"The request body is larger than the limit of {self.max_body_bytes} bytes."

    async def _problem(
        self,
        scope: Scope,
        send: Send,
        status: int,
        title: str,
        detail: str,
        slug: str,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        problem: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + slug,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope["path"],
        }
        if errors is not None:
            problem["errors"] = errors
        body = orjson.dumps(problem)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _json_problem(body: bytes) -> str | None:
    """Why `body` is not acceptable JSON, or None when it is."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return f"The body is not valid JSON: {error}."
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"The body is nested more than {MAX_DEPTH} levels deep."
        if isinstance(item, str) and "\x00" in item:
            return "Strings must not contain the NUL character (U+0000)."
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
    return None
