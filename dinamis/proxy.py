"""Where the client reached us, for the links both servers write: from a trusted reverse proxy's
`Forwarded` (RFC 7239) or `X-Forwarded-Proto/Host/Port/Prefix` headers, else from the configured
public URL. Nobody else's headers are believed, so a client cannot make the servers write links
to a host of its choosing (cache poisoning, password-reset style phishing)."""

import ipaddress
import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

FORWARDED_HEADERS = {
    b"forwarded",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"x-forwarded-port",
    b"x-forwarded-prefix",
}
# One `key=value` of a Forwarded element; the value is a token or a quoted-string.
_PAIR = re.compile(r'\s*([A-Za-z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,"]*)')
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(addresses: Sequence[str]) -> list[Network]:
    """Proxy addresses or CIDR blocks, as settings list them."""
    return [ipaddress.ip_network(address.strip(), strict=False) for address in addresses]


def forwarded_first(value: str) -> dict[str, str]:
    """The parameters of the first element of a `Forwarded` header (the proxy the client spoke
    to), with quoted-strings unquoted: `host="example.org:8443"` is RFC 7239's form with a port."""
    pairs = {}
    for key, raw in _PAIR.findall(_first_element(value)):
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        pairs[key.lower()] = raw.strip()
    return pairs


def _first_element(value: str) -> str:
    # A comma inside a quoted-string does not end the element.
    quoted = False
    for index, char in enumerate(value):
        if char == '"' and (index == 0 or value[index - 1] != "\\"):
            quoted = not quoted
        elif char == "," and not quoted:
            return value[:index]
    return value


def _first(value: str | None) -> str | None:
    return value.split(",", 1)[0].strip() if value else None


class ForwardedMiddleware:
    """Sets the request's scheme, Host and root path (the prefix a proxy mounts the app under)
    from a trusted proxy's headers, or from ``public_url`` for everyone else; forwarding headers
    are removed either way, so nothing further in (stac-fastapi's own proxy middleware, titiler's
    URL building) reads them."""

    def __init__(
        self, app: ASGIApp, trusted_proxies: Sequence[str], public_url: str | None = None
    ) -> None:
        self.app = app
        self.trusted = networks(trusted_proxies)
        self.public = urlsplit(public_url) if public_url else None
        # Clients come back (keep-alive, the same proxies): each address is judged once.
        self._trusts_address = lru_cache(maxsize=4096)(self._judge)

    def _judge(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:  # a unix socket peer: the proxy is on this machine
            return True
        return any(address in network for network in self.trusted)

    def _trusts(self, scope: Scope) -> bool:
        client = scope.get("client")
        return bool(client) and self._trusts_address(client[0])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        received = {}
        headers = []
        for name, value in scope["headers"]:
            if name in FORWARDED_HEADERS:
                received.setdefault(name, value.decode("latin-1"))
            else:
                headers.append((name, value))
        proto = host = prefix = None
        if self._trusts(scope):
            proto, host, prefix = self._from_headers(received)
        elif self.public:
            proto, host = self.public.scheme, self.public.netloc
        scope = dict(scope, headers=headers)
        if proto in ("http", "https"):
            scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws", 1)
        if host and _HOST.match(host):
            scope["headers"] = [(n, v) for n, v in headers if n != b"host"]
            scope["headers"].append((b"host", host.encode("latin-1")))
        if prefix is not None and _PREFIX.match(prefix):
            scope["root_path"] = prefix.rstrip("/")
        await self.app(scope, receive, send)

    @staticmethod
    def _from_headers(received: dict[bytes, str]) -> tuple[str | None, str | None, str | None]:
        prefix = _first(received.get(b"x-forwarded-prefix"))
        if b"forwarded" in received:
            pairs = forwarded_first(received[b"forwarded"])
            return pairs.get("proto", "").lower() or None, pairs.get("host"), prefix
        proto = (_first(received.get(b"x-forwarded-proto")) or "").lower() or None
        host = _first(received.get(b"x-forwarded-host"))
        port = _first(received.get(b"x-forwarded-port"))
        if host and port and port.isdigit() and not re.search(r":\d+$", host):
            default = {"http": "80", "https": "443"}.get(proto or "")
            if port != default:
                host = f"{host}:{port}"
        return proto, host, prefix
