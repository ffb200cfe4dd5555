"""Walk the API's surface: the operations the OpenAPI schema documents and the routes served."""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from app.config import Settings
from app.main import create_app

# Served but, by design, not operations of the data API's schema.
OUTSIDE_SCHEMA = frozenset(
    {"/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect", "/healthz", "/readyz"}
)
_PARAMETER = re.compile(r"{([^}]+)}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_read(self) -> bool:
        return self.method == "GET"

    @property
    def is_admin_only(self) -> bool:
        return not self.is_read and self.path.startswith("/v1/tombstones/")

    def parameter(self, name: str) -> Mapping[str, Any]:
        for parameter in self.spec.get("parameters", []):
            if parameter["name"] == name:
                found: Mapping[str, Any] = parameter
                return found
        raise KeyError(f"{self} has no parameter {name!r}")

    def url(self, values: Mapping[str, str]) -> str:
        """The path with each `{name}` filled from `values`; failing that, from its schema."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return values[name]
            schema = self.parameter(name).get("schema", {})
            if "enum" in schema:
                return str(schema["enum"][0])
            return "1" if schema.get("type") == "integer" else "no-such-record"

        return _PARAMETER.sub(fill, self.path)

    def required_query(self) -> list[str]:
        return [
            p["name"]
            for p in self.spec.get("parameters", [])
            if p["in"] == "query" and p.get("required")
        ]


def operations(schema: Mapping[str, Any]) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec)
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    ]


def served_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app answers, included routers flattened."""
    for context in iter_route_contexts(app.routes):
        path = context.path or repr(context.original_route)
        methods = set(context.methods or {"ANY"})
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette answers HEAD wherever it answers GET
        for method in sorted(methods):
            yield method, path


def schema_without_database() -> dict[str, Any]:
    """The OpenAPI schema, built at collection time (no database is touched)."""
    app = create_app(Settings(database_url="sqlite://"))
    try:
        return app.openapi()
    finally:
        app.state.engine.dispose()
