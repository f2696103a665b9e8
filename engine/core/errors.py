"""Domain errors. The HTTP layer maps each kind to one status code; messages are for clerks."""

from typing import Any


class DomainError(Exception):
    def __init__(self, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""


class Forbidden(DomainError):
    """The caller is known but holds no right to do this."""


class Conflict(DomainError):
    """The thing changed under the caller: someone else holds it, or it is no longer open."""


class Invalid(DomainError):
    """The input breaks a rule; `errors` maps field names to messages."""


class StepFailed(DomainError):
    """The flow itself failed while advancing; the case stays at its previous step."""


class Unavailable(DomainError):
    """The store could not be reached (a lost database connection): nothing was written, try again."""
