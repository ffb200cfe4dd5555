"""One error hierarchy, rendered as RFC 9457 problem+json by app/api/responses.py."""

from typing import Any


class ProblemError(Exception):
    """Base of every error the API reports on purpose."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFoundError(ProblemError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class InvalidParameterError(ProblemError):
    status = 400
    title = "Invalid query parameter"
    type_slug = "invalid-parameter"


class UnprocessableError(ProblemError):
    status = 422
    title = "Unprocessable content"
    type_slug = "validation-error"


class ConflictError(ProblemError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class SeedError(Exception):
    """The seed file is inconsistent with itself or with its texts; the message names the record."""
