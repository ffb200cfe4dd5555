"""The OpenAPI docs are the product: complete, and their examples true to the seeded data."""

from typing import Any

import httpx
import pytest

from app.api.docs import EXAMPLE_REQUESTS, load_examples, shorten

pytestmark = pytest.mark.anyio


async def test_every_stored_example_is_what_the_seeded_api_answers(
    client: httpx.AsyncClient,
) -> None:
    examples = load_examples()
    assert set(examples) == set(EXAMPLE_REQUESTS)
    for path, example in examples.items():
        response = await client.get(example["request"])
        assert response.status_code == 200, path
        assert shorten(response.json()) == example["response"], (
            f"the example of {path} has drifted: run `python -m app examples` on a seeded database"
        )


async def test_every_operation_is_documented_for_researchers(client: httpx.AsyncClient) -> None:
    schema: dict[str, Any] = (await client.get("/openapi.json")).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("tags"), where
            assert operation.get("summary"), where
            assert len(operation.get("description", "")) > 40, where
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("description"), f"{where} ?{parameter['name']}"
            if path in EXAMPLE_REQUESTS and method == "get":
                content = operation["responses"]["200"]["content"]["application/json"]
                assert content["example"], where


async def test_interactive_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200
