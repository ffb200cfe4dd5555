"""Helpers for talking to the API in tests."""

from typing import Any

import httpx


async def walk(client: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    """Follow `Link: rel="next"` from `url` to the last page; return every item."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        response = await client.get(next_url)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        link = response.headers.get("link")
        if body["next_cursor"] is None:
            assert link is None
            next_url = None
        else:
            assert link is not None
            assert 'rel="next"' in link
            next_url = link[link.index("<") + 1 : link.index(">")]
    return items
