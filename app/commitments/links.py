"""Links between commitments: `from` is reciprocal of / conditional on / supersedes `to`."""

from sqlmodel import Session, col, select

from app import writes
from app.commitments.schemas import LinkCreate, LinkUpdate
from app.errors import ConflictError, NotFoundError, UnprocessableError
from app.models import Commitment, CommitmentLink


def get_link(session: Session, link_id: int) -> CommitmentLink:
    link = session.get(CommitmentLink, link_id)
    if link is None:
        raise NotFoundError(f"No link has the id {link_id}.", resource="link", id=link_id)
    return link


def link_exists(session: Session, data: LinkCreate, other_than: int | None = None) -> bool:
    statement = select(CommitmentLink.id).where(
        CommitmentLink.from_id == data.from_id,
        CommitmentLink.to_id == data.to_id,
        CommitmentLink.kind == data.kind,
    )
    if other_than is not None:
        statement = statement.where(col(CommitmentLink.id) != other_than)
    return session.exec(statement).first() is not None


def create_link(
    session: Session,
    data: LinkCreate,
    api_key_id: int | None = None,
    link_id: int | None = None,
) -> CommitmentLink:
    """A new link; `link_id` is for restoring a deleted link under its old id."""
    if data.from_id == data.to_id:
        raise UnprocessableError("A commitment cannot be linked to itself.", field="to_id")
    for field in ("from_id", "to_id"):
        if session.get(Commitment, getattr(data, field)) is None:
            raise UnprocessableError(f"Unknown commitment id in `{field}`.", field=field)
    if link_exists(session, data):
        raise ConflictError("This link already exists.", field="kind")
    link = CommitmentLink.model_validate(data.model_dump(), update={"id": link_id})
    session.add(link)
    session.flush()
    assert link.id is not None
    writes.created(session, "link", str(link.id), api_key_id)
    return link


def update_link(
    session: Session,
    link_id: int,
    data: LinkUpdate,
    expected_version: int | None,
    api_key_id: int | None,
) -> CommitmentLink:
    changes = data.model_dump(exclude_unset=True)
    link = get_link(session, link_id)
    if data.kind is not None:
        wanted = LinkCreate(from_id=link.from_id, to_id=link.to_id, kind=data.kind)
        if link_exists(session, wanted, other_than=link_id):
            raise ConflictError("A link of that kind between them already exists.", field="kind")

    def apply() -> None:
        current = get_link(session, link_id)
        for field, value in changes.items():
            setattr(current, field, value)
        session.add(current)

    writes.update(session, "link", str(link_id), expected_version, api_key_id, apply)
    return get_link(session, link_id)


def delete_link(
    session: Session, link_id: int, expected_version: int | None, api_key_id: int | None
) -> None:
    get_link(session, link_id)
    writes.delete(session, "link", str(link_id), expected_version, api_key_id, lambda: [])
