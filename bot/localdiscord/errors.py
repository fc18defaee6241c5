"""Discord JSON errors, raised by handlers and turned into responses by the middleware."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as Discord would: ``{"code": ..., "message": ...}`` with a status."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class BadPayload(ApiError):
    """400 Invalid Form Body (50035); recorded in ``server.errors`` as a bad payload."""

    def __init__(self, field: str, message: str, code: str = "BASE_TYPE_INVALID") -> None:
        errors = _nest(field.split("."), {"_errors": [{"code": code, "message": message}]})
        super().__init__(400, 50035, f"Invalid Form Body ({field}: {message})", errors)
        self.field = field


def _nest(path: list[str], leaf: dict[str, Any]) -> dict[str, Any]:
    result = leaf
    for part in reversed(path):
        result = {part: result}
    return result


def unauthorized() -> ApiError:
    return ApiError(401, 0, "401: Unauthorized")


def missing_access() -> ApiError:
    return ApiError(403, 50001, "Missing Access")


def missing_permissions() -> ApiError:
    return ApiError(403, 50013, "Missing Permissions")


def unknown_channel() -> ApiError:
    return ApiError(404, 10003, "Unknown Channel")


def unknown_guild() -> ApiError:
    return ApiError(404, 10004, "Unknown Guild")


def unknown_member() -> ApiError:
    return ApiError(404, 10007, "Unknown Member")


def unknown_message() -> ApiError:
    return ApiError(404, 10008, "Unknown Message")


def unknown_role() -> ApiError:
    return ApiError(404, 10011, "Unknown Role")


def unknown_webhook() -> ApiError:
    return ApiError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> ApiError:
    return ApiError(404, 10062, "Unknown interaction")


def unknown_event() -> ApiError:
    return ApiError(404, 10070, "Unknown Guild Scheduled Event")


def finished_event() -> ApiError:
    return ApiError(400, 180000, "Cannot modify a finished event")


def already_acknowledged() -> ApiError:
    return ApiError(400, 40060, "Interaction has already been acknowledged.")


def empty_message() -> ApiError:
    return ApiError(400, 50006, "Cannot send an empty message")


def not_author() -> ApiError:
    return ApiError(403, 50005, "Cannot edit a message authored by another user")


def wrong_channel_type() -> ApiError:
    return ApiError(400, 50024, "Cannot execute action on this channel type")


def non_text_channel() -> ApiError:
    return ApiError(400, 50008, "Cannot send messages in a non-text channel")


def thread_archived() -> ApiError:
    return ApiError(400, 50083, "Thread is archived")


def thread_exists() -> ApiError:
    return ApiError(400, 160004, "A thread has already been created for this message")
