"""Reading a request body ahead of the application, for the middlewares that check it."""

import json
from typing import Any

from starlette.types import Message, Receive


class NotANumberError(ValueError):
    """A JSON text holds NaN or Infinity: no JSON numbers (RFC 8259), which Python's parser
    accepts and geometry maths then silently mishandles. The message is the constant."""


def _refuse_constant(constant: str) -> float:
    raise NotANumberError(constant)


def loads_finite(raw: bytes | str) -> Any:
    """``json.loads`` refusing NaN and Infinity with :class:`NotANumberError`."""
    return json.loads(raw, parse_constant=_refuse_constant)


def replaying(raw: bytes, receive: Receive) -> Receive:
    """A ``receive`` giving ``raw`` as the whole body, then what ``receive`` gives."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


async def buffered_body(receive: Receive, max_bytes: int) -> tuple[bytes, Receive]:
    """The request body, read up to one chunk past ``max_bytes`` (so that a caller can tell it
    is too large without holding more), and a ``receive`` replaying it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= max_bytes:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
    raw = b"".join(chunks)
    return raw, replaying(raw, receive)
