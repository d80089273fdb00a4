"""Errors carry their HTTP status; one handler turns them into RFC 9457 problems."""

from __future__ import annotations

from typing import Any


class JiefenError(Exception):
    status_code = 400
    code = "bad_request"
    # An English message id, translated at the edge (see core.i18n).
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        self.message = message or self.message
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)

    def extra(self) -> dict[str, Any]:
        return {}


class BadRequest(JiefenError):
    status_code = 400
    code = "bad_request"


class Unauthorized(JiefenError):
    status_code = 401
    code = "unauthorized"
    message = "Please sign in."


class Forbidden(JiefenError):
    status_code = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(JiefenError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class Conflict(JiefenError):
    status_code = 409
    code = "conflict"
    message = "Someone else changed this case first. Reload and try again."


class InvalidTransition(JiefenError):
    status_code = 409
    code = "invalid_transition"
    message = "Cannot {event} a case that is {state}."


class Vetoed(JiefenError):
    status_code = 409
    code = "vetoed"
    message = "The {plugin} plugin does not allow this: {reason}"


class TooLarge(JiefenError):
    status_code = 413
    code = "too_large"
    message = "The file is larger than {limit} bytes."


class UnsupportedMedia(JiefenError):
    status_code = 415
    code = "unsupported_media"
    message = "This kind of file is not accepted."


class ValidationFailed(JiefenError):
    status_code = 422
    code = "validation_failed"
    message = "Some fields are missing or wrong."

    def __init__(self, message: str | None = None, /, errors: list[dict[str, Any]] | None = None, **params: Any):
        super().__init__(message, **params)
        self.errors = errors or []

    def extra(self) -> dict[str, Any]:
        return {"errors": self.errors}


class RateLimited(JiefenError):
    status_code = 429
    code = "rate_limited"
    message = "Too many requests. Please wait a minute and try again."
