"""FastAPI's answer to a request its models refuse, whatever input that answer echoes back.

The answer quotes the offending values: a NaN coordinate or a lone surrogate (``"\\ud800"``)
in them made the answer itself fail to encode, and the client got a 500 instead of being told
what was wrong."""

import math
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def json_safe(value: Any) -> Any:
    """``value`` with what JSON in UTF-8 cannot hold written as text: non-finite floats
    (``"nan"``), lone surrogates (``"\\ud800"``, escaped) and bytes that are no UTF-8."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def validation_handler(
    status_code: int, with_body: bool = False
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A handler of ``RequestValidationError`` answering ``status_code`` with the errors (and
    the body as received, when ``with_body``, as stac-fastapi answers them)."""

    async def handler(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        content: dict[str, Any] = {"detail": error.errors()}
        if with_body:
            content["body"] = error.body
        return JSONResponse(jsonable_encoder(json_safe(content)), status_code)

    return handler
