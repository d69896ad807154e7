"""Reading a request body ahead of the application, for the middlewares that check it."""

import json
import math
import re
from typing import Any

from starlette.types import Message, Receive


class NotANumberError(ValueError):
    """A JSON text holds NaN or Infinity: no JSON numbers (RFC 8259), which Python's parser
    accepts and geometry maths then silently mishandles; a number past a double's range (1e400),
    which it reads as infinity; or an integer past 64 bits, which the apps' encoder cannot write
    back (a search echoes its body in its links). The message names the number and why."""


class NotUnicodeError(ValueError):
    """A JSON string holds half of a UTF-16 surrogate pair (``"\\ud800"``): no character, which
    neither PostgreSQL nor an answer echoing it can encode. The message says so."""


def _shown(text: str) -> str:
    return text if len(text) <= 30 else f"{text[:20]}... ({len(text)} digits)"


def _refuse_constant(constant: str) -> float:
    raise NotANumberError(f"{constant} is not a JSON number (RFC 8259)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotANumberError(f"{_shown(text)} is past a double's range")
    return value


def _json_int(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise NotANumberError(f"{_shown(text)} is an integer past 64 bits")
    return value


# An escaped high surrogate not followed by a low one, or a low one not after a high one (an
# escaped backslash before the ``u`` makes it plain text).
_LONE_SURROGATE = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
# What may be past a double's range, or a 64-bit integer, once every digit reads 0, E reads e
# and every character a number may follow reads a comma: 20 digits before any decimal point,
# or a three-digit exponent. Searched in a translated copy, by a pattern starting with a
# literal: a pattern with character classes took longer than the parsing itself.
_SHAPE = bytes.maketrans(b"123456789E[: \t\n\r-", b"0" * 9 + b"e" + b"," * 7)
_LONG_INTEGER = b"," + b"0" * 20
_LONG_EXPONENT = re.compile(rb"e\+?000")


def loads_finite(raw: bytes | str) -> Any:
    """``json.loads`` refusing NaN, Infinity, numbers past a double's range and integers past
    64 bits with :class:`NotANumberError`, and lone surrogates with :class:`NotUnicodeError`."""
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    # The exact pattern only runs on a text holding a surrogate's escape at all (seldom).
    if (b"\\ud" in data or b"\\uD" in data) and _LONE_SURROGATE.search(data):
        raise NotUnicodeError(
            "a JSON string holds a lone UTF-16 surrogate (\\ud800 to \\udfff), no character"
        )
    shape = data.translate(_SHAPE)
    if _LONG_INTEGER not in shape and not _LONG_EXPONENT.search(shape):
        # The usual body: numbers parsed at C speed.
        return json.loads(data, parse_constant=_refuse_constant)
    return json.loads(
        data, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_json_int
    )


def positions(value: Any) -> int:
    """Arrays of numbers in a parsed JSON document: the positions of its geometries (a bbox
    counts as one). Counted without recursion, the document's depth being the client's."""
    count, stack = 0, [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            if node and isinstance(node[0], int | float) and not isinstance(node[0], bool):
                count += 1
            else:
                stack.extend(node)
    return count


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
