"""Reading a request body ahead of the application, for the middlewares that check it."""

from starlette.types import Message, Receive


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
