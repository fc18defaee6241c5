"""Typed errors whose message is the sentence the user sees.

Cogs turn any :class:`UserError` into an ephemeral reply using ``str(err)``; everything else is
a bug and gets a generic reply.
"""

from __future__ import annotations

__all__ = ["Conflict", "NotFound", "PermissionDenied", "UserError", "ValidationError"]


class UserError(Exception):
    """An error caused by the user's request; ``str(err)`` is shown to them as written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(UserError):
    """The input is malformed or out of range."""


class PermissionDenied(UserError):
    """The user may not do this."""


class NotFound(UserError):
    """The thing the user referred to does not exist."""


class Conflict(UserError):
    """The request is valid but clashes with the current state (e.g. already paused)."""
