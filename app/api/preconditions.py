"""Versions as ETags, and the `If-Match` precondition every PATCH and DELETE must carry.

A record's ETag is `"<version>-<digest>"`: the version says which state of the record it is
(writes compare only that part), the digest covers the whole representation, embedded evidence
included (conditional GETs compare all of it).
"""

import re
from typing import Annotated

from fastapi import Depends, Header

from app.errors import PreconditionFailedError, PreconditionRequiredError

VERSION_HEADER = "X-Entity-Version"
_TAG = re.compile(r'^(?:W/)?"(\d+)(?:-[0-9a-f]*)?"$')


def version_etag(version: int, digest: str) -> str:
    return f'"{version}-{digest}"'


def if_match_version(
    if_match: Annotated[
        str | None,
        Header(
            description='The ETag from your last GET (`"<version>-<digest>"`), or `*`. '
            "Required: a write based on a stale read is refused with 412."
        ),
    ] = None,
) -> int | None:
    """The version the client last saw (None for `*`); 428 when absent, 412 when unreadable."""
    if if_match is None:
        raise PreconditionRequiredError(
            "This write needs an `If-Match` header with the ETag of your last GET, so that it "
            "cannot overwrite a change you have not seen."
        )
    if if_match.strip() == "*":
        return None
    match = _TAG.match(if_match.strip())
    if match is None:
        raise PreconditionFailedError("`If-Match` is not an ETag this API issued.")
    return int(match.group(1))


IfMatchDep = Annotated[int | None, Depends(if_match_version)]
