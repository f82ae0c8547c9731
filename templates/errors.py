"""Errors raised by the client: one hierarchy, httpx exceptions never leak out of a call."""

from __future__ import annotations

from typing import Any, cast

import httpx

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiResponseValidationError",
    "ApiStatusError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]


class ApiError(Exception):
    """Base class of every error this client raises."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiConnectionError(ApiError):
    """The request did not get a usable response.

    Connection refused or reset, DNS failure, an unsupported URL scheme, too many redirects, a body
    that cannot be decoded: the httpx exception is kept as `__cause__`.
    """

    def __init__(self, request: httpx.Request, message: str = "Connection error.") -> None:
        super().__init__(message)
        self.request = request


class ApiTimeoutError(ApiConnectionError):
    """The request timed out."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(request, "Request timed out.")


class ApiResponseValidationError(ApiError):
    """A success response whose body does not match the type inferred from the saved examples.

    Raised only in strict mode (`Client(strict=True)`, or `strict=True` on a call), or when the
    body is not JSON at all; otherwise such a body is parsed tolerantly and the differences logged.
    """

    def __init__(self, response: httpx.Response, detail: str, paths: tuple[str, ...] = ()) -> None:
        super().__init__(f"Response body does not match the expected type: {detail}")
        self.response = response
        self.paths = paths  # the JSON paths that differ (`$.data[].id`), when the body is JSON
        self.status_code = response.status_code
        self.body = response.text


def _pick(data: Any, key: str) -> str | None:
    """`data[key]`, or `data["error"][key]`, as text when it is a string or a number."""
    if isinstance(data, dict):
        fields = cast(dict[str, Any], data)
        value = fields.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
        return _pick(fields.get("error"), key)
    return None


class ApiStatusError(ApiError):
    """The server answered with a 4xx or 5xx status.

    Attributes:
        status_code: the HTTP status.
        headers: the response headers.
        body: the raw response text.
        json: the body parsed as JSON, or None when it is not JSON.
        parsed: the body parsed into the error model inferred for this request, or None.
        code: the body's `code` (or `error.code`), when it has one.
        message: the body's `message` when it has one, else a summary of the response.
    """

    def __init__(self, response: httpx.Response, parsed: Any = None) -> None:
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.headers = response.headers
        self.body = response.text
        try:
            self.json: Any = response.json()
        except ValueError:
            self.json = None
        self.parsed = parsed
        self.code = _pick(self.json, "code")
        detail = _pick(self.json, "message")
        super().__init__(
            f"HTTP {self.status_code}: {detail or self.body[:200] or response.reason_phrase}"
        )
        if detail is not None:
            self.message = detail


class BadRequestError(ApiStatusError):
    """400 Bad Request."""


class AuthenticationError(ApiStatusError):
    """401 Unauthorized."""


class PermissionDeniedError(ApiStatusError):
    """403 Forbidden."""


class NotFoundError(ApiStatusError):
    """404 Not Found."""


class ConflictError(ApiStatusError):
    """409 Conflict."""


class UnprocessableEntityError(ApiStatusError):
    """422 Unprocessable Entity."""


class RateLimitError(ApiStatusError):
    """429 Too Many Requests."""


class ClientError(ApiStatusError):
    """Any other 4xx status."""


class InternalServerError(ApiStatusError):
    """Any 5xx status."""


_BY_STATUS: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[ApiStatusError]:
    """The error class raised for a status code."""
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, ClientError)
