"""`Idempotency-Key` on POST: a retried create answers what the first one answered.

The first request with a key stores its status, headers and body in the same transaction as
the create; a retry with the same key and the same body replays them; the same key with a
different body is a 422. Keys are scoped to the API key that sent them. Two requests with the
same key in flight at once: one creates, the other gets 409 and can retry to get the replay.
"""

import hashlib
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlmodel import Session, select

from app.auth import WriterDep
from app.db import commit
from app.errors import UnprocessableError
from app.models import ApiKey, IdempotencyRecord

REPLAYED_HEADER = "Idempotent-Replayed"


class Idempotency:
    def __init__(self, key: str | None, api_key: ApiKey, request_sha256: str) -> None:
        self.key = key
        self.api_key = api_key
        self.request_sha256 = request_sha256

    def replay(self, session: Session) -> Response | None:
        """The stored answer to an earlier request with this key, if there is one."""
        if self.key is None:
            return None
        stored = session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == self.api_key.id, IdempotencyRecord.key == self.key
            )
        ).first()
        if stored is None:
            return None
        if stored.request_sha256 != self.request_sha256:
            raise UnprocessableError(
                "This Idempotency-Key was used with a different request body.",
                field="Idempotency-Key",
            )
        headers = {**stored.response_headers, REPLAYED_HEADER: "true"}
        return Response(
            stored.response_body,
            status_code=stored.status_code,
            headers=headers,
            media_type="application/json",
        )

    def finish(self, session: Session, response: Response) -> Response:
        """Store the answer (when a key was sent) and commit the whole request at once."""
        if self.key is not None:
            assert self.api_key.id is not None
            session.add(
                IdempotencyRecord(
                    api_key_id=self.api_key.id,
                    key=self.key,
                    request_sha256=self.request_sha256,
                    status_code=response.status_code,
                    response_body=bytes(response.body),
                    response_headers={
                        k: v for k, v in response.headers.items() if k in ("etag", "location")
                    },
                )
            )
        commit(session)
        return response


async def idempotency(
    request: Request,
    api_key: WriterDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=200,
            description="Any unique string (a UUID); a retry with the same key and body "
            "replays the first answer instead of creating twice.",
        ),
    ] = None,
) -> Idempotency:
    body = await request.body()
    return Idempotency(idempotency_key, api_key, hashlib.sha256(body).hexdigest())


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
