"""Keeping licensed pictures out of shared caches."""

from starlette.datastructures import Headers, MutableHeaders
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
