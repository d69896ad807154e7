"""Errors the tiler raises on purpose, and the HTTP status each one is answered with."""

from rio_tiler.errors import InvalidBufferSize, PointOutsideBounds
from starlette import status
from titiler.core.errors import TilerError


class ForbiddenAssetError(TilerError):
    """An asset href the operator did not allow: outside the storage roots, another scheme..."""


class LimitExceededError(TilerError):
    """A request asking for more work than the settings allow; the message names the limit."""


STATUS_CODES: dict[type[Exception], int] = {
    ForbiddenAssetError: status.HTTP_403_FORBIDDEN,
    LimitExceededError: status.HTTP_400_BAD_REQUEST,
    # rio-tiler's own refusals of a request, which titiler answers 500 as any RioTilerError.
    PointOutsideBounds: status.HTTP_400_BAD_REQUEST,
    InvalidBufferSize: status.HTTP_400_BAD_REQUEST,
}
