"""Short-lived signed access tokens, for clients that cannot send headers (web maps, GDAL URLs).

A token names the API key it was issued from, so revoking the key also stops its tokens, the
collections whose pixels it may read (its scope), and its expiry; an HMAC-SHA256 over all three
makes it unforgeable without the server secret. A token only ever reads: routes that change
state, and the minting of tokens, need the key itself.
"""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Collection
from dataclasses import dataclass

_VERSION = "v2"


@dataclass(frozen=True)
class TokenClaims:
    key_id: int
    collections: frozenset[str]
    """The collections whose pixels and files the token may read."""
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue_token(
    secret: str, key_id: int, ttl: int, collections: Collection[str]
) -> tuple[str, int]:
    """A token for ``key_id`` reading ``collections``, and its expiry (Unix seconds)."""
    expires = int(time.time()) + ttl
    scope = _b64(json.dumps(sorted(collections), separators=(",", ":")).encode())
    payload = f"{_VERSION}.{key_id}.{expires}.{scope}"
    return f"{payload}.{_signature(secret, payload)}", expires


def verify_token(secret: str, token: str) -> TokenClaims | None:
    """The claims of a genuine, unexpired token; ``None`` otherwise."""
    try:
        version, key_id, expires, scope, signature = token.split(".")
        payload = f"{version}.{int(key_id)}.{int(expires)}.{scope}"
    except ValueError:
        return None
    if version != _VERSION or not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    if int(expires) < time.time():
        return None
    collections = json.loads(_unb64(scope))  # signed by us: well-formed
    return TokenClaims(int(key_id), frozenset(collections), int(expires))
