"""OpenAPI links: from an answer that carries a record to the operations that take its id.

A create, a status event (which answers its commitment), a GET and a PATCH each answer the
record with its `id` and its ETag. The links tell clients, and schemathesis' stateful tests,
that the record's other operations take that id, and PATCH and DELETE that ETag as `If-Match`.

There is deliberately no link from a DELETE to the restore of its tombstone: schemathesis'
`use_after_free` check takes a later 200 on the deleted record for a bug unless a POST to the
record's own collection made it again, so a restore through /v1/tombstones would read as one.
"""

from typing import Any

# Each kind of record: the POSTs answering it whole (201), and its path.
RECORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("/v1/actors",), "/v1/actors/{actor_id}"),
    (("/v1/sources",), "/v1/sources/{source_id}"),
    (("/v1/claims",), "/v1/claims/{claim_id}"),
    (
        ("/v1/commitments", "/v1/commitments/{commitment_id}/status"),
        "/v1/commitments/{commitment_id}",
    ),
    (("/v1/links",), "/v1/links/{link_id}"),
)


def install_links(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    for creates, record in RECORDS:
        parameter = record[record.rindex("{") + 1 : -1]
        targets = [
            (path, method, operation)
            for path, operations in paths.items()
            if path == record or path.startswith(record + "/")
            for method, operation in operations.items()
        ]
        answers = [(path, "post", "201") for path in creates]
        answers += [(record, "get", "200"), (record, "patch", "200")]
        for path, method, status in answers:
            links = paths[path][method]["responses"][status].setdefault("links", {})
            for target_path, target_method, operation in targets:
                if (target_path, target_method) == (path, method):
                    continue
                values = {f"path.{parameter}": "$response.body#/id"}
                if _takes(operation, "if-match"):
                    values["header.if-match"] = "$response.header.ETag"
                links[f"{target_method.upper()} {target_path}"] = {
                    "operationId": operation["operationId"],
                    "parameters": values,
                }


def _takes(operation: dict[str, Any], name: str) -> bool:
    return any(p["name"] == name for p in operation.get("parameters", []))
