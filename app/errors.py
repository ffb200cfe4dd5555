"""One error hierarchy, rendered as RFC 9457 problem+json by app/api/responses.py."""

from typing import Any


class ProblemError(Exception):
    """Base of every error the API reports on purpose."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"
    headers: dict[str, str] = {}

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


class UnauthorizedError(ProblemError):
    status = 401
    title = "Unauthorized"
    type_slug = "unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="busan-commitments"'}


class ForbiddenError(ProblemError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class PreconditionFailedError(ProblemError):
    status = 412
    title = "Precondition failed"
    type_slug = "stale-etag"


class PreconditionRequiredError(ProblemError):
    status = 428
    title = "Precondition required"
    type_slug = "if-match-required"


class PayloadTooLargeError(ProblemError):
    status = 413
    title = "Content too large"
    type_slug = "too-large"


class UnsupportedMediaTypeError(ProblemError):
    status = 415
    title = "Unsupported media type"
    type_slug = "unsupported-media-type"


class UnavailableError(ProblemError):
    status = 503
    title = "Service unavailable"
    type_slug = "unavailable"
    headers = {"Retry-After": "1"}


class SeedError(Exception):
    """The seed file is inconsistent with itself or with its texts; the message names the record."""
