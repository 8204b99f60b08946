"""Domain errors. Services raise them; the API's exception handler maps each to one HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the product said no. `code` is stable and machine-readable."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid_input"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request is well formed but clashes with the current state of the data."""

    status_code = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"


class Busy(DomainError):
    """The server is at its limit for this kind of work right now: retry in a moment."""

    status_code = 503
    code = "busy"
