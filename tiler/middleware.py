"""Keeping licensed pictures out of shared caches, and oversized or non-JSON bodies out."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dinamis.asgi import (
    NotANumberError,
    NotUnicodeError,
    buffered_body,
    loads_finite,
    positions,
)

CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def _credentialed(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    return any(name in headers for name in CREDENTIAL_HEADERS) or b"access_token=" in scope.get(
        "query_string", b""
    )


def private(cache_control: str) -> str:
    """``cache_control`` for one caller's eyes: ``public`` dropped, ``private`` added unless
    nothing may be kept at all. Without it, ``max-age`` alone lets a shared cache keep an answer
    to a URL carrying an access_token (RFC 9111 forbids that only for Authorization)."""
    directives = [d.strip() for d in cache_control.split(",") if d.strip()]
    kept = [d for d in directives if d.lower() != "public"]
    if not {"private", "no-store"} & {d.lower() for d in kept}:
        kept.insert(0, "private")
    return ", ".join(kept)


class CachePolicyMiddleware:
    """What shared caches may keep. Errors (4xx, 5xx) nothing: a 401 kept by a proxy would
    be served to the next caller even once they are entitled, a 404 after the item is
    published. Answers to requests carrying credentials only privately: a CDN or proxy may keep
    open imagery for everyone, but must not hand a tile served to an entitled user to the next,
    anonymous, caller of the same URL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentialed = _credentialed(scope)

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cache_control = headers.get("Cache-Control", "")
                if message["status"] >= 400:
                    headers["Cache-Control"] = "no-store"
                elif credentialed:
                    headers["Cache-Control"] = private(cache_control)
            await send(message)

        await self.app(scope, receive, send_with_policy)


class BodyCheckMiddleware:
    """Refuses a request body larger than ``max_bytes`` (413), by its Content-Length or as it
    streams in, before more of it is read: a GeoJSON or a search of any size would otherwise be
    held in memory whole. Refuses (400) a JSON body holding NaN, Infinity or 1e400, which are no
    JSON numbers but which Python's parser accepts and geometry maths then silently mishandle,
    integers past 64 bits and lone surrogates, which no answer echoing them can encode, one
    nested past the parser's recursion limit, and geometries of more than ``max_positions``."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_positions: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_positions = max_positions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length", "")
        raw = b""
        if not (length.isdigit() and int(length) > self.max_bytes):
            raw, receive = await buffered_body(receive, self.max_bytes)
        if len(raw) > self.max_bytes or (length.isdigit() and int(length) > self.max_bytes):
            detail = f"request body exceeds the limit of {self.max_bytes:,} bytes"
            await JSONResponse({"detail": detail}, 413)(scope, receive, send)
            return
        if "json" in headers.get("content-type", ""):
            try:
                count = positions(loads_finite(raw))
            except NotANumberError as error:
                detail = (
                    f"{error}: coordinates and values must be finite, within a double's range "
                    "(integers within 64 bits)"
                )
                await JSONResponse({"detail": detail}, 400)(scope, receive, send)
                return
            except NotUnicodeError as error:
                await JSONResponse({"detail": str(error)}, 400)(scope, receive, send)
                return
            except RecursionError:
                # Counting the depth first would cost more than parsing: the parser's own
                # recursion limit (about a thousand levels) is the bound, past any GeoJSON.
                detail = "the JSON body nests too deep (a GeoJSON feature is a few levels)"
                await JSONResponse({"detail": detail}, 400)(scope, receive, send)
                return
            except ValueError:
                count = 0  # malformed: the app's own parser says where
            if count > self.max_positions:
                detail = (
                    f"the body's geometries have {count:,} positions; the limit "
                    f"(max_positions) is {self.max_positions:,}: simplify them"
                )
                await JSONResponse({"detail": detail}, 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
