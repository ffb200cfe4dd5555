"""Links between commitments: create, read with a version, patch with If-Match, delete."""

import httpx
import pytest
from sqlmodel import Session, col, select

from app.models import AuditEntry, Commitment, CommitmentLink, Tombstone

pytestmark = pytest.mark.anyio


def unlinked_pair(session: Session) -> tuple[str, str]:
    """Two stored commitments with no link between them in either direction."""
    ids = session.exec(select(Commitment.id).order_by(col(Commitment.id))).all()
    linked = {(link.from_id, link.to_id) for link in session.exec(select(CommitmentLink))}
    for first in ids:
        for second in ids:
            if first != second and not {(first, second), (second, first)} & linked:
                return first, second
    raise AssertionError("every pair of commitments is linked")


async def create_link(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> httpx.Response:
    first, second = unlinked_pair(session)
    body = {"from_id": first, "to_id": second, "kind": "conditional_on", "note": "test"}
    response = await client.post("/v1/links", json=body, headers=writer)
    assert response.status_code == 201, response.text
    return response


async def test_create_answers_the_link_and_both_commitments_list_it(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    created = await create_link(client, session, writer)
    link = created.json()
    assert created.headers["location"] == f"/v1/links/{link['id']}"
    assert link["version"] == 1
    fetched = await client.get(f"/v1/links/{link['id']}")
    assert fetched.json() == link
    assert fetched.headers["etag"] == created.headers["etag"]
    outgoing = (await client.get(f"/v1/commitments/{link['from_id']}")).json()["links"]
    incoming = (await client.get(f"/v1/commitments/{link['to_id']}")).json()["links"]
    assert {
        "kind": "conditional_on",
        "direction": "outgoing",
        "commitment_id": link["to_id"],
    }.items() <= next(out for out in outgoing if out["commitment_id"] == link["to_id"]).items()
    assert any(
        i["commitment_id"] == link["from_id"] and i["direction"] == "incoming" for i in incoming
    )
    entry = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_type == "link", AuditEntry.entity_id == str(link["id"])
        )
    ).one()
    assert entry.action == "create"
    assert entry.after == {
        "from": link["from_id"],
        "to": link["to_id"],
        "kind": "conditional_on",
        "note": "test",
    }


async def test_self_links_unknown_ends_and_duplicates_are_refused(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    link = (await create_link(client, session, writer)).json()
    same = {"from_id": link["from_id"], "to_id": link["from_id"], "kind": "supersedes"}
    self_link = await client.post("/v1/links", json=same, headers=writer)
    assert self_link.status_code == 422
    assert self_link.json()["field"] == "to_id"
    unknown = {"from_id": "no-such-commitment", "to_id": link["to_id"], "kind": "supersedes"}
    missing = await client.post("/v1/links", json=unknown, headers=writer)
    assert missing.status_code == 422
    assert missing.json()["field"] == "from_id"
    duplicate = {k: link[k] for k in ("from_id", "to_id", "kind")}
    assert (await client.post("/v1/links", json=duplicate, headers=writer)).status_code == 409
    assert (
        await client.post("/v1/links", json=duplicate | {"id": 5}, headers=writer)
    ).status_code == 422
    assert (await client.post("/v1/links", json=duplicate)).status_code == 401


async def test_patch_needs_the_current_etag_and_changes_kind_and_note(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    created = await create_link(client, session, writer)
    url = f"/v1/links/{created.json()['id']}"
    etag = created.headers["etag"]
    change = {"kind": "supersedes", "note": None}
    assert (await client.patch(url, json=change, headers=writer)).status_code == 428
    patched = await client.patch(url, json=change, headers=writer | {"If-Match": etag})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["kind"], patched.json()["note"], patched.json()["version"]) == (
        "supersedes",
        None,
        2,
    )
    assert (await client.get(url)).headers["etag"] == patched.headers["etag"]
    stale = await client.patch(url, json={"note": "x"}, headers=writer | {"If-Match": etag})
    assert stale.status_code == 412
    fresh = writer | {"If-Match": patched.headers["etag"]}
    for refused in ({"from_id": created.json()["to_id"]}, {"kind": None}, {"version": 1}):
        assert (await client.patch(url, json=refused, headers=fresh)).status_code == 422, refused
    entry = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_id == str(created.json()["id"]), AuditEntry.action == "update"
        )
    ).one()
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["kind"], entry.after["kind"]) == ("conditional_on", "supersedes")


async def test_patch_to_a_kind_that_already_links_them_is_a_409(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    link = (await create_link(client, session, writer)).json()
    other = {"from_id": link["from_id"], "to_id": link["to_id"], "kind": "supersedes"}
    assert (await client.post("/v1/links", json=other, headers=writer)).status_code == 201
    response = await client.patch(
        f"/v1/links/{link['id']}", json={"kind": "supersedes"}, headers=writer | {"If-Match": "*"}
    )
    assert response.status_code == 409
    assert (await client.get(f"/v1/links/{link['id']}")).json()["kind"] == "conditional_on"


async def test_delete_keeps_a_tombstone_under_the_numeric_id(
    client: httpx.AsyncClient, session: Session, writer: dict[str, str]
) -> None:
    created = await create_link(client, session, writer)
    link = created.json()
    url = f"/v1/links/{link['id']}"
    assert (await client.delete(url, headers=writer)).status_code == 428
    deleted = await client.delete(url, headers=writer | {"If-Match": created.headers["etag"]})
    assert deleted.status_code == 204
    assert (await client.get(url)).status_code == 404
    assert session.get(Commitment, link["from_id"]) is not None
    tombstone = session.exec(
        select(Tombstone).where(
            Tombstone.entity_type == "link", Tombstone.entity_id == str(link["id"])
        )
    ).one()
    assert tombstone.snapshot == {
        "from": link["from_id"],
        "to": link["to_id"],
        "kind": "conditional_on",
        "note": "test",
    }
    assert (await client.get("/v1/links/999999")).status_code == 404
    assert (await client.get("/v1/links/not-a-number")).status_code == 400
