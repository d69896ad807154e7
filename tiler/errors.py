"""Errors the tiler raises on purpose, and the HTTP status each one is answered with."""

import logging

from psycopg.errors import DataError, RaiseException
from rio_tiler.errors import RioTilerError
from starlette import status
from starlette.requests import Request
from starlette.responses import JSONResponse
from titiler.core.errors import TilerError
from titiler.pgstac.errors import BackendError


class ForbiddenAssetError(TilerError):
    """An asset href the operator did not allow: outside the storage roots, another scheme..."""


class UnreadableAssetError(TilerError):
    """An asset's file that cannot be opened (missing, damaged): the path goes to the log."""


class NotGeoreferencedError(TilerError):
    """An asset's file with no location of its own (a raw scene placed by its metadata's tie
    points): nothing can be drawn in place until its COG is made."""


class LimitExceededError(TilerError):
    """A request asking for more work than the settings allow; the message names the limit."""


logger = logging.getLogger(__name__)

STATUS_CODES: dict[type[Exception], int] = {
    ForbiddenAssetError: status.HTTP_403_FORBIDDEN,
    LimitExceededError: status.HTTP_400_BAD_REQUEST,
    UnreadableAssetError: status.HTTP_404_NOT_FOUND,
    NotGeoreferencedError: status.HTTP_409_CONFLICT,
    # rio-tiler raises these for what a request asks (a point outside the image, an invalid
    # geometry, a buffer that is no multiple of 0.5...): titiler answers them 500. Its own
    # subclasses keep their status (404 for a tile outside the bounds, and so on).
    RioTilerError: status.HTTP_400_BAD_REQUEST,
    # pgSTAC refuses with RAISE EXCEPTION what it cannot search (query and filter together on a
    # collection's tiles, an unknown operator): the request was at fault, as the API says too.
    RaiseException: status.HTTP_400_BAD_REQUEST,
}


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    """What nothing else answered: logged whole, answered without its internal message."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal error: the failure is logged"}, 500)


async def backend_error(request: Request, error: Exception) -> JSONResponse:
    """titiler-pgstac's failure to register a collection's search: the request's fault (400)
    when pgSTAC could not read its filter (a DataError: an operator without its operands, say),
    else as any other failure."""
    assert isinstance(error, BackendError)
    cause = error.__cause__
    if isinstance(cause, DataError):
        reason = cause.diag.message_primary or type(cause).__name__
        return JSONResponse({"detail": f"search refused by the catalogue: {reason}"}, 400)
    return await internal_error(request, error)
