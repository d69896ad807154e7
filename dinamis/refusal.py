"""Reasons said in English and in the reader's language: an :class:`ExplainedError` keeps
the text it was made of (marked for the catalogues with :func:`N_`) and the values put in it,
so that the API answers its English and the portal says it in French.

A request refused before anything is done is a :class:`RefusedError`, with the HTTP status to
answer; the API answers it as ``{"detail": …, "reason": {"message": …, "params": {…}}}``.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    """Mark text that is translated where it is shown, not where it is written."""
    return message


class ExplainedError(Exception):
    """``detail``, the reason in English: ``message`` with ``params`` put in it."""

    # Positional-only: a reason's values may be called anything (``status``, ``message``).
    def __init__(self, message: str, /, **params: Any) -> None:
        self.message = message
        self.params = params
        self.detail = message % params if params else message
        super().__init__(self.detail)

    def reason(self) -> dict[str, Any]:
        """The reason as a client says it in its language (``message`` a catalogue id)."""
        return {"message": self.message, "params": self.params}


class RefusedError(ExplainedError):
    """``status`` (4xx) and the reason the caller reads."""

    def __init__(self, status: int, message: str, /, **params: Any) -> None:
        super().__init__(message, **params)
        self.status = status

    @classmethod
    def because(cls, status: int, reason: ExplainedError) -> "RefusedError":
        """Refused with ``status`` for ``reason`` (an error found on the way), in its words."""
        return cls(status, reason.message, **reason.params)


async def refused(request: Request, error: Exception) -> JSONResponse:
    """The API's answer to a :class:`RefusedError` (its exception handler)."""
    assert isinstance(error, RefusedError)
    return JSONResponse(
        {"detail": error.detail, "reason": error.reason()}, status_code=error.status
    )
