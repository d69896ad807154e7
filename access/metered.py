"""A file response that counts what it sends, for download accounting.

The count is taken from the response itself rather than predicted from the ``Range`` header:
Starlette merges overlapping ranges, clips them to the file, answers a multipart body for
several, and ignores malformed parts, so any prediction drifts from what the client received.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.responses import FileResponse
from starlette.types import Message, Receive, Scope, Send

SUCCESS = (200, 206)


class MeteredFileResponse(FileResponse):
    """Calls ``on_sent(bytes)`` once the response is over (sent, or cut short by the client)
    with the number of body bytes actually sent, when it served the file (200 or 206)."""

    def __init__(
        self, *args: Any, on_sent: Callable[[int], Awaitable[None]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.on_sent = on_sent

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 0
        sent = 0

        async def metered(message: Message) -> None:
            nonlocal status, sent
            # Counted before sending: compressing middlewares rewrite the message in place.
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size = len(message.get("body", b""))
            elif message["type"] == "http.response.pathsend":  # the whole file, zero-copy
                size = (self.stat_result or await anyio.Path(self.path).stat()).st_size
            await send(message)
            if message["type"] in ("http.response.body", "http.response.pathsend"):
                sent += size

        try:
            await super().__call__(scope, receive, metered)
        finally:
            if self.on_sent is not None and status in SUCCESS:
                with anyio.CancelScope(shield=True):
                    await self.on_sent(sent)
