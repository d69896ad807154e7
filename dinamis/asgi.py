"""Reading a request body ahead of the application, for the middlewares that check it."""

import json
import math
import re
from typing import Any

from starlette.types import Message, Receive


class NotANumberError(ValueError):
    """A JSON text holds NaN or Infinity: no JSON numbers (RFC 8259), which Python's parser
    accepts and geometry maths then silently mishandles; or a number past a double's range
    (1e400), which it reads as infinity. The message is the number as written."""


class NotUnicodeError(ValueError):
    """A JSON string holds half of a UTF-16 surrogate pair (``"\\ud800"``): no character, which
    neither PostgreSQL nor an answer echoing it can encode. The message says so."""


def _refuse_constant(constant: str) -> float:
    raise NotANumberError(constant)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotANumberError(text[:30])
    return value


def _double_int(text: str) -> int:
    value = int(text)
    # Only 309 digits or more can be past a double's range: usual numbers cost nothing more.
    if len(text) > 308:
        try:
            float(value)
        except OverflowError:
            raise NotANumberError(f"{text[:20]}... ({len(text)} digits)") from None
    return value


# An escaped high surrogate not followed by a low one, or a low one not after a high one (an
# escaped backslash before the ``u`` makes it plain text).
_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


# What may be past a double's range: a three-digit exponent, or 309 digits in a row (the
# look-behind tries each run of digits once, not from each of its digits).
_HUGE = re.compile(r"[eE][+-]?[0-9]{3}|(?<![0-9])[0-9]{309}")


def loads_finite(raw: bytes | str) -> Any:
    """``json.loads`` refusing NaN, Infinity and numbers past a double's range with
    :class:`NotANumberError`, and lone surrogates with :class:`NotUnicodeError`."""
    text = raw.decode(json.detect_encoding(raw), "replace") if isinstance(raw, bytes) else raw
    # The exact pattern only runs on a text holding a surrogate's escape at all (seldom).
    if ("\\ud" in text or "\\uD" in text) and _LONE_SURROGATE.search(text):
        raise NotUnicodeError(
            "a JSON string holds a lone UTF-16 surrogate (\\ud800 to \\udfff), no character"
        )
    if not _HUGE.search(text):  # the usual body: numbers parsed at C speed
        return json.loads(text, parse_constant=_refuse_constant)
    return json.loads(
        text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_double_int
    )


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
