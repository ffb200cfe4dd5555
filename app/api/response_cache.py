"""A per-worker cache of JSON answers, keyed by the data version, as a pure ASGI middleware.

It wraps `ConditionalGetMiddleware`, so a kept answer carries its ETag and a hit costs no
digest of the body; a hit whose `If-None-Match` names that ETag gets the same 304.

Dashboards poll the same URLs. Before a GET under /v1 runs, this reads the database's data
version (`app.data_version`: one row, which every committed write changes) and looks the
request up under it; a hit answers the stored 200 without running the route. A miss runs it
and keeps its answer under the version read *before* it ran, so a stored answer is never older
than its key: a write committed before a request began always shows in that request's answer,
whichever worker serves it and whoever wrote (API, CLI, psql).

Only answers that are the same for every caller are kept: GETs without `Authorization`,
answered 200 with a JSON body of at most a 16th of the cache (lists by CSV stream past it). The
key holds what else the answer depends on: the path and query, the `Accept` header, the host
and scheme (the `Link` header's URL), and today's date (the timeline judges deadlines by it).
The cache is bounded in bytes (least recently used entries go first); `RESPONSE_CACHE_MB=0`
turns it off. If the version cannot be read, the request runs uncached and the route's own
error handling answers.
"""

import inspect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from app.api.caching import ASGIApp, Message, Receive, Scope, Send, already_held, not_modified
from app.api.deps import today

Key = tuple[int, date, str, bytes, str, str, bytes, bytes]
ENTRY_FRACTION = 16  # the largest answer kept: this fraction of the capacity
_VARYING_HEADERS = (b"host", b"accept")


@dataclass(frozen=True)
class CachedAnswer:
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class AnswerCache:
    """Answers by key, least recently used first out when the bytes exceed the capacity."""

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity = capacity_bytes
        self.size = 0
        self._answers: OrderedDict[Key, CachedAnswer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0

    def get(self, key: Key) -> CachedAnswer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: Key, answer: CachedAnswer) -> None:
        if answer.size > self.capacity // ENTRY_FRACTION or key in self._answers:
            return
        self._answers[key] = answer
        self.size += answer.size
        while self.size > self.capacity:
            _, evicted = self._answers.popitem(last=False)
            self.size -= evicted.size


class ResponseCacheMiddleware:
    def __init__(self, app: ASGIApp, cache: AnswerCache, prefix: str = "/v1") -> None:
        self.app = app
        self.cache = cache
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        try:
            version: int = scope["app"].state.data_version()
        except SQLAlchemyError:
            await self.app(scope, receive, send)
            return
        key = await _key(scope, version)
        answer = self.cache.get(key)
        if answer is not None:
            await _replay(answer, scope, send)
            return
        await self.app(scope, receive, self._recorder(key, send))

    def _cacheable(self, scope: Scope) -> bool:
        return (
            self.cache.capacity > 0
            and scope["type"] == "http"
            and scope["method"] == "GET"
            and scope["path"].startswith(self.prefix)
            and not any(name == b"authorization" for name, _ in scope["headers"])
        )

    def _recorder(self, key: Key, send: Send) -> Send:
        """`send`, keeping a copy of a cacheable answer as it goes out."""
        headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []
        size = 0
        limit = self.cache.capacity // ENTRY_FRACTION

        async def record(message: Message) -> None:
            nonlocal headers, size
            if message["type"] == "http.response.start":
                start_headers = list(message.get("headers", []))
                content_type = dict(start_headers).get(b"content-type", b"")
                if message["status"] == 200 and content_type.startswith(b"application/json"):
                    headers = start_headers
            elif message["type"] == "http.response.body" and headers is not None:
                body = message.get("body", b"")
                size += len(body)
                chunks.append(body)
                if size > limit:
                    headers = None
                elif not message.get("more_body", False):
                    self.cache.put(key, CachedAnswer(headers, b"".join(chunks)))
            await send(message)

        return record


async def _replay(answer: CachedAnswer, scope: Scope, send: Send) -> None:
    """The kept answer, or a 304 when the client holds it (as `ConditionalGetMiddleware`)."""
    etag = dict(answer.headers).get(b"etag")
    if etag is not None and already_held(scope, etag):
        await send(not_modified(answer.headers))
        await send({"type": "http.response.body", "body": b""})
        return
    # A copy: the middlewares outside (gzip) change the list they are sent in place.
    await send({"type": "http.response.start", "status": 200, "headers": list(answer.headers)})
    await send({"type": "http.response.body", "body": answer.body})


async def _key(scope: Scope, version: int) -> Key:
    headers = dict(scope["headers"])
    host, accept = (headers.get(name, b"") for name in _VARYING_HEADERS)
    return (
        version,
        await _today(scope),
        scope["scheme"],
        host,
        scope.get("root_path", ""),
        scope["path"],
        scope["query_string"],
        accept,
    )


async def _today(scope: Scope) -> date:
    """Today as the routes see it: `app.api.deps.today`, or what a test put in its place."""
    provider: Callable[[], Any] = scope["app"].dependency_overrides.get(today, today)
    value = provider()
    day: date = await value if inspect.isawaitable(value) else value
    return day
