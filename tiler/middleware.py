"""Keeping licensed pictures out of shared caches, and oversized bodies out of memory."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def _credentialed(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    return any(name in headers for name in CREDENTIAL_HEADERS) or b"access_token=" in scope.get(
        "query_string", b""
    )


class PrivateCacheMiddleware:
    """Turns ``Cache-Control: public`` into ``private`` on answers to requests carrying
    credentials: a CDN or proxy may keep open imagery for everyone, but must not hand a tile
    served to an entitled user to the next, anonymous, caller of the same URL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _credentialed(scope):
            await self.app(scope, receive, send)
            return

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cache_control = headers.get("Cache-Control", "")
                if "public" in cache_control:
                    headers["Cache-Control"] = cache_control.replace("public", "private")
            await send(message)

        await self.app(scope, receive, send_private)


class BodyLimitMiddleware:
    """Refuses (413) a request whose body exceeds ``max_bytes``, by its Content-Length or as it
    streams in, before the app reads more of it: a GeoJSON or a search of any size would
    otherwise be held in memory whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"request body exceeds the limit of {self.max_bytes:,} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            error = self._too_large()
            response = JSONResponse({"detail": error.detail}, error.status_code)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # FastAPI lets an HTTPException raised while reading the body through to the
                # app's handlers, which answer it as JSON.
                raise self._too_large()
            return message

        await self.app(scope, limited_receive, send)
